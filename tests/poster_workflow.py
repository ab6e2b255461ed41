"""A small workflow that is not CC, for the tests of declared results: the creator names a
picture, templates write its caption and notes; it declares a poster, a caption and notes."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

POSTER = {
    "workflow_id": "poster", "name": "Poster", "initial_state": {"pet": "Rex"},
    "steps": [{"step_id": "make", "name": "Make the poster", "modules": [
        {"module_id": "user.text_input", "name": "pick_picture", "inputs": {"prompt": "Picture file"},
         "outputs_to_state": {"text": "picture_path"}},
        {"module_id": "io.render_template", "name": "write_caption",
         "inputs": {"template": "A poster of {{ state.pet }}."}, "outputs_to_state": {"text": "caption"}},
        {"module_id": "io.render_template", "name": "write_notes",
         "inputs": {"template": "# Notes\n\nMade for {{ state.pet }}."}, "outputs_to_state": {"text": "notes"}}]}],
    "results": [
        {"id": "poster", "kind": "image", "label": "Poster", "state_key": "picture_path", "export": "poster.*"},
        {"id": "caption", "kind": "text", "label": "Caption", "state_key": "caption", "export": "caption.txt"},
        {"id": "notes", "kind": "markdown", "label": "How it was made", "state_key": "notes"}],
}


def write_poster(tmp_path: Path) -> Path:
    folder = tmp_path / "poster"
    folder.mkdir()
    (folder / "workflow.json").write_text(json.dumps(POSTER), encoding="utf-8")
    return folder


def write_picture(path: Path) -> Path:
    Image.new("RGB", (40, 60), (200, 80, 40)).save(path, format="PNG")
    return path


async def finish_poster_run(engine, folder: Path, picture: Path):
    """A run of the poster workflow to its end: the picture named, the templates rendered."""
    run = await engine.new_run(folder)
    assert await run.advance() == "waiting"
    assert await run.answer((await run.pending()).interaction_id, {"text": str(picture)}) == "completed"
    return run
