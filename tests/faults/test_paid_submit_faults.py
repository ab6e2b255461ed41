"""Every fault kind on every paid POST, and on every download, through the real clients and the job manager.

A paid POST that fails is never sent again on its own: the stand-in receives it exactly once.
A failure before the provider processed it that the client can recognise as such (429) fails the
job; anything after which the job may exist (5xx, timeout, reset, cut-off or garbled answer)
leaves it `unknown`, for the creator to decide. A failed download is retried until the file is
whole: what is kept is byte for byte what the stand-in served.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from PIL import Image

from cctui.jobs.manager import SUBMIT_REFUSED_TRIES, JobManager
from cctui.providers import elevenlabs, leonardo, openai_images, openai_llm, sora
from cctui.providers.base import MediaRequest
from cctui.providers.registry import Providers
from cctui.settings import load_settings
from cctui.standin import StandIn
from cctui.standin.fault_mode import KINDS, RandomFaults
from cctui.store.db import Store

CLIENT_TIMEOUT = 0.6


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    srv = StandIn(job_seconds=0.2, data_dir=tmp_path_factory.mktemp("standin"), retry_after_seconds=0.1)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def short_timeouts(monkeypatch):
    for cls in (openai_llm.OpenAILLM, openai_images.OpenAIImages, sora.SoraClient):
        monkeypatch.setitem(cls.__init__.__kwdefaults__, "timeout", CLIENT_TIMEOUT)
    quick = httpx.Timeout(CLIENT_TIMEOUT, connect=CLIENT_TIMEOUT)
    monkeypatch.setattr(leonardo, "API_TIMEOUT", quick)
    monkeypatch.setattr(leonardo, "TRANSFER_TIMEOUT", quick)
    monkeypatch.setattr(elevenlabs, "TIMEOUT", quick)
    monkeypatch.setattr(sora, "DOWNLOAD_TIMEOUT", CLIENT_TIMEOUT)


def source_image(tmp_path: Path) -> str:
    path = tmp_path / "source.png"
    Image.new("RGB", (576, 1024), (180, 140, 90)).save(path)
    return str(path)


# (name, provider, action, paid path, params)
PAID = [
    ("leonardo-txt2img", "leonardo", "txt2img", "/leonardo/api/rest/v1/generations",
     {"prompt": "a cat on a rug", "num_images": 1, "width": 512, "height": 512}),
    ("openai-txt2img", "openai", "txt2img", "/openai/v1/images/generations", {"prompt": "a cat", "quality": "low"}),
    ("leonardo-img2vid", "leonardo", "img2vid", "/leonardo/api/rest/v1/generations-image-to-video",
     {"prompt": "curtains sway", "model": "MOTION2"}),
    ("sora-img2vid", "openai", "img2vid", "/openai/v1/videos",
     {"prompt": "curtains sway", "duration": "4", "aspect_ratio": "9:16", "quality": "720p"}),
    ("elevenlabs-music", "elevenlabs", "txt2music", "/elevenlabs/v1/music",
     {"prompt": "soft piano", "music_length_ms": 3000}),
]


async def run_job(tmp_path: Path, standin: StandIn, provider: str, action: str, params: dict):
    urls = standin.base_urls
    settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data",
                             openai_api_key="sk-f", openai_base_url=urls["openai"], sora_base_url=urls["sora"],
                             leonardo_api_key="leo-f", leonardo_base_url=urls["leonardo"],
                             elevenlabs_api_key="el-f", elevenlabs_base_url=urls["elevenlabs"])
    store = await Store.open(tmp_path / "data" / "cctui.db")
    providers = Providers(settings)
    jobs = JobManager(store, providers, min_poll=0.05, max_poll=0.3)
    try:
        run_id = await store.create_run("t", "/t", {}, {"step": 0, "module": 0})
        source = {"content_id": "c_src", "local_path": source_image(tmp_path)} if action == "img2vid" else None
        request = MediaRequest(action=action, provider=provider, params=dict(params), source_image=source,
                               media_dir=str(tmp_path / "data" / "media"))
        job_id = await jobs.start(request, run_id=run_id, interaction_id=None, step_id="s", module="m",
                                  prompt_key=provider)
        await jobs.wait([job_id], timeout=60)
        return await store.get_job(job_id), await store.content_of_run(run_id)
    finally:
        await jobs.close()
        await providers.aclose()
        await store.close()


def counts(standin: StandIn, path: str) -> tuple[int, int]:
    c = standin.submit_counts()
    return c["submits"].get(f"POST {path}", 0), c["accepted"].get(f"POST {path}", 0)


# Providers whose list of jobs cctui can read, to find a submit whose answer was lost.
LOOKUP = {"leonardo-txt2img", "leonardo-img2vid", "sora-img2vid"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name, provider, action, path, params", PAID, ids=[p[0] for p in PAID])
async def test_a_fault_on_a_paid_post_is_never_paid_twice(tmp_path, standin, short_timeouts, kind, name, provider,
                                                          action, path, params):
    """Every request to the paid path fails with `kind`. 429 and 503 take nothing: the same job is
    sent again a bounded number of times, then fails saying nothing was charged. After the other
    kinds the provider may hold the job: it is sent once, and found in the provider's list where
    there is one (then followed to the end), else left `unknown` for the creator."""
    received, accepted = counts(standin, path)
    # Only the paid POST: Sora's list of jobs (GET on the same path) is how a lost submit is found.
    standin.random_faults = RandomFaults(1.0, 0, [kind], timeout_seconds=CLIENT_TIMEOUT + 0.6,
                                         retry_after=0.1, paths=f"^{path}$", methods=("POST",))
    try:
        job, content = await run_job(tmp_path, standin, provider, action, params)
    finally:
        standin.random_faults = None
    now_received, now_accepted = counts(standin, path)
    processed = now_accepted - accepted
    if kind in ("429", "503"):
        assert now_received - received == SUBMIT_REFUSED_TRIES, f"{name}: sent {now_received - received} times"
        assert processed == 0
        assert job.status == "failed" and "Nothing was charged" in job.error, job
        assert content == []
        return
    assert now_received - received == 1, f"{name}: the paid POST was sent {now_received - received} times"
    assert processed == 1
    if name in LOOKUP:
        assert job.status == "completed", (job.status, job.error)
        assert job.provider_job_id and content
    else:
        assert job.status == "unknown", (job.status, job.error)
        assert "may or may not" in job.error and not job.provider_job_id
        assert content == []  # nothing is kept from an answer that did not arrive whole


@pytest.mark.parametrize("name, provider, action, path, params", PAID, ids=[p[0] for p in PAID])
async def test_a_429_on_a_paid_submit_is_waited_out(tmp_path, standin, short_timeouts, name, provider, action, path,
                                                    params):
    received, accepted = counts(standin, path)
    standin.inject(f"^{path}$", method="POST", times=2, status=429, headers={"retry-after": "0.2"})
    try:
        job, content = await run_job(tmp_path, standin, provider, action, params)
    finally:
        standin.clear_faults()
    now_received, now_accepted = counts(standin, path)
    assert job.status == "completed", (job.status, job.error)
    assert (now_received - received, now_accepted - accepted) == (3, 1)
    assert job.attempts == 3 and content


DOWNLOADS = [
    ("leonardo-image", "leonardo", "txt2img", r"^/_files/leonardo/.+\.png$", PAID[0][4]),
    ("leonardo-video", "leonardo", "img2vid", r"^/_files/leonardo/.+\.mp4$", PAID[2][4]),
    ("sora-video", "openai", "img2vid", r"^/openai/v1/videos/[^/]+/content$", PAID[3][4]),
]
# The same kinds as the random fault mode, as one-off faults on the first download request.
ONE_OFF = {
    "429": {"status": 429, "headers": {"retry-after": "0.1"}},
    "500": {"status": 500, "after": True},
    "503": {"status": 503},
    "timeout": {"hold": CLIENT_TIMEOUT + 0.5, "action": "reset"},
    "reset": {"action": "reset"},
    "truncate": {"truncate": True},
    "malformed": {"action": "malformed"},
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name, provider, action, regex, params", DOWNLOADS, ids=[d[0] for d in DOWNLOADS])
async def test_a_failed_download_is_retried_to_the_whole_file(tmp_path, standin, short_timeouts, kind, name,
                                                              provider, action, regex, params):
    paid = next(p[3] for p in PAID if (p[1], p[2]) == (provider, action))
    received, _ = counts(standin, paid)
    standin.inject(regex, method="GET", times=1, **ONE_OFF[kind])
    try:
        job, content = await run_job(tmp_path, standin, provider, action, params)
    finally:
        standin.clear_faults()
    assert job.status == "completed", (job.status, job.error)
    assert counts(standin, paid)[0] - received == 1
    served = {f["sha256"]: f["size"] for f in standin.served.entries()}
    files = [c.local_path for c in content] + [c.metadata["poster_path"] for c in content
                                                  if c.metadata.get("poster_path")]
    assert files
    for path in files:
        data = Path(path).read_bytes()
        assert served.get(hashlib.sha256(data).hexdigest()) == len(data), f"{path} is not what was served"
    assert not list(Path(files[0]).parent.glob("*.part"))


POLLS = [
    ("leonardo-poll", "leonardo", "txt2img", r"^/leonardo/api/rest/v1/generations/[^/]+$", PAID[0][4]),
    ("sora-poll", "openai", "img2vid", r"^/openai/v1/videos/[^/]+$", PAID[3][4]),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name, provider, action, regex, params", POLLS, ids=[p[0] for p in POLLS])
async def test_a_failed_poll_is_polled_again(tmp_path, standin, short_timeouts, kind, name, provider, action,
                                             regex, params):
    paid = next(p[3] for p in PAID if (p[1], p[2]) == (provider, action))
    received, _ = counts(standin, paid)
    standin.inject(regex, method="GET", times=2, **ONE_OFF[kind])
    try:
        job, content = await run_job(tmp_path, standin, provider, action, params)
    finally:
        standin.clear_faults()
    assert job.status == "completed", (job.status, job.error)
    assert counts(standin, paid)[0] - received == 1 and content


SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False}


@pytest.mark.parametrize("garbled", [1, 3])
async def test_a_garbled_llm_answer_is_asked_again_then_a_provider_error(tmp_path, standin, garbled):
    """A 2xx answer cut off in transit is asked again (twice at most); a third one is an error."""
    from cctui.providers.base import LLMRequest, ProviderError, TextPart

    settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path,
                             openai_api_key="sk-f", openai_base_url=standin.base_urls["openai"])
    llm = openai_llm.OpenAILLM(settings)
    path = "POST /openai/v1/chat/completions"
    before = standin.count("POST", "/openai/v1/chat/completions")
    standin.inject(r"/chat/completions$", action="malformed", times=garbled)
    request = LLMRequest(system=["json"], user=[TextPart("hi")], schema_name="t", output_schema=SCHEMA)
    try:
        if garbled > openai_llm.UNREADABLE_RETRIES:
            with pytest.raises(ProviderError) as info:
                await llm.complete(request)
            assert info.value.kind == "server" and "not valid JSON" in str(info.value)
        else:
            assert "a" in (await llm.complete(request)).data
    finally:
        standin.clear_faults()
        await llm.aclose()
    sent = standin.count("POST", "/openai/v1/chat/completions") - before
    assert sent == min(garbled + 1, openai_llm.UNREADABLE_RETRIES + 1), (path, sent)
