"""The render form's narration fields (`media.assemble`): pre-filled from what the run made,
checked with the field named, and a narration longer than the video said before rendering."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from cctui.engine.errors import AnswerError
from cctui.engine.modules.media_assemble import MediaAssemble

ROOT = Path(__file__).resolve().parent.parent
FORM = json.loads((ROOT / "workflows" / "cc" / "steps" / "10_workflow_summary" / "schemas" /
                   "assembly_settings.json").read_text())


def inputs(tmp_path: Path, *, words=None, duration=None, made=True) -> dict:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not read here")
    voice = tmp_path / "voice.mp3"
    voice.write_bytes(b"not read here")
    narration = None
    if made:
        metadata = {"words": words if words is not None else [{"text": "Hi", "start": 0.2, "end": 0.5}]}
        if duration is not None:
            metadata["duration"] = duration
        narration = {"content_id": "n1", "kind": "audio", "local_path": str(voice), "metadata": metadata}
    return {"video": {"local_path": str(clip), "metadata": {}}, "duration": 8, "overlay_lines": ["One", "Two"],
            "narration": narration, "settings_schema": FORM}


async def display(data: dict) -> dict:
    return await MediaAssemble().display(SimpleNamespace(where="workflow_summary/assemble_video"), data)


async def test_a_narration_is_preselected_with_word_captions(tmp_path):
    shown = await display(inputs(tmp_path))
    assert shown["prefill"]["narration_source"] == "generated" and shown["prefill"]["caption_style"] == "words"
    assert shown["notes"] == []
    settings = MediaAssemble().settings(inputs(tmp_path), {})
    assert settings["narration_path"].endswith("voice.mp3") and settings["caption_style"] == "words"
    assert (settings["voice_volume"], settings["music_volume"], settings["clip_volume"]) == (100, 100, 100)


async def test_without_a_narration_there_are_no_captions(tmp_path):
    data = inputs(tmp_path, made=False)
    shown = await display(data)
    assert shown["prefill"]["narration_source"] == "none" and shown["prefill"]["caption_style"] == "off"
    with pytest.raises(AnswerError, match="Narration: no narration was made in the narration step"):
        MediaAssemble().settings(data, {"narration_source": "generated"})
    with pytest.raises(AnswerError, match="Captions: they follow the narration's words, and this render has no "
                                          "narration; choose Off"):
        MediaAssemble().settings(data, {"caption_style": "phrases"})


def test_a_narration_gone_from_disk_is_named(tmp_path):
    data = inputs(tmp_path)
    Path(data["narration"]["local_path"]).unlink()
    with pytest.raises(AnswerError, match=r"Narration: .*voice\.mp3 is missing on disk"):
        MediaAssemble().settings(data, {})


def test_a_narration_without_word_timing_can_be_heard_but_not_captioned(tmp_path):
    data = inputs(tmp_path, words=[])
    with pytest.raises(AnswerError, match="a narration without word timing; choose Off"):
        MediaAssemble().settings(data, {"caption_style": "words"})
    assert MediaAssemble().settings(data, {"caption_style": "off"})["narration_path"]


async def test_a_narration_longer_than_the_video_is_said_before_rendering(tmp_path):
    words = [{"text": w, "start": 1.5 * i, "end": 1.5 * i + 0.4} for i, w in enumerate("a b c d e f g".split())]
    (note,) = (await display(inputs(tmp_path, words=words, duration=9.6)))["notes"]
    # Words at 0, 1.5, .. 9.0 s over an 8 s video: the one at 9.0 s is past the end.
    assert note == ("The narration is 9.6 s and the video 8 s: it is cut at the end, and its last word is not "
                    "heard. Shorten the text in the narration step, or render it cut.")
