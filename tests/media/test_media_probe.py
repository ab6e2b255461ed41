"""Probing with `ffmpeg -i`: real files read right, anything else is a MediaError naming the file."""

from __future__ import annotations

import os

import pytest

from cctui.media import MediaError, aprobe, probe
from cctui.media.probe import parse_probe


def test_video_with_audio(landscape_clip):
    info = probe(landscape_clip)
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert len(info.video) == 1 and len(info.audio) == 1
    v = info.video[0]
    assert (v.kind, v.codec, v.width, v.height, v.fps) == ("video", "h264", 832, 480, 30.0)
    assert info.audio[0].codec == "aac"
    assert info.audio[0].width is None


def test_video_without_audio(yellow_clip):
    info = probe(yellow_clip)
    assert [(s.width, s.height) for s in info.video] == [(720, 1280)]
    assert info.audio == []


@pytest.mark.parametrize("name, codec", [("music_mp3", "mp3"), ("music_wav", "pcm_s16le")])
def test_audio_files(request, name, codec):
    info = probe(request.getfixturevalue(name))
    assert info.video == []
    assert [s.codec for s in info.audio] == [codec]
    assert info.duration == pytest.approx(3.0, abs=0.1)


async def test_aprobe_matches_probe(landscape_clip):
    assert await aprobe(landscape_clip) == probe(landscape_clip)


def _unreadable(tmp_path, landscape_clip):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 20)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(landscape_clip.read_bytes()[:3000])
    noise = tmp_path / "noise.mp3"
    noise.write_bytes(os.urandom(40_000))
    return [empty, text, truncated, noise]


@pytest.mark.parametrize("which", range(4), ids=["empty", "text", "truncated", "random-bytes"])
def test_unreadable_files_raise_with_path(tmp_path, landscape_clip, which):
    path = _unreadable(tmp_path, landscape_clip)[which]
    with pytest.raises(MediaError) as err:
        probe(path)
    message = str(err.value)
    assert str(path) in message
    assert "video or audio" in message


async def test_aprobe_unreadable_raises_with_path(tmp_path, landscape_clip):
    for path in _unreadable(tmp_path, landscape_clip):
        with pytest.raises(MediaError, match=str(path)):
            await aprobe(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(MediaError, match="no such file"):
        probe(tmp_path / "nope.mp4")
    with pytest.raises(MediaError, match="not a file"):
        probe(tmp_path)


def test_text_file_message_carries_ffmpegs_reason(tmp_path):
    path = tmp_path / "song.mp3"
    path.write_text("la la la\n" * 50)
    with pytest.raises(MediaError) as err:
        probe(path)
    assert "(" in str(err.value) and "invalid data" in str(err.value).lower()


PHONE_CLIP = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'IMG_0001.MOV':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 9000 kb/s
  Stream #0:0[0x1](und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv, bt709), 1920x1080, 8000 kb/s, 29.97 fps, 29.97 tbr, 600 tbn (default)
    Metadata:
      handler_name    : Core Media Video
    Side data:
      displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)
  Stream #0:2[0x3](und): Data: none (mebx / 0x7862656D), 0 kb/s (default)
At least one output file must be specified
"""

SONG_WITH_ART = """\
Input #0, mp3, from 'song.mp3':
  Duration: 00:03:10.20, start: 0.025057, bitrate: 320 kb/s
  Stream #0:0: Audio: mp3 (mp3float), 44100 Hz, stereo, fltp, 320 kb/s
  Stream #0:1: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 500x500 [SAR 1:1 DAR 1:1], 90k tbr, 90k tbn (attached pic)
"""


def test_parse_rotated_phone_clip():
    info = parse_probe(PHONE_CLIP)
    assert info.duration == pytest.approx(62.5)
    assert [s.kind for s in info.streams] == ["video", "audio", "data"]
    v = info.video[0]
    assert (v.codec, v.width, v.height, v.fps) == ("hevc", 1080, 1920, 29.97)  # upright, as decoded


def test_parse_cover_art_is_not_video():
    info = parse_probe(SONG_WITH_ART)
    assert info.video == []
    assert [s.kind for s in info.streams] == ["audio", "cover"]
    assert info.streams[1].width == 500


def test_parse_codec_tag_is_not_a_size_and_na_duration():
    info = parse_probe("Input #0, matroska, from 'x.mkv':\n  Duration: N/A, start: 0.0\n"
                       "  Stream #0:0: Video: h264 (avc1 / 0x31637661), yuv420p, 25k fps\n")
    assert info.duration is None
    assert (info.video[0].width, info.video[0].height, info.video[0].fps) == (None, None, 25000.0)
    assert parse_probe("Error opening input file x.mp4.\n") is None
