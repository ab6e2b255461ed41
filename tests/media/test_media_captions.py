"""Captions: word timings fitted and grouped, the SRT and ASS writers, the caption band's place
beside the plates, and captions burned by libass into a real render, word by word."""

from __future__ import annotations

import asyncio
import importlib

import pytest
from PIL import Image
from media_helpers import frame_at, make_clip

from cctui.media import AssemblySpec, OverlayCue, assemble, plate_position, safe_area
from cctui.media.captions import (Phrase, Word, as_words, ass_text, ass_time, band_height, bundled_font,
                                  caption_font_size, fit_words, phrases, srt_text)
from cctui.media.layout import caption_band

ASSEMBLE = importlib.import_module("cctui.media.assemble")
BLUE = (0x40, 0x60, 0x80)
WORDS = [  # two phrases, one word crossing the 3.5 s end and one after it
    {"text": "Who", "start": 0.5, "end": 0.8}, {"text": "me?", "start": 0.8, "end": 1.3},
    {"text": "Never", "start": 2.0, "end": 2.4}, {"text": "ever.", "start": 2.4, "end": 2.8},
    {"text": "gone", "start": 3.1, "end": 3.9}, {"text": "late", "start": 3.6, "end": 4.0},
]


# -- timings --------------------------------------------------------------------------------------

def test_fit_words_drops_cuts_sorts_and_separates():
    words = [Word("b", 1.0, 1.6), {"text": "a", "start": 0.2, "end": 1.2}, Word("  ", 1.7, 1.8),
             Word("c", 2.5, 3.5), Word("d", 3.0, 3.2), Word("e", -0.5, 0.1)]
    # The same rules as the voice clients': "a" overlapping "b" ends where "b" is heard.
    assert fit_words(words, 3.0) == [Word("e", 0.0, 0.1), Word("a", 0.2, 1.0), Word("b", 1.0, 1.6),
                                     Word("c", 2.5, 3.0)]
    assert fit_words(None, 3.0) == []


@pytest.mark.parametrize("bad", [[{"text": "x", "start": 1}], [{"text": "x", "start": 2, "end": 1}],
                                 [{"text": "x", "start": "soon", "end": 1}], [Word("x", float("nan"), 1)]])
def test_as_words_rejects_bad_timings(bad):
    with pytest.raises(ValueError, match="word 0"):
        as_words(bad)


def test_phrases_split_at_length_pauses_and_sentences():
    words = [Word(t, s, s + 0.3) for t, s in
             [("one", 0.0), ("two", 0.3), ("three.", 0.6), ("four", 0.9), ("five", 1.2), ("six", 1.5),
              ("seven", 1.8), ("eight", 2.1), ("nine", 3.5)]]
    assert [p.text for p in phrases(words)] == ["one two three.", "four five six seven", "eight", "nine"]
    assert [p.text for p in phrases(words, max_words=10, max_gap=5)] == ["one two three.",
                                                                         "four five six seven eight nine"]
    assert phrases(words)[1].start == 0.9 and phrases(words)[1].end == 2.1


# -- writers --------------------------------------------------------------------------------------

def test_times_are_formatted_for_each_format():
    assert srt_text([Word("hi", 1.25, 61.9)]) == "1\n00:00:01,250 --> 00:01:01,900\nhi\n"
    assert ass_time(1.25) == "0:00:01.25" and ass_time(3723.999) == "1:02:03.99" and ass_time(0.29) == "0:00:00.29"


def test_srt_of_phrases():
    groups = phrases(fit_words(WORDS, 3.5))
    assert srt_text(groups) == ("1\n00:00:00,500 --> 00:00:01,300\nWho me?\n\n"
                                "2\n00:00:02,000 --> 00:00:02,800\nNever ever.\n\n"
                                "3\n00:00:03,100 --> 00:00:03,500\ngone\n")


def test_ass_word_by_word():
    text = ass_text([Word("Who", 0.5, 0.8), Word("me?", 0.9, 1.3)], 360, 640, font_size=22, margin_v=141)
    head, events = text.split("[Events]\n")
    assert "PlayResX: 360\nPlayResY: 640\n" in head
    x0, _, x1, _ = safe_area(360, 640)
    assert (f"Style: Caption,Aileron,22,&H00FFFFFF,&H003FD2FF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,2,0,2,"
            f"{x0},{360 - x1},141,1\n") in head
    assert events.splitlines()[1:] == [
        "Dialogue: 0,0:00:00.50,0:00:00.90,Caption,,0,0,0,,{\\c&H3FD2FF&}Who{\\r} me?",
        "Dialogue: 0,0:00:00.90,0:00:01.30,Caption,,0,0,0,,Who {\\c&H3FD2FF&}me?{\\r}",
    ]


def test_ass_phrases_and_unsafe_text():
    text = ass_text([Word("{\\b1}Café", 0.5, 0.8), Word("🐶", 0.8, 1.0), Word("ok", 1.0, 1.3)], 1080, 1920,
                    style="phrases")
    assert text.endswith("\nDialogue: 0,0:00:00.50,0:00:01.30,Caption,,0,0,0,,(/b1)Cafe ok\n")
    assert f",{1920 - safe_area(1080, 1920)[3]},1\n" in text  # default: at the bottom of the safe area
    with pytest.raises(ValueError, match="style"):
        ass_text([Word("x", 0, 1)], 100, 100, style="off")


def test_bundled_font_is_written_for_libass(tmp_path):
    path, family = bundled_font(tmp_path / "fonts")
    assert family == "Aileron" and path.parent == tmp_path / "fonts"
    assert path.read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType file


# -- layout ---------------------------------------------------------------------------------------

