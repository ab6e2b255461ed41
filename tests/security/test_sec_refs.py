"""A `$ref` can only read files inside the workflow folder: not with `..`, not with an absolute
path, not through a symlinked file or folder that points outside. Files outside hold a marker
that must never appear in a loaded workflow or in an error message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cctui.engine.engine import load
from cctui.workflow.errors import WorkflowError, WorkflowErrors

BASE = Path(__file__).resolve().parent.parent / "corpus" / "valid_base"
SECRET = "SECRET-OUTSIDE-ROOT-51d2"
STEP = "steps/2_write/step.json"


@pytest.fixture
def layout(tmp_path):
    """tmp/outside/{secret.json, secret.txt, dir/} next to tmp/wf (a copy of the valid base)."""
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    schema = {"type": "object", "properties": {"x": {"type": "string", "description": SECRET}},
              "required": ["x"], "additionalProperties": False}
    for folder in (outside, outside / "dir"):
        (folder / "secret.json").write_text(json.dumps(schema))
        (folder / "secret.txt").write_text(SECRET)
    root = tmp_path / "wf"
    shutil.copytree(BASE, root)
    return root, outside


def point(root: Path, where: str, ref: str) -> None:
    """Set the $ref of the write_titles module's `output_schema` (json) or `system[0]` (text)."""
    step = json.loads((root / STEP).read_text())
    inputs = step["modules"][0]["inputs"]
    if where == "schema":
        inputs["output_schema"]["$ref"] = ref
    else:
        inputs["system"][0]["$ref"] = ref
    (root / STEP).write_text(json.dumps(step))


def refused(root: Path) -> str:
    with pytest.raises((WorkflowError, WorkflowErrors)) as info:
        load(root)
    message = str(info.value)
    assert SECRET not in message
    return message


def test_the_base_loads_and_holds_no_secret(layout):
    root, _ = layout
    assert SECRET not in json.dumps(load(root).model_dump(mode="json"))


@pytest.mark.parametrize("ref", ["../../../outside/secret.json", "schemas/../../../../outside/secret.json",
                                 "../../../wf/../outside/secret.json", "/../outside/secret.json",
                                 "//../outside/secret.json"])
def test_dotdot_cannot_leave_the_root(layout, ref):
    root, _ = layout
    point(root, "schema", ref)
    assert "leaves the workflow folder" in refused(root)


@pytest.mark.parametrize("where", ["schema", "text"])
def test_an_absolute_path_is_taken_from_the_workflow_root(layout, where):
    root, outside = layout
    target = outside / ("secret.json" if where == "schema" else "secret.txt")
    point(root, where, str(target))  # /tmp/.../outside/secret.json, which exists
    message = refused(root)
    assert "file not found" in message
    assert f"wf{target}" in message  # looked for inside the workflow folder


@pytest.mark.parametrize("where", ["schema", "text"])
def test_a_symlinked_file_pointing_outside_is_refused(layout, where):
    root, outside = layout
    name = "secret.json" if where == "schema" else "secret.txt"
    (root / "steps/2_write" / name).symlink_to(outside / name)
    point(root, where, name)
    assert "leaves the workflow folder" in refused(root)


@pytest.mark.parametrize("where", ["schema", "text"])
def test_a_symlinked_folder_pointing_outside_is_refused(layout, where):
    root, outside = layout
    (root / "steps/2_write/shared").symlink_to(outside / "dir", target_is_directory=True)
    point(root, where, "shared/" + ("secret.json" if where == "schema" else "secret.txt"))
    assert "leaves the workflow folder" in refused(root)


def test_a_symlink_that_stays_inside_is_fine(layout):
    """The check is about where a file really is, not about symlinks as such."""
    root, _ = layout
    (root / "steps/2_write/schemas/alias.json").symlink_to(root / "steps/2_write/schemas/titles.json")
    point(root, "schema", "schemas/alias.json")
    assert load(root).steps[1].modules[0].inputs["output_schema"]["required"] == ["titles"]


def test_a_workflow_folder_reached_through_a_symlink_still_loads(layout, tmp_path):
    root, _ = layout
    link = tmp_path / "linked_wf"
    link.symlink_to(root, target_is_directory=True)
    assert [s.step_id for s in load(link).steps] == ["pick", "write"]


def test_a_template_cannot_include_files_either(layout):
    """Jinja's own way to read a file ({% include %}) has no loader: nothing is read."""
    root, outside = layout
    (root / "steps/2_write/prompts/user.txt").write_text(
        f"{{% include '{outside / 'secret.txt'}' %}} {{{{ state.pet_choice.label }}}}")
    from cctui.workflow.templates import TemplateError, build_context, render_value

    workflow = load(root)
    prompt = workflow.steps[1].modules[0].inputs["input"]
    with pytest.raises(TemplateError) as info:
        render_value(prompt, build_context({"pet_choice": {"label": "Cat"}}), "input")
    assert SECRET not in str(info.value)
