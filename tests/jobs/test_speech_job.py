"""A voice job through the real JobManager: recorded before it is sent, finished inside the one
submit, priced in the ledger, and never sent again when the run is resumed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cctui.costs.ledger import Ledger
from cctui.jobs.manager import JobManager
from cctui.providers.base import MediaRequest
from cctui.providers.registry import Providers
from cctui.settings import load_settings
from cctui.standin import StandIn
from cctui.store.db import Store

TEXT = "I am the cat of this house, and the sofa knows it."
PAID = {"elevenlabs": "/elevenlabs/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/with-timestamps",
        "openai": "/openai/v1/audio/speech"}


@pytest.fixture
def standin(tmp_path):
    srv = StandIn(job_seconds=0.2, data_dir=tmp_path / "standin")
    srv.start()
    yield srv
    srv.stop()


def settings_for(standin: StandIn, data_dir: Path):
    urls = standin.base_urls
    return load_settings(env={}, config_file=data_dir / "none.toml", data_dir=data_dir,
                         openai_api_key="sk-f", openai_base_url=urls["openai"],
                         elevenlabs_api_key="el-f", elevenlabs_base_url=urls["elevenlabs"])


def paid(standin: StandIn, provider: str) -> int:
    return standin.submit_counts()["submits"].get(f"POST {PAID[provider]}", 0)


@pytest.mark.parametrize("provider, params", [
    ("elevenlabs", {"text": TEXT, "voice": "21m00Tcm4TlvDq8ikWAM"}),
    ("openai", {"text": TEXT, "voice": "coral", "instructions": "Speak as a calm, content cat"}),
])
async def test_voice_job_is_recorded_completed_priced_and_not_resent(tmp_path, standin, provider, params):
    data = tmp_path / "data"
    data.mkdir()
    store = await Store.open(data / "cctui.db")
    providers = Providers(settings_for(standin, data))
    jobs = JobManager(store, providers, min_poll=0.05, max_poll=0.3)
    seen: list[tuple[str, int]] = []
    # The job row exists (and says so) before the paid request reaches the stand-in.
    jobs.subscribe(lambda job: seen.append((job.status.value, paid(standin, provider))))
    try:
        run_id = await store.create_run("t", "/t", {}, {"step": 0, "module": 0})
        request = MediaRequest(action="txt2speech", provider=provider, params=dict(params),
                               media_dir=str(data / "media"))
        job_id = await jobs.start(request, run_id=run_id, interaction_id=None, step_id="voice", module="m",
                                  prompt_key=provider)
        recorded = await store.get_job(job_id)
        await jobs.wait([job_id], timeout=30)
        job = await store.get_job(job_id)
        content = await store.content_of_run(run_id)
        rows = await Ledger(store).job_rows(job_id)
        assert recorded is not None and recorded.request["params"]["text"] == TEXT
        assert job.status.value == "completed", (job.status, job.error)
        assert job.attempts == 1 and paid(standin, provider) == 1
        assert seen and seen[0][1] == 0  # the first state change was written before anything was sent
        audio = [c for c in content if c.kind == "audio"]
        assert len(audio) == 1 and Path(audio[0].local_path).is_file()
        assert [w["text"] for w in audio[0].metadata["words"]] == TEXT.split()
        assert len(rows) == 1 and rows[0]["amount"] > 0 and rows[0]["source"] == "prices"
        assert rows[0]["kind"] == "speech"
        # A restart picks up unfinished jobs only: the finished voice is not sent again.
        assert await jobs.resume(run_id) == []
        await jobs.wait(timeout=5)
        assert paid(standin, provider) == 1
        assert len(await Ledger(store).job_rows(job_id)) == 1
    finally:
        await jobs.close()
        await providers.aclose()
        await store.close()
