"""ComfyUI jobs through the real job manager and client, against stand-in hosts over HTTP: the
host is chosen (up, able to run the graph, shortest queue) and stored before the graph is sent,
a graph a host cannot run is refused before anything is queued, a queue request whose answer
was lost is found by its marker in the host's queue and history, and progress comes over the
websocket."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest
from PIL import Image

from cctui.jobs.manager import JobManager
from cctui.providers.base import MediaRequest
from cctui.providers.registry import Providers
from cctui.records import JobStatus
from cctui.settings import load_settings
from cctui.standin import StandIn
from cctui.store.db import Store

GRAPHS = Path(__file__).resolve().parents[2] / "workflows" / "cc" / "steps" / "5_video_generation" / "comfyui"


def closed_port_url() -> str:
    """A URL nothing listens on: a host that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def standin(tmp_path):
    srv = StandIn(job_seconds=0.6, data_dir=tmp_path / "standin",
                  comfy_hosts={"busy": {"busy": 2, "busy_seconds": 30}, "free": {},
                               "bare": {"nodes_missing": ["Wan22ImageToVideoLatent"]}})
    srv.start()
    yield srv
    srv.stop()


def graph(name: str = "wan22_ti2v_5b") -> dict:
    return {"name": name, **json.loads((GRAPHS / f"{name}.json").read_text())}


def request_for(tmp_path: Path, **params) -> MediaRequest:
    source = tmp_path / "source.png"
    Image.new("RGB", (576, 1024), (180, 140, 90)).save(source)
    return MediaRequest(action="img2vid", provider="comfyui",
                        params={"graph": graph(), "prompt": "the cat's tail swishes", "negative_prompt": "blurry",
                                "duration": "3", "aspect_ratio": "9:16", "seed": 7, **params},
                        source_image={"content_id": "c_src", "local_path": str(source)},
                        media_dir=str(tmp_path / "data" / "media"))


async def manager_for(tmp_path: Path, urls: list[str]):
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    settings = load_settings(env={}, config_file=data / "none.toml", data_dir=data, comfyui_urls=", ".join(urls))
    store = await Store.open(data / "cctui.db")
    providers = Providers(settings)
    jobs = JobManager(store, providers, min_poll=0.05, max_poll=0.3)
    run_id = await store.create_run("t", "/t", {}, {"step": 0, "module": 0})
    return store, providers, jobs, run_id


async def run_one(tmp_path, urls, request=None):
    store, providers, jobs, run_id = await manager_for(tmp_path, urls)
    try:
        job_id = await jobs.start(request or request_for(tmp_path), run_id=run_id, interaction_id=None,
                                  step_id="video_generation", module="m", prompt_key="comfyui")
        await jobs.wait(timeout=60)
        job = await store.get_job(job_id)
        content = await store.content_of_run(run_id)
        return job, content
    finally:
        await jobs.close()
        await providers.aclose()
        await store.close()


def prompt_posts(standin: StandIn, host: str) -> int:
    return standin.count("POST", f"/comfyui/{host}/prompt")


async def test_a_job_goes_to_the_free_host_of_three_one_down_one_busy(tmp_path, standin):
    urls = [closed_port_url(), standin.comfy_urls["busy"], standin.comfy_urls["free"]]
    job, content = await run_one(tmp_path, urls)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.request["placement"]["host"] == standin.comfy_urls["free"]
    assert prompt_posts(standin, "free") == 1 and prompt_posts(standin, "busy") == 0
    (video,) = [c for c in content if c.kind == "video"]
    data = Path(video.local_path).read_bytes()
    assert data[4:8] == b"ftyp" and len(data) > 1000
    assert video.metadata["host"] == standin.comfy_urls["free"] and video.metadata["graph"] == "wan22_ti2v_5b"
    assert video.metadata["seed"] == 7
    # The graph queued was the bundled one, filled in: the prompt, the uploaded picture, the size.
    sent = next(r for r in standin.requests if r.method == "POST" and r.path == "/comfyui/free/prompt")
    nodes = sent.json["prompt"]
    assert nodes["6"]["inputs"]["text"] == "the cat's tail swishes"
    assert nodes["55"]["inputs"]["width"] == 704 and nodes["55"]["inputs"]["length"] == 73
    assert nodes["56"]["inputs"]["image"].startswith("cctui/")
    assert sent.json["extra_data"]["cctui_job"] == job.request["stem"]
    assert job.cost_amount == 0.0


async def test_a_busy_host_is_chosen_over_one_that_cannot_run_the_graph(tmp_path, standin):
    store, providers, jobs, run_id = await manager_for(tmp_path, [standin.comfy_urls["bare"],
                                                                  standin.comfy_urls["busy"]])
    try:
        job_id = await jobs.start(request_for(tmp_path), run_id=run_id, interaction_id=None,
                                  step_id="video_generation", module="m", prompt_key="comfyui")
        for _ in range(200):
            job = await store.get_job(job_id)
            if job.provider_job_id:
                break
            await asyncio.sleep(0.05)
        # Queued behind the two 30 s prompts already there: it waits its turn, followed all along.
        assert job.request["placement"] == {"host": standin.comfy_urls["busy"], "queued_there": 2}
        assert job.status in (JobStatus.SUBMITTED, JobStatus.RUNNING)
        assert prompt_posts(standin, "busy") == 1 and prompt_posts(standin, "bare") == 0
    finally:
        await jobs.close()
        await providers.aclose()
        await store.close()


