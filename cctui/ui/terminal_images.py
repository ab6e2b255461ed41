"""Which image protocol the terminal gets, decided before the app starts, without asking the
terminal anything.

textual-image asks the terminal when it is imported (its cell size, then Sixel, then the kitty
graphics protocol), each with a 0.1 s timeout. A terminal that does not answer (over SSH, in tmux
without passthrough) costs those waits at every start, and the failed cell-size query logs a
warning with a traceback that is left on the screen after the app exits. Here the protocol comes
from the setting, or else from what the environment says the terminal is; the cell size comes
from the terminal's window-size ioctl (no wait) or a common default; and textual-image is then
imported, when a picture is first shown, so that it has nothing left to ask (not before the
first paint: it brings Pillow and its own renderers).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

PROTOCOLS = ("auto", "tgp", "sixel", "halfcell", "unicode")
# The protocol pictures are drawn with: set by `prepare` (the `cctui` command) or by the app from
# its settings; "auto" lets textual-image choose.
chosen = "auto"
DEFAULT_CELL = (10, 20)  # pixels of a cell when the terminal does not say (a VT340's, as textual-image)


def decide(requested: str, env: Mapping[str, str], is_tty: bool) -> str:
    """The protocol for `requested` ("auto" or one of PROTOCOLS): half cells when nothing says
    the terminal draws pictures, which every colour terminal shows."""
    if requested != "auto":
        return requested
    if not is_tty:
        return "halfcell"
    if env.get("TMUX") or env.get("STY"):
        return "halfcell"  # tmux and screen pass graphics through only when set up to
    term, program = env.get("TERM", ""), env.get("TERM_PROGRAM", "")
    if "kitty" in term or env.get("KITTY_WINDOW_ID"):
        return "tgp"
    if program in ("WezTerm", "iTerm.app") or env.get("WEZTERM_EXECUTABLE") or env.get("KONSOLE_VERSION") \
            or term.startswith(("foot", "mlterm", "contour")):
        # These draw Sixel; WezTerm and Konsole also claim the kitty protocol but do not draw
        # textual-image's placeholders with it.
        return "sixel"
    return "halfcell"


def cell_size(fd: int) -> tuple[int, int] | None:
    """(width, height) of one cell in pixels from the window-size ioctl, or None when the
    terminal does not fill in its pixel size (many do not, and none does over SSH)."""
    try:
        import fcntl
        import struct
        import termios

        rows, cols, width, height = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except (OSError, ImportError, ValueError):
        return None
    if not (rows and cols and width and height):
        return None
    return width // cols, height // rows


class _NotATerminal:
    """sys.__stdout__ as textual-image's import sees it: not a terminal, so it asks nothing."""

    def __init__(self, real):
        self._real = real

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name):
        return getattr(self._real, name)


def prepare(requested: str, env: Mapping[str, str] | None = None) -> str:
    """Decide the protocol and the cell size, asking the terminal nothing; call it before the app
    starts. Returns the protocol (also kept in `chosen`)."""
    global chosen
    env = os.environ if env is None else env
    out = sys.__stdout__
    is_tty = bool(out) and out.isatty()
    chosen = decide(requested, env, is_tty)
    if "textual_image.widget" not in sys.modules:
        from textual_image import _terminal

        size = (cell_size(out.fileno()) if is_tty else None) or DEFAULT_CELL
        # Its cache: filled here, get_cell_size() never sends its query.
        _terminal.get_cell_size._result = _terminal.CellSize(*size)
    return chosen


def import_quietly() -> None:
    """Import textual-image's widgets with stdout not a terminal, so that its import sends no
    Sixel or kitty query (whose answers would arrive as keys in the running app)."""
    if "textual_image.widget" in sys.modules:
        return  # already imported (a test, a second app in one process)
    out = sys.__stdout__
    sys.__stdout__ = _NotATerminal(out)
    try:
        import textual_image.widget  # noqa: F401  (its Sixel and TGP queries run only on a terminal)
    finally:
        sys.__stdout__ = out
