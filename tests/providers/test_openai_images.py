"""OpenAIImages over HTTP against the stand-in: synchronous generation, files on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from cctui.providers.base import MediaRequest, ProviderError
from cctui.providers.openai_images import OpenAIImages


@pytest.fixture
async def images(settings):
    client = OpenAIImages(settings)
    yield client
    await client.aclose()


def txt2img(media_dir: Path, **params) -> MediaRequest:
    return MediaRequest(action="txt2img", provider="openai",
                        params={"prompt": "A ginger cat on a windowsill, golden light", **params},
                        media_dir=str(media_dir), stem="run1_img")


async def test_two_pngs_of_the_requested_size(images, media_dir, h):
    request = txt2img(media_dir, size="1024x1536", num_images=2, quality="low")
    submitted, progress, files = await h.run_job(images, request)
    assert submitted.provider_job_id.startswith("openai-img-")
    assert [Path(f.local_path).name for f in submitted.files] == ["run1_img_1.png",
                                                                   "run1_img_2.png"]
    assert progress.status == "completed"
    assert [f.local_path for f in files] == [f.local_path for f in submitted.files]
    for f in files:
        with Image.open(f.local_path) as img:
            assert img.format == "PNG" and img.size == (1024, 1536)
        assert f.kind == "image" and f.mime == "image/png"
    assert sorted(p.name for p in media_dir.iterdir()) == ["run1_img_1.png", "run1_img_2.png"]


async def test_moderation(images, media_dir):
    with pytest.raises(ProviderError) as info:
        await images.submit(txt2img(media_dir, prompt="STANDIN:moderation a cat"))
    assert info.value.kind == "moderation"
    assert list(media_dir.iterdir()) == []


async def test_bad_size_is_refused_before_any_request(images, media_dir, standin, h):
    with pytest.raises(ProviderError) as info:
        await images.submit(txt2img(media_dir, size="800x600"))
    assert info.value.kind == "unsupported"
    assert h.count(standin, "POST", "/images/generations") == 0


async def test_download_lists_the_files_again(images, media_dir):
    request = txt2img(media_dir)
    submitted = await images.submit(request)
    again = await images.download(submitted.provider_job_id, request)
    assert [f.local_path for f in again] == [f.local_path for f in submitted.files]
