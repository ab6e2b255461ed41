"""A small workflow in the seed format (an entry file and `$ref` step files) for `user.form` and
`io.client_write`: the creator weighs three party styles in a table, then the weights are written
to a JSON file and a note to a text file."""

from __future__ import annotations

import json
from pathlib import Path

STYLES = [
    {"name": "Disco", "era": "1970s", "_id": "s1"},
    {"name": "Garden tea", "era": "Victorian", "_id": "s2"},
    {"name": "Space", "era": "Future", "_id": "s3"},
]

ITEM_SCHEMA = {
    "type": "object",
    "properties": {"era": {"type": "string"}, "name": {"type": "string", "display": "title"}},
    "input_schema": {
        "type": "object",
        "required": ["mood"],
        "properties": {
            "weight": {"type": "integer", "title": "Weight", "minimum": 0, "maximum": 100, "default": 50},
            "mode": {"type": "string", "title": "Mode", "enum": ["bold", "soft"], "default": "soft"},
            "mood": {"type": "string", "title": "Mood", "pattern": "^[a-z]+$"},
        },
    },
}

SERVER = {"resolver": "server"}


def form_step() -> dict:
    return {"step_id": "styles", "name": "Step {step_number}: Weigh the styles", "modules": [
        {"module_id": "user.form", "name": "weigh_styles",
         "inputs": {"resolver_schema": {"type": "object", "properties": {"data": SERVER}},
                    "data": "{{ state.styles }}", "schema": ITEM_SCHEMA,
                    "prompt": "How much of each style for {{ state.pet_name }}'s party?", "form_type": "table"},
         "outputs_to_state": {"form_data": "style_weights"}}]}


def write_step(json_name: str = "party_styles.json", text_destination: str = "ws") -> dict:
    return {"step_id": "save", "name": "Step {step_number}: Save", "modules": [
        {"module_id": "io.client_write", "name": "save_weights",
         "inputs": {"resolver_schema": {"type": "object", "properties": {"content": SERVER}},
                    "content": "{{ state.style_weights }}", "filename": json_name},
         "outputs_to_state": {"file_path": "weights_path", "filename": "weights_name", "success": "weights_saved"}},
        {"module_id": "io.client_write", "name": "save_note",
         "inputs": {"resolver_schema": {"type": "object", "properties": {"content": SERVER}},
                    "content": "Party for {{ state.pet_name }}: {{ state.style_weights | length }} styles",
                    "filename": "party_note.txt", "format": "text", "destination": text_destination},
         "outputs_to_state": {"file_path": "note_path"}}]}


def write_workflow(root: Path, *steps: dict, state: dict | None = None) -> Path:
    """The workflow folder, with the form step then the write step unless others are given;
    `state` is added to the initial state (weights already chosen, for a workflow that only writes)."""
    steps = steps or (form_step(), write_step())
    root.mkdir(parents=True)
    refs = []
    for n, step in enumerate(steps, 1):
        rel = f"steps/{n}_{step['step_id']}/step.json"
        (root / rel).parent.mkdir(parents=True)
        (root / rel).write_text(json.dumps(step, indent=2), encoding="utf-8")
        refs.append({"$ref": rel, "type": "json"})
    (root / "workflow_v3.json").write_text(json.dumps({
        "workflow_id": "party_styles", "name": "Party styles", "version": "1.0",
        "initial_state": {"pet_name": "Miso", "styles": STYLES, **(state or {})}, "config": {}, "steps": refs}), encoding="utf-8")
    return root
