"""The ComfyUI stand-in: object_info, uploads, validation, queue, websocket, history and files."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from cctui.standin import StandIn

WAN_MODEL = "wan2.2_ti2v_5B_fp16.safetensors"


@pytest.fixture
def comfy(tmp_path):
    hosts = {"gpu1": {}, "busy": {"busy": 2, "busy_seconds": 30}, "wide": {"slots": 2},
             "locked": {"token": "s3cret"}, "bare": {"nodes_missing": ["VHS_VideoCombine"],
                                                     "models_missing": [WAN_MODEL]}}
    srv = StandIn(job_seconds=0.4, data_dir=tmp_path / "standin", clip_seconds=0.5, video_short_side=128,
                  comfy_hosts=hosts)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def link(node: str, slot: int = 0) -> list:
    return [node, slot]


def wan_graph(image: str | None = None, text: str = "a corgi chases a ball on the beach") -> dict:
    """Wan 2.2 TI2V 5B, image to video, as ComfyUI's template exports it in API format."""
    graph = {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": WAN_MODEL, "weight_dtype": "default"}},
        "2": {"class_type": "CLIPLoader", "inputs": {"clip_name": "umt5_xxl_fp8_e4m3fn_scaled.safetensors",
                                                     "type": "wan", "device": "default"}},
        "3": {"class_type": "VAELoader", "inputs": {"vae_name": "wan2.2_vae.safetensors"}},
        "5": {"class_type": "CLIPTextEncode", "inputs": {"text": text, "clip": link("2")},
              "_meta": {"title": "Positive"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, static", "clip": link("2")}},
        "7": {"class_type": "Wan22ImageToVideoLatent", "inputs": {"vae": link("3"), "width": 1280, "height": 704,
                                                                  "length": 49, "batch_size": 1}},
        "8": {"class_type": "ModelSamplingSD3", "inputs": {"model": link("1"), "shift": 8.0}},
        "9": {"class_type": "KSampler", "inputs": {"model": link("8"), "seed": 42, "steps": 20, "cfg": 5.0,
                                                   "sampler_name": "uni_pc", "scheduler": "simple",
                                                   "positive": link("5"), "negative": link("6"),
                                                   "latent_image": link("7"), "denoise": 1.0}},
        "10": {"class_type": "VAEDecode", "inputs": {"samples": link("9"), "vae": link("3")}},
        "11": {"class_type": "CreateVideo", "inputs": {"images": link("10"), "fps": 24.0}},
        "12": {"class_type": "SaveVideo", "inputs": {"video": link("11"), "filename_prefix": "video/cctui",
                                                     "format": "auto", "codec": "auto"}},
    }
    if image is not None:
        graph["4"] = {"class_type": "LoadImage", "inputs": {"image": image}}
        graph["7"]["inputs"]["start_image"] = link("4")
    return graph


def upload(base: str, sh, name: str = "pet.png", **fields) -> httpx.Response:
    data = {k: str(v) for k, v in fields.items()}
    return httpx.post(base + "/upload/image", files={"image": (name, sh.image_bytes((96, 64)), "image/png")},
                      data=data)


def post(base: str, graph: dict, **body) -> httpx.Response:
    return httpx.post(base + "/prompt", json={"prompt": graph, **body})


async def messages_until(ws, done, timeout: float = 15.0) -> tuple[list[dict], list[bytes]]:
    """Every text message (parsed) and binary frame until `done(message)` holds for a text one."""
    texts: list[dict] = []
    frames: list[bytes] = []
    deadline = time.monotonic() + timeout
    while True:
        raw = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
        if isinstance(raw, bytes):
            frames.append(raw)
            continue
        texts.append(json.loads(raw))
        if done(texts[-1]):
            return texts, frames


def finished(message: dict, prompt_id: str) -> bool:
    return message["type"] == "executing" and message["data"] == {"node": None, "prompt_id": prompt_id}


# --------------------------------------------------------------------------- what a host has


def test_object_info_and_system_stats_have_comfyuis_shapes(comfy):
    base = comfy.comfy_urls["gpu1"]
    assert base == f"{comfy.base_url}/comfyui/gpu1"
    stats = httpx.get(base + "/system_stats").json()
    assert stats["system"]["comfyui_version"] and stats["system"]["os"] == "posix"
    assert stats["devices"][0]["type"] == "cuda" and stats["devices"][0]["vram_free"] > 0
    info = httpx.get(base + "/object_info").json()
    sampler = info["KSampler"]
    assert sampler["input"]["required"]["seed"][0] == "INT"
    assert sampler["input"]["required"]["seed"][1]["max"] == 0xFFFFFFFFFFFFFFFF
    assert "uni_pc" in sampler["input"]["required"]["sampler_name"][0]
    assert sampler["output"] == ["LATENT"] and sampler["output_node"] is False
    assert sampler["input_order"]["required"][:2] == ["model", "seed"]
    assert info["SaveVideo"]["output_node"] is True and info["VHS_VideoCombine"]["output_node"] is True
    assert WAN_MODEL in info["UNETLoader"]["input"]["required"]["unet_name"][0]
    assert info["CheckpointLoaderSimple"]["output"] == ["MODEL", "CLIP", "VAE"]
    one = httpx.get(base + "/api/object_info/CLIPLoader").json()
    assert list(one) == ["CLIPLoader"] and "wan" in one["CLIPLoader"]["input"]["required"]["type"][0]
    assert httpx.get(base + "/object_info/NoSuchNode").json() == {}
    bare = httpx.get(comfy.comfy_urls["bare"] + "/object_info").json()
    assert "VHS_VideoCombine" not in bare and WAN_MODEL not in bare["UNETLoader"]["input"]["required"]["unet_name"][0]
    missing = httpx.get(f"{comfy.base_url}/comfyui/nohost/object_info")
    assert missing.status_code == 404 and missing.text == "404: Not Found"


def test_uploads_rename_reuse_and_refuse(comfy, sh):
    base = comfy.comfy_urls["gpu1"]
    first = upload(base, sh)
    assert first.json() == {"name": "pet.png", "subfolder": "", "type": "input"}
    assert upload(base, sh).json()["name"] == "pet.png", "the same bytes are reused"
    other = httpx.post(base + "/upload/image", files={"image": ("pet.png", sh.image_bytes((32, 32)), "image/png")})
    assert other.json()["name"] == "pet (1).png"
    replaced = httpx.post(base + "/upload/image", data={"overwrite": "true"},
                          files={"image": ("pet.png", sh.image_bytes((40, 40)), "image/png")})
    assert replaced.json()["name"] == "pet.png"
    assert upload(base, sh, subfolder="pets", type="temp").json() == {"name": "pet.png", "subfolder": "pets",
                                                                       "type": "temp"}
    listed = httpx.get(base + "/object_info/LoadImage").json()["LoadImage"]["input"]["required"]["image"]
    assert listed[0] == ["pet (1).png", "pet.png"] and listed[1]["image_upload"] is True
    junk = httpx.post(base + "/upload/image", files={"image": ("x.png", b"not an image", "image/png")})
    assert junk.status_code == 400
    assert httpx.post(base + "/upload/image", data={"type": "input"}).status_code == 400
    assert upload(base, sh, name="../../escape.png").status_code == 400


def test_view_refuses_paths_that_escape(comfy):
    base = comfy.comfy_urls["gpu1"]
    assert httpx.get(base + "/view", params={"filename": "../secret.txt"}).status_code == 400
    assert httpx.get(base + "/view", params={"filename": "/etc/passwd"}).status_code == 400
    assert httpx.get(base + "/view", params={"filename": "a.png", "subfolder": "../../"}).status_code == 403
    assert httpx.get(base + "/view", params={"filename": "nothing.png"}).status_code == 404


# --------------------------------------------------------------------------- a run, followed


async def test_wan_graph_runs_to_a_playable_mp4_followed_over_the_websocket(comfy, sh):
    base = comfy.comfy_urls["gpu1"]
    image = upload(base, sh).json()["name"]
    client_id, prompt_id = uuid.uuid4().hex, str(uuid.uuid4())
    async with connect(base.replace("http://", "ws://") + f"/ws?clientId={client_id}") as ws:
        hello = json.loads(await ws.recv())
        assert hello == {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}},
                                                    "sid": client_id}}
        r = post(base, wan_graph(image), client_id=client_id, prompt_id=prompt_id, extra_data={"job": "j-1"})
        assert r.status_code == 200, r.text
        assert r.json() == {"prompt_id": prompt_id, "number": 0, "node_errors": {}}
        queued = httpx.get(base + "/queue").json()
        item = (queued["queue_running"] + queued["queue_pending"])[0]
        assert item[:2] == [0, prompt_id] and item[3]["client_id"] == client_id and item[3]["job"] == "j-1"
        assert item[4] == ["12"]
        texts, frames = await messages_until(ws, lambda m: finished(m, prompt_id))
    kinds = [m["type"] for m in texts if m["type"] != "status"]
    assert kinds[:2] == ["execution_start", "execution_cached"] and kinds[-2:] == ["execution_success", "executing"]
    assert "progress" in kinds and kinds.index("executed") < kinds.index("execution_success")
    progress = [m["data"] for m in texts if m["type"] == "progress"]
    assert progress[-1] == {"value": 20, "max": 20, "prompt_id": prompt_id, "node": "9"}
    assert any(m["type"] == "status" and m["data"]["status"]["exec_info"]["queue_remaining"] == 1 for m in texts)
    assert frames and frames[0][:8] == b"\x00\x00\x00\x01\x00\x00\x00\x01" and frames[0][8:10] == b"\xff\xd8"
    executed = next(m["data"] for m in texts if m["type"] == "executed")
    assert executed["node"] == "12" and executed["output"]["animated"] == [True]
    history = httpx.get(base + f"/history/{prompt_id}").json()[prompt_id]
    assert history["status"]["status_str"] == "success" and history["status"]["completed"] is True
    assert [m[0] for m in history["status"]["messages"]] == ["execution_start", "execution_cached",
                                                             "execution_success"]
    assert history["prompt"][3]["client_id"] == client_id and history["prompt"][3]["job"] == "j-1"
    saved = history["outputs"]["12"]["images"][0]
    assert saved == {"filename": "cctui_00001_.mp4", "subfolder": "video", "type": "output"}
    assert history["meta"]["12"]["display_node"] == "12"
    video = httpx.get(base + "/view", params=saved)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp" and len(video.content) > 1000
    assert list(httpx.get(base + "/history", params={"max_items": 1}).json()) == [prompt_id]


