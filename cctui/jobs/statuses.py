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

from typing import Any

FINAL = ("completed", "failed", "cancelled")
IN_PROGRESS = ("submitting", "submitted", "running", "downloading")
# The creator's move: fetch again (free) for these, or decide on a lost submit.
NEEDS_ATTENTION = ("unknown", "not_downloaded", "stalled")
TRANSIENT_KINDS = frozenset({"server", "rate_limit", "invalid_output", "truncated", "failed"})
# The provider itself said the job ended without a result: a new request is a new job.
PROVIDER_ENDED_KINDS = frozenset({"failed", "moderation", "not_found"})


def can_fetch_again(job: dict[str, Any]) -> bool:
    """Asking the provider again costs nothing: any job it may hold that has no files here yet."""
    if job["status"] in ("not_downloaded", "stalled"):
        return bool(job.get("provider_job_id"))
    if job["status"] == "unknown":
        return True  # look for it in the provider's list of jobs
    return job["status"] == "failed" and bool(job.get("provider_job_id")) \
        and job.get("error_kind") not in PROVIDER_ENDED_KINDS


def can_resubmit(job: dict[str, Any]) -> bool:
    """A second paid request: only when the provider never took the first, or said it ended."""
    if job["status"] == "unknown":
        return True
    if job["status"] != "failed":
        return False
    return not job.get("provider_job_id") or job.get("error_kind") in PROVIDER_ENDED_KINDS


def retry_text(job: dict[str, Any], now: float) -> str | None:
    """"retrying: <reason>, next try in N s" while a transient error is waited out."""
    reason, at = job.get("retry_reason"), job.get("retry_at")
    if not reason or at is None or job["status"] in FINAL:
        return None
    seconds = max(0, round(at - now))
    return f"retrying: {reason.rstrip('. ')}, next try in {seconds} s" if seconds >= 1 else \
        f"retrying: {reason.rstrip('. ')}, trying again now"