def overlaps(band, box) -> bool:
    _, y, _, h = box
    return band[0] < y + h and y < band[1]


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080), (1080, 1080), (1080, 1350), (360, 640)])
@pytest.mark.parametrize("plate_h", [0, 0.06, 0.2, 0.5])
def test_caption_band_is_in_the_safe_area_clear_of_the_plate(size, plate_h):
    w, h = size
    x0, y0, x1, y1 = safe_area(w, h)
    tall = band_height(caption_font_size(w))
    boxes = []
    if plate_h:
        pw, ph = round(0.7 * w), round(plate_h * h)
        boxes = [(*plate_position(pw, ph, w, h), pw, ph)]
    band = caption_band(w, h, tall, boxes)
    assert band[1] - band[0] == tall
    assert y0 <= band[0] and band[1] <= y1
    assert not any(overlaps(band, box) for box in boxes)
    if not boxes:
        assert band[1] == y1  # nothing in the way: as low as the platform UI allows


def test_caption_band_goes_above_a_low_plate():
    _, y0, _, y1 = safe_area(1080, 1920)
    low = (100, y1 - 300, 880, 300)  # a plate filling the bottom of the safe area
    top, bottom = caption_band(1080, 1920, 170, [low])
    assert bottom < low[1] and top >= y0
    # Below a plate when there is room, which there is for a one-line plate at its usual place.
    x, y = plate_position(600, 108, 1080, 1920)
    assert caption_band(1080, 1920, 170, [(x, y, 600, 108)])[0] > y + 108


# -- burned in ------------------------------------------------------------------------------------

def changed_rows(frame: Image.Image, rows: tuple[int, int] | None = None) -> list[int]:
    """Rows (of the given range) with pixels visibly off the flat blue background."""
    w, h = frame.size
    top, bottom = rows or (0, h)
    px = frame.load()
    return [y for y in range(top, bottom)
            if any(sum(abs(a - b) for a, b in zip(px[x, y], BLUE)) > 60 for x in range(0, w, 2))]


def highlight_centre(frame: Image.Image) -> float | None:
    """Mean x of the highlight-yellow pixels, or None when there are none."""
    xs = [x for x in range(frame.width) for y in range(frame.height // 2, frame.height)
          if (lambda r, g, b: r > 200 and g > 160 and b < 120)(*frame.getpixel((x, y)))]
    return sum(xs) / len(xs) if len(xs) > 20 else None


@pytest.fixture(scope="module")
def captioned(tmp_path_factory, media):
    clip = make_clip(media / "blue.mp4", source="color=c=0x406080", size="180x320", seconds=2)
    # Quotes, commas, colons and brackets in the folder: the ass filter's path has to be escaped.
    out = tmp_path_factory.mktemp("captions") / "it's [a], test: 1" / "final.mp4"
    spec = AssemblySpec(clip=clip, output=out, duration=3.5, width=360, height=640, encoding="draft",
                        cues=[OverlayCue(0, "Who, me?", 0.3, 1.5)], words=WORDS, caption_style="words")
    asyncio.run(assemble(spec))
    return spec


def test_captions_show_at_their_words_and_only_then(captioned):
    out = captioned.output
    plate_rows = set(changed_rows(frame_at(out, 0.4)))  # the plate alone, before the first word
    assert plate_rows
    fitted = fit_words(WORDS, 3.5)
    centres = []
    for word in fitted[:4]:
        frame = frame_at(out, (word.start + word.end) / 2)
        caption = [y for y in changed_rows(frame) if y not in plate_rows]
        assert len(caption) > 10, f"no caption for {word.text!r}"
        centres.append(highlight_centre(frame))
    # The highlight moves from word to word along each phrase.
    assert None not in centres and centres[0] < centres[1] and centres[2] < centres[3]
    for t in (1.65, 2.95):  # between phrases (the plate gone by then): nothing but the footage
        assert changed_rows(frame_at(out, t)) == [], t
    assert changed_rows(frame_at(out, 3.4))  # "gone", cut at the end, still shows to the last frame


def test_captions_sit_in_their_band_clear_of_the_plate(captioned):
    frame = frame_at(captioned.output, 1.0)  # "me?" under the plate "Who, me?"
    rows = changed_rows(frame)
    runs = [[rows[0]]]
    for y in rows[1:]:
        runs[-1].append(y) if y == runs[-1][-1] + 1 else runs.append([y])
    assert len(runs) == 2, "plate and caption should be separate"
    plate, caption = runs
    _, y0, _, y1 = safe_area(360, 640)
    assert y0 <= plate[0] and caption[-1] <= y1
    assert caption[0] - plate[-1] >= 4


def test_caption_script_never_runs_past_the_end(tmp_path, captioned):
    script = ASSEMBLE._render_captions(captioned, tmp_path, []).script.read_text()
    ends = [line.split(",")[2] for line in script.splitlines() if line.startswith("Dialogue:")]
    assert max(ends) == "0:00:03.50"
    assert "late" not in script and "gone" in script
    assert (tmp_path / "fonts" / "aileron.ttf").is_file()


def test_captions_off_writes_no_script(tmp_path, captioned):
    spec = AssemblySpec(clip=captioned.clip, output=tmp_path / "o.mp4", duration=3.5, words=WORDS)
    assert ASSEMBLE._render_captions(spec, tmp_path, []) is None
    assert "ass=" not in " ".join(ASSEMBLE._main_args(spec, spec.clip, [], False, tmp_path / "o.part"))


def test_phrase_type():
    p = Phrase((Word("a", 1.0, 1.5), Word("b", 1.6, 2.0)))
    assert (p.text, p.start, p.end) == ("a b", 1.0, 2.0)
