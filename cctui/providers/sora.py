"""Sora 2 image to video through the openai SDK's Videos API (`client.videos`).

OpenAI retired the Videos API and the Sora 2 models on 2026-09-24; the same `/videos` contract is
still served by other OpenAI-compatible endpoints, so base URL, key and model come from their
own settings (`sora_base_url`, `sora_api_key` falling back to `openai_api_key`, `sora_model`).
The SDK marks every `videos` method deprecated; each call is made inside `_quiet()`, which
silences that one warning for the synchronous moment the method is called and no longer.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, TypeVar

import openai

from ..costs.prices import Prices
from ..settings import Settings
from .base import Cost, JobProgress, MediaFile, MediaRequest, ProviderError, ProviderJobState, Submitted
from .downloads import Stream, remove_files, save_download
from .http_errors import not_configured, redact, short
from .image_prep import fit_exact, require_source_file
from .job_ids import checked_id
from .openai_errors import SDK_ERRORS, api_code, api_message, from_openai_error
from .tls import openai_http_client

SECONDS = ("4", "8", "12")
SIZES = {("9:16", "720p"): "720x1280", ("16:9", "720p"): "1280x720",
         ("9:16", "1080p"): "1024x1792", ("16:9", "1080p"): "1792x1024"}
PRO_ONLY_SIZES = frozenset({"1024x1792", "1792x1024"})
TIMEOUT = 120.0
DOWNLOAD_TIMEOUT = 600.0
MAX_RETRIES = 2
RETIRED = ("OpenAI retired the Sora 2 Videos API on 2026-09-24; set CCTUI_SORA_BASE_URL / "
           "CCTUI_SORA_MODEL to an endpoint that still serves it, or use Leonardo, which still does.")

T = TypeVar("T")


_VIDEO_ID = re.compile(r"video_[A-Za-z0-9_-]{1,200}")


def checked_video_id(value: Any) -> str:
    return checked_id(value, _VIDEO_ID, "Sora", "video_...", "openai")


def _quiet(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a deprecated SDK `videos` method without its DeprecationWarning. The warning fires
    when the method is called (the typing_extensions wrapper is synchronous), so the filter is
    only changed for that instant, never across an await."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return call(*args, **kwargs)


def price_per_second(model: str, prices: Prices | None = None) -> float | None:
    """USD per second from the price list; a dated snapshot bills as its family."""
    prices = prices or Prices.load()
    exact = prices.per_second("openai", model)
    if exact is not None:
        return exact
    family = max((m.split("/", 1)[1] for m in prices.data.get("video", {}) if m.startswith("openai/")
                  and model.startswith(m.split("/", 1)[1] + "-")), key=len, default=None)
    return prices.per_second("openai", family) if family else None


def seconds_param(value: Any) -> str:
    """The form's duration as the API's seconds string ("4", "8", "12"), or ProviderError."""
    text = value
    if isinstance(value, bool):
        text = None
    elif isinstance(value, (int, float)):
        text = str(int(value)) if float(value).is_integer() else str(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
            if number.is_integer():
                text = str(int(number))
        except ValueError:
            pass
    if text not in SECONDS:
        raise ProviderError(f"Sora 2 makes clips of {', '.join(SECONDS[:-1])} or {SECONDS[-1]} "
                            f"seconds, not {value!r}.", "unsupported", provider="openai")
    return text


@dataclass
class SoraPlan:
    """What will be asked of the service for a request: model, size and seconds."""

    model: str
    size: str
    seconds: str
    configured_model: str
    prices: Prices | None = None

    @property
    def dimensions(self) -> tuple[int, int]:
        width, height = self.size.split("x")
        return int(width), int(height)

    @property
    def model_note(self) -> str | None:
        if self.model != self.configured_model:
            return (f"1080p ({self.size}) is only made by sora-2-pro, so {self.model} was used "
                    f"instead of the configured {self.configured_model}.")
        return None

    @property
    def cost(self) -> Cost | None:
        price = price_per_second(self.model, self.prices)
        if price is None:
            return None
        return Cost(round(int(self.seconds) * price, 4), "usd", int(self.seconds), "second", price, self.model, "prices")


class SoraClient:
    """`MediaProvider` for ("openai", "img2vid").

    settings: sora_base_url, sora_api_key (else openai_api_key), sora_model.
    params: prompt, duration (or seconds: 4 | 8 | 12), aspect_ratio (9:16 | 16:9),
    quality (720p | 1080p). The source image comes in request.source_image["local_path"].
    """

    name = "openai"

    def __init__(self, settings: Settings, *, client: openai.AsyncOpenAI | None = None,
                 timeout: float = TIMEOUT, max_retries: int = MAX_RETRIES, prices: Prices | None = None):
        key = settings.sora_api_key or settings.openai_api_key
        if client is None and (key is None or not key.get_secret_value()):
            raise not_configured("Sora", "OPENAI_API_KEY (or sora_api_key in the config file)",
                                 "openai")
        self.settings = settings
        self.base_url = settings.sora_base_url
        self.model = settings.sora_model
        self.prices = prices or Prices.load(settings.data_dir)
        self._secrets = settings.secret_values()
        self.client = client or openai.AsyncOpenAI(
            api_key=key.get_secret_value(), base_url=settings.sora_base_url, timeout=timeout,
            max_retries=max_retries, http_client=openai_http_client())

    async def aclose(self) -> None:
        await self.client.close()

    def supports(self, action: str) -> bool:
        return action == "img2vid"

    # ------------------------------------------------------------------ planning and checks

    def estimate(self, request: MediaRequest) -> Cost | None:
        try:
            return self.plan(request).cost
        except ProviderError:
            return None

    def plan(self, request: MediaRequest) -> SoraPlan:
        """The model, size and seconds this request maps to; ProviderError if it cannot be made.

        1080p needs sora-2-pro. When the configured model is plain `sora-2` the job switches to
        `sora-2-pro` (and says so in the files' metadata, and the cost shows the pro price); any
        other configured model that is not a pro model is refused for 1080p rather than guessed.
        """
        params = request.params
        seconds = seconds_param(params.get("duration", params.get("seconds", "4")))
        aspect = str(params.get("aspect_ratio") or "9:16").strip()
        quality = str(params.get("quality") or "720p").strip().lower()
        size = SIZES.get((aspect, quality))
        if size is None:
            if aspect not in {a for a, _ in SIZES}:
                reason = f"Sora 2 has no {aspect} size (only 9:16 and 16:9)"
            else:
                reason = f"Sora 2 has no {quality} quality (only 720p and 1080p)"
            raise ProviderError(f"{reason}; choose another aspect ratio or use Leonardo.",
                                "unsupported", provider=self.name)
        model = self.model
        if size in PRO_ONLY_SIZES and "pro" not in model:
            if model == "sora-2":
                model = "sora-2-pro"
            else:
                raise ProviderError(f"1080p needs a sora-2-pro model; the configured model "
                                    f"{self.model} makes 720p only. Choose 720p or set "
                                    f"CCTUI_SORA_MODEL.", "unsupported", provider=self.name)
        return SoraPlan(model=model, size=size, seconds=seconds, configured_model=self.model, prices=self.prices)

    def check(self, request: MediaRequest) -> None:
        if request.action != "img2vid":
            raise ProviderError(f"Sora cannot do {request.action} here.", "unsupported",
                                provider=self.name)
        self.plan(request)
        if not str(request.params.get("prompt") or "").strip():
            raise ProviderError("The video prompt is empty.", "bad_request", provider=self.name)
        require_source_file(request.source_image, self.name)
        if not request.media_dir or not request.stem:
            raise ProviderError("The job has no media folder or file name stem.", "bad_request",
                                provider=self.name)

    # ------------------------------------------------------------------ errors

    def _error(self, exc: Exception, what: str, model: str | None, *, creating: bool) -> ProviderError:
        if isinstance(exc, openai.APIStatusError):
            message = api_message(exc).lower()
            code = (api_code(exc) or "").lower()
            model_missing = code in ("model_not_found", "model_not_available") or (
                "model" in message and ("not found" in message or "does not exist" in message
                                        or "not available" in message))
            if (exc.status_code == 404 and creating) or model_missing:
                ref = f" (request id {exc.request_id})" if exc.request_id else ""
                return ProviderError(
                    redact(f"Sora 2 ({model or self.model}) is not served at {self.base_url}. "
                           f"{RETIRED}{ref}", self._secrets),
                    "not_found", provider=self.name, status=exc.status_code,
                    request_id=exc.request_id)
        return from_openai_error(exc, what=what, base_url=self.base_url, secrets=self._secrets,
                                 model=model, key_hint="OPENAI_API_KEY (or sora_api_key)",
                                 paid=creating)  # only the create is paid (and sent once)

    # ------------------------------------------------------------------ the job

    async def submit(self, request: MediaRequest) -> Submitted:
        self.check(request)
        plan = self.plan(request)
        # The reference image is the first frame: it must be exactly `size` (cover, LANCZOS).
        reference = fit_exact(request.source_image.local_path, plan.dimensions, self.name)
        try:
            video = await _quiet(
                # A paid request: never retried by the SDK (a timed-out create may still run and be charged).
                self.client.with_options(max_retries=0).videos.create,
                model=plan.model,
                prompt=str(request.params["prompt"]),
                seconds=plan.seconds,
                size=plan.size,
                input_reference=(f"{request.stem}_reference.png", reference.data, "image/png"),
            )
        except SDK_ERRORS as exc:
            raise self._error(exc, "Starting the Sora video", plan.model, creating=True) from None
        return Submitted(provider_job_id=checked_video_id(video.id), cost=plan.cost)

    async def _retrieve(self, video_id: str, what: str) -> tuple[Any, float | None]:
        checked_video_id(video_id)
        try:
            manager = _quiet(self.client.videos.with_streaming_response.retrieve, video_id)
            async with manager as response:
                video = await response.parse()
                after = response.headers.get("openai-poll-after-ms")
        except SDK_ERRORS as exc:
            if isinstance(exc, openai.NotFoundError):
                raise ProviderError(redact(
                    f"{what}: the Sora job {video_id} is not known at {self.base_url} (jobs expire; "
                    f"if the endpoint stopped serving Sora 2: {RETIRED})", self._secrets),
                    "not_found", provider=self.name, status=404,
                    request_id=exc.request_id) from None
            raise self._error(exc, what, None, creating=False) from None
        poll_after = None
        if after:
            with contextlib.suppress(ValueError):
                poll_after = max(0.0, float(after) / 1000)
        return video, poll_after

    async def poll(self, provider_job_id: str, request: MediaRequest) -> JobProgress:
        video, poll_after = await self._retrieve(provider_job_id,
                                                 f"Checking Sora job {provider_job_id}")
        progress = float(video.progress) if video.progress is not None else None
        if video.status == "completed":
            return JobProgress(status=ProviderJobState.COMPLETED, progress=100.0, poll_after=poll_after)
        if video.status == "failed":
            code = getattr(video.error, "code", None) if video.error else None
            detail = getattr(video.error, "message", None) if video.error else None
            if code == "moderation_blocked":
                message = (f"Sora blocked job {provider_job_id} with its content filter"
                           + (f": {short(detail, 200)}" if detail else "")
                           + ". Change the prompt or the image.")
                kind = "moderation"
            else:
                message = (f"Sora reported that job {provider_job_id} failed"
                           + (f" ({code}: {short(detail, 200)})" if code or detail else "") + ".")
                kind = "failed"
            return JobProgress(status=ProviderJobState.FAILED, progress=progress, poll_after=poll_after,
                               error=ProviderError(redact(message, self._secrets), kind,
                                                   provider=self.name))
        status = ProviderJobState.QUEUED if video.status == "queued" else ProviderJobState.RUNNING
        return JobProgress(status=status, progress=progress, poll_after=poll_after)

    def _opener(self, video_id: str, variant: str):
        # No SDK retries here: save_download retries, and also catches a truncated body.
        client = self.client.with_options(max_retries=0, timeout=DOWNLOAD_TIMEOUT)

        @contextlib.asynccontextmanager
        async def open_() -> AsyncIterator[Stream]:
            async with contextlib.AsyncExitStack() as stack:
                manager = _quiet(client.videos.with_streaming_response.download_content, video_id,
                                 variant=variant)
                try:
                    response = await stack.enter_async_context(manager)
                except openai.APIStatusError as exc:
                    raise self._error(exc, f"Downloading the {variant} of Sora job {video_id}",
                                      None, creating=False) from None
                yield Stream(response.status_code, response.headers, response.iter_bytes())

        return open_

    async def download(self, provider_job_id: str, request: MediaRequest) -> list[MediaFile]:
        video, _ = await self._retrieve(provider_job_id, f"Downloading Sora job {provider_job_id}")
        if video.status != "completed":
            raise ProviderError(f"Sora job {provider_job_id} is {video.status}, not completed.",
                                "failed", provider=self.name)
        metadata: dict[str, Any] = {"video_id": provider_job_id, "model": video.model,
                                    "size": video.size, "seconds": str(video.seconds)}
        with contextlib.suppress(ProviderError):
            note = self.plan(request).model_note
            if note:
                metadata["model_note"] = note
        saved: list[MediaFile] = []
        try:
            mp4 = await save_download(self._opener(provider_job_id, "video"),
                                      media_dir=request.media_dir, stem=request.stem,
                                      default_ext=".mp4", provider=self.name,
                                      what=f"The video of Sora job {provider_job_id}",
                                      secrets=self._secrets)
            saved.append(MediaFile("video", str(mp4.path), mime=mp4.mime, metadata=dict(metadata)))
            poster = await save_download(self._opener(provider_job_id, "thumbnail"),
                                         media_dir=request.media_dir, stem=request.stem,
                                         suffix="_poster", default_ext=".webp",
                                         provider=self.name,
                                         what=f"The thumbnail of Sora job {provider_job_id}",
                                         secrets=self._secrets)
            saved.append(MediaFile("poster", str(poster.path), mime=poster.mime,
                                   metadata=dict(metadata)))
        except BaseException:
            remove_files([f.local_path for f in saved])  # complete or not at all
            raise
        return saved

    # ------------------------------------------------------------------ a lost submit

    # A video stamped up to this long before `since` still counts: the two clocks differ.
    FIND_CLOCK_SKEW = 120.0
    FIND_PAGE_SIZE = 100  # the largest `limit` the spec allows for GET /videos
    FIND_MAX_PAGES = 5

    async def find_submitted(self, request: MediaRequest, since: float,
                             exclude: set[str]) -> str | None:
        """The id of the video job that a submit of `request` whose answer was lost created,
        asked of the endpoint with `GET /videos` (never by sending the paid request again); None
        if there is none.

        A match was created (`created_at`, unix seconds) at or after `since` less
        FIND_CLOCK_SKEW, has the model, size and seconds `plan(request)` gives (a dated snapshot
        of the planned model counts as that model), the prompt `submit()` sends when the listed
        video carries one (`prompt` is nullable in the spec), and is not in `exclude` (ids other
        jobs already own). Of several, the oldest. Errors raise ProviderError as reads do.
        """
        import re  # here, so the module's imports stay as they are

        plan = self.plan(request)
        prompt = str(request.params.get("prompt") or "").strip()
        snapshot = re.compile(re.escape(plan.model) + r"-\d{4}-\d{2}-\d{2}")
        # `created_at` is in whole seconds: a job made just after `since` may be stamped before it.
        cutoff = float(int(since - self.FIND_CLOCK_SKEW))
        what = "Looking on the Sora endpoint for a job whose answer was lost"
        found: dict[str, tuple[float, int]] = {}  # id -> (created_at, -place in the listing)
        place = 0
        try:
            # Newest first, so the listing can stop at the first page that reaches the cutoff.
            page = await _quiet(self.client.videos.list, limit=self.FIND_PAGE_SIZE, order="desc")
            for _ in range(self.FIND_MAX_PAGES):
                reached_cutoff = False
                for video in page.data:
                    place += 1
                    created = video.created_at
                    if created is None or created < cutoff:
                        reached_cutoff = reached_cutoff or created is not None
                        continue
                    model = str(video.model or "")
                    same_model = model == plan.model or snapshot.fullmatch(model) is not None
                    if (video.id in exclude or not _VIDEO_ID.fullmatch(str(video.id))
                            or not same_model or video.size != plan.size
                            or str(video.seconds) != plan.seconds):
                        continue
                    if video.prompt is not None and video.prompt.strip() != prompt:
                        continue
                    # Of two made in the same second, the one listed later is the older.
                    found.setdefault(video.id, (float(created), -place))
                if reached_cutoff or not page.has_next_page():
                    break
                page = await page.get_next_page()
        except SDK_ERRORS as exc:
            raise self._error(exc, what, None, creating=False) from None
        if not found:
            return None
        return min(found, key=lambda video_id: found[video_id])
