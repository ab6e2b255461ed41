"""Small real inputs made with ffmpeg itself, once per session: a second or two of video each."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import YELLOW, ffmpeg, make_clip


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media-inputs")


@pytest.fixture(scope="session")
def yellow_clip(media) -> Path:
    """2 s portrait 720x1280, bright flat yellow, no audio."""
    return make_clip(media / "yellow.mp4", source=f"color=c={YELLOW}", size="720x1280", seconds=2)


@pytest.fixture(scope="session")
def ramp_clip(media) -> Path:
    """2 s portrait clip going from black to white: brightness tells where in the clip a frame is."""
    return make_clip(media / "ramp.mp4", source="color=c=white", size="360x640", seconds=2,
                     extra_vf="fade=t=in:st=0:d=2")


@pytest.fixture(scope="session")
def busy_clip(media) -> Path:
    """6 s portrait test pattern: its ping-pong unit takes seconds to build, long enough to cancel."""
    return make_clip(media / "busy.mp4", source="testsrc2", size="720x1280", seconds=6)


@pytest.fixture(scope="session")
def landscape_clip(media) -> Path:
    """2 s landscape 832x480 test pattern with a 220 Hz tone."""
    return make_clip(media / "landscape.mp4", source="testsrc2", size="832x480", seconds=2, tone=220)


@pytest.fixture(scope="session")
def music_mp3(media) -> Path:
    """3 s of 440 Hz: shorter than any target, so it has to loop."""
    path = media / "music.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=3:sample_rate=44100", "-c:a", "libmp3lame", "-b:a", "128k", str(path))
    return path


@pytest.fixture(scope="session")
def music_wav(media) -> Path:
    path = media / "music.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=330:d=3:sample_rate=48000", str(path))
    return path


@pytest.fixture(scope="session")
def damaged_clip(media) -> Path:
    """An mp4 whose index is intact (it probes fine) but whose frame data is zeroed: fails mid-render."""
    good = media / "good-faststart.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2", "-c:v", "libx264", "-preset", "ultrafast",
           "-movflags", "+faststart", str(good))
    data = bytearray(good.read_bytes())
    mdat = data.index(b"mdat")
    data[mdat + 200:] = bytes(len(data) - mdat - 200)
    path = media / "damaged.mp4"
    path.write_bytes(bytes(data))
    return path
