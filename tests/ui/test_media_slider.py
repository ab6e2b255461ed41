"""The Slider widget: clamped, stepped value; keys, click and Changed messages."""

from __future__ import annotations

from textual.app import App, ComposeResult

from cctui.ui.widgets.slider import Slider


class SliderApp(App):
    def __init__(self, slider: Slider):
        super().__init__()
        self.slider = slider
        self.changes: list[float] = []

    def compose(self) -> ComposeResult:
        yield self.slider

    def on_mount(self) -> None:
        self.animation_level = "none"

    def on_slider_changed(self, event: Slider.Changed) -> None:
        assert event.control is self.slider
        self.changes.append(event.value)


def test_value_is_clamped_and_stepped():
    assert Slider(50, 1, 10).value == 10
    assert Slider(-3, 1, 10).value == 1
    assert Slider(13, 0, 100, 5).value == 15
    assert Slider("not a number", 2, 4).value == 2  # type: ignore[arg-type]
    s = Slider(0.27, 0.0, 1.0, 0.1)
    assert abs(s.value - 0.3) < 1e-9 and isinstance(s.value, float)


async def test_keys_move_by_step_and_clamp():
    app = SliderApp(Slider(5, 1, 10))
    async with app.run_test(size=(40, 3)) as pilot:
        app.slider.focus()
        await pilot.press("right", "right", "right")
        assert app.slider.value == 8
        await pilot.press(*["right"] * 5)
        assert app.slider.value == 10
        await pilot.press("home")
        assert app.slider.value == 1
        await pilot.press("left", "left")
        assert app.slider.value == 1
        await pilot.press("end", "left")
        assert app.slider.value == 9
        await pilot.pause()
        assert app.changes == [6, 7, 8, 9, 10, 1, 10, 9]
        assert str(app.slider.render()).rstrip().endswith("] 9")


async def test_click_sets_value_by_position():
    app = SliderApp(Slider(5, 0, 10))
    async with app.run_test(size=(40, 3)) as pilot:
        bar = app.slider._bar_width(app.slider.content_size.width)
        await pilot.click(Slider, offset=(1, 0))  # first cell of the bar
        assert app.slider.value == 0
        await pilot.click(Slider, offset=(bar, 0))  # last cell of the bar
        assert app.slider.value == 10
        assert app.slider.has_focus


async def test_render_shows_bar_and_value():
    app = SliderApp(Slider(5, 1, 10))
    async with app.run_test(size=(24, 3)):
        text = str(app.slider.render())
        assert text.startswith("[") and text.rstrip().endswith("] 5") and ">" in text
        assert len(text) == app.slider.content_size.width
