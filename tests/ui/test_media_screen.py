"""The media screen of steps 3, 5 and 8: forms from the display schemas, generations as cards,
choosing one. Most tests drive a `Run`-like fake; two drive a real Run with in-process fake
providers. Snapshots at 80x24 and 120x40 use fixed data and PNGs drawn here."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image, ImageDraw
from textual.app import App
from textual.widgets import Button, Input, ProgressBar, Select, Static, TabbedContent, TextArea

import cctui.ui.widgets.generation_card as generation_card
from cctui.ui import terminal_images
from app_harness import wait_for
from cctui.engine.engine import Engine, load
from cctui.engine.errors import AnswerError
from cctui.engine.interaction import Interaction
from cctui.engine.run import Run
from cctui.engine.modules.media_generate import MediaGenerate
from cctui.engine.events import JobChanged, ModuleStarted
from cctui.records import JobStatus
from cctui.ui.messages import RunEvent
from cctui.ui.screens.dialogs import ConfirmScreen
from cctui.ui.screens.media_screen import MediaScreen
from cctui.ui.widgets.fitted_picture import FittedPicture, fit_cells
from cctui.ui.widgets.generation_card import GenerationCard
from cctui.ui.widgets.generation_item import GenerationItem
from cctui.ui.widgets.media_form import MediaForm
from cctui.ui.widgets.slider import Slider

WORKFLOW_DIR = Path(__file__).resolve().parents[2] / "workflows" / "cc"
WORKFLOW = load(WORKFLOW_DIR)

VIDEO_PROMPTS = {
    "leonardo": {
        "positive_prompt": "Gentle shimmer on sunlit curtains, dust motes drifting slowly in the warm light; "
                           "the corgi stays perfectly still",
        "negative_prompt": "morphing, deformation, extra limbs, camera movement, the dog moving",
        "motion_strength": "subtle",
        "motion_notes": "Keep the curtain sway slow and looping.",
    },
    "sora": {
        "prompt": "Static camera. Sunlight shimmers on the curtains while dust drifts; the corgi on the rug "
                  "does not move.",
        "style_notes": "Soft natural light, cozy afternoon, 35mm look.",
    },
    "comfyui": {
        "prompt": "A static shot of a sunlit room: the curtains sway slowly and dust drifts in the light; the "
                  "corgi on the rug stays still.",
        "negative_prompt": "morphing, deformation, camera movement, the dog moving",
    },
    "fal": {
        "prompt": "Static camera. The curtains sway gently in the sunlight; the corgi stays still.",
        "negative_prompt": "morphing, camera movement",
    },
}
IMAGE_PROMPTS = {
    "leonardo": {
        "positive_prompt": "A corgi asleep on a sunlit windowsill, dust motes in the light, cozy watercolor",
        "negative_prompt": "blurry, extra legs, text, watermark",
        "style_notes": "Warm pastel watercolor, soft edges.",
    },
    "openai": {
        "prompt": "Watercolor illustration of a corgi asleep on a sunlit windowsill, soft pastel palette.",
        "style_notes": "Storybook, gentle light.",
    },
    "midjourney": {"prompt": "corgi asleep on a windowsill --ar 9:16"},
    "stable_diffusion": {"positive_prompt": "corgi, windowsill", "negative_prompt": "blurry"},
}
MUSIC_PROMPT = {"label": "Lullaby", "prompt": "Soft music-box lullaby with warm strings", "negative_prompt": "drums",
                "duration_seconds": 20}


# ---------------------------------------------------------------------- fixtures and fakes


@pytest.fixture(autouse=True)
def halfcell_images(monkeypatch):
    """Pictures in half-cell blocks at a fixed cell size: no terminal queries, same output anywhere."""
    from textual_image._terminal import CellSize, get_cell_size

    monkeypatch.setattr(terminal_images, "chosen", "halfcell")
    monkeypatch.setattr(get_cell_size, "_result", CellSize(10, 20), raising=False)


def draw_png(path: Path, body=(230, 170, 90), size=(90, 160)) -> str:
    """A fixed little picture: a pet-ish shape on a blue wall."""
    img = Image.new("RGB", size, (40, 60, 90))
    d = ImageDraw.Draw(img)
    w, h = size
    d.rectangle([w // 6, h // 3, w * 5 // 6, h * 5 // 6], fill=body)
    d.ellipse([w // 3, h // 6, w * 2 // 3, h // 3 + 10], fill=(250, 230, 200))
    d.rectangle([0, h * 5 // 6, w, h], fill=(120, 80, 60))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return str(path)


def module_spec(step_id: str):
    step = WORKFLOW.steps[WORKFLOW.step_index(step_id)]
    return step, next(m for m in step.modules if m.module_id == "media.generate")


def make_interaction(step_id: str, prompts: dict, *, source: dict | None = None,
                     generations: list | None = None, interaction_id: int = 7, providers=None) -> Interaction:
    """The interaction the engine would pause with, its display made by the real module."""
    step, spec = module_spec(step_id)
    inputs = {"prompts": prompts, "schema": spec.inputs["schema"], "title": spec.inputs.get("title")}
    for key in ("optional", "skip_label"):
        if key in spec.inputs:
            inputs[key] = spec.inputs[key]
    if source is not None:
        inputs["source_image"] = source
    ctx = SimpleNamespace(spec=spec, where=f"{step_id}/{spec.name}", services=SimpleNamespace(providers=providers))
    coro = MediaGenerate().display(ctx, inputs)
    try:
        coro.send(None)
    except StopIteration as done:  # display() awaits nothing: run it without an event loop
        display = done.value
    else:  # pragma: no cover
        raise AssertionError("MediaGenerate.display awaited something")
    display["generations"] = list(generations or [])
    index = WORKFLOW.step_index(step.step_id)
    return Interaction(interaction_id=interaction_id, run_id="run-1", step_id=step.step_id, step_index=index,
                       step_title=WORKFLOW.step_title(index), module_name=spec.name, module_id=spec.module_id,
                       kind="media", display=display, resolved_inputs=inputs, retryable=spec.retryable,
                       sub_actions=list(spec.sub_actions))


def real_clients(tmp: Path):
    """The real provider clients (never called here): they price a request from the price list."""
    from types import SimpleNamespace

    from cctui.providers.registry import Providers
    from cctui.settings import load_settings

    settings = load_settings(env={}, config_file=tmp / "none.toml", data_dir=tmp / "data",
                             openai_api_key="sk-test-estimate", leonardo_api_key="leo-test-estimate",
                             fal_api_key="fal-test-estimate")
    return SimpleNamespace(providers=Providers(settings))


class FakeRun:
    """What the screen uses of `Run`: `run_id`, `generations()`, `sub_action()` and the provider
    clients in `services` (for price estimates)."""

    run_id = "run-1"

    def __init__(self, generations: list[dict] | None = None, *, error: str | None = None):
        self.services = real_clients(Path(tempfile.gettempdir()) / "cctui-estimate-tests")
        self.gens = list(generations or [])
        self.decisions: list[tuple[int, str, str]] = []
        self.calls: list[tuple[int, str, str, dict]] = []
        self.reads = 0
        self.error = error
        self.on_sub_action = None

    # The real Run's, over the real clients above.
    media_client = Run.media_client
    can_look_for = Run.can_look_for

    async def decide_job(self, interaction_id: int, job_id: str, decision: str) -> None:
        self.decisions.append((interaction_id, job_id, decision))

    async def resubmit_price(self, job_id: str) -> str:
        return "about $0.40"

    async def generations(self) -> list[dict[str, Any]]:
        self.reads += 1
        return [dict(g) for g in self.gens]

    async def sub_action(self, interaction_id: int, sub_action_id: str, tab: str,
                         values: dict[str, Any] | None = None) -> str:
        self.calls.append((interaction_id, sub_action_id, tab, dict(values or {})))
        if self.error:
            raise AnswerError(self.error)
        job_id = f"j_{len(self.calls)}"
        self.gens.append(generation(job_id, tab, status="submitting", progress=0, params=values or {}))
        return job_id


def generation(job_id: str, tab: str, *, status: str = "running", progress: float = 40.0, items=(),
               params: dict | None = None, cost: dict | None = None, error: str | None = None,
               action: str = "img2vid", accepted: bool = False, retry_reason: str | None = None,
               retry_at: float | None = None) -> dict[str, Any]:
    provider = {"sora": "openai"}.get(tab, tab)
    return {"job_id": job_id, "interaction_id": 7, "provider": provider, "action": action, "tab": tab,
            "params": params or {}, "status": status, "progress": progress, "error": error,
            "error_kind": None, "cost": cost, "created_at": 1.0, "items": list(items), "accepted": accepted,
            "retry_reason": retry_reason, "retry_at": retry_at}


def video_item(content_id: str, media: Path, poster: str | None, tab: str = "leonardo") -> dict[str, Any]:
    return {"content_id": content_id, "kind": "video", "provider": tab, "local_path": str(media / f"{content_id}.mp4"),
            "url": None, "prompt_key": tab, "metadata": {"poster_path": poster} if poster else {}}


def image_item(content_id: str, path: str, tab: str = "leonardo") -> dict[str, Any]:
    return {"content_id": content_id, "kind": "image", "provider": tab, "local_path": path, "url": None,
            "prompt_key": tab, "metadata": {}}


def video_setup(tmp_path: Path, gens: list[dict] | None = None):
    source = {"content_id": "c_src", "kind": "image", "local_path": draw_png(tmp_path / "media" / "source.png")}
    run = FakeRun(gens)
    # The real clients: the tabs whose provider is not configured (ComfyUI here) say how to configure it.
    interaction = make_interaction("video_generation", VIDEO_PROMPTS, source=source, generations=gens,
                                   providers=run.services.providers)
    return run, interaction


def running_and_finished(tmp_path: Path) -> list[dict[str, Any]]:
    poster = draw_png(tmp_path / "media" / "leonardo_1_poster.png", body=(120, 200, 140))
    (tmp_path / "media" / "leonardo_1.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    done = generation("j_1", "leonardo", status="completed", progress=100,
                      params={"prompt": VIDEO_PROMPTS["leonardo"]["positive_prompt"], "negative_prompt": "x",
                              "model": "MOTION2", "motion_strength": 5},
                      cost={"amount": 25, "unit": "credits"},
                      items=[video_item("leonardo_1", tmp_path / "media", poster)])
    running = generation("j_2", "sora", status="running", progress=40.0,
                         params={"prompt": VIDEO_PROMPTS["sora"]["prompt"], "duration": "8", "aspect_ratio": "9:16",
                                 "quality": "720p"},
                         cost={"amount": 0.8, "unit": "usd"})
    return [done, running]


class Host(App):
    """Stands in for the run screen: pushes the media screen, records what it is dismissed with."""

    def __init__(self, screen: MediaScreen):
        super().__init__()
        self.media = screen
        self.answers: list[dict | None] = []

    def on_mount(self) -> None:
        self.animation_level = "none"
        self.push_screen(self.media, callback=self.answers.append)


async def settle(pilot, times: int = 3) -> None:
    for _ in range(times):
        await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    # What a worker read is shown from the screen's queue after it ends; a card rebuilt for a
    # new status needs one more refresh.
    for _ in range(times):
        await pilot.pause()


def form(screen: MediaScreen, tab: str) -> MediaForm:
    return screen.form_for(tab)


async def show_tab(pilot, screen: MediaScreen, tab: str) -> None:
    screen.query_one("#media-tabs", TabbedContent).active = f"media-tab-{tab}"
    await pilot.pause()


# ---------------------------------------------------------------------- forms


async def test_video_form_is_prefilled_from_the_prompt_data(tmp_path):
    run, interaction = video_setup(tmp_path)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.media
        assert app.screen is screen
        tabs = screen.query_one("#media-tabs", TabbedContent)
        assert [str(t.label) for t in tabs.query("ContentTab")] == ["Leonardo", "Sora 2", "ComfyUI", "fal"]
        leo = form(screen, "leonardo")
        assert leo.widget_for("prompt").text == VIDEO_PROMPTS["leonardo"]["positive_prompt"]
        assert leo.widget_for("negative_prompt").text == VIDEO_PROMPTS["leonardo"]["negative_prompt"]
        assert isinstance(leo.widget_for("prompt"), TextArea)
        assert leo.widget_for("prompt").styles.height.value == 4 + 2  # rows + border
        slider = leo.widget_for("motion_strength")
        assert isinstance(slider, Slider) and slider.value == 5 and (slider.minimum, slider.maximum) == (1, 10)
        assert leo.widget_for("model").value == "MOTION2"
        assert str(leo.query_one(".media-generate", Button).label) == "Generate Videos"
        # Read-only prompt fields: labelled, the highlighted one in its colour.
        notes = {str(s.id): s.content for s in leo.query(".media-note")}
        assert set(notes) == {"note-leonardo-motion_strength", "note-leonardo-motion_notes"}
        motion = notes["note-leonardo-motion_notes"]
        assert motion.plain == "Notes: Keep the curtain sway slow and looping."
        assert any("#7B68EE".lower() in str(span.style).lower() for span in motion.spans)
        sora = form(screen, "sora")
        assert sora.widget_for("prompt").text == VIDEO_PROMPTS["sora"]["prompt"]
        assert "Style: Soft natural light" in str(sora.query_one(".media-note", Static).content)
        # The source image is shown with its caption.
        source = screen.query_one("#media-source", FittedPicture)
        assert source.path == Path(interaction.display["source_image"]["local_path"])
        assert "Source image" in [str(s.content) for s in source.query(Static)]


async def test_sora_duration_offers_4_8_12_with_labels_and_prices_them(tmp_path):
    run, interaction = video_setup(tmp_path)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.media
        await show_tab(pilot, screen, "sora")
        sora = form(screen, "sora")
        duration = sora.widget_for("duration")
        assert isinstance(duration, Select)
        assert [(str(label), value) for label, value in duration._options] == [
            ("4 seconds", "4"), ("8 seconds", "8"), ("12 seconds", "12")]
        assert duration.value == "8"
        estimate = sora.query_one(".media-estimate", Static)
        assert str(estimate.content) == "Estimated cost: $0.80 (8 s × $0.10/s, sora-2)"
        # Pick "12 seconds" with the keyboard, then 1080p (sora-2-pro's price).
        duration.focus()
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        assert duration.value == "12"
        sora.widget_for("quality").value = "1080p"
        await pilot.pause()
        assert str(estimate.content) == "Estimated cost: $3.60 (12 s × $0.30/s, sora-2-pro)"
        leo_estimate = form(screen, "leonardo").query_one(".media-estimate", Static)
        assert str(leo_estimate.content) == "Estimated cost: Leonardo credits shown after submit"


async def test_form_error_is_shown_inline_and_nothing_is_sent(tmp_path):
    run, interaction = video_setup(tmp_path)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        leo = form(app.media, "leonardo")
        leo.widget_for("prompt").text = "   "
        leo.query_one(".media-generate", Button).press()
        await settle(pilot)
        error = leo.query_one(".media-form-error", Static)
        assert error.has_class("-shown") and error.display
        assert str(error.content) == "Prompt: the prompt is empty"
        assert run.calls == []
        # Fixing it clears the message.
        leo.widget_for("prompt").text = "A corgi, perfectly still"
        assert leo.request_generate()
        await settle(pilot)
        assert not error.has_class("-shown")
        assert len(run.calls) == 1


async def test_number_inputs_are_checked_by_form_values(tmp_path):
    interaction = make_interaction("image_prompts", IMAGE_PROMPTS)
    run = FakeRun()
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        leo = form(app.media, "leonardo")
        width = leo.widget_for("width")
        assert isinstance(width, Input) and width.type == "integer" and width.value == "576"
        width.value = "580"  # not a multiple of 8 from 512
        assert not leo.request_generate()
        assert str(leo.query_one(".media-form-error", Static).content) == \
            "Width: 580 must be a multiple of 8 from 512"
        width.value = ""
        assert not leo.request_generate()
        assert run.calls == []
        width.value = "768"
        assert leo.request_generate()
        await settle(pilot)
        assert run.calls[0][3]["width"] == 768 and run.calls[0][3]["num_images"] == 2


async def test_generate_sends_values_by_destination_with_the_tab_key(tmp_path):
    run, interaction = video_setup(tmp_path)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.media
        await show_tab(pilot, screen, "sora")
        sora = form(screen, "sora")
        sora.widget_for("duration").value = "4"
        screen.query_one("#media-tabs").focus()
        await pilot.press("g")  # generate on the tab on show
        await settle(pilot)
        assert run.calls == [(7, "generate", "sora", {
            "prompt": VIDEO_PROMPTS["sora"]["prompt"], "duration": "4", "aspect_ratio": "9:16", "quality": "720p"})]
        await show_tab(pilot, screen, "leonardo")
        leo = form(screen, "leonardo")
        leo.widget_for("motion_strength").focus()
        await pilot.press("right", "right")
        await pilot.click(leo.query_one(".media-generate", Button))
        await settle(pilot)
        iid, sub, tab, values = run.calls[1]
        assert (iid, sub, tab) == (7, "generate", "leonardo")
        assert values == {"prompt": VIDEO_PROMPTS["leonardo"]["positive_prompt"],
                          "negative_prompt": VIDEO_PROMPTS["leonardo"]["negative_prompt"],
                          "model": "MOTION2", "motion_strength": 7}
        assert "_text" not in values and "source_image" not in values
        # Both new generations show as cards, newest last.
        assert [c.job_id for c in screen.query(GenerationCard)] == ["j_1", "j_2"]


async def test_answer_error_from_the_engine_is_shown_not_raised(tmp_path):
    run, interaction = video_setup(tmp_path)
    run.error = "Sora 2: 1:1 is not available"
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sora = form(app.media, "sora")
        assert sora.request_generate()
        await settle(pilot)
        assert len(run.calls) == 1
        assert str(sora.query_one(".media-form-error", Static).content) == "Sora 2: 1:1 is not available"
        assert any(n.message == "Sora 2: 1:1 is not available" for n in app._notifications)
        button = sora.query_one(".media-generate", Button)
        assert not button.disabled and str(button.label) == "Generate Videos"
        assert not app.media.query(GenerationCard)


async def test_grid_uses_small_columns_on_narrow_screens(tmp_path):
    run, interaction = video_setup(tmp_path)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        leo = form(app.media, "leonardo")
        grid = leo.query_one(".media-fields")
        assert grid.styles.grid_size_columns == 3
        assert leo.query_one("#field-leonardo-_text").styles.column_span == 3
        assert leo.query_one("#field-leonardo-model").styles.column_span == 1
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert grid.styles.grid_size_columns == 2
        assert leo.query_one("#field-leonardo-_text").styles.column_span == 2
        assert app.media.has_class("-narrow")
        await show_tab(pilot, app.media, "sora")  # resized while hidden
        sora = form(app.media, "sora")
        assert sora.query_one(".media-fields").styles.grid_size_columns == 2
        assert sora.query_one("#field-sora-_text").styles.column_span == 2
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert grid.styles.grid_size_columns == 3 and not app.media.has_class("-narrow")


# ---------------------------------------------------------------------- generations


async def test_card_shows_progress_then_the_poster_when_done(tmp_path):
    gens = [generation("j_1", "sora", status="submitted", progress=0,
                       params={"prompt": "A corgi", "duration": "8"}, cost={"amount": 0.8, "unit": "usd"})]
    gens[0]["created_at"] = time.time() - 42
    run, interaction = video_setup(tmp_path, gens)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        card = app.media.query_one(GenerationCard)
        assert card.border_title == "Sora 2 · video"
        # No figure from the provider yet: a moving bar and the time so far, not "0 %".
        assert card.query_one(ProgressBar).total is None
        status = str(card.query_one(".card-status", Static).content)
        assert status.startswith("Sent: queued at the provider · 0:4") and status.endswith(" so far")
        # The app relays job events; progress updates in place.
        run.gens[0] = {**run.gens[0], "status": "running", "progress": 55.0}
        app.media.post_message(RunEvent(JobChanged("run-1", "j_1", JobStatus.RUNNING, 55.0, 7)))
        await settle(pilot)
        assert app.media.query_one(GenerationCard) is card
        assert card.query_one(ProgressBar).progress == 55
        # Only a job of this run's interaction makes it read the generations again.
        run.gens[0] = {**run.gens[0], "progress": 70.0}
        reads = run.reads
        app.media.post_message(RunEvent(ModuleStarted("run-1", "video_generation", "m", "api.llm")))
        app.media.post_message(RunEvent(JobChanged("another-run", "j_9", JobStatus.RUNNING, 1.0, 7)))
        app.media.post_message(RunEvent(JobChanged("run-1", "j_8", JobStatus.RUNNING, 1.0, 6)))
        await settle(pilot)
        assert run.reads == reads
        app.media.post_message(RunEvent(JobChanged("run-1", "j_1", JobStatus.RUNNING, 70.0, 7)))
        await settle(pilot)
        assert card.query_one(ProgressBar).progress == 70
        poster = draw_png(tmp_path / "media" / "sora_1_poster.png")
        run.gens[0] = {**run.gens[0], "status": "completed", "progress": 100,
                       "items": [video_item("sora_1", tmp_path / "media", poster, "sora")]}
        app.media.refresh_generations()
        await settle(pilot)
        assert not card.query(ProgressBar)
        item = card.query_one(GenerationItem)
        shown = item.query_one(FittedPicture)
        assert shown.path == Path(poster)
        assert "▶ sora_1.mp4" in [str(s.content) for s in shown.query(Static)]
        image = shown.query_one(".picture-image")
        assert image.size.height > 0 and image.size.width > 0
        assert str(card.query_one(".card-cost", Static).content) == "Cost: $0.80"


async def test_unfinished_generations_are_read_on_events_not_polled(tmp_path):
    gens = [generation("j_1", "sora", status="running", progress=10)]
    run, interaction = video_setup(tmp_path, gens)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        reads = run.reads
        await pilot.pause(1.5)
        assert run.reads == reads  # a running job alone makes no reads: the engine says when it moves
        run.gens[0] = {**run.gens[0], "status": "failed", "error": "the provider failed this job"}
        app.media.post_message(RunEvent(JobChanged("run-1", "j_1", JobStatus.FAILED, None, 7)))
        await settle(pilot)
        assert run.reads == reads + 1
        card = app.media.query_one(GenerationCard)
        assert str(card.query_one(".card-error", Static).content) == "the provider failed this job"


async def test_no_look_for_it_where_the_provider_keeps_no_list_of_jobs(tmp_path):
    """OpenAI's images answer at once and keep no list: a lost answer cannot be looked up, so the
    card offers only the two real ways on."""
    gens = [generation("j_2", "openai", status="unknown", action="txt2img", error="the connection dropped")]
    run, interaction = video_setup(tmp_path, gens)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        card = app.media.query_one(GenerationCard)
        assert [str(b.label) for b in card.query(Button)] == ["Resubmit…", "Dismiss"]
        assert all(b.region.width > 0 and b.region.right <= card.region.right for b in card.query(Button))


async def test_unknown_generation_says_the_creator_decides(tmp_path):
    gens = [generation("j_1", "sora", status="unknown", error="the connection dropped after submit")]
    run, interaction = video_setup(tmp_path, gens)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        card = app.media.query_one(GenerationCard)
        texts = [str(s.content) for s in card.query(".card-error")]
        assert texts[0] == "the connection dropped after submit"
        assert "paid twice" in texts[1] and "You decide" in texts[1]
        assert card.has_class("-unknown") and not card.query(ProgressBar)
        assert [str(b.label) for b in card.query(Button)] == ["Look for it", "Resubmit…", "Dismiss"]
        iid = interaction.interaction_id
        # Looking for it is free: no question.
        await pilot.click(".card-fetch")
        await wait_for(pilot, lambda: run.decisions == [(iid, "j_1", "fetch")])
        run.decisions.clear()
        # Resubmit asks first, naming the price; "n" keeps things as they are.
        await pilot.click(".card-resubmit")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "about $0.40" in str(app.screen.query_one(Button).label) + " ".join(
            str(s.content) for s in app.screen.query(Static))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is app.media)
        assert run.decisions == []
        await pilot.click(".card-resubmit")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: run.decisions == [(iid, "j_1", "resubmit")])
        # Dismissing sends nothing, so it needs no confirmation. (It sits on the buttons' second
        # row, below the fold at this size: scrolled to, as a user would.)
        app.media.query_one(".card-dismiss").scroll_visible(animate=False)
        await settle(pilot)
        await pilot.click(".card-dismiss")
        await wait_for(pilot, lambda: run.decisions[-1] == (iid, "j_1", "dismiss"))


async def test_a_paid_result_not_downloaded_offers_fetch_again_never_resubmit(tmp_path):
    gens = [generation("j_1", "leonardo", status="not_downloaded", accepted=True,
                       error="No space left on device. The job is finished at leonardo and paid for: fetch it again"),
            generation("j_2", "sora", status="running", accepted=True, retry_reason="429 Too Many Requests",
                       retry_at=time.time() + 30)]
    run, interaction = video_setup(tmp_path, gens)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        done, waiting = list(app.media.query(GenerationCard))
        assert [str(b.label) for b in done.query(Button)] == ["Fetch again", "Dismiss"]
        assert "not downloaded" in str(done.query_one(".card-status", Static).content)
        assert "costs nothing" in " ".join(str(s.content) for s in done.query(".card-note"))
        status = str(waiting.query_one(".card-status", Static).content)
        assert "retrying: 429 Too Many Requests, next try in" in status and " s" in status
        await pilot.click(".card-fetch")
        await wait_for(pilot, lambda: run.decisions == [(interaction.interaction_id, "j_1", "fetch")])


async def test_two_generations_on_different_tabs_both_show_and_one_is_chosen(tmp_path):
    run, interaction = video_setup(tmp_path, running_and_finished(tmp_path))
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.media
        cards = list(screen.query(GenerationCard))
        assert [(c.tab_label, c.status) for c in cards] == [("Leonardo", "completed"), ("Sora 2", "running")]
        use = screen.query_one("#media-use", Button)
        # The finished one is selected as it shows, like a list's cursor: nothing is answered yet.
        assert screen.selected_id == "leonardo_1" and not use.disabled and app.answers == []
        assert not screen.query("#media-skip")  # step 5 is not optional
        screen.select(None)
        await pilot.pause()
        assert use.disabled
        await pilot.press("enter")  # nothing selected: nothing answered
        await pilot.pause()
        assert app.answers == []
        item = cards[0].query_one(GenerationItem)
        await pilot.click(item)
        await pilot.pause()
        assert screen.selected_id == "leonardo_1" and item.has_class("-selected") and not use.disabled
        assert "leonardo_1.mp4" in str(screen.query_one("#media-selection", Static).content)
        use.press()  # enter does the same (the real run below uses it)
        await pilot.pause()
        assert app.answers == [{"selected_content_id": "leonardo_1"}]
        assert app.screen is not screen  # dismissed with the answer


async def test_a_card_with_several_images_shows_each_and_tab_selects(tmp_path):
    paths = [draw_png(tmp_path / "media" / f"leo_{i}.png", body=(200, 120 + 40 * i, 90)) for i in range(2)]
    gens = [generation("j_1", "leonardo", status="completed", progress=100, action="txt2img",
                       params={"prompt": "corgi", "num_images": 2},
                       items=[image_item(f"img_{i}", p) for i, p in enumerate(paths)])]
    interaction = make_interaction("image_prompts", IMAGE_PROMPTS, generations=gens)
    app = Host(MediaScreen(FakeRun(gens), interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        items = list(app.media.query(GenerationItem))
        assert [i.content_id for i in items] == ["img_0", "img_1"]
        assert [i.query_one(FittedPicture).path for i in items] == [Path(p) for p in paths]
        items[0].focus()
        await pilot.press("tab")
        await pilot.pause()
        assert app.media.selected_id == "img_1"
        assert [i.has_class("-selected") for i in items] == [False, True]


async def test_optional_step_can_be_skipped(tmp_path):
    track = {"content_id": "track_1", "kind": "audio", "provider": "elevenlabs", "url": None,
             "local_path": str(tmp_path / "media" / "track_1.mp3"), "prompt_key": "elevenlabs", "metadata": {}}
    gens = [generation("j_1", "elevenlabs", status="completed", progress=100, action="txt2music", items=[track],
                       params={"prompt": MUSIC_PROMPT["prompt"], "duration": 20, "force_instrumental": True})]
    interaction = make_interaction("music", {"elevenlabs": MUSIC_PROMPT}, generations=gens)
    app = Host(MediaScreen(FakeRun(gens), interaction))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        card = app.media.query_one(GenerationCard)
        assert card.border_title == "ElevenLabs · music"
        item = card.query_one(GenerationItem)
        assert not item.query(FittedPicture)
        assert str(item.query_one(".item-name", Static).content) == "♪ track_1.mp3"
        music = form(app.media, "elevenlabs")
        assert music.widget_for("duration").value == "20"
        assert music.widget_for("force_instrumental").value is True
        skip = app.media.query_one("#media-skip", Button)
        assert str(skip.label) == "Continue without music (s)"
        await pilot.click(skip)
        await pilot.pause()
        assert app.answers == [{"skip": True}]


async def test_open_shows_the_path_when_there_is_no_display(tmp_path, monkeypatch):
    run, interaction = video_setup(tmp_path, running_and_finished(tmp_path))
    opened: list[str] = []
    monkeypatch.setattr(generation_card, "open_file", opened.append)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        item = app.media.query_one(GenerationItem)
        item.focus()
        monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
        await pilot.press("v")
        await pilot.pause()
        assert opened == []
        assert any(n.message == item.path and not n.markup for n in app._notifications)
        monkeypatch.delenv("SSH_CONNECTION")
        monkeypatch.setenv("DISPLAY", ":0")
        monkeypatch.setattr("sys.platform", "linux")
        await pilot.press("v")
        await settle(pilot)
        assert opened == [item.path]


def test_files_open_only_where_there_is_a_screen():
    from cctui.ui.widgets.file_opener import can_open_files, opener_command

    assert can_open_files({"DISPLAY": ":0"}, "linux")
    assert can_open_files({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not can_open_files({}, "linux")
    assert not can_open_files({"DISPLAY": ":0", "SSH_CONNECTION": "a b c d"}, "linux")
    assert can_open_files({}, "darwin") and not can_open_files({"SSH_CONNECTION": "a b c d"}, "darwin")
    assert opener_command("/x/a.mp4", "darwin") == ["open", "/x/a.mp4"]
    assert opener_command("/x/a.mp4", "linux") == ["xdg-open", "/x/a.mp4"]


def test_price_estimates_are_labelled_and_only_where_known(tmp_path):
    from cctui.engine.price_estimate import estimate_price

    providers = real_clients(tmp_path).providers
    sora, images = providers.media("openai", "img2vid"), providers.media("openai", "txt2img")
    assert estimate_price("openai", "img2vid", {"duration": "4", "quality": "720p"}, sora) == \
        "Estimated cost: $0.40 (4 s × $0.10/s, sora-2)"
    assert estimate_price("openai", "img2vid", {"duration": "8", "quality": "1080p"}, sora).startswith(
        "Estimated cost: $2.40")
    assert estimate_price("openai", "img2vid", {"duration": ""}, sora) is None
    assert estimate_price("openai", "img2vid", {"duration": "4"}) is None  # no client, no guess
    assert estimate_price("openai", "txt2img", {"quality": "high", "size": "1024x1536", "num_images": 2},
                          images) == "Estimated cost: $0.50 (2 images × $0.250, gpt-image-1)"
    assert estimate_price("openai", "txt2img", {"quality": "ultra"}, images) is None
    assert "credits shown after submit" in estimate_price("leonardo", "img2vid", {})


def test_a_users_price_file_changes_the_estimate(tmp_path, monkeypatch):
    from cctui.engine.price_estimate import estimate_price

    (tmp_path / "prices.json").write_text('{"video": {"openai/sora-2": {"per_second": 0.5}}}')
    monkeypatch.setenv("CCTUI_PRICES_FILE", str(tmp_path / "prices.json"))
    sora = real_clients(tmp_path).providers.media("openai", "img2vid")
    assert estimate_price("openai", "img2vid", {"duration": "4"}, sora) == \
        "Estimated cost: $2.00 (4 s × $0.50/s, sora-2)"


def test_fit_cells_keeps_the_aspect():
    assert fit_cells((90, 160), (10, 20), 30, 16) == (18, 16)
    assert fit_cells((160, 90), (10, 20), 30, 16) == (30, 8)
    assert fit_cells((0, 0), (10, 20), 30, 16) == (0, 0)


# ---------------------------------------------------------------------- a real run


async def open_engine(tmp_path: Path, providers) -> Engine:
    engine = await Engine.open(tmp_path / "db.sqlite", providers, tmp_path / "runs")
    engine.services.jobs.min_poll = 0.01
    return engine


async def run_to_media_step(engine: Engine, step_id: str):
    run = await engine.new_run(WORKFLOW_DIR)
    await run.advance()
    while True:
        inter = await run.pending()
        if inter.kind == "media" and inter.step_id == step_id:
            return run, inter
        if inter.kind == "text_input":
            await run.answer(inter.interaction_id, {"text": "Biscuit and his red ball"})
        elif inter.kind == "media":
            job = await run.sub_action(inter.interaction_id, "generate", "openai", {})
            await engine.services.jobs.wait([job], timeout=10)
            await run.answer(inter.interaction_id, {"select": 0})
        else:
            await run.answer(inter.interaction_id, {"selected_indices": [0]})


async def test_real_run_generate_two_tabs_then_choose(tmp_path):
    from fakes import FakeProviders

    providers = FakeProviders()
    engine = await open_engine(tmp_path, providers)
    try:
        run, inter = await run_to_media_step(engine, "video_generation")
        app = Host(MediaScreen(run, inter))
        async with app.run_test(size=(120, 40)) as pilot:
            engine.subscribe(lambda event: app.media.post_message(RunEvent(event)))
            await settle(pilot)
            screen = app.media
            assert isinstance(screen.query_one("#media-source", FittedPicture), FittedPicture)
            prompts = run.state["video_prompts"]["prompts"]
            assert form(screen, "leonardo").widget_for("prompt").text == prompts["leonardo"]["positive_prompt"]
            assert form(screen, "leonardo").request_generate()
            await settle(pilot)
            await show_tab(pilot, screen, "sora")
            assert form(screen, "sora").request_generate()
            await settle(pilot)
            await engine.services.jobs.wait(timeout=10)
            await pilot.pause(0.1)
            await settle(pilot)
            cards = list(screen.query(GenerationCard))
            assert [(c.tab_label, c.status) for c in cards] == [("Leonardo", "completed"), ("Sora 2", "completed")]
            sent = providers.media_providers["leonardo"].submits[-1]
            assert sent.params["prompt"] == prompts["leonardo"]["positive_prompt"]
            assert sent.params["motion_strength"] == 5
            assert sent.source_image.content_id == inter.display["source_image"]["content_id"]
            items = list(screen.query(GenerationItem))
            assert len(items) == 2 and all(i.query(FittedPicture) for i in items)
            await pilot.click(items[1])
            await pilot.press("enter")
            await pilot.pause()
            payload, iid = app.answers[-1], inter.interaction_id
        # The app's part: the answer the screen built is one the engine takes.
        await run.answer(iid, payload)
        assert run.state["selected_video_id"] == payload["selected_content_id"]
        assert run.state["selected_video_data"]["prompt_key"] == "sora"
    finally:
        await engine.close()


# ---------------------------------------------------------------------- snapshots


def image_screen(tmp_path: Path) -> Host:
    return Host(MediaScreen(FakeRun(), make_interaction("image_prompts", IMAGE_PROMPTS)))


def video_screen(tmp_path: Path) -> Host:
    gens = running_and_finished(tmp_path)
    run, interaction = video_setup(tmp_path, gens)
    return Host(MediaScreen(run, interaction))


async def scroll_to_preview(pilot) -> None:
    await settle(pilot)
    pilot.app.media.query_one("#media-preview").scroll_visible(animate=False, top=True)
    await settle(pilot)


async def ready(pilot) -> None:
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_image_generation_tabs(snap_compare, tmp_path, size):
    assert snap_compare(image_screen(tmp_path), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_video_generation_tabs(snap_compare, tmp_path, size):
    assert snap_compare(video_screen(tmp_path), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_video_generation_preview(snap_compare, tmp_path, size):
    assert snap_compare(video_screen(tmp_path), terminal_size=size, run_before=scroll_to_preview)


async def sora_tab_with_a_choice(pilot) -> None:
    await settle(pilot)
    screen = pilot.app.media
    await show_tab(pilot, screen, "sora")
    screen.select("leonardo_1")
    screen.query_one("#media-tabs Tabs").focus()
    await settle(pilot)


def test_snapshot_video_sora_tab_with_a_choice(snap_compare, tmp_path):
    assert snap_compare(video_screen(tmp_path), terminal_size=(120, 40), run_before=sora_tab_with_a_choice)


async def comfyui_tab(pilot) -> None:
    await settle(pilot)
    await show_tab(pilot, pilot.app.media, "comfyui")


async def fal_tab(pilot) -> None:
    await settle(pilot)
    await show_tab(pilot, pilot.app.media, "fal")


def test_snapshot_video_comfyui_tab_not_configured(snap_compare, tmp_path):
    assert snap_compare(video_screen(tmp_path), terminal_size=(80, 24), run_before=comfyui_tab)


def test_snapshot_video_fal_tab_with_its_price(snap_compare, tmp_path):
    assert snap_compare(video_screen(tmp_path), terminal_size=(120, 40), run_before=fal_tab)


async def test_a_tab_whose_provider_is_not_configured_says_how_and_sends_nothing(tmp_path):
    run, interaction = video_setup(tmp_path)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.media
        await show_tab(pilot, screen, "comfyui")
        comfy = form(screen, "comfyui")
        note = str(comfy.query_one(".media-unavailable", Static).content)
        assert "COMFYUI_URLS" in note and "http://127.0.0.1:8188" in note
        assert comfy.query_one(".media-generate", Button).disabled
        await pilot.press("g")
        await settle(pilot)
        assert run.calls == []  # nothing was started
        fal = form(screen, "fal")
        assert not fal.query(".media-unavailable") and not fal.query_one(".media-generate", Button).disabled
        # The fal tab prices the chosen model: Kling 2.5 Turbo Pro, 5 s at $0.07/s.
        assert "$0.35" in str(fal.query_one(".media-estimate", Static).content)


@pytest.mark.parametrize("focused", ["#media-tabs", ".media-generate"])
async def test_a_new_generation_scrolls_into_view_at_80x24(tmp_path, focused):
    run, interaction = video_setup(tmp_path)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.media
        screen.query(focused).first().focus()
        await settle(pilot)
        screen.query_one("#media-body").scroll_home(animate=False)
        await settle(pilot)
        body = screen.query_one("#media-body")
        assert body.scroll_offset.y == 0
        await pilot.press("g")
        await settle(pilot)
        (card,) = screen.query(GenerationCard)
        # Its top line is on the screen, below the header: the creator sees it was sent.
        assert body.scroll_offset.y > 0
        assert 1 <= card.region.y < 24 - 2 and card.region.height > 0


CLOCK = 1_000_000.0


async def generate_then_accepted(pilot) -> None:
    """`g` on the video screen; the provider accepts the job and gives no percentage for 7 s."""
    pilot.app.now = lambda: CLOCK
    await settle(pilot)
    screen = pilot.app.media
    screen.query_one("#media-body").scroll_home(animate=False)
    await pilot.press("g")
    await settle(pilot)
    run = screen.run
    run.gens[-1] = {**run.gens[-1], "status": "submitted", "progress": 0, "accepted": True,
                    "created_at": CLOCK - 7, "cost": {"amount": 25, "unit": "credits"}}
    screen.post_message(RunEvent(JobChanged("run-1", run.gens[-1]["job_id"], JobStatus.SUBMITTED, 0, 7)))
    await settle(pilot)


def test_snapshot_a_card_just_sent_is_in_view_and_alive(snap_compare, tmp_path):
    """80x24: after `g` the new card is scrolled into view; with no percentage from the provider it
    says it was sent, how long so far, and its bar moves (drawn whole with animations off)."""
    run, interaction = video_setup(tmp_path)
    assert snap_compare(Host(MediaScreen(run, interaction)), terminal_size=(80, 24),
                        run_before=generate_then_accepted)


async def test_enter_after_a_generation_on_the_generate_button_uses_it_and_sends_nothing_more(tmp_path):
    """The Generate button keeps the focus after a click or enter on it; when the result arrives the
    focus moves to Use, so the next enter answers instead of paying for a second generation."""
    run, interaction = video_setup(tmp_path)
    app = Host(MediaScreen(run, interaction))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.media
        screen.query_one(".media-generate").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert len(run.calls) == 1
        poster = draw_png(tmp_path / "media" / "j_1_poster.png")
        run.gens[0] = {**run.gens[0], "status": "completed", "progress": 100,
                       "items": [video_item("c_1", tmp_path / "media", poster)]}
        screen.post_message(RunEvent(JobChanged("run-1", "j_1", JobStatus.COMPLETED, 100, 7)))
        await settle(pilot)
        assert screen.selected_id == "c_1" and screen.focused is screen.query_one("#media-use")
        await pilot.press("enter")
        await settle(pilot)
        assert len(run.calls) == 1 and app.answers == [{"selected_content_id": "c_1"}]
