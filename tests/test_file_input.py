"""`user.file_input`: a path or a data: URL, checked (exists, a file, an allowed extension, a
size that fits) and copied into the run; what it refuses keeps the question with a clear reason."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from cctui.engine.engine import load
from cctui.engine.errors import AnswerError


def picture_bytes(fmt: str = "PNG", colour=(200, 80, 40)) -> bytes:
    """A real little picture: pictures are decoded when they are taken, fake bytes are refused."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(out, fmt)
    return out.getvalue()


def write(root: Path, **inputs) -> Path:
    root.mkdir()
    (root / "workflow.json").write_text(json.dumps({
        "workflow_id": "photo", "name": "Photo", "steps": [{"step_id": "pick", "name": "Pick", "modules": [
            {"module_id": "user.file_input", "name": "photo", "inputs": {"prompt": "Photo", **inputs},
             "outputs_to_state": {"value": "photo_path", "filename": "photo_name", "file": "photo"}}]}]}),
        encoding="utf-8")
    return root


@pytest.fixture
def engine(fake_engine):
    return fake_engine


async def asked(engine, folder):
    run = await engine.new_run(folder)
    await run.advance()
    return run, (await run.pending()).interaction_id


async def test_a_path_is_checked_and_copied_into_the_run(engine, tmp_path, monkeypatch):
    (tmp_path / "pics").mkdir()
    photo = tmp_path / "pics" / "Miso 1.PNG"
    photo.write_bytes(picture_bytes())
    run, iid = await asked(engine, write(tmp_path / "wf", extensions=["png"]))
    for wrong, reason in ((tmp_path / "nope.png", "does not exist"), (tmp_path / "pics", "is a folder"),
                          ("", "give the path of a file")):
        with pytest.raises(AnswerError, match=reason):
            await run.answer(iid, {"value": str(wrong) if wrong else ""})
    (tmp_path / "pics" / "notes.txt").write_text("x")
    with pytest.raises(AnswerError, match=r"notes.txt is not one of the files this step takes \(.png\)"):
        await run.answer(iid, {"value": str(tmp_path / "pics" / "notes.txt")})
    monkeypatch.chdir(tmp_path)  # a relative path is read from where cctui was started
    assert await run.answer(iid, {"value": "pics/Miso 1.PNG"}) == "completed"
    copy = Path(run.state["photo_path"])
    assert copy.parent == run.run_dir / "uploads" and copy.name == "Miso_1.png"
    assert copy.read_bytes() == photo.read_bytes() and run.state["photo_name"] == "Miso 1.PNG"
    photo.unlink()  # the original can go: the run keeps its copy
    assert copy.is_file()


async def test_a_data_url_is_decoded_into_the_run(engine, tmp_path):
    run, iid = await asked(engine, write(tmp_path / "wf", extensions=[".png"]))
    with pytest.raises(AnswerError, match="base64 is broken"):
        await run.answer(iid, {"value": "data:image/png;base64,***"})
    with pytest.raises(AnswerError, match=r"upload.jpg is not one of the files"):
        await run.answer(iid, {"value": "data:image/jpeg;base64," + base64.b64encode(b"jpg").decode()})
    png = picture_bytes()
    await run.answer(iid, {"value": "data:image/png;base64," + base64.b64encode(png).decode()})
    assert Path(run.state["photo_path"]).read_bytes() == png


async def test_the_copy_is_also_a_content_item_like_a_generated_image(engine, tmp_path):
    """What a step that starts from an image reads (`SourceImage.from_value`), with an id made from
    the bytes: the same picture again is the same source, another one is not."""
    from cctui.records import SourceImage

    folder = write(tmp_path / "wf")
    (tmp_path / "a.png").write_bytes(picture_bytes())
    (tmp_path / "b.webp").write_bytes(picture_bytes("WEBP", (10, 200, 90)))
    items = []
    for given in (tmp_path / "a.png", tmp_path / "b.webp", tmp_path / "a.png"):
        run, iid = await asked(engine, folder)
        await run.answer(iid, {"value": str(given)})
        items.append(run.state["photo"])
    first = items[0]
    assert first == {"content_id": first["content_id"], "kind": "image", "provider": None,
                     "local_path": run_copy(items[0]), "url": None, "filename": "a.png", "mime_type": "image/png",
                     "size_bytes": (tmp_path / "a.png").stat().st_size, "metadata": {}}
    assert first["content_id"].startswith("upload-") and first["content_id"] == items[2]["content_id"]
    assert items[1]["content_id"] != first["content_id"] and items[1]["mime_type"] == "image/webp"
    source = SourceImage.from_value(first)
    assert (source.local_path, source.content_id) == (first["local_path"], first["content_id"])
    assert Path(source.local_path).read_bytes() == (tmp_path / "a.png").read_bytes()


def run_copy(item: dict) -> str:
    path = Path(item["local_path"])
    assert path.parent.name == "uploads" and path.is_file()
    return str(path)


def test_retry_by_keyword_is_a_validate_warning(tmp_path):
    workflow = load(write(tmp_path / "wf", retry_trigger_keyword="r"))
    (warning,) = workflow.warnings
    assert (warning.file, warning.path) == ("wf/workflow.json", "$.steps[0].modules[0].inputs.retry_trigger_keyword")
