"""SchemaView: any display schema + data, drawn by `_ux`, driven with the Pilot."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage
from rich.console import Console
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import Static

from cctui.ui import terminal_images
from cctui.engine.ux import find_selectable
from cctui.ui.widgets.picture import Picture
from cctui.ui.widgets.schema_card import SchemaCard
from cctui.ui.widgets.schema_fields import CopyField, SchemaPanel, humanise
from cctui.ui.widgets.schema_view import SchemaView

ROOT = Path(__file__).resolve().parents[2]
STEPS = ROOT / "workflows" / "cc" / "steps"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


MOTION_SCHEMA = STEPS / "5_video_generation/schemas/cc_motion_elements_display_schema.json"
AESTHETIC_SCHEMA = STEPS / "1_user_input/schemas/cc_aesthetic_display_schema.json"
TITLES_SCHEMA = STEPS / "7_titles_social/schemas/cc_titles_display_schema.json"
IMAGE_GEN_SCHEMA = STEPS / "3_image_prompts/schemas/cc_image_generation_display_schema.json"

MOTION_DATA = {"detected": [
    {"element": "Steam from the [tea] mug", "motion_type": "rising wisps",
     "location": "lower left, on the side table"},
    {"element": "Fairy lights", "motion_type": "gentle twinkle", "location": "along the window frame"},
    {"element": "Cat's tail", "motion_type": "slow curl and flick", "location": "centre, off the blanket"},
]}


class Host(App[None]):
    """A bare app holding one SchemaView and recording what it posts."""

    def __init__(self, view: SchemaView):
        super().__init__()
        self.view = view
        self.changes: list[list[int]] = []
        self.submits: list[list[int]] = []
        self.bells = 0
        self.animation_level = "none"

    def compose(self) -> ComposeResult:
        yield self.view

    def bell(self) -> None:
        self.bells += 1

    def on_schema_view_selection_changed(self, message: SchemaView.SelectionChanged) -> None:
        assert message.control is self.view
        self.changes.append(message.selected)

    def on_schema_view_submitted(self, message: SchemaView.Submitted) -> None:
        self.submits.append(message.selected)


def rendered_text(app: App) -> str:
    """Everything the view drew into Statics and border titles, whether scrolled into view or not."""
    parts: list[str] = []
    for widget in app.screen.query("*"):
        if widget.border_title:
            parts.append(str(widget._border_title.plain))
        if isinstance(widget, Static):
            content = widget.content
            if isinstance(content, Content):
                parts.append(content.plain)
            elif isinstance(content, str):
                parts.append(content)
            else:
                console = Console(width=200, file=io.StringIO(), record=True)
                console.print(content)
                parts.append(console.export_text())
    return "\n".join(parts)


def static_with(app: App, text: str) -> Static:
    for widget in app.screen.query(Static):
        if isinstance(widget.content, Content) and text in widget.content.plain:
            return widget
    raise AssertionError(f"no Static shows {text!r}")


# -- selection ------------------------------------------------------------------------------

async def test_motion_elements_keyboard_multi_select():
    view = SchemaView(load(MOTION_SCHEMA), MOTION_DATA, selectable=True, multi=True)
    app = Host(view)
    async with app.run_test(size=(80, 24)) as pilot:
        cards = view.cards
        assert len(cards) == 3 and app.focused is cards[0]
        # The highlighted card is marked in text (▶), not by colour alone.
        assert [c._border_title.plain for c in cards] == ["▶ [1]", "[2]", "[3]"]
        await pilot.press("space", "down", "down", "space")
        await pilot.pause()
        assert view.selected == [0, 2]
        assert app.changes == [[0], [0, 2]]
        assert [c.has_class("-selected") for c in cards] == [True, False, True]
        assert "✓" in cards[0]._border_title.plain and "✓" not in cards[1]._border_title.plain
        assert cards[2]._border_title.plain == "▶ [3] ✓ selected" and not cards[0]._border_title.plain.startswith("▶")
        # j/k move too, and space toggles off again.
        await pilot.press("k", "k", "space")
        await pilot.pause()
        assert app.focused is cards[0] and view.selected == [2]
        await pilot.press("j")
        assert app.focused is cards[1]


async def test_mouse_click_toggles_a_card():
    view = SchemaView(load(MOTION_SCHEMA), MOTION_DATA, selectable=True, multi=True)
    app = Host(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click(view.cards[1], offset=(4, 2))
        await pilot.pause()
        assert view.selected == [1] and app.focused is view.cards[1]
        await pilot.click(view.cards[1], offset=(4, 2))
        await pilot.pause()
        assert view.selected == [] and app.changes == [[1], []]


async def test_single_select_enter_submits():
    view = SchemaView(load(MOTION_SCHEMA), MOTION_DATA, selectable=True)
    app = Host(view)
    async with app.run_test(size=(80, 24)) as pilot:
        # One to choose: space is not offered (enter picks and goes on); a click selects.
        await pilot.press("space")
        await pilot.pause()
        assert view.selected == [] and app.changes == []
        await pilot.click(view.cards[1], offset=(4, 2))
        await pilot.pause()
        assert view.selected == [1] and app.changes == [[1]]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert view.selected == [2]
        assert app.submits == [[2]]
        assert [c.has_class("-selected") for c in view.cards] == [False, False, True]


async def test_single_select_click_then_enter():
    view = SchemaView(load(MOTION_SCHEMA), MOTION_DATA, selectable=True)
    app = Host(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click(view.cards[2], offset=(4, 1))
        await pilot.click(view.cards[2], offset=(4, 1))  # clicking the chosen one keeps it chosen
        await pilot.press("enter")
        await pilot.pause()
        assert view.selected == [2] and app.submits == [[2]]


async def test_multi_enter_submits_the_selection():
    view = SchemaView(load(MOTION_SCHEMA), MOTION_DATA, selectable=True, multi=True, initial=[0, 1])
    app = Host(view)
    async with app.run_test(size=(80, 24)) as pilot:
        assert view.selected == [0, 1] and [c.selected for c in view.cards] == [True, True, False]
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.submits == [[0, 1]] and app.changes == []


async def test_max_selections_refuses_with_a_bell():
    view = SchemaView(load(MOTION_SCHEMA), MOTION_DATA, selectable=True, multi=True, max_selections=2)
    app = Host(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "down", "space", "down", "space")
        await pilot.pause()
        assert view.selected == [0, 1]
        assert app.bells == 1
        assert not view.cards[2].selected
        await pilot.press("up", "space", "down", "space")  # free one, then the third fits
        await pilot.pause()
        assert view.selected == [0, 2]


def test_initial_is_cleaned():
    schema, data = load(MOTION_SCHEMA), MOTION_DATA
    assert SchemaView(schema, data, selectable=True, multi=True, initial=[2, 9, -1, 0]).selected == [0, 2]
    assert SchemaView(schema, data, selectable=True, initial=[1, 2]).selected == [1]
    assert SchemaView(schema, data, selectable=True, multi=True, max_selections=1, initial=[2, 0]).selected == [2]
    assert SchemaView(schema, data, selectable=True, initial=None).selected == []


async def test_the_selectable_list_is_the_engines():
    """Indices mean what `find_selectable` says, wherever the list sits."""
    schema = {"type": "object", "properties": {
        "intro": {"type": "string"},
        "group": {"type": "object", "properties": {
            "choices": {"type": "array", "items": {"type": "string", "_ux.selectable": True}}}}}}
    data = {"intro": "Pick one", "group": {"choices": ["alpha", "beta"]}}
    path, items = find_selectable(schema, data)
    view = SchemaView(schema, data, selectable=True)
    assert view.selectable_path == path == ("group", "choices") and view.selectable_items is items
    app = Host(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "enter")
        assert app.submits == [[1]]


async def test_a_bare_list_is_selectable():
    view = SchemaView({"type": "array", "items": {"type": "string"}}, ["one", "two"], selectable=True)
    app = Host(view)
    async with app.run_test(size=(80, 24)) as pilot:
        assert len(view.cards) == 2
        await pilot.press("enter")
        assert app.submits == [[0]]


async def test_not_selectable_means_no_selection():
    view = SchemaView(load(MOTION_SCHEMA), MOTION_DATA)
    app = Host(view)
    async with app.run_test(size=(80, 24)) as pilot:
        assert view.cards == [] and view.can_focus
        assert app.focused is view
        await pilot.press("space", "enter", "down")
        assert view.selected == [] and app.changes == [] and app.submits == []
        assert len(app.screen.query(SchemaCard)) == 3  # still drawn as cards


# -- the _ux vocabulary ---------------------------------------------------------------------

def panel_schema(display: Any) -> dict:
    return {"type": "object", "properties": {"things": {
        "type": "array", "_ux": {"display": display, "display_label": "Things", "render_as": "content-panel"},
        "items": {"type": "string"}}}}


async def test_passthrough_renders_no_frame():
    app = Host(SchemaView(panel_schema("passthrough"), {"things": ["a", "b"]}))
    async with app.run_test(size=(80, 24)):
        assert not app.screen.query(SchemaPanel)
        text = rendered_text(app)
        assert "a, b" in text and "Things" not in text
    app = Host(SchemaView(panel_schema("visible"), {"things": ["a", "b"]}))
    async with app.run_test(size=(80, 24)):
        panel = app.screen.query_one(SchemaPanel)
        assert panel._border_title.plain == "Things"
        assert panel.styles.border_top[0] != ""


async def test_hidden_fields_do_not_show():
    data = load(ROOT / "workflows/cc/data/aesthetics.json")
    app = Host(SchemaView(load(AESTHETIC_SCHEMA), data, selectable=True))
    async with app.run_test(size=(80, 24)):
        text = rendered_text(app)
        first = data["aesthetics"][0]
        assert first["label"] in text and first["visual_tone"]["mood"] in text
        assert first["story_angles"][0] in text
        assert first["id"] not in text
        shown = json.dumps([{k: v for k, v in a.items() if "keywords" not in k} for a in data["aesthetics"]])
        for word in first["positive_keywords"] + first["negative_keywords"]:
            assert word in shown or word not in text, word
        assert "shallow depth of field" not in text
        assert "Positive Keywords" not in text
        # Labels: display_label, not the property name.
        assert "Visual Tone" in text and "Story Angles" in text and "visual_tone" not in text
        assert len(app.screen.query(SchemaCard)) == len(data["aesthetics"])


async def test_hidden_as_boolean_and_both_spellings():
    app = Host(SchemaView({"type": "object", "properties": {
        "a": {"type": "string", "_ux": {"display": False}},
        "b": {"type": "string", "_ux.display": "hidden"},
        "c": {"type": "string", "_ux.display": True}}}, {"a": "AAA", "b": "BBB", "c": "CCC"}))
    async with app.run_test(size=(80, 24)):
        text = rendered_text(app)
        assert "AAA" not in text and "BBB" not in text and "C: CCC" in text


async def test_highlight_colour_and_card_title():
    app = Host(SchemaView(load(MOTION_SCHEMA), MOTION_DATA, selectable=True))
    async with app.run_test(size=(80, 24)):
        title = static_with(app, "Fairy lights")
        assert title.has_class("schema-card-title")
        assert [span.style for span in title.content.spans] == ["bold #4ECDC4"]
        # Plain field: label dim, value unstyled.
        field = static_with(app, "gentle twinkle")
        assert field.content.plain == "Motion Type: gentle twinkle"
        assert [str(span.style) for span in field.content.spans] == ["dim"]
        # And the colour reaches the screen.
        strip = title.render_lines(title.region.reset_offset)[0]
        segment = next(seg for seg in strip if "Fairy" in seg.text)
        assert segment.style.color.triplet.hex.upper() == "#4ECDC4" and segment.style.bold


async def test_nested_highlight_and_lists():
    data = load(ROOT / "workflows/cc/data/aesthetics.json")
    app = Host(SchemaView(load(AESTHETIC_SCHEMA), data))
    async with app.run_test(size=(80, 24)):
        mood = static_with(app, data["aesthetics"][0]["visual_tone"]["mood"])
        assert mood.content.spans[-1].style == "bold #4ECDC4"
        bullets = app.screen.query(".schema-bullets")
        assert len(bullets) == 2 * len(data["aesthetics"])
        assert "• the perfect nap spot" in rendered_text(app)


def flat_to_nested(schema: Any) -> Any:
    """The same schema with every flat `_ux.x` key folded into a nested `_ux` object."""
    if isinstance(schema, list):
        return [flat_to_nested(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    hints = dict(schema.get("_ux") or {})
    for key, value in schema.items():
        if key.startswith("_ux."):
            hints[key[4:]] = value
        elif key != "_ux":
            out[key] = flat_to_nested(value)
    if hints:
        out["_ux"] = hints
    return out


def nested_to_flat(schema: Any) -> Any:
    if isinstance(schema, list):
        return [nested_to_flat(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: nested_to_flat(v) for k, v in schema.items() if k != "_ux"}
    for key, value in (schema.get("_ux") or {}).items():
        out[f"_ux.{key}"] = value
    return out


def structure(app: App) -> list[tuple[str, str, str]]:
    rows = []
    for widget in app.screen.query("*"):
        text = widget.content.plain if isinstance(widget, Static) and isinstance(widget.content, Content) else ""
        rows.append((type(widget).__name__, " ".join(sorted(widget.classes)), text))
    return rows


@pytest.mark.parametrize("schema_path", [AESTHETIC_SCHEMA, MOTION_SCHEMA])
async def test_both_ux_spellings_render_the_same(schema_path):
    original = load(schema_path)
    data = load(ROOT / "workflows/cc/data/aesthetics.json") if schema_path == AESTHETIC_SCHEMA else MOTION_DATA
    results = []
    for schema in (original, flat_to_nested(original), nested_to_flat(original)):
        app = Host(SchemaView(schema, copy.deepcopy(data), selectable=True, multi=True))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("space", "down", "space")
            results.append((structure(app), rendered_text(app), app.query_one(SchemaView).selected))
    assert results[0] == results[1] == results[2]
    assert results[0][2] == [0, 1]


async def test_unknown_hints_are_ignored():
    schema = {"type": "object", "_ux": {"sparkle": True, "display": "visible"}, "properties": {
        "name": {"type": "string", "_ux.render_as": "hologram", "_ux.nudges": ["confetti"],
                 "_ux.wobble": 3, "_ux.display_label": "Name"},
        "items": {"type": "array", "items": {"type": "string", "_ux": {"render_as": "carousel"}},
                  "_ux.render_as": "tab.media", "_ux.tab_label": "Things"},
        "when": {"type": "string", "_ux": {"display": "sometimes", "highlight": "very",
                                           "highlight_color": "not-a-colour"}}}}
    app = Host(SchemaView(schema, {"name": "Widget", "items": ["x", "y"], "when": "now"}, selectable=True))
    async with app.run_test(size=(80, 24)):
        text = rendered_text(app)
        assert "Name: Widget" in text and "Things: x, y" in text and "When: now" in text


MISMATCHES = [
    (load(AESTHETIC_SCHEMA), MOTION_DATA),                      # another step's data
    (load(AESTHETIC_SCHEMA), {"aesthetics": "not a list"}),      # wrong type for the array
    (load(AESTHETIC_SCHEMA), {"aesthetics": [None, 3, "x", [1], {"label": ["a", "b"],
                                                                 "visual_tone": "flat"}]}),
    (load(MOTION_SCHEMA), ["just", "strings"]),                 # a list where an object is described
    (load(MOTION_SCHEMA), None),
    (load(MOTION_SCHEMA), 42),
    ("not a schema", {"a": 1}),
    ({"type": "object", "properties": "nope", "items": 5, "_ux": "junk", "_ux.nudges": 7}, {"a": {"b": [{}]}}),
    ({"properties": {"img": {"_ux.render_as": "image"}, "t": {"_ux.render_as": "table"},
                     "l": {"_ux.render_as": "list"}, "c": {"_ux.render_as": "card-title"}}},
     {"img": 5, "t": "x", "l": {"k": "v"}, "c": {"nested": True}}),
    ({"properties": {"x": {"_ux": {"display_label": {"no": 1}, "nudges": "copy", "highlight_color": 7}}}},
     {"x": "value"}),
]


@pytest.mark.parametrize("schema,data", MISMATCHES)
async def test_schema_that_does_not_match_the_data_renders_what_it_can(schema, data):
    app = Host(SchemaView(schema, data, selectable=True, multi=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "down", "enter", "c")
        await pilot.pause()
        view = app.query_one(SchemaView)
        assert all(0 <= i < len(view.selectable_items) for i in view.selected)


async def test_mismatched_data_still_shows_its_values():
    app = Host(SchemaView(load(AESTHETIC_SCHEMA), MOTION_DATA))
    async with app.run_test(size=(80, 24)):
        assert "Fairy lights" in rendered_text(app)


async def test_text_is_never_markup():
    data = {"detected": [{"element": "[bold red]not bold[/]", "motion_type": "[link=x]y[/link]",
                          "location": "a [b] c"}]}
    app = Host(SchemaView(load(MOTION_SCHEMA), data, selectable=True))
    async with app.run_test(size=(80, 24)):
        text = rendered_text(app)
        assert "[bold red]not bold[/]" in text and "[link=x]y[/link]" in text and "a [b] c" in text


async def test_list_table_and_plain_rendering():
    schema = {"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "string"}, "_ux.render_as": "list"},
        "words": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "array", "_ux": {"render_as": "table", "display_label": "Scores"},
                 "items": {"type": "object", "properties": {
                     "who": {"type": "string", "_ux.display_label": "Player"},
                     "secret": {"type": "string", "_ux.display": False},
                     "score": {"type": "integer"}}}},
        "note": {"type": "string", "_ux.render_as": "text", "_ux.display_label": "Note"}}}
    data = {"tags": ["one", "two"], "words": ["x", "y"], "note": "A [long] note.",
            "rows": [{"who": "Ann", "secret": "s3cret", "score": 3}, {"who": "Bo", "score": 12}]}
    app = Host(SchemaView(schema, data))
    async with app.run_test(size=(80, 24)):
        text = rendered_text(app)
        assert "• one" in text and "• two" in text and "Words: x, y" in text
        assert "Player" in text and "Score" in text and "Ann" in text and "12" in text
        assert "s3cret" not in text and "Secret" not in text
        assert "Note\nA [long] note." in text


async def test_empty_lists_show_a_dash():
    app = Host(SchemaView(load(AESTHETIC_SCHEMA), {"aesthetics": [{"label": "Bare", "story_angles": []}]}))
    async with app.run_test(size=(80, 24)):
        assert "Story Angles: —" in rendered_text(app)
    app = Host(SchemaView(load(MOTION_SCHEMA), {"detected": []}, selectable=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "enter")
        assert app.query_one(SchemaView).selected == [] and app.submits == []
        assert "—" in rendered_text(app)


def test_humanise():
    assert humanise("visual_tone") == "Visual Tone"
    assert humanise("motionType") == "Motion Type"
    assert humanise("sound-level") == "Sound Level"


# -- nudges ---------------------------------------------------------------------------------

async def test_copy_nudge_on_a_card():
    data = {"titles": ["When the [rain] stops", "Operation: Sunbeam"]}
    view = SchemaView(load(TITLES_SCHEMA), data, selectable=True)
    app = Host(view)
    async with app.run_test(size=(80, 24)) as pilot:
        assert view.cards[0].border_subtitle == "y: copy"
        await pilot.press("down", "y")
        assert app.clipboard == "Operation: Sunbeam"
        assert view.selected == []  # copying selects nothing
        # Highlight on scalar items.
        assert static_with(app, "Sunbeam").content.spans[0].style == "bold #FF8C69"


async def test_copy_nudge_on_fields_in_a_card_and_in_a_panel():
    schema = load(STEPS / "9_music/schemas/cc_music_prompts_display_schema.json")
    data = {"prompts": [{"label": "Lo-fi", "prompt": "soft lofi beat", "negative_prompt": "drums",
                         "duration_seconds": 30}]}
    app = Host(SchemaView(schema, data, selectable=True))
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Prompt  y: copy" in rendered_text(app)
        await pilot.press("y")  # the card is focused: its first copy field
        assert app.clipboard == "soft lofi beat"
        await pilot.press("tab", "tab", "y")  # tab reaches each copy field
        assert isinstance(app.focused, CopyField) and app.clipboard == "drums"
        await pilot.press("enter")  # the selection keys still work from inside the card
        assert app.submits == [[0]]
    gen = {"leonardo": {"positive_prompt": "p", "negative_prompt": "n", "style_notes": "soft"},
           "openai": {"prompt": "x", "style_notes": "painterly"},
           "midjourney": {"prompt": "a cat --ar 9:16"},
           "stable_diffusion": {"positive_prompt": "cat, cozy", "negative_prompt": "blurry"}}
    app = Host(SchemaView(load(IMAGE_GEN_SCHEMA), gen))
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.focused, CopyField)
        await pilot.press("y")
        assert app.clipboard == "a cat --ar 9:16"
        text = rendered_text(app)
        assert "Midjourney (copy to use)" in text and "OpenAI" in text and "Style: soft" in text


async def test_copy_nudge_on_a_list_copies_one_item_a_line():
    schema = load(STEPS / "6_text_overlays/schemas/cc_text_overlays_display_schema.json")
    data = {"sets": [{"style": "Playful", "lines": ["First [line]", "Second line"]}]}
    app = Host(SchemaView(schema, data, selectable=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        assert app.clipboard == "First [line]\nSecond line"


async def test_index_badge_only_when_asked():
    schema = load(MOTION_SCHEMA)
    schema["properties"]["detected"]["items"]["_ux"]["nudges"] = []
    view = SchemaView(schema, MOTION_DATA, selectable=True, multi=True)
    app = Host(view)
    async with app.run_test(size=(80, 24)) as pilot:
        assert view.cards[0]._border_title.plain == "▶" and view.cards[1].border_title is None
        await pilot.press("space")
        assert view.cards[0]._border_title.plain == "▶ ✓ selected"


# -- images ---------------------------------------------------------------------------------

@pytest.fixture
def halfcell(monkeypatch):
    monkeypatch.setattr(terminal_images, "chosen", "halfcell")


async def test_image_field_renders_a_picture(tmp_path, halfcell):
    png = tmp_path / "cat.png"
    PILImage.new("RGB", (16, 16), (200, 120, 40)).save(png)
    schema = {"type": "object", "properties": {
        "shots": {"type": "array", "items": {"type": "object", "_ux": {"render_as": "card", "selectable": True},
                                             "properties": {
                                                 "image": {"_ux": {"render_as": "image", "display_label": "Shot"}},
                                                 "path": {"_ux.render_as": "image"}}}}}}
    data = {"shots": [{"image": {"local_path": str(png), "url": "http://x"}, "path": str(png)},
                      {"image": {"local_path": str(tmp_path / "gone.png")}, "path": None}]}
    app = Host(SchemaView(schema, data, selectable=True))
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        pictures = list(app.screen.query(Picture))
        assert [p.path for p in pictures] == [png, png, tmp_path / "gone.png", None]
        assert pictures[0].caption == "Shot" and pictures[1].caption == "Path"
        assert pictures[0].query(".picture-image") and pictures[1].query(".picture-image")
        assert "image missing" in rendered_text(app) and "(no image)" in rendered_text(app)
