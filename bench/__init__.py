"""cctui's benchmark: `python -m bench [--quick] [--out FILE]` prints a table and writes results.json.

Each figure runs in its own process (bench/fig_*.py) against the provider stand-in (bench/standin.py,
its own process too); every comparison is a ratio measured in the same run on the same machine.
"""
