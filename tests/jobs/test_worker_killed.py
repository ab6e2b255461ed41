"""SIGKILL the job worker after its paid submit and before the job finishes; a new worker polls
the same provider job to the end, and the stand-in saw exactly one submit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent


def start_standin_with(state_dir: Path, *args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "cctui.standin", "--port", "0", "--state-dir", str(state_dir),
                             *args], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    assert line.startswith("READY "), line
    return proc, line.split()[1]


def start_standin(state_dir: Path) -> tuple[subprocess.Popen, str]:
    return start_standin_with(state_dir, "--job-seconds", "3")


def test_killed_worker_resumes_the_same_job_without_a_second_submit(tmp_path):
    image = tmp_path / "source.png"
    Image.new("RGB", (600, 900), (180, 140, 90)).save(image)
    standin, base = start_standin(tmp_path / "standin")
    try:
        sora_url = f"{base}/openai/v1"
        env = dict(os.environ, PYTHONPATH=str(HERE.parent.parent))
        worker = subprocess.Popen([sys.executable, str(HERE / "worker_process.py"), "start", str(tmp_path / "data"),
                                   sora_url, str(image)], stdout=subprocess.PIPE, text=True, env=env)
        line = worker.stdout.readline().strip()
        assert line.startswith("SUBMITTED "), line
        job_id = line.split()[1]
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

        resumed = subprocess.run([sys.executable, str(HERE / "worker_process.py"), "resume", str(tmp_path / "data"),
                                  sora_url], capture_output=True, text=True, env=env, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        out = resumed.stdout.strip().splitlines()
        assert out[0] == f'RESUMED ["{job_id}"]'
        result = json.loads(out[-1])
        (job,) = result["jobs"]
        assert job["job_id"] == job_id and job["status"] == "completed", job
        assert job["cost_amount"] == 0.4 and job["cost_unit"] == "usd"  # 4 s of sora-2 at $0.10
        videos = [c for c in result["content"] if c["kind"] == "video"]
        assert len(videos) == 1 and Path(videos[0]["local_path"]).stat().st_size > 1000

        with urllib.request.urlopen(f"{base}/_standin/requests") as response:
            counts = json.load(response)
        assert counts["submits"].get("POST /openai/v1/videos") == 1, counts
    finally:
        standin.kill()
        standin.wait()
