"""Shared machinery of the crash and fault suites: a stand-in process, cctui processes, and the checks.

- `StandInProc`: `python -m cctui.standin` as a separate process with its own `--state-dir`,
  driven over its `/_standin/` control API (fault hooks, request counts, served-file hashes).
- `Cctui`: runs `cctui` (through `tests.crash.cctui_proc`, which adds the test hooks) as a
  subprocess against that stand-in, configured only through the environment (base URLs, keys,
  `CCTUI_DATA_DIR`), exactly like a user pointing cctui at a gateway.
- `Snapshot` / `verify_*`: what a finished data directory holds and whether it is whole: every
  media file complete (its sha256 and size are among those the stand-in served), no paid
  generation sent more often than cctui was asked to, and the final state equal to a reference.

Normalisation (`normalise`) before comparing states: these differ between any two runs with the
same answers and say nothing about the outcome, so they are replaced by placeholders or dropped:
the data directory and run id in paths, the stand-in's host:port in URLs, cctui's job ids
(`j_...`) and content ids (`c_...`), provider ids (UUIDs, `video_...`, request ids `req_...`),
timestamps (`created_at`, `updated_at`, `submitted_at`, `finished_at`), `render_seconds`, and
`interaction_id` (an event id: a resumed run logs more events, so later ids shift).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "workflows" / "cc"
EXAMPLE_ANSWERS = ROOT / "examples" / "cc-answers.json"
KEY = "sk-crash-suite-not-a-real-key"

# The POSTs that start a paid generation, by (provider, action) of the cctui job that sends them.
PAID_PATHS = {
    ("leonardo", "txt2img"): "POST /leonardo/api/rest/v1/generations",
    ("openai", "txt2img"): "POST /openai/v1/images/generations",
    ("leonardo", "img2vid"): "POST /leonardo/api/rest/v1/generations-image-to-video",
    ("openai", "img2vid"): "POST /openai/v1/videos",
    ("elevenlabs", "txt2music"): "POST /elevenlabs/v1/music",
}
LLM_PATH = "POST /openai/v1/chat/completions"


def python() -> str:
    return sys.executable


# --------------------------------------------------------------------------- the stand-in


class StandInProc:
    """The provider stand-in in its own process; survives every kill of cctui."""

    def __init__(self, state_dir: Path, *, job_seconds: float = 1.0, extra_args: list[str] | None = None):
        self.state_dir = Path(state_dir)
        self.job_seconds = job_seconds
        self.extra_args = list(extra_args or [])
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "StandInProc":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        err = open(self.state_dir / "standin.stderr", "ab")
        self.proc = subprocess.Popen(
            [python(), "-m", "cctui.standin", "--port", "0", "--state-dir", str(self.state_dir),
             "--job-seconds", str(self.job_seconds), *self.extra_args],
            stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT, env=_clean_env())
        err.close()
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"the stand-in did not start: {line!r}")
        self.url = line.split()[1]
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self) -> "StandInProc":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # control API
    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"content-type": "application/json"} if data else {})
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def counts(self) -> dict[str, Any]:
        return self._call("GET", "/_standin/requests")

    def accepted(self) -> dict[str, int]:
        return dict(self.counts()["accepted"])

    def received(self) -> dict[str, int]:
        return dict(self.counts()["submits"])

    def served(self) -> dict[str, dict[str, Any]]:
        return {f["sha256"]: f for f in self._call("GET", "/_standin/served")["files"]}

    def inject(self, **spec: Any) -> dict[str, Any]:
        return self._call("POST", "/_standin/inject", spec)

    def faults(self) -> list[dict[str, Any]]:
        return self.counts()["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/_standin/faults")

    def fault_log(self) -> dict[str, Any]:
        return self._call("GET", "/_standin/fault-log")

    def set_fault_mode(self, enabled: bool) -> None:
        self._call("POST", "/_standin/fault-mode", {"enabled": enabled})


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CCTUI_", "OPENAI_", "LEONARDO_", "ELEVENLABS_", "CRASH_"))}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


# --------------------------------------------------------------------------- cctui


@dataclass
class Exit:
    code: int | None  # None: killed by us
    stdout: str
    stderr: str
    seconds: float


class Cctui:
    """cctui as a subprocess, pointed at the stand-in through the environment only."""

    def __init__(self, data_dir: Path, standin_url: str, *, extra_env: dict[str, str] | None = None):
        self.data_dir = Path(data_dir)
        self.standin_url = standin_url
        self.extra_env = dict(extra_env or {})
        self.logs = self.data_dir.parent / (self.data_dir.name + "-logs")
        self.logs.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = _clean_env()
        base = self.standin_url
        env.update({
            "CCTUI_CONFIG": str(self.data_dir.parent / "no-config.toml"),
            "CCTUI_DATA_DIR": str(self.data_dir),
            "OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": f"{base}/openai/v1",
            "CCTUI_SORA_BASE_URL": f"{base}/openai/v1",
            "LEONARDO_API_KEY": KEY, "LEONARDO_BASE_URL": f"{base}/leonardo/api/rest/v1",
            "ELEVENLABS_API_KEY": KEY, "ELEVENLABS_BASE_URL": f"{base}/elevenlabs",
        })
        env.update(self.extra_env)
        env.update(extra or {})
        return env

    def start(self, args: list[str], extra_env: dict[str, str] | None = None) -> "Proc":
        self.count += 1
        out = self.logs / f"{self.count:03d}.out"
        err = self.logs / f"{self.count:03d}.err"
        with open(out, "wb") as o, open(err, "wb") as e:
            proc = subprocess.Popen([python(), "-m", "tests.crash.cctui_proc", *args], stdout=o, stderr=e,
                                    cwd=ROOT, env=self.env(extra_env), start_new_session=True)
        return Proc(proc, out, err, args)

    def run(self, args: list[str], timeout: float = 300, extra_env: dict[str, str] | None = None) -> Exit:
        proc = self.start(args, extra_env)
        return proc.wait(timeout)


class Proc:
    def __init__(self, proc: subprocess.Popen, out: Path, err: Path, args: list[str]):
        self.proc, self.out, self.err, self.args = proc, out, err, args
        self.started = time.monotonic()
        self.killed = False

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL cctui, then whatever it had started (an ffmpeg render) in its session."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.killed = True
        self.proc.wait()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only its children
        except (ProcessLookupError, PermissionError):
            pass

    def wait(self, timeout: float) -> Exit:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"cctui {' '.join(self.args)} did not finish in {timeout:g} s; killed. "
                               f"stderr: {self.err.read_text(errors='replace')[-2000:]}") from None
        return self.result()

    def result(self) -> Exit:
        if self.proc.returncode == -signal.SIGKILL and not self.killed:
            try:  # it killed itself (a test hook): end what it had started as well
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        return Exit(None if self.killed else self.proc.returncode, self.out.read_text(errors="replace"),
                    self.err.read_text(errors="replace"), time.monotonic() - self.started)


# --------------------------------------------------------------------------- the data directory


def db_rows(data_dir: Path, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
    """Read the cctui database between runs (no cctui process is running then)."""
    path = Path(data_dir) / "cctui.db"
    if not path.exists():
        return []
    con = sqlite3.connect(path, timeout=10)
    try:
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute(sql, args).fetchall()]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
    finally:
        con.close()


def run_ids(data_dir: Path) -> list[str]:
    return [r["run_id"] for r in db_rows(data_dir, "SELECT run_id FROM runs ORDER BY created_at")]


def jobs(data_dir: Path) -> list[dict[str, Any]]:
    return db_rows(data_dir, "SELECT * FROM jobs ORDER BY created_at, rowid")


def event_count(data_dir: Path) -> int:
    rows = db_rows(data_dir, "SELECT count(*) AS n FROM events")
    return rows[0]["n"] if rows else 0


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PATTERNS = [
    (re.compile(r"j_[0-9a-f]{12}(?![0-9a-f])"), "<JOB>"),
    (re.compile(r"c_[0-9a-f]{12}(?![0-9a-f])"), "<CONTENT>"),
    (re.compile(r"video_[0-9a-f]{32}"), "<VIDEO>"),
    (re.compile(r"\breq_[0-9a-f]{32}\b"), "<REQ>"),
    (_UUID, "<UUID>"),
]
VOLATILE_KEYS = frozenset({"created_at", "updated_at", "submitted_at", "finished_at", "render_seconds",
                           "request_id", "interaction_id"})


def normalise(value: Any, data_dir: Path, run_id: str, standin_url: str) -> Any:
    if isinstance(value, dict):
        return {k: normalise(v, data_dir, run_id, standin_url) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [normalise(v, data_dir, run_id, standin_url) for v in value]
    if isinstance(value, str):
        text = value.replace(str(data_dir), "<DATA>").replace(run_id, "<RUN>").replace(standin_url, "<STANDIN>")
        for pattern, placeholder in _PATTERNS:
            text = pattern.sub(placeholder, text)
        return text
    return value


def differences(a: Any, b: Any, where: str = "$", limit: int = 8) -> list[str]:
    out: list[str] = []

    def walk(x: Any, y: Any, path: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for key in sorted(set(x) | set(y)):
                if key not in x or key not in y:
                    out.append(f"{path}.{key}: only in {'reference' if key in x else 'this run'}")
                else:
                    walk(x[key], y[key], f"{path}.{key}")
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                out.append(f"{path}: {len(x)} items in the reference, {len(y)} here")
            for i, (p, q) in enumerate(zip(x, y)):
                walk(p, q, f"{path}[{i}]")
        elif x != y:
            out.append(f"{path}: reference {str(x)[:80]!r}, here {str(y)[:80]!r}")

    walk(a, b, where)
    return out


@dataclass
class Snapshot:
    """The outcome of one run, normalised, plus the facts the checks need."""

    run_id: str
    status: str
    state: Any
    content: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    files: list[dict[str, Any]]  # every media file a content row points to: path, exists, size, sha256
    accepted: dict[str, int]
    received: dict[str, int]
    leftovers: list[str] = field(default_factory=list)  # `.part` files and render work dirs left by kills

    def comparable(self) -> dict[str, Any]:
        return {"status": self.status, "state": self.state, "content": self.content, "jobs": self.jobs}


def snapshot(data_dir: Path, standin: StandInProc, run_id: str) -> Snapshot:
    data_dir = Path(data_dir)
    run = db_rows(data_dir, "SELECT * FROM runs WHERE run_id = ?", (run_id,))[0]
    norm = lambda v: normalise(v, data_dir, run_id, standin.url)  # noqa: E731
    content_rows = db_rows(data_dir, "SELECT * FROM content WHERE run_id = ? ORDER BY rowid", (run_id,))
    files = []
    content = []
    for row in content_rows:
        meta = json.loads(row["metadata"])
        paths = [("local_path", row["local_path"])]
        if meta.get("poster_path"):
            paths.append(("poster_path", meta["poster_path"]))
        hashes = {}
        for label, raw in paths:
            path = Path(raw) if raw else None
            exists = bool(path and path.is_file())
            entry = {"content_id": row["content_id"], "kind": row["kind"], "provider": row["provider"],
                     "which": label, "path": raw, "exists": exists,
                     "size": path.stat().st_size if exists else None,
                     "sha256": sha256_file(path) if exists else None}
            files.append(entry)
            hashes[label] = entry["sha256"]
        content.append(norm({"kind": row["kind"], "provider": row["provider"], "prompt_key": row["prompt_key"],
                             "step_id": row["step_id"], "module": row["module"], "local_path": row["local_path"],
                             "url": row["url"], "metadata": meta, "sha256": hashes}))
    content.sort(key=lambda c: json.dumps(c, sort_keys=True))
    job_rows = db_rows(data_dir, "SELECT * FROM jobs WHERE run_id = ? ORDER BY created_at, rowid", (run_id,))
    job_view = [norm({k: j[k] for k in ("provider", "action", "status", "prompt_key", "step_id", "module",
                                        "cost_amount", "cost_unit", "error", "error_kind")})
                for j in job_rows]
    leftovers = [str(p.relative_to(data_dir)) for p in (data_dir / "runs").rglob("*")
                 if ".part" in p.name or "-work-" in p.name] if (data_dir / "runs").exists() else []
    return Snapshot(run_id, run["status"], norm(json.loads(run["state"])), content, job_view, files,
                    standin.accepted(), standin.received(), leftovers)


def incomplete_files(snap: Snapshot, served: dict[str, dict[str, Any]]) -> list[str]:
    """Media files of content rows that are missing, or not byte for byte what the stand-in served."""
    bad = []
    for f in snap.files:
        if not f["exists"]:
            bad.append(f"{f['kind']} {f['which']} {f['path']}: missing")
        elif f["sha256"] not in served:
            bad.append(f"{f['kind']} {f['which']} {f['path']}: {f['size']} bytes, sha256 {f['sha256'][:12]} "
                       f"is no file the stand-in served")
        elif served[f["sha256"]]["size"] != f["size"]:
            bad.append(f"{f['kind']} {f['which']} {f['path']}: size {f['size']} != served "
                       f"{served[f['sha256']]['size']}")
    return bad


def duplicate_submits(accepted: dict[str, int], reference: dict[str, int],
                      approved: dict[str, int]) -> dict[str, int]:
    """Paid POSTs the provider accepted beyond what the answers asked for (the reference run's
    count) plus the second submits a user approved (`cctui jobs --resubmit` of an unknown job
    whose first submit had reached the provider)."""
    out = {}
    for path in sorted(set(PAID_PATHS.values())):
        extra = accepted.get(path, 0) - reference.get(path, 0) - approved.get(path, 0)
        if extra > 0:
            out[path] = extra
    return out


# --------------------------------------------------------------------------- resolving unknown jobs


@dataclass
class Decision:
    job_id: str
    provider: str
    action: str
    status: str  # unknown | failed | not_downloaded | stalled, before the decision
    path: str
    reached: bool  # a resubmit, and the stand-in had accepted the earlier submit of this job
    outcome: str  # the job's status after the command
    command: str = "resubmit"  # the way on that `cctui jobs` printed: fetch | resubmit


def ledger_charges(data_dir: Path, provider: str, action: str) -> int:
    """Ledger rows of generation jobs of `provider`/`action`: one per submit cctui knows was accepted."""
    kind = {"txt2img": "image", "img2img": "image", "img2vid": "video", "txt2music": "music"}.get(action, action)
    rows = db_rows(data_dir, "SELECT count(*) AS n FROM costs WHERE provider = ? AND kind = ? AND job_id IS NOT NULL",
                   (provider, kind))
    return rows[0]["n"] if rows else 0


NEXT = re.compile(r"next: cctui jobs --(fetch|resubmit) (\S+)")


def resolve_waiting_jobs(cctui: Cctui, standin: StandInProc, approved: dict[str, int],
                         timeout: float = 180) -> list[Decision]:
    """Do what the user would: run the command `cctui jobs` prints for each job that waits
    (`--fetch` when the provider holds the job, else `--resubmit`, confirmed with `--yes` as a
    user says yes to the price it names).

    Whether a resubmitted job's earlier submit had reached the provider is read from the
    stand-in's accepted count for that job's path against cctui's ledger rows for it (one per
    accepted submit cctui knows of): more accepted means a lost answer, and a resubmit that then
    sends a new paid request is a deliberate, user-approved second submit (counted in `approved`)."""
    listing = cctui.run(["jobs"], timeout=timeout)
    if "Traceback" in listing.stderr:
        raise AssertionError(f"`cctui jobs` printed a traceback:\n{listing.stderr[-3000:]}")
    before = {j["job_id"]: j for j in jobs(cctui.data_dir)}
    decisions = []
    for command, job_id in NEXT.findall(listing.stdout):
        job = before[job_id]
        path = PAID_PATHS.get((job["provider"], job["action"]), "?")
        accepted = standin.accepted().get(path, 0)
        # Submits the provider accepted that cctui holds no charge for: lost answers.
        orphans = accepted - ledger_charges(cctui.data_dir, job["provider"], job["action"])
        args = ["jobs", f"--{command}", job_id] + (["--yes"] if command == "resubmit" else [])
        result = cctui.run(args, timeout=timeout)
        if "Traceback" in result.stderr:
            raise AssertionError(f"`cctui {' '.join(args)}` printed a traceback:\n{result.stderr[-3000:]}")
        sent = standin.accepted().get(path, 0) - accepted  # new paid submits this command made
        reached = command == "resubmit" and sent > 0 and orphans > 0
        if reached:
            approved[path] = approved.get(path, 0) + 1
        after = next(j for j in jobs(cctui.data_dir) if j["job_id"] == job_id)
        decisions.append(Decision(job_id, job["provider"], job["action"], job["status"], path, reached,
                                  after["status"], command))
    return decisions
