"""Leonardo.Ai REST v1: text to image and image to video.

Two HTTP clients: `api` carries the Bearer key and only ever talks to the Leonardo API; `plain`
has no credentials and is used for the presigned upload to Leonardo's bucket (which refuses an
authorization header) and for downloads from the CDN (which must never see the key).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from ..settings import Settings
from .base import Cost, JobProgress, MediaFile, MediaRequest, ProviderError, ProviderJobState, Submitted
from .downloads import httpx_opener, remove_files, save_download
from .http_errors import (not_configured, redact, response_json, retry_after_seconds, short,
                          status_kind, transport_error)
from .image_prep import crop_to_aspect, require_source_file
from .job_ids import checked_id
from .tls import ssl_context

VIDEO_MODELS = ("MOTION2", "MOTION2FAST", "VEO3", "VEO3FAST", "KLING2_1", "KLING2_5")
SVD_MODELS = ("MOTION1", "SVD")  # Motion 1.0: the endpoint with a real 1-10 motionStrength
RESOLUTIONS = {"480p": "RESOLUTION_480", "720p": "RESOLUTION_720", "1080p": "RESOLUTION_1080"}
VIDEO_ASPECTS = {"9:16": 9 / 16, "16:9": 16 / 9}
# Sizes for a txt2img form that gives an aspect ratio instead of width and height.
ASPECT_DIMENSIONS = {"1:1": (1024, 1024), "9:16": (864, 1536), "16:9": (1536, 864),
                     "2:3": (1024, 1536), "3:2": (1536, 1024), "4:5": (1024, 1280),
                     "5:4": (1280, 1024)}
# A short pet video is vertical: an image made for it should already be 9:16.
DEFAULT_DIMENSIONS = ASPECT_DIMENSIONS["9:16"]
MIN_SIDE, MAX_SIDE, MAX_IMAGES = 32, 1536, 8
API_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
TRANSFER_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
UPLOAD_ATTEMPTS = 2


def motion_words(strength: int) -> str:
    """The image-to-video endpoint has no motion-strength field, so the form's 1-10 slider is
    folded into the prompt as words the motion models respond to."""
    if strength <= 3:
        return "subtle, gentle motion, mostly still"
    if strength <= 7:
        return "moderate, natural motion"
    return "dynamic, energetic motion"


def _int_param(params: dict[str, Any], names: tuple[str, ...], label: str) -> int | None:
    for name in names:
        value = params.get(name)
        if value in (None, ""):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ProviderError(f"{label} must be a whole number, not {value!r}.", "bad_request",
                                provider="leonardo") from None
        if number != int(number):
            raise ProviderError(f"{label} must be a whole number, not {value!r}.", "bad_request",
                                provider="leonardo")
        return int(number)
    return None


def _cost(job: dict[str, Any]) -> Cost | None:
    """Prefer a price in dollars when Leonardo gives one (it adds up with OpenAI's), then the
    API credits (`apiCreditCost`), then a `cost` object in credits."""
    cost = job.get("cost")
    amount = cost.get("amount") if isinstance(cost, dict) else None
    unit = str(cost.get("unit") or "").lower() if isinstance(cost, dict) else ""
    if isinstance(amount, (int, float)) and unit in ("usd", "$", "dollar", "dollars"):
        return Cost(float(amount), "usd")
    credits = job.get("apiCreditCost")
    if isinstance(credits, (int, float)):
        return Cost(float(credits), "credits")
    if isinstance(amount, (int, float)) and unit in ("credit", "credits", "token", "tokens",
                                                     "api_credits", "apicredits"):
        return Cost(float(amount), "credits")
    return None


_GENERATION_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def checked_generation_id(value: Any) -> str:
    return checked_id(value, _GENERATION_ID, "Leonardo", "a UUID", "leonardo")


class LeonardoClient:
    """`MediaProvider` for ("leonardo", "txt2img") and ("leonardo", "img2vid").

    settings: leonardo_api_key (required), leonardo_base_url, leonardo_image_model_id,
    leonardo_video_model.
    txt2img params: prompt, negative_prompt, width/height (or aspect_ratio), num_images,
    modelId. img2vid params: prompt, negative_prompt, motion_strength (1-10), model,
    resolution (RESOLUTION_720 or 720p), duration, aspect_ratio (9:16 | 16:9).
    """

    name = "leonardo"
    cost_unit = "credits"  # Leonardo charges API credits

    def __init__(self, settings: Settings, *, api: httpx.AsyncClient | None = None,
                 plain: httpx.AsyncClient | None = None):
        key = settings.leonardo_api_key
        if api is None and (key is None or not key.get_secret_value()):
            raise not_configured("Leonardo", "LEONARDO_API_KEY", "leonardo")
        self.settings = settings
        self.base_url = settings.leonardo_base_url.rstrip("/")
        self._secrets = settings.secret_values()
        self.api = api or httpx.AsyncClient(
            base_url=self.base_url + "/",
            headers={"authorization": f"Bearer {key.get_secret_value()}",
                     "accept": "application/json"},
            timeout=API_TIMEOUT, verify=ssl_context())
        self.plain = plain or httpx.AsyncClient(timeout=TRANSFER_TIMEOUT, follow_redirects=True,
                                                verify=ssl_context())

    async def aclose(self) -> None:
        await self.api.aclose()
        await self.plain.aclose()

    def supports(self, action: str) -> bool:
        return action in ("txt2img", "img2vid")

    # ------------------------------------------------------------------ HTTP

    def _error(self, response: httpx.Response, what: str) -> ProviderError:
        body = response_json(response)
        message = ""
        if isinstance(body, dict):
            raw = body.get("error") or body.get("message") or ""
            message = raw if isinstance(raw, str) else json.dumps(raw)
        message = short(message or response.text or response.reason_phrase or "no details", 300)
        status = response.status_code
        lowered = message.lower()
        retry_after = None
        if "moderation" in lowered:
            kind, text = "moderation", (f"{what}: blocked by Leonardo's content moderation filter "
                                        f"({message}). Change the prompt or the image.")
        elif status == 401:
            kind, text = "auth", (f"{what}: Leonardo refused the API key (401: {message}). Check "
                                  f"LEONARDO_API_KEY.")
        elif status == 403:
            kind, text = "auth", (f"{what}: Leonardo denied access (403: {message}). Check "
                                  f"LEONARDO_API_KEY and the plan's API access.")
        elif status == 429:
            retry_after = retry_after_seconds(response.headers)
            kind, text = "rate_limit", f"{what}: Leonardo's rate limit was hit (429: {message})."
        elif ("not enough" in lowered or "insufficient" in lowered) and (
                "token" in lowered or "credit" in lowered):
            # unconfirmed: the exact status of an out-of-credits answer is not documented
            kind, text = "quota", f"{what}: the Leonardo account is out of API credits ({message})."
        elif status >= 500:
            kind, text = "server", f"{what}: Leonardo had a server error ({status}: {message})."
        else:
            kind = status_kind(status)
            text = f"{what}: Leonardo refused the request ({status}: {message})."
        return ProviderError(redact(text, self._secrets), kind, provider=self.name, status=status,
                             retry_after=retry_after)

    async def _call(self, method: str, path: str, what: str, *,
                    json_body: dict[str, Any] | None = None, expect: str | None = None) -> Any:
        try:
            response = await self.api.request(method, path.lstrip("/"), json=json_body)
        except httpx.TransportError as exc:
            raise transport_error(exc, provider=self.name, what=what, where="Leonardo",
                                  secrets=self._secrets) from None
        if not response.is_success:
            raise self._error(response, what)
        body = response_json(response)
        if not isinstance(body, dict):
            # A 2xx answer that cannot be read (cut off or garbled): a paid request may have been
            # carried out all the same, so its outcome is unknown, as after a timeout.
            raise ProviderError(f"{what}: Leonardo answered with something that is not a JSON object "
                                f"(cut off or garbled); the request may have been carried out anyway.",
                                "server", provider=self.name, status=response.status_code)
        if expect is not None and not isinstance(body.get(expect), dict):
            if body.get("error"):
                raise self._error(response, what)
            raise ProviderError(f"{what}: Leonardo's answer has no '{expect}'.", "invalid_output",
                                provider=self.name, status=response.status_code)
        return body

    # ------------------------------------------------------------------ checks

    def _dimensions(self, params: dict[str, Any]) -> tuple[int, int]:
        width = _int_param(params, ("width",), "The width")
        height = _int_param(params, ("height",), "The height")
        if width is None or height is None:
            aspect = params.get("aspect_ratio")
            if aspect:
                if aspect not in ASPECT_DIMENSIONS:
                    raise ProviderError(f"Leonardo images: unknown aspect ratio {aspect!r}; choose "
                                        f"one of {', '.join(ASPECT_DIMENSIONS)}.", "unsupported",
                                        provider=self.name)
                default_w, default_h = ASPECT_DIMENSIONS[aspect]
            else:
                default_w, default_h = DEFAULT_DIMENSIONS
            width = default_w if width is None else width
            height = default_h if height is None else height
        return width, height

    def _video_model(self, params: dict[str, Any]) -> str:
        return str(params.get("model") or self.settings.leonardo_video_model or "MOTION2").upper()

    def _strength(self, params: dict[str, Any]) -> int | None:
        return _int_param(params, ("motion_strength", "motionStrength"), "Motion strength")

    def check(self, request: MediaRequest) -> None:
        params = request.params
        if request.action not in ("txt2img", "img2vid"):
            raise ProviderError(f"Leonardo cannot do {request.action} here.", "unsupported",
                                provider=self.name)
        if not request.media_dir or not request.stem:
            raise ProviderError("The job has no media folder or file name stem.", "bad_request",
                                provider=self.name)
        if request.action == "txt2img":
            if not str(params.get("prompt") or "").strip():
                raise ProviderError("The image prompt is empty.", "bad_request", provider=self.name)
            width, height = self._dimensions(params)
            for label, side in (("width", width), ("height", height)):
                if not MIN_SIDE <= side <= MAX_SIDE or side % 8:
                    raise ProviderError(
                        f"Leonardo image {label} must be a multiple of 8 from {MIN_SIDE} to "
                        f"{MAX_SIDE}, not {side}.", "bad_request", provider=self.name)
            count = _int_param(params, ("num_images", "n"), "The number of images")
            if count is not None and not 1 <= count <= MAX_IMAGES:
                raise ProviderError(f"Leonardo makes 1 to {MAX_IMAGES} images per request, not "
                                    f"{count}.", "bad_request", provider=self.name)
            return
        model = self._video_model(params)
        if model not in VIDEO_MODELS + SVD_MODELS:
            raise ProviderError(f"Leonardo has no video model {model!r}; choose one of "
                                f"{', '.join(VIDEO_MODELS + SVD_MODELS)}.", "unsupported",
                                provider=self.name)
        if model not in SVD_MODELS and not str(params.get("prompt") or "").strip():
            raise ProviderError("The video prompt is empty.", "bad_request", provider=self.name)
        strength = self._strength(params)
        if strength is not None and not 1 <= strength <= 10:
            raise ProviderError(f"Motion strength goes from 1 to 10, not {strength}.",
                                "bad_request", provider=self.name)
        resolution = params.get("resolution") or params.get("quality")
        if resolution and resolution not in RESOLUTIONS and resolution not in RESOLUTIONS.values():
            raise ProviderError(f"Leonardo video resolution {resolution!r} is not one of "
                                f"{', '.join(RESOLUTIONS)}.", "unsupported", provider=self.name)
        duration = _int_param(params, ("duration",), "The duration")
        if duration is not None and duration <= 0:
            raise ProviderError(f"The duration must be positive, not {duration}.", "bad_request",
                                provider=self.name)
        aspect = params.get("aspect_ratio")
        if aspect and aspect not in VIDEO_ASPECTS:
            raise ProviderError(f"Leonardo videos are made at {' or '.join(VIDEO_ASPECTS)}, not "
                                f"{aspect}.", "unsupported", provider=self.name)
        source = request.source_image
        if not (source and source.metadata.get("leonardo_image_id")):
            require_source_file(source, self.name)

    # ------------------------------------------------------------------ submit

    async def submit(self, request: MediaRequest) -> Submitted:
        self.check(request)
        if request.action == "txt2img":
            return await self._submit_image(request)
        return await self._submit_video(request)

    async def _submit_image(self, request: MediaRequest) -> Submitted:
        params = request.params
        width, height = self._dimensions(params)
        body: dict[str, Any] = {
            "prompt": str(params["prompt"]),
            "modelId": params.get("modelId") or params.get("model_id")
            or self.settings.leonardo_image_model_id,
            "width": width,
            "height": height,
            "num_images": _int_param(params, ("num_images", "n"), "The number of images") or 1,
        }
        if str(params.get("negative_prompt") or "").strip():
            body["negative_prompt"] = str(params["negative_prompt"])
        answer = await self._call("POST", "/generations", "Leonardo image generation",
                                  json_body=body, expect="sdGenerationJob")
        job = answer["sdGenerationJob"]
        if not job.get("generationId"):
            raise ProviderError("Leonardo image generation: the answer has no generationId.",
                                "invalid_output", provider=self.name)
        return Submitted(provider_job_id=checked_generation_id(job["generationId"]), cost=_cost(job))

    async def _submit_video(self, request: MediaRequest) -> Submitted:
        params = request.params
        model = self._video_model(params)
        source = request.source_image
        generated_id = source.metadata.get("leonardo_image_id") if source else None
        if generated_id:
            image_id, uploaded = str(generated_id), False  # a Leonardo image: no upload needed
        else:
            try:
                image_id, uploaded = await self.upload_init_image(source.local_path,
                                                                  params.get("aspect_ratio")), True
            except ProviderError as exc:
                exc.unpaid = True  # the upload is free: nothing paid has been sent yet
                raise
        strength = self._strength(params)
        if model in SVD_MODELS:
            # Motion 1.0 takes no prompt; the slider maps one to one to motionStrength.
            body: dict[str, Any] = {"imageId": image_id, "isInitImage": uploaded,
                                    "motionStrength": strength or 5, "isPublic": False}
            path, key = "/generations-motion-svd", "motionSvdGenerationJob"
        else:
            prompt = str(params.get("prompt") or "").strip()
            if strength is not None:
                # No motionStrength field on this endpoint: an honest mapping into words instead
                # of silently dropping the creator's choice.
                prompt = f"{prompt.rstrip('. ')}. {motion_words(strength).capitalize()}."
            body = {"imageId": image_id, "imageType": "UPLOADED" if uploaded else "GENERATED",
                    "prompt": prompt, "model": model, "isPublic": False}
            if str(params.get("negative_prompt") or "").strip():
                body["negativePrompt"] = str(params["negative_prompt"])
            resolution = params.get("resolution") or params.get("quality")
            if resolution:
                body["resolution"] = RESOLUTIONS.get(resolution, resolution)
            duration = _int_param(params, ("duration",), "The duration")
            if duration is not None:
                body["duration"] = duration
            path, key = "/generations-image-to-video", "motionVideoGenerationJob"
        answer = await self._call("POST", path, "Leonardo video generation", json_body=body,
                                  expect=key)
        job = answer[key]
        if not job.get("generationId"):
            raise ProviderError("Leonardo video generation: the answer has no generationId.",
                                "invalid_output", provider=self.name)
        return Submitted(provider_job_id=checked_generation_id(job["generationId"]), cost=_cost(job))

    async def upload_init_image(self, local_path: str | Path, aspect: str | None = None) -> str:
        """Upload a local image as a Leonardo init image and return its id.

        The image is first centre-cropped (in memory) to 9:16 or 16:9, whichever is nearer, or to
        `aspect` when given, so the video is not letterboxed or squeezed.
        """
        prepared = crop_to_aspect(local_path, VIDEO_ASPECTS, self.name, prefer=aspect)
        what = "Uploading the source image to Leonardo"
        last: ProviderError | None = None
        for _ in range(UPLOAD_ATTEMPTS):
            # A fresh presigned form each attempt: it expires about two minutes after it is made.
            answer = await self._call("POST", "/init-image", what,
                                      json_body={"extension": prepared.extension},
                                      expect="uploadInitImage")
            form = answer["uploadInitImage"]
            fields = form.get("fields")
            try:
                fields = json.loads(fields) if isinstance(fields, str) else dict(fields or {})
            except (ValueError, TypeError):
                raise ProviderError(f"{what}: the upload form's fields are not JSON.",
                                    "invalid_output", provider=self.name) from None
            if not form.get("id") or not form.get("url"):
                raise ProviderError(f"{what}: the upload form has no id or url.", "invalid_output",
                                    provider=self.name)
            try:
                # The plain client: the bucket refuses (403) Leonardo's authorization header.
                response = await self.plain.post(
                    form["url"], data={k: str(v) for k, v in fields.items()},
                    files={"file": (f"source.{prepared.extension}", prepared.data, prepared.mime)})
            except httpx.TransportError as exc:
                last = transport_error(exc, provider=self.name, what=what,
                                       where="Leonardo's upload storage", secrets=self._secrets)
                continue
            if response.is_success:  # 204 No Content from the bucket
                return str(form["id"])
            detail = short(response.text or response.reason_phrase, 200)
            kind = "server" if response.status_code >= 500 or response.status_code == 403 \
                else "bad_request"
            last = ProviderError(redact(f"{what}: the storage refused the file "
                                        f"({response.status_code}: {detail}).", self._secrets),
                                 kind, provider=self.name, status=response.status_code)
            if kind != "server":
                break
        assert last is not None
        raise last

    # ------------------------------------------------------------------ poll and download

    async def _generation(self, provider_job_id: str) -> dict[str, Any] | None:
        checked_generation_id(provider_job_id)
        answer = await self._call("GET", f"/generations/{provider_job_id}",
                                  f"Checking Leonardo job {provider_job_id}")
        generation = answer.get("generations_by_pk")
        return generation if isinstance(generation, dict) else None

    @staticmethod
    def _finished_images(generation: dict[str, Any], action: str) -> list[dict[str, Any]]:
        images = [img for img in generation.get("generated_images") or [] if isinstance(img, dict)]
        if action == "img2vid":
            return images if images and images[0].get("motionMP4URL") else []
        return images if images and all(img.get("url") for img in images) else []

    async def poll(self, provider_job_id: str, request: MediaRequest) -> JobProgress:
        generation = await self._generation(provider_job_id)
        if generation is None:
            return JobProgress(status=ProviderJobState.FAILED, error=ProviderError(
                f"Leonardo does not know job {provider_job_id}.", "not_found", provider=self.name))
        status = str(generation.get("status") or "").upper()
        if status == "FAILED":
            return JobProgress(status=ProviderJobState.FAILED, error=ProviderError(
                f"Leonardo reported that job {provider_job_id} failed.", "failed",
                provider=self.name))
        if status == "COMPLETE" and self._finished_images(generation, request.action):
            return JobProgress(status=ProviderJobState.COMPLETED, progress=100.0)
        # PENDING, or COMPLETE without its files yet: Leonardo gives no progress figure.
        return JobProgress(status=ProviderJobState.RUNNING)

    async def download(self, provider_job_id: str, request: MediaRequest) -> list[MediaFile]:
        generation = await self._generation(provider_job_id)
        images = self._finished_images(generation or {}, request.action)
        if generation is None or str(generation.get("status", "")).upper() != "COMPLETE" or not images:
            raise ProviderError(f"Leonardo job {provider_job_id} has no finished files yet.",
                                "failed", provider=self.name)
        saved: list[MediaFile] = []
        try:
            if request.action == "img2vid":
                first = images[0]
                model = self._video_model(request.params)
                # Not "leonardo_image_id": a video's frame is no GENERATED source for img2vid.
                meta: dict[str, Any] = {"generation_id": provider_job_id,
                                        "leonardo_motion_image_id": first.get("id"),
                                        "model": model}
                strength = self._strength(request.params)
                if strength is not None and model not in SVD_MODELS:
                    meta["motion_strength_note"] = (
                        f"motion strength {strength} was sent as the words "
                        f"'{motion_words(strength)}' in the prompt (the endpoint has no such field)")
                video = await self._fetch(first["motionMP4URL"], request, "", ".mp4",
                                          f"The video of Leonardo job {provider_job_id}")
                saved.append(MediaFile("video", str(video.path), url=first["motionMP4URL"],
                                       mime=video.mime, metadata=dict(meta)))
                if first.get("url"):
                    poster = await self._fetch(first["url"], request, "_poster", ".jpg",
                                               f"The poster of Leonardo job {provider_job_id}")
                    saved.append(MediaFile("poster", str(poster.path), url=first["url"],
                                           mime=poster.mime, metadata=dict(meta)))
            else:
                for index, image in enumerate(images, start=1):
                    got = await self._fetch(image["url"], request, f"_{index}", ".jpg",
                                            f"Image {index} of Leonardo job {provider_job_id}")
                    saved.append(MediaFile("image", str(got.path), url=image["url"], mime=got.mime,
                                           metadata={"leonardo_image_id": image.get("id"),
                                                     "generation_id": provider_job_id,
                                                     "nsfw": bool(image.get("nsfw")),
                                                     "index": index}))
        except BaseException:
            remove_files([f.local_path for f in saved])  # complete or not at all
            raise
        return saved

    async def _fetch(self, url: str, request: MediaRequest, suffix: str, default_ext: str,
                     what: str):
        return await save_download(httpx_opener(self.plain, url), media_dir=request.media_dir,
                                   stem=request.stem, suffix=suffix, default_ext=default_ext,
                                   provider=self.name, what=what, secrets=self._secrets)

    # ------------------------------------------------------------------ a lost submit

    # A generation stamped up to this long before `since` still counts: the two clocks differ.
    FIND_CLOCK_SKEW = 120.0
    FIND_PAGE_SIZE = 20
    FIND_MAX_PAGES = 5

    def _sent_prompt(self, request: MediaRequest) -> str:
        """The prompt `submit()` sends for this request, built the same way as there."""
        params = request.params
        if request.action == "txt2img":
            return str(params.get("prompt") or "")
        if self._video_model(params) in SVD_MODELS:
            return ""  # Motion 1.0 is sent no prompt
        prompt = str(params.get("prompt") or "").strip()
        strength = self._strength(params)
        if strength is not None:
            prompt = f"{prompt.rstrip('. ')}. {motion_words(strength).capitalize()}."
        return prompt

    @staticmethod
    def _listed_kind(generation: dict[str, Any]) -> str | None:
        """"img2vid" or "txt2img" from what a listed generation holds, or None when it cannot
        tell. The motion fields (`motion`, `imageToVideo`, `motionMP4URL`) are documented on each of
        `generated_images`, not on the generation, so a generation without images yet (PENDING,
        FAILED) is of no known kind, and neither is one whose images say nothing either way."""
        images = [img for img in generation.get("generated_images") or [] if isinstance(img, dict)]
        if any(img.get("motionMP4URL") or img.get("motion") is True
               or img.get("imageToVideo") is True for img in images):
            return "img2vid"
        if any(img.get("motion") is False or img.get("imageToVideo") is False for img in images):
            return "txt2img"
        return None

    async def find_submitted(self, request: MediaRequest, since: float,
                             exclude: set[str]) -> str | None:
        """The id of the generation that a submit of `request` whose answer was lost created, asked
        of Leonardo (never by sending the paid request again); None if there is none.

        `GET /me` gives the user id (`user_details[0].user.id`), then "Get generations by user ID"
        (`GET /generations/user/{userId}?offset=&limit=`) lists the account's generations. A match
        was created at or after `since` (epoch seconds) less FIND_CLOCK_SKEW, holds the prompt
        `submit()` sends, is of the request's kind when its answer tells (video or image), and
        is not in `exclude` (ids other jobs already own). Of several, the oldest. Transport and
        HTTP errors raise ProviderError as every call does.

        Confirmed by Leonardo's API reference and its generated SDKs: the path, `offset` (default
        0) and `limit` (default 10) as integers, the answer `{"generations": [...]}` with `id`,
        `createdAt` (ISO 8601 text), `prompt`, `status`, `generated_images`, and on each generated
        image `motion`, `imageToVideo`, `motionMP4URL`, `motionModel`, `motionStrength`, `url`.
        """
        from datetime import datetime, timezone  # here, so the module's imports stay as they are
        from urllib.parse import quote

        what = "Looking on Leonardo for a job whose answer was lost"
        me = await self._call("GET", "/me", what)
        details = me.get("user_details")
        first = details[0] if isinstance(details, list) and details else None
        user = first.get("user") if isinstance(first, dict) else None
        user_id = user.get("id") if isinstance(user, dict) else None
        if not user_id:
            raise ProviderError(f"{what}: Leonardo's /me answer has no user id.", "invalid_output",
                                provider=self.name)
        params = request.params
        prompt = self._sent_prompt(request).strip()
        svd = request.action == "img2vid" and self._video_model(params) in SVD_MODELS
        svd_strength = (self._strength(params) or 5) if svd else None
        # Whole seconds: a stamp of a coarser resolution than `since` must not fall before it.
        cutoff = float(int(since - self.FIND_CLOCK_SKEW))

        def created_at(value: Any) -> float | None:
            try:
                stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                return None
            if stamp.tzinfo is None:  # unconfirmed: a stamp without a zone is taken as UTC
                stamp = stamp.replace(tzinfo=timezone.utc)
            return stamp.timestamp()

        found: dict[str, tuple[float, int]] = {}  # id -> (created, -place in the listing)
        place = 0
        size = self.FIND_PAGE_SIZE
        for page in range(self.FIND_MAX_PAGES):
            answer = await self._call(
                "GET", f"/generations/user/{quote(str(user_id), safe='')}?offset={page * size}"
                       f"&limit={size}", what)
            generations = answer.get("generations")
            if not isinstance(generations, list):
                raise ProviderError(f"{what}: Leonardo's answer has no 'generations' list.",
                                    "invalid_output", provider=self.name)
            older = 0
            for generation in generations:
                place += 1
                if not isinstance(generation, dict) or not _GENERATION_ID.fullmatch(str(generation.get("id"))):
                    continue
                created = created_at(generation.get("createdAt"))
                if created is None:
                    continue  # no time to hold against `since`: never adopted on a guess
                if created < cutoff:
                    older += 1
                    continue
                generation_id = str(generation["id"])
                # unconfirmed: that Leonardo keeps the prompt as sent (compared without the
                # blanks around it)
                listed_prompt = str(generation.get("prompt") or "").strip()
                if generation_id in exclude or listed_prompt != prompt:
                    continue
                kind = self._listed_kind(generation)
                if kind is not None and kind != request.action:
                    continue
                if svd:
                    images = generation.get("generated_images") or []
                    strengths = {img.get("motionStrength") for img in images
                                 if isinstance(img, dict) and img.get("motionStrength") is not None}
                    if strengths and strengths != {svd_strength}:
                        continue
                # Of two stamped alike, the one listed later is the older (newest first).
                found.setdefault(generation_id, (created, -place))
            # unconfirmed: the list is newest first (not documented), so a short page or one that
            # is older than the cutoff throughout is the end of what can match.
            if len(generations) < size or older == len(generations):
                break
        if not found:
            return None
        return min(found, key=lambda generation_id: found[generation_id])
