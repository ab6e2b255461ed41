"""The narration step's two screens in the real app: the review (the LLM's narration in an editable
box, its length against what fits, rewrite with feedback on ctrl+o) and the voice (the
narration's voices by name, the reviewed text, the price before Generate). The step is the CC
workflow's own, run alone over a state that holds what the earlier steps would have made; the LLM
answers one fixed narration, the voice clients are the real ones (nothing is sent here)."""

from __future__ import annotations

import json
import shutil

import pytest
from textual.widgets import TextArea

from app_harness import NOW, WORKFLOW, run_screen, settle, wait_for, waiting_at
from app_harness import TestApp as HarnessApp  # (a name starting with Test would be collected)
from cctui.providers.base import LLMResult, LLMUsage
from cctui.providers.registry import Providers
from cctui.settings import load_settings
from cctui.ui.screens.dialogs import FeedbackScreen, OptionsScreen
from cctui.ui.screens.media_screen import MediaScreen
from cctui.ui.screens.runs_screen import RunsScreen

NARRATION = ("I am not asleep. I am guarding the yellow duck. Nobody told me the window seat was this warm. "
             "This is my spot now.")
DRAFT = {"narration": NARRATION, "delivery": "Slow and sleepy, a content cat, a little smug", "word_count": 24}
EARLIER = {  # what steps 1-7 leave in the state that the narration prompt reads
    "duration_selection": {"video_duration": 15, "label": "15 seconds"},
    "pet_type_selection": {"label": "Cat"}, "aesthetic_selection": {"label": "Cozy Hygge"},
    "user_direction": "Miso and her yellow duck",
    "selected_scene": {"title": "Window Seat Guard", "hook": "She is not asleep", "narrative": "Miso keeps watch",
                       "pet_behavior": "dozing", "emotional_arc": "calm to smug"},
    "image_analysis": {"environment": {"setting": "a window seat", "key_subjects": ["cat", "duck"],
                                       "atmosphere": "cozy"}},
    "selected_motion_elements": [{"element": "rain", "motion_type": "trickle"}],
    "selected_text_overlay": {"lines": ["Guard duty", "Still on duty"]},
}


class ScriptedLLM:
    """Answers every request with the same narration; keeps what it was asked."""

    name = "openai"

    def __init__(self):
        self.requests = []

    async def complete(self, request):
        self.requests.append(request)
        return LLMResult(data=DRAFT, raw_text=json.dumps(DRAFT), model="scripted", usage=LLMUsage(100, 50))


class NarrationProviders(Providers):
    """The real clients for the voices; a scripted LLM."""

    def __init__(self, settings):
        super().__init__(settings)
        self.scripted = ScriptedLLM()

    def llm(self, name: str = "openai"):
        return self.scripted


def narration_only(tmp_path):
    """The CC workflow's narration step, alone, over the state the earlier steps leave."""
    root = tmp_path / "narration"
    shutil.copytree(WORKFLOW / "steps" / "8_narration", root / "steps" / "8_narration")
    cc = json.loads((WORKFLOW / "workflow_v3.json").read_text())
    (root / "workflow_v3.json").write_text(json.dumps({
        "workflow_id": "narration_only", "name": "Narration", "undefined_paths": "error",
        "config": cc["config"], "initial_state": EARLIER,
        "steps": [{"$ref": "steps/8_narration/step.json", "type": "json"}]}))
    return root


def narration_app(tmp_path):
    settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data",
                             image_protocol="halfcell", openai_api_key="sk-never-sent",
                             elevenlabs_api_key="el-never-sent")
    providers = NarrationProviders(settings)
    app = HarnessApp(settings, providers=providers, workflow_dir=narration_only(tmp_path), now=lambda: NOW)
    return app, providers


async def to_review(pilot, app) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.store_ready)
    await pilot.press("n")
    await wait_for(pilot, lambda: waiting_at(app, "review_narration"), timeout=20)


async def to_voice(pilot, app) -> None:
    await to_review(pilot, app)
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen)
                   and app.screen.interaction.module_name == "generate_narration", timeout=20)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("screen", ["review", "voice"])
def test_snapshot_narration(snap_compare, tmp_path, screen, size):
    app, _ = narration_app(tmp_path)
    reach = {"review": to_review, "voice": to_voice}[screen]

    async def ready(pilot):
        await reach(pilot, app)
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


async def test_the_review_says_what_fits_takes_an_edit_and_rewrites_with_feedback(tmp_path):
    app, providers = narration_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_review(pilot, app)
        screen = run_screen(app)
        prompt = str(screen.query_one(".pane-title").content)
        # 15 s, less a second at each end, at 2.3 words a second: 29 words fit; the draft has 24.
        assert "24 words; about 29 fit" in prompt
        assert "at most 29 words" in providers.scripted.requests[0].user[0].text
        box = screen.query_one("#text-input-area", TextArea)
        assert box.text == NARRATION and box.has_focus
        # ctrl+o from inside the box: the options, then the feedback goes to the LLM.
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, OptionsScreen))
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        await pilot.press(*"Be a nature documentary narrator", "ctrl+s")
        await wait_for(pilot, lambda: len(providers.scripted.requests) == 2 and waiting_at(app, "review_narration"),
                       timeout=20)
        assert "Be a nature documentary narrator" in json.dumps(providers.scripted.requests[1].history)
        # An edit is what the voice reads.
        box = run_screen(app).query_one("#text-input-area", TextArea)
        box.text = "I am not asleep. I am resting my eyes."
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen), timeout=20)
        media = app.screen
        text = media.form_for("elevenlabs").raw_values()["text"]
        assert text == "I am not asleep. I am resting my eyes."
        estimate = str(media.form_for("elevenlabs").query_one(".media-estimate").content)
        assert estimate.startswith("Estimated cost: $0.0")  # 38 characters at $0.10 per 1000
        assert media.generations == []  # nothing was spoken, nothing was paid
