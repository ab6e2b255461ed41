"""The narration's sound: the voice over the music, the music ducked under it, separate volumes.

The voice is two bursts of a 1 kHz tone at known times, the music a steady 440 Hz and the clip's
own sound 220 Hz, so each one's level in the mix can be read on its own (Goertzel, per slice).
"""

from __future__ import annotations

import asyncio
import importlib
import math
from pathlib import Path

import pytest
from media_helpers import ffmpeg, make_clip, pcm, tone_level

from cctui.media import AssemblySpec, MediaError, OverlayCue, assemble

RATE = 48000
DURATION = 3.5
SPEECH = [(0.5, 1.3), (2.0, 2.8)]  # when the voice bursts play
MUSIC, VOICE, CLIP = 440, 1000, 220
ASSEMBLE = importlib.import_module("cctui.media.assemble")


def level_db(samples, freq: float, start: float, end: float) -> float:
    return 20 * math.log10(tone_level(samples[int(start * RATE):int(end * RATE)], freq) + 1e-9)


@pytest.fixture(scope="module")
def inputs(media) -> dict[str, Path]:
    voice = media / "voice.mp3"
    bursts = "+".join(f"between(t\\,{a}\\,{b})" for a, b in SPEECH)
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc=0.5*sin(2*PI*{VOICE}*t)*({bursts}):s=44100:d=3",
           "-c:a", "libmp3lame", "-b:a", "128k", str(voice))
    clip = make_clip(media / "toned.mp4", source="color=c=0x406080", size="180x320", seconds=2, tone=CLIP)
    return {"voice": voice, "clip": clip}


def _render(out: Path, inputs, music, **kwargs):
    spec = AssemblySpec(clip=inputs["clip"], output=out, duration=DURATION, width=180, height=320,
                        music=music, narration=inputs["voice"], keep_clip_audio=True, music_fade=0.3,
                        encoding="draft", **kwargs)
    asyncio.run(assemble(spec))
    return pcm(out)


@pytest.fixture(scope="module")
def mixes(tmp_path_factory, inputs, music_mp3):
    out = tmp_path_factory.mktemp("narration")
    return {"plain": _render(out / "plain.mp4", inputs, music_mp3),
            "volumes": _render(out / "volumes.mp4", inputs, music_mp3,
                               voice_volume=0.5, music_volume=0.5, clip_volume=2.0)}


def test_music_ducks_under_the_voice_and_comes_back(mixes):
    samples = mixes["plain"]
    assert abs(len(samples) / RATE - DURATION) <= 0.1
    before, during, between, during2 = (level_db(samples, MUSIC, a, b)
                                        for a, b in [(0.1, 0.45), (0.7, 1.2), (1.65, 1.95), (2.2, 2.7)])
    # Measured: 74 dB around the speech, 60 dB under it (the compressor takes ~14 dB).
    assert before - during >= 6 and before - during2 >= 6
    assert abs(between - before) <= 3  # released within the 0.7 s pause
    voice = level_db(samples, VOICE, 0.7, 1.2)
    assert voice - during >= 10  # the words are clearly on top of the ducked music
    assert level_db(samples, VOICE, 1.65, 1.95) < voice - 40  # and the voice is where its words are
    assert level_db(samples, VOICE, 0.1, 0.45) < voice - 40
    assert level_db(samples, CLIP, 0.7, 1.2) > 50  # the clip's own sound is still in the mix


def test_each_sound_has_its_own_volume(mixes):
    plain, quieter = mixes["plain"], mixes["volumes"]
    for freq, slice_, change in [(MUSIC, (0.1, 0.45), -6.0), (VOICE, (0.7, 1.2), -6.0), (CLIP, (1.65, 1.95), 6.0)]:
        difference = level_db(quieter, freq, *slice_) - level_db(plain, freq, *slice_)
        assert difference == pytest.approx(change, abs=1.0), freq


def test_voice_without_music(tmp_path, inputs):
    samples = _render(tmp_path / "voice-only.mp4", inputs, None)
    assert abs(len(samples) / RATE - DURATION) <= 0.1
    assert level_db(samples, VOICE, 0.7, 1.2) > 70
    assert level_db(samples, VOICE, 2.95, 3.4) < 20  # silence after the voice ends, not a stop
    assert level_db(samples, CLIP, 2.95, 3.4) > 50


def test_defaults_leave_the_render_as_it_was():
    """Without narration and at volume 1 the filtergraph is the one from before narration existed."""
    spec = AssemblySpec(clip=Path("c.mp4"), output=Path("o.mp4"), duration=5.0, music=Path("m.mp3"),
                        keep_clip_audio=True)
    plates = [ASSEMBLE._Plate(Path("p.png"), OverlayCue(0, "hi", 0.5, 2.0), 10, 20)]
    args = ASSEMBLE._main_args(spec, Path("c.mp4"), plates, True, Path("o.part"))
    stereo = "asetpts=PTS-STARTPTS,aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"
    assert args[args.index("-filter_complex") + 1] == (
        "[0:v]setpts=PTS-STARTPTS,fps=30,scale=1080:1920:force_original_aspect_ratio=increase,crop=1080:1920,"
        "setsar=1[v0];[1:v]format=rgba,fade=t=in:st=0.500:d=0.400:alpha=1,fade=t=out:st=1.600:d=0.400:alpha=1[p1];"
        "[v0][p1]overlay=x=10:y=20:eof_action=pass:enable='between(t,0.500,2.000)'[v1];[v1]format=yuv420p[vout];"
        f"[2:a]{stereo},atrim=duration=5.000,loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000[music];"
        f"[0:a]{stereo},atrim=duration=5.000,volume=0.5[clipa];"
        "[music][clipa]amix=inputs=2:duration=first:dropout_transition=0:normalize=0,"
        "alimiter=limit=0.89:level=false,afade=t=out:st=3.000:d=2.000,apad[aout]")


@pytest.mark.parametrize("kwargs, field", [
    ({"voice_volume": -1}, "voice_volume"), ({"music_volume": "loud"}, "music_volume"),
    ({"clip_volume": 9}, "clip_volume"), ({"caption_style": "karaoke"}, "caption_style"),
    ({"caption_style": "words"}, "words"), ({"words": [{"text": "hi", "start": 2, "end": 1}]}, "words"),
    ({"words": [{"text": "hi"}]}, "words"),
])
def test_bad_narration_settings_name_the_field(tmp_path, kwargs, field):
    with pytest.raises(MediaError, match=field):
        asyncio.run(assemble(AssemblySpec(clip=tmp_path / "c.mp4", output=tmp_path / "o.mp4", duration=2.0,
                                          **kwargs)))


def test_missing_narration_file_is_named(tmp_path, yellow_clip):
    with pytest.raises(MediaError, match="narration"):
        asyncio.run(assemble(AssemblySpec(clip=yellow_clip, output=tmp_path / "o.mp4", duration=2.0,
                                          narration=tmp_path / "voice.mp3")))
