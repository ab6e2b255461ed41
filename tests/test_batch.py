from __future__ import annotations

import json
from pathlib import Path

import pytest

from cctui.batch import BatchError, BatchRunner, check_answers, load_answers
from cctui.cli import main
from cctui.engine.engine import Engine, load
from fakes import FakeProviders

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cc-answers.json"


async def test_example_answers_run_all_ten_steps(tmp_path, cc_workflow):
    engine = await Engine.open(tmp_path / "db", FakeProviders(), tmp_path / "runs")
    engine.services.jobs.min_poll = 0.01
    lines: list[str] = []
    run = await BatchRunner(engine, load_answers(EXAMPLE), out=lines.append).run(cc_workflow)
    await engine.close()
    assert run.status == "completed"
    assert lines[0].startswith(f"run {run.run_id}")
    done = [line for line in lines if " done: " in line]
    assert len(done) == 10 and "[workflow_summary]" in done[-1]
    assert Path(run.state["summary_file_path"]).is_file()


async def test_batch_retry_with_feedback_answer(tmp_path, cc_workflow):
    answers = load_answers(EXAMPLE)
    answers["select_scene"] = [{"option": "retry_scenes", "feedback": "more snow"}, {"select": [2]}]
    providers = FakeProviders()
    engine = await Engine.open(tmp_path / "db", providers, tmp_path / "runs")
    engine.services.jobs.min_poll = 0.01
    run = await BatchRunner(engine, answers, out=lambda s: None).run(cc_workflow)
    await engine.close()
    assert run.state["selected_scene"] == run.state["scene_concepts"]["scenes"][2]
    assert providers.llm_provider.for_schema("scene")[1].history[-1]["content"] == "more snow"


@pytest.mark.parametrize("answers, message", [
    ({"select_pet": {"select": [0]}}, "at $.select_pet: no module named 'select_pet'"),
    ({"select_scene": {"option": "nope"}}, "at $.select_scene.option: module 'select_scene' has no option 'nope'"),
    ({"select_scene": [{"select": [0]}, "x"]}, "at $.select_scene[1]: an answer must be an object"),
    ({"select_title": {"pick": 1}}, "at $.select_title: unknown key 'pick'"),
    ({"generate_and_select_images": {"sub_actions": [{"id": "generate"}]}},
     "at $.generate_and_select_images.sub_actions[0]: needs a `tab`"),
])
def test_answers_that_do_not_fit_the_workflow(answers, message, cc_workflow):
    with pytest.raises(BatchError) as info:
        check_answers(answers, load(cc_workflow))
    assert message in str(info.value)


async def test_running_out_of_answers_is_a_clear_error(tmp_path, cc_workflow):
    answers = load_answers(EXAMPLE)
    del answers["select_title"]
    engine = await Engine.open(tmp_path / "db", FakeProviders(), tmp_path / "runs")
    engine.services.jobs.min_poll = 0.01
    with pytest.raises(BatchError, match="no answer for module 'select_title' \\(step 'titles_social'\\)"):
        await BatchRunner(engine, answers, out=lambda s: None).run(cc_workflow)
    await engine.close()


async def test_an_out_of_range_answer_names_the_module(tmp_path, cc_workflow):
    answers = load_answers(EXAMPLE)
    answers["select_duration"] = {"select": [9]}
    engine = await Engine.open(tmp_path / "db", FakeProviders(), tmp_path / "runs")
    with pytest.raises(BatchError, match=r"at \$.select_duration: .*no item 9"):
        await BatchRunner(engine, answers, out=lambda s: None).run(cc_workflow)
    await engine.close()


def test_cli_run_refuses_a_bad_answers_file_before_starting(tmp_path, cc_workflow, capsys):
    bad = tmp_path / "answers.json"
    bad.write_text(json.dumps({"select_pet": {"select": [0]}}))
    code = main(["--data-dir", str(tmp_path / "data"), "run", str(cc_workflow), "--answers", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "no module named 'select_pet'" in err and "Traceback" not in err
    assert not (tmp_path / "data" / "cctui.db").exists()


def test_cli_run_with_invalid_json_answers(tmp_path, cc_workflow, capsys):
    bad = tmp_path / "answers.json"
    bad.write_text('{"select_pet_type": {"select": [0]},}')
    assert main(["run", str(cc_workflow), "--answers", str(bad)]) == 2
    assert "invalid JSON at line 1, column 37" in capsys.readouterr().err
