"""Run a command in a pseudo-terminal of a fixed size that answers like a plain xterm.

The terminal answers the device-attributes query (`ESC [ c`, which textual-image sends at import)
with "VT220, no Sixel" at once, and ignores the Kitty graphics query (as xterm, VTE and tmux do,
so textual-image waits out its 0.1 s timeout there, here too). The cell size comes from the
window size ioctl (10x20 pixels), so no cell-size query is needed.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

DA1_QUERY = b"\x1b[c"
DA1_ANSWER = b"\x1b[?62;22c"


def run_in_pty(argv: list[str], env: dict[str, str], cwd: Path, *, cols: int = 120, rows: int = 40,
               timeout: float = 60.0) -> tuple[int, bytes]:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, cols * 10, rows * 20))
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                            start_new_session=True, close_fds=True)
    os.close(slave)
    output = bytearray()
    tail = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
                data = tail + chunk
                for _ in range(data.count(DA1_QUERY)):
                    os.write(master, DA1_ANSWER)
                tail = data[-(len(DA1_QUERY) - 1):]
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
    finally:
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        os.close(master)
    return code, bytes(output)
