"""A job worker in its own process, so a test can SIGKILL it for real.

    python worker_process.py start  DATA_DIR SORA_BASE_URL IMAGE   -> prints "SUBMITTED <job_id>", then waits
    python worker_process.py resume DATA_DIR SORA_BASE_URL         -> resumes, waits, prints the job row as JSON
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
import sqlite3
import sys
from pathlib import Path

from cctui.jobs.manager import JobManager
from cctui.providers.base import MediaRequest
from cctui.providers.registry import Providers
from cctui.settings import load_settings
from cctui.store.db import Store


def committed_job(db_path: Path, job_id: str) -> dict:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    try:
        return dict(db.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone())
    finally:
        db.close()


async def run_worker(mode: str, data_dir: Path, settings, request: MediaRequest | None, prompt_key: str,
                     said: str = "SUBMITTED") -> None:
    """`start`: start `request` and print `said <job_id>` once its provider id is committed, then
    wait to be killed; `resume`: resume, wait, print the run's jobs and content as JSON."""
    store = await Store.open(data_dir / "cctui.db")
    providers = Providers(settings)
    jobs = JobManager(store, providers, min_poll=0.1)
    if mode == "start":
        run_id = await store.create_run("t", "/t", {}, {"step": 0, "module": 0})
        job_id = await jobs.start(request, run_id=run_id, interaction_id=None, step_id="video_generation",
                                  module="generate_and_select_videos", prompt_key=prompt_key)
        # Read as another process would, through its own connection: only what is committed.
        while not (job := committed_job(data_dir / "cctui.db", job_id))["provider_job_id"]:
            if job["status"] in ("failed", "unknown"):
                print("FAILED", job["error"], flush=True)
                sys.exit(1)
            await asyncio.sleep(0.01)
        print(said, job_id, flush=True)
        await asyncio.sleep(3600)
    else:
        print("RESUMED", json.dumps(await jobs.resume()), flush=True)
        await jobs.wait(timeout=120)
        rows = await store.jobs_of_run((await store.list_runs())[0].run_id)
        content = await store.content_of_run(rows[0].run_id)
        print(json.dumps({"jobs": [asdict(r) for r in rows], "content": [asdict(c) for c in content]},
                         default=str), flush=True)
        await providers.aclose()
        await store.close()


async def main(mode: str, data_dir: Path, sora_url: str, image: str | None) -> None:
    settings = load_settings(env={}, config_file=data_dir / "none.toml", data_dir=data_dir,
                             openai_api_key="sk-worker-test", sora_base_url=sora_url)
    request = MediaRequest(action="img2vid", provider="openai",
                           params={"prompt": "curtains sway gently", "duration": "4",
                                   "aspect_ratio": "9:16", "quality": "720p"},
                           source_image={"content_id": "c_src", "local_path": image},
                           media_dir=str(data_dir / "media")) if mode == "start" else None
    await run_worker(mode, data_dir, settings, request, "sora")


if __name__ == "__main__":
    mode, data_dir, url = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    asyncio.run(main(mode, data_dir, url, sys.argv[4] if len(sys.argv) > 4 else None))
