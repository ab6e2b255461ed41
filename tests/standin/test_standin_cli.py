"""`python -m cctui.standin`: prints READY, serves, and keeps jobs and counts across a restart."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def start(state_dir: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "cctui.standin", "--port", "0", "--state-dir", str(state_dir),
                             "--job-seconds", "0.5", *extra], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stdout.readline().strip()
    assert line.startswith("READY http://127.0.0.1:"), line
    return proc, line.split()[1]


def counts(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/_standin/requests") as response:
        return json.load(response)


def test_cli_serves_and_a_restarted_standin_keeps_jobs_and_counts(tmp_path):
    state = tmp_path / "state"
    proc, base = start(state, "--openai-key", "sk-cli")
    try:
        auth = {"authorization": "Bearer sk-cli"}
        assert httpx.get(f"{base}/openai/v1/models", headers={"authorization": "Bearer other"}).status_code == 401
        r = httpx.post(f"{base}/openai/v1/videos", headers=auth,
                       files=[("model", (None, "sora-2")), ("prompt", (None, "a cat naps")),
                              ("seconds", (None, "4")), ("size", (None, "1280x720"))])
        assert r.status_code == 200
        video_id = r.json()["id"]
        assert counts(base)["submits"] == {"POST /openai/v1/videos": 1}
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    proc, base = start(state, "--openai-key", "sk-cli")
    try:
        seen = counts(base)
        assert seen["submits"] == {"POST /openai/v1/videos": 1} and seen["accepted"] == {"POST /openai/v1/videos": 1}
        assert seen["starts"] == 2 and seen["jobs"] == 1
        deadline = time.monotonic() + 10
        while True:
            video = httpx.get(f"{base}/openai/v1/videos/{video_id}", headers=auth).json()
            if video["status"] == "completed" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert video["status"] == "completed"
        mp4 = httpx.get(f"{base}/openai/v1/videos/{video_id}/content", headers=auth)
        assert mp4.content[4:8] == b"ftyp"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0, "SIGTERM stops it cleanly"