async def test_a_failing_prompt_reports_execution_error(comfy):
    base = comfy.comfy_urls["gpu1"]
    async with connect(base.replace("http://", "ws://") + "/api/ws?clientId=c1") as ws:
        await ws.recv()
        prompt_id = post(base, wan_graph(text="a cat STANDIN:fail"), client_id="c1").json()["prompt_id"]
        texts, _ = await messages_until(ws, lambda m: finished(m, prompt_id))
    error = next(m["data"] for m in texts if m["type"] == "execution_error")
    assert error["exception_type"] == "torch.OutOfMemoryError" and error["node_id"] == "9"
    assert error["node_type"] == "KSampler" and error["prompt_id"] == prompt_id
    assert "execution_success" not in [m["type"] for m in texts]
    status = httpx.get(base + f"/history/{prompt_id}").json()[prompt_id]["status"]
    assert status["status_str"] == "error" and status["completed"] is False
    assert status["messages"][-1][0] == "execution_error"


def test_no_video_marker_succeeds_without_outputs(comfy, sh):
    base = comfy.comfy_urls["gpu1"]
    prompt_id = post(base, wan_graph(text="a dog STANDIN:noVideo")).json()["prompt_id"]
    entry = sh.wait_until(lambda: httpx.get(base + f"/history/{prompt_id}").json(), bool)[prompt_id]
    assert entry["status"]["status_str"] == "success" and entry["outputs"] == {}


