"""Results by declaration: the model, the `cctui validate` check that each result's state key is
written, and a workflow other than CC getting its own finish view and export bundle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from cctui.cli import main
from cctui.engine.engine import Engine
from cctui.result_items import resolve
from cctui.workflow.errors import WorkflowErrors
from cctui.workflow.loader import load_workflow
from cctui.workflow.results import Result
from fakes import FakeProviders
from poster_workflow import finish_poster_run, write_picture, write_poster

# ---------------------------------------------------------------------- the declaration model


def test_a_result_reads_a_value_at_a_path_inside_a_state_key():
    result = Result(id="video", kind="video", label="Video", state_key="final_video", path="music.path",
                    fallback=[{"state_key": "track", "path": "local_path"}], export="music.*")
    assert result.export_stem() == "music"
    assert [(where, value.state_key) for where, value in result.sources()] == [
        ((), "final_video"), (("fallback", 0), "track")]
    item = resolve(result, {"final_video": {"music": {"path": None}}, "track": {"local_path": "/nowhere/m.mp3"}})
    assert (item.value, item.exists, item.missing_name) == ("/nowhere/m.mp3", False, "music")


@pytest.mark.parametrize("fields, message", [
    ({"kind": "text", "label": "Notes"}, "a result needs state_key"),
    ({"kind": "image", "label": "Poster", "parts": [{"state_key": "a"}]}, "parts make a text"),
    ({"kind": "text", "label": "Notes", "state_key": "notes", "export": "notes.*"}, "is for files"),
    ({"kind": "folder", "label": "Folder", "state_key": "out", "export": "out.txt"}, "not exported"),
    ({"kind": "video", "label": "Video", "state_key": "v", "export": "../final.mp4"}, "give a plain file name"),
    ({"kind": "poster", "label": "Poster", "state_key": "p"}, "Input should be"),
])
def test_a_result_that_cannot_work_is_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        Result(id="r", **fields)


def test_captions_are_made_of_title_description_and_hashtags():
    result = Result(id="captions", kind="text", label="Captions", parts=[
        {"state_key": "title"}, {"state_key": "description"}, {"state_key": "description", "path": "text"},
        {"state_key": "description", "path": "hashtags", "format": "hashtags"}])
    state = {"title": "Rex", "description": {"text": "A good dog.", "hashtags": ["dog", "#pets"]}}
    assert resolve(result, state).value == "Rex\n\nA good dog.\n\n#dog #pets\n"
    assert resolve(result, {"title": "Rex", "description": "Just text."}).value == "Rex\n\nJust text.\n"
    empty = resolve(result, {"title": "  "})
    assert (empty.value, empty.exists) == (None, False)


def test_subtitles_are_stored_cues_or_lines_spread_over_the_duration():
    result = Result(id="overlays", kind="subtitles", label="Overlays", state_key="final", path="cues",
                    fallback=[{"state_key": "lines"}],
                    duration=[{"state_key": "final", "path": "duration"}, {"state_key": "length"}])
    stored = resolve(result, {"final": {"duration": 4.0, "cues": [{"index": 0, "text": "hi", "start": 1, "end": 2}]}})
    assert [(c.text, c.start, c.end) for c in stored.value] == [("hi", 1.0, 2.0)] and stored.duration == 4.0
    spread = resolve(result, {"lines": ["one", "two"], "length": 6})
    assert [c.text for c in spread.value] == ["one", "two"] and spread.value[-1].end <= 6
    assert resolve(result, {"lines": ["one"]}).exists is False  # no duration to time them over


# ---------------------------------------------------------------------- `cctui validate`


def renamed_final_video(tmp_path: Path, cc_workflow: Path) -> Path:
    """workflows/cc with the assemble module writing `finished_video` instead of `final_video`, and
    the summary template reading the new name: otherwise valid, only the results are left behind."""
    folder = tmp_path / "cc"
    shutil.copytree(cc_workflow, folder)
    step = folder / "steps" / "10_workflow_summary" / "step.json"
    data = json.loads(step.read_text(encoding="utf-8"))
    assemble = data["modules"][0]
    assert assemble["outputs_to_state"].pop("final_video") == "final_video"
    assemble["outputs_to_state"]["final_video"] = "finished_video"
    step.write_text(json.dumps(data, indent=2), encoding="utf-8")
    template = folder / "steps" / "10_workflow_summary" / "templates" / "cc_summary.md.j2"
    text = template.read_text(encoding="utf-8")
    assert "state.final_video" in text
    template.write_text(text.replace("state.final_video", "state.finished_video"), encoding="utf-8")
    return folder


def test_the_cc_workflow_declares_the_bundle_it_always_wrote(cc_workflow):
    results = load_workflow(cc_workflow).results
    assert [r.export for r in results if r.export] == [
        "final.*", "cover.*", "clip.*", "source_image.*", "music.*", "narration.*", "narration.txt", "captions.srt",
        "captions.ass", "captions.txt", "overlays.srt", "summary.md"]


def test_a_renamed_final_video_key_is_caught_by_validate(tmp_path, cc_workflow, capsys):
    folder = renamed_final_video(tmp_path, cc_workflow)
    with pytest.raises(WorkflowErrors) as caught:
        load_workflow(folder)
    where = [(e.file, e.path) for e in caught.value.errors]
    # video, cover, music, narration, its two caption files, and the overlays' cues and duration
    # all read final_video.
    at = [f"$.results[{n}].state_key" for n in (0, 1, 4, 5, 7, 8, 11)] + ["$.results[11].duration[0].state_key"]
    assert where == [("cc/workflow_v3.json", path) for path in at]
    assert caught.value.errors[0].reason == (
        "result 'video' reads state.final_video, which no module writes (outputs_to_state) and initial_state "
        "does not set: use the key a module writes, or add it to that module's outputs_to_state")

    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert ("error: cc/workflow_v3.json: at $.results[0].state_key: result 'video' reads state.final_video, "
            "which no module writes") in err
    assert f"{folder}: 8 problem(s)" in err and "Traceback" not in err


def test_the_results_follow_a_rename_and_validate_again(tmp_path, cc_workflow, capsys):
    folder = renamed_final_video(tmp_path, cc_workflow)
    main_file = folder / "workflow_v3.json"
    main_file.write_text(main_file.read_text(encoding="utf-8").replace('"final_video"', '"finished_video"'),
                         encoding="utf-8")
    assert main(["validate", str(folder)]) == 0
    assert "ok: 10 steps" in capsys.readouterr().out


def test_two_results_with_one_id_or_one_file_name_are_reported(tmp_path):
    folder = write_poster(tmp_path)
    data = json.loads((folder / "workflow.json").read_text())
    data["results"] += [{"id": "caption", "kind": "text", "label": "Again", "state_key": "caption",
                         "export": "run.json"}]
    (folder / "workflow.json").write_text(json.dumps(data))
    with pytest.raises(WorkflowErrors) as caught:
        load_workflow(folder)
    assert [(e.path, e.reason) for e in caught.value.errors] == [
        ("$.results[3].id", "result id 'caption' is used twice"),
        ("$.results[3].export", "export name 'run.json' is taken (by another result, or run.json/costs.json): "
                                "choose another file name")]


# ---------------------------------------------------------------------- a workflow that is not CC


async def finished_poster_run(tmp_path: Path):
    picture = write_picture(tmp_path / "Rex.PNG")
    engine = await Engine.open(tmp_path / "data" / "cctui.db", FakeProviders(), tmp_path / "data" / "runs")
    run = await finish_poster_run(engine, write_poster(tmp_path), picture)
    return engine, run, picture


async def test_a_run_whose_workflow_no_longer_loads_is_named_by_its_id(tmp_path):
    engine, run, _ = await finished_poster_run(tmp_path)
    await engine.close()
    (tmp_path / "poster" / "workflow.json").write_text("{", encoding="utf-8")
    engine = await Engine.open(tmp_path / "data" / "cctui.db", FakeProviders(), tmp_path / "data" / "runs")
    try:
        (summary,) = await engine.queries.run_summaries()
    finally:
        await engine.close()
    assert (summary.workflow_id, summary.workflow_name, summary.where) == ("poster", "poster", "✓ done")


async def test_another_workflow_gets_its_own_finish_view_and_bundle(tmp_path):
    engine, run, picture = await finished_poster_run(tmp_path)
    try:
        view = await engine.queries.finish_view(run)
        assert [(i.id, i.kind, i.label, i.value, i.exists) for i in view.items] == [
            ("poster", "image", "Poster", str(picture), True), ("caption", "text", "Caption", "A poster of Rex.", True),
            ("notes", "markdown", "How it was made", "# Notes\n\nMade for Rex.", True)]
        assert view.spent == {}
        (summary,) = await engine.queries.run_summaries()
        assert (summary.run_id, summary.workflow_id, summary.workflow_name, summary.where, summary.costs) == (
            run.run_id, "poster", "Poster", "✓ done", {})

        result = await engine.queries.export(run.run_id, default=tmp_path / "bundle")
    finally:
        await engine.close()
    assert result["files"] == ["caption.txt", "costs.json", "poster.png", "run.json"]
    assert (result["missing"], result["note"]) == ([], "")
    bundle = tmp_path / "bundle"
    assert (bundle / "poster.png").read_bytes() == picture.read_bytes()
    assert (bundle / "caption.txt").read_text(encoding="utf-8") == "A poster of Rex."
    assert json.loads((bundle / "run.json").read_text())["state"]["caption"] == "A poster of Rex."


async def test_an_unfinished_result_is_listed_as_missing_from_the_export(tmp_path):
    folder = write_poster(tmp_path)
    engine = await Engine.open(tmp_path / "data" / "cctui.db", FakeProviders(), tmp_path / "data" / "runs")
    try:
        run = await engine.new_run(folder)
        await run.advance()
        result = await engine.queries.export(run.run_id, default=tmp_path / "bundle")
    finally:
        await engine.close()
    assert result["files"] == ["caption.txt", "costs.json", "run.json"] and result["missing"] == ["poster"]
    assert (tmp_path / "bundle" / "caption.txt").read_text(encoding="utf-8") == ""


async def test_a_run_whose_workflow_is_gone_still_exports_its_state(tmp_path):
    engine, run, _ = await finished_poster_run(tmp_path)
    shutil.rmtree(tmp_path / "poster")
    try:
        result = await engine.queries.export(run.run_id, default=tmp_path / "bundle")
    finally:
        await engine.close()
    assert result["files"] == ["costs.json", "run.json"]
    assert result["note"].startswith(f"the run's workflow ({tmp_path / 'poster'}) does not load, so only run.json "
                                     "and costs.json were written: ")
    assert "workflow folder not found" in result["note"] and "cctui validate" in result["note"]


def test_a_bad_result_is_located_in_its_file(tmp_path):
    folder = write_poster(tmp_path)
    data = json.loads((folder / "workflow.json").read_text())
    data["results"][1]["kind"] = "poster"
    del data["results"][0]["state_key"]
    (folder / "workflow.json").write_text(json.dumps(data))
    with pytest.raises(WorkflowErrors) as caught:
        load_workflow(folder)
    assert [(e.file, e.path) for e in caught.value.errors] == [
        ("poster/workflow.json", "$.results[0]"), ("poster/workflow.json", "$.results[1].kind")]
    assert "a result needs state_key" in caught.value.errors[0].reason
