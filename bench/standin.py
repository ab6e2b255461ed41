"""The provider stand-in as the bench runs it: its own process, per-job durations, a full capture.

`BenchStandIn` is the real `cctui.standin.StandIn` with three additions, all inside this file:

- a job's duration can be set in its prompt with the marker `[bench-seconds=7.5]` (otherwise the
  stand-in's `job_seconds` applies), so 200 jobs can finish at 200 different moments;
- every request is captured whole (method, path, query, headers, body, answer, and the time the
  stand-in spent serving it) for `GET /_bench/capture`, so the bench can replay a run's calls;
- with `fast_media`, media with the same parameters is made once and reused (ffmpeg videos,
  scene images), so the stand-in's own media making is not what the bench measures.

`python -m bench.standin --state-dir DIR [--job-seconds S] [--fast-media]` prints
`READY http://127.0.0.1:PORT` and serves until SIGTERM; `StandInProcess` starts and stops it.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from cctui.standin import StandIn
from cctui.standin import leonardo_routes, media_factory, openai_routes, sora_routes
from cctui.standin.__main__ import serve_until_signalled
from cctui.standin.http_layer import Request, Response
from cctui.standin.records import RequestLog

SECONDS_MARKER = re.compile(r"\[bench-seconds=([0-9.]+)\]")


def seconds_marker(seconds: float) -> str:
    return f"[bench-seconds={seconds:.3f}]"


class BenchStandIn(StandIn):
    def __init__(self, *args: Any, fast_media: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.log = RequestLog(limit=1_000_000)  # 200 jobs poll more than the default 5,000 requests
        self.capturing = True
        self._captured: list[dict[str, Any]] = []
        self._capture_lock = threading.Lock()
        add_job = self.state.add_job

        def add_job_with_duration(job: dict[str, Any], **kw: Any) -> None:
            found = SECONDS_MARKER.search(str(job.get("prompt") or ""))
            if found:
                job["duration"] = float(found.group(1))
            add_job(job, **kw)

        self.state.add_job = add_job_with_duration  # type: ignore[method-assign]
        self.router.add("GET", "/_bench/capture", lambda srv, req: Response.json(200, srv.captured()))
        self.router.add("DELETE", "/_bench/capture", _clear_capture)
        self.router.add("GET", "/_bench/jobs", lambda srv, req: Response.json(200, srv.jobs()))
        if fast_media:
            reuse_media(self.data_dir / "media-cache")

    def captured(self) -> list[dict[str, Any]]:
        with self._capture_lock:
            return list(self._captured)

    def handle(self, req: Request, handler: Any) -> None:
        if req.path.startswith(("/_bench/", "/_standin/")):
            super().handle(req, handler)
            return
        started = time.time()
        answer: dict[str, Any] = {}
        write = handler.write_response

        def write_response(request: Request, resp: Response, **options: Any) -> None:
            answer["status"] = resp.status
            answer["content_type"] = resp.headers.get("content-type", "")
            if resp.file is None and answer["content_type"].startswith("application/json"):
                answer["json"] = json.loads(resp.body or b"null")
            answer["served"] = time.time()
            write(request, resp, **options)

        handler.write_response = write_response
        try:
            super().handle(req, handler)
        finally:
            del handler.write_response
        if self.capturing:
            entry = {"method": req.method, "path": req.path, "query": urlencode(req.query, doseq=True),
                     "content_type": req.header("content-type") or "", "body": base64.b64encode(req.body).decode(),
                     "started": started, "served": answer.get("served", time.time()), "finished": time.time(),
                     "status": answer.get("status"), "json": answer.get("json")}
            with self._capture_lock:
                self._captured.append(entry)


def _clear_capture(srv: BenchStandIn, req: Request) -> Response:
    with srv._capture_lock:
        srv._captured.clear()
    srv.clear_requests()
    return Response(204)


def reuse_media(cache: Path) -> None:
    """Make each distinct video and scene image once (ffmpeg and drawing are the stand-in's time,
    not cctui's): same size and length → the same MP4; same prompt and size → the same image."""
    cache.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()
    make_video = media_factory.make_video

    def cached_video(source: Any, out: Path, size: tuple[int, int], seconds: float, fps: int = 12) -> None:
        key = cache / f"video_{size[0]}x{size[1]}_{seconds:g}_{fps}.mp4"
        with lock:
            if not key.exists():
                make_video(source, key, size, seconds, fps)
        shutil.copyfile(key, out)

    scene = functools.lru_cache(maxsize=256)(media_factory.scene_image)
    encoded: dict[tuple[int, str], tuple[Any, bytes]] = {}
    encode = media_factory.encode_image

    def cached_encode(img: Any, fmt: str = "png") -> bytes:
        hit = encoded.get((id(img), fmt))
        if hit is None or hit[0] is not img:
            hit = (img, encode(img, fmt))
            encoded[(id(img), fmt)] = hit
        return hit[1]

    fitted: dict[tuple[int, tuple[int, int]], tuple[Any, Any]] = {}
    cover_fit = media_factory.cover_fit

    def cached_cover_fit(img: Any, size: tuple[int, int]) -> Any:
        hit = fitted.get((id(img), tuple(size)))
        if hit is None or hit[0] is not img:
            hit = (img, cover_fit(img, size))
            fitted[(id(img), tuple(size))] = hit
        return hit[1]

    load = functools.lru_cache(maxsize=256)(lambda path: media_factory.load_image(Path(path)))

    def cached_load(data_or_path: Any) -> Any:
        if isinstance(data_or_path, (str, Path)):
            return load(str(data_or_path))
        return media_factory.load_image(data_or_path)

    for module in (leonardo_routes, sora_routes):
        module.make_video = cached_video
        module.load_image = cached_load
    for module in (leonardo_routes, sora_routes, openai_routes):
        module.scene_image = scene
    for module in (leonardo_routes, openai_routes):
        module.encode_image = cached_encode
    leonardo_routes.cover_fit = cached_cover_fit


class StandInProcess:
    """`with StandInProcess(state_dir, job_seconds=0, fast_media=True) as srv:` srv.base_urls,
    srv.capture(), srv.clear_capture(), srv.jobs(); the stand-in runs in its own process so that
    its CPU time and memory are not the bench's."""

    def __init__(self, state_dir: Path, *, job_seconds: float = 0.0, fast_media: bool = True):
        self.state_dir = Path(state_dir)
        self.job_seconds = job_seconds
        self.fast_media = fast_media
        self.proc: subprocess.Popen | None = None
        self.base_url = ""

    def __enter__(self) -> "StandInProcess":
        cmd = [sys.executable, "-m", "bench.standin", "--state-dir", str(self.state_dir),
               "--job-seconds", str(self.job_seconds)] + (["--fast-media"] if self.fast_media else [])
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"the stand-in did not start: {line!r}")
        self.base_url = line.split(" ", 1)[1]
        self.http = httpx.Client(base_url=self.base_url, timeout=60)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.http.close()
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def base_urls(self) -> dict[str, str]:
        base = self.base_url
        return {"openai": base + "/openai/v1", "sora": base + "/openai/v1",
                "leonardo": base + "/leonardo/api/rest/v1", "elevenlabs": base + "/elevenlabs", "fal": base + "/fal"}

    def capture(self) -> list[dict[str, Any]]:
        return self.http.get("/_bench/capture").json()

    def clear_capture(self) -> None:
        self.http.delete("/_bench/capture")

    def jobs(self) -> list[dict[str, Any]]:
        return self.http.get("/_bench/jobs").json()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.standin")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--job-seconds", type=float, default=0.0)
    parser.add_argument("--fast-media", action="store_true")
    args = parser.parse_args(argv)
    srv = BenchStandIn(keys=None, job_seconds=args.job_seconds, data_dir=args.state_dir, fast_media=args.fast_media)
    return serve_until_signalled(srv)


if __name__ == "__main__":
    raise SystemExit(main())
