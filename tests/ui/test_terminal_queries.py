"""The app in a pseudo-terminal that answers nothing (as over SSH): textual-image is never let
ask the terminal (no cell-size, Sixel or kitty query is written, so none can wait), and nothing
is written after the app leaves its screen (no "Failed to get cell size" traceback). The same
pseudo-terminal shows the queries when textual-image is imported plainly, so the check can fail."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import subprocess
import struct
import sys
import termios
import time
from pathlib import Path

from cctui.ui.terminal_images import decide

QUERIES = {b"\x1b[16t": "cell size", b"\x1b[c": "Sixel (device attributes)", b"\x1b_G": "kitty graphics"}
LEAVE_SCREEN = b"\x1b[?1049l"


def run_in_pty(args: list[str], env: dict[str, str], steps: list[tuple[bytes, bytes]] = (),
               timeout: float = 60.0) -> bytes:
    """Everything the process writes to a pseudo-terminal that never answers; for each (until,
    then) of `steps` in turn, `then` is typed once `until` has been written after the last step."""
    master, slave = pty.openpty()
    # 80x24 cells and no pixel size: what a terminal reports over SSH.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                            start_new_session=True)
    os.close(slave)
    out, steps, mark = b"", list(steps), 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the process closed its side
                    break
                if not chunk:
                    break
                out += chunk
            if steps and steps[0][0] in out[mark:]:
                mark = out.index(steps[0][0], mark) + len(steps[0][0])
                os.write(master, steps.pop(0)[1])
            if proc.poll() is not None and not ready:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        os.close(master)
    return out


def plain_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "STY", "KITTY_WINDOW_ID", "TERM_PROGRAM",
                                                          "WEZTERM_EXECUTABLE", "KONSOLE_VERSION")}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24", HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    return env


def test_plain_textual_image_asks_the_silent_terminal(tmp_path):
    out = run_in_pty([sys.executable, "-c", "import textual_image.widget"], plain_env(tmp_path))
    assert b"\x1b[16t" in out and b"\x1b[c" in out
    assert b"Failed to get cell size" in out  # what a creator saw left on the screen


def test_the_app_asks_nothing_and_leaves_nothing_behind(tmp_path):
    cctui = Path(sys.executable).with_name("cctui")
    args = [str(cctui), "--demo", "--data-dir", str(tmp_path / "data")] if cctui.exists() else \
        [sys.executable, "-c", "import sys; from cctui.cli import main; sys.exit(main())", "--demo",
         "--data-dir", str(tmp_path / "data")]
    # A run opened too: the pictures' module (textual-image) is imported with the first run screen.
    out = run_in_pty(args, plain_env(tmp_path), [(b"New run", b"n"), (b"Start a run of which workflow?", b"\r"),
                                                 (b"Spent", b"\x11")])  # ctrl+q
    assert b"New run" in out and b"Spent" in out, out[-2000:]
    for query, what in QUERIES.items():
        assert query not in out, f"the {what} query was sent"
    assert LEAVE_SCREEN in out
    after = out.rsplit(LEAVE_SCREEN, 1)[1]
    shown = after.decode("utf-8", "replace")
    # Only terminal modes being restored may follow; no text.
    text = re.sub(r"\x1b\[[0-9;?<>=]*[a-zA-Z]|\x1b[=>()][0-9A-Za-z]?|[\r\n]", "", shown)
    assert text == "", repr(shown)


def test_the_protocol_comes_from_the_setting_or_the_environment():
    assert decide("sixel", {}, True) == "sixel"
    assert decide("auto", {}, False) == "halfcell"
    assert decide("auto", {"TERM": "xterm-kitty"}, True) == "tgp"
    assert decide("auto", {"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"}, True) == "halfcell"
    assert decide("auto", {"TERM_PROGRAM": "WezTerm"}, True) == "sixel"
    assert decide("auto", {"TERM": "xterm-256color", "SSH_CONNECTION": "1 2 3 4"}, True) == "halfcell"


def test_a_database_that_cannot_open_ends_the_app_with_the_reason(tmp_path):
    # The store opens while the runs screen paints: its failure must still end the app with one
    # line saying what and where, as the commands do, not a traceback or a screen that waits.
    data = tmp_path / "data"
    (data / "cctui.db").mkdir(parents=True)  # a folder where the database file should be
    code = [sys.executable, "-c", "import sys; from cctui.cli import main; sys.exit(main())", "--data-dir", str(data)]
    marker = tmp_path / "exit-code"
    args = ["/bin/sh", "-c", '"$@"; echo $? > ' + str(marker), "sh", *code]
    out = run_in_pty(args, plain_env(tmp_path))
    shown = out.decode("utf-8", "replace")
    assert "Traceback" not in shown and "OperationalError" not in shown, shown[-2000:]
    assert f"error: cannot open the database {data / 'cctui.db'}" in shown.replace("\r\n", "\n").replace("\n", "")
    assert marker.read_text().strip() == "2"
