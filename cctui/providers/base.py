"""The small interfaces every provider client implements, and the errors they raise.

The engine and the job worker only ever see these types; a provider module never imports the
engine. Errors carry a plain-language message meant for the creator, and a `kind` that says
whether trying again can help.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Protocol, runtime_checkable

from cctui.costs.cost import Cost  # noqa: F401 - part of the providers' interface
from cctui.errors import CctuiError
from cctui.records import ProviderJobState, SourceImage  # noqa: F401 - part of the providers' interface

ErrorKind = Literal[
    "refusal",  # the model declined to answer
    "truncated",  # finish_reason == length
    "invalid_output",  # answer not valid JSON / not valid against the schema
    "auth",  # 401 / 403 key problems
    "quota",  # out of credits / insufficient_quota
    "rate_limit",  # 429 that is not a quota problem
    "server",  # 5xx, timeouts, connection failures
    "not_found",  # 404, model or endpoint not served
    "bad_request",  # the request itself is wrong; fix inputs before retrying
    "moderation",  # blocked by the provider's content filter
    "failed",  # the provider accepted the job and later reported failure
    "unsupported",  # a choice this provider cannot serve, refused before any money is spent
    "local",  # this machine could not take the result (disk full, over the size cap); the job is fine
]

RETRYABLE_KINDS = frozenset({"truncated", "invalid_output", "rate_limit", "server", "failed"})


class ProviderError(CctuiError):
    """A provider call that did not give a usable result."""

    def __init__(self, message: str, kind: ErrorKind, *, provider: str = "", status: int | None = None,
                 request_id: str | None = None, retry_after: float | None = None, unpaid: bool = False):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.provider = provider
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after
        # Raised before the paid request left (an upload, a local check): sending again is free.
        self.unpaid = unpaid

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------- LLM


@dataclass
class TextPart:
    text: str


@dataclass
class ImagePart:
    path: Path
    detail: str = "auto"


Part = TextPart | ImagePart


# Hears an answer's text so far while it streams in (each call: everything received yet).
TextListener = Callable[[str], None]


@dataclass
class LLMRequest:
    system: list[str]
    user: list[Part]
    output_schema: dict[str, Any]
    schema_name: str
    # Earlier turns of the same module, oldest first: on a retry with feedback, each earlier
    # round's answer (role "assistant") then the creator's feedback on it (role "user"); on a
    # schema-repair re-ask, also the bad answer and the repair request. They are sent AFTER the
    # system messages and the `user` prompt, so the last message is the newest feedback.
    history: list[dict[str, str]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    model: str | None = None  # None = the provider's configured default
    # Hears the answer's text so far while it streams in (a provider that cannot stream never calls it).
    on_text: TextListener | None = field(default=None, compare=False, repr=False)


@dataclass
class LLMUsage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class LLMResult:
    data: dict[str, Any]
    raw_text: str
    model: str
    usage: LLMUsage = field(default_factory=LLMUsage)


@runtime_checkable
class LLMProvider(Protocol):
    name: str

    async def complete(self, request: LLMRequest) -> LLMResult: ...


# --------------------------------------------------------------------------- media jobs


@dataclass
class MediaRequest:
    """One paid generation, exactly as the job row stores it (it must round-trip through JSON)."""

    action: str  # "txt2img" | "img2vid" | "txt2music"
    provider: str  # "openai" | "leonardo" | "elevenlabs" | ...
    params: dict[str, Any]  # form values by destination field: prompt, negative_prompt, ...
    source_image: SourceImage | None = None
    media_dir: str = ""  # where downloaded files go (the run's media folder)
    stem: str = ""  # file name stem for this job's files; never taken from a URL or prompt
    # Where the provider put the job (a ComfyUI host), from its `place()`; stored with the job
    # before the request is sent, so a crash after sending still knows where to look.
    placement: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A content item from the state (a dict) becomes the typed record the providers read.
        if self.source_image is not None and not isinstance(self.source_image, SourceImage):
            self.source_image = SourceImage.from_value(self.source_image)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "provider": self.provider,
            "params": self.params,
            "source_image": self.source_image.to_json() if self.source_image else None,
            "media_dir": self.media_dir,
            "stem": self.stem,
            "placement": self.placement,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "MediaRequest":
        return cls(**data)


@dataclass
class Submitted:
    provider_job_id: str
    cost: Cost | None = None
    poll_after: float | None = None  # seconds, when the provider suggests one
    # Synchronous APIs (OpenAI images) finish inside submit: their files are already on disk.
    files: list["MediaFile"] = field(default_factory=list)


@dataclass
class JobProgress:
    status: ProviderJobState
    progress: float | None = None  # 0-100
    error: ProviderError | None = None
    poll_after: float | None = None
    cost: Cost | None = None


@dataclass
class MediaFile:
    kind: Literal["image", "video", "audio", "poster"]
    local_path: str
    url: str | None = None
    mime: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class MediaProvider(Protocol):
    name: str

    def supports(self, action: str) -> bool: ...

    def check(self, request: MediaRequest) -> None:
        """Raise ProviderError(kind="unsupported"/"bad_request") for a request the service would
        refuse, before any money is spent."""

    async def submit(self, request: MediaRequest) -> Submitted: ...

    async def poll(self, provider_job_id: str, request: MediaRequest) -> JobProgress: ...

    async def download(self, provider_job_id: str, request: MediaRequest) -> list[MediaFile]:
        """Fetch the finished job's files into request.media_dir, complete or not at all."""

    # Optional: `async def place(request) -> dict` chooses where the job goes (before anything is
    # sent; the manager stores the answer as `request.placement` with the job, then submits).
