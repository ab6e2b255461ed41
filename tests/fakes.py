"""In-process fakes of the provider interfaces, for engine tests only.

They honour the interface contract (schema-valid LLM answers, real image files, jobs that take
a few polls) and record every call so tests can check what the engine sent.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from PIL import Image


from cctui.providers.base import (Cost, ImagePart, JobProgress, LLMRequest, LLMResult, LLMUsage, MediaFile,
                                  MediaRequest, ProviderError, Submitted, TextPart)
from cctui.standin.media_factory import make_video


def sample(schema: dict[str, Any], seed: str, name: str = "value") -> Any:
    """A deterministic instance of a (strict-mode) JSON Schema; strings carry the seed."""
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][len(seed) % len(schema["enum"])]
    if kind == "object":
        return {k: sample(v, seed, k) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        count = max(schema.get("minItems", 1), min(3, schema.get("maxItems", 3)))
        return [sample(schema.get("items", {}), f"{seed}-{i}", name) for i in range(count)]
    if kind == "integer":
        return max(schema.get("minimum", 15), 1)
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    return f"{name} {seed}"


class FakeLLM:
    name = "openai"

    def __init__(self):
        self.requests: list[LLMRequest] = []
        self.bad_answers_left = 0  # answer this many times with schema-invalid JSON

    async def complete(self, request: LLMRequest) -> LLMResult:
        self.requests.append(request)
        for part in request.user:
            if isinstance(part, ImagePart) and not Path(part.path).is_file():
                raise ProviderError(f"image {part.path} missing", "bad_request")
        if self.bad_answers_left:
            self.bad_answers_left -= 1
            return LLMResult(data={"unexpected": True}, raw_text='{"unexpected": true}', model="fake")
        seed = f"{request.schema_name}#{len(self.requests)}"
        data = sample(request.output_schema, seed)
        return LLMResult(data=data, raw_text=json.dumps(data), model="fake-model", usage=LLMUsage(100, 50))

    def for_schema(self, fragment: str) -> list[LLMRequest]:
        return [r for r in self.requests if fragment in r.schema_name]


class FakeMedia:
    """txt2img and img2vid for one provider name; video jobs finish after `polls` polls."""

    _ids = itertools.count(1)

    def __init__(self, name: str, polls: int = 2):
        self.name = name
        self.polls = polls
        self.submits: list[MediaRequest] = []
        self.poll_counts: dict[str, int] = {}
        self.jobs: dict[str, MediaRequest] = {}

    def supports(self, action: str) -> bool:
        return action in ("txt2img", "img2vid", "txt2music", "txt2speech")

    def check(self, request: MediaRequest) -> None:
        if request.params.get("aspect_ratio") == "1:1":
            raise ProviderError("1:1 is not available", "unsupported")

    async def submit(self, request: MediaRequest) -> Submitted:
        self.submits.append(request)
        job_id = f"{self.name}-{next(self._ids)}"
        self.jobs[job_id] = request
        return Submitted(provider_job_id=job_id, cost=Cost(0.4, "usd"), poll_after=0.01)

    async def poll(self, provider_job_id: str, request: MediaRequest) -> JobProgress:
        n = self.poll_counts[provider_job_id] = self.poll_counts.get(provider_job_id, 0) + 1
        if n < self.polls:
            return JobProgress("running", progress=100 * n / self.polls, poll_after=0.01)
        if "FAIL" in str(request.params.get("prompt", "")):
            return JobProgress("failed", error=ProviderError("the provider failed this job", "failed"))
        return JobProgress("completed", progress=100)

    async def download(self, provider_job_id: str, request: MediaRequest) -> list[MediaFile]:
        media = Path(request.media_dir)
        media.mkdir(parents=True, exist_ok=True)
        if request.action in ("txt2music", "txt2speech"):
            import wave

            path = media / f"{request.stem}.wav"
            with wave.open(str(path), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(8000)
                out.writeframes(b"\x00\x01" * 8000)
            metadata = {}
            if request.action == "txt2speech":  # a word every 0.2 s of the one-second file
                words = str(request.params.get("text") or "").split()[:5]
                metadata = {"words": [{"text": w, "start": 0.2 * i, "end": 0.2 * i + 0.15} for i, w in enumerate(words)],
                            "timing_source": "alignment", "duration": 1.0, "text": request.params.get("text"),
                            "voice": request.params.get("voice") or "fake-voice", "model": "fake-tts",
                            "characters": len(str(request.params.get("text") or ""))}
            return [MediaFile("audio", str(path), mime="audio/wav", metadata=metadata)]
        if request.action == "txt2img":
            files = []
            for i in range(int(request.params.get("num_images", 1))):
                path = media / f"{request.stem}_{i}.png"
                Image.new("RGB", (72, 128), (200, 120 + 10 * i, 90)).save(path)
                files.append(MediaFile("image", str(path), url=f"https://fake/{provider_job_id}/{i}.png",
                                       mime="image/png", metadata={"fake_id": f"{provider_job_id}-{i}"}))
            return files
        source = Path(request.source_image.local_path)
        assert source.is_file(), "img2vid needs the source image on disk"
        video = media / f"{request.stem}.mp4"
        # A real (tiny) H.264 clip, so the summary step can assemble it with ffmpeg.
        make_video(Image.open(source).convert("RGB"), video, (144, 256), 1.0, fps=12)
        poster = media / f"{request.stem}_poster.png"
        Image.open(source).save(poster)
        return [MediaFile("video", str(video), url=f"https://fake/{provider_job_id}.mp4", mime="video/mp4"),
                MediaFile("poster", str(poster), mime="image/png")]


class FakeProviders:
    def __init__(self, polls: int = 2):
        self.llm_provider = FakeLLM()
        self.media_providers = {name: FakeMedia(name, polls) for name in ("openai", "leonardo", "elevenlabs")}

    def llm(self, name: str = "openai") -> FakeLLM:
        return self.llm_provider

    def media(self, provider: str, action: str) -> FakeMedia:
        if provider not in self.media_providers:
            raise ProviderError(f"{provider} is not configured", "auth")
        return self.media_providers[provider]

    def submits(self) -> int:
        return sum(len(m.submits) for m in self.media_providers.values())


__all__ = ["FakeProviders", "FakeLLM", "FakeMedia", "sample", "TextPart"]
