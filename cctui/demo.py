"""`--demo`: the provider stand-in, started in-process, with every provider pointed at it.

Nothing else in cctui knows the stand-in exists: the demo only changes settings (base URLs and
throwaway keys), exactly as a user pointing cctui at a gateway would.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

from pydantic import SecretStr

from cctui.settings import Settings

DEMO_KEY = "demo-not-a-real-key"


def start_demo(settings: Settings, job_seconds: float = 3.0):
    from cctui.standin import StandIn

    # Video jobs take minutes for real; the demo makes them take seconds (tests make it shorter).
    job_seconds = float(os.environ.get("CCTUI_DEMO_JOB_SECONDS", job_seconds))
    standin = StandIn(keys=None, job_seconds=job_seconds, data_dir=settings.ensure_data_dir() / "demo-standin")
    standin.start()
    try:
        return standin, _pointed_at(settings, standin.base_urls)
    except BaseException:
        standin.stop()
        raise


def _pointed_at(settings: Settings, urls: dict[str, str]) -> Settings:
    return settings.model_copy(update={
        "openai_api_key": SecretStr(DEMO_KEY),
        "openai_base_url": urls["openai"],
        "leonardo_api_key": SecretStr(DEMO_KEY),
        "leonardo_base_url": urls["leonardo"],
        "elevenlabs_api_key": SecretStr(DEMO_KEY),
        "elevenlabs_base_url": urls["elevenlabs"],
        "sora_api_key": SecretStr(DEMO_KEY),
        "sora_base_url": urls["sora"],
        "demo": True,
    })


@contextlib.contextmanager
def demo_mode(settings: Settings, demo: bool) -> Iterator[Settings]:
    """The one place `--demo` takes effect: with `demo`, the stand-in is started and the settings
    handed out point every provider at it (throwaway keys, no real URL left), and it is stopped
    on the way out; without, `settings` as they are. Every command that can reach a provider
    (the app, `run`, `jobs`, `doctor`) runs inside this, so a demo never reaches a real account."""
    if not demo:
        yield settings
        return
    standin, settings = start_demo(settings)
    try:
        yield settings
    finally:
        standin.stop()
