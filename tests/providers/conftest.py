"""Fixtures for the provider clients: the stand-in server, settings pointing at it, and a small
driver that runs one media job the way the job worker does (check, submit, poll, download)."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
from PIL import Image

from cctui.providers.base import MediaFile, MediaProvider, MediaRequest
from cctui.settings import Settings

KEYS = {"openai": "sk-test", "leonardo": "leo-test", "elevenlabs": "el-test", "fal": "fal-test"}


@pytest.fixture
def standin(tmp_path):
    standin_mod = pytest.importorskip("cctui.standin", reason="the stand-in server is not there yet")
    srv = standin_mod.StandIn(keys=dict(KEYS), job_seconds=0.5, data_dir=tmp_path / "standin")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def make_settings(srv, tmp_path: Path, **overrides) -> Settings:
    values = dict(
        data_dir=tmp_path / "data",
        openai_api_key=KEYS["openai"],
        openai_base_url=srv.base_urls["openai"],
        leonardo_api_key=KEYS["leonardo"],
        leonardo_base_url=srv.base_urls["leonardo"],
        elevenlabs_api_key=KEYS["elevenlabs"],
        elevenlabs_base_url=srv.base_urls["elevenlabs"],
        sora_base_url=srv.base_urls["sora"],
        fal_api_key=KEYS["fal"],
        fal_base_url=srv.base_urls["fal"],
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(standin, tmp_path) -> Settings:
    return make_settings(standin, tmp_path)


@pytest.fixture
def media_dir(tmp_path) -> Path:
    path = tmp_path / "media"
    path.mkdir()
    return path


def make_image(path: Path, size: tuple[int, int], fmt: str = "PNG") -> Path:
    """A real picture with some structure (a gradient), so crops and resizes are visible."""
    width, height = size
    img = Image.new("RGB", size)
    img.putdata([(x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), 128)
                 for y in range(height) for x in range(width)])
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, fmt)
    return path


async def run_job(provider: MediaProvider, request: MediaRequest, timeout: float = 30.0):
    """check → submit → poll until done → download; returns (submitted, last progress, files)."""
    provider.check(request)
    submitted = await provider.submit(request)
    deadline = time.monotonic() + timeout
    progress = await provider.poll(submitted.provider_job_id, request)
    while progress.status in ("queued", "running"):
        if time.monotonic() > deadline:
            raise AssertionError(f"job {submitted.provider_job_id} did not finish in {timeout} s")
        await asyncio.sleep(min(progress.poll_after or 0.1, 0.5))
        progress = await provider.poll(submitted.provider_job_id, request)
    files: list[MediaFile] = []
    if progress.status == "completed":
        files = await provider.download(submitted.provider_job_id, request)
    return submitted, progress, files


def assert_no_secret(settings: Settings, *texts: object) -> None:
    for text in texts:
        for secret in settings.secret_values():
            assert secret not in str(text), "a key leaked into a message"


def no_part_files(directory: Path) -> bool:
    return not any(p.name.endswith(".part") for p in directory.rglob("*"))


def count(srv, method: str, suffix: str) -> int:
    """Requests whose path ends with `suffix` (the stand-in's paths carry a provider prefix)."""
    return srv.count(method, re.escape(suffix) + "$", regex=True)


def last(srv, method: str, suffix: str):
    """The most recent recorded request whose path ends with `suffix`."""
    found = [r for r in srv.requests if r.method == method and r.path.endswith(suffix)]
    assert found, f"no {method} request to ...{suffix} was recorded"
    return found[-1]


class Helpers:
    """The helpers above, handed to tests as the `h` fixture (test modules cannot import a
    conftest by name)."""

    keys = KEYS
    make_settings = staticmethod(make_settings)
    make_image = staticmethod(make_image)
    run_job = staticmethod(run_job)
    assert_no_secret = staticmethod(assert_no_secret)
    no_part_files = staticmethod(no_part_files)
    count = staticmethod(count)
    last = staticmethod(last)


@pytest.fixture
def h() -> type[Helpers]:
    return Helpers
