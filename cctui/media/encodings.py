"""How the final video is encoded: a few named trade-offs between render time and file size.

A creator chooses by what they want (a quick look, the usual file, a small one to send, the most
detail), not by x264's vocabulary; the bench measures what each costs in seconds and megabytes
(`python -m bench --only render`), and the README quotes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cctui.media.errors import MediaError


@dataclass(frozen=True)
class Encoding:
    name: str
    preset: str  # x264's speed/efficiency preset
    crf: int  # constant rate factor: lower is more detail and a bigger file


ENCODINGS = {e.name: e for e in (
    Encoding("standard", "veryfast", 20),
    # ultrafast turns off most of x264's tools: about a third less time, more than twice the bytes.
    Encoding("draft", "ultrafast", 23),
    Encoding("small", "veryfast", 25),
    Encoding("detailed", "medium", 18),
)}
DEFAULT_ENCODING = "standard"


def encoding(name: str | None) -> Encoding:
    """The named encoding (None or empty: the default); MediaError naming the choices otherwise."""
    key = str(name or DEFAULT_ENCODING).strip().lower()
    try:
        return ENCODINGS[key]
    except KeyError:
        raise MediaError(f"unknown encoding {name!r}: use {', '.join(ENCODINGS)}") from None
