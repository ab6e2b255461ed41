"""Your own pet: a whole CC run in the real app by key presses, against the provider stand-in over
HTTP with the real clients, where step 3's source image is the creator's photo (the "Your photo"
tab, a path pasted) instead of a generated one. The photo is stored turned on its side with an
EXIF orientation: the run's copy, the analysis and the Leonardo init image get it upright. Nothing
is sent to any provider for the photo; the init image uploaded for the video is its bytes.
And a snapshot at 80x24 of the tab."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from cctui.settings import SecretStr
from textual import events

import app_harness
from app_harness import NOW, WORKFLOW, run_screen, settings_for, settle, taken_in_turn, wait_for, waiting_at
from cctui.providers.registry import Providers
from cctui.standin import StandIn
from cctui.ui.screens.media_screen import MediaScreen
from cctui.ui.screens.runs_screen import RunsScreen
from cctui.ui.widgets.photo_picker import PhotoPicker
from pet_photo import GINGER, draw_pet_photo


def photo_on_its_side(path: Path) -> Image.Image:
    """The pet photo as a phone stores it when held upright: the pixels turned a quarter to the
    left (720x1280 becomes 1280x720) and EXIF orientation 6 saying "turn right to show". Returns
    the upright picture, what a viewer shows."""
    upright_path = draw_pet_photo(path.with_name("upright.png"), size=(720, 1280))
    upright = Image.open(upright_path).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    upright.rotate(90, expand=True).save(path, "JPEG", quality=95, exif=exif.tobytes())
    return upright


def standin_settings(tmp_path: Path, standin: StandIn):
    urls = standin.base_urls
    return settings_for(tmp_path).model_copy(update={
        "openai_base_url": urls["openai"], "leonardo_base_url": urls["leonardo"],
        "elevenlabs_base_url": urls["elevenlabs"], "sora_base_url": urls["sora"], "demo": True,
        "openai_api_key": SecretStr("demo-key"), "leonardo_api_key": SecretStr("demo-key"),
        "elevenlabs_api_key": SecretStr("demo-key")})


class Keys:
    """The pilot's presses (and pastes), counted: what the creator had to do."""

    def __init__(self, pilot):
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        self.count += len(keys)
        await self.pilot.press(*keys)

    async def paste(self, text: str) -> None:
        self.count += 1  # one ctrl+shift+v (or a drop of the file on the terminal)
        self.pilot.app.post_message(events.Paste(text))
        await self.pilot.pause()


def media_done(app, count: int) -> bool:
    screen = app.screen
    return (isinstance(screen, MediaScreen) and len(screen.generations) == count
            and all(g["status"] == "completed" for g in screen.generations))


