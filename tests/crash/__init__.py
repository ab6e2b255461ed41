"""Crash suite: SIGKILL the batch demo run at chosen points and resume it (see run_crash_suite)."""
