"""When each overlay line shows: one line at a time, evenly spread, with empty gaps between lines.

A short pause before the first line and after the last one also separates the last line from
the first when the post loops.
"""

from __future__ import annotations

from dataclasses import dataclass

FADE = 0.4
# Below this a line flashes by too fast to read; lead-in and gaps shrink before slots do.
MIN_SLOT = 1.2


@dataclass(frozen=True)
class OverlayCue:
    index: int
    text: str
    start: float
    end: float
    fade: float = FADE


def cue_fade(cue: OverlayCue) -> float:
    """Fade-in (and fade-out) length: the cue's fade, but never more than a third of a short cue."""
    return max(0.0, min(cue.fade, (cue.end - cue.start) / 3))


def overlay_cues(lines: list[str], duration: float, *, lead_in: float = 0.5, gap: float = 0.6,
                 fade: float = FADE) -> list[OverlayCue]:
    """One cue per non-blank line, equal slots across `duration`, `gap` seconds of nothing between them."""
    if not duration > 0:
        raise ValueError(f"duration must be positive, not {duration!r}")
    texts = [line.strip() for line in lines if line and line.strip()]
    n = len(texts)
    if not n:
        return []
    lead_in, gap = max(0.0, lead_in), max(0.0, gap)
    spacing = 2 * lead_in + (n - 1) * gap
    slot = (duration - spacing) / n
    if slot < MIN_SLOT and spacing > 0:
        # Too many lines for the time: squeeze the pauses (down to none) to keep lines readable.
        keep = max(0.0, min(1.0, (duration - n * MIN_SLOT) / spacing))
        lead_in, gap = lead_in * keep, gap * keep
        slot = (duration - 2 * lead_in - (n - 1) * gap) / n
    starts = [round(lead_in + i * (slot + gap), 3) for i in range(n)]
    # Ends are clamped so millisecond rounding can never make neighbours overlap or pass the end.
    ends = [min(round(starts[i] + slot, 3), starts[i + 1] if i + 1 < n else round(duration - lead_in, 3))
            for i in range(n)]
    return [OverlayCue(index=i, text=text, start=starts[i], end=ends[i], fade=fade)
            for i, text in enumerate(texts)]


def at(cues: list[OverlayCue], t: float) -> OverlayCue | None:
    """The cue on screen at time t, if any."""
    for cue in cues:
        if cue.start <= t < cue.end:
            return cue
    return None


def srt_time(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def to_srt(cues: list[OverlayCue]) -> str:
    """SubRip text: numbered blocks from 1, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, blank line between."""
    blocks = [f"{n}\n{srt_time(c.start)} --> {srt_time(c.end)}\n{c.text}\n" for n, c in enumerate(cues, 1)]
    return "\n".join(blocks)
