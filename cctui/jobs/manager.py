"""Paid generation jobs: recorded, submitted, polled, downloaded, resumed; never paid twice.

A job row is committed (status `submitting`) before the paid request leaves, and the provider's
job id is stored the moment it is known. After a restart, a job with a provider id is polled,
never resubmitted; a job without one may or may not have reached the provider, so it becomes
`unknown` and waits for the creator to decide (resubmit or dismiss).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Awaitable, Callable

from cctui.costs.ledger import Ledger
from cctui.providers.base import Cost, JobProgress, MediaFile, MediaRequest, ProviderError, Submitted
from cctui.store.db import Store

log = logging.getLogger(__name__)

JobListener = Callable[[dict[str, Any]], Awaitable[None] | None]
FINAL = ("completed", "failed", "cancelled")
FIRST_POLL = 0.1  # seconds after submit


class JobManager:
    def __init__(self, store: Store, providers, *, per_provider: int = 4, min_poll: float = 0.5,
                 max_poll: float = 15.0, download_attempts: int = 3):
        self.store = store
        self.providers = providers
        self.ledger = Ledger(store)
        self.min_poll = min_poll
        self.max_poll = max_poll
        self.download_attempts = download_attempts
        self._limits: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_provider))
        self._tasks: dict[str, asyncio.Task] = {}
        self._listeners: list[JobListener] = []

    # ------------------------------------------------------------------ listeners

    def subscribe(self, listener: JobListener) -> None:
        self._listeners.append(listener)

    async def _update(self, job_id: str, **fields: Any) -> dict[str, Any]:
        await self.store.update_job(job_id, **fields)
        row = await self.store.get_job(job_id)
        for listener in list(self._listeners):
            try:
                result = listener(row)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:  # a broken listener must not kill a paid job
                log.exception("job listener failed")
        return row

    # ------------------------------------------------------------------ start / resume

    async def start(self, request: MediaRequest, *, run_id: str, interaction_id: int | None, step_id: str | None,
                    module: str | None, prompt_key: str | None) -> str:
        """Check, record, then submit in the background. Returns the job id at once."""
        provider = self.providers.media(request.provider, request.action)
        job_id = self.store.new_job_id()
        # File names come from the job id, never from a URL or a prompt.
        request.stem = f"{step_id or 'job'}_{prompt_key or request.provider}_{job_id}"
        provider.check(request)  # refuses what the service would refuse, before any money
        Path(request.media_dir).mkdir(parents=True, exist_ok=True)
        await self.store.create_job(job_id=job_id, run_id=run_id, interaction_id=interaction_id, step_id=step_id,
                                    module=module, provider=request.provider, action=request.action,
                                    prompt_key=prompt_key, request=request.to_json())
        self._spawn(job_id, self._submit_and_follow(job_id, request))
        return job_id

    async def resume(self, run_id: str | None = None) -> list[str]:
        """Pick up unfinished jobs after a restart. Returns the ids now followed again."""
        followed = []
        for job in await self.store.unfinished_jobs(run_id):
            if job["job_id"] in self._tasks or job["status"] == "unknown":
                continue
            request = MediaRequest.from_json(job["request"])
            if job["provider_job_id"]:
                self._spawn(job["job_id"], self._follow(job["job_id"], request, job["provider_job_id"]))
                followed.append(job["job_id"])
            else:
                await self._update(job["job_id"], status="unknown",
                                   error="cctui stopped while sending this request; it may or may not have "
                                         "reached the provider. Resubmit it (it may be charged twice) or dismiss it.")
        return followed

    async def resubmit(self, job_id: str) -> None:
        """The creator's explicit decision to send an `unknown` or failed job again."""
        job = await self.store.get_job(job_id)
        if job is None or job["status"] not in ("unknown", "failed"):
            raise ValueError(f"job {job_id} cannot be resubmitted in status {job and job['status']}")
        request = MediaRequest.from_json(job["request"])
        await self._update(job_id, status="submitting", error=None, error_kind=None, provider_job_id=None)
        self._spawn(job_id, self._submit_and_follow(job_id, request))

    async def dismiss(self, job_id: str) -> None:
        await self._update(job_id, status="cancelled", finished_at=time.time())

    def _spawn(self, job_id: str, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"job {job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _t, j=job_id: self._tasks.pop(j, None))

    async def wait(self, job_ids: list[str] | None = None, timeout: float | None = None) -> None:
        tasks = [t for j, t in self._tasks.items() if job_ids is None or j in job_ids]
        if tasks:
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)

    def running(self) -> list[str]:
        return list(self._tasks)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    # ------------------------------------------------------------------ the job's life

    async def _record_cost(self, job_id: str, cost: Cost | None) -> None:
        if cost is not None:
            await self.ledger.set_job_cost(await self.store.get_job(job_id), cost)

    async def _fail(self, job_id: str, exc: ProviderError | Exception) -> None:
        kind = getattr(exc, "kind", "failed")
        await self._update(job_id, status="failed", error=str(exc) or type(exc).__name__, error_kind=kind,
                           finished_at=time.time())

    async def _submit_and_follow(self, job_id: str, request: MediaRequest) -> None:
        provider = self.providers.media(request.provider, request.action)
        async with self._limits[request.provider]:
            await self._update(job_id, attempts=(await self.store.get_job(job_id))["attempts"] + 1)
            try:
                submitted: Submitted = await provider.submit(request)
            except ProviderError as exc:
                if exc.kind == "server":
                    # A timeout or 5xx after sending: the job may exist (and be charged) anyway.
                    await self._update(job_id, status="unknown", error_kind=exc.kind,
                                       error=f"{exc} — the provider may or may not have started this job. "
                                             "Resubmit it (it may be charged twice) or dismiss it.")
                    return
                await self._fail(job_id, exc)
                return
            except Exception as exc:  # unexpected: keep it on the job, not in a traceback
                log.exception("submit failed")
                await self._fail(job_id, exc)
                return
        fields: dict[str, Any] = {"provider_job_id": submitted.provider_job_id, "status": "submitted",
                                  "submitted_at": time.time()}
        # The provider's id first: until it is stored, a crash leaves the job `unknown`.
        await self._update(job_id, **fields)
        # Accepted means charged: the provider's own figure, else the price list's.
        await self._record_cost(job_id, submitted.cost or _estimate(provider, request))
        if submitted.files:
            await self._finish(job_id, request, submitted.files)
            return
        await self._follow(job_id, request, submitted.provider_job_id, submitted.poll_after)

    async def _follow(self, job_id: str, request: MediaRequest, provider_job_id: str,
                      poll_after: float | None = None) -> None:
        provider = self.providers.media(request.provider, request.action)
        # The first look comes soon (a quick job, or a stand-in, is often done already); after
        # that the interval grows, so a ten-minute video is not polled hundreds of times.
        delay = poll_after if poll_after is not None else min(self.min_poll, FIRST_POLL)
        backoff = self.min_poll
        while True:
            await asyncio.sleep(max(0.0, min(delay, self.max_poll)))
            try:
                progress: JobProgress = await provider.poll(provider_job_id, request)
            except ProviderError as exc:
                if not exc.retryable:
                    await self._fail(job_id, exc)
                    return
                backoff = min(backoff * 2, self.max_poll)
                delay = exc.retry_after or backoff
                continue
            except Exception:  # a poll only reads: whatever broke, look again later, never stop following
                log.exception("poll failed")
                backoff = min(backoff * 2, self.max_poll)
                delay = backoff
                continue
            if progress.cost is not None:
                await self._record_cost(job_id, progress.cost)
            if progress.status == "failed":
                await self._fail(job_id, progress.error or ProviderError("the provider reported a failure", "failed"))
                return
            if progress.status == "completed":
                break
            await self._update(job_id, status="running", progress=progress.progress)
            backoff = min(backoff * 1.5, self.max_poll)
            delay = progress.poll_after if progress.poll_after is not None else backoff
        await self._update(job_id, status="downloading", progress=100.0)
        files: list[MediaFile] | None = None
        last: ProviderError | None = None
        for attempt in range(self.download_attempts):
            try:
                files = await provider.download(provider_job_id, request)
                break
            except ProviderError as exc:
                last = exc
                if not exc.retryable:
                    break
                await asyncio.sleep(min(2 ** attempt * self.min_poll, self.max_poll))
        if not files:
            await self._fail(job_id, last or ProviderError("the finished job had no files to download", "failed"))
            return
        await self._finish(job_id, request, files)

    async def _finish(self, job_id: str, request: MediaRequest, files: list[MediaFile]) -> None:
        job = await self.store.get_job(job_id)
        posters = [f for f in files if f.kind == "poster"]
        main = [f for f in files if f.kind != "poster"]
        source = request.source_image or {}
        async with self.store.transaction():
            for i, f in enumerate(main):
                meta = {**f.metadata, "params": request.params, "action": request.action, "mime": f.mime}
                if source:
                    meta["source_content_id"] = source.get("content_id")
                    meta["source_path"] = source.get("local_path")
                if i < len(posters):
                    meta["poster_path"] = posters[i].local_path
                await self.store.add_content(run_id=job["run_id"], kind=f.kind, provider=request.provider,
                                             local_path=f.local_path, url=f.url, prompt_key=job["prompt_key"],
                                             metadata=meta, job_id=job_id, interaction_id=job["interaction_id"],
                                             step_id=job["step_id"], module=job["module"])
            await self.store.update_job(job_id, status="completed", progress=100.0, finished_at=time.time())
        await self._update(job_id)


def _estimate(provider, request: MediaRequest) -> Cost | None:
    estimate = getattr(provider, "estimate", None)
    try:
        return estimate(request) if estimate else None
    except Exception:  # an estimate must never stop a paid job that has already been accepted
        log.exception("cost estimate failed")
        return None
