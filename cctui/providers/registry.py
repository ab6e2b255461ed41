"""Which client serves which (provider, action), built lazily from Settings, plus a key check
for `cctui doctor`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..costs.prices import Prices
from ..settings import Settings
from .base import LLMProvider, MediaProvider, ProviderError
from .elevenlabs import ElevenLabsMusic
from .elevenlabs_speech import ElevenLabsSpeech
from .comfyui import ComfyUIClient
from .fal import FalClient
from .fal_finder import platform_base
from .fal_models import DEFAULT_MODEL as FAL_CHECK_MODEL
from .http_errors import redact
from .leonardo import LeonardoClient
from .openai_images import OpenAIImages
from .openai_llm import OpenAILLM
from .openai_speech import OpenAISpeech
from .sora import SoraClient
from .tls import ssl_context

# configured: the key was accepted; missing: no key set (nothing was sent); rejected: 401/403;
# not found: 404, a wrong base URL or a retired API; unreachable: no answer at all (connection
# refused, DNS, timeout); error: any other answer (5xx, 429, a body that is not JSON, ...).
KeyState = Literal["configured", "missing", "rejected", "not found", "unreachable", "error"]
CHECK_TIMEOUT = 15.0


@dataclass(frozen=True)
class KeyCheck:
    """What `cctui doctor` found for one provider: the state, the base URL it asked (already
    without credentials, fit to print), the HTTP status if one came back, and a short detail
    (the exception type, or what was wrong with the answer)."""

    state: KeyState
    base_url: str
    status: int | None = None
    detail: str = ""


def display_url(url: str, secrets: list[str] | None = None) -> str:
    """`url` fit to print: no `user:password@`, no query or fragment (either may carry a
    credential), and no configured key anywhere in what is left."""
    try:
        parts = urlsplit(str(url).strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(a base URL that cannot be read)"
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port is not None else "")
    return redact(urlunsplit((parts.scheme, netloc, parts.path, "", "")), secrets or [])

# (provider, action) -> client name in Providers._factories
MEDIA_ROUTES: dict[tuple[str, str], str] = {
    ("openai", "txt2img"): "openai_images",
    ("leonardo", "txt2img"): "leonardo",
    ("leonardo", "img2vid"): "leonardo",
    ("openai", "img2vid"): "sora",
    ("sora", "img2vid"): "sora",
    ("elevenlabs", "txt2music"): "elevenlabs",
    ("elevenlabs", "txt2speech"): "elevenlabs_speech",
    ("openai", "txt2speech"): "openai_speech",
    ("fal", "img2vid"): "fal",
    ("comfyui", "img2vid"): "comfyui",
    ("comfyui", "txt2img"): "comfyui",
}


def _has(secret) -> bool:
    return secret is not None and bool(secret.get_secret_value())


class Providers:
    """The provider clients for one settings object. Clients are made on first use and shared;
    `aclose()` closes them all."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # One price list for every client and for the engine's ledger (read once, here).
        self.prices = Prices.load(settings.data_dir)
        self._clients: dict[str, Any] = {}
        self._factories: dict[str, Callable[[], Any]] = {
            "openai_llm": lambda: OpenAILLM(settings),
            "openai_images": lambda: OpenAIImages(settings, prices=self.prices),
            "leonardo": lambda: LeonardoClient(settings),
            "sora": lambda: SoraClient(settings, prices=self.prices),
            "elevenlabs": lambda: ElevenLabsMusic(settings, prices=self.prices),
            "elevenlabs_speech": lambda: ElevenLabsSpeech(settings, prices=self.prices),
            "openai_speech": lambda: OpenAISpeech(settings, prices=self.prices),
            "fal": lambda: FalClient(settings, prices=self.prices),
            "comfyui": lambda: ComfyUIClient(settings),
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

    async def comfyui_report(self) -> list[dict[str, Any]]:
        """Each configured ComfyUI host's GPU and free VRAM (`/system_stats`), for `cctui doctor`."""
        if not self.settings.comfyui_hosts():
            return []
        return await self._client("comfyui").host_report()

    def setup_needed(self, provider_name: str, action: str) -> str | None:
        """How to configure `provider_name` when it is not, for a form to show instead of a
        Generate that can only fail; None when it is configured (or is no provider cctui has)."""
        if (provider_name, action) not in MEDIA_ROUTES:
            return None
        try:
            client = self.media(provider_name, action)
        except ProviderError as exc:
            return str(exc) if exc.kind == "auth" else None
        needed = getattr(client, "setup_needed", None)
        return needed() if needed else None

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    # ------------------------------------------------------------------ doctor

    async def check_keys(self) -> dict[str, KeyState]:
        """Each provider's state (see `KeyState`); `check_providers` has the details."""
        return {name: check.state for name, check in (await self.check_providers()).items()}

    async def check_providers(self) -> dict[str, KeyCheck]:
        """One cheap, free, authenticated GET per provider that has a key: OpenAI's model list,
        Sora's video list (the endpoint the videos are made at, so a retired or wrong `/videos`
        shows, even where the rest of the OpenAI API answers), Leonardo's `/me`, ElevenLabs'
        `/v1/user` and fal's Platform API list of one model's requests (the queue host has no
        free authenticated GET; that list needs the key and costs nothing). A provider without a
        key is "missing" and is sent nothing."""
        s = self.settings
        secrets = s.secret_values()
        bearer = "authorization", "Bearer "
        checks = {
            "openai": (s.openai_base_url, "/models", s.openai_api_key, bearer),
            "sora": (s.sora_base_url, "/videos?limit=1", s.sora_api_key or s.openai_api_key, bearer),
            "leonardo": (s.leonardo_base_url, "/me", s.leonardo_api_key, bearer),
            "elevenlabs": (s.elevenlabs_base_url, "/v1/user", s.elevenlabs_api_key, ("xi-api-key", "")),
            "fal": (platform_base(s.fal_base_url), f"/models/requests/by-endpoint?endpoint_id={FAL_CHECK_MODEL}"
                    "&limit=1", s.fal_api_key, ("authorization", "Key ")),
        }
        names = list(checks)
        results = await asyncio.gather(*(
            self._check_http(base_url, path, key, header, secrets)
            for base_url, path, key, header in checks.values()))
        return dict(zip(names, results))

    @staticmethod
    async def _check_http(base_url: str, path: str, key, header: tuple[str, str],
                          secrets: list[str]) -> KeyCheck:
        shown = display_url(base_url, secrets)
        if not _has(key):
            return KeyCheck("missing", shown)
        name, prefix = header
        try:
            async with httpx.AsyncClient(timeout=CHECK_TIMEOUT, verify=ssl_context()) as client:
                response = await client.get(base_url.rstrip("/") + path,
                                            headers={name: prefix + key.get_secret_value()})
        except (httpx.TimeoutException, httpx.ConnectError) as exc:
            # Connection refused, a name that does not resolve, no answer in time.
            return KeyCheck("unreachable", shown, detail=type(exc).__name__)
        except httpx.HTTPError as exc:
            # It connected, but the answer broke off or could not be read as HTTP.
            return KeyCheck("error", shown, detail=type(exc).__name__)
        status = response.status_code
        if status in (401, 403):
            return KeyCheck("rejected", shown, status)
        if status == 404:
            return KeyCheck("not found", shown, status)
        if not response.is_success:
            return KeyCheck("error", shown, status)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            # 2xx, but not the API's JSON: a login page, a proxy's answer, a cut-off body.
            return KeyCheck("error", shown, status, "the answer is not the API's JSON")
        return KeyCheck("configured", shown, status)
