"""A media step's own-file tab ("Your photo", `_ux.provider: "you"`): the creator's picture,
checked (a file, a picture, a format the tab takes, a size that fits), copied into the run turned
upright by its EXIF orientation, and recorded as a finished generation, chosen like any other.
Nothing is sent to a provider. A refused file leaves nothing behind and says what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from cctui.batch import BatchError, BatchRunner, check_answers
from cctui.engine.engine import load
from cctui.engine.errors import AnswerError

TABS = {
    "type": "object",
    "properties": {
        "leonardo": {"type": "object", "_ux": {"render_as": "tab.media", "provider": "leonardo",
                                               "tab_label": "Leonardo", "input_schema": {
                                                   "type": "object", "properties": {
                                                       "_text": {"type": "string", "destination_field": "prompt",
                                                                 "_ux": {"source_field": "prompt"}}}}}},
        "your_photo": {"type": "object", "_ux": {"render_as": "tab.media", "provider": "you",
                                                 "tab_label": "Your photo", "extensions": ["png", "jpg", "jpeg"]}},
    },
}


def write_workflow(root: Path) -> Path:
    root.mkdir()
    (root / "workflow.json").write_text(json.dumps({
        "workflow_id": "own", "name": "Own photo", "steps": [{"step_id": "image", "name": "Image", "modules": [
            {"module_id": "media.generate", "name": "pick_image",
             "inputs": {"schema": TABS, "prompts": {"leonardo": {"prompt": "a cat"}}},
             "sub_actions": [{"id": "generate", "label": "Generate", "action_type": "txt2img",
                              "result_key": "generations"}],
             "outputs_to_state": {"selected_content": "picture", "generations": "pictures"}}]}]}),
        encoding="utf-8")
    return root


def landscape_with_exif_turn(path: Path) -> Path:
    """Stored 160x90 (left half red, right half blue) with EXIF orientation 6: a viewer turns it
    90° clockwise, so upright it is 90x160 with red on top."""
    img = Image.new("RGB", (160, 90), (0, 0, 220))
    img.paste((220, 0, 0), (0, 0, 80, 90))
    exif = Image.Exif()
    exif[0x0112] = 6
    img.save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path


async def asked(engine, folder):
    run = await engine.new_run(folder)
    await run.advance()
    return run, (await run.pending()).interaction_id


def left_behind(run) -> list[Path]:
    uploads = run.run_dir / "uploads"
    return sorted(uploads.iterdir()) if uploads.is_dir() else []


async def test_refused_files_say_what_is_wrong_and_leave_nothing(fake_engine, tmp_path):
    run, iid = await asked(fake_engine, write_workflow(tmp_path / "wf"))
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a picture at all")
    huge = tmp_path / "scan.jpg"
    with huge.open("wb") as fh:  # sparse: 51 MB on paper, nothing on disk
        fh.truncate(51 * 1024 * 1024)
    heic = tmp_path / "IMG_0001.HEIC"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic")
    cases = [
        (tmp_path / "missing.jpg", rf"Your photo: {tmp_path}/missing.jpg does not exist; give the path of a file"),
        (tmp_path, "is a folder; give the path of a file"),
        (notes, rf"Your photo: {notes} is not a picture \(its name ends in .jpg, but its content is no image "
                rf"format cctui reads\); choose a photo saved as JPEG, PNG or WebP"),
        (huge, rf"Your photo: {huge} is 51 MB; at most 50 MB can be used for a picture \(save a smaller copy first\)"),
        (heic, r"IMG_0001.HEIC is not one of the files this step takes \(.png, .jpg, .jpeg\); choose one of those, "
               r"or export it as one first"),
        ("   ", "give the path of a picture"),
    ]
    for given, message in cases:
        with pytest.raises(AnswerError, match=message):
            await run.own_file(iid, "your_photo", str(given))
    assert left_behind(run) == [] and await run.generations() == []
    assert fake_engine.services.providers.submits() == 0


async def test_a_picture_under_another_name_is_taken_as_what_it_is(fake_engine, tmp_path):
    run, iid = await asked(fake_engine, write_workflow(tmp_path / "wf"))
    Image.new("RGB", (40, 30), (10, 120, 200)).save(tmp_path / "cat.jpg", "PNG")
    Image.new("RGB", (40, 30), (10, 120, 200)).save(tmp_path / "dog.jpg", "WEBP")
    whole = tmp_path / "whole.jpg"
    Image.new("RGB", (400, 300), (200, 120, 10)).save(whole, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(whole.read_bytes()[:600])
    with pytest.raises(AnswerError, match=r"Your photo: dog.jpg is a WEBP under another name; this step takes "
                                          r".png, .jpg, .jpeg: export it as one of those and choose that"):
        await run.own_file(iid, "your_photo", str(tmp_path / "dog.jpg"))
    with pytest.raises(AnswerError, match=r"Your photo: .*cut.jpg is a damaged picture \(.*\); open it in an image "
                                          r"viewer and save it again, or choose another"):
        await run.own_file(iid, "your_photo", str(tmp_path / "cut.jpg"))
    assert left_behind(run) == []
    await run.own_file(iid, "your_photo", str(tmp_path / "cat.jpg"))
    (generation,) = await run.generations()
    copy = Path(generation["items"][0]["local_path"])
    assert copy.name == "cat.png" and copy.read_bytes() == (tmp_path / "cat.jpg").read_bytes()


async def test_a_photo_is_turned_upright_and_chosen_like_a_generation(fake_engine, tmp_path):
    photo = landscape_with_exif_turn(tmp_path / "Miso on the sofa.JPG")
    run, iid = await asked(fake_engine, write_workflow(tmp_path / "wf"))
    job_id = await run.own_file(iid, "your_photo", f"'{photo}'")  # quoted as a file manager copies it
    (generation,) = await run.generations()
    assert (generation["job_id"], generation["provider"], generation["action"], generation["tab"],
            generation["status"], generation["cost"]) == (job_id, "you", "own_file", "your_photo", "completed", None)
    assert generation["params"] == {"from": str(photo), "turned": "upright, as the camera's EXIF said"}
    (item,) = generation["items"]
    copy = Path(item["local_path"])
    assert copy == run.run_dir / "uploads" / "Miso_on_the_sofa.jpg" and item["kind"] == "image"
    with Image.open(copy) as upright:
        assert upright.size == (90, 160) and upright.getexif().get(0x0112, 1) == 1
        top, bottom = upright.convert("RGB").getpixel((45, 20)), upright.convert("RGB").getpixel((45, 140))
    assert top[0] > 180 and top[2] < 60 and bottom[2] > 180 and bottom[0] < 60  # red on top, as the camera saw it
    assert fake_engine.services.providers.submits() == 0  # nothing was sent anywhere

    assert await run.answer(iid, {"select": 0}) == "completed"
    picture = run.state["picture"]
    assert (picture["provider"], picture["local_path"], picture["prompt_key"]) == ("you", str(copy), "your_photo")
    photo.unlink()  # the original can go: the run keeps its copy
    assert copy.is_file()


async def test_the_photo_tab_and_the_generating_tabs_do_not_mix(fake_engine, tmp_path):
    run, iid = await asked(fake_engine, write_workflow(tmp_path / "wf"))
    with pytest.raises(AnswerError, match="Your photo generates nothing: it takes a file of yours"):
        await run.sub_action(iid, "generate", "your_photo", {})
    with pytest.raises(AnswerError, match=r"no tab 'leonardo' here takes a file of yours \(that is your_photo\)"):
        await run.own_file(iid, "leonardo", str(tmp_path))
    assert fake_engine.services.providers.submits() == 0


async def test_an_answers_file_gives_the_photo_by_path(fake_engine, tmp_path):
    folder = write_workflow(tmp_path / "wf")
    photo = landscape_with_exif_turn(tmp_path / "pet.jpg")
    workflow = load(folder)
    with pytest.raises(BatchError, match=r"sub_actions\[0\].file: tab 'your_photo' takes a file of yours"):
        check_answers({"pick_image": {"sub_actions": [{"tab": "your_photo"}], "select": 0}}, workflow)
    with pytest.raises(BatchError, match=r"sub_actions\[0\].file: tab 'leonardo' generates"):
        check_answers({"pick_image": {"sub_actions": [{"tab": "leonardo", "file": "x.jpg"}], "select": 0}}, workflow)
    lines: list[str] = []
    answers = {"pick_image": {"sub_actions": [{"tab": "your_photo", "file": str(photo)}], "select": 0}}
    run = await BatchRunner(fake_engine, answers, out=lines.append).run(folder)
    assert run.state["picture"]["provider"] == "you"
    assert Image.open(run.state["picture"]["local_path"]).size == (90, 160)
    assert "    pick_image: your_photo own_file completed" in lines
    assert fake_engine.services.providers.submits() == 0


async def test_the_example_answers_make_the_clip_from_your_photo_over_http(tmp_path, monkeypatch, standin,
                                                                           cc_workflow):
    """`examples/cc-your-photo-answers.json` in batch mode against the stand-in with the real clients:
    no image is generated; the analysis, Leonardo's init image and Sora's reference start from the
    photo (turned upright); the render ends in an MP4."""
    from cctui.settings import SecretStr

    from cctui.batch import load_answers
    from cctui.engine.engine import Engine
    from cctui.providers.registry import Providers
    from cctui.settings import load_settings
    from pet_photo import draw_pet_photo

    upright = Image.open(draw_pet_photo(tmp_path / "upright.png", size=(720, 1280))).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 8  # "turn left to show": stored turned a quarter to the right
    upright.rotate(-90, expand=True).save(tmp_path / "pet.jpg", "JPEG", quality=95, exif=exif.tobytes())
    monkeypatch.chdir(tmp_path)  # the example names `pet.jpg`, read from where cctui is started
    urls = standin.base_urls
    settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data",
                             openai_base_url=urls["openai"], leonardo_base_url=urls["leonardo"],
                             elevenlabs_base_url=urls["elevenlabs"], sora_base_url=urls["sora"],
                             openai_api_key=SecretStr("demo-key"), leonardo_api_key=SecretStr("demo-key"),
                             elevenlabs_api_key=SecretStr("demo-key"))
    providers = Providers(settings)
    engine = await Engine.open(settings.db_path, providers, settings.runs_dir())
    engine.services.jobs.min_poll = 0.05
    lines: list[str] = []
    try:
        root = Path(__file__).resolve().parent.parent
        run = await BatchRunner(engine, load_answers(root / "examples" / "cc-your-photo-answers.json"),
                                out=lines.append).run(cc_workflow)
        jobs = await engine.services.store.jobs_of_run(run.run_id)
    finally:
        await engine.close()
        await providers.aclose()
    assert run.status == "completed" and "    generate_and_select_images: your_photo own_file completed" in lines
    assert sorted((j.provider, j.action) for j in jobs) == [("elevenlabs", "txt2music"), ("leonardo", "img2vid"),
                                                           ("openai", "img2vid"), ("you", "own_file")]
    copy = Path(run.state["selected_image_data"]["local_path"])
    assert copy == run.run_dir / "uploads" / "pet.jpg" and Image.open(copy).size == (720, 1280)
    assert standin.count("POST", r"/generations$", regex=True) == 0  # no image made: OpenAI's nor Leonardo's
    assert standin.count("POST", r"/generations-image-to-video$", regex=True) == 1
    assert standin.count("POST", r"/init-image$", regex=True) == 1
    (uploaded,) = (standin.data_dir / "inputs" / "leonardo").glob("*")
    assert uploaded.read_bytes() == copy.read_bytes()
    (sora,) = [r for r in standin.requests if r.method == "POST" and r.path.endswith("/videos")]
    assert sora.status == 200 and "input_reference" in sora.files  # the stand-in checks it is a picture of the size
    assert Path(run.state["final_video"]["path"]).suffix == ".mp4"
