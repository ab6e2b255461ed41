"""The cost ledger: prices from the data file, LLM tokens and jobs recorded, totals per run."""

from __future__ import annotations

import json
import sqlite3

import pytest

from cctui.costs.ledger import Ledger, money_text, summary
from cctui.costs.prices import BUNDLED, Prices, PricesError
from cctui.jobs.manager import JobManager
from cctui.providers.base import Cost, MediaRequest, Submitted
from cctui.store.db import Store
from fakes import FakeProviders


def test_the_bundled_price_file_prices_every_default_model():
    prices = Prices.load()
    assert prices.llm("gpt-4.1-mini", 1_000_000, 0).amount == pytest.approx(0.40)
    assert prices.llm("gpt-4.1-mini", 0, 500_000).amount == pytest.approx(0.80)
    # A dated snapshot bills as its family; an unknown model is not guessed.
    assert prices.llm("gpt-4.1-mini-2025-04-14", 1000, 1000).amount == prices.llm("gpt-4.1-mini", 1000, 1000).amount
    assert prices.llm("someone-elses-model", 1000, 1000) is None
    image = prices.image("openai", "gpt-image-1", "medium", "1024x1536", 3)
    assert (image.amount, image.quantity, image.unit_price) == (pytest.approx(0.189), 3, 0.063)
    assert prices.image("openai", "gpt-image-1", "medium", "999x999", 1) is None
    video = prices.video("openai", "sora-2-pro", 12)
    assert video.amount == pytest.approx(3.6) and video.per == "second"
    music = prices.music("elevenlabs", "music_v1", 30)
    assert music.amount == pytest.approx(0.40) and music.source == "prices"


def test_a_users_price_file_overrides_key_by_key(tmp_path, monkeypatch):
    monkeypatch.delenv("CCTUI_PRICES_FILE", raising=False)
    (tmp_path / "prices.json").write_text(json.dumps({"llm": {"gpt-4.1-mini": {"input": 1.0, "output": 2.0}}}))
    prices = Prices.load(tmp_path)
    assert prices.llm("gpt-4.1-mini", 1_000_000, 1_000_000).amount == pytest.approx(3.0)
    assert prices.llm("gpt-4o", 1_000_000, 0).amount == pytest.approx(2.5)  # untouched entries stay
    assert prices.sources == [str(BUNDLED), str(tmp_path / "prices.json")]


@pytest.mark.parametrize("text, message", [
    ("{not json", "invalid JSON at line 1, column 2"),
    ("[1, 2]", "at $: the price file must be a JSON object"),
    ('{"llm": 3}', "at $.llm: must be an object"),
])
def test_a_broken_price_file_is_named_with_where_it_is_wrong(tmp_path, monkeypatch, text, message):
    path = tmp_path / "mine.json"
    path.write_text(text)
    monkeypatch.setenv("CCTUI_PRICES_FILE", str(path))
    with pytest.raises(PricesError) as err:
        Prices.load()
    assert str(err.value).startswith(str(path)) and message in str(err.value)