def differs(a: Image.Image, b: Image.Image) -> float:
    """The mean difference of two pictures of one size, 0..255 (JPEG noise stays under 2)."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).convert("L")
    return sum(i * n for i, n in enumerate(diff.histogram())) / (a.width * a.height)


async def test_your_own_photo_becomes_the_clip_by_keys(tmp_path, standin):
    photo = tmp_path / "pictures" / "IMG_2041.JPG"
    photo.parent.mkdir()
    upright = photo_on_its_side(photo)
    settings = standin_settings(tmp_path, standin)
    app = app_harness.TestApp(settings, providers=Providers(settings), workflow_dir=WORKFLOW, now=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        keys = Keys(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.store_ready)
        app.engine.services.jobs.min_poll = 0.05
        await keys.press("n")
        for module in ("select_pet_type", "select_aesthetic", "select_duration", "get_user_direction"):
            await wait_for(pilot, lambda m=module: waiting_at(app, m))
            await keys.press("ctrl+s" if module == "get_user_direction" else "enter")
        await wait_for(pilot, lambda: waiting_at(app, "select_scene"), timeout=20)
        await keys.press("enter")

        # Step 3: the "Your photo" tab (the last: `[` wraps to it), the path pasted, enter, enter.
        await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen), timeout=20)
        media = app.screen
        asked_before = len(standin.requests)
        step_three = keys.count
        await keys.press("left_square_bracket")
        assert media.current_tab == "your_photo" and isinstance(app.focused.parent.parent, PhotoPicker)
        await keys.paste(str(photo))
        await keys.press("enter")
        await wait_for(pilot, lambda: media_done(app, 1) and media.selected_item is not None)
        assert len(standin.requests) == asked_before  # nothing was sent anywhere for the photo
        (generation,) = media.generations
        assert (generation["provider"], generation["tab"], generation["cost"]) == ("you", "your_photo", None)
        await keys.press("enter")
        assert keys.count - step_three == 4, f"the photo took {keys.count - step_three} presses: [ paste enter enter"

        # Step 4 ran on the photo; step 5: two motion elements, a Leonardo video from the photo.
        screen = run_screen(app)
        await wait_for(pilot, lambda: waiting_at(app, "select_motion_elements"), timeout=20)
        state = screen.run.state
        copy = Path(state["selected_image_data"]["local_path"])
        assert copy.parent == screen.run.run_dir / "uploads" and state["selected_image_data"]["provider"] == "you"
        with Image.open(copy) as stored:
            assert stored.size == (720, 1280) and differs(stored, upright) < 3  # turned upright, same picture
        assert state["image_analysis"]
        await keys.press("space", "down", "space", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen)
                       and app.screen.interaction.module_name == "generate_and_select_videos", timeout=20)
        videos = app.screen
        assert videos.display_data["source_image"]["local_path"] == str(copy)
        await keys.press("g")
        await wait_for(pilot, lambda: media_done(app, 1), timeout=30)
        await keys.press("enter")

        # Steps 6-7 as offered; the narration skipped (s on its voice screen); the music; the render.
        for module in ("select_text_overlay", "select_title", "select_description"):
            await wait_for(pilot, lambda m=module: waiting_at(app, m), timeout=20)
            await keys.press("enter")
        await wait_for(pilot, lambda: waiting_at(app, "review_narration"), timeout=20)
        await keys.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen)
                       and app.screen.interaction.module_name == "generate_narration", timeout=20)
        await keys.press("s")
        for module in ("select_music_option", "select_music_prompt"):
            await wait_for(pilot, lambda m=module: waiting_at(app, m), timeout=20)
            await keys.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen)
                       and app.screen.interaction.module_name == "generate_music", timeout=20)
        await keys.press("g")
        await wait_for(pilot, lambda: media_done(app, 1), timeout=30)
        await keys.press("enter")
        await wait_for(pilot, lambda: waiting_at(app, "assemble_video") and screen.query("#assemble"), timeout=20)
        await keys.press("enter")
        await wait_for(pilot, lambda: screen.run.status == "completed" and screen.query("#final"), timeout=60)
        final = Path(screen.run.state["final_video"]["path"])
        assert final.is_file() and final.suffix == ".mp4"

    # The init image Leonardo got is the run's upright copy, byte for byte (already 9:16: not cropped).
    assert standin.count("POST", r"/init-image$", regex=True) == 1
    (uploaded,) = (standin.data_dir / "inputs" / "leonardo").glob("*")
    assert uploaded.read_bytes() == copy.read_bytes()
    with Image.open(io.BytesIO(uploaded.read_bytes())) as sent:
        assert sent.size == (720, 1280) and differs(sent, upright) < 3
        assert sent.convert("RGB").getpixel((360, 820)) == pytest.approx(GINGER, abs=12)  # the cat's body
    assert photo.read_bytes() != copy.read_bytes()  # the original, on its side, was left alone
    # 24, and 2 for the narration: its text as written (ctrl+s), no voice (s).
    assert keys.count == 26, f"the whole run took {keys.count} key presses (26 expected)"


# ---------------------------------------------------------------------------- snapshot (80x24)

PICTURES = Path("/tmp/cctui-snapshot-your-photo")  # fixed: the tree shows this folder's name


@pytest.fixture
def pictures_folder(monkeypatch):
    """A fixed folder with two pictures, a note and a subfolder; cctui "started" there."""
    with taken_in_turn(PICTURES):
        shutil.rmtree(PICTURES, ignore_errors=True)
        draw_pet_photo(PICTURES / "miso.jpg", size=(90, 160))
        draw_pet_photo(PICTURES / "biscuit.png", size=(90, 160))
        (PICTURES / "notes.txt").write_text("not a picture")
        (PICTURES / "holiday").mkdir()
        (PICTURES / ".cache").mkdir()
        monkeypatch.chdir(PICTURES)
        yield PICTURES


def test_snapshot_your_photo_tab(snap_compare, tmp_path, standin, pictures_folder):
    settings = standin_settings(tmp_path, standin)
    app = app_harness.TestApp(settings, providers=Providers(settings), workflow_dir=WORKFLOW, now=lambda: NOW)

    async def ready(pilot):
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("n")
        for module in ("select_pet_type", "select_aesthetic", "select_duration", "get_user_direction"):
            await wait_for(pilot, lambda m=module: waiting_at(app, m))
            await pilot.press("ctrl+s" if module == "get_user_direction" else "enter")
        await wait_for(pilot, lambda: waiting_at(app, "select_scene"), timeout=20)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MediaScreen), timeout=20)
        await pilot.press("left_square_bracket")
        await pilot.press(*"nope.jpg", "enter")  # a wrong path first: the message it leaves
        await wait_for(pilot, lambda: app.screen.query(".photo-error.-shown"))
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)
