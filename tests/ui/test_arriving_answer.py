"""A streaming LLM step on the run screen: the answer so far is drawn as the next question's cards,
then replaced by the question once it is whole. The LLM is held half-way through its answer,
so the half-filled screen is the same every time."""

from __future__ import annotations

import asyncio

import pytest

from app_harness import make_test_app, settle, wait_for
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.widgets.arriving_answer import ArrivingAnswer
from test_app_snapshots import at, to_scenes

HALF = ('{"scenes": [{"title": "Sunbeam Nap", "hook": "One warm patch of floor, one very serious cat.", '
        '"narrative": "Miso follows the sunbeam across the rug all afternoon.", '
        '"visual_moments": ["paws twitching", "a slow blink"], "pet_behavior": "stretching", '
        '"emotional_arc": "sleepy to blissful", "setting": "living room", '
        '"scene_keywords": ["sun", "nap", "rug"]}, '
        '{"title": "The Great Sock Heist", "hook": "Nobody saw the sock go missi')


def held_scenes(app) -> asyncio.Event:
    """The scenes answer stops half-way (HALF has arrived) until the returned event is set."""
    llm = app.fake_providers.llm_provider
    original = llm.complete
    release = asyncio.Event()

    async def complete(request):
        if "scene" in request.schema_name and request.on_text is not None and not release.is_set():
            request.on_text(HALF[:60])
            request.on_text(HALF)  # within the throttle's interval of the first: skipped
            await asyncio.sleep(0.15)
            request.on_text(HALF)
            await release.wait()
        return await original(request)

    llm.complete = complete
    return release


def half_drawn(app) -> bool:
    views = app.screen.query(ArrivingAnswer)
    return bool(views) and len(views.first().data.get("scenes", [])) == 2


async def test_the_half_answer_shows_as_cards_then_the_question_replaces_it(tmp_path):
    app = make_test_app(tmp_path)
    release = held_scenes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_scenes(pilot, app)
        await wait_for(pilot, lambda: half_drawn(app))
        await settle(pilot)
        view = app.screen.query_one(ArrivingAnswer)
        assert view.data["scenes"][1] == {"title": "The Great Sock Heist", "hook": "Nobody saw the sock go missi"}
        # Drawn with the next question's display schema (its labels), not the answer's own.
        assert view.schema.get("_ux.display") == "passthrough"
        text = app.export_screenshot().replace("&#160;", " ")
        assert "Sock Heist" in text and "go missi" in text
        release.set()
        await wait_for(pilot, lambda: at(app, "select_scene") and bool(app.screen.query("#select-view")))
        await settle(pilot)
        assert not app.screen.query(ArrivingAnswer) and not app.screen.query("#loading")


@pytest.mark.parametrize("size", [(80, 24)])
def test_streaming_step_half_filled(snap_compare, tmp_path, size):
    app = make_test_app(tmp_path)
    held_scenes(app)

    async def ready(pilot):
        await to_scenes(pilot, app)
        await wait_for(pilot, lambda: half_drawn(app))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


async def test_a_real_stream_fills_the_cards_in_before_the_question(tmp_path):
    """The real client, the stand-in streaming over HTTP (each answer spread over 1.5 s): the
    scenes are seen arriving on the run screen, then the question shows the whole answer."""
    from cctui.settings import SecretStr

    from app_harness import NOW, WORKFLOW, TestApp, settings_for
    from cctui.providers.registry import Providers
    from cctui.standin import StandIn

    standin = StandIn(keys=None, job_seconds=0.3, data_dir=tmp_path / "standin", stream_seconds=1.5).start()
    settings = settings_for(tmp_path).model_copy(update={
        "openai_api_key": SecretStr("demo-key"), "openai_base_url": standin.base_urls["openai"]})
    app = TestApp(settings, providers=Providers(settings), workflow_dir=WORKFLOW, now=lambda: NOW)
    seen: list[int] = []
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await to_scenes(pilot, app)

            def watch() -> bool:
                views = app.screen.query(ArrivingAnswer)
                if views:
                    seen.append(len(str(views.first().data)))
                return at(app, "select_scene")

            await wait_for(pilot, watch, timeout=30)
            scenes = app.screen.run.state["scene_concepts"]["scenes"]
    finally:
        await app.providers.aclose()
        standin.stop()
    assert len(seen) >= 3 and seen == sorted(seen) and len(set(seen)) >= 2, seen
    assert seen[-1] <= len(str({"scenes": scenes}))
