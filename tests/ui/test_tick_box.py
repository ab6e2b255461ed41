"""A form's yes/no field reads without colour: ✓ when on, a blank when off (Textual's own box
draws X either way)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from cctui.ui.widgets.tick_box import TickBox


class One(App):
    def compose(self) -> ComposeResult:
        yield TickBox("Keep the clip's own sound", False, id="box")


async def test_off_is_blank_and_on_is_a_tick():
    app = One()
    async with app.run_test(size=(40, 3)) as pilot:
        box = app.query_one(TickBox)
        assert box._button.plain == "▐ ▌" and "✓" not in app.export_screenshot()
        await pilot.click(box)
        await pilot.pause()
        assert box.value is True and box._button.plain == "▐✓▌"
        assert "✓" in app.export_screenshot()
