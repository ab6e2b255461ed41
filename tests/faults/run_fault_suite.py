"""Fault suite: whole demo runs in batch mode against a stand-in that fails a fraction of requests.

    .venv/bin/python -m tests.faults.run_fault_suite [--seeds 1,2,3] [--rate 0.2] [--workdir DIR] [--keep]

For each seed, a stand-in is started as its own process with `--fault-rate RATE --fault-seed SEED`
(see `cctui.standin.fault_mode`: 429 with Retry-After, 503, 500, timeouts, connection resets,
truncated bodies, malformed JSON; the last five after the request was processed, so a paid job
may exist although the client saw a failure). `cctui run workflows/cc --answers
examples/cc-answers.json` runs against it as a subprocess (client timeouts shortened to
`CLIENT_TIMEOUT` by `tests.crash.cctui_proc`, the stand-in's `timeout` fault waits longer).

Each start of cctui must either complete (exit 0) or stop with one clear `error:` line (exit
non-zero, no traceback). After a stop the harness does what the user would: it runs the command
`cctui jobs` prints on each `next:` line (`--fetch` when the provider holds the job, `--resubmit`
confirmed with `--yes` otherwise), then `cctui run ... --resume RUN_ID`, until the run completes
(at most `MAX_STARTS` starts). A generation the answers' choice did not need is left waiting by
the run (it goes on without it); the harness decides on it the same way after the run completes.

Checked at the end of each run: nothing generated was lost (every content row ever seen is still
there, and its file exists with the size and sha256 of a file the stand-in served), no paid
POST was sent more often than asked (the stand-in's accepted paid POSTs minus the reference
run's, minus user-approved second submits; and received minus reference minus resubmits, which
would catch an automatic resend), and the final state equals that of the uninterrupted reference
run (normalised as `tests.crash.harness.normalise` explains). Every start's outcome is printed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from tests.crash.harness import (EXAMPLE_ANSWERS, LLM_PATH, PAID_PATHS, WORKFLOW, Cctui, Decision, StandInProc,
                                 db_rows, differences, duplicate_submits, incomplete_files, jobs, ledger_charges,
                                 resolve_waiting_jobs, run_ids, snapshot)
from tests.crash.run_crash_suite import Reference, reference_run

RATE = 0.2
CLIENT_TIMEOUT = 2.5  # seconds every provider client waits for an answer in these runs
FAULT_TIMEOUT = 3.5  # seconds the stand-in's `timeout` fault keeps the client waiting
MAX_STARTS = 30
ENV = {"CRASH_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT), "CRASH_MIN_POLL": "0.2"}


@dataclass
class Start:
    args: str
    code: int
    seconds: float
    message: str  # the last line on stderr (the error), or the completion line


@dataclass
class FaultResult:
    seed: int
    rate: float
    starts: list[Start] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    # Commands followed after the run completed: for generations the run went on without
    # because the answers' choices did not need them.
    later: list[Decision] = field(default_factory=list)
    completed: bool = False
    faults_injected: dict[str, int] = field(default_factory=dict)
    draws: int = 0
    duplicates: dict[str, int] = field(default_factory=dict)
    auto_resends: dict[str, int] = field(default_factory=dict)
    incomplete: list[str] = field(default_factory=list)
    lost_content: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    unclear: list[str] = field(default_factory=list)  # tracebacks, or a stop without an `error:` line
    llm_extra_calls: int = 0
    refused_submits: int = 0  # paid POSTs answered 429/503 (nothing accepted), sent again by cctui
    ledger_mismatch: str = ""  # ledger rows != paid submits the stand-in accepted
    unreported_costs: list[str] = field(default_factory=list)  # state differences: a charge never stated
    seconds: float = 0.0

    @property
    def unattended(self) -> bool:
        """Completed at its first start: the video was made with nothing for the user to do on
        the way (a generation it did not need may be left for the user to decide on later)."""
        return self.completed and len(self.starts) == 1 and not self.decisions

    @property
    def ok(self) -> bool:
        return (self.completed and not self.duplicates and not self.auto_resends and not self.incomplete
                and not self.lost_content and not self.mismatches and not self.unclear
                and not self.ledger_mismatch)

    def summary(self) -> str:
        approved = sum(1 for d in self.decisions if d.reached)
        lines = [f"seed {self.seed} at {self.rate:.0%}: {'completed' if self.completed else 'NOT COMPLETED'} after "
                 f"{len(self.starts)} starts in {self.seconds:.0f} s; {sum(self.faults_injected.values())} faults "
                 f"injected in {self.draws} requests ({', '.join(f'{k} {v}' for k, v in sorted(self.faults_injected.items()))}); "
                 f"commands followed {len(self.decisions)} (fetch {sum(d.command == 'fetch' for d in self.decisions)}, "
                 f"approved second submits {approved}); left for later {len(self.later)}; 429/503 submits sent again {self.refused_submits}; "
                 f"duplicates {sum(self.duplicates.values())}; auto-resends {sum(self.auto_resends.values())}; "
                 f"incomplete files {len(self.incomplete)}; lost content {len(self.lost_content)}; "
                 f"state mismatches {len(self.mismatches)}; costs not stated {len(self.unreported_costs)}; "
                 f"LLM calls beyond the reference {self.llm_extra_calls}"
                 + (f"; LEDGER: {self.ledger_mismatch}" if self.ledger_mismatch else "")]
        for s in self.starts:
            lines.append(f"    start `{s.args}` -> exit {s.code} after {s.seconds:.1f} s: {s.message}")
        for d in self.decisions + self.later:
            lines.append(f"    {'after completion: ' if d in self.later else ''}{d.command} {d.provider} {d.action} job {d.job_id} ({d.status}"
                         + ("" if d.command == "fetch" else
                            f"; first submit {'had reached' if d.reached else 'had not reached'} the provider")
                         + f") -> {d.outcome}")
        for label, items in (("DUPLICATE", [f"{k} +{v}" for k, v in self.duplicates.items()]),
                             ("AUTO-RESEND", [f"{k} +{v}" for k, v in self.auto_resends.items()]),
                             ("INCOMPLETE", self.incomplete), ("LOST", self.lost_content),
                             ("MISMATCH", self.mismatches), ("UNCLEAR", self.unclear)):
            lines += [f"    {label}: {item}" for item in items]
        return "\n".join(lines)


def fault_run(seed: int, rate: float, ref: Reference, workdir: Path, say: Callable[[str], None] = print,
              kinds: str | None = None) -> FaultResult:
    result = FaultResult(seed, rate)
    started = time.monotonic()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    extra = ["--fault-rate", str(rate), "--fault-seed", str(seed), "--fault-timeout", str(FAULT_TIMEOUT),
             "--retry-after", "0.5"] + (["--fault-kinds", kinds] if kinds else [])
    standin = StandInProc(workdir / "standin", job_seconds=1.0, extra_args=extra).start()
    try:
        cctui = Cctui(workdir / "data", standin.url, extra_env=ENV)
        approved: dict[str, int] = {}
        seen_content: set[str] = set()
        run_id: str | None = None
        for _ in range(MAX_STARTS):
            result.decisions += resolve_waiting_jobs(cctui, standin, approved)
            if run_id is None:
                ids = run_ids(cctui.data_dir)
                run_id = ids[0] if ids else None
            args = ["run", str(WORKFLOW), "--answers", str(ref.answers)] + (["--resume", run_id] if run_id else [])
            outcome = cctui.run(args, timeout=600)
            last = (outcome.stderr.strip().splitlines() or [""])[-1] if outcome.code else \
                (outcome.stdout.strip().splitlines() or [""])[-1]
            result.starts.append(Start(" ".join(["run"] + args[-2:] if run_id else ["run", "(new)"]),
                                       outcome.code, outcome.seconds, last[:400]))
            say(f"  start {len(result.starts)}: exit {outcome.code} after {outcome.seconds:.1f} s: {last[:200]}")
            if "Traceback" in outcome.stderr:
                result.unclear.append(f"traceback: {outcome.stderr.strip()[-600:]}")
            if outcome.code != 0 and not last.startswith("error: "):
                result.unclear.append(f"exit {outcome.code} without an `error:` line: {outcome.stderr.strip()[-400:]}")
            if outcome.code != 0 and last.startswith("error: unexpected"):
                result.unclear.append(f"an unexpected error reached the user: {last[:300]}")
            seen_content |= {r["content_id"] for r in db_rows(cctui.data_dir, "SELECT content_id FROM content")}
            if outcome.code == 0:
                result.completed = True
                if run_id is None:
                    run_id = run_ids(cctui.data_dir)[0]
                break
        if result.completed:
            # What the run went on without, decided afterwards as the user would.
            result.later = resolve_waiting_jobs(cctui, standin, approved)
        log = standin.fault_log()
        mode = log.get("mode") or {}
        result.faults_injected = dict(mode.get("injected") or {})
        result.draws = int(mode.get("draws") or 0)
        if run_id is not None:
            standin.set_fault_mode(False)  # the checks below talk to the stand-in too
            _verify(result, ref, cctui, standin, run_id, seen_content)
    finally:
        standin.stop()
        result.seconds = time.monotonic() - started
    return result


def _verify(result: FaultResult, ref: Reference, cctui: Cctui, standin: StandInProc, run_id: str,
            seen_content: set[str]) -> None:
    snap = snapshot(cctui.data_dir, standin, run_id)
    approved: dict[str, int] = {}
    resubmits: dict[str, int] = {}
    for d in result.decisions + result.later:
        if d.command == "resubmit":
            resubmits[d.path] = resubmits.get(d.path, 0) + 1
        if d.reached:
            approved[d.path] = approved.get(d.path, 0) + 1
    result.duplicates = duplicate_submits(snap.accepted, ref.snapshot.accepted, approved)
    # A paid POST answered 429/503 before anything was done is sent again by cctui on its own (it
    # is still one job); every other POST beyond the reference needs a resubmit the user asked for.
    refused: dict[str, int] = {}
    for entry in standin.fault_log().get("faults") or []:
        key = f"{entry['method']} {entry['path']}"
        if entry["kind"] in ("429", "503") and key in PAID_PATHS.values():
            refused[key] = refused.get(key, 0) + 1
    result.refused_submits = sum(refused.values())
    for path in set(PAID_PATHS.values()):
        extra = (snap.received.get(path, 0) - ref.snapshot.received.get(path, 0) - resubmits.get(path, 0)
                 - refused.get(path, 0))
        if extra > 0:
            result.auto_resends[path] = extra
    # The ledger holds one row per paid submit the provider accepted.
    # The ledger holds one row per paid submit the provider accepted, except the lost answers of
    # synchronous calls that the user chose to send again (cctui never learned of those charges).
    charges = sum(ledger_charges(cctui.data_dir, provider, action) for provider, action in PAID_PATHS)
    accepted = sum(snap.accepted.get(path, 0) for path in set(PAID_PATHS.values()))
    if charges + sum(approved.values()) != accepted:
        result.ledger_mismatch = (f"{charges} ledger rows and {sum(approved.values())} lost answers for "
                                  f"{accepted} accepted paid submits")
    result.incomplete = incomplete_files(snap, standin.served())
    now = {r["content_id"] for r in db_rows(cctui.data_dir, "SELECT content_id FROM content")}
    result.lost_content = sorted(seen_content - now)
    if result.completed:
        mismatches = differences(*without_left_generations(ref.snapshot.comparable(), snap.comparable()),
                                 limit=50)
        # A job found in the provider's list after its answer was lost has no stated price (the
        # provider states it only in the lost answer): its cost is "not known", not a mismatch.
        unreported = db_rows(cctui.data_dir, "SELECT count(*) AS n FROM costs WHERE source = 'unreported'")[0]["n"]
        if unreported:
            cost_path = re.compile(r"\.(cost|cost_amount|cost_unit)(\.|:)")
            result.unreported_costs = [m for m in mismatches if cost_path.search(m) and "here 'None'" in m]
            mismatches = [m for m in mismatches if m not in result.unreported_costs]
        result.mismatches = mismatches[:8]
    result.llm_extra_calls = snap.received.get(LLM_PATH, 0) - ref.snapshot.received.get(LLM_PATH, 0)


def without_left_generations(reference: Any, here: Any) -> tuple[Any, Any]:
    """Both states without the generations this run went on without. The state records a
    module's generations as they were when the choice was made; one left waiting then (and
    decided on after the run) is recorded waiting, which is what happened, not a difference."""
    if isinstance(reference, dict) and isinstance(here, dict):
        pairs = {k: without_left_generations(reference[k], here[k]) if k in here else (reference[k], None)
                 for k in reference}
        return ({k: v[0] for k, v in pairs.items()},
                {k: (pairs[k][1] if k in pairs else v) for k, v in here.items()})
    if _generations(reference) and _generations(here) and len(reference) == len(here):
        keep = [i for i, g in enumerate(here) if g["status"] in ("completed", "cancelled")]
        return [reference[i] for i in keep], [here[i] for i in keep]
    if isinstance(reference, list) and isinstance(here, list) and len(reference) == len(here):
        pairs = [without_left_generations(a, b) for a, b in zip(reference, here)]
        return [a for a, _ in pairs], [b for _, b in pairs]
    return reference, here


def _generations(value: Any) -> bool:
    """A module's list of generations, wherever the workflow keeps it in the state."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(g, dict) and "status" in g and "items" in g for g in value)


