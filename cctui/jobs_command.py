"""`cctui jobs`: the jobs that wait for the creator, and the ways on (fetch again, resubmit, dismiss).

Fetching again is free and always comes first: a job the provider accepted is asked about again,
and a lost submit is looked for in the provider's list of jobs. A second paid request is sent only
when the provider never took the first or says it ended without a result, and only after the
creator has seen its price and said yes (on a terminal), or passed `--yes`.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Callable

from cctui.jobs.statuses import DECIDABLE, IN_PROGRESS, can_fetch_again, can_resubmit, retry_text
from cctui.records import JobRecord, JobStatus
from cctui.settings import Settings
from cctui.store.db import Store
from cctui.store.lease import LeaseHeld, RunLeases

EXIT_USAGE = 2


def way_on(job: JobRecord) -> str | None:
    """The command that takes a waiting job further: never a resubmit while fetching is possible."""
    if job.status in DECIDABLE:
        if _can_fetch(job) and job.accepted:
            return f"cctui jobs --fetch {job.job_id}  (no new charge)"
        if job.status is JobStatus.UNKNOWN:
            return (f"cctui jobs --resubmit {job.job_id}  (looks for it at the provider first; a new paid "
                    f"request only if it is not there, after naming the price) or --dismiss")
        if _can_resubmit(job):
            return f"cctui jobs --resubmit {job.job_id}  (a new paid request, after naming the price) or --dismiss"
    return None


def _can_fetch(job: JobRecord) -> bool:
    return can_fetch_again(job.status, job.accepted, job.error_kind)


def _can_resubmit(job: JobRecord) -> bool:
    return can_resubmit(job.status, job.accepted, job.error_kind)


def job_line(job: JobRecord, now: float) -> str:
    line = f"{job.job_id}  {job.run_id}  {job.provider:10} {job.action:9} {job.status}"
    waiting = retry_text(job.status, job.retry_reason, job.retry_at, now)
    if waiting:
        return f"{line}  {waiting}"
    if job.error and job.status not in IN_PROGRESS:
        line += f"  {job.error}"
    step = way_on(job)
    return line + (f"\n    next: {step}" if step else "")


async def jobs_command(args: argparse.Namespace, settings: Settings, make_providers: Callable[[], Any],
                       ask: Callable[[str], bool] | None = None) -> int:
    job_id = args.dismiss or args.resubmit or args.fetch
    if not settings.db_path.exists():
        if job_id:
            print(f"error: no job {job_id!r}: there are no runs in {settings.data_dir} yet", file=sys.stderr)
            return EXIT_USAGE
        print("no runs yet")
        return 0
    store = await Store.open(settings.db_path)
    try:
        if not job_id:
            return await _list(store, args.all)
        job = await store.get_job(job_id)
        if job is None:
            print(f"error: no job {job_id!r} (`cctui jobs` lists the jobs that wait)", file=sys.stderr)
            return EXIT_USAGE
        leases = RunLeases(store)
        try:
            await leases.acquire(job.run_id)
        except LeaseHeld as exc:
            print(f"error: {exc}; that process follows this job itself: wait for it, or stop it and run "
                  f"this again", file=sys.stderr)
            return 1
        try:
            return await _decide(store, job, args, make_providers, ask or _ask_on_terminal)
        finally:
            await leases.close()
    finally:
        await store.close()


async def _list(store: Store, show_failed: bool) -> int:
    rows = await store.unfinished_jobs()
    failed = await store.list_jobs_by_status(JobStatus.FAILED) if show_failed else []
    now = time.time()
    for job in rows + failed:
        print(job_line(job, now))
    if not rows and not failed:
        print("no jobs waiting" + ("" if show_failed else " (--all also lists failed ones)"))
    return 0


async def _decide(store: Store, job: JobRecord, args: argparse.Namespace, make_providers,
                  ask: Callable[[str], bool]) -> int:
    from cctui.jobs.manager import JobManager

    job_id = job.job_id
    if job.status not in DECIDABLE:
        print(f"error: job {job_id} is {job.status}; only jobs that are {', '.join(sorted(DECIDABLE))} wait for a "
              f"decision", file=sys.stderr)
        return EXIT_USAGE
    if args.dismiss:
        await store.update_job(job_id, status=JobStatus.CANCELLED, finished_at=time.time(), retry_reason=None,
                               retry_at=None)
        print(f"{job_id}: dismissed")
        return 0
    providers = make_providers()
    manager = None
    try:
        manager = JobManager(store, providers)
        if _can_fetch(job) and (job.accepted or _can_look(manager, job)):
            # Free, and first: the provider may hold the result already (a resubmit would pay twice).
            print(f"{job_id}: asking {job.provider} about it again (no new charge)")
            await manager.fetch_again(job_id)
            await manager.wait([job_id])
            job = await store.get_job(job_id)
            if args.fetch or not _can_resubmit(job):
                return _report(job)
            print(_outcome(job))
        elif args.fetch:
            print(f"error: job {job_id} cannot be fetched: "
                  + (f"{job.provider} never accepted it or said it ended ({job.error}). "
                     if job.status is JobStatus.FAILED else f"{job.provider} cannot be asked about lost requests. ")
                  + f"Send it again with `cctui jobs --resubmit {job_id}` (a new paid request) or give it up "
                    f"with `cctui jobs --dismiss {job_id}`", file=sys.stderr)
            return 1
        if not _can_resubmit(job):
            return _report(job)
        price = manager.price_text(job)
        question = f"Send a new paid request for {job_id} to {job.provider} ({price})?"
        if not args.yes:
            if not sys.stdin.isatty():
                print(f"error: resubmitting {job_id} sends a new paid request to {job.provider} ({price}); "
                      f"confirm with `cctui jobs --resubmit {job_id} --yes`", file=sys.stderr)
                return EXIT_USAGE
            if not ask(question):
                print(f"{job_id}: left as it was")
                return 1
        await manager.resubmit(job_id)
        await manager.wait([job_id])
        return _report(await store.get_job(job_id))
    finally:
        try:
            if manager is not None:
                await manager.close()  # its tasks use the store and the clients closed next
        finally:
            await providers.aclose()


def _can_look(manager, job: JobRecord) -> bool:
    """Whether the provider's list of jobs can be searched for a lost submit of `job`."""
    from cctui.providers.base import MediaRequest

    return manager.finder(MediaRequest.from_json(job.request)) is not None


def _outcome(job: JobRecord) -> str:
    return f"{job.job_id}: {job.status}" + (f": {job.error}" if job.error else "")


def _report(job: JobRecord) -> int:
    print(_outcome(job))
    step = way_on(job)
    if step:
        print(f"    next: {step}")
    return 0 if job.status is JobStatus.COMPLETED else 1


def _ask_on_terminal(question: str) -> bool:
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False
