"""`--demo`: the provider stand-in, started in-process, with every provider pointed at it.

Nothing else in cctui knows the stand-in exists: the demo only changes settings (base URLs and
throwaway keys), exactly as a user pointing cctui at a gateway would.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

from cctui.settings import SecretStr

from cctui.settings import Settings, SettingsError

DEMO_KEY = "demo-not-a-real-key"


def _job_seconds(text: str | None, default: float) -> float:
    if text is None or not text.strip():
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise SettingsError(f"CCTUI_DEMO_JOB_SECONDS is {text!r}: give the seconds each demo job takes, "
                            f"a number from 0 to 3600 (e.g. 60), or unset it for {default:g} s")
    return seconds


def start_demo(settings: Settings, job_seconds: float = 3.0):
    from cctui.standin import StandIn

    # Video jobs take minutes for real; the demo makes them take seconds (tests make it shorter).
    job_seconds = _job_seconds(os.environ.get("CCTUI_DEMO_JOB_SECONDS"), job_seconds)
    # LLM answers stream in over a moment, so the demo shows them arriving as a real model's do.
    # Two ComfyUI hosts, one with someone else's graph already queued: a job goes to the free one.
    standin = StandIn(keys=None, job_seconds=job_seconds, data_dir=settings.ensure_data_dir() / "demo-standin",
                      stream_seconds=min(2.0, job_seconds / 2),
                      comfy_hosts={"gpu1": {"busy": 1, "busy_seconds": 45}, "gpu2": {}})
    standin.start()
    try:
        return standin, _pointed_at(settings, {**standin.base_urls,
                                               "comfyui": ", ".join(standin.comfy_urls.values())})
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
        "fal_api_key": SecretStr(DEMO_KEY),
        "fal_base_url": urls["fal"],
        "comfyui_urls": urls["comfyui"],
        "comfyui_token": None,
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