def suite(seeds: list[int], rate: float, workdir: Path, say: Callable[[str], None] = print,
          kinds: str | None = None) -> dict[str, Any]:
    say(f"fault suite: rate {rate:.0%}, seeds {seeds}, workdir {workdir}")
    ref = reference_run("example", workdir / "reference", say)
    results = []
    for seed in seeds:
        say(f"seed {seed}:")
        result = fault_run(seed, rate, ref, workdir / f"seed-{seed}", say, kinds)
        say(result.summary())
        results.append(result)
    totals = {
        "rate": rate, "seeds": seeds, "runs": len(results),
        "completed": sum(r.completed for r in results),
        "completed_unattended": sum(r.unattended for r in results),
        "starts": sum(len(r.starts) for r in results),
        "faults_injected": sum(sum(r.faults_injected.values()) for r in results),
        "commands_followed": sum(len(r.decisions) for r in results),
        "left_for_later": sum(len(r.later) for r in results),
        "fetches": sum(1 for r in results for d in r.decisions if d.command == "fetch"),
        "refused_submits_sent_again": sum(r.refused_submits for r in results),
        "ledger_mismatches": sum(1 for r in results if r.ledger_mismatch),
        "costs_not_stated": sum(len(r.unreported_costs) for r in results),
        "approved_second_submits": sum(1 for r in results for d in r.decisions + r.later if d.reached),
        "duplicate_submits": sum(sum(r.duplicates.values()) for r in results),
        "auto_resends": sum(sum(r.auto_resends.values()) for r in results),
        "incomplete_files": sum(len(r.incomplete) for r in results),
        "lost_content": sum(len(r.lost_content) for r in results),
        "state_mismatches": sum(1 for r in results if r.mismatches),
        "unclear_stops": sum(len(r.unclear) for r in results),
        "ok": all(r.ok for r in results),
    }
    say("")
    say("summary: " + ", ".join(f"{k} {v}" for k, v in totals.items()))
    totals["results"] = [asdict(r) for r in results]
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.run_fault_suite", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5", help="fault seeds: 1,2,3 or 1-20 (default 1,2,3,4,5)")
    parser.add_argument("--rate", type=float, default=RATE, help="fraction of requests that fail (default 0.2)")
    parser.add_argument("--kinds", help="only these fault kinds (comma-separated; default all)")
    parser.add_argument("--workdir", help="where to keep data dirs and logs (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the workdir (always kept on failure)")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    seeds = []
    for part in (p.strip() for p in args.seeds.split(",") if p.strip()):
        low, _, high = part.partition("-")  # "1-20" is seeds 1 to 20
        seeds += list(range(int(low), int(high) + 1)) if high else [int(low)]
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="cctui-faults-"))
    totals = suite(seeds, args.rate, workdir, print, args.kinds)
    if args.json:
        Path(args.json).write_text(json.dumps(totals, indent=1, default=str))
    if totals["ok"] and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"workdir kept: {workdir}")
    return 0 if totals["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
