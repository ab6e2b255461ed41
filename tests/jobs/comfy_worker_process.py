"""A ComfyUI job worker in its own process, so a test can SIGKILL it for real.

    python comfy_worker_process.py start  DATA_DIR COMFYUI_URLS IMAGE GRAPH_FILE -> "QUEUED <job_id>", then waits
    python comfy_worker_process.py resume DATA_DIR COMFYUI_URLS               -> resumes, waits, prints the rows
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from worker_process import run_worker

from cctui.providers.base import MediaRequest
from cctui.settings import load_settings


async def main(mode: str, data_dir: Path, urls: str, image: str | None, graph_file: str | None) -> None:
    settings = load_settings(env={}, config_file=data_dir / "none.toml", data_dir=data_dir, comfyui_urls=urls)
    request = None
    if mode == "start":
        graph = {"name": Path(graph_file).stem, **json.loads(Path(graph_file).read_text())}
        request = MediaRequest(action="img2vid", provider="comfyui",
                               params={"graph": graph, "prompt": "the cat's ears twitch", "duration": "3",
                                       "aspect_ratio": "9:16"},
                               source_image={"content_id": "c_src", "local_path": image},
                               media_dir=str(data_dir / "media"))
    await run_worker(mode, data_dir, settings, request, "comfyui", said="QUEUED")


if __name__ == "__main__":
    mode, data_dir, urls = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    asyncio.run(main(mode, data_dir, urls, *(sys.argv[4:6] + [None, None])[:2]))
