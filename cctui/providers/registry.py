"""Which client serves which (provider, action), built lazily from Settings, plus a key check
for `cctui doctor`."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Literal

import httpx
import openai

from ..settings import Settings
from .base import LLMProvider, MediaProvider, ProviderError
from .elevenlabs import ElevenLabsMusic
from .leonardo import LeonardoClient
from .openai_images import OpenAIImages
from .openai_llm import OpenAILLM
from .sora import SoraClient

KeyState = Literal["configured", "missing", "rejected", "unreachable"]
CHECK_TIMEOUT = 15.0

# (provider, action) -> client name in Providers._factories
MEDIA_ROUTES: dict[tuple[str, str], str] = {
    ("openai", "txt2img"): "openai_images",
    ("leonardo", "txt2img"): "leonardo",
    ("leonardo", "img2vid"): "leonardo",
    ("openai", "img2vid"): "sora",
    ("sora", "img2vid"): "sora",
    ("elevenlabs", "txt2music"): "elevenlabs",
}


def _has(secret) -> bool:
    return secret is not None and bool(secret.get_secret_value())


class Providers:
    """The provider clients for one settings object. Clients are made on first use and shared;
    `aclose()` closes them all."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._clients: dict[str, Any] = {}
        self._factories: dict[str, Callable[[], Any]] = {
            "openai_llm": lambda: OpenAILLM(settings),
            "openai_images": lambda: OpenAIImages(settings),
            "leonardo": lambda: LeonardoClient(settings),
            "sora": lambda: SoraClient(settings),
            "elevenlabs": lambda: ElevenLabsMusic(settings),
        }

    def _client(self, name: str) -> Any:
        if name not in self._clients:
            self._clients[name] = self._factories[name]()  # raises ProviderError(auth) if no key
        return self._clients[name]

    def llm(self, name: str = "openai") -> LLMProvider:
        if name != "openai":
            raise ProviderError(f"There is no LLM provider called {name!r}; use 'openai' (any "
                                f"OpenAI-compatible server, through OPENAI_BASE_URL).",
                                "unsupported", provider=name)
        return self._client("openai_llm")

    def media(self, provider_name: str, action: str) -> MediaProvider:
        route = MEDIA_ROUTES.get((provider_name, action))
        if route is None:
            offers = ", ".join(f"{p}/{a}" for p, a in MEDIA_ROUTES)
            raise ProviderError(f"No provider makes {action} as {provider_name!r} (available: "
                                f"{offers}).", "unsupported", provider=provider_name)
        return self._client(route)

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    # ------------------------------------------------------------------ doctor

    async def check_keys(self) -> dict[str, KeyState]:
        """One cheap authenticated call per provider: "configured" (the key works), "missing"
        (no key set), "rejected" (401/403) or "unreachable" (anything else went wrong)."""
        s = self.settings
        sora_key = s.sora_api_key or s.openai_api_key
        same_as_openai = (s.sora_base_url.rstrip("/") == s.openai_base_url.rstrip("/")
                          and (s.sora_api_key is None or s.sora_api_key == s.openai_api_key))
        checks = {
            "openai": self._check_openai(s.openai_base_url, s.openai_api_key),
            "leonardo": self._check_http(s.leonardo_base_url.rstrip("/") + "/me",
                                         s.leonardo_api_key, "authorization", "Bearer "),
            "elevenlabs": self._check_http(s.elevenlabs_base_url.rstrip("/") + "/v1/user",
                                           s.elevenlabs_api_key, "xi-api-key", ""),
        }
        if not same_as_openai:
            checks["sora"] = self._check_openai(s.sora_base_url, sora_key)
        names = list(checks)
        results = await asyncio.gather(*checks.values())
        states: dict[str, KeyState] = dict(zip(names, results))
        if same_as_openai:
            states["sora"] = states["openai"]
        return states

    @staticmethod
    async def _check_openai(base_url: str, key) -> KeyState:
        if not _has(key):
            return "missing"
        client = openai.AsyncOpenAI(api_key=key.get_secret_value(), base_url=base_url,
                                    timeout=CHECK_TIMEOUT, max_retries=0)
        try:
            await client.models.list()
            return "configured"
        except (openai.AuthenticationError, openai.PermissionDeniedError):
            return "rejected"
        except openai.OpenAIError:
            return "unreachable"
        finally:
            await client.close()

    @staticmethod
    async def _check_http(url: str, key, header: str, prefix: str) -> KeyState:
        if not _has(key):
            return "missing"
        try:
            async with httpx.AsyncClient(timeout=CHECK_TIMEOUT) as client:
                response = await client.get(url, headers={header: prefix + key.get_secret_value()})
        except httpx.HTTPError:
            return "unreachable"
        if response.status_code in (401, 403):
            return "rejected"
        return "configured" if response.is_success else "unreachable"
