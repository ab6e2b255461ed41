"""A local stand-in for the providers (OpenAI incl. Sora 2, Leonardo.Ai, ElevenLabs music, fal.ai,
and any number of ComfyUI hosts with their websocket).

Tests and the demo point the real provider clients at it; it answers with the providers' own
shapes, refuses what they refuse, runs slow jobs on the wall clock, serves real media files, and
persists its jobs and submit counts in its data directory.

    from cctui.standin import StandIn
    with StandIn(keys={"openai": "sk-test"}, job_seconds=1.0, data_dir=tmp_path) as srv:
        client = OpenAI(base_url=srv.base_urls["openai"], api_key="sk-test")

Command line: `python -m cctui.standin --port 0 --state-dir DIR [--job-seconds S]` prints
`READY http://127.0.0.1:PORT` and serves until killed. See `server` for the API, `faults` for
fault injection and the crash-test hooks, `fault_mode` for the random fault mode
(`--fault-rate R --fault-seed N`), `served` for the hashes of the files it served, and
`openai_routes`, `sora_routes`, `leonardo_routes`, `presigned_bucket`, `elevenlabs_routes`,
`fal_routes` and `comfyui_routes` for what each endpoint answers and refuses (and the `STANDIN:`
markers). `StandIn(comfy_hosts={"gpu1": {}, "gpu2": {"busy": 2}})` serves ComfyUI hosts at
`srv.comfy_urls[name]` (`--comfy-hosts gpu1,gpu2:busy=2` on the command line).
"""

from .faults import Fault
from .server import PREFIXES, RecordedRequest, StandIn

__all__ = ["PREFIXES", "Fault", "RecordedRequest", "StandIn"]
