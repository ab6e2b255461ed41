"""fal.ai image to video through fal's queue API.

Confirmed in fal's docs (Inference API reference, queue guide, the platform API reference) and
its client libraries (fal-client, the Ruby and Rust clients):
- auth: `Authorization: Key <FAL_KEY>` on every queue call.
- submit: `POST {base}/{model id}` with the model's input JSON; the answer carries
  `request_id`, `response_url`, `status_url`, `cancel_url` (and `queue_position`).
- status: `GET {base}/{owner}/{app}/requests/{request_id}/status` (`?logs=1` adds the logs):
  `status` IN_QUEUE (with `queue_position`) | IN_PROGRESS | COMPLETED, 202 until done, then 200.
- result: `GET {base}/{owner}/{app}/requests/{request_id}`: the model's output JSON, here
  `{"video": {"url", "content_type", "file_name", "file_size"}, "seed"?}`.
- "The status, result, and cancel URLs use only the owner and the app" of a model id with a
  path, e.g. `fal-ai/kling-video` for `fal-ai/kling-video/v2.1/standard/image-to-video`.
- a failed request carries an `error_type` field (and `X-Fal-Error-Type` header); input errors
  are FastAPI's 422 `{"detail": [{"loc": ["body", field], "msg", "type"}]}`.
- files: a public URL or, for "some models", a base64 `data:` URI in `image_url`. Results are
  public URLs on fal's CDN (`*.fal.media`): they are fetched without the key.
- fal's Platform API lists an account's requests (`GET https://api.fal.ai/v1/models/requests/
  by-endpoint`), see `find_submitted`.

How a job is found again: the job row keeps only `provider_job_id`, which is the bare
`request_id` (a UUID, checked before it goes into a path). The status and result URLs are
rebuilt from the model id in the stored request, as `{fal_base_url}/{owner}/{app}/requests/
{request_id}[/status]`, the rule fal documents above. fal also says not to build these URLs but
to use the ones the submit returned: submit compares them and logs when they differ, so a change
at fal shows in the log (and the rule can be revisited) without a job id format to migrate.

Unconfirmed: that every model here takes a data URI (fal: "some models"); the largest data URI
fal takes (MAX_IMAGE_BYTES is a cautious guess); the exact text of fal's 401/404 bodies; that a
failed run's status says COMPLETED with an `error` (the stand-in does so) rather than only its
result answering an error status.
"""

from __future__ import annotations

import base64
import io
import logging
import re
from typing import Any

import httpx
from PIL import Image

from ..costs.prices import Prices
from ..settings import Settings
from .base import Cost, JobProgress, MediaFile, MediaRequest, ProviderError, ProviderJobState, Submitted
from .downloads import httpx_opener, remove_files, save_download
from .fal_finder import FalFinder
from .fal_models import ASPECT_RATIOS, DEFAULT_MODEL, MODELS, FalModel, app_of
from .http_errors import (not_configured, redact, response_json, retry_after_seconds, short,
                          status_kind, transport_error)
from .image_prep import PreparedImage, crop_to_aspect, require_source_file
from .job_ids import checked_id
from .tls import ssl_context

log = logging.getLogger(__name__)

API_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
TRANSFER_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
MAX_IMAGE_BYTES = 8 * 2**20  # before base64; unconfirmed: fal documents no data-URI limit
POLL_AFTER = 5.0  # seconds to the first status look: a video takes a minute or more
_WHOLE = re.compile(r"\d{1,10}")
_REQUEST_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def checked_request_id(value: Any) -> str:
    return checked_id(value, _REQUEST_ID, "fal.ai", "a UUID", "fal")


def _seconds(value: Any) -> int | None:
    try:
        number = float(str(value).strip().rstrip("s"))
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() and not isinstance(value, bool) else None


