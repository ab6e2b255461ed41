"""Command line: the app, `validate`, `run --answers`, `runs`, `export`, `jobs`, `doctor`.

Every failure a user can cause ends in one plain message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from cctui.logs import setup_logging
from cctui.settings import Settings, SettingsError, load_settings

DEFAULT_WORKFLOW = Path("workflows/cc")


def _default_workflow() -> Path:
    # From a checkout, `workflows/cc` next to the package; otherwise relative to the cwd.
    here = Path(__file__).resolve().parent.parent / "workflows" / "cc"
    return here if here.is_dir() and not DEFAULT_WORKFLOW.is_dir() else DEFAULT_WORKFLOW


def cmd_validate(args: argparse.Namespace) -> int:
    from cctui.engine.engine import load
    from cctui.workflow.errors import WorkflowError, WorkflowErrors

    folder = Path(args.workflow_dir or _default_workflow())
    try:
        workflow = load(folder)
    except WorkflowErrors as exc:
        for err in exc.errors:
            print(f"error: {err}", file=sys.stderr)
        print(f"{folder}: {len(exc.errors)} problem(s)", file=sys.stderr)
        return 2
    except WorkflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{workflow.name} ({workflow.workflow_id}) from {workflow.root}")
    for i, step in enumerate(workflow.steps):
        modules = ", ".join(f"{m.name} [{m.module_id}]" for m in step.modules)
        print(f"  {i + 1}. {step.step_id}: {workflow.step_title(i)} -- {modules}")
    print(f"ok: {len(workflow.steps)} steps")
    return 0


async def _open_engine(settings: Settings, providers):
    from cctui.engine.engine import Engine

    return await Engine.open(settings.db_path, providers, settings.runs_dir())


def _providers(settings: Settings):
    from cctui.providers.registry import Providers

    return Providers(settings)


async def _run_batch(args: argparse.Namespace, settings: Settings) -> int:
    from cctui.batch import BatchRunner, check_answers, load_answers
    from cctui.engine.engine import load

    answers = load_answers(Path(args.answers))
    check_answers(answers, load(Path(args.workflow_dir)), source=str(args.answers))
    standin = None
    if args.demo:
        from cctui.demo import start_demo

        standin, settings = start_demo(settings)
    setup_logging(settings)
    providers = _providers(settings)
    engine = await _open_engine(settings, providers)
    try:
        runner = BatchRunner(engine, answers)
        run = await (runner.resume(args.resume) if args.resume else runner.run(Path(args.workflow_dir)))
        print(f"completed run {run.run_id}")
        return 0
    finally:
        await engine.close()
        if hasattr(providers, "aclose"):
            await providers.aclose()
        if standin is not None:
            standin.stop()


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_run_batch(args, settings))


async def _list_runs(settings: Settings) -> int:
    from cctui.costs.ledger import Ledger, money_text
    from cctui.store.db import Store

    if not settings.db_path.exists():
        print("no runs yet")
        return 0
    store = await Store.open(settings.db_path)
    try:
        rows = await store.list_runs()
        totals = await Ledger(store).totals()
        for row in rows:
            pos = row["position"]
            cost = money_text(totals.get(row["run_id"], {}))
            print(f"{row['run_id']}  {row['workflow_id']}  {row['status']:9}  step {pos.get('step', 0) + 1:<2}  {cost}")
        if not rows:
            print("no runs yet")
        elif len(rows) > 1:
            grand: dict[str, float] = {}
            for per_run in totals.values():
                for currency, amount in per_run.items():
                    grand[currency] = grand.get(currency, 0.0) + amount
            print(f"{len(rows)} runs, total {money_text(grand)}")
    finally:
        await store.close()
    return 0


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    from cctui.export import export_run
    from cctui.store.db import Store

    if not settings.db_path.exists():
        print(f"error: no runs in {settings.data_dir}", file=sys.stderr)
        return 2
    store = await Store.open(settings.db_path)
    try:
        if await store.get_run(args.run_id) is None:
            print(f"error: no run {args.run_id!r} (see `cctui runs`)", file=sys.stderr)
            return 2
        base = Path(args.dir).expanduser() if args.dir else settings.runs_dir() / args.run_id
        target = base / args.run_id if args.dir else base / "export"
        result = await export_run(store, args.run_id, target, secrets=settings.secret_values())
    finally:
        await store.close()
    print(f"exported run {args.run_id} to {result['folder']}")
    for name in result["files"]:
        print(f"  {name}")
    if result["missing"]:
        print(f"not in this run yet: {', '.join(result['missing'])}")
    return 0


async def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    standin = None
    if args.demo:
        from cctui.demo import start_demo

        standin, settings = start_demo(settings)
    providers = _providers(settings)
    try:
        states = await providers.check_keys()
    finally:
        await providers.aclose()
        if standin is not None:
            standin.stop()
    hints = {"missing": "no key set", "rejected": "the provider refused the key",
             "unreachable": "could not reach the endpoint", "configured": "key accepted"}
    urls = {"openai": settings.openai_base_url, "sora": settings.sora_base_url,
            "leonardo": settings.leonardo_base_url, "elevenlabs": settings.elevenlabs_base_url}
    for name, state in states.items():
        print(f"{name:11} {state:12} {hints[state]} ({urls.get(name, '')})")
    print(f"data dir    {settings.data_dir}")
    return 1 if "rejected" in states.values() else 0


async def _jobs(args: argparse.Namespace, settings: Settings) -> int:
    """List jobs that need a decision, and take it: resubmit (may be charged twice) or dismiss."""
    from cctui.jobs.manager import JobManager
    from cctui.store.db import Store

    if not settings.db_path.exists():
        print("no runs yet")
        return 0
    store = await Store.open(settings.db_path)
    providers = None
    try:
        if args.dismiss or args.resubmit:
            job_id = args.dismiss or args.resubmit
            job = await store.get_job(job_id)
            if job is None:
                print(f"error: no job {job_id!r}", file=sys.stderr)
                return 2
            if job["status"] not in ("unknown", "failed"):
                print(f"error: job {job_id} is {job['status']}; only unknown or failed jobs wait for a decision",
                      file=sys.stderr)
                return 2
            providers = _providers(settings)
            manager = JobManager(store, providers)
            if args.dismiss:
                await manager.dismiss(job_id)
                print(f"{job_id}: dismissed")
                return 0
            await manager.resubmit(job_id)
            await manager.wait([job_id])
            job = await store.get_job(job_id)
            print(f"{job_id}: {job['status']}" + (f": {job['error']}" if job["error"] else ""))
            return 0 if job["status"] == "completed" else 1
        rows = await store.unfinished_jobs()
        failed = [j for j in await store.list_jobs_by_status("failed")] if args.all else []
        for job in rows + failed:
            line = f"{job['job_id']}  {job['run_id']}  {job['provider']:10} {job['action']:9} {job['status']}"
            print(line + (f"  {job['error']}" if job["error"] else ""))
        if not rows and not failed:
            print("no jobs waiting")
        return 0
    finally:
        if providers is not None:
            await providers.aclose()
        await store.close()


def cmd_app(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from cctui.ui.app import run_app
    except ImportError:
        print("The terminal app is not built yet in this version; use `cctui run WORKFLOW --answers FILE`.",
              file=sys.stderr)
        return 1
    return run_app(settings, demo=args.demo, image_protocol=args.image_protocol)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cctui", description="Short pet videos with AI, reviewed at every step.")
    parser.add_argument("--demo", action="store_true", help="use the built-in offline stand-in for every provider")
    parser.add_argument("--data-dir", help="where runs, media and the database live (default: user data dir)")
    parser.add_argument("--image-protocol", choices=["auto", "tgp", "sixel", "halfcell", "unicode"],
                        help="how images are drawn; halfcell works everywhere, including over SSH and in tmux")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("validate", help="check a workflow folder and list its steps")
    p.add_argument("workflow_dir", nargs="?", help="default: workflows/cc")
    p = sub.add_parser("run", help="run a workflow without a screen, answers from a file")
    p.add_argument("workflow_dir")
    p.add_argument("--answers", required=True, help="JSON answers file (see examples/cc-answers.json)")
    p.add_argument("--resume", metavar="RUN_ID",
                   help="go on with a stored run (after a crash or an error) instead of starting a new one")
    p.add_argument("--demo", action="store_true", help="use the built-in offline stand-in for every provider")
    sub.add_parser("runs", help="list runs with what each has cost")
    p = sub.add_parser("export", help="write a run's bundle: final MP4, cover, clip, captions, SRT, summary, costs")
    p.add_argument("run_id")
    p.add_argument("dir", nargs="?", help="parent folder; the bundle goes in DIR/RUN_ID (default: the run's export folder)")
    p = sub.add_parser("jobs", help="jobs still running or waiting for your decision; resubmit or dismiss one")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--resubmit", metavar="JOB_ID", help="send an unknown/failed job again (it may be charged twice)")
    group.add_argument("--dismiss", metavar="JOB_ID", help="give up on an unknown/failed job")
    p.add_argument("--all", action="store_true", help="also list failed jobs")
    p = sub.add_parser("doctor", help="check each provider's key with one cheap call")
    p.add_argument("--demo", action="store_true", help="check against the built-in stand-in")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "validate":
            return cmd_validate(args)
        settings = load_settings(data_dir=args.data_dir)
        if args.command == "run":
            return cmd_run(args, settings)
        if args.command == "doctor":
            return asyncio.run(_doctor(args, settings))
        if args.command == "jobs":
            return asyncio.run(_jobs(args, settings))
        if args.command == "runs":
            return asyncio.run(_list_runs(settings))
        if args.command == "export":
            return asyncio.run(_export(args, settings))
        return cmd_app(args, settings)
    except KeyboardInterrupt:
        print("interrupted; the run is saved and can be resumed", file=sys.stderr)
        return 130
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        from cctui.costs.prices import PricesError
        from cctui.engine.errors import EngineError
        from cctui.export import ExportError
        from cctui.providers.base import ProviderError
        from cctui.workflow.errors import WorkflowError, WorkflowErrors

        if isinstance(exc, (EngineError, WorkflowError, WorkflowErrors, ProviderError, PricesError, ExportError)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        import logging

        logging.getLogger("cctui").exception("unexpected error")
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
