"""A fal.ai job run by the JobManager with a real Store and Providers against the stand-in: it
completes, its video is content of the run, and the ledger has one usd row at the list price."""

from __future__ import annotations

import pytest
from PIL import Image

from cctui.costs.ledger import Ledger
from cctui.jobs.manager import JobManager
from cctui.providers.base import MediaRequest
from cctui.providers.registry import Providers
from cctui.settings import load_settings
from cctui.standin import StandIn
from cctui.store.db import Store

MODEL = "fal-ai/veo3/fast/image-to-video"


@pytest.fixture
def standin(tmp_path):
    srv = StandIn(keys={"fal": "fal-job"}, job_seconds=0.3, data_dir=tmp_path / "standin")
    srv.start()
    yield srv
    srv.stop()


async def test_a_fal_job_completes_with_a_ledger_row(tmp_path, standin):
    data = tmp_path / "data"
    data.mkdir()
    settings = load_settings(env={}, config_file=data / "none.toml", data_dir=data,
                             fal_api_key="fal-job", fal_base_url=standin.base_urls["fal"])
    source = tmp_path / "pet.png"
    Image.new("RGB", (720, 1280), (200, 150, 90)).save(source)
    request = MediaRequest(action="img2vid", provider="fal",
                           params={"model": MODEL, "prompt": "the cat yawns", "duration": "6",
                                   "aspect_ratio": "9:16", "generate_audio": False},
                           source_image={"content_id": "c_src", "local_path": str(source)},
                           media_dir=str(data / "media"))
    store = await Store.open(data / "cctui.db")
    providers = Providers(settings)
    jobs = JobManager(store, providers, min_poll=0.05, max_poll=0.2)
    try:
        run_id = await store.create_run("t", "/t", {}, {"step": 0, "module": 0})
        job_id = await jobs.start(request, run_id=run_id, interaction_id=None, step_id="s", module="m",
                                  prompt_key="fal")
        await jobs.wait([job_id], timeout=60)
        job = await store.get_job(job_id)
        content = await store.content_of_run(run_id)
        rows = await Ledger(store).job_rows(job_id)
    finally:
        await jobs.close()
        await providers.aclose()
        await store.close()
    assert job.status == "completed", (job.status, job.error)
    assert [c.kind for c in content] == ["video"]
    assert len(rows) == 1 and rows[0]["provider_job_id"] == job.provider_job_id
    assert rows[0]["currency"] == "usd" and rows[0]["amount"] == pytest.approx(6 * 0.10)
    assert (job.cost_unit, rows[0]["model"]) == ("usd", MODEL)
    counts = standin.submit_counts()
    assert counts["accepted"] == {f"POST /fal/{MODEL}": 1}
