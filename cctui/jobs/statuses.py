"""What a job's status means, and which ways on each one offers (shared by the CLI, batch and app).

- `submitting`: the row is written, the paid request is on its way (or waits out a 429).
- `submitted`, `running`, `downloading`: accepted by the provider and followed.
- `completed`: its files are on disk.
- `failed`: the provider said so (failure, moderation, an expired or unknown job), or it refused
  the request outright, so nothing was charged.
- `unknown`: the paid request's answer was lost and the provider's list of jobs did not show it.
- `not_downloaded`: finished at the provider and paid for; its files could not be saved here.
- `stalled`: accepted, but the provider could not be asked how it ended (a refused key, or errors
  for longer than it keeps results).
- `cancelled`: the creator gave it up.
"""

from __future__ import annotations

from cctui.records import (ATTENTION_JOB_STATUSES, FINAL_JOB_STATUSES, IN_PROGRESS_JOB_STATUSES, JobStatus)

FINAL = FINAL_JOB_STATUSES
IN_PROGRESS = IN_PROGRESS_JOB_STATUSES
NEEDS_ATTENTION = ATTENTION_JOB_STATUSES
# Statuses a creator (or `cctui jobs`) may decide on.
DECIDABLE = ATTENTION_JOB_STATUSES | {JobStatus.FAILED}
TRANSIENT_KINDS = frozenset({"server", "rate_limit", "invalid_output", "truncated", "failed"})
# The provider itself said the job ended without a result: a new request is a new job.
PROVIDER_ENDED_KINDS = frozenset({"failed", "moderation", "not_found"})


def can_fetch_again(status: JobStatus | str, accepted: bool, error_kind: str | None) -> bool:
    """Asking the provider again costs nothing: any job it may hold that has no files here yet.
    `accepted`: the provider gave the job an id."""
    status = JobStatus(status)
    if status in (JobStatus.NOT_DOWNLOADED, JobStatus.STALLED):
        return accepted
    if status is JobStatus.UNKNOWN:
        return True  # look for it in the provider's list of jobs
    return status is JobStatus.FAILED and accepted and error_kind not in PROVIDER_ENDED_KINDS


def can_resubmit(status: JobStatus | str, accepted: bool, error_kind: str | None) -> bool:
    """A second paid request: only when the provider never took the first, or said it ended."""
    status = JobStatus(status)
    if status is JobStatus.UNKNOWN:
        return True
    if status is not JobStatus.FAILED:
        return False
    return not accepted or error_kind in PROVIDER_ENDED_KINDS


def retry_text(status: JobStatus | str, reason: str | None, at: float | None, now: float) -> str | None:
    """"retrying: <reason>, next try in N s" while a transient error is waited out."""
    if not reason or at is None or JobStatus(status).final:
        return None
    seconds = max(0, round(at - now))
    return f"retrying: {reason.rstrip('. ')}, next try in {seconds} s" if seconds >= 1 else \
        f"retrying: {reason.rstrip('. ')}, trying again now"
