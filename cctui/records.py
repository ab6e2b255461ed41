"""The records that cross the layers: closed vocabularies as enums, stored rows as frozen records.

The store returns these; the engine, the jobs, batch mode, the CLI and the app read them. Nothing
here imports the rest of cctui, so every layer may import it. The enums are `StrEnum`s: their
values are what the database and the event log hold, and a record read back compares equal to them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Mapping


class RunStatus(StrEnum):
    RUNNING = "running"
    WAITING = "waiting"  # an interaction waits for the creator
    ERROR = "error"  # a module failed; try again or go back
    COMPLETED = "completed"

    @property
    def ended(self) -> bool:
        return self is RunStatus.COMPLETED


class JobStatus(StrEnum):
    """A paid generation's status. What each means and which ways on it offers:
    `cctui.jobs.statuses`."""

    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    RUNNING = "running"
    DOWNLOADING = "downloading"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"
    NOT_DOWNLOADED = "not_downloaded"
    STALLED = "stalled"

    @property
    def final(self) -> bool:
        return self in FINAL_JOB_STATUSES

    @property
    def in_progress(self) -> bool:
        return self in IN_PROGRESS_JOB_STATUSES

    @property
    def needs_attention(self) -> bool:
        return self in ATTENTION_JOB_STATUSES

    @property
    def unsettled(self) -> bool:
        """Unknown or failed: the two a creator (or batch mode) may have to decide on."""
        return self in (JobStatus.UNKNOWN, JobStatus.FAILED)


FINAL_JOB_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
IN_PROGRESS_JOB_STATUSES = frozenset({JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING,
                                      JobStatus.DOWNLOADING})
# The creator's move: fetch again (free) for these, or decide on a lost submit.
ATTENTION_JOB_STATUSES = frozenset({JobStatus.UNKNOWN, JobStatus.NOT_DOWNLOADED, JobStatus.STALLED})


class ProviderJobState(StrEnum):
    """How a provider reports a job it holds (its own words mapped to these four)."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


def _decode(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class _Record:
    """Built from a database row (JSON columns decoded); unknown columns are ignored so an older
    cctui reads a database a newer migration added columns to."""

    _json: frozenset[str] = frozenset()
    _enums: Mapping[str, type[StrEnum]] = {}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]):
        values = {}
        for f in fields(cls):  # type: ignore[arg-type]
            if f.name not in row.keys():
                continue
            value = row[f.name]
            if f.name in cls._json:
                value = _decode(value)
            elif f.name in cls._enums and value is not None:
                value = cls._enums[f.name](value)
            values[f.name] = value
        return cls(**values)


@dataclass(frozen=True)
class RunRecord(_Record):
    run_id: str
    workflow_id: str
    workflow_dir: str
    status: RunStatus
    state: dict[str, Any]
    position: dict[str, Any]
    branch: int = 0
    error: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    _json = frozenset({"state", "position"})
    _enums = {"status": RunStatus}


@dataclass(frozen=True)
class RunListing(_Record):
    """A run as the runs list shows it: everything but its state (tens of kilobytes a run, which
    the list never reads)."""

    run_id: str
    workflow_id: str
    workflow_dir: str
    status: RunStatus
    position: dict[str, Any]
    updated_at: float = 0.0

    _json = frozenset({"position"})
    _enums = {"status": RunStatus}


@dataclass(frozen=True)
class EventRecord(_Record):
    event_id: int
    run_id: str
    type: str
    branch: int
    data: dict[str, Any]
    step_id: str | None = None
    module: str | None = None
    created_at: float = 0.0

    _json = frozenset({"data"})


@dataclass(frozen=True, kw_only=True)
class _MadeInAStep(_Record):
    """Where a job or a file belongs: its run, and the step, module and interaction that asked."""

    run_id: str
    provider: str
    prompt_key: str | None = None  # the provider tab of the form it came from
    interaction_id: int | None = None
    step_id: str | None = None
    module: str | None = None
    created_at: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ContentRecord(_MadeInAStep):
    """A generated (or chosen) file: an image, a video, a poster, a soundtrack."""

    content_id: str
    kind: str
    metadata: dict[str, Any] = field(default_factory=dict)
    local_path: str | None = None
    url: str | None = None
    job_id: str | None = None

    _json = frozenset({"metadata"})


@dataclass(frozen=True, kw_only=True)
class JobRecord(_MadeInAStep):
    """One paid generation and where it stands."""

    job_id: str
    action: str
    status: JobStatus
    request: dict[str, Any] = field(default_factory=dict)
    provider_job_id: str | None = None
    progress: float | None = None
    attempts: int = 0
    error: str | None = None
    error_kind: str | None = None
    cost_amount: float | None = None
    cost_unit: str | None = None
    updated_at: float = 0.0
    submitted_at: float | None = None
    finished_at: float | None = None
    retry_reason: str | None = None
    retry_at: float | None = None
    submit_started_at: float | None = None

    _json = frozenset({"request"})
    _enums = {"status": JobStatus}

    @property
    def accepted(self) -> bool:
        """The provider gave it an id: it holds the job, and asking about it is free."""
        return bool(self.provider_job_id)


@dataclass(frozen=True)
class SourceImage:
    """The image a step starts from (img2vid, img2img): the content item the creator chose, as
    the job row stores it."""

    local_path: str
    content_id: str | None = None
    provider: str | None = None
    url: str | None = None
    # What the provider that made it knows of it (Leonardo's image id: no upload needed).
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_value(cls, value: Any) -> "SourceImage | None":
        """From a content item in the state or a stored request; None when it names no file."""
        if isinstance(value, SourceImage):
            return value
        if not isinstance(value, Mapping) or not value.get("local_path"):
            return None
        metadata = value.get("metadata")
        return cls(local_path=str(value["local_path"]), content_id=value.get("content_id"),
                   provider=value.get("provider"), url=value.get("url"),
                   metadata=dict(metadata) if isinstance(metadata, Mapping) else {})

    def to_json(self) -> dict[str, Any]:
        return {"local_path": self.local_path, "content_id": self.content_id, "provider": self.provider,
                "url": self.url, "metadata": dict(self.metadata)}
