"""Crash suite: the demo run in batch mode, SIGKILLed at chosen and random points, resumed to the end.

    .venv/bin/python -m tests.crash.run_crash_suite --kills 50 [--seed N] [--workdir DIR] [--keep]

Each trial starts a stand-in (`python -m cctui.standin --state-dir DIR`, its own process, never
killed) and runs `cctui run workflows/cc --answers ANSWERS` against it as a subprocess (through
`tests.crash.cctui_proc`; base URLs, keys and `CCTUI_DATA_DIR` come from the environment). The
process is SIGKILLed at one kill point after another; after each kill the run goes on with
`cctui run ... --resume RUN_ID`, until it completes. Kill points:

- `upload`    while an image upload is in flight: Leonardo's presigned upload (`POST /_bucket/upload`,
              with the answers variant that selects the OpenAI image, so Leonardo needs an init
              image) or Sora's create with the image (`POST /videos`). The stand-in holds the
              request (`delay`) and drops it unserved once the client is gone, as an upload cut
              off half-way would be.
- `submit`    after a paid POST reached the stand-in and created (and charged) the job, before
              cctui could store the job id: the stand-in holds the answer (`hold`) and cctui is
              killed as soon as the stand-in reports the hold.
- `download`  half-way through a file transfer: the stand-in sends the body slowly (`throttle`);
              Leonardo's image or clip, Sora's video, or the ElevenLabs song (the paid POST's answer).
- `db_write`  inside the N-th database write (random N over what is left of the run): a SQLite
              progress handler in the cctui process SIGKILLs it while the statement (or COMMIT) runs.
- `random`    at a random moment.

A kill between submit and stored id leaves an `unknown` job by design: the resumed batch run
stops and says so; the harness then does what the user would, `cctui jobs --resubmit JOB`, and
resumes. When the stand-in had accepted the first submit, that resubmit is a deliberate,
user-approved second submit: counted and reported apart, not as a duplicate.

After each trial: duplicate paid submits (the stand-in's accepted POSTs per paid endpoint, minus
the uninterrupted reference run's, minus user-approved second submits), incomplete files (a
content row whose file is missing or whose sha256/size is not one the stand-in served), and
state mismatches (runs.state, content rows with their file hashes, and jobs, normalised as
`harness.normalise` explains, against an uninterrupted reference run with the same answers).

Everything random comes from `--seed` (printed); `--trial-seed` replays a single trial.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from .harness import (EXAMPLE_ANSWERS, LLM_PATH, PAID_PATHS, WORKFLOW, Cctui, Decision, Snapshot, StandInProc,
                      db_rows, differences, duplicate_submits, event_count, incomplete_files, jobs,
                      resolve_waiting_jobs, run_ids, snapshot)

JOB_SECONDS = 1.0
ENV = {"CRASH_MIN_POLL": "0.2"}
KINDS = ("upload", "submit", "download", "db_write", "random")
START_TIMEOUT = 180.0

# --------------------------------------------------------------------------- kill targets


@dataclass(frozen=True)
class Target:
    name: str
    kind: str
    job: tuple[str, str]  # the (provider, action) of the cctui job whose traffic it catches
    need: str  # "absent": that job must not exist yet; "unfinished": absent, or polling/downloading
    spec: dict[str, Any]
    wait: str  # the fault counter that says the request is in flight: used | held
    window: tuple[float, float] = (0.0, 0.15)  # seconds after that, the kill comes within
    variant: str | None = None  # only with this answers variant


def _paid(path_key: tuple[str, str]) -> str:
    return PAID_PATHS[path_key].split(" ", 1)[1]


TARGETS = [
    Target("leonardo-presigned-upload", "upload", ("leonardo", "img2vid"), "absent",
           {"path_regex": r"^/_bucket/upload$", "method": "POST", "delay": 4.0, "drop_if_gone": True}, "used",
           variant="openai-image"),
    Target("sora-create-with-image", "upload", ("openai", "img2vid"), "absent",
           {"path_regex": r"^/openai/v1/videos$", "method": "POST", "delay": 4.0, "drop_if_gone": True}, "used"),
    *[Target(f"{name}-held", "submit", key, "absent",
             {"path_regex": f"^{_paid(key)}$", "method": "POST", "hold": 8.0}, "held")
      for name, key in (("leonardo-txt2img", ("leonardo", "txt2img")), ("openai-images", ("openai", "txt2img")),
                        ("leonardo-img2vid", ("leonardo", "img2vid")), ("sora-create", ("openai", "img2vid")),
                        ("elevenlabs-music", ("elevenlabs", "txt2music")))],
    Target("leonardo-image-file", "download", ("leonardo", "txt2img"), "unfinished",
           {"path_regex": r"^/_files/leonardo/.+\.png$", "method": "GET", "throttle": 2.5}, "held", (0.1, 2.0)),
    Target("leonardo-video-file", "download", ("leonardo", "img2vid"), "unfinished",
           {"path_regex": r"^/_files/leonardo/.+\.mp4$", "method": "GET", "throttle": 2.5}, "held", (0.1, 2.0)),
    Target("sora-video-content", "download", ("openai", "img2vid"), "unfinished",
           {"path_regex": r"^/openai/v1/videos/[^/]+/content$", "method": "GET", "throttle": 2.5}, "held",
           (0.1, 2.0)),
    Target("elevenlabs-song-stream", "download", ("elevenlabs", "txt2music"), "absent",
           {"path_regex": r"^/elevenlabs/v1/music$", "method": "POST", "throttle": 2.5}, "held", (0.1, 2.0)),
]
BY_NAME = {t.name: t for t in TARGETS}
# The order in which the generations happen in a run; a kill point is picked among the next two
# still ahead, so that a plan's later points are not all passed by an early pick of the last one.
RUN_ORDER = {("leonardo", "txt2img"): 0, ("openai", "txt2img"): 1, ("leonardo", "img2vid"): 2,
             ("openai", "img2vid"): 3, ("elevenlabs", "txt2music"): 4}


def still_ahead(target: Target, job_rows: list[dict[str, Any]], variant: str) -> bool:
    if target.variant and target.variant != variant:
        return False
    mine = [j for j in job_rows if (j["provider"], j["action"]) == target.job]
    if not mine:
        return True
    if target.need == "absent":
        return False
    return all(j["provider_job_id"] and j["status"] in ("submitted", "running", "downloading") for j in mine)


# --------------------------------------------------------------------------- reference


@dataclass
class Reference:
    variant: str
    answers: Path
    seconds: float
    writes: int
    events: int
    snapshot: Snapshot
    served: dict[str, Any]


def answers_file(variant: str, workdir: Path) -> Path:
    if variant == "example":
        return EXAMPLE_ANSWERS
    data = json.loads(EXAMPLE_ANSWERS.read_text())
    if variant == "openai-image":
        # The OpenAI image is chosen, so Leonardo's image-to-video must upload it (presigned upload).
        data["generate_and_select_images"]["select"] = 1
    else:
        raise ValueError(variant)
    path = workdir / f"answers-{variant}.json"
    path.write_text(json.dumps(data, indent=1))
    return path


def reference_run(variant: str, workdir: Path, say: Callable[[str], None]) -> Reference:
    workdir.mkdir(parents=True, exist_ok=True)
    answers = answers_file(variant, workdir)
    with StandInProc(workdir / "standin", job_seconds=JOB_SECONDS) as standin:
        cctui = Cctui(workdir / "data", standin.url, extra_env=ENV)
        count = workdir / "writes.txt"
        started = time.monotonic()
        result = cctui.run(["run", str(WORKFLOW), "--answers", str(answers)], timeout=START_TIMEOUT,
                           extra_env={"CRASH_COUNT_WRITES": str(count)})
        seconds = time.monotonic() - started
        if result.code != 0:
            raise RuntimeError(f"the reference run ({variant}) failed:\n{result.stdout}\n{result.stderr}")
        (run_id,) = run_ids(cctui.data_dir)
        snap = snapshot(cctui.data_dir, standin, run_id)
        ref = Reference(variant, answers, seconds, int(count.read_text()), event_count(cctui.data_dir), snap,
                        standin.served())
    bad = incomplete_files(snap, ref.served)
    if bad:
        raise RuntimeError(f"the reference run's own files are not what was served: {bad}")
    say(f"reference [{variant}]: {seconds:.1f} s, {ref.writes} database writes, {ref.events} events, "
        f"paid POSTs {{{', '.join(f'{k.split()[1]}: {v}' for k, v in sorted(snap.accepted.items()) if k != LLM_PATH)}}}")
    return ref


# --------------------------------------------------------------------------- one trial


@dataclass
class Kill:
    trial: int
    kind: str
    target: str
    at: float  # seconds after that cctui process started
    detail: str = ""


@dataclass
class TrialResult:
    trial: int
    seed: int
    variant: str
    plan: list[str]
    kills: list[Kill] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    starts: int = 0
    completed: bool = False
    duplicates: dict[str, int] = field(default_factory=dict)
    auto_resends: dict[str, int] = field(default_factory=dict)
    incomplete: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    llm_reasks: int = 0
    leftovers: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.completed and not self.duplicates and not self.auto_resends and not self.incomplete
                and not self.mismatches and not self.errors)

    def summary(self) -> str:
        approved = sum(1 for d in self.decisions if d.reached)
        parts = [f"trial {self.trial} seed {self.seed} [{self.variant}]: {len(self.kills)} kills "
                 f"({', '.join(f'{k.kind}:{k.target}' for k in self.kills) or 'none'}), {self.starts} starts, "
                 f"{'completed' if self.completed else 'NOT COMPLETED'} in {self.seconds:.0f} s",
                 f"resubmits {len(self.decisions)} (approved second submits {approved})",
                 f"duplicates {sum(self.duplicates.values())}", f"incomplete files {len(self.incomplete)}",
                 f"state mismatches {len(self.mismatches)}"]
        if self.llm_reasks:
            parts.append(f"LLM re-asks {self.llm_reasks}")
        line = "; ".join(parts)
        for label, items in (("DUPLICATE", [f"{k} +{v}" for k, v in self.duplicates.items()]),
                             ("AUTO-RESEND", [f"{k} +{v}" for k, v in self.auto_resends.items()]),
                             ("INCOMPLETE", self.incomplete), ("MISMATCH", self.mismatches),
                             ("ERROR", self.errors)):
            for item in items:
                line += f"\n    {label}: {item}"
        return line


def _wait_for_hook(proc, standin: StandInProc, counter: str, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not proc.alive():
            return False
        faults = standin.faults()
        if faults and faults[0].get(counter, 0) >= 1:
            return True
        time.sleep(0.02)
    return False


def _choose(plan: list[str], rng: random.Random, variant: str, data_dir: Path) -> tuple[str, Target | None] | None:
    """The next kill point of the plan that can still happen in this run (dropping those that can't)."""
    job_rows = jobs(data_dir)
    while plan:
        entry = plan[0]
        kind, _, name = entry.partition(":")
        if kind in ("db_write", "random"):
            return kind, None
        options = [BY_NAME[name]] if name else [t for t in TARGETS if t.kind == kind]
        options = [t for t in options if still_ahead(t, job_rows, variant)]
        if options:
            soonest = sorted({RUN_ORDER[t.job] for t in options})[:2]
            return kind, rng.choice([t for t in options if RUN_ORDER[t.job] in soonest])
        plan.pop(0)
    return None


def run_trial(trial: int, seed: int, variant: str, plan: list[str], ref: Reference, workdir: Path,
              say: Callable[[str], None]) -> TrialResult:
    rng = random.Random(seed)
    result = TrialResult(trial, seed, variant, list(plan))
    plan = list(plan)
    started = time.monotonic()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    standin = StandInProc(workdir / "standin", job_seconds=JOB_SECONDS).start()
    try:
        cctui = Cctui(workdir / "data", standin.url, extra_env=ENV)
        approved: dict[str, int] = {}
        run_id: str | None = None
        for _ in range(3 * len(plan) + 8):
            result.decisions += resolve_waiting_jobs(cctui, standin, approved)
            if run_id is None:
                ids = run_ids(cctui.data_dir)
                run_id = ids[0] if ids else None
            args = ["run", str(WORKFLOW), "--answers", str(ref.answers)] + (["--resume", run_id] if run_id else [])
            chosen = _choose(plan, rng, variant, cctui.data_dir)
            kind, target = chosen if chosen else (None, None)
            progress = min(1.0, event_count(cctui.data_dir) / max(1, ref.events))
            env: dict[str, str] = {}
            if kind == "db_write":
                left = max(1, int(0.8 * ref.writes * (1 - progress)))  # estimates: stay inside the run
                env = {"CRASH_KILL_AT_WRITE": str(rng.randint(1, left)),
                       "CRASH_KILL_WHEN": "after" if rng.random() < 0.25 else "during"}
            if target is not None:
                standin.inject(**target.spec, times=1)
            proc = cctui.start(args, env)
            result.starts += 1
            kill: Kill | None = None
            if target is not None:
                if _wait_for_hook(proc, standin, target.wait, START_TIMEOUT):
                    time.sleep(rng.uniform(*target.window))
                    at = time.monotonic() - proc.started
                    proc.kill()
                    kill = Kill(trial, kind, target.name, at) if proc.killed else None
                    if kill is not None and target.spec.get("drop_if_gone"):
                        kill.detail = _await_drop(standin, target.spec["delay"] + 5)
            elif kind == "random":
                delay = rng.uniform(0.3, max(0.6, 0.8 * ref.seconds * (1 - progress) + 1.5))
                try:
                    proc.proc.wait(timeout=delay)
                except Exception:  # noqa: BLE001 - still running: this is the moment
                    at = time.monotonic() - proc.started
                    proc.kill()
                    kill = Kill(trial, "random", f"t={delay:.2f}s", at) if proc.killed else None
            standin.clear_faults()
            outcome = proc.wait(START_TIMEOUT) if kill is None else proc.result()
            if kill is None and kind == "db_write" and outcome.code == -9:
                kill = Kill(trial, "db_write", f"write #{env['CRASH_KILL_AT_WRITE']} ({env['CRASH_KILL_WHEN']})",
                            outcome.seconds)
            if run_id is None and outcome.stdout.startswith("run "):
                run_id = outcome.stdout.split()[1]
            if kill is not None:
                result.kills.append(kill)
                plan.pop(0)
                say(f"  kill {len(result.kills)}: {kill.kind} {kill.target} at {kill.at:.2f} s"
                    + (f" ({kill.detail})" if kill.detail else ""))
                continue
            if "Traceback" in outcome.stderr:
                result.errors.append(f"traceback from `cctui {' '.join(args[:1] + args[-2:])}`: "
                                     f"{outcome.stderr.strip().splitlines()[-1]}")
            if outcome.code == 0:
                result.completed = True
                break
            waiting = [j for j in jobs(cctui.data_dir) if j["status"] in ("unknown", "failed")]
            if not waiting:
                result.errors.append(f"cctui exited {outcome.code} with nothing to decide: "
                                     f"{outcome.stderr.strip()[-400:]}")
                break
        else:
            result.errors.append("the run did not complete within the allowed number of restarts")
        if run_id is not None and result.completed:
            _verify(result, ref, cctui, standin, run_id)
    finally:
        standin.stop()
        result.seconds = time.monotonic() - started
    return result


def _await_drop(standin: StandInProc, limit: float) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        faults = standin.faults()
        if faults and faults[0].get("dropped"):
            return "the stand-in dropped the unfinished upload"
        if faults and faults[0].get("finished"):
            return "the stand-in served it anyway"
        time.sleep(0.05)
    return "the held request had not ended"


def _verify(result: TrialResult, ref: Reference, cctui: Cctui, standin: StandInProc, run_id: str) -> None:
    snap = snapshot(cctui.data_dir, standin, run_id)
    approved: dict[str, int] = {}
    for d in result.decisions:
        if d.reached:
            approved[d.path] = approved.get(d.path, 0) + 1
    result.duplicates = duplicate_submits(snap.accepted, ref.snapshot.accepted, approved)
    resubmits: dict[str, int] = {}
    for d in result.decisions:
        resubmits[d.path] = resubmits.get(d.path, 0) + 1
    for path in set(PAID_PATHS.values()):
        # Every POST that reached the stand-in (served or not) needs a send that cctui was asked for.
        extra = snap.received.get(path, 0) - ref.snapshot.received.get(path, 0) - resubmits.get(path, 0)
        if extra > 0:
            result.auto_resends[path] = extra
    result.incomplete = incomplete_files(snap, standin.served())
    result.mismatches = differences(ref.snapshot.comparable(), snap.comparable())
    result.llm_reasks = snap.received.get(LLM_PATH, 0) - ref.snapshot.received.get(LLM_PATH, 0)
    result.leftovers = snap.leftovers
    if db_rows(cctui.data_dir, "SELECT 1 FROM runs WHERE run_id != ?", (run_id,)):
        result.errors.append("a second run was started instead of resuming the first")


# --------------------------------------------------------------------------- the suite


def suite(kills: int, seed: int, workdir: Path, say: Callable[[str], None] = print,
          plans: list[tuple[str, list[str]]] | None = None, plan_length: int = 4) -> dict[str, Any]:
    """Trials until `kills` kills have happened (or the given `plans`, once each)."""
    rng = random.Random(seed)
    say(f"crash suite: {kills if plans is None else 'fixed plans'} kills, seed {seed}, workdir {workdir}")
    refs: dict[str, Reference] = {}
    results: list[TrialResult] = []
    trial = 0
    while True:
        if plans is not None:
            if trial >= len(plans):
                break
            variant, plan = plans[trial]
        else:
            if sum(len(r.kills) for r in results) >= kills:
                break
            variant = ("example", "openai-image")[trial % 2]
            left = kills - sum(len(r.kills) for r in results)
            plan = [rng.choice(KINDS) for _ in range(min(plan_length, max(1, left)))]
        if variant not in refs:
            refs[variant] = reference_run(variant, workdir / f"reference-{variant}", say)
        trial += 1
        trial_seed = rng.randrange(1 << 30)
        say(f"trial {trial} (seed {trial_seed}, {variant}): plan {plan}")
        result = run_trial(trial, trial_seed, variant, plan, refs[variant], workdir / f"trial-{trial:02d}", say)
        say(result.summary())
        results.append(result)
        if plans is None and trial > 3 * kills:
            break
    totals = {
        "seed": seed,
        "trials": len(results),
        "kills": sum(len(r.kills) for r in results),
        "kills_by_kind": {k: sum(1 for r in results for x in r.kills if x.kind == k) for k in KINDS},
        "duplicate_submits": sum(sum(r.duplicates.values()) for r in results),
        "auto_resends": sum(sum(r.auto_resends.values()) for r in results),
        "incomplete_files": sum(len(r.incomplete) for r in results),
        "state_mismatches": sum(1 for r in results if r.mismatches),
        "not_completed": sum(1 for r in results if not r.completed),
        "errors": sum(len(r.errors) for r in results),
        "resubmits": sum(len(r.decisions) for r in results),
        "approved_second_submits": sum(1 for r in results for d in r.decisions if d.reached),
        "resubmits_first_never_arrived": sum(1 for r in results for d in r.decisions if not d.reached),
        "llm_reasks": sum(r.llm_reasks for r in results),
        "leftover_temp_files": sum(len(r.leftovers) for r in results),
        "ok": all(r.ok for r in results),
    }
    say("")
    say("summary: " + ", ".join(f"{k} {v}" for k, v in totals.items() if k != "kills_by_kind"))
    say("kills by kind: " + ", ".join(f"{k} {v}" for k, v in totals["kills_by_kind"].items()))
    totals["results"] = [asdict(r) for r in results]
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.crash.run_crash_suite", description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50, help="kill at least this many times (default 50)")
    parser.add_argument("--seed", type=int, default=None, help="seed of everything random (default: time)")
    parser.add_argument("--plan-length", type=int, default=4, help="kills planned per trial (default 4)")
    parser.add_argument("--trial-seed", type=int, help="replay one trial: its seed (printed by a run)")
    parser.add_argument("--variant", default="example", help="with --trial-seed: example | openai-image")
    parser.add_argument("--plan", help="with --trial-seed: comma-separated plan as printed")
    parser.add_argument("--workdir", help="where to keep data dirs and logs (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the workdir (always kept on failure)")
    parser.add_argument("--json", help="also write the summary and every trial as JSON to this file")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time()) % 100000
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="cctui-crash-"))
    if args.trial_seed is not None:
        ref = reference_run(args.variant, workdir / f"reference-{args.variant}", print)
        plan = args.plan.split(",") if args.plan else ["random"]
        result = run_trial(1, args.trial_seed, args.variant, plan, ref, workdir / "trial-replay", print)
        print(result.summary())
        totals = {"ok": result.ok}
    else:
        totals = suite(args.kills, seed, workdir, print, plan_length=args.plan_length)
    if args.json:
        Path(args.json).write_text(json.dumps(totals, indent=1, default=str))
    if totals["ok"] and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"workdir kept: {workdir}")
    return 0 if totals["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
