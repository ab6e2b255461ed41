"""Real renders, inspected with ffmpeg: format, length, looping, overlays, sound and progress.

Each render is made once per module and looked at by several tests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from media_helpers import dark_box, frame_at, frame_means, integrated_loudness, pcm, rms, tone_level

from cctui.media import (AssemblyResult, AssemblySpec, OverlayCue, assemble, extract_frame, overlay_cues, probe,
                         safe_area)
from cctui.media import MediaError

RATE = 48000
LINES = ["Who, me?", "I would never steal the treats", "Okay maybe once"]


@dataclass
class Render:
    spec: AssemblySpec
    result: AssemblyResult
    progress: list[float] = field(default_factory=list)


def render(**kwargs) -> Render:
    progress: list[float] = []
    spec = AssemblySpec(**kwargs)
    result = asyncio.run(assemble(spec, on_progress=progress.append))
    return Render(spec, result, progress)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("renders")


@pytest.fixture(scope="module")
def loop_overlays(out_dir, yellow_clip) -> Render:
    """Loop, no music, no clip sound (silent clip), three overlay lines over flat yellow."""
    return render(clip=yellow_clip, output=out_dir / "loop-overlays" / "final.mp4", duration=6.0,
                  cues=overlay_cues(LINES, 6.0))


@pytest.fixture(scope="module")
def loop_music_clip_audio(out_dir, landscape_clip, music_mp3) -> Render:
    """Landscape clip with a 220 Hz tone, cropped to portrait, 440 Hz mp3 music mixed over it."""
    return render(clip=landscape_clip, output=out_dir / "loop-mix.mp4", duration=6.0, music=music_mp3,
                  keep_clip_audio=True)


@pytest.fixture(scope="module")
def pingpong_music(out_dir, ramp_clip, music_wav) -> Render:
    """15 s ping-pong of a black-to-white ramp with 330 Hz wav music."""
    return render(clip=ramp_clip, output=out_dir / "pingpong-music.mp4", duration=15.0, loop_mode="pingpong",
                  music=music_wav)


@pytest.fixture(scope="module")
def pingpong_clip_audio(out_dir, landscape_clip) -> Render:
    """Ping-pong keeping the clip's own 220 Hz sound, no music."""
    return render(clip=landscape_clip, output=out_dir / "pingpong-clip.mp4", duration=6.0, loop_mode="pingpong",
                  keep_clip_audio=True)


RENDERS = ["loop_overlays", "loop_music_clip_audio", "pingpong_music", "pingpong_clip_audio"]


@pytest.mark.parametrize("name", RENDERS)
def test_output_is_post_ready(request, name):
    r: Render = request.getfixturevalue(name)
    out = r.spec.output
    assert r.result.output == out and out.is_file()
    info = probe(out)
    assert [(s.codec, s.width, s.height, s.fps) for s in info.video] == [("h264", 1080, 1920, 30.0)]
    assert [s.codec for s in info.audio] == ["aac"]
    assert abs(info.duration - r.spec.duration) <= 0.1
    assert (r.result.width, r.result.height) == (1080, 1920)
    assert abs(r.result.duration - r.spec.duration) <= 0.1
    # Both streams last the whole video, not just the container.
    assert abs(len(pcm(out)) / RATE - r.spec.duration) <= 0.1
    # Nothing but the output is left beside it.
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".")) == []


def test_video_stream_lasts_the_whole_duration(pingpong_music):
    frames = frame_means(pingpong_music.spec.output)
    assert len(frames) == pytest.approx(15.0 * 30, abs=3)


def test_landscape_clip_fills_the_portrait_frame(loop_music_clip_audio):
    """Cropped to cover, not letterboxed: no black bars top and bottom."""
    frame = frame_at(loop_music_clip_audio.spec.output, 1.0).convert("L")
    assert frame.size == (1080, 1920)
    for box in [(0, 0, 1080, 60), (0, 1860, 1080, 1920)]:
        top_or_bottom = frame.crop(box)
        assert top_or_bottom.getextrema()[1] > 60, f"black bar at {box}"


def test_pingpong_runs_forward_then_backward(pingpong_music):
    means = frame_means(pingpong_music.spec.output)
    first = means[:140]
    peak = max(range(len(first)), key=first.__getitem__)
    trough = peak + min(range(len(first) - peak), key=lambda i: first[peak + i])
    # The clip is 2 s (60 frames) of rising brightness: the peak is its end, and going back
    # down to black takes as long as going up did.
    assert 56 <= peak <= 61
    assert first[peak] - first[0] > 150
    assert abs((trough - peak) - peak) <= 3
    # Forward half rises, backward half falls, frame by frame.
    assert all(b >= a - 1.5 for a, b in zip(first[2:peak - 2], first[3:peak - 1]))
    assert all(b <= a + 1.5 for a, b in zip(first[peak + 2:trough - 2], first[peak + 3:trough - 1]))
    # Mirror image: the frame at t and at 2*L - t show the same moment of the clip.
    for j in range(2, peak - 2, 5):
        assert abs(first[peak - j] - first[peak + j]) < 8, j
    # And the whole thing repeats for 15 s.
    period = trough
    for k in range(0, len(means) - period, 7):
        assert abs(means[k] - means[k + period]) < 8, k


