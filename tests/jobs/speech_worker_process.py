"""A narration (ElevenLabs voice) job worker in its own process, so a test can SIGKILL it for real.

    python speech_worker_process.py send          DATA_DIR ELEVENLABS_URL -> "SENDING <job_id>", then waits
    python speech_worker_process.py answered      DATA_DIR ELEVENLABS_URL -> "ANSWERED <job_id>" once the
                                                  voice is on disk, then waits
    python speech_worker_process.py saved         DATA_DIR ELEVENLABS_URL -> "SAVED <job_id>", then waits
    python speech_worker_process.py resume        DATA_DIR ELEVENLABS_URL -> resumes, waits, prints the rows

`answered` stops the manager just before it stores the provider's id (the voice and its words
are already written), `saved` just before it stores the finished job (the id and its charge are
committed): the two moments after the paid answer in which a kill can still fall.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from worker_process import committed_job, run_worker

from cctui.jobs.manager import JobManager
from cctui.providers.base import MediaRequest
from cctui.providers.registry import Providers
from cctui.settings import load_settings
from cctui.store.db import Store

TEXT = "I am the cat of this house, and the sofa knows it."
VOICE = "21m00Tcm4TlvDq8ikWAM"


def stop_before(method: str, said: str | None = None) -> None:
    """Make the manager stop for good on entering `method`, as if the process had died right there;
    the test's SIGKILL then ends it at exactly that point."""
    async def stopped(self, job_id, *args, **kwargs):
        if said:
            print(said, job_id, flush=True)
        await asyncio.Event().wait()

    setattr(JobManager, method, stopped)


def speech_request(data_dir: Path) -> MediaRequest:
    return MediaRequest(action="txt2speech", provider="elevenlabs", params={"text": TEXT, "voice": VOICE},
                        media_dir=str(data_dir / "media"))


async def send(data_dir: Path, settings, announce: bool = True) -> None:
    store = await Store.open(data_dir / "cctui.db")
    jobs = JobManager(store, Providers(settings), min_poll=0.1)
    run_id = await store.create_run("t", "/t", {}, {"step": 0, "module": 0})
    job_id = await jobs.start(speech_request(data_dir), run_id=run_id, interaction_id=None, step_id="narration",
                              module="narration", prompt_key="elevenlabs")
    if announce:
        # The paid request leaves right after this is committed; the test sees it arrive at the stand-in.
        while committed_job(data_dir / "cctui.db", job_id)["submit_started_at"] is None:
            await asyncio.sleep(0.01)
        print("SENDING", job_id, flush=True)
    await asyncio.sleep(3600)


async def main(mode: str, data_dir: Path, url: str) -> None:
    settings = load_settings(env={}, config_file=data_dir / "none.toml", data_dir=data_dir,
                             elevenlabs_api_key="el-worker-test", elevenlabs_base_url=url)
    if mode == "send":
        await send(data_dir, settings)
    elif mode == "answered":
        stop_before("_accepted", said="ANSWERED")
        await send(data_dir, settings, announce=False)  # SENDING could race the quick answer
    elif mode == "saved":
        stop_before("_finish")
        # run_worker says SAVED once the provider's id is committed, read through its own connection.
        await run_worker("start", data_dir, settings, speech_request(data_dir), "elevenlabs", said="SAVED")
    else:
        await run_worker("resume", data_dir, settings, None, "elevenlabs")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3]))
