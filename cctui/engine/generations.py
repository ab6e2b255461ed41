"""The generations of a media module, derived from the jobs and content tables.

Display data never stores them: they are read fresh each time, so a job that finishes while the
run is closed shows up when it is opened again.
"""

from __future__ import annotations

from typing import Any

from cctui.records import ContentRecord
from cctui.store.db import Store
from cctui.engine.attachments import attached_name

SELECTABLE_KINDS = ("image", "video", "audio")


def _item(row: ContentRecord) -> dict[str, Any]:
    return {
        "content_id": row.content_id,
        "kind": row.kind,
        "provider": row.provider,
        "local_path": row.local_path,
        "url": row.url,
        "prompt_key": row.prompt_key,
        "metadata": row.metadata,
    }


async def module_generations(store: Store, run_id: str, step_id: str, module: str,
                             source_content_id: str | None = None) -> list[dict[str, Any]]:
    jobs = await store.jobs_for_module(run_id, step_id, module)
    content = await store.content_for(run_id, step_id, module)
    by_job: dict[str, list[dict]] = {}
    for row in content:
        if row.kind in SELECTABLE_KINDS:
            by_job.setdefault(row.job_id, []).append(_item(row))
    out = []
    for job in jobs:
        request = job.request or {}
        source = (request.get("source_image") or {}).get("content_id")
        if source_content_id and source and source != source_content_id:
            continue  # made from another image, before a jump back changed the source
        out.append({
            "job_id": job.job_id,
            "interaction_id": job.interaction_id,
            "provider": job.provider,
            "action": job.action,
            "tab": job.prompt_key,
            "params": {k: attached_name(v) for k, v in (request.get("params") or {}).items()},
            "status": job.status,
            "progress": job.progress,
            "error": job.error,
            "error_kind": job.error_kind,
            "accepted": bool(job.provider_job_id),  # the provider holds it: fetching again is free
            "retry_reason": job.retry_reason,
            "retry_at": job.retry_at,
            "cost": None if job.cost_amount is None else {"amount": job.cost_amount, "unit": job.cost_unit},
            "created_at": job.created_at,
            "items": by_job.get(job.job_id, []),
        })
    return out


# Fields that describe a job while it is followed (for the screen), not what it made: kept out of
# the state a step writes.
LIVE_FIELDS = ("accepted", "retry_reason", "retry_at")


def for_state(generations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in g.items() if k not in LIVE_FIELDS} for g in generations]


def selectable_items(generations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every finished item, in creation order: what `select: N` in an answers file counts."""
    return [item for gen in generations for item in gen["items"]]