def test_plain_loop_restarts_instead_of_reversing(out_dir, ramp_clip):
    r = render(clip=ramp_clip, output=out_dir / "ramp-loop.mp4", duration=4.5, width=360, height=640)
    means = frame_means(r.spec.output)
    # Sawtooth: right after the 2 s mark it is dark again, not as bright as just before it.
    assert means[59] - means[61] > 150
    assert means[119] - means[121] > 150
    assert all(b >= a - 1.5 for a, b in zip(means[1:59], means[2:60]))


def _gaps(cues, duration):
    yield cues[0].start / 2
    for a, b in zip(cues, cues[1:]):
        yield (a.end + b.start) / 2
    yield (cues[-1].end + duration) / 2


def test_overlays_show_one_plate_at_a_time_inside_the_safe_area(loop_overlays):
    out, cues = loop_overlays.spec.output, loop_overlays.spec.cues
    x0, y0, x1, y1 = safe_area(1080, 1920)
    widths = []
    for cue in cues:
        frame = frame_at(out, (cue.start + cue.end) / 2)
        box, count = dark_box(frame)
        assert box is not None and count > 20_000, f"no plate for {cue.text!r}"
        bx0, by0, bx1, by1 = box
        assert x0 <= bx0 and bx1 <= x1 and y0 <= by0 and by1 <= y1, f"plate {box} outside safe area"
        assert abs((bx0 + bx1) / 2 - 540) <= 4  # centred
        assert (by0 + by1) / 2 > (y0 + y1) / 2  # lower middle
        # The text is on it: bright pixels inside the dark box.
        text = frame.convert("L").crop(box).point(lambda v: 255 if v > 235 else 0).histogram()[255]
        assert text > 1000
        widths.append(bx1 - bx0)
    assert len(set(widths)) == len(cues)  # each cue has its own plate
    for t in _gaps(cues, loop_overlays.spec.duration):
        box, count = dark_box(frame_at(out, t))
        assert count < 50, f"something dark at {t:.2f} s, between lines ({box})"


def test_overlay_fades_in(loop_overlays):
    out, cue = loop_overlays.spec.output, loop_overlays.spec.cues[1]
    full = frame_at(out, (cue.start + cue.end) / 2).convert("L")
    box, _ = dark_box(full)
    region = (box[0] + 4, box[1] + 4, box[0] + 24, box[3] - 4)  # plate padding, left of the text

    def mean(t: float) -> float:
        return ImageStat.Stat(frame_at(out, t).convert("L").crop(region)).mean[0]

    plate, background = mean((cue.start + cue.end) / 2), mean(cue.start - 0.1)
    fading = mean(cue.start + 0.2)  # half-way through the 0.4 s fade-in
    assert plate + 40 < background
    assert plate + 20 < fading < background - 20


def test_silent_clip_without_music_gets_silence(loop_overlays):
    assert rms(pcm(loop_overlays.spec.output)) < 5


