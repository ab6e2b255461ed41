"""`io.save_json`, `io.write_text` and `io.load_json` in a real engine: files kept in the
database per run, by `target_path`, and seen as the state is: going back past the module that
wrote a file hides it from the new branch; files written before the target stay."""

from __future__ import annotations

import pytest

from cctui.records import RunStatus
from one_step_workflow import finish, resolved, write


def save(name: str, data, file_path: str = "notes.json", **inputs) -> dict:
    return {"module_id": "io.save_json", "name": name,
            "inputs": {"data": data, "file_path": file_path, "resolver_schema": resolved("data"), **inputs},
            "outputs_to_state": {"file_id": f"{name}_id", "file_path": f"{name}_file", "success": f"{name}_ok"}}


def load(name: str, file_path: str = "notes.json", **inputs) -> dict:
    return {"module_id": "io.load_json", "name": name, "inputs": {"file_path": file_path, **inputs},
            "outputs_to_state": {"data": name, "file_exists": f"{name}_exists", "file_id": f"{name}_id"}}


def text(name: str, content: str, file_path: str = "extra.txt", **inputs) -> dict:
    return {"module_id": "io.write_text", "name": name,
            "inputs": {"content": content, "file_path": file_path, "resolver_schema": resolved("content"), **inputs},
            "outputs_to_state": {"bytes_written": f"{name}_bytes", "file_path": f"{name}_file"}}


async def test_files_round_trip_by_folder(fake_engine, tmp_path):
    modules = (save("keep", "{{ state.concept }}"), save("keep_root", '{"where": "root"}', target_path="root"),
               save("keep_step", "[1, 2]", file_path="out/step1/notes.json", target_path="step1"),
               text("summary", "Título: ☕ {{ state.concept.title }}", file_path="summary.txt"),
               text("as_json", '{"n": 3}', file_path="n.json"),
               load("loaded"), load("loaded_root", target_path="root"), load("loaded_step", target_path="step1"),
               load("loaded_text", file_path="n.json"))
    folder = write(tmp_path / "w", *modules, state={"concept": {"title": "Nap", "tags": ["calm"]}})
    run = await finish(fake_engine, folder)
    assert run.status is RunStatus.COMPLETED, run.error
    state = run.state
    assert state["loaded"] == {"title": "Nap", "tags": ["calm"]} and state["loaded_id"] == state["keep_id"]
    assert state["loaded_root"] == {"where": "root"} and state["loaded_step"] == [1, 2]
    assert state["keep_step_file"] == "notes.json" and state["keep_ok"] is True
    assert state["summary_bytes"] == len("Título: ☕ Nap".encode()) and state["loaded_text"] == {"n": 3}
    # Another run of the same workflow has files of its own.
    other = await finish(fake_engine, folder)
    assert other.state["loaded_id"] == other.state["keep_id"] != state["keep_id"]


async def test_going_back_hides_files_written_from_the_target_on(fake_engine, tmp_path):
    steps = [
        {"step_id": "a", "name": "A", "modules": [save("first", {"from": "a"})]},
        {"step_id": "b", "name": "B", "modules": [
            load("seen_notes"), load("seen_extra", file_path="extra.txt", required=False, default="none"),
            save("second", {"from": "b"}), text("later", "[1]"), load("final"),
            load("final_extra", file_path="extra.txt", required=False, default="none")]}]
    run = await finish(fake_engine, write(tmp_path / "w", steps=steps))
    assert run.status is RunStatus.COMPLETED, run.error
    assert (run.state["seen_notes"], run.state["seen_extra"]) == ({"from": "a"}, "none")
    assert (run.state["final"], run.state["final_extra"]) == ({"from": "b"}, [1])

    await run.jump_to("b", "seen_notes")
    assert run.status is RunStatus.COMPLETED, run.error
    # The abandoned branch's later files are not seen; step a's file is.
    assert (run.state["seen_notes"], run.state["seen_extra"], run.state["seen_extra_exists"]) == (
        {"from": "a"}, "none", False)

    await run.jump_to("b", "later")
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["final"] == {"from": "b"}  # written before the target, on the branch before: still seen
    assert run.state["final_id"] == run.state["second_id"]


@pytest.mark.parametrize("module, reason", [
    (load("missing", file_path="nowhere.json"), "no file 'nowhere.json' in outputs has been saved in this run"),
    (save("bad", "{not json"), "input `data` is text but not JSON"),
    (text("bad", "{{ state.obj }}"), "input `content` must be text, not an object"),
    (save("bad", {"a": 1}, file_path="  "), "input `file_path` must be a file name"),
])
async def test_file_errors_name_the_module_and_what_to_do(fake_engine, tmp_path, module, reason):
    run = await finish(fake_engine, write(tmp_path / "w", module, state={"obj": {"a": 1}}))
    assert run.status is RunStatus.ERROR
    assert f"module {module['name']!r}" in run.error and reason in run.error


async def test_loading_text_that_is_not_json_is_refused(fake_engine, tmp_path):
    modules = (text("note", "just words", file_path="note.json"), load("back", file_path="note.json"))
    run = await finish(fake_engine, write(tmp_path / "w", *modules))
    assert run.status is RunStatus.ERROR
    assert "module 'back'" in run.error and "file 'note.json' holds text that is not JSON" in run.error
