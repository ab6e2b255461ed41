"""Finding a fal.ai request whose submit answer was lost, in fal's Platform API.

Confirmed in fal's Platform API reference: `GET https://api.fal.ai/v1/models/requests/
by-endpoint?endpoint_id=<model id>&start=<ISO 8601>&limit=<1-100>&cursor=<next_cursor>&
expand=payloads`, `Authorization: Key <key>`, answering `{"items": [{"request_id", "endpoint_id",
"sent_at", "started_at", "ended_at", "status_code", "json_input", ...}], "next_cursor",
"has_more"}`; `start` defaults to 24 hours ago.

The Platform API is on its own host, which the settings do not name: for fal's queue host it is
`https://api.fal.ai/v1`; for any other `fal_base_url` (a stand-in, a proxy) it is
`{fal_base_url}/_platform/v1`, the stand-in's layout (unconfirmed for a proxy).

Unconfirmed: whether a request still queued or running is listed (the list is sorted by end
time); whether `json_input` is the input exactly as sent.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

FAL_QUEUE_HOST = "queue.fal.run"
FAL_PLATFORM = "https://api.fal.ai/v1"


def platform_base(queue_base: str) -> str:
    if urlsplit(queue_base).hostname == FAL_QUEUE_HOST:
        return FAL_PLATFORM
    return queue_base.rstrip("/") + "/_platform/v1"


def _stamp(value: Any) -> float | None:
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:  # unconfirmed: a stamp without a zone is UTC
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


class FalFinder:
    """`find_submitted` for FalClient (which provides plan, _call, base_url, name)."""

    FIND_CLOCK_SKEW = 120.0
    FIND_PAGE_SIZE = 100
    FIND_MAX_PAGES = 5

    async def find_submitted(self, request, since: float, exclude: set[str]) -> str | None:
        """The request id that a lost submit of `request` created, asked of fal's list of the
        model's requests (never by sending it again); None if there is none.

        A match was sent at or after `since` less FIND_CLOCK_SKEW, is not in `exclude`, and its
        listed input holds the values `submit()` sends (the image aside; a field the listing
        leaves out is not held against it). Of several, the oldest."""
        from .fal import _REQUEST_ID  # here: fal imports this module

        model, seconds = self.plan(request)
        sent = model.body(request.params, seconds, "")
        sent.pop("image_url")
        cutoff = since - self.FIND_CLOCK_SKEW
        start = datetime.fromtimestamp(int(cutoff), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        what = "Looking on fal.ai for a request whose answer was lost"
        url = platform_base(self.base_url) + "/models/requests/by-endpoint"
        query: dict[str, Any] = {"endpoint_id": model.model_id, "start": start,
                                 "limit": self.FIND_PAGE_SIZE, "expand": "payloads"}
        found: dict[str, float] = {}
        for _ in range(self.FIND_MAX_PAGES):
            _, answer = await self._call("GET", url, what, params=query)
            for item in answer.get("items") or []:
                if not isinstance(item, dict):
                    continue
                request_id = str(item.get("request_id"))
                stamp = _stamp(item.get("sent_at"))
                listed = item.get("json_input")
                if (request_id in exclude or not _REQUEST_ID.fullmatch(request_id) or stamp is None
                        or stamp < cutoff or not isinstance(listed, dict)):
                    continue
                if all(listed.get(k, v) == v for k, v in sent.items()):
                    found.setdefault(request_id, stamp)
            cursor = answer.get("next_cursor")
            if not answer.get("has_more") or not cursor:
                break
            query["cursor"] = cursor
        return min(found, key=found.__getitem__) if found else None
