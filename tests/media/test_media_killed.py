"""cctui killed with SIGKILL in the middle of a render: ffmpeg goes with it, and the next render
cleans up what it left, so no half-written file ever sits in the render folder for long."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

RENDER = """
import asyncio, sys
from pathlib import Path
from cctui.media import AssemblySpec, assemble

def progress(f):
    if f > 0:
        print("RENDERING", flush=True)

asyncio.run(assemble(AssemblySpec(clip=Path(sys.argv[1]), output=Path(sys.argv[2]), duration=120,
                                  width=540, height=960), on_progress=progress))
"""


def ffmpeg_writing(folder: Path) -> list[int]:
    """Pids of live ffmpeg processes whose command line names a file in `folder`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z" and cmd and b"ffmpeg" in Path(cmd[0].decode()).name.encode() and \
                    any(str(folder).encode() in part for part in cmd):
                pids.append(int(entry.name))
    return pids


def test_a_killed_render_takes_ffmpeg_with_it(yellow_clip, tmp_path):
    out = tmp_path / "render" / "final.mp4"
    out.parent.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", RENDER, str(yellow_clip), str(out)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "RENDERING"
        assert ffmpeg_writing(out.parent), "ffmpeg should be rendering now"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 3  # ffmpeg would notice its closed pipes only much later
        while ffmpeg_writing(out.parent) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ffmpeg_writing(out.parent) == [], "an orphan ffmpeg is still writing"
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not out.exists()
    # What the killed render left is hidden and is what the next render in this folder removes.
    assert all(p.name.startswith(".") for p in out.parent.iterdir())
