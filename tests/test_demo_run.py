"""The CC workflow in batch mode against the stand-in, over real HTTP with the real clients."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cctui.batch import BatchRunner, load_answers
from cctui.cli import main
from cctui.engine.engine import Engine
from cctui.logs import setup_logging
from cctui.providers.registry import Providers
from cctui.settings import load_settings
from cctui.standin import StandIn

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cc-answers.json"


def test_demo_batch_run_completes_all_ten_steps(tmp_path, cc_workflow, capsys, monkeypatch):
    monkeypatch.setenv("CCTUI_DEMO_JOB_SECONDS", "0.5")
    data = tmp_path / "data"
    code = main(["--data-dir", str(data), "run", str(cc_workflow), "--answers", str(EXAMPLE), "--demo"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert sum(" done: " in line for line in out.out.splitlines()) == 10
    db = sqlite3.connect(data / "cctui.db")
    jobs = db.execute("SELECT provider, action, status, cost_amount, cost_unit, provider_job_id FROM jobs").fetchall()
    assert sorted((p, a) for p, a, *_ in jobs) == [("elevenlabs", "txt2music"), ("elevenlabs", "txt2speech"),
                                                   ("leonardo", "img2vid"),
                                                   ("leonardo", "txt2img"), ("openai", "img2vid"),
                                                   ("openai", "txt2img")]
    assert all(status == "completed" and job_id for _, _, status, _, _, job_id in jobs)
    costs = {(p, a): (amount, unit) for p, a, _, amount, unit, _ in jobs}
    assert costs[("openai", "img2vid")] == (0.4, "usd")  # 4 s of sora-2
    assert costs[("leonardo", "img2vid")][1] == "credits" and costs[("leonardo", "img2vid")][0] > 0
    (narration,) = db.execute("SELECT state FROM runs").fetchone()
    characters = len(json.loads(narration)["narration_text"])
    # Multilingual v2 at $0.10 per 1000 characters of the narration.
    assert costs[("elevenlabs", "txt2speech")] == (pytest.approx(characters * 0.10 / 1000, abs=1e-4), "usd")
    content = db.execute("SELECT kind, provider, local_path FROM content").fetchall()
    kinds = sorted(k for k, _, _ in content)
    assert kinds.count("video") == 2 and kinds.count("image") >= 2 and kinds.count("audio") == 2  # music, voice
    for _, _, path in content:
        assert Path(path).is_file() and Path(path).stat().st_size > 0
    (status,) = db.execute("SELECT status FROM runs").fetchone()
    assert status == "completed"


async def test_no_key_reaches_the_database_logs_or_exports(tmp_path, cc_workflow):
    keys = {"openai": "sk-scan-OPENAI-7f3a9c1e55", "leonardo": "leo-scan-LEONARDO-42b8d0",
            "elevenlabs": "el-scan-ELEVEN-9d1c7a"}
    standin = StandIn(keys=keys, job_seconds=0.3, data_dir=tmp_path / "standin")
    standin.start()
    try:
        urls = standin.base_urls
        settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data",
                                 openai_api_key=keys["openai"], openai_base_url=urls["openai"],
                                 leonardo_api_key=keys["leonardo"], leonardo_base_url=urls["leonardo"],
                                 elevenlabs_api_key=keys["elevenlabs"], elevenlabs_base_url=urls["elevenlabs"],
                                 sora_base_url=urls["sora"])
        log_path = setup_logging(settings)
        providers = Providers(settings)
        engine = await Engine.open(settings.db_path, providers, settings.runs_dir())
        engine.services.jobs.min_poll = 0.05
        run = await BatchRunner(engine, load_answers(EXAMPLE), out=lambda s: None).run(cc_workflow)
        assert run.status == "completed"
        await engine.close()
        await providers.aclose()
    finally:
        standin.stop()
    assert log_path.exists()
    scanned = 0
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            scanned += 1
            for key in keys.values():
                assert key.encode() not in blob, f"{key} found in {path}"
    assert scanned > 10


@pytest.mark.parametrize("tab, params", [
    ("comfyui", {"graph": "ltxv_i2v", "duration": "3"}),
    ("fal", {"model": "fal-ai/wan/v2.2-a14b/image-to-video", "duration": "5"}),
])
def test_a_demo_run_made_with_comfyui_or_fal_ends_with_their_clip(tmp_path, cc_workflow, capsys, monkeypatch,
                                                                  tab, params):
    monkeypatch.setenv("CCTUI_DEMO_JOB_SECONDS", "0.5")
    answers = json.loads(EXAMPLE.read_text())
    answers["generate_and_select_videos"] = {"sub_actions": [{"id": "generate", "tab": tab, "params": params}],
                                             "select": 0}
    given = tmp_path / "answers.json"
    given.write_text(json.dumps(answers))
    data = tmp_path / "data"
    code = main(["--data-dir", str(data), "run", str(cc_workflow), "--answers", str(given), "--demo"])
    out = capsys.readouterr()
    assert code == 0, out.err
    db = sqlite3.connect(data / "cctui.db")
    (status, state) = db.execute("SELECT status, state FROM runs").fetchone()
    assert status == "completed"
    (clip, request) = db.execute("SELECT c.local_path, j.request FROM content c JOIN jobs j ON c.job_id = j.job_id "
                                 "WHERE c.kind = 'video' AND j.provider = ?", (tab,)).fetchone()
    final = json.loads(state)["final_video"]
    assert final["clip_path"] == clip and Path(final["path"]).stat().st_size > 10_000
    sent = json.loads(request)
    if tab == "comfyui":
        assert sent["params"]["graph"]["name"] == "ltxv_i2v" and "/comfyui/" in sent["placement"]["host"]
    else:
        (cost,) = db.execute("SELECT cost_amount FROM jobs WHERE provider = 'fal'").fetchone()
        assert cost == pytest.approx(0.40)  # 5 s of Wan 2.2 at 720p, $0.08 a second
