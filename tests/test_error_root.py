"""One error root: every error a person can act on is a CctuiError (message, hint, retryable);
a file that cannot be written stops the run in the step panel instead of escaping `advance()`;
the CLI prints the root's report, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cctui.cli import main
from cctui.costs.prices import PricesError
from cctui.engine.engine import Engine
from cctui.engine.errors import AnswerError, EngineError, ModuleError
from cctui.engine.forms import FormError
from cctui.errors import CctuiError
from cctui.export_target import ExportError
from cctui.media.errors import MediaError
from cctui.providers.base import ProviderError
from cctui.records import RunStatus
from cctui.settings import SettingsError
from cctui.store.db import NewerStoreError
from cctui.workflow.errors import WorkflowError, WorkflowErrors
from cctui.workflow.templates import TemplateError
from fakes import FakeProviders

WRITER = {
    "workflow_id": "writer", "name": "Writer",
    "steps": [{"step_id": "write", "name": "Write", "modules": [
        {"module_id": "io.write_file", "name": "write_notes",
         "inputs": {"content": "notes", "filename": "notes.txt"}, "outputs_to_state": {"path": "notes_path"}}]}],
}


@pytest.mark.parametrize("error", [EngineError, AnswerError, ModuleError, ProviderError, WorkflowError, WorkflowErrors,
                                   TemplateError, MediaError, ExportError, SettingsError, PricesError,
                                   NewerStoreError, FormError])
def test_every_error_a_person_acts_on_has_the_one_root(error):
    assert issubclass(error, CctuiError)


def test_the_report_adds_the_hint_once():
    assert CctuiError("the disk is full", hint="Free some space.").report() == "the disk is full. Free some space."
    assert CctuiError("the disk is full: free some space", hint="free some space").report() == \
        "the disk is full: free some space"
    assert not CctuiError("x").retryable and CctuiError("x", retryable=True).retryable
    assert ModuleError("m").retryable and not ModuleError("m", retryable=False).retryable


async def test_a_file_that_cannot_be_written_stops_the_run_with_a_message(tmp_path):
    folder = tmp_path / "writer"
    folder.mkdir()
    (folder / "workflow.json").write_text(json.dumps(WRITER), encoding="utf-8")
    engine = await Engine.open(tmp_path / "db.sqlite", FakeProviders(), tmp_path / "runs")
    try:
        run = await engine.new_run(folder)
        # Where the note goes is a folder already: writing it fails with IsADirectoryError.
        (run.run_dir / "export" / "notes.txt").mkdir(parents=True)
        assert await run.advance() is RunStatus.ERROR
        assert "write_notes" in run.error and "notes.txt" in run.error and "try again" in run.error
        (run.run_dir / "export" / "notes.txt").rmdir()
        assert await run.retry_failed() is RunStatus.COMPLETED
        assert Path(run.state["notes_path"]).read_text(encoding="utf-8") == "notes"
    finally:
        await engine.close()


def test_the_cli_prints_the_root_report_without_a_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CCTUI_PRICES_FILE", str(tmp_path / "prices.json"))
    (tmp_path / "prices.json").write_text("{not json", encoding="utf-8")
    code = main(["--data-dir", str(tmp_path / "data"), "run", str(tmp_path / "nowhere"), "--answers",
                 str(tmp_path / "answers.json")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "prices.json" in err and "Traceback" not in err


async def test_a_module_that_fails_on_a_fitting_answer_stops_the_run_where_it_is_written(tmp_path, monkeypatch):
    """Not a refusal of the answer (that keeps the question): the module itself could not go on.
    The run stops with the reason and where the module is written; Try again asks again."""
    from cctui.engine.modules.base import REGISTRY
    from cctui.engine.modules.user_text_input import UserTextInput

    class Broken(UserTextInput):
        module_id = "test.broken_text"

        async def respond(self, ctx, inputs, answer):
            raise ModuleError(f"{ctx.where}: cannot use this answer")

    monkeypatch.setitem(REGISTRY, Broken.module_id, Broken)
    folder = tmp_path / "broken"
    folder.mkdir()
    workflow = {"workflow_id": "broken", "name": "Broken", "steps": [{"step_id": "ask", "name": "Ask", "modules": [
        {"module_id": "test.broken_text", "name": "ask_name", "inputs": {"prompt": "Name?"},
         "outputs_to_state": {"text": "name"}}]}]}
    (folder / "workflow.json").write_text(json.dumps(workflow), encoding="utf-8")
    engine = await Engine.open(tmp_path / "db.sqlite", FakeProviders(), tmp_path / "runs")
    try:
        run = await engine.new_run(folder)
        assert await run.advance() is RunStatus.WAITING
        inter = await run.pending()
        assert await run.answer(inter.interaction_id, {"text": "Rex"}) is RunStatus.ERROR
        assert run.error == "step 'ask', module 'ask_name': cannot use this answer (in broken/workflow.json at " \
                            "$.steps[0].modules[0])"
        assert await run.retry_failed() is RunStatus.WAITING  # the same question again
        assert (await run.pending()).module_name == "ask_name"
    finally:
        await engine.close()
