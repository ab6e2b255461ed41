"""A `--demo` batch run with a narration, looked at from the outside: the final MP4's captions show
at their words (frames at word midpoints), the voice is on top of music ducked under it (levels
measured in and out of speech), and nothing runs past the end. Real clients over HTTP against the
stand-in, whose voice is a real MP3 with a buzz at 1500 Hz in every word."""

from __future__ import annotations

import json
import math
import os
import sqlite3
from pathlib import Path

import pytest
from media_helpers import frame_at, pcm, tone_level

from cctui.cli import main
from cctui.media import probe
from cctui.media.captions import band_height
from cctui.standin.media_factory import NOTE_FREQS
from cctui.standin.speech_synth import _pitch

ROOT = Path(__file__).resolve().parents[2]
RATE = 48000
VOICE_BUZZ = 1500.0  # in every word the stand-in says, and nowhere in its music
FORMANTS = (500.0, 680.0, 860.0, VOICE_BUZZ)


@pytest.fixture(scope="module")
def narrated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("narrated")
    answers = json.loads((ROOT / "examples" / "cc-answers.json").read_text())
    answers["assemble_video"] = {"values": {"loop_mode": "loop", "caption_style": "words", "encoding": "draft"}}
    given = folder / "answers.json"
    given.write_text(json.dumps(answers))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CCTUI_DEMO_JOB_SECONDS", "0.3")
        code = main(["--data-dir", str(folder / "data"), "run", str(ROOT / "workflows" / "cc"),
                     "--answers", str(given), "--demo"])
    assert code == 0
    (state,) = sqlite3.connect(folder / "data" / "cctui.db").execute("SELECT state FROM runs").fetchone()
    return json.loads(state)


def caption_band(ass: str, width: int, height: int) -> tuple[int, int]:
    """The rows the captions are drawn in, from the burned script's style (its MarginV)."""
    style = next(line for line in ass.splitlines() if line.startswith("Style: Caption,"))
    fields = style.split(":", 1)[1].split(",")
    size, margin_v = int(fields[2]), int(fields[21])
    bottom = height - margin_v
    return bottom - band_height(size), bottom


def lit(frame, band: tuple[int, int]) -> tuple[int, float | None, int]:
    """In the band: how many highlight-yellow pixels, their mean x, and how many white ones."""
    px = frame.load()
    xs, white = [], 0
    for y in range(band[0], band[1], 2):
        for x in range(0, frame.width, 2):
            r, g, b = px[x, y]
            if r > 200 and g > 160 and b < 120:
                xs.append(x)
            elif r > 225 and g > 225 and b > 225:
                white += 1
    return len(xs), (sum(xs) / len(xs) if xs else None), white


def test_the_captions_show_at_their_words_and_never_past_the_end(narrated):
    final = narrated["final_video"]
    video = Path(final["path"])
    words = final["narration"]["words"]
    duration = probe(video).duration
    assert final["narration"]["caption_style"] == "words" and len(words) >= 8
    assert duration <= narrated["duration_selection"]["video_duration"] + 0.05
    ass = Path(final["narration"]["ass_path"]).read_text(encoding="utf-8")
    band = caption_band(ass, final["width"], final["height"])
    # The first two phrases, word by word: each lit as it is spoken, left to right within a phrase.
    centres = []
    for word in words[:8]:
        count, centre, white = lit(frame_at(video, (word["start"] + word["end"]) / 2), band)
        assert count > 30 and white > 30, f"no caption for {word['text']!r} at {word['start']} s"
        centres.append(centre)
    assert centres[0] < centres[1] < centres[2]
    # After the last word: the captions are gone, the band is back to the footage.
    after = words[-1]["end"] + 0.6
    assert after < duration - 0.2
    count, _, white = lit(frame_at(video, after), band)
    assert count < 10 and white < 10
    # No caption line (burned or exported) ends after the video does.
    ends = [line.split(",")[2] for line in ass.splitlines() if line.startswith("Dialogue:")]
    h, m, s = max(ends).split(":")
    assert int(h) * 3600 + int(m) * 60 + float(s) <= duration + 0.01
    srt = Path(final["narration"]["srt_path"]).read_text(encoding="utf-8")
    assert words[0]["text"] in srt and all(w["end"] <= duration for w in words)
    export = Path(narrated["export_dir"])
    assert {"narration.mp3", "narration.txt", "captions.srt", "captions.ass"} <= {p.name for p in export.iterdir()}


def db(samples, freq: float, start: float, end: float) -> float:
    return 20 * math.log10(tone_level(samples[int(start * RATE):int(end * RATE)], freq, RATE) + 1e-9)


def music_probe_frequency(music: Path, voice: str) -> float:
    """A steady note of the stand-in's music (its pad, at half and three quarters of its root)
    far from the stand-in voice's pitch, formants and their harmonics."""
    samples = pcm(music, RATE)
    root = max((f / 2 for f in NOTE_FREQS.values()), key=lambda f: db(samples, f / 2, 1.0, 3.0))
    f0 = _pitch(voice)
    voice_tones = [k * f0 for k in range(1, 6)] + list(FORMANTS)
    return max((root / 2, root * 0.75), key=lambda f: min(abs(f - t) for t in voice_tones))


def test_the_voice_is_on_top_of_music_ducked_under_it(narrated):
    final = narrated["final_video"]
    words = final["narration"]["words"]
    samples = pcm(Path(final["path"]), RATE)
    freq = music_probe_frequency(Path(narrated["selected_music_track"]["local_path"]),
                                 narrated["selected_narration"]["metadata"]["voice"])
    # Inside words (their middle), from the second sentence on: the compressor has settled.
    inside = [(w["start"] + 0.3 * (w["end"] - w["start"]), w["end"] - 0.3 * (w["end"] - w["start"]))
              for w in words[4:-1] if w["end"] - w["start"] >= 0.15]
    voice_in = sum(db(samples, VOICE_BUZZ, a, b) for a, b in inside) / len(inside)
    music_in = sum(db(samples, freq, a, b) for a, b in inside) / len(inside)
    # After the voice, before the music's fade at the end.
    quiet = (words[-1]["end"] + 0.8, min(words[-1]["end"] + 2.3, final["duration"] - 2.1))
    assert quiet[1] - quiet[0] >= 0.6
    voice_out, music_out = db(samples, VOICE_BUZZ, *quiet), db(samples, freq, *quiet)
    assert voice_in - voice_out >= 20, (voice_in, voice_out)  # the voice is where its words are
    assert music_out - music_in >= 6, (music_in, music_out, freq)  # and the music ducks under it