def test_music_is_trimmed_faded_and_normalised(pingpong_music):
    samples = pcm(pingpong_music.spec.output)
    assert abs(len(samples) / RATE - 15.0) <= 0.1
    middle = rms(samples[7 * RATE:8 * RATE])
    tail = rms(samples[-RATE // 2:])
    assert middle > 1000
    assert tail < 0.2 * middle
    # Still playing (looped) well after the 3 s music ran out.
    assert rms(samples[11 * RATE:12 * RATE]) > 0.7 * middle
    assert tone_level(samples[7 * RATE:8 * RATE], 330) > 0.9 * middle
    assert integrated_loudness(pingpong_music.spec.output) == pytest.approx(-14, abs=1.5)


def test_clip_sound_is_mixed_under_the_music(loop_music_clip_audio, pingpong_clip_audio, pingpong_music):
    mix = pcm(loop_music_clip_audio.spec.output)[3 * RATE:4 * RATE]
    music, clip = tone_level(mix, 440), tone_level(mix, 220)
    assert music > 1000 and clip > 200
    assert clip < music
    only_clip = pcm(pingpong_clip_audio.spec.output)[3 * RATE:4 * RATE]
    assert tone_level(only_clip, 220) > 1000 and tone_level(only_clip, 440) < 50
    only_music = pcm(pingpong_music.spec.output)[3 * RATE:4 * RATE]
    assert tone_level(only_music, 220) < 50


def test_progress_rises_to_one(loop_overlays, pingpong_music):
    for r in (loop_overlays, pingpong_music):
        values = r.progress
        assert len(values) >= 5
        assert values == sorted(values) and len(set(values)) == len(values)
        assert 0.0 <= values[0] < 0.2
        assert values[-1] == 1.0 and values.count(1.0) == 1
        assert any(0.3 < v < 0.9 for v in values)


def test_other_aspect_and_fps(out_dir, landscape_clip):
    r = render(clip=landscape_clip, output=out_dir / "square.mp4", duration=2.5, width=540, height=540, fps=24,
               cues=overlay_cues(["Square"], 2.5))
    info = probe(r.spec.output)
    assert [(s.width, s.height, s.fps) for s in info.video] == [(540, 540, 24.0)]
    assert abs(info.duration - 2.5) <= 0.1


def test_rerender_replaces_the_previous_output(out_dir, yellow_clip):
    out = out_dir / "again.mp4"
    out.write_bytes(b"old render")
    render(clip=yellow_clip, output=out, duration=1.5, width=270, height=480)
    assert probe(out).duration == pytest.approx(1.5, abs=0.1)


async def test_cover_frame(loop_overlays, tmp_path):
    cue = loop_overlays.spec.cues[0]
    for name in ("cover.jpg", "cover.png"):
        cover = await extract_frame(loop_overlays.spec.output, (cue.start + cue.end) / 2, tmp_path / name)
        assert cover == tmp_path / name
        with Image.open(cover) as image:
            assert image.format == ("JPEG" if name.endswith("jpg") else "PNG")
            assert image.size == (1080, 1920)
            _, dark = dark_box(image.convert("RGB"))
            assert dark > 20_000  # the first line's plate is on the cover
    late = await extract_frame(loop_overlays.spec.output, 999, tmp_path / "late.jpg")  # clamped to the end
    assert late.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cover.jpg", "cover.png", "late.jpg"]
    with pytest.raises(MediaError, match=r"\.jpg or \.png"):
        await extract_frame(loop_overlays.spec.output, 1.0, tmp_path / "cover.gif")


def test_pingpong_with_music_and_clip_sound(out_dir, landscape_clip, music_mp3):
    r = render(clip=landscape_clip, output=out_dir / "pingpong-mix.mp4", duration=3.0, width=270, height=480,
               loop_mode="pingpong", music=music_mp3, keep_clip_audio=True)
    info = probe(r.spec.output)
    assert [(s.width, s.height) for s in info.video] == [(270, 480)] and len(info.audio) == 1
    samples = pcm(r.spec.output)
    assert abs(len(samples) / RATE - 3.0) <= 0.1
    second = samples[RATE // 2:3 * RATE // 2]
    assert tone_level(second, 440) > 1000 and tone_level(second, 220) > 200


def test_keep_clip_audio_on_a_silent_clip_is_silence(out_dir, yellow_clip):
    r = render(clip=yellow_clip, output=out_dir / "silent.mp4", duration=2.0, width=270, height=480,
               keep_clip_audio=True)
    assert [s.codec for s in probe(r.spec.output).audio] == ["aac"]
    assert rms(pcm(r.spec.output)) < 5


def test_cues_past_the_end_are_cut_off(out_dir, yellow_clip):
    cues = [OverlayCue(0, "late", 1.0, 9.0), OverlayCue(1, "never", 5.0, 6.0)]
    r = render(clip=yellow_clip, output=out_dir / "late.mp4", duration=2.0, cues=cues)
    assert abs(probe(r.spec.output).duration - 2.0) <= 0.1
    assert dark_box(frame_at(r.spec.output, 1.5))[1] > 5_000  # "late" shows, and fades out by the end
    assert dark_box(frame_at(r.spec.output, 0.5))[1] < 50


def test_pingpong_reverses_only_what_fits_in_memory():
    from cctui.media.assemble import PINGPONG_MAX_SECONDS, REVERSE_MEMORY_BUDGET, _pingpong_seconds
    from cctui.media.probe import MediaInfo, StreamInfo

    def seconds(w, h, duration, fps=30.0, out=(1080, 1920)):
        spec = AssemblySpec(clip=Path("x.mp4"), output=Path("y.mp4"), duration=30, width=out[0], height=out[1])
        info = MediaInfo(duration, [StreamInfo("video", "h264", w, h, fps)])
        return _pingpong_seconds(spec, info, fps)

    assert seconds(720, 1280, 5.0) == 5.0  # a typical short clip: all of it
    assert seconds(720, 1280, 60.0) == PINGPONG_MAX_SECONDS
    four_k = seconds(3840, 2160, 60.0)  # cropped to 9:16 and shrunk to 1080x1920 first
    assert four_k * 30 * 1080 * 1920 * 1.5 <= REVERSE_MEMORY_BUDGET
    assert four_k > 8
    assert seconds(720, 1280, None) == PINGPONG_MAX_SECONDS
