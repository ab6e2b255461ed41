"""The stand-in's voice: real MP3 speech-like audio whose words are where its timing says.

Each word of the text becomes a voiced two-formant buzz, one short pulse per syllable, at about
2.5 words a second with silence between words; the samples are computed here (`wave`, no numpy)
and encoded to MP3 by ffmpeg. `speak()` returns the file with the true timing of every word and
character, and remembers them by the MP3's sha256 (`spoken()`), so the transcription stand-in
can "hear" exactly the words the speech stand-in said.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .media_factory import _run_ffmpeg, ensure_file

RATE = 16_000
LEAD, TAIL = 0.20, 0.30  # silence before the first and after the last word
GAP = 0.18  # silence between words
SYLLABLE = 0.11  # seconds per syllable, plus WORD_BASE per word
WORD_BASE = 0.08
_VOWELS = re.compile(r"[aeiouyàáâäåæèéêëìíîïòóôöøùúûüÿœ]+", re.IGNORECASE)


@dataclass
class Spoken:
    text: str
    words: list[dict[str, Any]]  # {"word", "start", "end"}: where each word's sound is
    duration: float
    characters: list[str]
    starts: list[float]
    ends: list[float]

    def alignment(self) -> dict[str, Any]:
        return {"characters": self.characters, "character_start_times_seconds": self.starts,
                "character_end_times_seconds": self.ends}


def _syllables(token: str) -> int:
    letters = [ch for ch in token if ch.isalpha()]
    if not letters:
        return 1
    groups = len(_VOWELS.findall(token))
    return max(1, min(6, groups or math.ceil(len(letters) / 3)))


def plan(text: str) -> Spoken:
    """Where each word (and each character) is in the audio, before any sample is made."""
    tokens = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
    words: list[dict[str, Any]] = []
    chars = list(text)
    starts = [0.0] * len(chars)
    ends = [0.0] * len(chars)
    at = LEAD
    previous_end, previous_index = 0.0, 0
    for first, last, token in tokens:
        length = WORD_BASE + SYLLABLE * _syllables(token)
        start, end = round(at, 3), round(at + length, 3)
        for i in range(previous_index, first):  # the whitespace before the word spans the silence
            starts[i], ends[i] = round(previous_end, 3), start
        span = (end - start) / (last - first)
        for k, i in enumerate(range(first, last)):
            starts[i], ends[i] = round(start + k * span, 3), round(start + (k + 1) * span, 3)
        words.append({"word": token, "start": start, "end": end, "syllables": _syllables(token)})
        previous_end, previous_index = end, last
        at = end + GAP
    duration = round((words[-1]["end"] if words else LEAD) + TAIL, 3)
    for i in range(previous_index, len(chars)):
        starts[i], ends[i] = round(previous_end, 3), duration
    return Spoken(text, words, duration, chars, starts, ends)


def _pitch(voice: str) -> float:
    """A fundamental per voice (100-220 Hz), so two voices sound different."""
    return 100.0 + int(hashlib.sha256(voice.encode("utf-8")).hexdigest()[:4], 16) % 120


def _samples(spoken: Spoken, voice: str) -> bytes:
    total = int(spoken.duration * RATE) + 1
    out = bytearray(total * 2)
    f0 = _pitch(voice)
    for word in spoken.words:
        first, last = int(word["start"] * RATE), int(word["end"] * RATE)
        count = max(1, last - first)
        per = count / word["syllables"]
        for n in range(count):
            t = n / RATE
            within = (n % per) / per  # position inside this syllable
            envelope = math.sin(math.pi * within) ** 0.6  # a pulse per syllable, never a click
            syllable = int(n // per)
            f1 = 500 + 180 * (syllable % 3)  # formants move a little from syllable to syllable
            value = (0.5 * math.sin(2 * math.pi * f0 * t) + 0.3 * math.sin(2 * math.pi * f1 * t)
                     + 0.15 * math.sin(2 * math.pi * 1500 * t))
            sample = int(max(-1.0, min(1.0, 0.6 * envelope * value)) * 32767)
            out[(first + n) * 2:(first + n) * 2 + 2] = sample.to_bytes(2, "little", signed=True)
    return bytes(out)


def _spoken_dir(files_dir: Path) -> Path:
    return files_dir / "speech"


def speak(files_dir: Path, text: str, voice: str, *, sample_rate: int = 44_100, kbps: int = 128) -> tuple[Path, Spoken]:
    """The MP3 of `text` said by `voice` (cached), and where its words are."""
    spoken = plan(text)
    key = hashlib.sha256(f"{voice}|{sample_rate}|{kbps}|{text}".encode("utf-8")).hexdigest()[:24]

    def build(out: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="standin-voice-") as tmp:
            raw = Path(tmp) / "voice.wav"
            with wave.open(str(raw), "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(RATE)
                wav.writeframes(_samples(spoken, voice))
            _run_ffmpeg(["-i", str(raw), "-ar", str(sample_rate), "-ac", "1", "-c:a", "libmp3lame",
                         "-b:a", f"{kbps}k", "-f", "mp3", str(out)])

    path = ensure_file(_spoken_dir(files_dir) / f"{key}.mp3", build)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    memo = _spoken_dir(files_dir) / f"{digest}.json"
    if not memo.exists():
        memo.write_text(json.dumps({"text": text, "duration": spoken.duration,
                                    "words": [{k: w[k] for k in ("word", "start", "end")} for w in spoken.words]}),
                        "utf-8")
    return path, spoken


def spoken(files_dir: Path, data: bytes) -> dict[str, Any] | None:
    """What the stand-in said in this audio ({"text", "duration", "words"}), if it made it."""
    memo = _spoken_dir(files_dir) / f"{hashlib.sha256(data).hexdigest()}.json"
    try:
        return json.loads(memo.read_text("utf-8"))
    except (OSError, ValueError):
        return None