async def test_a_graph_needing_a_missing_node_fails_before_queueing_naming_the_node(tmp_path, standin):
    job, _ = await run_one(tmp_path, [standin.comfy_urls["bare"]])
    assert job.status is JobStatus.FAILED
    assert "Wan22ImageToVideoLatent" in job.error and standin.comfy_urls["bare"] in job.error
    assert "Nothing was charged" in job.error
    assert prompt_posts(standin, "bare") == 0 and standin.count("POST", "/comfyui/bare/upload/image") == 0


async def test_a_model_file_the_host_does_not_list_is_named_before_queueing(tmp_path, standin):
    request = request_for(tmp_path)
    request.params["graph"]["graph"]["37"]["inputs"]["unet_name"] = "wan2.2_ti2v_5B_q8.gguf"
    job, _ = await run_one(tmp_path, [standin.comfy_urls["free"]], request)
    assert job.status is JobStatus.FAILED
    assert "model file wan2.2_ti2v_5B_q8.gguf (node 37, UNETLoader.unet_name)" in job.error
    assert prompt_posts(standin, "free") == 0


@pytest.mark.parametrize("hold", [0.0, 1.5], ids=["found-in-the-queue", "found-in-the-history"])
async def test_an_ambiguous_queue_request_is_settled_from_the_host(tmp_path, standin, hold):
    # The server queues the graph, then the connection is reset before its answer arrives; held
    # for longer than the job takes, the graph has finished (it is only in the history) by then.
    standin.inject(r"^/comfyui/free/prompt$", method="POST", action="reset", times=1, hold=hold)
    job, content = await run_one(tmp_path, [standin.comfy_urls["free"]])
    assert job.status is JobStatus.COMPLETED, job.error
    assert prompt_posts(standin, "free") == 1  # found by its marker, never queued again
    assert [c.kind for c in content].count("video") == 1


async def test_a_graph_the_server_refuses_says_which_node_and_input(tmp_path, standin):
    request = request_for(tmp_path)
    del request.params["graph"]["graph"]["3"]["inputs"]["steps"]  # a required input
    job, _ = await run_one(tmp_path, [standin.comfy_urls["free"]], request)
    assert job.status is JobStatus.FAILED
    assert "node 3 (KSampler): Required input is missing - steps" in job.error


async def test_a_graph_that_makes_no_video_says_what_it_made(tmp_path, standin):
    job, _ = await run_one(tmp_path, [standin.comfy_urls["free"]],
                           request_for(tmp_path, prompt="STANDIN:noVideo the cat"))
    assert job.status is JobStatus.FAILED
    assert "no node returned a file" in job.error and "SaveVideo" in job.error


async def test_a_failed_execution_gives_the_servers_reason(tmp_path, standin):
    job, _ = await run_one(tmp_path, [standin.comfy_urls["free"]],
                           request_for(tmp_path, prompt="STANDIN:fail the cat"))
    assert job.status is JobStatus.FAILED
    assert "Allocation on device" in job.error


async def test_progress_comes_over_the_hosts_websocket(tmp_path, standin):
    standin.job_seconds = 2.0
    store, providers, jobs, run_id = await manager_for(tmp_path, [standin.comfy_urls["free"]])
    seen: list[float] = []
    jobs.subscribe(lambda row: seen.append(row.progress) if row.progress is not None else None)
    try:
        job_id = await jobs.start(request_for(tmp_path), run_id=run_id, interaction_id=None,
                                  step_id="video_generation", module="m", prompt_key="comfyui")
        await jobs.wait(timeout=60)
        assert (await store.get_job(job_id)).status is JobStatus.COMPLETED
    finally:
        await jobs.close()
        await providers.aclose()
        await store.close()
    # Only the websocket's `progress` messages give a figure between the ends (the queue gives none).
    assert any(0 < p < 100 for p in seen), seen
    sockets = [r for r in standin.requests if r.path == "/comfyui/free/ws"]
    assert len(sockets) == 1 and "clientId=cctui-" in sockets[0].query


async def test_pictures_from_the_bundled_sdxl_graph(tmp_path, standin):
    sdxl = GRAPHS.parents[1] / "3_image_prompts" / "comfyui" / "sdxl_txt2img.json"
    request = MediaRequest(action="txt2img", provider="comfyui",
                           params={"graph": {"name": "sdxl_txt2img", **json.loads(sdxl.read_text())},
                                   "prompt": "a tabby cat on a window seat", "negative_prompt": "blurry",
                                   "aspect_ratio": "9:16", "batch_size": 2},
                           media_dir=str(tmp_path / "data" / "media"))
    job, content = await run_one(tmp_path, [standin.comfy_urls["free"]], request)
    assert job.status is JobStatus.COMPLETED, job.error
    images = [c for c in content if c.kind == "image"]
    assert len(images) == 2
    for image in images:
        with Image.open(image.local_path) as picture:
            width, height = picture.size
        assert height > width  # 9:16, scaled down by the stand-in


async def test_a_host_that_runs_several_graphs_at_once_counts_its_queue_per_slot(tmp_path):
    srv = StandIn(job_seconds=0.5, data_dir=tmp_path / "standin",
                  comfy_hosts={"single": {"busy": 1, "busy_seconds": 30}, "multi": {"busy": 3, "slots": 4,
                                                                                     "busy_seconds": 30}})
    srv.start()
    try:
        urls = [srv.comfy_urls["single"], f"{srv.comfy_urls['multi']}*4"]
        settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data",
                                 comfyui_urls=", ".join(urls))
        providers = Providers(settings)
        try:
            client = providers.media("comfyui", "img2vid")
            # One queued on a one-slot host (1 per slot) against three on four slots (0.75 per slot).
            assert await client.place(request_for(tmp_path)) == {"host": srv.comfy_urls["multi"],
                                                                 "queued_there": 3}
        finally:
            await providers.aclose()
    finally:
        srv.stop()
