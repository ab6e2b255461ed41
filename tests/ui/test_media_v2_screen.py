"""The media screen over a `media.generateV2` question: the seed's tab schemas as cctui forms
(options from the clients), and a tab cctui cannot generate with, which shows its prompt to copy,
says why and sends nothing."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Button, Select, Static, TabbedContent, TextArea

from cctui.engine.errors import AnswerError
from cctui.engine.interaction import Interaction
from cctui.engine.modules.media_generate_v2 import MediaGenerateV2
from cctui.engine.v2_tabs import media_tabs_of
from cctui.providers.offers import offers, unavailable
from cctui.ui.screens.media_screen import MediaScreen
from cctui.workflow.models import SubAction

DISPLAY = (Path(__file__).resolve().parents[1] / "workflows" / "v2_media" / "steps" / "1_images" / "schemas"
           / "display.json")
ANSWER = {"scene_title": "Window nap", "key_moment": "The cat blinks slowly",
          "prompts": {"midjourney": {"prompt": "tabby cat asleep in a reading nook --ar 9:16", "style_notes": "Warm"},
                      "leonardo": {"prompt": "tabby cat asleep in a reading nook, lamp light", "style_notes": "Soft"},
                      "openai": {"prompt": "A tabby cat asleep in a reading nook.", "camera_notes": "50mm"}}}


class FakeRun:
    """What the screen uses of `Run`; `sub_action` refuses like the real one would."""

    run_id = "run-v2"

    def __init__(self, inputs: dict[str, Any]):
        self.inputs = inputs
        self.calls: list[tuple[str, dict]] = []

    def media_client(self, provider: str, action: str):
        return None

    def can_look_for(self, provider, action) -> bool:
        return False

    async def generations(self) -> list[dict[str, Any]]:
        return []

    async def sub_action(self, interaction_id: int, sub_action_id: str, tab: str, values=None) -> str:
        sub = SubAction(id=sub_action_id, label="Make images")
        MediaGenerateV2().generation(self.inputs, sub, tab, dict(values or {}))  # raises for a refused tab
        self.calls.append((tab, dict(values or {})))
        return f"j_{len(self.calls)}"


def interaction() -> tuple[FakeRun, Interaction]:
    schema, prompts = media_tabs_of(json.loads(DISPLAY.read_text()), ANSWER, lambda p: offers(p, "txt2img"),
                                    lambda p: unavailable(p, "txt2img"), None)
    inputs = {"action_type": "txt2img", "schema": schema, "prompts": prompts, "title": "Pick an image",
              "_generated_prompts": ANSWER}
    sub = SubAction(id="make", label="Make images", actions=[{"type": "self_sub_action"}])
    ctx = SimpleNamespace(spec=SimpleNamespace(sub_actions=[sub]))
    coro = MediaGenerateV2().display(ctx, inputs)
    try:
        coro.send(None)
    except StopIteration as done:  # display() awaits nothing
        display = done.value
    return FakeRun(inputs), Interaction(
        interaction_id=3, run_id="run-v2", step_id="images", step_index=0, step_title="Images",
        module_name="make_images", module_id="media.generateV2", kind="media", display=display,
        resolved_inputs=inputs, retryable=None, sub_actions=[sub])


class Host(App):
    def __init__(self, screen: MediaScreen):
        super().__init__()
        self.media = screen

    def on_mount(self) -> None:
        self.animation_level = "none"
        self.push_screen(self.media)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def show(pilot, tab: str) -> None:
    pilot.app.media.query_one("#media-tabs", TabbedContent).active = f"media-tab-{tab}"
    await settle(pilot)


async def test_a_tab_that_cannot_generate_shows_the_prompt_and_the_reason_and_sends_nothing():
    run, asked = interaction()
    app = Host(MediaScreen(run, asked))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        # Midjourney is the workflow's first tab; the screen opens on the first that can generate.
        assert list(app.media.tabs)[0] == "midjourney"
        assert app.media.query_one("#media-tabs", TabbedContent).active == "media-tab-leonardo"
        await show(pilot, "midjourney")
        form = app.media.form_for("midjourney")
        assert form.widget_for("prompt").text == "tabby cat asleep in a reading nook --ar 9:16"
        assert isinstance(form.widget_for("prompt"), TextArea)
        reason = form.query_one(".media-unavailable", Static)
        assert "Midjourney has no public API" in str(reason.content)
        assert form.query_one(".media-generate", Button).disabled
        assert not form.request_generate()
        await settle(pilot)
        assert "Nothing was sent" in str(form.query_one(".media-form-error", Static).content)
        assert run.calls == []


async def test_leonardo_options_are_the_clients_with_their_labels():
    run, asked = interaction()
    app = Host(MediaScreen(run, asked))
    async with app.run_test(size=(100, 30)) as pilot:
        await show(pilot, "leonardo")
        form = app.media.form_for("leonardo")
        model = form.widget_for("model_id")
        assert isinstance(model, Select) and model.value == "aa77f04e-3eec-4034-9c07-d0f619684628"
        assert "Leonardo Kino XL" in [str(label) for label, _ in model._options]
        assert form.widget_for("num_images").value == "2"
        assert form.request_generate()
        await settle(pilot)
        assert run.calls and run.calls[0][0] == "leonardo"
        assert run.calls[0][1]["num_images"] == "2"  # the form's text; the engine maps it for the client


def test_the_engine_refuses_the_tab_before_anything_is_sent():
    run, _ = interaction()
    with pytest.raises(AnswerError, match="Midjourney: Midjourney has no public API"):
        MediaGenerateV2().generation(run.inputs, SubAction(id="make", label="x"), "midjourney", {"prompt": "p"})


@pytest.mark.parametrize("tab", ["midjourney", "leonardo"])
def test_snapshot_v2_tabs(snap_compare, tab):
    run, asked = interaction()

    async def on_tab(pilot) -> None:
        await show(pilot, tab)

    assert snap_compare(Host(MediaScreen(run, asked)), terminal_size=(100, 32), run_before=on_tab)
