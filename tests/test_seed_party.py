"""A workflow of our own written in the seed system's format (tests/seed_format/party: flat and
nested `_ux`, the laid-out status bar, `allow_empty` and a pattern, weighted keywords loaded and
saved around an LLM step, a `transform.query` pipeline, a child-run sub-action that merges more
themes, an item path indexing the state, a `user.form` table, a `user.file_input`, `now()` and
`step` in a template, `io.client_write`) runs to completion headless, and its keyword memory
reaches the prompt of the next run."""

from __future__ import annotations

import json
from pathlib import Path

from cctui.batch import BatchRunner
from cctui.cli import main
from cctui.engine.engine import load
from cctui.providers.base import TextPart

PARTY = Path(__file__).parent / "seed_format" / "party"
ANSWERS = {"select_pet_type": {"select": 0}, "ask_pet_name": {"text": "Miso"},
           "select_theme": {"sub_actions": [{"id": "more_themes", "feedback": "more glitter"}], "select": 4},
           "guest_list": {"form_data": [{}, {"rsvp": "no"}, {"treats": 3}]},
           "birthday_photo": {"value": "PHOTO"}, "write_plan": {}}


def answers_with_photo(tmp_path: Path) -> dict:
    from PIL import Image

    photo = tmp_path / "miso.png"
    Image.new("RGB", (64, 48), (230, 150, 60)).save(photo)
    return {**ANSWERS, "birthday_photo": {"value": str(photo)}}


def test_it_validates_clean():
    workflow = load(PARTY)
    assert workflow.warnings == [] and workflow.lenient
    assert [s.step_id for s in workflow.steps] == ["pick", "theme", "guests", "photo", "summary"]


def test_it_runs_headless_against_the_demo_stand_in_twice(tmp_path, capsys):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(answers_with_photo(tmp_path)), encoding="utf-8")
    for _ in range(2):
        assert main(["--data-dir", str(tmp_path / "data"), "run", "--demo", str(PARTY), "--answers", str(answers)]) == 0
    out, err = capsys.readouterr()
    assert out.count("completed run") == 2 and "select_theme: More themes" in out and "Traceback" not in err


async def test_the_second_run_remembers_the_first_ones_theme(tmp_path, fake_engine):
    answers = answers_with_photo(tmp_path)
    first = await BatchRunner(fake_engine, answers, out=lambda s: None).run(PARTY)
    assert first.status == "completed" and first.state["keyword_count"] == 0
    assert len(first.state["theme_concepts"]["themes"]) == 6  # three, then three more merged
    chosen = first.state["theme_concepts"]["themes"][4]
    assert first.state["selected_theme"] == chosen and first.state["selected_theme_indices"] == ["themes", 4]
    assert first.state["summary_text"].startswith("MISO'S PARTY\nTheme: " + chosen["title"])
    assert "Guests: Biscuit (1 treats), Clover (3 treats).\nPhoto: miso.png\n" in first.state["summary_text"]
    assert "in step summary." in first.state["summary_text"]
    plan = Path(first.state["plan_path"])
    assert plan.read_text(encoding="utf-8") == first.state["summary_text"] and plan.name == "party_plan.txt"

    second = await BatchRunner(fake_engine, answers, out=lambda s: None).run(PARTY)
    remembered = {k["keyword"] for k in second.state["keyword_exclusions_selected"]}
    assert remembered == {k["keyword"].strip().lower() for k in chosen["theme_keywords"]}
    assert second.state["keyword_count"] == len(remembered)
    llm = fake_engine.services.providers.llm()
    prompts = ["".join(p.text for p in r.user if isinstance(p, TextPart)) for r in llm.requests]
    avoid = prompts[-2]  # the second run's first themes prompt (the last is its child run's)
    assert "Themes chosen before used these ideas; avoid them:" in avoid
    assert all(f"- {k}\n" in avoid for k in remembered)
    assert "The creator asks: more glitter" in prompts[-1]


def test_a_demo_job_time_that_is_not_a_number_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CCTUI_DEMO_JOB_SECONDS", "a minute")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(ANSWERS), encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "data"), "run", "--demo", str(PARTY), "--answers", str(answers)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("error: CCTUI_DEMO_JOB_SECONDS is 'a minute': give the seconds each demo job takes, "
                           "a number from 0 to 3600 (e.g. 60), or unset it for 3 s")
