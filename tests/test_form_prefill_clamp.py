"""Values pre-filled into a generation form (an LLM's answer, earlier state, the schema default)
are fitted to the form's JSON Schema, each adjustment with a note; values the caller gives (the
creator, an answers file) are checked as given and refused with the field's name. And the CC
run whose music LLM suggests 2 s finishes in batch mode (stand-in, real clients, resume)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cctui.batch import BatchError, BatchRunner, check_answers, load_answers
from cctui.cli import main
from cctui.engine.engine import Engine, load
from cctui.engine.forms import FormError, form_check, form_defaults, form_prefill, form_values
from cctui.engine.ux import media_tabs
from cctui.media.probe import probe
from fakes import FakeProviders

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cc-answers.json"


def tab(**fields) -> dict:
    """A `tab.media` schema whose input fields read the prompt data field of the same name."""
    props = {"_text": {"type": "string", "title": "Prompt", "destination_field": "prompt",
                       "_ux": {"source_field": "prompt"}}}
    for name, schema in fields.items():
        schema = dict(schema)
        schema["_ux"] = {"source_field": name, **schema.get("_ux", {})}
        props[name] = schema
    return {"_ux": {"render_as": "tab.media", "input_schema": {"type": "object", "properties": props}}}


LENGTH = {"type": "integer", "title": "Length (seconds)", "minimum": 3, "maximum": 600, "step": 1,
          "_ux": {"unit": "s"}}


def prefilled(schema: dict, value) -> tuple:
    """(value, note) of the field `x` pre-filled with `value`."""
    result = form_check(tab(x=schema), {"prompt": "a cat", "x": value}, {})
    return result.values.get("x"), result.notes.get("x")


# ---------------------------------------------------------------------- each rule, each note


def test_below_the_minimum_is_raised_to_it():
    assert prefilled(LENGTH, 2) == (3, "Length (seconds): 2 s raised to the minimum, 3 s")


def test_above_the_maximum_is_lowered_to_it():
    assert prefilled(LENGTH, 900) == (600, "Length (seconds): 900 s lowered to the maximum, 600 s")


def test_a_number_without_unit_and_a_number_field():
    schema = {"type": "number", "title": "Guidance", "minimum": 0.5, "maximum": 2}
    assert prefilled(schema, 0.2) == (0.5, "Guidance: 0.2 raised to the minimum, 0.5")
    assert prefilled(schema, 7) == (2.0, "Guidance: 7 lowered to the maximum, 2")


def test_off_a_multiple_of_is_snapped():
    schema = {"type": "number", "title": "Strength", "minimum": 0, "maximum": 1, "multipleOf": 0.25}
    assert prefilled(schema, 0.4) == (0.5, "Strength: 0.4 snapped to a multiple of 0.25, 0.5")
    assert prefilled(schema, 0.5) == (0.5, None)


def test_off_a_step_from_the_minimum_is_snapped():
    schema = {"type": "integer", "title": "Width", "minimum": 512, "maximum": 1536, "step": 8}
    assert prefilled(schema, 515) == (512, "Width: 515 snapped to a step of 8 from 512, 512")
    assert prefilled(schema, 1533) == (1536, "Width: 1533 snapped to a step of 8 from 512, 1536")
    # Both: lowered, then onto the step below the maximum.
    schema = {"type": "integer", "title": "Frames", "minimum": 0, "maximum": 100, "multipleOf": 8}
    assert prefilled(schema, 150) == (96, "Frames: 150 lowered to the maximum and snapped to a multiple of 8, 96")


def test_an_integer_field_given_a_fraction_is_rounded():
    assert prefilled(LENGTH, 12.6) == (13, "Length (seconds): 12.6 s rounded to a whole number, 13 s")
    assert prefilled(LENGTH, 2.6) == (3, "Length (seconds): 2.6 s rounded to a whole number, 3 s")
    assert prefilled(LENGTH, 2.4) == (3, "Length (seconds): 2.4 s rounded to a whole number and raised to "
                                         "the minimum, 3 s")
    assert prefilled(LENGTH, "20") == (20, None)  # the same number as text: nothing adjusted


def test_an_enum_value_that_is_not_an_option():
    quality = {"type": "string", "title": "Quality", "enum": ["low", "medium", "high"], "default": "medium"}
    assert prefilled(quality, "ultra") == ("medium", 'Quality: "ultra" replaced by the default, "medium"')
    assert prefilled(quality, "High") == ("high", 'Quality: "High" replaced by the matching option, "high"')
    size = {"type": "string", "title": "Size", "enum": ["1024x1536", "1024x1024"]}
    assert prefilled(size, "huge") == ("1024x1536", 'Size: "huge" replaced by the first option, "1024x1536"')
    duration = {"type": "string", "title": "Duration", "enum": ["4", "8", "12"], "default": "8"}
    assert prefilled(duration, 5) == ("4", 'Duration: 5 replaced by the nearest option, "4"')
    assert prefilled(duration, 11) == ("12", 'Duration: 11 replaced by the nearest option, "12"')
    assert prefilled(duration, "8") == ("8", None)


def test_a_value_no_adjustment_can_fit_gives_way_to_the_default_or_is_left_empty():
    assert prefilled({**LENGTH, "default": 30}, "long") == (
        30, 'Length (seconds): "long" is not a whole number, replaced by the default, 30 s')
    assert prefilled(LENGTH, "long") == (None, 'Length (seconds): "long" is not a whole number, left empty')


def test_a_schema_default_outside_the_bounds_is_fitted_too():
    values = form_prefill(tab(x={**LENGTH, "default": 1}), {"prompt": "a cat"})
    assert values.values["x"] == 3 and values.notes == {"x": "Length (seconds): 1 s raised to the minimum, 3 s"}
    assert form_defaults(tab(x={**LENGTH, "default": 1}), {"prompt": "a cat"})["x"] == 3


# ---------------------------------------------------------------------- values the caller gives


@pytest.mark.parametrize("given, message", [
    (2, "Length (seconds): 2 is outside 3..600"),
    (601, "Length (seconds): 601 is outside 3..600"),
    (2.6, "Length (seconds): 2.6 is not a valid integer"),
])
def test_a_value_the_caller_gives_is_refused_not_clamped(given, message):
    with pytest.raises(FormError) as info:
        form_values(tab(x=LENGTH), {"prompt": "a cat", "x": 20}, {"x": given})
    assert str(info.value) == message
    assert info.value.field.key == "x" and info.value.prefilled is False


def test_caller_enum_and_multiple_of_are_refused():
    schema = {"type": "number", "title": "Strength", "multipleOf": 0.25}
    with pytest.raises(FormError, match="Strength: 0.4 must be a multiple of 0.25"):
        form_values(tab(x=schema), {"prompt": "a cat"}, {"x": 0.4})
    quality = {"type": "string", "title": "Quality", "enum": ["low", "high"]}
    with pytest.raises(FormError, match="Quality: 'ultra' is not one of low, high"):
        form_values(tab(x=quality), {"prompt": "a cat"}, {"x": "ultra"})


def test_a_caller_value_replaces_the_prefill_and_its_note():
    result = form_check(tab(x=LENGTH), {"prompt": "a cat", "x": 2}, {"x": 10})
    assert result.values["x"] == 10 and result.notes == {}
    result = form_check(tab(x=LENGTH), {"prompt": "a cat", "x": 2}, {"prompt": "a dog"})
    assert result.values == {"prompt": "a dog", "x": 3} and list(result.notes) == ["x"]


def test_an_error_in_a_prefilled_value_says_so():
    with pytest.raises(FormError, match="the prompt is empty") as info:
        form_values(tab(x=LENGTH), {"prompt": "  ", "x": 20}, {})
    assert info.value.prefilled is True and info.value.field.destination == "prompt"


def test_the_cc_music_form_fits_an_llm_suggestion_of_2_seconds(cc_workflow):
    workflow = load(cc_workflow)
    step = workflow.steps[workflow.step_index("music")]
    spec = next(m for m in step.modules if m.name == "generate_music")
    elevenlabs = media_tabs(spec.inputs["schema"])["elevenlabs"]
    prompt = {"label": "Gentle", "prompt": "Soft lullaby", "negative_prompt": "drums", "duration_seconds": 2}
    result = form_check(elevenlabs, prompt, {})
    assert result.values["duration"] == 3
    assert result.notes == {"duration": "Length (seconds): 2 s raised to the minimum, 3 s"}


# ---------------------------------------------------------------------- batch mode


def music_answers(answers: dict, duration: int = 2) -> dict:
    """The example answers, but the music prompts are asked again with a stand-in marker that
    makes its LLM suggest `duration` seconds for every prompt."""
    answers["select_music_prompt"] = [
        {"option": "retry_music_prompts", "feedback": f"STANDIN:duration={duration} Make it very short."},
        {"select": [0], "option": "continue"},
    ]
    return answers


def test_answers_file_values_are_checked_before_the_run_starts(cc_workflow):
    answers = load_answers(EXAMPLE)
    answers["generate_music"]["sub_actions"][0]["params"] = {"duration": 2}
    with pytest.raises(BatchError) as info:
        check_answers(answers, load(cc_workflow), "a.json")
    assert str(info.value) == ("a.json: at $.generate_music.sub_actions[0].params.duration: "
                               "Length (seconds): 2 is outside 3..600")


async def test_a_prefilled_value_is_never_the_answers_files_fault(tmp_path, cc_workflow, monkeypatch):
    """A pre-filled value that cannot be fitted (an empty prompt from the LLM) stops the run with
    a way past: the answers file gives the value, and the resume goes on."""
    providers = FakeProviders()
    llm = providers.llm()
    real_complete = llm.complete

    async def complete(request):  # the music prompts come back with no prompt text and 2 s
        result = await real_complete(request)
        if isinstance(result.data, dict) and isinstance(result.data.get("prompts"), list) \
                and all("duration_seconds" in p for p in result.data["prompts"]):
            for p in result.data["prompts"]:
                p["prompt"] = ""
                p["duration_seconds"] = 2
        return result

    monkeypatch.setattr(llm, "complete", complete)
    engine = await Engine.open(tmp_path / "db", providers, tmp_path / "runs")
    engine.services.jobs.min_poll = 0.01
    answers = load_answers(EXAMPLE)
    answers.source = "a.json"
    with pytest.raises(BatchError) as info:
        await BatchRunner(engine, answers, out=lambda s: None).run(cc_workflow)
    message = str(info.value)
    assert not message.startswith("a.json")
    assert "module generate_music: elevenlabs: Prompt: the prompt is empty" in message
    assert "not from a.json" in message and "a.json at $.generate_music.sub_actions[0].params.prompt" in message
    run_id = message.split()[1]
    answers["generate_music"]["sub_actions"][0]["params"] = {"prompt": "A soft lullaby"}
    lines: list[str] = []
    run = await BatchRunner(engine, answers, out=lines.append).resume(run_id)
    await engine.close()
    assert run.status == "completed"
    assert "    generate_music: elevenlabs: Length (seconds): 2 s raised to the minimum, 3 s" in lines
    music = [r for r in providers.media("elevenlabs", "txt2music").submits if r.action == "txt2music"]
    assert [(r.params["prompt"], r.params["duration"]) for r in music] == [("A soft lullaby", 3)]


def test_demo_batch_run_with_a_2_second_music_suggestion_finishes(tmp_path, cc_workflow, capsys, monkeypatch):
    """`cctui run workflows/cc --answers ... --demo`: the music LLM suggests 2 s, the ElevenLabs
    form's minimum is 3. The run stops before the music (no answer yet), the resume with the
    full answers file goes through, prints the note and makes 3 s of music."""
    monkeypatch.setenv("CCTUI_DEMO_JOB_SECONDS", "0.3")
    data = tmp_path / "data"
    answers = music_answers(json.loads(EXAMPLE.read_text()))
    partial = {k: v for k, v in answers.items() if k not in ("generate_music", "assemble_video")}
    partial_file, full_file = tmp_path / "partial.json", tmp_path / "answers.json"
    partial_file.write_text(json.dumps(partial))
    full_file.write_text(json.dumps(answers))
    code = main(["--data-dir", str(data), "run", str(cc_workflow), "--answers", str(partial_file), "--demo"])
    out = capsys.readouterr()
    assert code != 0 and "no answer for module 'generate_music'" in out.err, out.err
    run_id = out.out.splitlines()[0].split()[1]

    code = main(["--data-dir", str(data), "run", str(cc_workflow), "--answers", str(full_file),
                 "--resume", run_id, "--demo"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "    generate_music: elevenlabs: Length (seconds): 2 s raised to the minimum, 3 s" in out.out.splitlines()
    assert f"completed run {run_id}" in out.out

    db = sqlite3.connect(data / "cctui.db")
    (state,) = db.execute("SELECT state FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    assert json.loads(state)["selected_music_prompt"]["duration_seconds"] == 2  # what the LLM said
    (request,) = [json.loads(r) for (r,) in db.execute("SELECT request FROM jobs WHERE action = 'txt2music'")]
    assert request["params"]["duration"] == 3
    (path, metadata) = db.execute("SELECT local_path, metadata FROM content WHERE kind = 'audio' "
                                  "AND json_extract(metadata, '$.action') = 'txt2music'").fetchone()
    assert json.loads(metadata)["music_length_ms"] == 3000
    assert abs(probe(path).duration - 3.0) < 0.2
