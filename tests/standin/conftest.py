"""Fixtures for the provider stand-in tests: a running StandIn, an httpx client on it, and the
helpers below handed to tests as the `sh` fixture (test modules cannot import a conftest by
name: several conftest.py files share that module name)."""

from __future__ import annotations

import io
import time
from typing import Callable

import httpx
import pytest
from PIL import Image

from cctui.standin import StandIn

KEYS = {"openai": "sk-test", "leonardo": "leo-test", "elevenlabs": "el-test"}
OPENAI = {"authorization": "Bearer sk-test"}
LEONARDO = {"authorization": "Bearer leo-test"}
ELEVEN = {"xi-api-key": "el-test"}


@pytest.fixture
def standin(tmp_path):
    srv = StandIn(keys=KEYS, job_seconds=0.6, data_dir=tmp_path / "standin", retry_after_seconds=0.05)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def http(standin):
    with httpx.Client(base_url=standin.base_url, timeout=30) as client:
        yield client


def image_bytes(size: tuple[int, int] = (64, 64), fmt: str = "PNG", color=(200, 120, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    return buf.getvalue()


def wait_until(fetch: Callable[[], dict], done: Callable[[dict], bool], timeout: float = 10.0) -> dict:
    """Poll `fetch` until `done(result)`; returns the last result (fails the test on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if done(result):
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting; last answer {result}")
        time.sleep(0.05)


class StandinHelpers:
    keys = KEYS
    openai = OPENAI
    leonardo = LEONARDO
    eleven = ELEVEN
    image_bytes = staticmethod(image_bytes)
    wait_until = staticmethod(wait_until)


@pytest.fixture
def sh() -> type[StandinHelpers]:
    return StandinHelpers