# --------------------------------------------------------------------------- refusals


def _without(graph: dict, node: str, name: str) -> dict:
    del graph[node]["inputs"][name]
    return graph


def _with(graph: dict, node: str, **inputs) -> dict:
    graph[node]["inputs"].update(inputs)
    return graph


@pytest.mark.parametrize("graph, node, kind, detail", [
    (_without(wan_graph(), "9", "seed"), "9", "required_input_missing", "seed"),
    (_with(wan_graph(), "1", unet_name="wan2.1_i2v_14B.safetensors"), "1", "value_not_in_list",
     "wan2.1_i2v_14B.safetensors"),
    (_with(wan_graph(), "9", steps=0), "9", "value_smaller_than_min", "steps"),
    (_with(wan_graph(), "7", width=99999), "7", "value_bigger_than_max", "width"),
    (_with(wan_graph(), "9", cfg="lots"), "9", "invalid_input_type", "cfg"),
    (_with(wan_graph(), "9", model=link("3")), "9", "return_type_mismatch", "VAE"),
    (_with(wan_graph(), "9", model=link("99")), "9", "bad_linked_input", "model"),
    (_with(wan_graph(), "9", sampler_name="fancy"), "9", "value_not_in_list", "(list of length"),
    (_with(wan_graph(), "12", format="webm"), "12", "value_not_in_list", "format: 'webm' not in ['auto', 'mp4']"),
])
def test_invalid_inputs_fail_validation_per_node(comfy, graph, node, kind, detail):
    r = post(comfy.comfy_urls["gpu1"], graph)
    assert r.status_code == 400
    body = r.json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    errors = body["node_errors"][node]
    assert errors["errors"][0]["type"] == kind and errors["dependent_outputs"] == ["12"]
    assert detail in errors["errors"][0]["details"]
    # As in ComfyUI, the top error lists only the output node's own problems.
    assert (detail in body["error"]["details"]) == (node == "12")
    assert errors["class_type"] == graph[node]["class_type"] and list(body["node_errors"]) == [node]


