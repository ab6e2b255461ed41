"""A job the provider accepted is followed until the provider says how it ended, and paid once.

Real clients against the stand-in: the status requests and the download of a finished job meet
429s (with Retry-After), 503s, 500s and connection resets; the job still completes with one paid
submit. A job that cctui gave up asking about is fetched again by `cctui jobs --resubmit`
(the provider still holds it), never sent again. The ledger has one row per accepted submit.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
from PIL import Image

from cctui.cli import main
from cctui.costs.ledger import Ledger
from cctui.jobs.manager import JobManager
from cctui.providers.base import MediaRequest
from cctui.providers.registry import Providers
from cctui.settings import load_settings
from cctui.standin import StandIn
from cctui.store.db import Store

# (name, provider, action, paid path, status path, download path, params)
ASYNC_JOBS = [
    ("leonardo-img2vid", "leonardo", "img2vid", "/leonardo/api/rest/v1/generations-image-to-video",
     r"/leonardo/api/rest/v1/generations/[A-Za-z0-9-]+$", r"/_files/leonardo/.+\.mp4$",
     {"prompt": "curtains sway", "model": "MOTION2"}),
    ("sora-img2vid", "openai", "img2vid", "/openai/v1/videos", r"/openai/v1/videos/[A-Za-z0-9_-]+$",
     r"/openai/v1/videos/[A-Za-z0-9_-]+/content$",
     {"prompt": "curtains sway", "duration": "4", "aspect_ratio": "9:16", "quality": "720p"}),
]


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    srv = StandIn(job_seconds=0.2, data_dir=tmp_path_factory.mktemp("standin"), retry_after_seconds=0.1)
    srv.start()
    yield srv
    srv.stop()


def settings_for(standin: StandIn, data_dir):
    urls = standin.base_urls
    return load_settings(env={}, config_file=data_dir / "none.toml", data_dir=data_dir,
                         openai_api_key="sk-f", openai_base_url=urls["openai"], sora_base_url=urls["sora"],
                         leonardo_api_key="leo-f", leonardo_base_url=urls["leonardo"],
                         elevenlabs_api_key="el-f", elevenlabs_base_url=urls["elevenlabs"])


def request_for(tmp_path, provider: str, action: str, params: dict) -> MediaRequest:
    source = tmp_path / "source.png"
    Image.new("RGB", (576, 1024), (180, 140, 90)).save(source)
    return MediaRequest(action=action, provider=provider, params=dict(params),
                        source_image={"content_id": "c_src", "local_path": str(source)},
                        media_dir=str(tmp_path / "data" / "media"))


def paid_counts(standin: StandIn, path: str) -> tuple[int, int]:
    c = standin.submit_counts()
    return c["submits"].get(f"POST {path}", 0), c["accepted"].get(f"POST {path}", 0)


async def start_job(tmp_path, standin, provider, action, params, **manager_args):
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    store = await Store.open(data / "cctui.db")
    providers = Providers(settings_for(standin, data))
    jobs = JobManager(store, providers, min_poll=0.05, max_poll=0.3, **manager_args)
    run_id = await store.create_run("t", "/t", {}, {"step": 0, "module": 0})
    job_id = await jobs.start(request_for(tmp_path, provider, action, params), run_id=run_id, interaction_id=None,
                              step_id="s", module="m", prompt_key=provider)
    return store, providers, jobs, job_id


@pytest.mark.parametrize("name,provider,action,paid,status_path,file_path,params", ASYNC_JOBS,
                         ids=[j[0] for j in ASYNC_JOBS])
async def test_status_and_download_faults_are_waited_out_and_paid_once(tmp_path, standin, name, provider, action,
                                                                      paid, status_path, file_path, params):
    before = paid_counts(standin, paid)
    faults = [standin.inject(status_path, status=429, headers={"retry-after": "0.1"}, times=2, method="GET"),
              standin.inject(status_path, status=503, times=1, method="GET"),
              standin.inject(status_path, action="reset", times=1, method="GET"),
              standin.inject(file_path, status=429, times=1, method="GET"),  # a CDN 429 without Retry-After
              standin.inject(file_path, status=500, times=1, method="GET"),
              standin.inject(file_path, action="reset", times=1, method="GET")]
    seen: list[str] = []
    store, providers, jobs, job_id = await start_job(tmp_path, standin, provider, action, params)
    jobs.subscribe(lambda job: seen.append(job.retry_reason or ""))
    try:
        await jobs.wait([job_id], timeout=60)
        job = await store.get_job(job_id)
        content = await store.content_of_run(job.run_id)
        rows = await Ledger(store).job_rows(job_id)
    finally:
        standin.clear_faults()
        await jobs.close()
        await providers.aclose()
        await store.close()
    assert [f.used for f in faults] == [f.times for f in faults]  # every fault was met
    assert job.status == "completed", (job.status, job.error)
    assert job.attempts == 1 and content and not job.retry_reason
    assert any(seen), "the job showed why it was waiting"
    after = paid_counts(standin, paid)
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert len(rows) == 1 and rows[0]["provider_job_id"] == job.provider_job_id


def in_thread(coro):
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_a_resubmit_of_a_job_the_provider_holds_fetches_it(tmp_path, standin, monkeypatch, capsys):
    """cctui gave up asking (errors for longer than the result window): the job is `stalled`, and
    the printed way on fetches it; `--resubmit` does the same, without a new paid request."""
    name, provider, action, paid, status_path, file_path, params = ASYNC_JOBS[0]
    before = paid_counts(standin, paid)

    async def stall():
        standin.inject(status_path, status=503, times=None, method="GET")
        store, providers, jobs, job_id = await start_job(tmp_path, standin, provider, action, params,
                                                         result_window=0.5)
        try:
            await jobs.wait([job_id], timeout=30)
            return job_id, await store.get_job(job_id)
        finally:
            standin.clear_faults()
            await jobs.close()
            await providers.aclose()
            await store.close()

    job_id, job = in_thread(stall())
    assert job.status == "stalled" and job.provider_job_id, (job.status, job.error)
    assert "fetch it again" in job.error

    data = tmp_path / "data"
    for var, value in (("LEONARDO_API_KEY", "leo-f"), ("LEONARDO_BASE_URL", standin.base_urls["leonardo"])):
        monkeypatch.setenv(var, value)
    assert main(["--data-dir", str(data), "jobs"]) == 0
    listed = capsys.readouterr().out
    assert f"next: cctui jobs --fetch {job_id}" in listed and "--resubmit" not in listed

    assert main(["--data-dir", str(data), "jobs", "--resubmit", job_id, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "no new charge" in out and f"{job_id}: completed" in out
    after = paid_counts(standin, paid)
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)  # the one submit, nothing sent again

    async def ledger_rows():
        store = await Store.open(data / "cctui.db")
        try:
            return await Ledger(store).job_rows(job_id)
        finally:
            await store.close()

    assert len(in_thread(ledger_rows())) == 1


async def test_a_download_that_fills_the_disk_is_fetched_again_once_there_is_room(tmp_path, standin):
    """The disk is full (here: the kernel's file size limit, RLIMIT_FSIZE, refuses the write) while
    a finished job's video is saved: the job is `not_downloaded`, says it is paid for and how to go
    on; after room is made, fetching it again completes the same job with no second submit."""
    import resource
    import signal

    name, provider, action, paid, status_path, file_path, params = ASYNC_JOBS[1]
    before = paid_counts(standin, paid)
    limit = 2 * 2**20  # above the database and the stand-in's own files, below the answer below
    big = standin.inject(file_path, status=200, body=b"\0" * (4 * 2**20), headers={"content-type": "video/mp4"},
                         times=1, method="GET")

    async def run() -> tuple[dict, dict, list]:
        store, providers, jobs, job_id = await start_job(tmp_path, standin, provider, action, params)
        try:
            old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
            soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
            try:
                await jobs.wait([job_id], timeout=30)
            finally:
                resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
                signal.signal(signal.SIGXFSZ, old_handler)
            full = await store.get_job(job_id)
            await jobs.fetch_again(job_id)  # there is room again
            await jobs.wait([job_id], timeout=30)
            return full, await store.get_job(job_id), await store.content_of_run(full.run_id)
        finally:
            standin.clear_faults()
            await jobs.close()
            await providers.aclose()
            await store.close()

    full, done, content = await run()
    assert big.used == 1
    assert full.status == "not_downloaded", (full.status, full.error)
    assert "paid for" in full.error and "fetch it again" in full.error
    assert done.status == "completed" and done.job_id == full.job_id and done.attempts == 1
    assert [c.kind for c in content] == ["video"]
    assert not list((tmp_path / "data" / "media").glob("*.part"))
    after = paid_counts(standin, paid)
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
