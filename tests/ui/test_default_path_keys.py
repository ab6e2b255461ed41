"""The creator's default path, counted: launch to the rendered MP4 with no note, one motion
element, one provider per media step (the narration's voice too) and every default kept, in at
most 25 key presses at 80x24. Real app, real clients over HTTP against the provider stand-in;
every key goes through `press`, which counts it, and each wait is for what the creator would
wait for before the next key."""

from __future__ import annotations

from pathlib import Path

from app_harness import NOW, TestApp, run_screen, wait_for, waiting_at
from cctui.engine.catalogue import Catalogue
from cctui.providers.registry import Providers
from cctui.ui.screens.dialogs import WorkflowPickerScreen
from cctui.ui.screens.media_screen import MediaScreen
from cctui.ui.screens.runs_screen import RunsScreen
from test_quick_clip_app import standin_settings

KEY_BUDGET = 25


def media_finished(app, module: str) -> bool:
    screen = app.screen
    return (isinstance(screen, MediaScreen) and screen.interaction.module_name == module
            and len(screen.generations) == 1 and screen.generations[0]["status"] == "completed"
            and screen.selected_item is not None)


async def test_the_default_path_takes_at_most_25_keys(tmp_path, standin):
    settings = standin_settings(tmp_path, standin)
    # Launched as `cctui` is: the bundled workflows known, none opened, so `n` asks which.
    app = TestApp(settings, providers=Providers(settings), now=lambda: NOW, catalogue=Catalogue())
    keys: list[str] = []

    async with app.run_test(size=(80, 24)) as pilot:
        async def press(*pressed: str) -> None:
            keys.extend(pressed)
            await pilot.press(*pressed)

        async def media_step(module: str) -> None:
            """Generate on the tab it opens on, then `enter` uses the only result, selected for you."""
            await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen)
                           and app.screen.interaction.module_name == module, timeout=20)
            await press("g")
            await wait_for(pilot, lambda: media_finished(app, module), timeout=30)
            await press("enter")

        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.store_ready)
        app.engine.services.jobs.min_poll = 0.05
        await press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowPickerScreen))
        await press("enter")  # Cuddle Crew, the first
        for module in ("select_pet_type", "select_aesthetic", "select_duration"):
            await wait_for(pilot, lambda m=module: waiting_at(app, m))
            await press("enter")
        await wait_for(pilot, lambda: waiting_at(app, "get_user_direction"))
        await press("ctrl+s")  # no note
        await wait_for(pilot, lambda: waiting_at(app, "select_scene"), timeout=20)
        await press("enter")
        await media_step("generate_and_select_images")
        # Several elements may be chosen; `enter` with none selected takes the highlighted one.
        await wait_for(pilot, lambda: waiting_at(app, "select_motion_elements"), timeout=20)
        await press("enter")
        await media_step("generate_and_select_videos")
        for module in ("select_text_overlay", "select_title", "select_description"):
            await wait_for(pilot, lambda m=module: waiting_at(app, m), timeout=20)
            await press("enter")
        await wait_for(pilot, lambda: waiting_at(app, "review_narration"), timeout=20)
        await press("ctrl+s")  # the narration as written
        await media_step("generate_narration")
        for module in ("select_music_option", "select_music_prompt"):
            await wait_for(pilot, lambda m=module: waiting_at(app, m), timeout=20)
            await press("enter")
        await media_step("generate_music")
        screen = run_screen(app)
        await wait_for(pilot, lambda: waiting_at(app, "assemble_video") and screen.query("#assemble"), timeout=20)
        await press("enter")  # Render has the focus
        await wait_for(pilot, lambda: screen.run.status == "completed" and screen.query("#final"), timeout=60)

        state = screen.run.state
        assert Path(state["final_video"]["path"]).is_file()
        assert len(state["selected_motion_elements"]) == 1
        # One request per media step: no key sent a second paid request.
        paid = [r.path for r in standin.requests if r.method == "POST" and "chat/completions" not in r.path]
        assert sorted(paid) == ["/elevenlabs/v1/music",
                                "/elevenlabs/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/with-timestamps",
                                "/leonardo/api/rest/v1/generations",
                                "/leonardo/api/rest/v1/generations-image-to-video"], paid
        # The narration is spoken and captioned word by word without a key for it.
        assert state["final_video"]["narration"]["caption_style"] == "words"
        assert state["final_video"]["narration"]["words"]

    assert len(keys) <= KEY_BUDGET, f"{len(keys)} keys: {' '.join(keys)}"
    assert len(keys) == 23, f"the path changed: {len(keys)} keys: {' '.join(keys)}"
