"""Batch mode answers `user.form` with `{"form_data": [...]}` (one object per item) and
`io.client_write` with `{}` (the run's folder) or `{"file_path": ...}`; a wrong shape is refused
before the run starts, a row that breaks the form's schema with its path in the answers file."""

from __future__ import annotations

import json

import pytest

from cctui.batch import BatchError, BatchRunner, check_answers
from cctui.engine.engine import load
from form_write_workflow import write_workflow

ROWS = [{"mood": "groovy"}, {"mood": "calm", "weight": 80}, {"mood": "silly", "mode": "bold"}]


async def test_a_form_and_two_files_in_batch_mode(fake_engine, tmp_path):
    (tmp_path / "out").mkdir()
    answers = {"weigh_styles": {"form_data": ROWS}, "save_weights": {},
               "save_note": {"file_path": str(tmp_path / "out")}}
    lines: list[str] = []
    run = await BatchRunner(fake_engine, answers, out=lines.append).run(write_workflow(tmp_path / "wf"))
    assert run.status == "completed"
    weights = json.loads((run.run_dir / "party_styles.json").read_text(encoding="utf-8"))
    assert [(r["_index"], r["_item"]["name"], r["weight"], r["mode"], r["mood"]) for r in weights] == [
        (0, "Disco", 50, "soft", "groovy"), (1, "Garden tea", 80, "soft", "calm"), (2, "Space", 50, "bold", "silly")]
    assert (tmp_path / "out" / "party_note.txt").read_text(encoding="utf-8") == "Party for Miso: 3 styles"
    assert run.state["note_path"] == str(tmp_path / "out" / "party_note.txt")
    assert any("[save] done: weights_path, weights_name, weights_saved, note_path" in line for line in lines)


@pytest.mark.parametrize("answers, message", [
    ({"weigh_styles": {"form_data": {"0": {"mood": "ok"}}}},
     "at $.weigh_styles.form_data: must be a list with one object of field values per item, in order"),
    ({"weigh_styles": {"rows": []}}, "at $.weigh_styles: unknown key 'rows'"),
    ({"save_note": {"file_path": 3}}, "at $.save_note.file_path: must be a path: a folder to write the file "
                                      "into, or the file's own path, not int"),
    ({"save_note": {"form_data": []}}, "at $.save_note: 'form_data' is not an answer to 'save_note' "
                                       "(io.client_write); it takes confirmed_warnings, feedback, file_error, file_path, file_written, option"),
])
def test_answers_of_the_wrong_shape_are_refused_before_the_run(tmp_path, answers, message):
    with pytest.raises(BatchError) as info:
        check_answers(answers, load(write_workflow(tmp_path / "wf")), "answers.json")
    assert message in str(info.value)


async def test_a_row_that_breaks_the_form_names_its_place_in_the_answers_file(fake_engine, tmp_path):
    answers = {"weigh_styles": {"form_data": [{"mood": "ok"}, {"mood": "ok", "weight": 101}, {"mood": "ok"}]},
               "save_weights": {}, "save_note": {}}
    with pytest.raises(BatchError) as info:
        await BatchRunner(fake_engine, answers, out=lambda _: None).run(write_workflow(tmp_path / "wf"))
    assert str(info.value) == ("answers: at $.weigh_styles: step 'styles', module 'weigh_styles': form_data[1] "
                               "(row 2, 'Garden tea · Victorian'), field 'weight': Weight: 101 is outside 0..100")


async def test_a_folder_that_does_not_exist_is_the_answers_files_error(fake_engine, tmp_path):
    answers = {"weigh_styles": {"form_data": ROWS}, "save_weights": {"file_path": str(tmp_path / "no" / "w.json")},
               "save_note": {}}
    with pytest.raises(BatchError, match=r"at \$.save_weights: step 'save', module 'save_weights': the folder "
                                         r".*/no does not exist; create it or choose another place"):
        await BatchRunner(fake_engine, answers, out=lambda _: None).run(write_workflow(tmp_path / "wf"))
    assert not (tmp_path / "no").exists()
