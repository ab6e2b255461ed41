"""Snapshots of SchemaView with the CC workflow's display schemas, at 80x24 and 120x40.

Each SVG in `__snapshots__/` was looked at before it was accepted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Footer

from cctui.ui.widgets.schema_view import SchemaView

ROOT = Path(__file__).resolve().parents[2]
STEPS = ROOT / "workflows" / "cc" / "steps"
SIZES = [(80, 24), (120, 40)]


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


SCENES = {"scenes": [
    {
        "title": "The Great Blanket Expedition",
        "hook": "One paw at a time, Miso claims the whole sofa.",
        "narrative": "Miso spots the freshly washed blanket folded on the sofa arm. She circles it, tests it "
                     "with one paw, then slowly burrows in until only her ears and the tip of her tail show.",
        "visual_moments": ["a paw testing the blanket edge", "slow circling on the cushion",
                           "ears peeking out of the folds", "a contented slow blink"],
        "pet_behavior": "cautious curiosity turning into total comfort",
        "emotional_arc": "curious -> determined -> blissfully cosy",
        "setting": "a living room on a rainy afternoon, lamp on, rain on the window",
        "scene_keywords": ["blanket", "sofa", "rainy day", "burrowing"],
    },
    {
        "title": "Waiting by the Door",
        "hook": "Every footstep outside could be [the one].",
        "narrative": "Biscuit sits by the front door, ears up at each sound from the hallway. When the key "
                     "finally turns, his whole body wags.",
        "visual_moments": ["nose pressed to the door gap", "head tilt at footsteps", "the full-body wiggle"],
        "pet_behavior": "patient watching, then explosive joy",
        "emotional_arc": "hopeful -> impatient -> overjoyed",
        "setting": "a narrow hallway with a coat rack and warm evening light",
        "scene_keywords": ["door", "waiting", "reunion"],
    },
    {
        "title": "Sunbeam Tetris",
        "hook": "The sunbeam moves. So does the cat.",
        "narrative": "As the afternoon sun slides across the floor, Pepper shifts spot by spot to stay "
                     "inside the light, ending up folded in an impossible shape.",
        "visual_moments": ["stretching into the light", "a slow roll to follow the beam",
                           "the final impossible pose"],
        "pet_behavior": "lazy but strategic repositioning",
        "emotional_arc": "sleepy -> mildly annoyed -> smug",
        "setting": "a wooden floor by a tall window in late afternoon sun",
        "scene_keywords": ["sunbeam", "nap", "floor", "window"],
    },
]}

MOTION = {"detected": [
    {"element": "Steam from the [tea] mug", "motion_type": "rising wisps",
     "location": "lower left, on the side table"},
    {"element": "Fairy lights", "motion_type": "gentle twinkle", "location": "along the window frame"},
    {"element": "Cat's tail", "motion_type": "slow curl and flick", "location": "centre, off the blanket"},
]}


class Host(App[None]):
    """One SchemaView and the footer that shows its keys; nothing that moves."""

    def __init__(self, schema: Any, data: Any, **options: Any):
        super().__init__()
        self.schema, self.data, self.options = schema, data, options
        self.animation_level = "none"
        self.theme = "textual-dark"

    def compose(self) -> ComposeResult:
        yield SchemaView(self.schema, self.data, **self.options)
        yield Footer()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_aesthetic_cards(snap_compare, size):
    app = Host(load(STEPS / "1_user_input/schemas/cc_aesthetic_display_schema.json"),
               load(ROOT / "workflows/cc/data/aesthetics.json"), selectable=True)
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_scene_cards(snap_compare, size):
    app = Host(load(STEPS / "2_scene_generation/schemas/cc_scene_display_schema.json"), SCENES,
               selectable=True)
    assert snap_compare(app, terminal_size=size, press=["down"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_motion_cards_two_selected(snap_compare, size):
    app = Host(load(STEPS / "5_video_generation/schemas/cc_motion_elements_display_schema.json"), MOTION,
               selectable=True, multi=True)
    assert snap_compare(app, terminal_size=size, press=["space", "down", "down", "space", "up"])


def test_motion_cards_without_colour(snap_compare, monkeypatch):
    """NO_COLOR: the highlighted card (▶) and the selected ones (✓ selected) read in text alone."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = Host(load(STEPS / "5_video_generation/schemas/cc_motion_elements_display_schema.json"), MOTION,
               selectable=True, multi=True)
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), press=["space", "down", "down", "space", "up"])
