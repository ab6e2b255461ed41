"""Hostile text from an LLM or a provider never reaches the terminal (or an exported file) raw.

An answer carrying `ESC]52;c;...BEL` would write the creator's clipboard, `ESC]0;...BEL` the
window title, `ESC[2J` clear the screen, and C1 bytes are CSI/OSC to some terminals. Each test
pushes such text through one way out and checks that no control character is left in what
comes out, while the text itself is still there, made visible.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import time
from pathlib import Path

import pytest

from cctui.safe_text import LINE_LIMIT, clean, clean_deep

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))  # the app harness lives there

HOSTILE = [
    "\x1b]52;c;SGVsbG8=\x07",  # OSC 52: write the clipboard
    "\x1b]0;pwned\x07",  # window title
    "\x1b[2J\x1b[H",  # clear screen, cursor home
    "\x9b31m",  # C1 CSI
    "\x9d0;x\x9c",  # C1 OSC ... ST
    "a\rb",  # carriage return: overwrite what was shown
    "\x00",
    "\x7f",
    "\u202eevil",  # right-to-left override
    "\u2066iso\u2069",
]
LONG_LINE = "A" * 50_000
# What may not survive: C0 except tab and newline, DEL, C1, bidi embeddings/overrides/isolates.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_harmless(text: str, where: str = "") -> None:
    found = UNSAFE.search(text)
    if found is not None:
        around = text[max(0, found.start() - 40):found.start() + 40]
        raise AssertionError(f"{where}: raw {found.group()!r} at {found.start()}: {around!r}")


# ---------------------------------------------------------------------- clean


@pytest.mark.parametrize("text", HOSTILE + [LONG_LINE + "\x1b"], ids=lambda text: ascii(text)[:24])
def test_clean_leaves_no_control_character(text):
    out = clean(text)
    assert_harmless(out)
    assert clean(out) == out  # cleaning twice changes nothing


def test_controls_become_visible_stand_ins():
    assert clean("\x1b]52;c;SGVsbG8=\x07") == "␛]52;c;SGVsbG8=␇"
    assert clean("a\rb\x00\x7f") == "a␍b␀␡"
    assert clean("\x9b31m") == "<U+009B>31m"
    assert clean("\u202eevil") == "<U+202E>evil"
    assert "\x1b".encode() not in clean("\x1b[2J").encode() and b"\x9b" not in clean("\x9b").encode()


def test_ordinary_text_is_kept():
    text = "Snow day 🐶 — café, naïve\tTab\nNew line, Привет, مرحبا \u200e\u200f ✓"
    assert clean(text) == text


def test_long_lines_are_cut_only_when_asked():
    assert clean(LONG_LINE) == LONG_LINE
    cut = clean(LONG_LINE + "\nshort\n" + "B" * 20_000, LINE_LIMIT)
    first, middle, last = cut.split("\n")
    assert len(first) == LINE_LIMIT and first.endswith("…") and middle == "short"
    assert len(last) == LINE_LIMIT
    assert clean("x" * LINE_LIMIT, LINE_LIMIT) == "x" * LINE_LIMIT


def test_clean_is_fast():
    big = ("A scene of snow, \x1b[2J and more. " * 40_000)  # about 1.3 MB
    start = time.perf_counter()
    out = clean(big, LINE_LIMIT)
    assert time.perf_counter() - start < 0.5
    assert_harmless(out)


def test_clean_deep_copies_and_cleans_keys_and_values():
    value = {"\x1b]0;k\x07": ["\x9b1m", {"n": 3, "t": ("\x07", None, True)}], "ok": 1.5}
    out = clean_deep(value)
    assert out == {"␛]0;k␇": ["<U+009B>1m", {"n": 3, "t": ("␇", None, True)}], "ok": 1.5}
    assert value["\x1b]0;k\x07"][0] == "\x9b1m"  # the original is untouched
    assert_harmless(json.dumps(out, ensure_ascii=False))


# ---------------------------------------------------------------------- the app


_turn = itertools.count()


def poisoned(value):
    """Every string of an LLM answer with a hostile string in front (taking turns)."""
    if isinstance(value, dict):
        return {k: poisoned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [poisoned(v) for v in value]
    if isinstance(value, str):
        return HOSTILE[next(_turn) % len(HOSTILE)] + " " + value
    return value


def widget_texts(app) -> list[str]:
    texts = []
    for screen in app.screen_stack:
        for widget in screen.walk_children(with_self=True):
            for name in ("content", "value", "text", "border_title", "border_subtitle", "title", "sub_title"):
                value = getattr(widget, name, None)
                if isinstance(value, str) or (value is not None and type(value).__name__ in ("Content", "Text")):
                    texts.append(str(value))
            try:
                texts.append(str(widget.render()))
            except Exception:  # some widgets render only when mounted and sized
                pass
    return texts


def assert_app_harmless(app) -> str:
    shot = app.export_screenshot()
    assert_harmless(shot, "screenshot")
    for text in widget_texts(app):
        assert_harmless(text, "widget")
    return shot


async def test_hostile_scene_cards_are_shown_harmless(tmp_path):
    from app_harness import make_test_app, settle, wait_for
    from cctui.providers.base import LLMResult
    from cctui.ui.screens.run_screen import RunScreen
    from test_app_snapshots import at, to_scenes

    app = make_test_app(tmp_path)
    llm = app.fake_providers.llm_provider
    complete = llm.complete

    async def hostile(request):
        result = await complete(request)
        if "scene" not in request.schema_name:
            return result
        data = poisoned(result.data)
        data["scenes"][-1]["narrative"] = LONG_LINE + "\x1b[2J"
        return LLMResult(data=data, raw_text=json.dumps(data), model=result.model, usage=result.usage)

    llm.complete = hostile
    async with app.run_test(size=(120, 40)) as pilot:
        await to_scenes(pilot, app)
        await wait_for(pilot, lambda: at(app, "select_scene"), timeout=30)
        await settle(pilot)
        shot = assert_app_harmless(app)
        assert "␛" in shot and "SGVsbG8=␇" in shot.replace("&#160;", " ")  # shown, made visible
        screen = next(s for s in app.screen_stack if isinstance(s, RunScreen))
        assert len(screen.interaction.display["data"]["scenes"][-1]["narrative"]) == LINE_LIMIT

        app.notify("\x1b]52;c;SGVsbG8=\x07 provider said \x9b31m", title="\x1b]0;pwned\x07", markup=False)
        await settle(pilot)
        toasts = [str(n.message) + str(n.title) for n in app._notifications]
        assert toasts and all(UNSAFE.search(t) is None for t in toasts)
        assert "␛]52;c;SGVsbG8=␇" in "".join(toasts)
        assert_app_harmless(app)


async def test_a_hostile_provider_error_is_shown_harmless(tmp_path):
    from app_harness import make_test_app, settle, wait_for
    from cctui.providers.base import ProviderError
    from cctui.ui.screens.run_screen import RunScreen
    from test_app_snapshots import to_scenes

    app = make_test_app(tmp_path)

    async def refuse(request):
        raise ProviderError("OpenAI said: \x1b]52;c;SGVsbG8=\x07\x1b]0;pwned\x07\x1b[2J\x9b31m \u202eevil",
                            "auth", provider="openai")

    app.fake_providers.llm_provider.complete = refuse
    async with app.run_test(size=(120, 40)) as pilot:
        await to_scenes(pilot, app)
        await wait_for(pilot, lambda: any(isinstance(s, RunScreen) and s.run.status == "error"
                                          and s.query("#error-text") for s in app.screen_stack), timeout=30)
        await settle(pilot)
        shot = assert_app_harmless(app)
        assert "␛]52;c;SGVsbG8=␇" in shot


async def test_hostile_generation_cards_are_shown_harmless(tmp_path, monkeypatch):
    from cctui.ui import terminal_images
    from app_harness import settle, wait_for
    from cctui.ui.screens.media_screen import MediaScreen
    from cctui.ui.widgets.media_form import MediaForm
    from test_media_screen import VIDEO_PROMPTS, FakeRun, Host, generation, make_interaction

    monkeypatch.setattr(terminal_images, "chosen", "halfcell")
    bad = "\x1b]52;c;SGVsbG8=\x07\x1b[2J\x9b31m\u202e"
    gens = [generation("j_1", "leonardo", status="failed", error=f"Leonardo said {bad}",
                       params={"prompt": f"a corgi {bad}", "model": f"M{bad}"}),
            generation("j_2", "sora", status="running", params={"prompt": f"snow {bad}"})]
    prompts = {tab: {k: f"{v} {bad}" for k, v in values.items()} for tab, values in VIDEO_PROMPTS.items()}
    interaction = make_interaction("video_generation", prompts, generations=gens[:1])
    screen = MediaScreen(FakeRun(gens), interaction)
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(screen._cards) == 2)
        await settle(pilot)
        assert "␛" in assert_app_harmless(app)  # the error and prompts are shown, made visible
        form = screen.query(MediaForm).first()
        form.show_error(f"refused: {bad}")
        await pilot.pause()
        assert_app_harmless(app)
        assert all(UNSAFE.search(str(v)) is None for v in form.raw_values().values())


# ---------------------------------------------------------------------- exports and batch output


async def test_an_export_of_hostile_state_writes_no_control_character(tmp_path, cc_workflow):
    from cctui.export import export_run
    from cctui.store.db import Store
    from cctui.workflow.loader import load_workflow

    bad = "\x1b]52;c;SGVsbG8=\x07\x1b]0;pwned\x07\x1b[2J\x9b31m\x9d0;x\x9c\u202eevil\r\x00\x7f"
    state = {
        "selected_title": f"Title {bad}",
        "selected_description": {"text": f"Description {bad}", "hashtags": [f"tag{bad}"]},
        "selected_text_overlay": {"lines": [f"line one {bad}", f"line two {bad}"]},
        "duration_selection": {"video_duration": 6},
        "workflow_summary_text": f"# Summary {bad}\n\nA scene {bad}\n",
        f"key{bad}": [bad],
    }
    store = await Store.open(tmp_path / "data" / "db.sqlite")
    try:
        run_id = await store.create_run("cuddle_crew", "workflows/cc", state, {"step": 9, "module": 0})
        await export_run(store, run_id, tmp_path / "export", results=load_workflow(cc_workflow).results)
    finally:
        await store.close()
    folder = tmp_path / "export"
    for name in ("captions.txt", "overlays.srt", "summary.md", "run.json", "costs.json"):
        data = (folder / name).read_bytes()
        assert b"\x1b" not in data and b"\x07" not in data and b"\x00" not in data, name
        assert_harmless(data.decode("utf-8"), name)
    assert "␛]52;c;SGVsbG8=␇" in (folder / "captions.txt").read_text(encoding="utf-8")
    assert "line one ␛" in (folder / "overlays.srt").read_text(encoding="utf-8")
    # The machine-readable state stays exact: the escapes are JSON's.
    assert json.loads((folder / "run.json").read_text(encoding="utf-8"))["state"] == state


async def test_batch_output_is_cleaned(tmp_path, cc_workflow):
    from cctui.batch import BatchError, BatchRunner, load_answers
    from cctui.engine.engine import Engine
    from cctui.providers.base import JobProgress, ProviderError
    from fakes import FakeProviders

    providers = FakeProviders()
    bad = "\x1b]52;c;SGVsbG8=\x07\x1b]0;pwned\x07\x9b31m \u202eevil"

    async def fail(provider_job_id, request):
        return JobProgress("failed", error=ProviderError(f"the provider said {bad}", "failed"))

    for media in providers.media_providers.values():
        media.poll = fail
    answers = load_answers(Path(__file__).resolve().parents[2] / "examples" / "cc-answers.json")
    lines: list[str] = []
    engine = await Engine.open(tmp_path / "db", providers, tmp_path / "runs")
    engine.services.jobs.min_poll = 0.01
    try:
        with pytest.raises(BatchError):  # the failed generation stops the run, after its line
            await BatchRunner(engine, answers, out=lines.append, job_timeout=30).run(cc_workflow)
    finally:
        await engine.close()
    failed = [line for line in lines if " failed" in line]
    assert failed and "the provider said ␛]52;c;SGVsbG8=␇␛]0;pwned␇<U+009B>31m <U+202E>evil" in failed[0]
    for line in lines:
        assert_harmless(line, "batch line")
