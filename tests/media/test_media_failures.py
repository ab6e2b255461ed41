"""Renders that cannot happen, fail or are cancelled: a clear MediaError (or CancelledError), ffmpeg
gone, no temporary files, and nothing new under the final name (a previous video stays intact).
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from media_helpers import ffmpeg_children

from cctui.media import AssemblySpec, MediaError, assemble, overlay_cues, probe

OLD = b"the previous, good render"


def leftovers(folder):
    """Everything in the folder except the final video itself."""
    return sorted(p.name for p in folder.iterdir() if p.name != "final.mp4")


async def no_ffmpeg_children(timeout: float = 3.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while (found := ffmpeg_children()) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return found


# Ping-pong is cancelled while its first ffmpeg pass (building the reversed unit) runs.
@pytest.mark.parametrize("mode, clip", [("loop", "yellow_clip"), ("pingpong", "busy_clip")])
async def test_cancel_stops_ffmpeg_and_leaves_nothing(request, tmp_path, mode, clip):
    out = tmp_path / "final.mp4"
    started = asyncio.Event()
    seen: list[float] = []

    def on_progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0:  # ffmpeg is running and has written some of the video
            started.set()

    spec = AssemblySpec(clip=request.getfixturevalue(clip), output=out, duration=120.0, loop_mode=mode,
                        cues=overlay_cues(["one", "two"], 120.0))
    task = asyncio.create_task(assemble(spec, on_progress=on_progress))
    await asyncio.wait_for(started.wait(), 30)
    running = ffmpeg_children()
    assert running, "ffmpeg should be running now"
    if mode == "pingpong":
        assert any("reverse" in cmd for cmd in running)  # still building the ping-pong unit
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await no_ffmpeg_children() == []
    assert not out.exists()
    assert leftovers(tmp_path) == []  # no .part, no plates, no ping-pong unit
    assert seen[-1] < 1.0


async def test_cancel_keeps_the_previous_video(tmp_path, yellow_clip):
    out = tmp_path / "final.mp4"
    out.write_bytes(OLD)
    started = asyncio.Event()
    task = asyncio.create_task(assemble(AssemblySpec(clip=yellow_clip, output=out, duration=120.0),
                                        on_progress=lambda f: f > 0 and started.set()))
    await asyncio.wait_for(started.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert out.read_bytes() == OLD
    assert leftovers(tmp_path) == []


async def test_random_bytes_as_clip(tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(os.urandom(50_000))
    out = tmp_path / "final.mp4"
    out.write_bytes(OLD)
    with pytest.raises(MediaError) as err:
        await assemble(AssemblySpec(clip=clip, output=out, duration=6.0))
    assert str(clip) in str(err.value) and "clip" in str(err.value)
    assert out.read_bytes() == OLD
    assert leftovers(tmp_path) == ["clip.mp4"]


async def test_text_file_as_music(tmp_path, yellow_clip):
    music = tmp_path / "song.mp3"
    music.write_text("not really a song\n" * 100)
    out = tmp_path / "final.mp4"
    out.write_bytes(OLD)
    with pytest.raises(MediaError) as err:
        await assemble(AssemblySpec(clip=yellow_clip, output=out, duration=6.0, music=music))
    assert str(music) in str(err.value) and "music" in str(err.value)
    assert out.read_bytes() == OLD
    assert leftovers(tmp_path) == ["song.mp3"]


async def test_ffmpeg_failing_mid_render(tmp_path, damaged_clip):
    """The clip probes fine but has no decodable frames: the render itself fails."""
    assert probe(damaged_clip).video  # gets past the input checks
    out = tmp_path / "final.mp4"
    out.write_bytes(OLD)
    started = time.monotonic()
    with pytest.raises(MediaError) as err:
        await assemble(AssemblySpec(clip=damaged_clip, output=out, duration=6.0, stall_timeout=2.0))
    message = str(err.value)
    assert time.monotonic() - started < 20
    assert f"Could not render {out}" in message and str(damaged_clip) in message
    assert "Last ffmpeg output:" in message and "h264" in message  # ffmpeg's own complaint
    assert out.read_bytes() == OLD
    assert leftovers(tmp_path) == []
    assert await no_ffmpeg_children() == []


async def test_failing_progress_callback_stops_the_render(tmp_path, yellow_clip):
    out = tmp_path / "final.mp4"

    def explode(fraction: float) -> None:
        if fraction > 0:
            raise RuntimeError("the UI went away")

    with pytest.raises(RuntimeError, match="UI went away"):
        await assemble(AssemblySpec(clip=yellow_clip, output=out, duration=60.0), on_progress=explode)
    assert not out.exists()
    assert leftovers(tmp_path) == []
    assert await no_ffmpeg_children() == []


@pytest.mark.parametrize("changes, words", [
    ({"duration": 0}, "more than 0"),
    ({"duration": -3}, "more than 0"),
    ({"duration": 601}, "at most 600"),
    ({"loop_mode": "bounce"}, "loop mode 'bounce'"),
    ({"width": 1081}, "width"),
    ({"fps": 0}, "frame rate"),
])
async def test_bad_settings_are_refused_before_rendering(tmp_path, yellow_clip, changes, words):
    spec = AssemblySpec(clip=yellow_clip, output=tmp_path / "final.mp4", duration=6.0)
    for key, value in changes.items():
        setattr(spec, key, value)
    with pytest.raises(MediaError, match=words):
        await assemble(spec)
    assert list(tmp_path.iterdir()) == []


async def test_missing_and_wrong_kind_of_inputs(tmp_path, yellow_clip, music_mp3):
    out = tmp_path / "final.mp4"
    cases = [
        (dict(clip=tmp_path / "gone.mp4"), f"clip {tmp_path / 'gone.mp4'} does not exist"),
        (dict(clip=music_mp3), f"clip {music_mp3} has no video"),
        (dict(clip=yellow_clip, music=tmp_path / "gone.mp3"), f"music file {tmp_path / 'gone.mp3'} does not exist"),
        (dict(clip=yellow_clip, music=yellow_clip), f"music file {yellow_clip} has no audio"),
        (dict(clip=tmp_path), "is not a file"),
    ]
    for kwargs, words in cases:
        with pytest.raises(MediaError) as err:
            await assemble(AssemblySpec(output=out, duration=6.0, **kwargs))
        assert words in str(err.value)
    assert list(tmp_path.iterdir()) == []
