"""`python -m cctui.standin --port 0 --state-dir DIR [--job-seconds S] [--fault-rate R --fault-seed N]`

Serves the provider stand-in on 127.0.0.1 and prints exactly one line, `READY http://HOST:PORT`,
on stdout (flushed) once it accepts connections; then serves until SIGTERM / SIGINT (or SIGKILL).
Jobs, uploads and submit counts live in `--state-dir`, so a restarted stand-in knows its jobs.
With `--fault-rate R` a seeded random fraction R of requests fail (see `fault_mode`); with
`--stream-seconds S` every streamed LLM answer takes S seconds to arrive. `--comfy-hosts
gpu1,gpu2:busy=3` names the ComfyUI hosts served under `/comfyui/<name>` (see `comfyui_hosts`).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .comfyui_hosts import parse_hosts
from .server import StandIn


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cctui.standin", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port to bind (0 = a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--state-dir", required=True, help="directory for jobs, uploads, media and counts")
    parser.add_argument("--job-seconds", type=float, default=2.0, help="how long each generation job runs")
    parser.add_argument("--stream-seconds", type=float, default=0.0,
                        help="how long each streamed LLM answer takes to arrive")
    parser.add_argument("--clip-seconds", type=float, default=2.0, help="length of the generated MP4 clips")
    parser.add_argument("--upload-expiry", type=float, default=120.0,
                        help="seconds a Leonardo presigned upload form stays valid")
    parser.add_argument("--retry-after", type=float, default=1.0,
                        help="seconds announced in retry-after on STANDIN:ratelimit answers")
    for provider in ("openai", "leonardo", "elevenlabs", "fal"):
        parser.add_argument(f"--{provider}-key", default=None,
                            help=f"the only {provider} key accepted (default: any non-empty key)")
    parser.add_argument("--fault-rate", type=float, default=0.0,
                        help="fraction of requests (0-1) answered with a random failure (default 0: none)")
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the random fault mode")
    parser.add_argument("--fault-kinds", default=None,
                        help="comma-separated subset of 429,500,503,timeout,reset,truncate,malformed (default: all)")
    parser.add_argument("--fault-timeout", type=float, default=5.0,
                        help="seconds a 'timeout' fault keeps the client waiting before closing the connection")
    parser.add_argument("--fault-paths", default=None, help="only paths matching this regex get random faults")
    parser.add_argument("--comfy-hosts", default="gpu1",
                        help="ComfyUI hosts served under /comfyui/<name>: name[:key=value...],... e.g. "
                             "gpu1,gpu2:busy=3,gpu3:slots=2 (list options joined by +; see comfyui_hosts)")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    keys = {p: k for p in ("openai", "leonardo", "elevenlabs", "fal")
            if (k := getattr(args, f"{p}_key")) is not None}
    kinds = [k.strip() for k in args.fault_kinds.split(",") if k.strip()] if args.fault_kinds else None
    try:
        comfy_hosts = parse_hosts(args.comfy_hosts)
        srv = StandIn(keys=keys or None, job_seconds=args.job_seconds, data_dir=args.state_dir, host=args.host,
                      stream_seconds=args.stream_seconds, port=args.port, upload_expiry_seconds=args.upload_expiry,
                      retry_after_seconds=args.retry_after,
                      clip_seconds=args.clip_seconds, verbose=args.verbose, fault_rate=args.fault_rate,
                      fault_seed=args.fault_seed, fault_kinds=kinds, fault_timeout=args.fault_timeout,
                      fault_paths=args.fault_paths, comfy_hosts=comfy_hosts)
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return serve_until_signalled(srv)


def serve_until_signalled(srv) -> int:
    """Start `srv`, print `READY url` for whoever started this process, serve until SIGTERM/SIGINT."""
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    srv.start()
    sys.stdout.write(f"READY {srv.base_url}\n")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
