"""Every kind of broken workflow folder: the message names the file, the JSON path and why,
and `cctui validate` exits 2 without a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cctui.cli import main
from cctui.engine.engine import load
from cctui.workflow.errors import WorkflowError, WorkflowErrors

STRICT_SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}},
    "required": ["title"],
    "additionalProperties": False,
}


def write(root: Path, rel: str, content) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2), encoding="utf-8")
    return path


def llm_module(**inputs) -> dict:
    base = {
        "resolver_schema": {"type": "object", "properties": {"input": {"resolver": "server"}}},
        "input": "Write a title for a {{ state.pet }} video.",
        "output_schema": {"$ref": "schemas/out.json", "type": "json"},
        "provider": "openai",
    }
    base.update(inputs)
    return {"module_id": "api.llm", "name": "make_title", "inputs": base, "outputs_to_state": {"response": "title"}}


def make_workflow(root: Path, module: dict | None = None, schema: dict | None = None) -> Path:
    write(root, "workflow_v3.json", {
        "workflow_id": "t", "name": "T", "initial_state": {"pet": "cat"}, "undefined_paths": "error",
        "steps": [{"$ref": "steps/1_one/step.json", "type": "json"}],
    })
    write(root, "steps/1_one/step.json", {"step_id": "one", "name": "Step {step_number}: One",
                                          "modules": [module or llm_module()]})
    write(root, "steps/1_one/schemas/out.json", schema or STRICT_SCHEMA)
    return root


def errors_of(root: Path) -> list[WorkflowError]:
    with pytest.raises((WorkflowError, WorkflowErrors)) as info:
        load(root)
    return info.value.errors if isinstance(info.value, WorkflowErrors) else [info.value]


def only_error(root: Path) -> WorkflowError:
    errs = errors_of(root)
    assert len(errs) == 1, [str(e) for e in errs]
    return errs[0]


def test_a_good_minimal_workflow_loads(tmp_path):
    wf = load(make_workflow(tmp_path))
    assert [s.step_id for s in wf.steps] == ["one"]
    assert wf.steps[0].modules[0].inputs["output_schema"] == STRICT_SCHEMA


def test_missing_ref_file(tmp_path):
    make_workflow(tmp_path)
    (tmp_path / "steps/1_one/schemas/out.json").unlink()
    err = only_error(tmp_path)
    assert err.file.endswith("steps/1_one/step.json")
    assert err.path == "$.modules[0].inputs.output_schema['$ref']"
    assert "file not found" in err.reason


def test_ref_leaving_the_root(tmp_path):
    root = make_workflow(tmp_path / "wf")
    write(tmp_path, "secret.json", {"x": 1})
    step = json.loads((root / "steps/1_one/step.json").read_text())
    step["modules"][0]["inputs"]["output_schema"]["$ref"] = "../../../secret.json"
    write(root, "steps/1_one/step.json", step)
    err = only_error(root)
    assert err.file.endswith("steps/1_one/step.json") and "output_schema" in err.path
    assert "leaves the workflow folder" in err.reason


def test_ref_through_a_symlink_out_of_the_root(tmp_path):
    root = make_workflow(tmp_path / "wf")
    outside = write(tmp_path, "outside.json", STRICT_SCHEMA)
    link = root / "steps/1_one/schemas/link.json"
    link.symlink_to(outside)
    step = json.loads((root / "steps/1_one/step.json").read_text())
    step["modules"][0]["inputs"]["output_schema"]["$ref"] = "schemas/link.json"
    write(root, "steps/1_one/step.json", step)
    assert "leaves the workflow folder" in only_error(root).reason


def test_ref_cycle(tmp_path):
    root = make_workflow(tmp_path)
    write(root, "steps/1_one/schemas/out.json", {"$ref": "b.json", "type": "json"})
    write(root, "steps/1_one/schemas/b.json", {"$ref": "/steps/1_one/schemas/out.json", "type": "json"})
    err = only_error(root)
    assert err.file.endswith("schemas/b.json") and err.path == "$['$ref']"
    assert "cycle" in err.reason and "out.json -> " in err.reason


def test_invalid_json_with_line_and_column(tmp_path):
    root = make_workflow(tmp_path)
    write(root, "steps/1_one/schemas/out.json", '{\n  "type": "object",\n  "properties": {,}\n}')
    err = only_error(root)
    assert err.file.endswith("schemas/out.json") and err.path == "$"
    assert "line 3, column 18" in err.reason


def test_unknown_module_id(tmp_path):
    module = llm_module()
    module["module_id"] = "api.llmm"
    err = only_error(make_workflow(tmp_path, module))
    assert err.file.endswith("steps/1_one/step.json") and err.path == "$.modules[0].module_id"
    assert "unknown module_id 'api.llmm'" in err.reason


def test_invalid_json_schema(tmp_path):
    bad = dict(STRICT_SCHEMA, properties={"title": {"type": "strin"}})
    err = errors_of(make_workflow(tmp_path, schema=bad))[0]
    assert err.file.endswith("schemas/out.json")
    assert err.path == "$.properties.title.type"
    assert "Draft 2020-12" in err.reason


def test_jinja_syntax_error_in_a_prompt_file(tmp_path):
    root = make_workflow(tmp_path, llm_module(input={"$ref": "prompts/user.txt", "type": "jinja2"}))
    write(root, "steps/1_one/prompts/user.txt", "Line one\nA {{ state.pet  video\n")
    err = only_error(root)
    assert err.file.endswith("prompts/user.txt") and err.path == "$"
    assert "syntax error at line 2" in err.reason


def test_strict_mode_property_missing_from_required(tmp_path):
    bad = dict(STRICT_SCHEMA, properties={"title": {"type": "string"}, "hook": {"type": "string"}})
    err = only_error(make_workflow(tmp_path, schema=bad))
    assert err.file.endswith("schemas/out.json") and err.path == "$.required"
    assert "'hook' is missing from `required`" in err.reason


def test_strict_mode_object_without_additional_properties_false(tmp_path):
    bad = {k: v for k, v in STRICT_SCHEMA.items() if k != "additionalProperties"}
    err = only_error(make_workflow(tmp_path, schema=bad))
    assert err.file.endswith("schemas/out.json") and err.path == "$"
    assert "additionalProperties: false" in err.reason


def test_template_reading_state_no_earlier_module_writes(tmp_path):
    err = only_error(make_workflow(tmp_path, llm_module(input="A {{ state.mood }} video about {{ state.pet }}")))
    assert err.file.endswith("steps/1_one/step.json") and err.path == "$.modules[0].inputs.input"
    assert "state.mood" in err.reason and "no earlier module writes" in err.reason


def test_template_reading_its_own_output_is_refused(tmp_path):
    # `title` is written by this very module, so it cannot be read in its inputs.
    assert "state.title" in only_error(make_workflow(tmp_path, llm_module(input="{{ state.title }}"))).reason


def test_retry_target_that_does_not_exist(tmp_path):
    module = llm_module()
    select = {"module_id": "user.select", "name": "pick", "inputs": {"data": ["a", "b"]},
              "retryable": {"options": [{"id": "again", "label": "Again", "mode": "retry",
                                         "target_module": "nope"}]}}
    root = make_workflow(tmp_path, module)
    step = json.loads((root / "steps/1_one/step.json").read_text())
    step["modules"].append(select)
    write(root, "steps/1_one/step.json", step)
    err = only_error(root)
    assert err.path == "$.modules[1].retryable.options[0].target_module"
    assert "no module named 'nope'" in err.reason


def test_several_problems_are_reported_together(tmp_path):
    module = llm_module(input="{{ state.mood }}")
    module["module_id"] = "nope"
    assert len(errors_of(make_workflow(tmp_path, module))) == 2


def test_cli_validate_exits_2_with_file_and_path(tmp_path, capsys):
    module = llm_module()
    module["module_id"] = "api.llmm"
    assert main(["validate", str(make_workflow(tmp_path, module))]) == 2
    err = capsys.readouterr().err
    assert "steps/1_one/step.json: at $.modules[0].module_id: unknown module_id" in err
    assert "Traceback" not in err


def test_cli_validate_lists_the_ten_cc_steps(cc_workflow, capsys):
    assert main(["validate", str(cc_workflow)]) == 0
    out = capsys.readouterr().out
    for i, step_id in enumerate(["user_input", "scene_generation", "image_prompts", "image_analysis",
                                 "video_generation", "text_overlays", "titles_social", "narration", "music",
                                 "workflow_summary"], start=1):
        assert f"  {i}. {step_id}: Step {i}: " in out
    assert "ok: 10 steps" in out


def test_cli_validate_missing_folder(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "workflow folder not found" in capsys.readouterr().err


def test_a_copy_of_cc_with_one_broken_prompt_names_it(tmp_path, cc_workflow):
    root = tmp_path / "cc"
    shutil.copytree(cc_workflow, root)
    prompt = root / "steps/5_video_generation/prompts/cc_video_prompts_user.txt"
    prompt.write_text(prompt.read_text() + "\n{% for x in state.nothing_here %}{{ x }}{% endfor %}\n")
    err = only_error(root)
    # The template file itself is named: that is the file to open.
    assert err.file.endswith("steps/5_video_generation/prompts/cc_video_prompts_user.txt")
    assert err.path == "$" and "state.nothing_here" in err.reason


def test_an_unreadable_workflow_folder_is_one_clear_error(tmp_path, monkeypatch, capsys):
    # The tests run as root, whom no permission bits stop: the PermissionError the OS gives any
    # other user is raised by the one call that meets it.
    from pathlib import Path

    from cctui.cli import main

    folder = tmp_path / "wf"
    folder.mkdir()
    real_exists = Path.exists

    def exists(self, *args, **kwargs):
        if self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real_exists(self, *args, **kwargs)

    monkeypatch.setattr(Path, "exists", exists)
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"error: {folder}: at $: the workflow folder cannot be read (Permission denied)" in err
    assert "Traceback" not in err
