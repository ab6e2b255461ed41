"""OpenAI image generation (gpt-image family) as a media provider for txt2img.

The images API answers synchronously with base64 PNGs, so `submit()` does the whole job and the
files are on disk when it returns; `poll()` and `download()` only report what is there.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from pathlib import Path
from typing import Any

import openai

from ..costs.prices import Prices
from ..settings import Settings
from .base import Cost, JobProgress, MediaFile, MediaRequest, ProviderError, ProviderJobState, Submitted
from .downloads import write_atomic
from .http_errors import not_configured
from .openai_errors import SDK_ERRORS, from_openai_error
from .tls import openai_http_client

SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
QUALITIES = ("low", "medium", "high", "auto")
# A form that only says which way the picture faces gets the matching standard size.
ASPECT_SIZES = {"1:1": "1024x1024", "3:2": "1536x1024", "16:9": "1536x1024",
                "2:3": "1024x1536", "9:16": "1024x1536"}
MAX_IMAGES = 10
TIMEOUT = 300.0  # a high-quality gpt-image answer can take a couple of minutes
MAX_RETRIES = 2


def _as_int(value: Any, field: str, provider: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProviderError(f"{field} must be a whole number, not {value!r}.", "bad_request",
                            provider=provider) from None
    if number != int(number):
        raise ProviderError(f"{field} must be a whole number, not {value!r}.", "bad_request",
                            provider=provider)
    return int(number)


class OpenAIImages:
    """`MediaProvider` for ("openai", "txt2img").

    settings: openai_api_key (required), openai_base_url, image_model.
    params: prompt, n or num_images (default 1), size (or aspect_ratio), quality.
    """

    name = "openai"

    def __init__(self, settings: Settings, *, client: openai.AsyncOpenAI | None = None,
                 timeout: float = TIMEOUT, max_retries: int = MAX_RETRIES, prices: Prices | None = None):
        if client is None and (settings.openai_api_key is None
                               or not settings.openai_api_key.get_secret_value()):
            raise not_configured("OpenAI", "OPENAI_API_KEY", "openai")
        self.settings = settings
        self.base_url = settings.openai_base_url
        self.model = settings.image_model
        self.prices = prices or Prices.load(settings.data_dir)
        self._secrets = settings.secret_values()
        self.client = client or openai.AsyncOpenAI(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url, timeout=timeout, max_retries=max_retries,
            http_client=openai_http_client())

    async def aclose(self) -> None:
        await self.client.close()

    def supports(self, action: str) -> bool:
        return action == "txt2img"

    def estimate(self, request: MediaRequest) -> Cost | None:
        """The price list's price for this request (OpenAI's image answer carries no price)."""
        try:
            count, size = self._count(request.params), self._size(request.params)
        except ProviderError:
            return None
        quality = str(request.params.get("quality") or "auto")
        return self.prices.image("openai", self.model, quality, size, count)

    # ------------------------------------------------------------------ request shaping

    def _count(self, params: dict[str, Any]) -> int:
        value = params.get("num_images", params.get("n", 1))
        return _as_int(1 if value in (None, "") else value, "The number of images", self.name)

    def _size(self, params: dict[str, Any]) -> str:
        size = params.get("size")
        if size in (None, "") and params.get("aspect_ratio"):
            size = ASPECT_SIZES.get(str(params["aspect_ratio"]))
            if size is None:
                raise ProviderError(
                    f"OpenAI images cannot be made at aspect ratio {params['aspect_ratio']}: choose "
                    f"one of {', '.join(ASPECT_SIZES)}.", "unsupported", provider=self.name)
        return str(size or "1024x1024")

    def check(self, request: MediaRequest) -> None:
        if request.action != "txt2img":
            raise ProviderError(f"OpenAI images cannot do {request.action}.", "unsupported",
                                provider=self.name)
        params = request.params
        if not str(params.get("prompt") or "").strip():
            raise ProviderError("The image prompt is empty.", "bad_request", provider=self.name)
        count = self._count(params)
        if not 1 <= count <= MAX_IMAGES:
            raise ProviderError(f"OpenAI makes 1 to {MAX_IMAGES} images per request, not {count}.",
                                "bad_request", provider=self.name)
        size = self._size(params)
        if size not in SIZES:
            raise ProviderError(f"OpenAI images cannot be {size}: choose one of {', '.join(SIZES)}.",
                                "unsupported", provider=self.name)
        quality = params.get("quality")
        if quality not in (None, "") and quality not in QUALITIES:
            raise ProviderError(f"OpenAI image quality must be one of {', '.join(QUALITIES)}, "
                                f"not {quality!r}.", "bad_request", provider=self.name)
        if not request.media_dir or not request.stem:
            raise ProviderError("The job has no media folder or file name stem.", "bad_request",
                                provider=self.name)

    # ------------------------------------------------------------------ the job

    async def submit(self, request: MediaRequest) -> Submitted:
        self.check(request)
        params = request.params
        kwargs: dict[str, Any] = {
            "model": self.model,
            "prompt": str(params["prompt"]),
            "n": self._count(params),
            "size": self._size(params),
        }
        if params.get("quality"):
            kwargs["quality"] = params["quality"]
        # Never `response_format`: the gpt-image models always answer b64_json and refuse it.
        try:
            # Paid and synchronous: no automatic retry, a timed-out call may still be charged.
            response = await self.client.with_options(max_retries=0).images.generate(**kwargs)
        except SDK_ERRORS as exc:
            raise from_openai_error(exc, what="OpenAI image generation", base_url=self.base_url,
                                    secrets=self._secrets, model=self.model, paid=True) from None
        request_id = getattr(response, "_request_id", None)
        items = list(response.data or [])
        if not items or not all(item.b64_json for item in items):
            raise ProviderError("OpenAI image generation answered without image data"
                                + (f" (request id {request_id})." if request_id else "."),
                                "invalid_output", provider=self.name, request_id=request_id)
        decoded: list[bytes] = []
        for item in items:
            try:
                decoded.append(base64.b64decode(item.b64_json, validate=True))
            except (binascii.Error, ValueError):
                raise ProviderError("OpenAI image generation sent image data that is not base64.",
                                    "invalid_output", provider=self.name,
                                    request_id=request_id) from None
        usage = response.usage.model_dump() if getattr(response, "usage", None) else None
        files: list[MediaFile] = []
        for index, (item, data) in enumerate(zip(items, decoded), start=1):
            path = Path(request.media_dir) / f"{request.stem}_{index}.png"
            write_atomic(path, data)
            metadata: dict[str, Any] = {"model": self.model, "index": index, "size": kwargs["size"]}
            if getattr(item, "revised_prompt", None):
                metadata["revised_prompt"] = item.revised_prompt
            if request_id:
                metadata["request_id"] = request_id
            if usage and index == 1:
                metadata["usage"] = usage
            files.append(MediaFile(kind="image", local_path=str(path), mime="image/png",
                                   metadata=metadata))
        # The images API returns token usage, not a price; pricing differs per model and quality,
        # so no cost is claimed here rather than a guessed one.
        return Submitted(provider_job_id=f"openai-img-{uuid.uuid4()}", files=files)

    async def poll(self, provider_job_id: str, request: MediaRequest) -> JobProgress:
        return JobProgress(status=ProviderJobState.COMPLETED, progress=100.0)

    async def download(self, provider_job_id: str, request: MediaRequest) -> list[MediaFile]:
        """The files `submit()` wrote, listed again from disk (after a restart, say)."""
        pattern = re.compile(rf"^{re.escape(request.stem)}_(\d+)\.png$")
        found = []
        directory = Path(request.media_dir)
        if directory.is_dir():
            for path in directory.iterdir():
                match = pattern.match(path.name)
                if match:
                    found.append((int(match.group(1)), path))
        if not found:
            raise ProviderError(f"The images of job {provider_job_id} are not in {directory}; "
                                f"generate them again.", "failed", provider=self.name)
        return [MediaFile(kind="image", local_path=str(path), mime="image/png",
                          metadata={"model": self.model, "index": index})
                for index, path in sorted(found)]
