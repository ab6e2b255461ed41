"""Overlay timing: one line at a time, evenly spread, gaps between, SRT out."""

from __future__ import annotations

import pytest

from cctui.media import OverlayCue, at, cue_fade, overlay_cues, to_srt
from cctui.media.timeline import MIN_SLOT, srt_time


def assert_well_formed(cues: list[OverlayCue], duration: float) -> None:
    assert [c.index for c in cues] == list(range(len(cues)))
    for cue in cues:
        assert 0 <= cue.start < cue.end <= duration
    for a, b in zip(cues, cues[1:]):
        assert a.end <= b.start, f"{a} overlaps {b}"


@pytest.mark.parametrize("n", [3, 5, 8])
@pytest.mark.parametrize("duration", [15, 30, 60])
def test_cues_spread_evenly_with_gaps(n, duration):
    cues = overlay_cues([f"line {i}" for i in range(n)], duration)
    assert len(cues) == n
    assert_well_formed(cues, duration)
    assert cues[0].start == pytest.approx(0.5)
    assert cues[-1].end == pytest.approx(duration - 0.5)
    expected_slot = (duration - 1.0 - 0.6 * (n - 1)) / n
    for cue in cues:
        assert cue.end - cue.start == pytest.approx(expected_slot, abs=0.002)
        assert cue.end - cue.start >= MIN_SLOT
    for a, b in zip(cues, cues[1:]):
        assert b.start - a.end == pytest.approx(0.6, abs=0.002)
    assert [c.text for c in cues] == [f"line {i}" for i in range(n)]


def test_blank_lines_are_dropped_and_text_trimmed():
    cues = overlay_cues(["  first  ", "", "   ", "\t", "second"], 12)
    assert [c.text for c in cues] == ["first", "second"]
    assert [c.index for c in cues] == [0, 1]
    assert overlay_cues([], 12) == []
    assert overlay_cues(["", "  "], 12) == []


def test_too_many_lines_squeeze_the_pauses_never_overlap():
    for n, duration in [(20, 10), (12, 15), (5, 6), (1, 1)]:
        cues = overlay_cues([f"l{i}" for i in range(n)], duration)
        assert len(cues) == n
        assert_well_formed(cues, duration)
        slots = [c.end - c.start for c in cues]
        assert max(slots) - min(slots) < 0.003


def test_custom_lead_in_and_gap():
    cues = overlay_cues(["a", "b"], 10, lead_in=1.0, gap=2.0, fade=0.25)
    assert [(c.start, c.end) for c in cues] == [(1.0, 4.0), (6.0, 9.0)]
    assert all(c.fade == 0.25 for c in cues)


def test_srt_exact():
    cues = overlay_cues(["Hello there", "Second line"], 10)
    assert to_srt(cues) == (
        "1\n"
        "00:00:00,500 --> 00:00:04,700\n"
        "Hello there\n"
        "\n"
        "2\n"
        "00:00:05,300 --> 00:00:09,500\n"
        "Second line\n"
    )
    assert to_srt([]) == ""


def test_srt_time_format():
    assert srt_time(0) == "00:00:00,000"
    assert srt_time(3661.5) == "01:01:01,500"
    assert srt_time(59.9996) == "00:01:00,000"
    assert srt_time(7.0404) == "00:00:07,040"


def test_at_finds_the_cue_on_screen():
    cues = overlay_cues(["a", "b", "c"], 15)
    for cue in cues:
        assert at(cues, (cue.start + cue.end) / 2) is cue
        assert at(cues, cue.start) is cue
        assert at(cues, cue.end) is not cue
    assert at(cues, 0.2) is None
    assert at(cues, (cues[0].end + cues[1].start) / 2) is None
    assert at(cues, 14.8) is None
    assert at([], 1.0) is None


def test_cue_fade_never_more_than_a_third_of_the_cue():
    assert cue_fade(OverlayCue(0, "x", 1.0, 5.0)) == pytest.approx(0.4)
    assert cue_fade(OverlayCue(0, "x", 1.0, 1.6)) == pytest.approx(0.2)
    assert cue_fade(OverlayCue(0, "x", 1.0, 5.0, fade=0.0)) == 0.0


def test_cue_is_frozen_and_positional():
    cue = OverlayCue(2, "text", 1.0, 2.0)
    assert (cue.index, cue.text, cue.start, cue.end) == (2, "text", 1.0, 2.0)
    with pytest.raises(AttributeError):
        cue.start = 3.0  # type: ignore[misc]


@pytest.mark.parametrize("duration", [0, -1])
def test_duration_must_be_positive(duration):
    with pytest.raises(ValueError):
        overlay_cues(["a"], duration)
