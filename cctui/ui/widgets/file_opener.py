"""Opening a generated file with the system's opener, or saying where it is when there is no
screen to open it on (SSH, a Linux console without X or Wayland)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def can_open_files(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """True when a desktop opener can show the file to the person at this terminal."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return False
    if platform.startswith("linux") or "bsd" in platform:
        return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return True


def opener_command(path: str | Path, platform: str | None = None) -> list[str]:
    platform = sys.platform if platform is None else platform
    if platform == "darwin":
        return ["open", str(path)]
    if platform.startswith("win"):
        return ["cmd", "/c", "start", "", str(path)]
    return ["xdg-open", str(path)]


def open_file(path: str | Path) -> None:
    """Start the opener and return at once (blocking; run it in a thread worker)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} is missing on disk")
    try:
        subprocess.Popen(opener_command(path), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except FileNotFoundError:
        raise RuntimeError(f"no program to open files with ({opener_command(path)[0]}); the file is {path}") from None


__all__ = ["can_open_files", "opener_command", "open_file"]
