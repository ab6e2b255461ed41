"""Paid generation jobs: recorded, submitted, followed, downloaded, resumed; never paid twice.

A job row is committed (status `submitting`) before the paid request leaves, and the provider's
job id is stored the moment it is known. From then on the job is followed until the provider
says how it ended: a transient error while polling or downloading (429, 5xx, a timeout, a reset,
a garbled body) is waited out with backoff for as long as the provider keeps results, shown as
"retrying" on the job, never turned into `failed`. A finished job whose files could not be saved
(disk full, over the size cap) is `not_downloaded`: fetching it again is the way on, never a new
submit. A submit whose answer was lost is `unknown` until the provider's own list of jobs says
whether it arrived (`find_submitted`); only the creator sends a paid request a second time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Awaitable, Callable

from cctui.costs.ledger import Ledger
from cctui.jobs.statuses import PROVIDER_ENDED_KINDS, TRANSIENT_KINDS, can_fetch_again, can_resubmit
from cctui.providers.base import Cost, JobProgress, MediaFile, MediaRequest, ProviderError, Submitted
from cctui.records import JobRecord, JobStatus, ProviderJobState
from cctui.store.db import Store

log = logging.getLogger(__name__)

JobListener = Callable[[JobRecord], Awaitable[None] | None]
# Seconds from an accepted submit to the first look, when the provider gives no hint: at once. A
# job already finished (a quick one, a stand-in's, one a provider answers from its cache) costs no
# wait; one still running costs one free GET, after which the interval grows.
FIRST_POLL = 0.0
DEFAULT_RESULT_WINDOW = 6 * 3600.0  # how long a provider keeps a finished job's files, unless it says
SUBMIT_REFUSED_TRIES = 5  # a paid submit answered 429/503: nothing was accepted, send again
SUBMIT_MAX_WAIT = 60.0  # the longest single wait before sending a refused submit again
UNPAID_TRIES = 5  # failures before the paid request (an upload): retried freely
SETTLE_TRIES = 4  # looks at the provider's job list after a submit whose answer was lost
SETTLE_WAIT = 2.0
SETTLE_FRESH = 60.0  # seconds after a submit in which the provider's list may not show it yet


class JobManager:
    def __init__(self, store: Store, providers, *, per_provider: int = 4, min_poll: float = 0.5,
                 max_poll: float = 15.0, download_attempts: int = 3, result_window: float | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.store = store
        self.providers = providers
        self.ledger = Ledger(store) if store is not None else None
        self.min_poll = min_poll
        self.max_poll = max_poll
        self.download_attempts = download_attempts
        self.result_window = result_window
        self._sleep = sleep
        self._limits: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_provider))
        self._tasks: dict[str, asyncio.Task] = {}
        self._listeners: list[JobListener] = []

    # ------------------------------------------------------------------ listeners

    def subscribe(self, listener: JobListener) -> None:
        self._listeners.append(listener)

    async def _update(self, job_id: str, **fields: Any) -> JobRecord:
        await self.store.update_job(job_id, **fields)
        return await self._notify(job_id)

    async def _notify(self, job_id: str) -> JobRecord:
        row = await self.store.get_job(job_id)
        for listener in list(self._listeners):
            try:
                result = listener(row)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:  # a broken listener must not kill a paid job
                log.exception("job listener failed")
        return row

    # ------------------------------------------------------------------ start / resume / decisions

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

    async def record_finished(self, request: MediaRequest, *, run_id: str, interaction_id: int | None,
                              step_id: str | None, module: str | None, prompt_key: str | None, kind: str,
                              local_path: str, metadata: dict[str, Any]) -> str:
        """A job no provider does (the creator's own file): written finished with its file in one
        transaction, so that it is listed, chosen and used like any generation. Nothing is sent
        and nothing is charged: it has no provider id and no ledger row."""
        job_id = self.store.new_job_id()
        async with self.store.transaction():
            await self.store.create_job(job_id=job_id, run_id=run_id, interaction_id=interaction_id,
                                        step_id=step_id, module=module, provider=request.provider,
                                        action=request.action, prompt_key=prompt_key, request=request.to_json())
            await self.store.add_content(run_id=run_id, kind=kind, provider=request.provider, local_path=local_path,
                                         url=None, prompt_key=prompt_key,
                                         metadata={**metadata, "params": request.params, "action": request.action},
                                         job_id=job_id, interaction_id=interaction_id, step_id=step_id,
                                         module=module)
            now = time.time()
            await self.store.update_job(job_id, status=JobStatus.COMPLETED, progress=100.0, finished_at=now)
        await self._notify(job_id)
        return job_id

    async def resume(self, run_id: str | None = None) -> list[str]:
        """Pick up unfinished jobs after a restart (by the run's one driving process). Returns the
        ids now followed again: every job with a provider id, whatever broke before (a not
        downloaded result is fetched again), and every lost submit is looked for at the provider."""
        followed = []
        for job in await self.store.unfinished_jobs(run_id):
            if job.job_id in self._tasks:
                continue
            request = MediaRequest.from_json(job.request)
            if job.provider_job_id:
                self._spawn(job.job_id, self._follow(job.job_id, request, job.provider_job_id))
                followed.append(job.job_id)
                continue
            saved = self._saved_answer(request)
            if saved is not None:
                # Answered and saved under this job's name before the kill: done and paid for once.
                await self._accepted(job.job_id, self._provider(request), request, saved)
                self._spawn(job.job_id, self._follow(job.job_id, request, saved.provider_job_id))
                followed.append(job.job_id)
                continue
            if job.status is not JobStatus.UNKNOWN:
                await self._update(job.job_id, status=JobStatus.UNKNOWN, retry_reason=None, retry_at=None,
                                   error="cctui stopped while sending this request; it may or may not have "
                                         "reached the provider.")
            if self.finder(request) is not None and job.submit_started_at:
                self._spawn(job.job_id, self._settle(job.job_id, request))
                followed.append(job.job_id)
        return followed

    async def fetch_again(self, job_id: str) -> None:
        """Ask the provider again about a job it accepted (or may have accepted): follow it to its
        end and download its files. Never a new paid request."""
        job = await self.store.get_job(job_id)
        if job is None or not can_fetch_again(job.status, job.accepted, job.error_kind):
            raise ValueError(f"job {job_id} cannot be fetched again in status {job and job.status}")
        if job_id in self._tasks:
            return
        request = MediaRequest.from_json(job.request)
        if job.provider_job_id:
            await self._update(job_id, status=JobStatus.SUBMITTED, error=None, error_kind=None, retry_reason=None,
                               retry_at=None, finished_at=None)
            self._spawn(job_id, self._follow(job_id, request, job.provider_job_id))
        else:
            self._spawn(job_id, self._settle(job_id, request))

    async def resubmit(self, job_id: str) -> None:
        """The creator's explicit decision to send a paid request again (after being shown its
        price): only for a job the provider never accepted, or that the provider says ended
        without a result."""
        job = await self.store.get_job(job_id)
        if job is None or not can_resubmit(job.status, job.accepted, job.error_kind):
            raise ValueError(f"job {job_id} cannot be resubmitted in status {job and job.status}"
                             + ("; fetch it again instead (the provider accepted it)"
                                if job is not None and can_fetch_again(job.status, job.accepted, job.error_kind)
                                else ""))
        request = MediaRequest.from_json(job.request)
        request.placement = {}  # a new send goes wherever is best now (the old host may be down)
        await self._update(job_id, status=JobStatus.SUBMITTING, error=None, error_kind=None, provider_job_id=None,
                           retry_reason=None, retry_at=None, finished_at=None, progress=None)
        self._spawn(job_id, self._submit_and_follow(job_id, request))

    async def dismiss(self, job_id: str) -> None:
        await self._update(job_id, status=JobStatus.CANCELLED, finished_at=time.time(), retry_reason=None, retry_at=None)

    def price_text(self, job: JobRecord) -> str:
        """What one more submit of `job` costs, as far as cctui can tell before sending it."""
        from cctui.costs.ledger import money_text

        request = MediaRequest.from_json(job.request)
        provider = self.providers.media(request.provider, request.action)
        cost = _estimate(provider, request)
        if cost is None:
            return f"{job.provider} states its price only after accepting a request"
        return "about " + money_text({cost.unit: cost.amount})

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

    # ------------------------------------------------------------------ helpers

    def _provider(self, request: MediaRequest):
        return self.providers.media(request.provider, request.action)

    def finder(self, request: MediaRequest):
        """The provider's search for a lost submit (`find_submitted`), or None when it has none."""
        try:
            return getattr(self._provider(request), "find_submitted", None)
        except Exception:  # a provider that cannot be built (no key) cannot be asked
            return None

    def _saved_answer(self, request: MediaRequest) -> Submitted | None:
        """A synchronous provider's whole answer, already on disk (`saved_answer`), or None."""
        try:
            look = getattr(self._provider(request), "saved_answer", None)
            return look(request) if look is not None else None
        except Exception:  # a provider that cannot be built (no key) cannot be asked
            return None

    def _window(self, provider) -> float:
        if self.result_window is not None:
            return self.result_window
        return float(getattr(provider, "result_window", DEFAULT_RESULT_WINDOW))

    async def _record_cost(self, job_id: str, cost: Cost | None) -> None:
        if cost is not None:
            await self.ledger.set_job_cost(await self.store.get_job(job_id), cost)

    async def _fail(self, job_id: str, exc: ProviderError | Exception,
                    status: JobStatus = JobStatus.FAILED) -> None:
        kind = getattr(exc, "kind", "failed")
        await self._update(job_id, status=status, error=str(exc) or type(exc).__name__, error_kind=kind,
                           retry_reason=None, retry_at=None,
                           finished_at=time.time() if status.final else None)

    async def _wait_out(self, job_id: str, reason: str, delay: float) -> None:
        """Show why the job waits and when it tries again, then wait."""
        await self._update(job_id, retry_reason=reason, retry_at=time.time() + delay)
        await self._sleep(delay)

    async def _accepted(self, job_id: str, provider, request: MediaRequest, submitted: Submitted) -> None:
        # The provider's id and its charge in one transaction: a kill between two writes left an
        # accepted job with no ledger row (seen in CI). The id is written first, nothing before it:
        # until it is stored a crash leaves the job `unknown`.
        async with self.store.transaction():
            await self.store.update_job(job_id, provider_job_id=submitted.provider_job_id,
                                        status=JobStatus.SUBMITTED,
                                        submitted_at=time.time(), retry_reason=None, retry_at=None, error=None,
                                        error_kind=None)
            # Accepted means charged: the provider's own figure, else the price list's; a row
            # even when neither is known, so the ledger has one entry per accepted submit.
            cost = submitted.cost or _estimate(provider, request) or Cost(
                0.0, getattr(provider, "cost_unit", "usd"), source="unreported")
            await self._record_cost(job_id, cost)
        await self._notify(job_id)

    # ------------------------------------------------------------------ the job's life

    async def _submit_and_follow(self, job_id: str, request: MediaRequest) -> None:
        provider = self._provider(request)
        refused = unpaid = 0
        async with self._limits[request.provider]:
            while True:
                job = await self.store.get_job(job_id)
                await self._update(job_id, attempts=job.attempts + 1, submit_started_at=time.time())
                try:
                    await self._place(job_id, provider, request)
                    submitted: Submitted = await provider.submit(request)
                    break
                except ProviderError as exc:
                    if exc.unpaid and exc.kind in TRANSIENT_KINDS and unpaid < UNPAID_TRIES - 1:
                        unpaid += 1
                        await self._wait_out(job_id, f"{exc} (nothing paid was sent yet)",
                                             min(self.min_poll * 2 ** unpaid, SUBMIT_MAX_WAIT))
                        continue
                    if _not_accepted(exc) and refused < SUBMIT_REFUSED_TRIES - 1:
                        # 429 (or 503): the provider took nothing, so sending again is one job, once.
                        refused += 1
                        wait = exc.retry_after if exc.retry_after is not None else self.min_poll * 2 ** refused
                        await self._wait_out(job_id, str(exc), min(max(wait, 0.0), SUBMIT_MAX_WAIT))
                        continue
                    if exc.kind == "server" and not exc.unpaid and not _not_accepted(exc):
                        # A timeout, reset, 5xx or garbled answer after sending: the job may
                        # exist (and be charged) anyway. Ask the provider before anything else.
                        await self._update(job_id, status=JobStatus.UNKNOWN, error_kind=exc.kind, retry_reason=None,
                                           retry_at=None, error=f"{exc} The provider may or may not have "
                                                                f"started this job.")
                        break
                    if _not_accepted(exc) or exc.unpaid:
                        exc = ProviderError(f"{exc} Nothing was charged; generate again later.", exc.kind,
                                            provider=exc.provider, status=exc.status)
                    await self._fail(job_id, exc)
                    return
                except Exception as exc:  # unexpected: keep it on the job, not in a traceback
                    log.exception("submit failed")
                    await self._update(job_id, status=JobStatus.UNKNOWN, error_kind="server", retry_reason=None,
                                       retry_at=None, error=f"The request broke unexpectedly "
                                                            f"({type(exc).__name__}); it may or may not "
                                                            f"have reached the provider.")
                    break
        job = await self.store.get_job(job_id)
        if job.status is JobStatus.UNKNOWN:
            if self.finder(request) is not None:
                await self._settle(job_id, request)
            return
        await self._accepted(job_id, provider, request, submitted)
        if submitted.files:
            await self._finish(job_id, request, submitted.files)
            return
        await self._follow(job_id, request, submitted.provider_job_id, submitted.poll_after)

    async def _place(self, job_id: str, provider, request: MediaRequest) -> None:
        """Let a provider with several places to send to (ComfyUI hosts) choose one, and store the
        choice with the job before the request leaves: a crash after sending then still knows where
        the job went. A job placed before (a send that was refused, then tried again) stays put."""
        place = getattr(provider, "place", None)
        if place is None or request.placement:
            return
        request.placement = dict(await place(request))
        await self.store.update_job(job_id, request=request.to_json())

    async def _settle(self, job_id: str, request: MediaRequest) -> None:
        """A submit whose answer was lost: look for it in the provider's own list of jobs. Found:
        it is this job, followed as if the answer had come. Not found: it stays `unknown` and the
        creator decides (the list may lag, so it is looked at a few times)."""
        provider = self._provider(request)
        finder = getattr(provider, "find_submitted", None)
        job = await self.store.get_job(job_id)
        if finder is None or job is None:
            return
        since = job.submit_started_at or job.created_at
        base_error = job.error or "The request's answer was lost."
        found: str | None = None
        looked = 0
        # The list may lag a fresh submit by seconds; one look is enough for an old one.
        tries = SETTLE_TRIES if time.time() - since < SETTLE_FRESH else 1
        for attempt in range(tries):
            try:
                exclude = await self.store.known_provider_job_ids(request.provider)
                found = await finder(request, since, exclude)
                looked += 1
            except ProviderError as exc:
                log.info("looking for job %s at %s: %s", job_id, request.provider, exc)
            except Exception:
                log.exception("looking for a lost submit failed")
            if found:
                break
            if attempt < tries - 1:
                await self._wait_out(job_id, "looking for it in the provider's list of jobs",
                                     SETTLE_WAIT * (attempt + 1) * min(1.0, self.min_poll / 0.5))
        if not found:
            note = (f" {provider.name if hasattr(provider, 'name') else request.provider} has no record of it "
                    f"(looked {looked} times): it was most likely not received." if looked
                    else " Its list of jobs could not be read to check.")
            await self._update(job_id, status=JobStatus.UNKNOWN, retry_reason=None, retry_at=None,
                               error=base_error.split(" Its list of jobs")[0].split(" has no record")[0] + note)
            return
        log.info("job %s: the lost submit was found at %s as %s", job_id, request.provider, found)
        await self._accepted(job_id, provider, request, Submitted(provider_job_id=found))
        await self._follow(job_id, request, found)

    async def _follow(self, job_id: str, request: MediaRequest, provider_job_id: str,
                      poll_after: float | None = None) -> None:
        provider = self._provider(request)
        job = await self.store.get_job(job_id)
        give_up_at = (job.submitted_at or time.time()) + self._window(provider)
        # The first look follows the submit's own answer (its hint, else at once); after that the
        # interval grows, so a ten-minute video is not polled hundreds of times.
        delay = poll_after if poll_after is not None else min(self.min_poll, FIRST_POLL)
        backoff = self.min_poll
        retrying = False
        while True:
            await self._sleep(max(0.0, min(delay, self.max_poll)))
            try:
                progress: JobProgress = await provider.poll(provider_job_id, request)
            except Exception as exc:
                if isinstance(exc, ProviderError) and exc.kind == "not_found":
                    await self._fail(job_id, exc)  # the provider says the job does not exist (expired)
                    return
                if isinstance(exc, ProviderError) and exc.kind not in TRANSIENT_KINDS:
                    # The provider did not say how the job ended (a key refused while checking):
                    # stop asking until the creator fixes it; fetching again picks it up.
                    await self._fail(job_id, ProviderError(f"{exc} The job itself is not known to have "
                                                           f"failed: fix this, then fetch it again.", exc.kind,
                                                           provider=exc.provider), status=JobStatus.STALLED)
                    return
                if not isinstance(exc, ProviderError):
                    log.exception("poll failed")
                backoff = min(backoff * 2, self.max_poll)
                delay = getattr(exc, "retry_after", None) or backoff
                if time.time() + delay > give_up_at:
                    await self._fail(job_id, _gave_up(exc, "checking on it"), status=JobStatus.STALLED)
                    return
                retrying = True
                await self._update(job_id, retry_reason=_reason(exc), retry_at=time.time() + delay)
                continue
            if retrying:
                retrying = False
                await self._update(job_id, retry_reason=None, retry_at=None)
            if progress.cost is not None:
                await self._record_cost(job_id, progress.cost)
            if progress.status == ProviderJobState.FAILED:
                await self._fail(job_id, progress.error or ProviderError("the provider reported a failure", "failed"))
                return
            if progress.status == ProviderJobState.COMPLETED:
                break
            await self._update(job_id, status=JobStatus.RUNNING, progress=progress.progress)
            backoff = min(backoff * 1.5, self.max_poll)
            delay = progress.poll_after if progress.poll_after is not None else backoff
        await self._download(job_id, request, provider, provider_job_id, give_up_at)

    async def _download(self, job_id: str, request: MediaRequest, provider, provider_job_id: str,
                        give_up_at: float) -> None:
        await self._update(job_id, status=JobStatus.DOWNLOADING, progress=100.0)
        backoff = self.min_poll
        while True:
            try:
                files = await provider.download(provider_job_id, request)
                if not files:
                    raise ProviderError("the finished job had no files to download yet", "server",
                                        provider=request.provider)
                break
            except Exception as exc:
                if isinstance(exc, ProviderError) and exc.kind == "not_found":
                    await self._fail(job_id, exc)  # expired at the provider: its words
                    return
                if isinstance(exc, ProviderError) and exc.kind == "local":
                    await self._fail(job_id, ProviderError(
                        f"{exc} The job is finished at {request.provider} and paid for: fetch it again "
                        f"(no new charge) once this is fixed.", "local", provider=exc.provider),
                        status=JobStatus.NOT_DOWNLOADED)
                    return
                if isinstance(exc, ProviderError) and exc.kind in ("auth", "quota"):
                    await self._fail(job_id, ProviderError(
                        f"{exc} The job is finished at {request.provider} and paid for: fix this, then fetch "
                        f"it again (no new charge).", exc.kind, provider=exc.provider), status=JobStatus.STALLED)
                    return
                if isinstance(exc, ProviderError) and exc.kind not in TRANSIENT_KINDS:
                    await self._fail(job_id, exc)  # a refusal that asking again cannot change
                    return
                if not isinstance(exc, ProviderError):
                    log.exception("download failed")
                backoff = min(backoff * 2, self.max_poll)
                delay = getattr(exc, "retry_after", None) or backoff
                if time.time() + delay > give_up_at:
                    await self._fail(job_id, _gave_up(exc, "downloading it"), status=JobStatus.NOT_DOWNLOADED)
                    return
                await self._wait_out(job_id, _reason(exc), delay)
        await self._finish(job_id, request, files)

    async def _finish(self, job_id: str, request: MediaRequest, files: list[MediaFile]) -> None:
        job = await self.store.get_job(job_id)
        posters = [f for f in files if f.kind == "poster"]
        main = [f for f in files if f.kind != "poster"]
        source = request.source_image
        async with self.store.transaction():
            for i, f in enumerate(main):
                meta = {**f.metadata, "params": request.params, "action": request.action, "mime": f.mime}
                if source:
                    meta["source_content_id"] = source.content_id
                    meta["source_path"] = source.local_path
                if i < len(posters):
                    meta["poster_path"] = posters[i].local_path
                await self.store.add_content(run_id=job.run_id, kind=f.kind, provider=request.provider,
                                             local_path=f.local_path, url=f.url, prompt_key=job.prompt_key,
                                             metadata=meta, job_id=job_id, interaction_id=job.interaction_id,
                                             step_id=job.step_id, module=job.module)
            await self.store.update_job(job_id, status=JobStatus.COMPLETED, progress=100.0, finished_at=time.time(),
                                        error=None, error_kind=None, retry_reason=None, retry_at=None)
        await self._update(job_id)


def _not_accepted(exc: ProviderError) -> bool:
    """A definite "not now": 429 (not a quota) or 503 answered to the paid request itself. The
    provider took nothing, so sending the same request again is still one job, paid once."""
    if exc.unpaid:
        return False
    return exc.kind == "rate_limit" or (exc.kind == "server" and exc.status == 503)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ProviderError):
        return str(exc)
    return f"unexpected {type(exc).__name__}"


def _gave_up(exc: BaseException, doing: str) -> ProviderError:
    return ProviderError(f"{_reason(exc)} cctui kept trying {doing} for as long as the provider keeps "
                         f"results and gave up; the job may still be there: fetch it again.", "server",
                         provider=getattr(exc, "provider", ""))


def _estimate(provider, request: MediaRequest) -> Cost | None:
    estimate = getattr(provider, "estimate", None)
    try:
        return estimate(request) if estimate else None
    except Exception:  # an estimate must never stop a paid job that has already been accepted
        log.exception("cost estimate failed")
        return None


__all__ = ["JobManager", "PROVIDER_ENDED_KINDS"]
