"""A whole run through the real app by key presses only, against the provider stand-in over
HTTP with the real clients: runs screen to summary, two video generations on two tabs."""

from __future__ import annotations

from pathlib import Path

from app_harness import WORKFLOW, NOW, TestApp, run_screen, settings_for, wait_for, waiting_at
from cctui.providers.registry import Providers
from cctui.standin import StandIn
from cctui.ui.screens.media_screen import MediaScreen
from cctui.ui.screens.runs_screen import RunsScreen


def media_done(app, count: int) -> bool:
    screen = app.screen
    return (isinstance(screen, MediaScreen) and len(screen.generations) == count
            and all(g["status"] == "completed" for g in screen.generations))


async def test_a_whole_demo_run_by_keys(tmp_path):
    standin = StandIn(keys=None, job_seconds=0.3, data_dir=tmp_path / "standin")
    standin.start()
    urls = standin.base_urls
    settings = settings_for(tmp_path).model_copy(update={
        "openai_api_key": "demo", "openai_base_url": urls["openai"], "leonardo_api_key": "demo",
        "leonardo_base_url": urls["leonardo"], "elevenlabs_api_key": "demo",
        "elevenlabs_base_url": urls["elevenlabs"], "sora_base_url": urls["sora"], "demo": True})
    from cctui.settings import SecretStr

    for name in ("openai_api_key", "leonardo_api_key", "elevenlabs_api_key"):
        settings = settings.model_copy(update={name: SecretStr("demo-key")})
    app = TestApp(settings, providers=Providers(settings), workflow_dir=WORKFLOW, now=lambda: NOW)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.store_ready)
            app.engine.services.jobs.min_poll = 0.05
            await pilot.press("n")
            for module in ("select_pet_type", "select_aesthetic", "select_duration"):
                await wait_for(pilot, lambda m=module: waiting_at(app, m))
                await pilot.press("enter")
            await wait_for(pilot, lambda: waiting_at(app, "get_user_direction"))
            await pilot.press(*"Miso and her duck", "ctrl+s")
            await wait_for(pilot, lambda: waiting_at(app, "select_scene"), timeout=20)
            await pilot.press("enter")

            # Step 3: one Leonardo image job, pick its first image.
            await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen), timeout=20)
            await pilot.press("g")
            await wait_for(pilot, lambda: media_done(app, 1), timeout=30)
            await pilot.press("enter")  # the first result is selected as it arrives

            # Step 5: two motion elements, then videos on both tabs.
            await wait_for(pilot, lambda: waiting_at(app, "select_motion_elements"), timeout=20)
            await pilot.press("space", "down", "space", "c")
            await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen)
                           and app.screen.interaction.module_name == "generate_and_select_videos", timeout=20)
            media = app.screen
            assert media.display_data["source_image"]["local_path"]
            await pilot.press("g")
            await wait_for(pilot, lambda: len(media.generations) == 1)
            await pilot.press("right_square_bracket")
            assert media.current_tab == "sora"
            await pilot.press("g")
            await wait_for(pilot, lambda: media_done(app, 2), timeout=60)
            assert sorted(g["tab"] for g in media.generations) == ["leonardo", "sora"]
            # The first to finish is selected as it arrives; j moves to the other (Sora's).
            for _ in range(2):
                if media.selected_item["prompt_key"] != "sora":
                    await pilot.press("j")
            await pilot.press("enter")

            # Steps 6-7.
            for module in ("select_text_overlay", "select_title", "select_description"):
                await wait_for(pilot, lambda m=module: waiting_at(app, m), timeout=20)
                await pilot.press("enter")
            # Step 8: the narration as written, spoken by OpenAI's voice (timed by its transcription).
            await wait_for(pilot, lambda: waiting_at(app, "review_narration"), timeout=20)
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen)
                           and app.screen.interaction.module_name == "generate_narration", timeout=20)
            await pilot.press("right_square_bracket")
            assert app.screen.current_tab == "openai"
            await pilot.press("g")
            await wait_for(pilot, lambda: media_done(app, 1), timeout=30)
            await pilot.press("enter")
            # Step 9.
            for module in ("select_music_option", "select_music_prompt"):
                await wait_for(pilot, lambda m=module: waiting_at(app, m), timeout=20)
                await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen)
                           and app.screen.interaction.module_name == "generate_music", timeout=20)
            await pilot.press("g")
            await wait_for(pilot, lambda: media_done(app, 1), timeout=30)
            await pilot.press("enter")  # the first result is selected as it arrives

            # Step 10: the render form, with the soundtrack and the narration pre-selected; Render has focus.
            screen = run_screen(app)
            await wait_for(pilot, lambda: waiting_at(app, "assemble_video") and screen.query("#assemble"), timeout=20)
            form = screen.query_one("#assemble-form")
            assert form.widget_for("music_source").value == "generated"
            assert form.widget_for("narration_source").value == "generated"
            assert form.widget_for("caption_style").value == "words"
            assert len(screen.query_one("#assemble-timeline").cues) == len(
                screen.run.state["selected_text_overlay"]["lines"])
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.run.status == "completed" and screen.query("#final"), timeout=60)
            state = screen.run.state
            preview = screen.query_one("#final")
            assert preview.video_path == state["final_video"]["path"] and Path(preview.video_path).is_file()
            await pilot.press("y")
            assert app.clipboard == preview.captions and state["selected_title"] in app.clipboard
            assert "$" in str(screen.query_one("#final-cost").content)
            assert state["selected_video_data"]["prompt_key"] == "sora"
            assert state["selected_music_track"]["kind"] == "audio"
            narration = state["selected_narration"]
            assert narration["provider"] == "openai" and narration["metadata"]["timing_source"] == "transcription"
            assert state["final_video"]["narration"]["words"]
            assert standin.count("POST", "/openai/v1/audio/speech") == 1
            assert standin.count("POST", "/openai/v1/audio/transcriptions") == 1
            assert Path(state["summary_file_path"]).read_text(encoding="utf-8") == state["workflow_summary_text"]
            assert standin.count("POST", "/openai/v1/videos") == 1
    finally:
        standin.stop()
