"""A job whose submit may or may not have arrived waits for the creator: `cctui jobs` lists it,
`--dismiss` gives up on it, `--resubmit` sends it again (once) and follows it to the end."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time

from PIL import Image

from cctui.cli import main
from cctui.providers.base import MediaRequest
from cctui.standin import StandIn
from cctui.store.db import Store


def make_unknown_job(db_path, image, media_dir) -> str:
    async def create():
        store = await Store.open(db_path)
        run_id = await store.create_run("t", "/t", {}, {"step": 0, "module": 0})
        request = MediaRequest(action="img2vid", provider="openai",
                               params={"prompt": "curtains sway", "duration": "4", "aspect_ratio": "9:16",
                                       "quality": "720p"},
                               source_image={"content_id": "c_src", "local_path": str(image)},
                               media_dir=str(media_dir), stem="video_generation_sora_j_test")
        job_id = await store.create_job(run_id=run_id, interaction_id=None, step_id="video_generation",
                                        module="generate_and_select_videos", provider="openai",
                                        action="img2vid", prompt_key="sora", request=request.to_json())
        await store.update_job(job_id, status="unknown", error="cctui stopped while sending this request",
                               # sent ten minutes ago: one look at the provider's list is enough
                               submit_started_at=time.time() - 600)
        await store.close()
        return job_id

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, create()).result()


def test_list_dismiss_and_resubmit_an_unknown_job(tmp_path, monkeypatch, capsys):
    image = tmp_path / "src.png"
    Image.new("RGB", (500, 800), (120, 90, 60)).save(image)
    data = tmp_path / "data"
    standin = StandIn(keys=None, job_seconds=0.3, data_dir=tmp_path / "standin")
    standin.start()
    try:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-unknown")
        monkeypatch.setenv("CCTUI_SORA_BASE_URL", standin.base_urls["sora"])
        first = make_unknown_job(data / "cctui.db", image, data / "media")
        second = make_unknown_job(data / "cctui.db", image, data / "media")
        assert main(["--data-dir", str(data), "jobs"]) == 0
        listed = capsys.readouterr().out
        assert first in listed and second in listed and "unknown" in listed

        assert main(["--data-dir", str(data), "jobs", "--dismiss", first]) == 0
        assert f"{first}: dismissed" in capsys.readouterr().out
        assert standin.count("POST", "/openai/v1/videos") == 0  # nothing was sent on its own

        # Not on a terminal: a new paid request needs --yes, and nothing is sent without it.
        assert main(["--data-dir", str(data), "jobs", "--resubmit", second]) == 2
        err = capsys.readouterr().err
        assert "--yes" in err and "paid" in err
        assert standin.count("POST", "/openai/v1/videos") == 0
        assert main(["--data-dir", str(data), "jobs", "--resubmit", second, "--yes"]) == 0
        assert f"{second}: completed" in capsys.readouterr().out
        assert standin.count("POST", "/openai/v1/videos") == 1
        assert main(["--data-dir", str(data), "jobs", "--resubmit", second]) == 2  # done: nothing to decide
        assert "wait for a decision" in capsys.readouterr().err
    finally:
        standin.stop()
