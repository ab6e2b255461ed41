"""The module contract: step files are checked against what each module declares it takes and
makes, and batch mode takes a module's answer keys from its declaration."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import Field

from cctui.batch import BatchError, check_answers
from cctui.engine.engine import Engine, load
from cctui.engine.modules import REGISTRY, shapes
from cctui.engine.modules.base import Module, register
from cctui.engine.modules.contract import Answer, ModuleContract, NoInputs
from cctui.workflow.errors import WorkflowErrors
from cctui.workflow.loader import load_workflow
from fakes import FakeProviders

ROOT = Path(__file__).resolve().parent.parent
STEP2 = "steps/2_scene_generation/step.json"
STEP1 = "steps/1_user_input/step.json"


@pytest.fixture
def scratch(tmp_path) -> Path:
    root = tmp_path / "cc"
    shutil.copytree(ROOT / "workflows" / "cc", root)
    return root


def edit_step(root: Path, step_file: str, change) -> None:
    path = root / step_file
    step = json.loads(path.read_text(encoding="utf-8"))
    change(step["modules"])
    path.write_text(json.dumps(step, indent=2), encoding="utf-8")


def errors_of(root: Path) -> list:
    with pytest.raises(WorkflowErrors) as info:
        load_workflow(root, modules=shapes())
    return info.value.errors


def only(errors: list, file: str, path: str):
    found = [e for e in errors if (e.file, e.path) == (file, path)]
    assert len(found) == 1, [str(e) for e in errors]
    return found[0]


def test_the_bundled_workflow_fits_every_contract():
    workflow = load_workflow(ROOT / "workflows" / "cc", modules=shapes())
    assert len(workflow.steps) == 10


def test_an_output_the_module_does_not_produce_is_named_with_file_and_path(scratch):
    edit_step(scratch, STEP2, lambda mods: mods[0].update(outputs_to_state={"answer": "scene_concepts"}))
    errors = errors_of(scratch)
    err = only(errors, f"cc/{STEP2}", "$.modules[0].outputs_to_state.answer")
    assert "api.llm produces no output 'answer'" in err.reason
    assert "_model, _raw, _usage, response" in err.reason  # what to rename it to
    assert len(errors) == 1


def test_an_input_the_module_does_not_take_is_named_with_file_and_path(scratch):
    edit_step(scratch, STEP2, lambda mods: mods[0]["inputs"].update(temperature=0.2))
    errors = errors_of(scratch)
    err = only(errors, f"cc/{STEP2}", "$.modules[0].inputs.temperature")
    assert "api.llm takes no input 'temperature'" in err.reason
    assert "(it takes ai_config, input, metadata, model, output_schema, provider, system, resolver_schema)" in err.reason
    assert len(errors) == 1


def test_a_wrongly_typed_input_is_named_with_file_and_path(scratch):
    edit_step(scratch, STEP1, lambda mods: mods[0]["inputs"].update(multi_select="no"))
    errors = errors_of(scratch)
    err = only(errors, f"cc/{STEP1}", "$.modules[0].inputs.multi_select")
    assert "must be true or false, not a string" in err.reason
    assert len(errors) == 1


def test_a_wrong_item_of_a_list_input_is_named_by_its_index(scratch):
    edit_step(scratch, STEP2, lambda mods: mods[0]["inputs"]["system"].append(7))
    err = only(errors_of(scratch), f"cc/{STEP2}", "$.modules[0].inputs.system[2]")
    assert "item 2 of input 'system' of api.llm must be a string or an object, not an integer" in err.reason


def test_a_missing_required_input_is_named(scratch):
    edit_step(scratch, STEP2, lambda mods: mods[0]["inputs"].pop("output_schema"))
    err = only(errors_of(scratch), f"cc/{STEP2}", "$.modules[0].inputs")
    assert "needs input 'output_schema'" in err.reason


def test_a_template_may_stand_for_an_input_of_any_type(scratch):
    # Rendered at run time, so its type is not known here; a plain string in its place is refused.
    edit_step(scratch, STEP1, lambda mods: mods[3]["inputs"].update(max_length="{{ config.overlay_max_chars }}"))
    load_workflow(scratch, modules=shapes())
    edit_step(scratch, STEP1, lambda mods: mods[3]["inputs"].update(max_length="500"))
    err = only(errors_of(scratch), f"cc/{STEP1}", "$.modules[3].inputs.max_length")
    assert "must be an integer or null, not a string" in err.reason


def test_module_ids_alone_check_only_that_modules_exist(scratch):
    edit_step(scratch, STEP2, lambda mods: mods[0]["inputs"].update(temperature=0.2))
    assert load_workflow(scratch, module_ids=REGISTRY.keys()).workflow_id == "cuddle_crew"


def test_cctui_validate_reports_each_problem_with_file_and_path(scratch):
    def break_two(mods):
        mods[0]["inputs"]["temperature"] = 0.2
        mods[1]["outputs_to_state"] = {"selected": "selected_scene"}

    edit_step(scratch, STEP2, break_two)
    env = {**os.environ, "CCTUI_DATA_DIR": str(scratch.parent / "data"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "cctui.cli", "validate", str(scratch)], capture_output=True,
                          text=True, cwd=scratch.parent, env=env, timeout=60)
    assert proc.returncode == 2
    assert f"cc/{STEP2}: at $.modules[0].inputs.temperature: module api.llm takes no input" in proc.stderr
    assert (f"cc/{STEP2}: at $.modules[1].outputs_to_state.selected: module user.select produces no "
            f"output 'selected' (it produces selected_data, selected_indices)") in proc.stderr
    assert "2 problem(s)" in proc.stderr and "Traceback" not in proc.stderr


def test_display_only_inputs_are_declared():
    assert REGISTRY["user.select"].contract.display_only == {"prompt"}
    assert REGISTRY["media.generate"].contract.display_only == {"title", "skip_label"}
    assert REGISTRY["api.llm"].contract.display_only == frozenset()


def test_a_contract_that_asks_needs_both_a_view_and_an_answer():
    with pytest.raises(TypeError, match="both a view and an answer shape"):
        ModuleContract(inputs=REGISTRY["io.export"].contract.inputs, outputs=frozenset(), view="select")


def test_a_wrong_answer_key_is_refused_from_the_declaration(monkeypatch):
    workflow = load(ROOT / "workflows" / "cc")
    with pytest.raises(BatchError) as info:
        check_answers({"select_pet_type": {"skip": True}}, workflow)
    assert ("at $.select_pet_type: 'skip' is not an answer to 'select_pet_type' (user.select); it takes "
            "confirmed_warnings, feedback, option, select, selected_indices") in str(info.value)
    check_answers({"select_pet_type": {"select": [0]}}, workflow)

    class IndicesOnly(Answer):
        selected_indices: list[int] = Field(None, description="a list of item numbers")

    select = REGISTRY["user.select"]
    monkeypatch.setattr(select, "contract", ModuleContract(inputs=select.contract.inputs,
                                                           outputs=select.contract.outputs, view="select",
                                                           answer=IndicesOnly))
    with pytest.raises(BatchError, match=r"'select' is not an answer to 'select_pet_type' \(user.select\); "
                                         r"it takes confirmed_warnings, feedback, option, selected_indices$"):
        check_answers({"select_pet_type": {"select": [0]}}, workflow)
    with pytest.raises(BatchError, match=r"at \$.select_pet_type.selected_indices: must be a list of item "
                                         r"numbers, not int"):
        check_answers({"select_pet_type": {"selected_indices": 0}}, workflow)


async def test_a_module_that_strays_from_its_declared_outputs_stops_the_run(tmp_path, monkeypatch):
    class Stray(Module):
        module_id = "test.stray"
        contract = ModuleContract(inputs=NoInputs, outputs=frozenset({"text"}))

        async def execute(self, ctx, inputs):
            return {"text": "hi", "extra": 1}

    monkeypatch.setitem(REGISTRY, Stray.module_id, Stray)  # removed again after the test
    register(Stray)
    root = tmp_path / "stray"
    root.mkdir()
    step = {"step_id": "one", "name": "One", "modules": [
        {"module_id": "test.stray", "name": "say", "outputs_to_state": {"text": "said"}}]}
    (root / "workflow_v3.json").write_text(json.dumps({"workflow_id": "stray", "name": "Stray", "steps": [step]}))
    engine = await Engine.open(tmp_path / "db", FakeProviders(), tmp_path / "runs")
    try:
        run = await engine.new_run(root)
        assert await run.advance() == "error"
        assert run.error == ("module 'say' (test.stray) returned outputs ['extra', 'text'], not its declared "
                             "['text'] (in stray/workflow_v3.json at $.steps[0].modules[0])")
        assert "said" not in run.state
    finally:
        await engine.close()
