"""The ComfyUI stand-in's other output nodes, interrupts, the CLI option and the shared machinery."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys

import httpx
import pytest
from PIL import Image
from websockets.asyncio.client import connect

from cctui.standin import StandIn
from cctui.standin.comfyui_hosts import parse_hosts


@pytest.fixture
def comfy(tmp_path):
    with StandIn(job_seconds=0.3, data_dir=tmp_path / "standin", clip_seconds=0.5, video_short_side=96) as srv:
        yield srv


def link(node: str, slot: int = 0) -> list:
    return [node, slot]


def sdxl_graph(output: dict, batch: int = 1) -> dict:
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768, "batch_size": batch}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a hamster in a teacup", "clip": link("4", 1)}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": link("4", 1)}},
        "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 4, "cfg": 7, "sampler_name": "euler",
                                                   "scheduler": "normal", "positive": link("6"),
                                                   "negative": link("7"), "model": link("4"),
                                                   "latent_image": link("5"), "denoise": 1}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": link("3"), "vae": link("4", 2)}},
        "9": output,
    }


def history_of(base: str, sh, prompt_id: str) -> dict:
    return sh.wait_until(lambda: httpx.get(f"{base}/history/{prompt_id}").json(), bool)[prompt_id]


def test_save_image_writes_one_png_per_batch_item(comfy, sh):
    base = comfy.comfy_urls["gpu1"]
    graph = sdxl_graph({"class_type": "SaveImage", "inputs": {"images": link("8"), "filename_prefix": "pets/cat"}},
                       batch=2)
    prompt_id = httpx.post(base + "/prompt", json={"prompt": graph}).json()["prompt_id"]
    images = history_of(base, sh, prompt_id)["outputs"]["9"]["images"]
    assert [i["filename"] for i in images] == ["cat_00001_.png", "cat_00002_.png"]
    assert {i["subfolder"] for i in images} == {"pets"}
    picture = httpx.get(base + "/view", params=images[1])
    with Image.open(io.BytesIO(picture.content)) as img:
        assert img.format == "PNG" and img.size == (96, 144)


def test_vhs_video_combine_reports_gifs(comfy, sh):
    base = comfy.comfy_urls["gpu1"]
    graph = sdxl_graph({"class_type": "VHS_VideoCombine", "inputs": {
        "images": link("8"), "frame_rate": 8, "loop_count": 0, "filename_prefix": "clip", "format": "video/h264-mp4",
        "pingpong": False, "save_output": True}})
    prompt_id = httpx.post(base + "/prompt", json={"prompt": graph}).json()["prompt_id"]
    gif = history_of(base, sh, prompt_id)["outputs"]["9"]["gifs"][0]
    assert gif["filename"] == "clip_00001.mp4" and gif["format"] == "video/h264-mp4" and gif["frame_rate"] == 8
    video = httpx.get(base + "/view", params={k: gif[k] for k in ("filename", "subfolder", "type")})
    assert video.content[4:8] == b"ftyp"


async def test_interrupt_stops_the_running_prompt(comfy):
    base = comfy.comfy_urls["gpu1"]
    graph = sdxl_graph({"class_type": "SaveImage", "inputs": {"images": link("8"), "filename_prefix": "x"}})
    graph["6"]["inputs"]["text"] += " STANDIN:stuck"
    async with connect(base.replace("http://", "ws://") + "/ws?clientId=me") as ws:
        await ws.recv()
        prompt_id = httpx.post(base + "/prompt", json={"prompt": graph, "client_id": "me"}).json()["prompt_id"]
        while True:  # the sampler is running once it reports progress (binary previews aside)
            raw = await asyncio.wait_for(ws.recv(), 5)
            if isinstance(raw, str) and json.loads(raw)["type"] == "progress":
                break
        await asyncio.wait_for(ws.ping(), 2)
        assert httpx.post(base + "/interrupt", json={"prompt_id": prompt_id}).status_code == 200
        seen = []
        while not seen or seen[-1]["type"] != "execution_interrupted":
            raw = await asyncio.wait_for(ws.recv(), 5)
            if isinstance(raw, str):
                seen.append(json.loads(raw))
    assert seen[-1]["data"]["prompt_id"] == prompt_id and seen[-1]["data"]["node_id"] == "3"
    status = httpx.get(f"{base}/history/{prompt_id}").json()[prompt_id]["status"]
    assert status["status_str"] == "error" and status["messages"][-1][0] == "execution_interrupted"


def test_requests_are_logged_and_faults_injected_on_comfyui_paths(comfy):
    base = comfy.comfy_urls["gpu1"]
    comfy.inject(r"/comfyui/gpu1/prompt$", 503, body="busy", method="POST")
    assert httpx.post(base + "/prompt", json={}).status_code == 503
    assert httpx.post(base + "/prompt", json={}).status_code == 400
    assert comfy.count("POST", "/comfyui/gpu1/prompt") == 2
    assert comfy.submit_counts()["submits"]["POST /comfyui/gpu1/prompt"] == 2
    assert httpx.delete(base + "/prompt").text == "405: Method Not Allowed"
    assert httpx.get(base + "/ws").status_code == 400, "a plain GET is no websocket handshake"


def test_host_options_from_the_command_line(tmp_path):
    assert parse_hosts("gpu1,gpu2:busy=3,gpu3:slots=2:nodes_missing=VHS_VideoCombine+Foo:token=t") == {
        "gpu1": {}, "gpu2": {"busy": 3}, "gpu3": {"slots": 2, "nodes_missing": ["VHS_VideoCombine", "Foo"],
                                                  "token": "t"}}
    with pytest.raises(ValueError):
        parse_hosts("gpu1:colour=red")
    proc = subprocess.Popen([sys.executable, "-m", "cctui.standin", "--port", "0", "--state-dir", str(tmp_path),
                             "--comfy-hosts", "a1,b2:busy=1"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().split()
        assert line[0] == "READY"
        queue = httpx.get(f"{line[1]}/comfyui/b2/queue", timeout=10).json()
        assert len(queue["queue_running"]) == 1
        assert httpx.get(f"{line[1]}/comfyui/a1/queue", timeout=10).json()["queue_running"] == []
    finally:
        proc.terminate()
        proc.wait(10)
