"""Fault suite: whole demo runs against a stand-in that fails a random fraction of requests."""
