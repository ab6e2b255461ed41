"""Pictures as big as the room they get, and `z` (or a click) to see one full-screen.

Through the real app against the provider stand-in over HTTP: a generated image of step 3 and a
finished run's cover open full-screen and `esc` comes back; the media screen's pictures grow with
the terminal; a snapshot at 80x24 of the full-screen view of a picture drawn here."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App

import app_harness
from cctui.ui import terminal_images
from app_harness import NOW, ROOT, WORKFLOW, settle, wait_for, waiting_at
from cctui.engine.catalogue import Catalogue
from cctui.providers.registry import Providers
from cctui.ui.screens.media_screen import MediaScreen
from cctui.ui.screens.picture_screen import PictureScreen, size_text
from cctui.ui.screens.run_screen import RunScreen
from cctui.ui.screens.runs_screen import RunsScreen
from cctui.ui.widgets.fitted_picture import FittedPicture, middle_cut
from cctui.ui.widgets.generation_card import card_columns
from cctui.ui.widgets.generation_item import GenerationItem
from pet_photo import draw_pet_photo
from test_quick_clip_app import QUICK_CLIP, standin_settings


@pytest.fixture(autouse=True)
def halfcell_images(monkeypatch):
    """Pictures in half-cell blocks at a fixed cell size: no terminal queries, same output anywhere."""
    from textual_image._terminal import CellSize, get_cell_size

    monkeypatch.setattr(terminal_images, "chosen", "halfcell")
    monkeypatch.setattr(get_cell_size, "_result", CellSize(10, 20), raising=False)


def palette_names(app) -> set[str]:
    return {c.title for c in app.get_system_commands(app.screen)}


def showing(app, path: Path | str) -> bool:
    screen = app.screen
    return isinstance(screen, PictureScreen) and screen.path == Path(path) \
        and screen.query_one("#picture-full", FittedPicture).fitted is not None


async def to_the_image_step(pilot, app) -> MediaScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.store_ready)
    app.engine.services.jobs.min_poll = 0.05
    await pilot.press("n")
    for module in ("select_pet_type", "select_aesthetic", "select_duration"):
        await wait_for(pilot, lambda m=module: waiting_at(app, m), timeout=20)
        await pilot.press("enter")
    await wait_for(pilot, lambda: waiting_at(app, "get_user_direction"))
    await pilot.press(*"Miso and her duck", "ctrl+s")
    await wait_for(pilot, lambda: waiting_at(app, "select_scene"), timeout=20)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen), timeout=20)
    return app.screen


async def test_z_shows_a_generated_image_full_screen_and_esc_comes_back(tmp_path, standin):
    settings = standin_settings(tmp_path, standin)
    app = app_harness.TestApp(settings, providers=Providers(settings), workflow_dir=WORKFLOW, now=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        media = await to_the_image_step(pilot, app)
        # Nothing to show yet: no z in the footer or the palette.
        assert "Zoom" not in palette_names(app)
        await pilot.press("g")
        await wait_for(pilot, lambda: media.generations and media.generations[0]["status"] == "completed"
                       and media.query(GenerationItem), timeout=30)
        await pilot.press("j")  # the second image (the first was selected as it arrived)
        await wait_for(pilot, lambda: media.selected_item is not None)
        item = media.selected_item
        assert item["kind"] == "image" and Path(item["local_path"]).is_file()
        # Picked by key, the picture is scrolled into view, all of it at 80x24.
        await settle(pilot)
        body = media.query_one("#media-body").region
        assert body.contains_region(media.query(GenerationItem).first().picture.region)
        assert "Zoom" in palette_names(app)
        await pilot.press("z")
        await wait_for(pilot, lambda: showing(app, item["local_path"]))
        view = app.screen
        name = Path(item["local_path"]).name
        assert str(view.query_one("#picture-name").content) == name  # whole, on a line of its own
        facts = str(view.query_one("#picture-facts").content)
        assert size_text(Path(item["local_path"]).stat().st_size) in facts and " px" in facts
        assert str(view.query_one("#picture-folder").content) == f"in {Path(item['local_path']).parent}"
        # It fills the terminal: as tall as the room under the name and folder lines, or as wide.
        full = view.query_one("#picture-full", FittedPicture)
        width, height = full.fitted
        assert height == full.content_size.height or width == full.content_size.width
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is media)
        # q and z close it too; a double click on the picture opens it.
        await pilot.press("z")
        await wait_for(pilot, lambda: isinstance(app.screen, PictureScreen))
        await pilot.press("q")
        await wait_for(pilot, lambda: app.screen is media)
        shown = media.query(GenerationItem).first()
        shown.scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click(shown.picture, times=2)
        await wait_for(pilot, lambda: isinstance(app.screen, PictureScreen))
        await pilot.press("z")
        await wait_for(pilot, lambda: app.screen is media)


async def test_z_on_the_finish_screen_shows_the_cover(tmp_path, standin):
    from cctui.batch import BatchRunner, load_answers
    from cctui.engine.engine import Engine

    settings = standin_settings(tmp_path, standin)
    answers = load_answers(ROOT / "examples" / "quick-clip-answers.json")
    answers["upload_photo"] = {"value": str(draw_pet_photo(tmp_path / "pet.png"))}
    providers = Providers(settings)
    engine = await Engine.open(settings.db_path, providers, settings.runs_dir())
    engine.services.jobs.min_poll = 0.05
    await BatchRunner(engine, answers, out=lambda s: None).run(QUICK_CLIP)
    await engine.close()
    await providers.aclose()

    app = app_harness.TestApp(settings, providers=Providers(settings), now=lambda: NOW, catalogue=Catalogue())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen)
                       and app.screen.query_one("DataTable").row_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.query("#final"))
        screen = app.screen
        cover = screen.query_one("#final").picture.value
        assert "Zoom" in palette_names(app)
        assert "z: zoom the cover" in str(screen.query_one("#final-keys").content)
        await pilot.press("z")
        await wait_for(pilot, lambda: showing(app, cover))
        assert "Cover" in str(app.screen.query_one("#picture-facts").content)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        # A click on the cover opens it too.
        await pilot.click("#final-cover")
        await wait_for(pilot, lambda: showing(app, cover))


def test_a_long_file_name_keeps_its_start_and_its_end():
    assert middle_cut("image_prompts_leonardo_j_2b560abef182_1.png", 20) == "image_prom…182_1.png"
    assert len(middle_cut("image_prompts_leonardo_j_2b560abef182_1.png", 20)) == 20
    assert middle_cut("cover.jpg", 20) == "cover.jpg"


def test_cards_share_a_row_only_when_their_pictures_keep_their_size():
    assert card_columns(116, [2]) == 1  # one card alone takes the row
    assert card_columns(116, [1, 1, 1]) == 3
    assert card_columns(116, [2, 2, 2]) == 2
    assert card_columns(50, [1, 1]) == 1
    assert card_columns(80, []) == 1


# ---------------------------------------------------------------------- sizes


def test_pictures_grow_with_the_terminal(tmp_path):
    """The generated poster of the media screen and its source are bigger at 120x40 than at 80x24."""
    import asyncio

    from test_media_screen import running_and_finished, video_setup, Host, settle as settle_media

    async def sizes(size):
        run, interaction = video_setup(tmp_path, running_and_finished(tmp_path))
        app = Host(MediaScreen(run, interaction))
        async with app.run_test(size=size) as pilot:
            await settle_media(pilot)
            poster = app.media.query_one(GenerationItem).picture
            source = app.media.query_one("#media-source", FittedPicture)
            assert poster.region.height <= app.media.query_one("#media-body").size.height  # all of it on show
            return poster.fitted, source.fitted

    small, big = asyncio.run(sizes((80, 24))), asyncio.run(sizes((120, 40)))
    for (w1, h1), (w2, h2) in zip(small, big):
        assert w2 > w1 and h2 >= h1 + 10
    # Still at least as big as the fixed 12 rows of before at 80x24.
    assert small[0][1] >= 12


# ---------------------------------------------------------------------- snapshot

FIXED = Path("/tmp/cctui-snapshot-picture")  # fixed, so the folder on the screen never changes


class PictureHost(App):
    def __init__(self, path: Path):
        super().__init__()
        self.path = path

    def on_mount(self) -> None:
        self.animation_level = "none"
        self.push_screen(PictureScreen(self.path, title="Cover"))


@pytest.fixture
def fixed_picture():
    with app_harness.taken_in_turn(FIXED):
        yield draw_pet_photo(FIXED / "miso_on_her_cushion.png")


def test_snapshot_full_screen_picture(snap_compare, fixed_picture):
    async def ready(pilot):
        await wait_for(pilot, lambda: showing(pilot.app, fixed_picture))
        await settle(pilot)

    assert snap_compare(PictureHost(fixed_picture), terminal_size=(80, 24), run_before=ready)
