"""The bundled ComfyUI graphs and the checks made on a graph before anything is queued: the
format (API export, not UI), the fields the form sets, the frame counts each model takes, and
what a host must have (node types, model files), read from its /object_info."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cctui.comfyui_hosts import parse_hosts
from cctui.providers.base import ProviderError
from cctui.providers.comfyui_graph import ComfyGraph, combo_options, is_video_entry, output_files

GRAPHS = Path(__file__).resolve().parents[2] / "workflows" / "cc" / "steps" / "5_video_generation" / "comfyui"


def bundled(name: str) -> ComfyGraph:
    return ComfyGraph.from_data(json.loads((GRAPHS / f"{name}.json").read_text()), name)


def object_info_for(graph: ComfyGraph, *, drop: str | None = None, models: list[str] | None = None) -> dict:
    """An /object_info that has every node type of `graph` (but `drop`), whose model combos list
    `models` (default: every model file the graph names)."""
    named = [v for n in graph.nodes.values() for v in n["inputs"].values()
             if isinstance(v, str) and v.endswith(".safetensors")]
    listed = named if models is None else models
    info = {}
    for node in graph.nodes.values():
        inputs = {name: ([listed, {}] if isinstance(value, str) and value.endswith(".safetensors")
                         else ["STRING", {}]) for name, value in node["inputs"].items()}
        info[node["class_type"]] = {"input": {"required": inputs}, "output_node": False}
    info.pop(drop, None)
    return info


@pytest.mark.parametrize("name", ["wan22_ti2v_5b", "ltxv_i2v"])
def test_bundled_graphs_fill_every_field_the_form_sets(name):
    graph = bundled(name)
    assert graph.takes_image
    nodes = graph.filled({"prompt": "the cat blinks", "negative_prompt": "blurry", "seed": 42,
                          "duration": "5", "aspect_ratio": "9:16"}, "cctui/job_1.png")
    value = {key: nodes[node]["inputs"][name] for key, (node, name) in graph.fields.items()}
    assert value["prompt"] == "the cat blinks" and value["negative_prompt"] == "blurry"
    assert value["seed"] == 42 and value["source_image"] == "cctui/job_1.png"
    assert (value["width"], value["height"]) == graph.sizes["9:16"] and value["width"] < value["height"]
    assert value["frames"] % graph.frame_step == graph.frame_plus % graph.frame_step
    assert abs(value["frames"] / graph.fps - 5) < 0.4
    assert graph.nodes[graph.fields["prompt"][0]]["inputs"]["text"] == ""  # the file's graph is untouched


def test_frames_fit_the_model_and_its_maximum():
    wan = bundled("wan22_ti2v_5b")
    assert wan.frames_for(5) == 121 and wan.frames_for(3) == 73  # 4n+1 at 24 fps
    assert wan.frames_for(30) == 121  # the model's longest
    ltx = bundled("ltxv_i2v")
    assert ltx.frames_for(4) == 97 and (ltx.frames_for(5) - 1) % 8 == 0


def test_a_blank_seed_is_a_fresh_random_one():
    graph = bundled("wan22_ti2v_5b")
    seeds = {graph.filled({"prompt": "p", "seed": None}, "x.png")["3"]["inputs"]["seed"] for _ in range(5)}
    assert len(seeds) > 1 and all(0 <= s < 2**32 for s in seeds)


def test_a_graph_saved_in_ui_format_is_refused_with_how_to_export_it():
    with pytest.raises(ProviderError, match=r"UI format.*Export \(API\)"):
        ComfyGraph.from_data({"fields": {}, "graph": {"nodes": [], "links": [], "version": 0.4}}, "mine")


@pytest.mark.parametrize("fields, said", [
    ({"prompt": ["99", "text"]}, "names node '99'"),
    ({"prompt": ["6", "words"]}, "input 'words' of node 6"),
    ({"prompt": ["6", "text"], "colour": ["6", "text"]}, "fields.colour is not a field"),
    ({}, "where the prompt goes"),
])
def test_fields_that_do_not_fit_the_graph_are_named(fields, said):
    data = json.loads((GRAPHS / "wan22_ti2v_5b.json").read_text())
    data["fields"] = fields
    with pytest.raises(ProviderError, match=said):
        ComfyGraph.from_data(data, "mine")


def test_a_host_without_a_node_type_or_a_model_file_is_named_with_what_to_do():
    graph = bundled("wan22_ti2v_5b")
    assert graph.problems_on(object_info_for(graph), "http://gpu1:8188") == []
    missing_node = graph.problems_on(object_info_for(graph, drop="Wan22ImageToVideoLatent"), "http://gpu1:8188")
    assert missing_node == ["node type Wan22ImageToVideoLatent (node 55) is not installed on http://gpu1:8188: "
                            "install the custom node pack that provides it, or pick another graph"]
    missing_model = graph.problems_on(object_info_for(graph, models=["wan2.2_vae.safetensors",
                                                                     "umt5_xxl_fp8_e4m3fn_scaled.safetensors"]),
                                      "http://gpu1:8188")
    assert len(missing_model) == 1
    assert "model file wan2.2_ti2v_5B_fp16.safetensors (node 37, UNETLoader.unet_name)" in missing_model[0]
    assert "models/diffusion_models" in missing_model[0]


def test_combo_specs_in_both_object_info_forms():
    assert combo_options([["a", "b"], {}]) == ["a", "b"]
    assert combo_options(["COMBO", {"options": ["a"]}]) == ["a"]
    assert combo_options(["INT", {"min": 0}]) is None


def test_video_outputs_are_told_from_pictures():
    outputs = {"58": {"images": [{"filename": "cctui_00001_.mp4", "subfolder": "video", "type": "output"}],
                      "animated": [True]},
               "9": {"images": [{"filename": "frame_00001_.png", "subfolder": "", "type": "output"}]},
               "70": {"gifs": [{"filename": "clip.mp4", "format": "video/h264-mp4", "type": "output"}]}}
    videos = [node for node, entry in output_files(outputs) if is_video_entry(entry)]
    assert sorted(videos) == ["58", "70"]


def test_hosts_are_read_with_their_slots_and_bad_entries_are_named():
    hosts = parse_hosts("http://127.0.0.1:8188, https://swarm.example.com/*4  http://10.0.0.7:8188")
    assert [(h.url, h.slots) for h in hosts] == [("http://127.0.0.1:8188", 1), ("https://swarm.example.com", 4),
                                                 ("http://10.0.0.7:8188", 1)]
    for text, said in (("ftp://x:1", "entry 1"), ("http://a:8188, http://a:8188", "twice"),
                       ("http://a:8188*0", "not from 1 to 64"), ("http://a:8188?k=1", "query")):
        with pytest.raises(ValueError, match=said):
            parse_hosts(text)
    with pytest.raises(ValueError, match="COMFYUI_TOKEN would travel in the clear"):
        parse_hosts("http://gpu.example.com:8188", token=True)
    assert parse_hosts("http://192.168.1.9:8188", token=True)[0].shown == "http://192.168.1.9:8188"
