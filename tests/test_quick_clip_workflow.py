"""The bundled Quick Clip workflow in batch mode against the stand-in, over real HTTP with the real
clients: the creator's own photo is uploaded, analysed, animated by Leonardo as the source image
(uploaded as an init image, never generated) and rendered with ffmpeg into the exported MP4."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from cctui.batch import BatchRunner, load_answers
from cctui.cli import main
from cctui.engine.engine import Engine
from cctui.media import extract_frame, probe
from cctui.providers.registry import Providers
from cctui.settings import load_settings
from pet_photo import CUSHION, GINGER, draw_pet_photo

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "workflows" / "quick_clip"
EXAMPLE = ROOT / "examples" / "quick-clip-answers.json"
INIT_IMAGE = r"/leonardo/api/rest/v1/init-image$"


def near(colour: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


@pytest.fixture
async def engine(tmp_path, standin):
    urls = standin.base_urls
    settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data",
                             openai_api_key="demo", openai_base_url=urls["openai"], leonardo_api_key="demo",
                             leonardo_base_url=urls["leonardo"], elevenlabs_api_key="demo",
                             elevenlabs_base_url=urls["elevenlabs"], sora_base_url=urls["sora"])
    providers = Providers(settings)
    engine = await Engine.open(settings.db_path, providers, settings.runs_dir())
    engine.services.jobs.min_poll = 0.05
    yield engine
    await engine.close()
    await providers.aclose()


async def test_the_example_answers_animate_the_uploaded_photo(tmp_path, monkeypatch, standin, engine):
    photo = draw_pet_photo(tmp_path / "pet.jpg")
    monkeypatch.chdir(tmp_path)  # the example names `pet.jpg`, read from where cctui is started
    lines: list[str] = []
    run = await BatchRunner(engine, load_answers(EXAMPLE), out=lines.append).run(WORKFLOW)

    assert run.status == "completed"
    assert [line.split(" [")[0].strip() for line in lines if " done: " in line] == [
        "Step 1: Your Photo", "Step 2: Photo Analysis", "Step 3: Animate", "Step 4: Render"]
    state = run.state
    upload = run.run_dir / "uploads" / "pet.jpg"
    assert state["pet_photo"]["local_path"] == str(upload) and upload.read_bytes() == photo.read_bytes()
    assert state["pet_photo"]["kind"] == "image" and state["pet_photo"]["content_id"].startswith("upload-")
    assert len(state["selected_motion_elements"]) == 2

    # One paid generation, from the uploaded file: uploaded to Leonardo first, as an UPLOADED image.
    (job,) = await engine.services.store.jobs_of_run(run.run_id)
    assert (job.provider, job.action, job.status) == ("leonardo", "img2vid", "completed")
    assert job.request["source_image"]["local_path"] == str(upload)
    assert job.request["source_image"]["content_id"] == state["pet_photo"]["content_id"]
    assert job.request["params"]["prompt"].startswith(state["video_prompts"]["prompts"]["leonardo"]["positive_prompt"]
                                                      .rstrip(". "))
    assert standin.count("POST", INIT_IMAGE, regex=True) == 1
    (submit,) = [r for r in standin.requests if r.path.endswith("/generations-image-to-video")]
    assert submit.json["imageType"] == "UPLOADED"

    # The render: 10 s (the workflow's length) of the 9:16 frame, and what it shows is the photo.
    final = state["final_video"]
    info = probe(final["path"])
    assert (info.video[0].width, info.video[0].height) == (1080, 1920) and info.duration == pytest.approx(10, abs=0.1)
    assert final["music"] == {"source": "none", "path": None} and final["cues"] == []
    frame = Image.open(await extract_frame(Path(final["path"]), 3.0, tmp_path / "frame.png")).convert("RGB")
    assert near(frame.getpixel((540, 1150)), GINGER)  # the cat's body
    assert near(frame.getpixel((540, 1800)), CUSHION)  # the cushion under it

    export = Path(state["export_dir"])
    assert sorted(p.name for p in export.iterdir()) == ["clip.mp4", "costs.json", "cover.jpg", "final.mp4",
                                                        "run.json", "source_image.jpg"]
    assert (export / "source_image.jpg").read_bytes() == photo.read_bytes()
    assert (export / "final.mp4").read_bytes() == Path(final["path"]).read_bytes()


async def test_another_photo_after_a_jump_back_is_the_source_and_hides_the_old_clips(tmp_path, monkeypatch,
                                                                                    standin, engine):
    draw_pet_photo(tmp_path / "pet.jpg")
    other = tmp_path / "other.png"
    Image.new("RGB", (480, 640), CUSHION).save(other)
    monkeypatch.chdir(tmp_path)
    answers = load_answers(EXAMPLE)
    generate = answers["generate_and_select_videos"]["sub_actions"]
    answers["upload_photo"] = [{"value": "pet.jpg"}, {"value": str(other)}]
    answers["generate_and_select_videos"] = [{"sub_actions": generate, "option": "change_photo"},
                                             {"sub_actions": generate, "select": 0}]
    run = await BatchRunner(engine, answers, out=lambda s: None).run(WORKFLOW)

    assert run.status == "completed"
    jobs = await engine.services.store.jobs_of_run(run.run_id)
    assert [Path(j.request["source_image"]["local_path"]).name for j in jobs] == ["pet.jpg", "other.png"]
    # The clip of the first photo is kept (paid for) but not offered for the second.
    assert [g["job_id"] for g in run.state["video_generations"]] == [jobs[1].job_id]
    assert run.state["selected_video_data"]["local_path"] in [i["local_path"] for i in
                                                              run.state["video_generations"][0]["items"]]
    frame = Image.open(await extract_frame(Path(run.state["final_video"]["path"]), 3.0, tmp_path / "f.png"))
    assert near(frame.convert("RGB").getpixel((540, 960)), CUSHION)


def test_the_demo_flag_runs_it_from_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CCTUI_DEMO_JOB_SECONDS", "0.3")
    draw_pet_photo(tmp_path / "pet.jpg")
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    code = main(["--data-dir", str(data), "run", str(WORKFLOW), "--answers", str(EXAMPLE), "--demo"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert sum(" done: " in line for line in out.out.splitlines()) == 4
    db = sqlite3.connect(data / "cctui.db")
    assert db.execute("SELECT provider, action, status FROM jobs").fetchall() == [("leonardo", "img2vid", "completed")]
    (status,) = db.execute("SELECT status FROM runs").fetchone()
    assert status == "completed"
