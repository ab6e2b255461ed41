"""Command line: the app, `validate`, `run --answers`, `runs`, `history`, `export`, `jobs`, `doctor`.

Every failure a user can cause ends in one plain message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from pathlib import Path

from cctui.logs import setup_logging
from cctui.settings import Settings, load_settings

DEFAULT_WORKFLOW = Path("workflows/cc")


def _default_workflow() -> Path:
    # From a checkout, `workflows/cc` next to the package; otherwise relative to the cwd.
    here = Path(__file__).resolve().parent.parent / "workflows" / "cc"
    return here if here.is_dir() and not DEFAULT_WORKFLOW.is_dir() else DEFAULT_WORKFLOW


def _load_or_say(folder: Path):
    """The loaded workflow, or None after one `error:` line per problem on stderr."""
    from cctui.engine.engine import load
    from cctui.workflow.errors import WorkflowError, WorkflowErrors

    try:
        return load(folder)
    except WorkflowErrors as exc:
        for err in exc.errors:
            print(f"error: {err}", file=sys.stderr)
        print(f"{folder}: {len(exc.errors)} problem(s)", file=sys.stderr)
    except WorkflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
    return None


def cmd_validate(args: argparse.Namespace) -> int:
    folder = Path(args.workflow_dir or _default_workflow())
    workflow = _load_or_say(folder)
    if workflow is None:
        return 2
    for warning in workflow.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{workflow.name} ({workflow.workflow_id}) from {workflow.root}")
    for i, step in enumerate(workflow.steps):
        modules = ", ".join(f"{m.name} [{m.module_id}]" for m in step.modules)
        print(f"  {i + 1}. {step.step_id}: {workflow.step_title(i)} -- {modules}")
    count = len(workflow.steps)
    warned = f", {len(workflow.warnings)} warning(s)" if workflow.warnings else ""
    print(f"ok: {count} step{'' if count == 1 else 's'}{warned}")
    return 0


def _providers(settings: Settings):
    from cctui.providers.registry import Providers

    return Providers(settings)


@contextlib.asynccontextmanager
async def _engine_session(settings: Settings):
    """The providers and an engine on the store, closed on every way out: an open aiosqlite
    connection (a non-daemon thread) would keep the process alive after its error was printed."""
    from cctui.engine.engine import Engine
    from cctui.store.db import Store

    providers = _providers(settings)
    try:
        store = await Store.open(settings.db_path)
        try:
            engine = Engine(store, providers, settings.runs_dir())  # loads the prices: may fail
            try:
                yield engine
            finally:
                await engine.close()
        finally:
            await store.close()
    finally:
        await providers.aclose()


async def _run_batch(args: argparse.Namespace, settings: Settings) -> int:
    from cctui.batch import BatchRunner, check_answers, load_answers
    from cctui.engine.engine import load

    answers = load_answers(Path(args.answers))
    check_answers(answers, load(Path(args.workflow_dir)), source=str(args.answers))
    setup_logging(settings)
    async with _engine_session(settings) as engine:
        runner = BatchRunner(engine, answers)
        run = await (runner.resume(args.resume) if args.resume else runner.run(Path(args.workflow_dir)))
        print(f"completed run {run.run_id}")
        return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_run_batch(args, settings))


async def _list_runs(settings: Settings) -> int:
    from cctui.engine.queries import money_text, open_queries

    if not settings.db_path.exists():
        print("no runs yet")
        return 0
    async with open_queries(settings.db_path) as queries:
        runs = await queries.run_summaries(step_titles=False)
    for run in runs:
        # "done" for a finished run: its position is past the last step.
        where = "done" if run.status == "completed" else f"step {run.step + 1}"
        print(f"{run.run_id}  {run.workflow_id}  {run.status:9}  {where:<7}  {money_text(run.costs)}")
    if not runs:
        print("no runs yet")
    elif len(runs) > 1:
        grand: dict[str, float] = {}
        for run in runs:
            for currency, amount in run.costs.items():
                grand[currency] = grand.get(currency, 0.0) + amount
        print(f"{len(runs)} runs, total {money_text(grand)}")
    return 0


async def _history(args: argparse.Namespace, settings: Settings) -> int:
    from cctui.engine.queries import open_queries

    if not settings.db_path.exists():
        print(f"error: no runs in {settings.data_dir}", file=sys.stderr)
        return 2
    async with open_queries(settings.db_path) as queries:
        entries = await queries.history(args.run_id)
    for e in entries:
        mark = "x" if e.abandoned else ">" if e.waiting else " "
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.asked_at))
        print(f"{mark} {e.interaction_id:>5}  {when}  branch {e.branch}  step {e.step_index + 1}  {e.module}: "
              f"{e.answer}")
    if any(e.abandoned for e in entries):
        print("x: left when the run went back (still in the log); >: asked now")
    return 0


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    from cctui.engine.queries import open_queries

    if not settings.db_path.exists():
        print(f"error: no runs in {settings.data_dir}", file=sys.stderr)
        return 2
    async with open_queries(settings.db_path) as queries:
        # A folder the user names may be anything, e.g. the runs folder itself: it is checked first.
        result = await queries.export(args.run_id, default=settings.runs_dir() / args.run_id / "export",
                                      into=Path(args.dir).expanduser() if args.dir else None,
                                      data_dir=settings.data_dir, secrets=settings.secret_values())
    print(f"exported run {args.run_id} to {result['folder']}")
    for name in result["files"]:
        print(f"  {name}")
    if result["missing"]:
        print(f"not in this run yet: {', '.join(result['missing'])}")
    if result["note"]:
        print(f"note: {result['note']}")
    return 0


def _gb(value) -> str:
    return f"{value / 1024 ** 3:.1f} GB" if isinstance(value, (int, float)) else "? GB"


def comfyui_lines(hosts: list[dict]) -> list[str]:
    """`cctui doctor`'s lines for the ComfyUI hosts: each one's GPU and free VRAM, or why not."""
    if not hosts:
        return ["comfyui     missing      no host set; set COMFYUI_URLS to use your own GPUs (leave it unset if "
                "you do not)"]
    lines = []
    for host in hosts:
        if host.get("problem"):
            lines.append(f"comfyui     unreachable  {host['problem']} Check COMFYUI_URLS ({host['host']})")
            continue
        slots = host.get("slots", 1)
        runs = "1 graph at a time" if slots == 1 else f"{slots} graphs at a time"
        version = f", ComfyUI {host['version']}" if host.get("version") else ""
        lines.append(f"comfyui     ready        {host['gpu']}: {_gb(host.get('vram_free'))} free of "
                     f"{_gb(host.get('vram_total'))} VRAM{version}, {runs} ({host['host']})")
    return lines


async def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    """One line per provider: its state, what to do next, and the base URL (no credentials).
    Exit 0 when every provider that has a key is usable (a missing key alone is fine), else 1."""
    from cctui.providers.sora import RETIRED
    from cctui.redact import redact_urls

    providers = _providers(settings)
    try:
        checks = await providers.check_providers()
        hosts = await providers.comfyui_report()
    finally:
        await providers.aclose()
    key_vars = {"openai": "OPENAI_API_KEY", "sora": "CCTUI_SORA_API_KEY (or OPENAI_API_KEY)",
                "leonardo": "LEONARDO_API_KEY", "elevenlabs": "ELEVENLABS_API_KEY", "fal": "FAL_KEY"}
    url_vars = {"openai": "OPENAI_BASE_URL", "sora": "CCTUI_SORA_BASE_URL",
                "leonardo": "LEONARDO_BASE_URL", "elevenlabs": "ELEVENLABS_BASE_URL", "fal": "FAL_BASE_URL"}

    def hint(name: str, state: str, status: int | None, detail: str) -> str:
        key, url = key_vars.get(name, "its key"), url_vars.get(name, "its base URL")
        if state == "configured":
            return "key accepted; nothing to do"
        if state == "missing":
            return f"no key set; set {key} to use it (leave it unset if you do not)"
        if state == "rejected":
            if status == 403:
                return f"the key was refused (403): check that {key} may use this API on its plan"
            return f"the key was refused ({status}): check {key}"
        if state == "not found":
            if name == "sora":
                return f"this endpoint does not serve /videos (404). {RETIRED}"
            return f"nothing is served there (404), a wrong base URL or a retired API: check {url}"
        if state == "unreachable":
            return f"no answer ({detail}): check the network and {url}"
        if status is not None and 200 <= status < 300:
            return f"answered {status}, but {detail or 'not as the API does'}: check that {url} points at the API"
        what = f"answered {status}" if status is not None else f"the answer broke off ({detail})"
        return f"{what}; try again later, and check {url} if it stays so"

    for name, check in checks.items():
        state = check.state
        shown = f"error {check.status}" if state == "error" and check.status is not None else state
        # base_url comes without credentials; the line is redacted again in case a detail quotes one.
        line = f"{name:11} {shown:12} {hint(name, state, check.status, check.detail)} ({check.base_url})"
        print(redact_urls(line))
    for line in comfyui_lines(hosts):
        print(redact_urls(line))
    print(f"data dir    {settings.data_dir}")
    unusable = [name for name, check in checks.items() if check.state not in ("configured", "missing")]
    unusable += [f"comfyui {host['host']}" for host in hosts if host.get("problem")]
    if unusable:
        print(f"not usable: {', '.join(unusable)}", file=sys.stderr)
    return 1 if unusable else 0


async def _jobs(args: argparse.Namespace, settings: Settings) -> int:
    from cctui.jobs_command import jobs_command

    return await jobs_command(args, settings, lambda: _providers(settings))


def check_opened_workflow(args: argparse.Namespace) -> int | None:
    """`--workflow DIR` checked before anything starts: an exit code after its `error:` lines, or
    None when there is nothing to say. It opens a workflow in the app only."""
    if args.workflow is None:
        return None
    if args.command is not None:
        print(f"error: --workflow opens a workflow in the app; `cctui {args.command}` does not use it"
              + (" (give the folder as its argument: `cctui validate DIR`, `cctui run DIR ...`)"
                 if args.command in ("validate", "run") else ""), file=sys.stderr)
        return 2
    folder = Path(args.workflow).expanduser()
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        print(f"error: --workflow {folder}: {what}; give the folder that holds the workflow file "
              "(check it with `cctui validate DIR`)", file=sys.stderr)
        return 2
    if _load_or_say(folder) is None:
        print(f"error: --workflow {folder} does not load: fix it (`cctui validate {folder}`) and open it again",
              file=sys.stderr)
        return 2
    return None


def cmd_app(args: argparse.Namespace, settings: Settings) -> int:
    from cctui.ui.terminal_images import prepare

    # Before the app's widgets import textual-image: it would ask the terminal and wait.
    protocol = prepare(args.image_protocol or settings.image_protocol)
    from cctui.ui.app import run_app

    # With --demo the settings already point at the stand-in (`demo_mode` in main; settings.demo
    # is set, which the app shows): run_app must not start a second one.
    opened = Path(args.workflow).expanduser() if args.workflow else None
    return run_app(settings, image_protocol=protocol, workflow_dir=opened)


def _demo_flag(parser: argparse.ArgumentParser) -> None:
    # `--demo` after a subcommand means what it means before it. SUPPRESS: when left out here the
    # subparser sets nothing, so it can never overwrite a top-level `--demo` with False.
    parser.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                        help="use the built-in offline stand-in for every provider (same as `cctui --demo ...`)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cctui", description="Short pet videos with AI, reviewed at every step.")
    parser.add_argument("--demo", action="store_true", help="use the built-in offline stand-in for every provider")
    parser.add_argument("--data-dir", help="where runs, media and the database live (default: user data dir)")
    parser.add_argument("--image-protocol", choices=["auto", "tgp", "sixel", "halfcell", "unicode"],
                        help="how images are drawn; halfcell works everywhere, including over SSH and in tmux")
    parser.add_argument("--workflow", metavar="DIR",
                        help="open the app on this workflow folder: n starts it (default: n asks which of the known "
                             "workflows when there are several)")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("validate", help="check a workflow folder and list its steps")
    p.add_argument("workflow_dir", nargs="?", help="default: workflows/cc")
    p = sub.add_parser("run", help="run a workflow without a screen, answers from a file")
    p.add_argument("workflow_dir")
    p.add_argument("--answers", required=True, help="JSON answers file (see examples/cc-answers.json)")
    p.add_argument("--resume", metavar="RUN_ID",
                   help="go on with a stored run (after a crash or an error) instead of starting a new one")
    _demo_flag(p)
    sub.add_parser("runs", help="list runs with what each has cost")
    p = sub.add_parser("history", help="a run's questions in order, with the answers given and those left by going back")
    p.add_argument("run_id")
    p = sub.add_parser("export", help="write a run's bundle: final MP4, cover, clip, captions, SRT, summary, costs")
    p.add_argument("run_id")
    p.add_argument("dir", nargs="?", help="parent folder; the bundle goes in DIR/RUN_ID (default: the run's export folder)")
    p = sub.add_parser("jobs", help="jobs still running or waiting for your decision; fetch again, resubmit or dismiss one")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--fetch", metavar="JOB_ID",
                       help="ask the provider again about a job it accepted, and download it (no new charge)")
    group.add_argument("--resubmit", metavar="JOB_ID",
                       help="send a job again: asks the provider first, then names the price and asks")
    group.add_argument("--dismiss", metavar="JOB_ID", help="give up on a job that waits for a decision")
    p.add_argument("--yes", action="store_true", help="confirm a resubmit's new paid request without asking")
    p.add_argument("--all", action="store_true", help="also list failed jobs")
    _demo_flag(p)
    p = sub.add_parser("doctor", help="check each provider's key with one cheap call")
    _demo_flag(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        from cctui.store.db import close_leftovers

        # Last line of defence; every command closes its store itself. One still open here lost
        # its event loop with the command's error: its thread would keep the process from exiting.
        if close_leftovers():
            import logging

            logging.getLogger("cctui").warning("a store was left open at exit and has been closed")


class _CleanStream:
    """A console stream that shows control characters instead of obeying them: error bodies, LLM
    text and job errors reach these lines, and an ESC in them must not drive the terminal."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        from cctui.safe_text import clean

        return self._stream.write(clean(text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _clean_console():
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _CleanStream(out), _CleanStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:  # the app: Textual writes its own escape sequences
        return _dispatch(args)
    with _clean_console():
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        with _clean_console():  # its lines quote the workflow's files
            refused = check_opened_workflow(args)
        if refused is not None:
            return refused
        if args.command == "validate":
            return cmd_validate(args)
        settings = load_settings(data_dir=args.data_dir)
        if args.command == "runs":
            return asyncio.run(_list_runs(settings))
        if args.command == "history":
            return asyncio.run(_history(args, settings))
        if args.command == "export":
            return asyncio.run(_export(args, settings))
        from cctui.demo import demo_mode

        # Everything below can reach a provider: with --demo (before or after the subcommand)
        # it reaches the stand-in instead, whatever keys and base URLs the environment holds.
        with demo_mode(settings, args.demo) as settings:
            if args.command == "run":
                return cmd_run(args, settings)
            if args.command == "doctor":
                return asyncio.run(_doctor(args, settings))
            if args.command == "jobs":
                return asyncio.run(_jobs(args, settings))
            return cmd_app(args, settings)
    except KeyboardInterrupt:
        print("interrupted; the run is saved and can be resumed", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        from cctui.errors import CctuiError

        if isinstance(exc, CctuiError):
            print(f"error: {exc.report()}", file=sys.stderr)
            return 2
        import sqlite3

        if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
            # Each write is one transaction: what was saved before it is whole.
            print(f"error: the database could not be written ({exc}): free some space on the disk that holds "
                  "the data folder; nothing saved before is lost, and `cctui run ... --resume RUN_ID` goes on "
                  "from there", file=sys.stderr)
            return 2
        import logging

        # Into the log file when there is one; with no handler, logging's fallback would print
        # the traceback on the terminal.
        if logging.getLogger().handlers:
            logging.getLogger("cctui").exception("unexpected error")
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
