"""Issue 5's bar: a demo run ends with a post-ready MP4, an export bundle and a ledger that adds up.

One whole demo run in batch mode (the stand-in, over HTTP, the real clients) is shared by the
tests below; ffmpeg is the one imageio-ffmpeg installs, and nothing here is mocked.
"""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from cctui.cli import main
from cctui.demo import DEMO_KEY
from cctui.media import ffmpeg_exe, plate_image, plate_position, probe

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cc-answers.json"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("final") / "data"
    mp = pytest.MonkeyPatch()
    mp.setenv("CCTUI_DEMO_JOB_SECONDS", "0.3")
    try:
        code = main(["--data-dir", str(data), "run", str(ROOT / "workflows" / "cc"), "--answers", str(EXAMPLE),
                     "--demo"])
    finally:
        mp.undo()
    assert code == 0
    db = sqlite3.connect(data / "cctui.db")
    db.row_factory = sqlite3.Row
    run = db.execute("SELECT * FROM runs").fetchone()
    return {"data": data, "db": db, "run_id": run["run_id"], "state": json.loads(run["state"]),
            "export": data / "runs" / run["run_id"] / "export"}


def frame(video: Path, t: float) -> Image.Image:
    png = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(video), "-frames:v", "1",
                          "-f", "image2pipe", "-vcodec", "png", "-"], capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(png)).convert("L")


def darkened(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int]) -> float:
    """The share of pixels in `box` that are much darker in `a` than in `b` (a plate over b)."""
    pa, pb = a.crop(box).get_flattened_data(), b.crop(box).get_flattened_data()
    return sum(1 for x, y in zip(pa, pb) if x < 0.6 * y and y > 40) / len(pa)


def test_the_final_mp4_has_the_duration_size_and_streams(demo_run):
    final = demo_run["export"] / "final.mp4"
    info = probe(final)
    duration = demo_run["state"]["duration_selection"]["video_duration"]
    assert abs(info.duration - duration) <= 0.1
    assert [(s.codec, s.width, s.height) for s in info.video] == [("h264", 1080, 1920)]
    assert [s.codec for s in info.audio] == ["aac"]
    assert demo_run["state"]["final_video"]["music"]["source"] == "generated"


def test_each_overlay_line_shows_on_its_plate_and_nothing_between(demo_run):
    final = demo_run["export"] / "final.mp4"
    duration = demo_run["state"]["final_video"]["duration"]
    cues = demo_run["state"]["final_video"]["cues"]
    assert [c["text"] for c in cues] == demo_run["state"]["selected_text_overlay"]["lines"]
    # Moments with no line: the lead-in, each gap between lines, the tail.
    gap_times = [cues[0]["start"] / 2] + [(a["end"] + b["start"]) / 2 for a, b in zip(cues, cues[1:])] + \
        [(cues[-1]["end"] + duration) / 2]
    gaps = [frame(final, t) for t in gap_times]
    for i, cue in enumerate(cues):
        plate = plate_image(cue["text"], frame_width=1080)
        x, y = plate_position(plate.width, plate.height, 1080, 1920)
        box = (x, y, x + plate.width, y + plate.height)
        middle = frame(final, (cue["start"] + cue["end"]) / 2)
        assert darkened(middle, gaps[i], box) > 0.5, f"no plate for line {i + 1} at its midpoint"
        assert sum(1 for p in middle.crop(box).get_flattened_data() if p > 200) > 500  # the text, bright on the plate
        # No gap frame is darkened in the plate's place compared with any other gap frame (a
        # plate darkens more than half of it; the clip's own motion a few per cent).
        for j, gap in enumerate(gaps):
            other = gaps[(j + 1) % len(gaps)]
            assert darkened(gap, other, box) < 0.1, f"something dark at {gap_times[j]:.2f} s, between lines"


def test_the_export_folder_has_every_file(demo_run):
    export = demo_run["export"]
    assert sorted(p.name for p in export.iterdir()) == [
        "captions.ass", "captions.srt", "captions.txt", "clip.mp4", "costs.json", "cover.jpg", "final.mp4",
        "music.mp3", "narration.mp3", "narration.txt", "overlays.srt", "run.json", "source_image.png", "summary.md"]
    state = demo_run["state"]
    captions = (export / "captions.txt").read_text(encoding="utf-8")
    assert captions.startswith(state["selected_title"] + "\n\n" + state["selected_description"]["text"] + "\n\n")
    assert (export / "summary.md").read_text(encoding="utf-8") == state["workflow_summary_text"]
    srt = (export / "overlays.srt").read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:00,500 --> ") and state["selected_text_overlay"]["lines"][-1] in srt
    assert json.loads((export / "run.json").read_text())["state"]["selected_title"] == state["selected_title"]
    assert (export / "clip.mp4").read_bytes() == Path(state["selected_video_data"]["local_path"]).read_bytes()
    with Image.open(export / "cover.jpg") as cover:
        assert cover.size == (1080, 1920)


def test_cctui_export_writes_the_same_bundle_elsewhere(demo_run, tmp_path, capsys):
    code = main(["--data-dir", str(demo_run["data"]), "export", demo_run["run_id"], str(tmp_path / "out")])
    assert code == 0
    folder = tmp_path / "out" / demo_run["run_id"]
    assert f"exported run {demo_run['run_id']} to {folder}" in capsys.readouterr().out
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(p.name for p in demo_run["export"].iterdir())
    assert (folder / "final.mp4").read_bytes() == (demo_run["export"] / "final.mp4").read_bytes()
    assert main(["--data-dir", str(demo_run["data"]), "export", "no-such-run"]) == 2
    assert "no run 'no-such-run'" in capsys.readouterr().err


def test_the_ledger_adds_up_to_the_jobs_and_counts_llm_tokens(demo_run, capsys):
    db = demo_run["db"]
    jobs = {r["job_id"]: (r["cost_amount"], r["cost_unit"]) for r in db.execute("SELECT * FROM jobs")}
    rows = db.execute("SELECT * FROM costs").fetchall()
    job_rows = {r["job_id"]: (r["amount"], r["currency"]) for r in rows if r["job_id"]}
    assert job_rows == jobs and all(amount is not None and amount > 0 for amount, _ in jobs.values())
    llm = [r for r in rows if r["kind"] == "llm"]
    assert len(llm) >= 7 and all(r["units"] > 0 and r["amount"] > 0 for r in llm)
    costs = json.loads((demo_run["export"] / "costs.json").read_text())
    for currency in ("usd", "credits"):
        expected = sum(a for a, c in jobs.values() if c == currency) + sum(r["amount"] for r in llm if
                                                                           r["currency"] == currency)
        assert costs["totals"][currency] == pytest.approx(expected)
    assert len(costs["entries"]) == len(rows)
    assert main(["--data-dir", str(demo_run["data"]), "runs"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[0]
    assert line.startswith(demo_run["run_id"]) and f"${costs['totals']['usd']:.2f}" in line
    assert "  completed  done  " in line  # not "step 10" of a 9-step workflow
    assert f"{costs['totals']['credits']:g} cr" in line


def test_no_key_in_any_exported_file(demo_run):
    for path in demo_run["export"].iterdir():
        assert DEMO_KEY.encode() not in path.read_bytes(), path.name