def test_whole_prompt_refusals(comfy):
    base = comfy.comfy_urls["gpu1"]
    unknown = post(base, {**wan_graph(), "20": {"class_type": "MagicUpscaler", "inputs": {}}}).json()
    assert unknown["error"]["type"] == "missing_node_type" and "MagicUpscaler" in unknown["error"]["message"]
    assert unknown["error"]["extra_info"] == {"node_id": "20", "class_type": "MagicUpscaler",
                                              "node_title": "MagicUpscaler"}
    graph = wan_graph()
    del graph["12"]
    assert post(base, graph).json()["error"]["type"] == "prompt_no_outputs"
    assert post(base, {"1": {"inputs": {}}}).json()["error"] == {
        "type": "invalid_prompt", "message": "Cannot execute because a node is missing the class_type property.",
        "details": "Node ID '#1'", "extra_info": {}}
    assert httpx.post(base + "/prompt", json={"client_id": "x"}).json()["error"]["type"] == "no_prompt"
    assert httpx.post(base + "/prompt", content=b"{not json").status_code == 500


def test_a_host_lacking_nodes_or_models_refuses_them(comfy):
    base = comfy.comfy_urls["bare"]
    graph = wan_graph()
    refused = post(base, graph).json()
    assert refused["node_errors"]["1"]["errors"][0]["type"] == "value_not_in_list"
    assert WAN_MODEL in refused["node_errors"]["1"]["errors"][0]["details"]
    graph["12"] = {"class_type": "VHS_VideoCombine", "inputs": {"images": link("10"), "frame_rate": 24}}
    assert post(base, graph).json()["error"]["type"] == "missing_node_type"


# --------------------------------------------------------------------------- queue and slots


def test_a_busy_host_queues_our_prompt_behind_the_others(comfy):
    base = comfy.comfy_urls["busy"]
    before = httpx.get(base + "/queue").json()
    assert len(before["queue_running"]) == 1 and len(before["queue_pending"]) == 1
    assert before["queue_running"][0][3]["client_id"].startswith("other-")
    ours = post(base, wan_graph(), client_id="me").json()
    assert ours["number"] == 2
    queue = httpx.get(base + "/queue").json()
    assert [item[1] for item in queue["queue_pending"]][-1] == ours["prompt_id"]
    assert httpx.get(base + "/prompt").json() == {"exec_info": {"queue_remaining": 3}}
    assert httpx.post(base + "/queue", json={"delete": [ours["prompt_id"]]}).status_code == 200
    assert len(httpx.get(base + "/queue").json()["queue_pending"]) == 1
    assert httpx.post(base + "/interrupt").status_code == 200
    sh_running = httpx.get(base + "/queue").json()["queue_running"]
    assert len(sh_running) == 1 and sh_running[0][0] == 1, "the next one started when the first was interrupted"


def test_two_slots_run_two_prompts_at_once(comfy):
    base = comfy.comfy_urls["wide"]
    ids = [post(base, wan_graph()).json()["prompt_id"] for _ in range(3)]
    queue = httpx.get(base + "/queue").json()
    assert sorted(i[1] for i in queue["queue_running"]) == sorted(ids[:2])
    assert [i[1] for i in queue["queue_pending"]] == ids[2:]


def test_a_token_host_refuses_requests_without_it(comfy):
    base = comfy.comfy_urls["locked"]
    refused = httpx.get(base + "/system_stats")
    assert refused.status_code == 401
    assert httpx.get(base + "/queue", headers={"authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(base + "/system_stats", headers={"authorization": "Bearer s3cret"}).status_code == 200


async def test_websocket_handshake_needs_the_token_and_stop_closes_sockets(comfy):
    base = comfy.comfy_urls["locked"].replace("http://", "ws://")
    with pytest.raises(InvalidStatus):
        async with connect(base + "/ws?clientId=x"):
            pass
    ws = await connect(base + "/ws?clientId=x", additional_headers={"authorization": "Bearer s3cret"})
    assert json.loads(await ws.recv())["type"] == "status"
    started = time.monotonic()
    await asyncio.get_running_loop().run_in_executor(None, comfy.stop)
    assert time.monotonic() - started < 3
    await asyncio.wait_for(ws.wait_closed(), 3)
    assert ws.close_code == 1001
