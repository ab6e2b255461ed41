"""ctrl+p finds the screen's own actions by name (Generate, Use selected, Render, Open video,
Copy ...), each with its key, and running one from the palette does what the key does."""

from __future__ import annotations

from app_harness import make_test_app, run_screen, wait_for


def names(app) -> dict[str, str]:
    return {c.title: c.help for c in app.get_system_commands(app.screen)}


async def test_the_run_screens_keys_are_in_the_palette_and_run(tmp_path):
    app = make_test_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        assert "New run" in names(app)
        await pilot.press("n")
        await wait_for(pilot, lambda: run_screen(app) is not None and run_screen(app).interaction is not None)
        found = names(app)
        # The first question is a single choice: enter chooses, so Continue (c) is not offered.
        assert found["Runs"].endswith("(esc)") and "Choose" in found and "Continue" not in found
        assert "Open video" not in found  # a key that does nothing here is not offered
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "State")
        command.callback()
        await wait_for(pilot, lambda: type(app.screen).__name__ == "StateScreen")


async def test_textuals_own_widget_keys_are_left_out(tmp_path):
    app = make_test_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        await pilot.press("n")
        await wait_for(pilot, lambda: run_screen(app) is not None and run_screen(app).interaction is not None)
        assert not {"Page Down", "Page Up", "Scroll Up", "Scroll Down"} & set(names(app))
