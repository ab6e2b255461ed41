"""SIGKILL the job worker after it queued a graph on a ComfyUI host: a new worker follows the
same prompt on the same host (from the host stored with the job) to its video, and the host
saw one queue request and has one entry with the job's marker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from PIL import Image

from test_worker_killed import start_standin_with

HERE = Path(__file__).resolve().parent
GRAPH = HERE.parent.parent / "workflows" / "cc" / "steps" / "5_video_generation" / "comfyui" / "wan22_ti2v_5b.json"


def get_json(url: str):
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def test_killed_worker_resumes_on_the_same_host_without_a_second_queue_entry(tmp_path):
    image = tmp_path / "source.png"
    Image.new("RGB", (600, 900), (180, 140, 90)).save(image)
    standin, base = start_standin_with(tmp_path / "standin", "--job-seconds", "3", "--comfy-hosts", "gpu1:busy=1,gpu2")
    try:
        urls = f"{base}/comfyui/gpu1, {base}/comfyui/gpu2"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent.parent), str(HERE)]))
        worker = subprocess.Popen([sys.executable, str(HERE / "comfy_worker_process.py"), "start", str(tmp_path / "data"),
                                   urls, str(image), str(GRAPH)], stdout=subprocess.PIPE, text=True, env=env)
        line = worker.stdout.readline().strip()
        assert line.startswith("QUEUED "), line
        job_id = line.split()[1]
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

        resumed = subprocess.run([sys.executable, str(HERE / "comfy_worker_process.py"), "resume",
                                  str(tmp_path / "data"), urls], capture_output=True, text=True, env=env, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        out = resumed.stdout.strip().splitlines()
        assert out[0] == f'RESUMED ["{job_id}"]'
        result = json.loads(out[-1])
        (job,) = result["jobs"]
        assert job["status"] == "completed", job
        host = f"{base}/comfyui/gpu2"  # gpu1 had a prompt queued already
        assert job["request"]["placement"]["host"] == host
        videos = [c for c in result["content"] if c["kind"] == "video"]
        assert len(videos) == 1 and Path(videos[0]["local_path"]).stat().st_size > 1000

        counts = get_json(f"{base}/_standin/requests")
        assert counts["submits"].get("POST /comfyui/gpu2/prompt") == 1, counts
        assert "POST /comfyui/gpu1/prompt" not in counts["submits"], counts
        history = get_json(f"{host}/history")
        marked = [e for e in history.values() if e["prompt"][3].get("cctui_job", "").endswith(job_id)]
        assert len(marked) == 1
    finally:
        standin.kill()
        standin.wait()
