"""Word timing from a voice provider: alignment, transcription, even spreading, fitting to the audio
(the render groups them into phrases: `cctui.media.captions`)."""

from __future__ import annotations

import math
import random

import pytest

from cctui.providers.speech_words import (even_words, fit_words, words_from_alignment,
                                          words_from_transcription)


def aligned(text: str, step: float = 0.1):
    chars = list(text)
    return chars, [i * step for i in range(len(chars))], [(i + 1) * step for i in range(len(chars))]


def assert_well_formed(words, duration=None):
    for word in words:
        assert word["text"] and word["text"] == word["text"].strip()
        assert 0 <= word["start"] <= word["end"]
        if duration is not None:
            assert word["end"] <= duration and word["start"] < duration
    for a, b in zip(words, words[1:]):
        assert a["end"] <= b["start"], (a, b)


def test_alignment_words_keep_punctuation_and_span_their_characters():
    words = words_from_alignment(*aligned("Hello,  world! Mine."))
    assert [w["text"] for w in words] == ["Hello,", "world!", "Mine."]
    assert words[0] == {"text": "Hello,", "start": 0.0, "end": 0.6}
    assert words[1]["start"] == 0.8 and words[1]["end"] == 1.4  # after the double space
    assert_well_formed(words)


def test_alignment_unicode_and_empty_characters():
    chars, starts, ends = aligned("Ça  va, 猫ちゃん? ")
    chars.insert(3, "")
    starts.insert(3, 0.3)
    ends.insert(3, 0.3)
    words = words_from_alignment(chars, starts, ends)
    assert [w["text"] for w in words] == ["Ça", "va,", "猫ちゃん?"]
    assert_well_formed(words)


def test_alignment_lone_punctuation_joins_the_word_before():
    words = words_from_alignment(*aligned("wait — what ..."))
    assert [w["text"] for w in words] == ["wait —", "what ..."]


def test_alignment_lists_of_different_length_and_bad_times():
    chars, starts, ends = aligned("one two three")
    starts[5] = float("nan")
    words = words_from_alignment(chars, starts[:9], ends)  # cut off inside "three"
    assert [w["text"] for w in words] == ["one", "to", "t"]  # the "w" had no usable time
    assert_well_formed(words)


def test_alignment_of_nothing():
    assert words_from_alignment([], [], []) == []
    assert words_from_alignment(list("   "), [0, 1, 2], [1, 2, 3]) == []


def test_transcription_words_dicts_and_objects_overlapping_times():
    class W:
        def __init__(self, word, start, end):
            self.word, self.start, self.end = word, start, end

    words = words_from_transcription([{"word": " I", "start": 0.0, "end": 0.5}, W("am", 0.4, 0.9),
                                      {"word": "", "start": 1, "end": 2}, {"word": "here", "start": None, "end": 2},
                                      {"word": "home", "start": 1.0, "end": 1.4}])
    assert [w["text"] for w in words] == ["I", "am", "home"]
    assert words[0]["end"] == 0.4  # the overlap is cut where the next word is heard
    assert_well_formed(words)
    assert words_from_transcription(None) == []


def test_same_start_words_merge_rather_than_vanish():
    words = words_from_transcription([{"word": "big", "start": 1.0, "end": 1.3}, {"word": "cat", "start": 1.0,
                                                                                   "end": 1.6}])
    assert words == [{"text": "big cat", "start": 1.0, "end": 1.6}]


def test_even_words_cover_the_duration_by_length():
    words = even_words("a  bbbb cc", 7.0)
    assert [w["text"] for w in words] == ["a", "bbbb", "cc"]
    assert words[0]["start"] == 0 and words[-1]["end"] == 7.0
    assert (words[1]["end"] - words[1]["start"]) > (words[0]["end"] - words[0]["start"])
    assert_well_formed(words, 7.0)
    assert even_words("", 3) == [] and even_words("hi", 0) == []


def test_fit_words_drops_cuts_sorts_and_clamps():
    words = [{"text": "late", "start": 3.0, "end": 3.5}, {"text": "crossing", "start": 2.5, "end": 4.0},
             {"text": "first", "start": -0.2, "end": 0.4}, {"text": "back", "start": 1.0, "end": 0.5},
             {"text": "at-end", "start": 3.2, "end": 3.3}]
    fitted = fit_words(words, 3.0)
    assert fitted == [{"text": "first", "start": 0.0, "end": 0.4}, {"text": "back", "start": 1.0, "end": 1.0},
                      {"text": "crossing", "start": 2.5, "end": 3.0}]
    assert fit_words(words, 0) == [] and fit_words(words, float("nan")) == []


@pytest.mark.parametrize("seed", range(25))
def test_fit_words_holds_for_random_provider_times(seed):
    rng = random.Random(seed)
    duration = rng.uniform(0.5, 10)
    words = [{"text": rng.choice(["cat", "—", "ok!", " dog ", "猫"]), "start": rng.uniform(-1, 12),
              "end": rng.uniform(-1, 12)} for _ in range(rng.randint(0, 30))]
    fitted = fit_words(words, duration)
    assert_well_formed(fitted, round(duration, 3))
    assert all(not math.isnan(w["start"]) for w in fitted)