class PricedFake:
    """A provider that reports no cost of its own, so the price list's estimate is used."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def submit(self, request: MediaRequest) -> Submitted:
        submitted = await self.inner.submit(request)
        return Submitted(provider_job_id=submitted.provider_job_id, poll_after=submitted.poll_after)

    def estimate(self, request: MediaRequest) -> Cost:
        return Cost(0.25, "usd", 2, "image", 0.125, "fake-image", "prices")


async def test_every_job_has_one_ledger_row_equal_to_its_cost(tmp_path):
    store = await Store.open(tmp_path / "db")
    run_id = await store.create_run("wf", "/wf", {}, {"step": 0, "module": 0})
    providers = FakeProviders()
    providers.media_providers["elevenlabs"] = PricedFake(providers.media_providers["elevenlabs"])
    jobs = JobManager(store, providers, min_poll=0.01)
    ids = []
    for provider, action in (("openai", "img2vid"), ("elevenlabs", "txt2img"), ("openai", "img2vid")):
        request = MediaRequest(action=action, provider=provider, params={"prompt": "a cat"},
                               source_image={"local_path": str(_png(tmp_path))}, media_dir=str(tmp_path / "m"))
        ids.append(await jobs.start(request, run_id=run_id, interaction_id=None, step_id="s", module="m",
                                    prompt_key=provider))
    await jobs.wait()
    ledger = Ledger(store)
    rows = await ledger.rows(run_id)
    assert sorted(r["job_id"] for r in rows) == sorted(ids)
    by_job = {r["job_id"]: r for r in rows}
    for job in await store.jobs_of_run(run_id):
        row = by_job[job.job_id]
        assert (row["amount"], row["currency"]) == (job.cost_amount, job.cost_unit)
    estimated = by_job[ids[1]]
    assert (estimated["source"], estimated["units"], estimated["unit"], estimated["model"]) == \
        ("prices", 2, "image", "fake-image")
    assert by_job[ids[0]]["source"] == "provider" and by_job[ids[0]]["kind"] == "video"
    assert (await ledger.totals(run_id)) == {run_id: {"usd": pytest.approx(0.4 + 0.25 + 0.4)}}
    await store.close()


async def test_a_cost_reported_again_updates_the_one_row(tmp_path):
    store = await Store.open(tmp_path / "db")
    run_id = await store.create_run("wf", "/wf", {}, {"step": 0, "module": 0})
    await store.create_job(job_id="j1", run_id=run_id, interaction_id=None, step_id="s", module="m",
                           provider="leonardo", action="img2vid", prompt_key="leonardo", request={})
    ledger = Ledger(store)
    job = await store.get_job("j1")
    await ledger.set_job_cost(job, Cost(20, "credits"))
    await ledger.set_job_cost(job, Cost(25, "credits"))
    rows = await ledger.rows(run_id)
    assert len(rows) == 1 and rows[0]["amount"] == 25 and rows[0]["unit"] == "credit"
    assert (await store.get_job("j1")).cost_amount == 25
    await store.close()


async def test_llm_calls_are_recorded_with_tokens_and_price(tmp_path):
    store = await Store.open(tmp_path / "db")
    run_id = await store.create_run("wf", "/wf", {}, {"step": 0, "module": 0})
    prices = Prices.load()
    ledger = Ledger(store)
    await ledger.add_llm(run_id=run_id, step_id="scenes", module="generate", provider="openai",
                         charge=prices.llm("gpt-4.1-mini", 1200, 300), model="gpt-4.1-mini",
                         input_tokens=1200, output_tokens=300)
    await ledger.add_llm(run_id=run_id, step_id="scenes", module="generate", provider="local",
                         charge=None, model="llama", input_tokens=10, output_tokens=10)
    rows = await ledger.rows(run_id)
    assert rows[0]["amount"] == pytest.approx((1200 * 0.40 + 300 * 1.60) / 1e6)
    assert rows[0]["detail"] == {"input_tokens": 1200, "output_tokens": 300, "priced": True}
    assert rows[1]["amount"] == 0 and rows[1]["detail"]["priced"] is False
    report = summary(rows)
    assert report["totals"] == {"usd": pytest.approx(rows[0]["amount"])}
    assert report["by_kind"] == {"llm": {"usd": pytest.approx(rows[0]["amount"])}}
    assert money_text({"usd": 1.234, "credits": 30}) == "$1.23 + 30 cr"
    await store.close()


def test_the_ledger_table_survives_reopening(tmp_path):
    import asyncio

    async def make():
        store = await Store.open(tmp_path / "db")
        run_id = await store.create_run("wf", "/wf", {}, {"step": 0, "module": 0})
        await Ledger(store).add_llm(run_id=run_id, step_id=None, module=None, provider="openai", charge=None,
                                    model=None, input_tokens=1, output_tokens=2)
        await store.close()

    asyncio.run(make())
    db = sqlite3.connect(tmp_path / "db")
    assert db.execute("SELECT units, currency FROM costs").fetchall() == [(3.0, "usd")]


def _png(tmp_path):
    from PIL import Image

    path = tmp_path / "src.png"
    if not path.exists():
        Image.new("RGB", (64, 64), (10, 200, 30)).save(path)
    return path


async def test_the_provider_id_is_stored_before_the_cost(tmp_path):
    """Until the provider's id is stored a crash leaves the job `unknown` (maybe paid twice), so
    nothing, not even the ledger write, comes between the submit's answer and storing it. The
    estimate (made for the ledger) looks at the job row at its next await."""
    import asyncio

    store = await Store.open(tmp_path / "db")
    run_id = await store.create_run("wf", "/wf", {}, {"step": 0, "module": 0})
    providers = FakeProviders()
    seen = []

    class Watching(PricedFake):
        def estimate(self, request):
            seen.append(asyncio.get_running_loop().create_task(store.list_jobs_by_status("submitted")))
            return super().estimate(request)

    providers.media_providers["openai"] = Watching(providers.media_providers["openai"])
    jobs = JobManager(store, providers, min_poll=0.01)
    request = MediaRequest(action="txt2img", provider="openai", params={"prompt": "a cat"},
                           media_dir=str(tmp_path / "m"))
    job_id = await jobs.start(request, run_id=run_id, interaction_id=None, step_id="s", module="m",
                              prompt_key="openai")
    await jobs.wait()
    (submitted,) = await seen[0]
    assert submitted.job_id == job_id and submitted.provider_job_id
    await store.close()