def _fitted(prepared: PreparedImage) -> tuple[bytes, str]:
    """The image's bytes and mime, re-encoded as JPEG (and scaled down) when over MAX_IMAGE_BYTES."""
    if len(prepared.data) <= MAX_IMAGE_BYTES:
        return prepared.data, prepared.mime
    img = Image.open(io.BytesIO(prepared.data)).convert("RGB")
    while True:
        out = io.BytesIO()
        img.save(out, "JPEG", quality=90)
        if out.tell() <= MAX_IMAGE_BYTES or min(img.size) < 64:
            return out.getvalue(), "image/jpeg"
        img = img.resize((img.width * 3 // 4, img.height * 3 // 4), Image.Resampling.LANCZOS)


def validation_text(detail: Any) -> str:
    """FastAPI's 422 `detail` list as "duration: msg; image_url: msg" (the field named first)."""
    if not isinstance(detail, list):
        return str(detail) if detail else ""
    parts = []
    for item in detail[:5]:
        if not isinstance(item, dict):
            continue
        loc = [str(p) for p in item.get("loc") or [] if p != "body"]
        parts.append(f"{'.'.join(loc) or 'the request'}: {item.get('msg') or item.get('type') or 'invalid'}")
    return "; ".join(parts)


class FalClient(FalFinder):
    """`MediaProvider` for ("fal", "img2vid").

    settings: fal_api_key (FAL_KEY), fal_base_url (the queue, https://queue.fal.run).
    params: model (a fal model id, see `fal_models.MODELS`), prompt, negative_prompt, duration
    (seconds), aspect_ratio (default 9:16), resolution, seed; Veo 3 Fast also generate_audio.
    """

    name = "fal"
    cost_unit = "usd"

    def __init__(self, settings: Settings, *, prices: Prices | None = None,
                 api: httpx.AsyncClient | None = None, plain: httpx.AsyncClient | None = None):
        key = settings.fal_api_key
        if api is None and not (key and key.get_secret_value()):
            raise not_configured("fal.ai", "FAL_KEY", "fal")
        self.settings, self._secrets = settings, settings.secret_values()
        self.base_url = settings.fal_base_url.rstrip("/")
        self.prices = prices or Prices.load(settings.data_dir)
        # The key goes only to the queue; the result files live on a public CDN, fetched by `plain`.
        headers = {"authorization": f"Key {key.get_secret_value()}"} if api is None else {}
        self.api = api or httpx.AsyncClient(headers={**headers, "accept": "application/json"},
                                            timeout=API_TIMEOUT, verify=ssl_context())
        self.plain = plain or httpx.AsyncClient(follow_redirects=True, timeout=TRANSFER_TIMEOUT,
                                                verify=ssl_context())

    def supports(self, action: str) -> bool:
        return action == "img2vid"

    async def aclose(self) -> None:
        for client in (self.api, self.plain):
            await client.aclose()

    # ------------------------------------------------------------------ planning and checks

    def _refuse(self, message: str, kind: str = "unsupported") -> ProviderError:
        return ProviderError(message, kind, provider=self.name)  # type: ignore[arg-type]

    def plan(self, request: MediaRequest) -> tuple[FalModel, int]:
        """The model and the seconds this request maps to; ProviderError if it cannot be made."""
        params = request.params
        model_id = str(params.get("model") or DEFAULT_MODEL).strip()
        model = MODELS.get(model_id)
        if model is None:
            raise self._refuse(f"cctui does not offer the fal.ai model {model_id!r}; choose one of "
                               f"{', '.join(MODELS)}.")
        seconds = _seconds(params.get("duration", model.durations[0]))
        if seconds not in model.durations:
            raise self._refuse(f"{model.label} on fal.ai makes clips of "
                               f"{', '.join(map(str, model.durations))} seconds, not "
                               f"{params.get('duration')!r}.")
        aspect = str(params.get("aspect_ratio") or "9:16").strip()
        if aspect not in model.aspects:
            raise self._refuse(f"{model.label} on fal.ai makes {', '.join(model.aspects)} videos, "
                               f"not {aspect}.")
        resolution = str(params.get("resolution") or "").strip()
        if resolution and resolution not in model.resolutions:
            takes = (f"takes {', '.join(model.resolutions)}" if model.resolutions
                     else "takes no resolution setting")
            raise self._refuse(f"{model.label} on fal.ai {takes}, not {resolution}.")
        seed = params.get("seed")
        if seed not in (None, "") and (isinstance(seed, bool) or not _WHOLE.fullmatch(str(seed).strip())):
            raise self._refuse(f"The seed must be a whole number, not {seed!r}.", "bad_request")
        return model, seconds

    def estimate(self, request: MediaRequest) -> Cost | None:
        try:
            model, seconds = self.plan(request)
        except ProviderError:
            return None
        variant = model.price_variant(request.params)
        price = (self.prices.per_second("fal", f"{model.model_id}/{variant}") if variant else None)
        if price is None:
            price = self.prices.per_second("fal", model.model_id)
        if price is None:
            return None
        return Cost(round(price * seconds, 6), "usd", seconds, "second", price, model.model_id, "prices")

    def check(self, request: MediaRequest) -> None:
        if request.action != "img2vid":
            raise self._refuse(f"fal.ai cannot do {request.action} here.")
        self.plan(request)
        if not str(request.params.get("prompt") or "").strip():
            raise self._refuse("The video prompt is empty.", "bad_request")
        require_source_file(request.source_image, self.name)
        if not request.media_dir or not request.stem:
            raise self._refuse("The job has no media folder or file name stem.", "bad_request")

    # ------------------------------------------------------------------ HTTP

    def _error(self, response: httpx.Response, what: str) -> ProviderError:
        body = response_json(response)
        detail = body.get("detail") if isinstance(body, dict) else None
        message = short(validation_text(detail) or (body.get("error") if isinstance(body, dict) else "")
                        or response.text or response.reason_phrase or "no details", 300)
        status = response.status_code
        retry_after = None
        if status == 401:
            kind, text = "auth", f"{what}: fal.ai refused the API key (401: {message}). Check FAL_KEY."
        elif status == 403:
            kind, text = "auth", (f"{what}: fal.ai denied access (403: {message}). Check FAL_KEY and "
                                  f"the account's balance and key permissions.")
        elif status == 422:
            kind, text = "bad_request", f"{what}: fal.ai refused the input ({message})."
        elif status == 429:
            retry_after = retry_after_seconds(response.headers)
            kind, text = "rate_limit", f"{what}: fal.ai's rate limit was hit (429: {message})."
        elif status >= 500:
            kind, text = "server", f"{what}: fal.ai had a server error ({status}: {message})."
        else:
            kind, text = status_kind(status), f"{what}: fal.ai refused the request ({status}: {message})."
        return ProviderError(redact(text, self._secrets), kind, provider=self.name, status=status,
                             retry_after=retry_after)

    async def _call(self, method: str, url: str, what: str, *, json_body: dict | None = None,
                    params: dict | None = None) -> tuple[httpx.Response, dict[str, Any]]:
        try:
            response = await self.api.request(method, url, json=json_body, params=params)
        except httpx.TransportError as exc:
            raise transport_error(exc, provider=self.name, what=what, where="fal.ai",
                                  secrets=self._secrets) from None
        if not response.is_success:
            raise self._error(response, what)
        body = response_json(response)
        if not isinstance(body, dict):
            # Cut off or garbled: a paid submit may have been taken all the same.
            raise ProviderError(f"{what}: fal.ai answered with something that is not a JSON object "
                                f"(cut off or garbled).", "server", provider=self.name,
                                status=response.status_code)
        return response, body

    def request_url(self, request: MediaRequest, request_id: str, status: bool = False) -> str:
        model, _ = self.plan(request)
        url = f"{self.base_url}/{app_of(model.model_id)}/requests/{checked_request_id(request_id)}"
        return url + "/status" if status else url

    # ------------------------------------------------------------------ the job

    def _image_url(self, request: MediaRequest) -> str:
        aspect = str(request.params.get("aspect_ratio") or "9:16").strip()
        prepared = crop_to_aspect(request.source_image.local_path, {aspect: ASPECT_RATIOS[aspect]},
                                  self.name, prefer=aspect)
        data, mime = _fitted(prepared)
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"

    async def submit(self, request: MediaRequest) -> Submitted:
        self.check(request)
        model, seconds = self.plan(request)
        try:
            image_url = self._image_url(request)
        except ProviderError as exc:
            exc.unpaid = True  # nothing has left yet
            raise
        body = model.body(request.params, seconds, image_url)
        _, answer = await self._call("POST", f"{self.base_url}/{model.model_id}",
                                     f"Starting the {model.label} video on fal.ai", json_body=body)
        request_id = checked_request_id(answer.get("request_id"))
        expected = self.request_url(request, request_id, status=True)
        if answer.get("status_url") and str(answer["status_url"]).split("?")[0] != expected:
            log.warning("fal.ai answered status_url %s; cctui polls %s", answer["status_url"], expected)
        return Submitted(provider_job_id=request_id, cost=self.estimate(request), poll_after=POLL_AFTER)

    async def poll(self, provider_job_id: str, request: MediaRequest) -> JobProgress:
        what = f"Checking fal.ai request {checked_request_id(provider_job_id)}"
        _, body = await self._call("GET", self.request_url(request, provider_job_id, status=True),
                                   what, params={"logs": "1"})
        status = str(body.get("status") or "").upper()
        if body.get("error") or body.get("error_type"):
            reason = short(str(body.get("error") or body.get("error_type")), 200)
            return JobProgress(status=ProviderJobState.FAILED, error=ProviderError(
                redact(f"fal.ai reported that request {provider_job_id} failed: {reason}", self._secrets),
                "failed", provider=self.name))
        if status == "COMPLETED":
            return JobProgress(status=ProviderJobState.COMPLETED, progress=100.0)
        if status == "IN_QUEUE":
            # JobProgress has no text: the queue position shows only in the log.
            log.info("fal.ai request %s is in the queue at %s", provider_job_id, body.get("queue_position"))
            return JobProgress(status=ProviderJobState.QUEUED, poll_after=POLL_AFTER)
        if status == "IN_PROGRESS":
            return JobProgress(status=ProviderJobState.RUNNING, poll_after=POLL_AFTER)
        raise ProviderError(f"{what}: fal.ai answered an unknown status {short(status, 40)!r}.",
                            "invalid_output", provider=self.name)

    async def download(self, provider_job_id: str, request: MediaRequest) -> list[MediaFile]:
        what = f"Fetching the result of fal.ai request {checked_request_id(provider_job_id)}"
        _, result = await self._call("GET", self.request_url(request, provider_job_id), what)
        video = result.get("video")
        url = video.get("url") if isinstance(video, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            got = ", ".join(sorted(map(str, result))) or "nothing"
            # The request ended: asking again cannot bring a video, so this is no transient error.
            raise ProviderError(f"{what}: the finished request has no video (it holds: "
                                f"{short(got, 120)}).", "bad_request", provider=self.name)
        model, _ = self.plan(request)
        saved: list[MediaFile] = []
        try:
            got_file = await save_download(httpx_opener(self.plain, url), media_dir=request.media_dir,
                                           stem=request.stem, default_ext=".mp4", provider=self.name,
                                           what=f"The video of fal.ai request {provider_job_id}",
                                           secrets=self._secrets)
            saved.append(MediaFile("video", str(got_file.path), url=url, mime=got_file.mime, metadata={
                "model": model.model_id, "request_id": provider_job_id, "seed": result.get("seed")}))
        except BaseException:
            remove_files([f.local_path for f in saved])  # complete or not at all
            raise
        return saved
