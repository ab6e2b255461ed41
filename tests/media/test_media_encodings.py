"""The render form's encodings: each is what x264 was told (it writes its settings into the
stream it makes), and they trade file size as their names say."""

from __future__ import annotations

import asyncio
import re

import pytest

from cctui.media import ENCODINGS, AssemblySpec, MediaError, assemble, encoding


def x264_settings(path) -> dict[str, str]:
    found = re.search(rb"x264 - core \d+.*? options: ([^\x00]+)", path.read_bytes())
    assert found, f"no x264 settings in {path}"
    return dict(item.split("=", 1) for item in found.group(1).decode().split() if "=" in item)


@pytest.fixture(scope="module")
def renders(tmp_path_factory, landscape_clip):
    out = tmp_path_factory.mktemp("encodings")
    made = {}
    for name in ("draft", "standard", "small"):
        spec = AssemblySpec(clip=landscape_clip, output=out / f"{name}.mp4", duration=3.0, width=540, height=960,
                            encoding=name)
        made[name] = asyncio.run(assemble(spec)).output
    return made


def test_each_encoding_is_what_x264_used(renders):
    for name, path in renders.items():
        settings = x264_settings(path)
        assert float(settings["crf"]) == ENCODINGS[name].crf, name
    # ultrafast leaves out CABAC and motion search refinement; veryfast keeps CABAC.
    assert x264_settings(renders["draft"])["cabac"] == "0"
    assert x264_settings(renders["standard"])["cabac"] == "1"


def test_the_smaller_encoding_is_smaller_and_the_draft_bigger(renders):
    sizes = {name: path.stat().st_size for name, path in renders.items()}
    assert sizes["small"] < sizes["standard"] < sizes["draft"], sizes


def test_an_unknown_encoding_names_the_choices_and_writes_nothing(tmp_path, landscape_clip):
    with pytest.raises(MediaError, match="unknown encoding 'ultra': use standard, draft, small, detailed"):
        asyncio.run(assemble(AssemblySpec(clip=landscape_clip, output=tmp_path / "v.mp4", duration=2.0,
                                          encoding="ultra")))
    assert list(tmp_path.iterdir()) == []
    assert encoding(None).name == encoding("").name == "standard"
