"""`io.client_write` in real runs of a seed-format workflow: the file goes into the run's folder
(or its ws subfolder) unless the creator chooses another folder or path; the content is
formatted as the seed format says; a failed write keeps the question; a `filename` that could
lead out of the chosen folder stops the run with the module and field named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cctui.engine.client_files import format_content
from cctui.engine.errors import AnswerError
from form_write_workflow import STYLES, form_step, write_step, write_workflow

ROWS = [{"mood": "groovy"}, {"mood": "calm", "weight": 80}, {"mood": "silly", "mode": "bold"}]


@pytest.fixture
def engine(fake_engine):
    return fake_engine


async def at_the_write(engine, folder):
    """A run past the form, waiting at `save_weights`."""
    run = await engine.new_run(folder)
    await run.advance()
    await run.answer((await run.pending()).interaction_id, {"form_data": ROWS})
    return run, await run.pending()


async def test_the_view_shows_the_name_a_preview_and_the_run_folder(engine, tmp_path):
    run, ask = await at_the_write(engine, write_workflow(tmp_path / "wf"))
    assert ask.kind == "client_write" and ask.module_name == "save_weights"
    display = ask.display
    assert (display["filename"], display["format"]) == ("party_styles.json", "json")
    assert display["folder"] == str(run.run_dir)
    assert display["file_path"] == str(run.run_dir / "party_styles.json")
    assert json.loads(display["preview"]) == run.state["style_weights"]
    assert display["preview"].startswith('[\n  {\n    "_item": {')  # written indented
    assert not (run.run_dir / "party_styles.json").exists()  # nothing is written before the answer


async def test_an_empty_answer_writes_into_the_run_folder_and_ws(engine, tmp_path):
    run, ask = await at_the_write(engine, write_workflow(tmp_path / "wf"))
    assert await run.answer(ask.interaction_id, {}) == "waiting"
    written = run.run_dir / "party_styles.json"
    assert json.loads(written.read_text(encoding="utf-8"))[0] == {
        "_item": STYLES[0], "_index": 0, "weight": 50, "mode": "soft", "mood": "groovy"}
    assert (run.state["weights_path"], run.state["weights_name"], run.state["weights_saved"]) == (
        str(written), "party_styles.json", True)
    note = await run.pending()
    assert note.display["file_path"] == str(run.run_dir / "ws" / "party_note.txt")
    assert await run.answer(note.interaction_id, {}) == "completed"
    assert (run.run_dir / "ws" / "party_note.txt").read_text(encoding="utf-8") == "Party for Miso: 3 styles"
    assert not list(run.run_dir.rglob("*.part"))


async def test_the_creator_chooses_a_folder_or_a_path_and_a_missing_folder_is_refused(engine, tmp_path):
    run, ask = await at_the_write(engine, write_workflow(tmp_path / "wf"))
    with pytest.raises(AnswerError, match=r"module 'save_weights': the folder .*nowhere does not exist; "
                                          r"create it or choose another place"):
        await run.answer(ask.interaction_id, {"file_path": str(tmp_path / "nowhere" / "w.json")})
    assert not (tmp_path / "nowhere").exists()  # a creator's folder is never made up
    assert (await run.pending()).interaction_id == ask.interaction_id
    (tmp_path / "out").mkdir()
    await run.answer(ask.interaction_id, {"file_path": str(tmp_path / "out")})  # a folder: the file goes in
    assert run.state["weights_path"] == str(tmp_path / "out" / "party_styles.json")
    note = await run.pending()
    await run.answer(note.interaction_id, {"file_path": str(tmp_path / "out" / "renamed.md")})
    assert (tmp_path / "out" / "renamed.md").read_text(encoding="utf-8") == "Party for Miso: 3 styles"
    assert run.state["note_path"] == str(tmp_path / "out" / "renamed.md")
    assert not (run.run_dir / "ws").exists()


async def test_a_place_that_cannot_be_written_keeps_the_question(engine, tmp_path):
    run, ask = await at_the_write(engine, write_workflow(tmp_path / "wf"))
    too_long = tmp_path / ("w" * 300 + ".json")  # refused by the file system, whoever runs the test
    with pytest.raises(AnswerError, match=r"w\.json cannot be used \(File name too long\); "
                                          r"choose another place"):
        await run.answer(ask.interaction_id, {"file_path": str(too_long)})
    assert not list(tmp_path.glob("*.part"))
    if Path("/proc/self").is_dir():  # Linux: no one, root included, makes files in /proc
        with pytest.raises(AnswerError, match=r"/proc/party_styles.json cannot be written \(.+\); choose"):
            await run.answer(ask.interaction_id, {"file_path": "/proc"})
    assert await run.answer(ask.interaction_id, {"file_path": str(tmp_path)}) == "waiting"
    assert (tmp_path / "party_styles.json").is_file()


async def test_a_client_confirmation_is_checked_against_the_file(engine, tmp_path):
    run, ask = await at_the_write(engine, write_workflow(tmp_path / "wf"))
    with pytest.raises(AnswerError, match=r"the file .*gone.json is not there \(the answer says it was written\)"):
        await run.answer(ask.interaction_id, {"file_written": True, "file_path": str(tmp_path / "gone.json")})
    with pytest.raises(AnswerError, match=r"the file party_styles.json was not written \(disk full\); choose"):
        await run.answer(ask.interaction_id, {"file_written": False, "file_error": "disk full"})
    done = tmp_path / "done.json"
    done.write_text("[]", encoding="utf-8")
    await run.answer(ask.interaction_id, {"file_written": True, "file_path": str(done)})
    assert (run.state["weights_path"], run.state["weights_name"]) == (str(done), "done.json")


@pytest.mark.parametrize("name", ["../escape.json", "notes/summary.txt", "..", "a\\b.txt"])
async def test_a_filename_with_a_folder_in_it_stops_the_run_before_asking(engine, tmp_path, name):
    run = await engine.new_run(write_workflow(tmp_path / "wf", form_step(), write_step(json_name=name)))
    await run.advance()
    assert await run.answer((await run.pending()).interaction_id, {"form_data": ROWS}) == "error"
    assert f"module 'save_weights' (io.client_write): input `filename` {name!r} is not a plain file name" \
        in run.error
    assert "steps/2_save/step.json" in run.error
    assert not (tmp_path / "escape.json").exists() and not (run.run_dir.parent / "escape.json").exists()


def test_content_is_formatted_as_the_seed_format_says():
    assert format_content('{"a": [1, 2]}', "x.json", None) == ('{\n  "a": [\n    1,\n    2\n  ]\n}\n', "json")
    assert format_content("not json", "x.json", None) == ('"not json"\n', "json")
    assert format_content({"a": 1}, "x.txt", None) == ("{'a': 1}", "text")
    assert format_content({"a": "é"}, "x.txt", "json") == ('{\n  "a": "é"\n}\n', "json")
    assert format_content(42, "X.JSON", "text") == ("42", "text")


async def test_an_unknown_destination_is_named(engine, tmp_path):
    step = write_step()
    step["modules"][0]["inputs"]["destination"] = "desktop"
    run = await engine.new_run(write_workflow(tmp_path / "wf", form_step(), step))
    await run.advance()
    await run.answer((await run.pending()).interaction_id, {"form_data": ROWS})
    assert "input `destination` is 'desktop'; it must be root (the run's folder) or ws" in run.error
