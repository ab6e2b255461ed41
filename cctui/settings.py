"""Typed settings: defaults < config file (TOML in the user config dir) < environment.

Keys are SecretStr so that a settings object printed, logged or dumped never shows them.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from platformdirs import user_config_dir, user_data_dir
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator

APP_NAME = "cctui"

# Each setting's environment variables, first match wins. Provider keys and base URLs use the
# providers' own conventional names so an existing shell setup just works.
ENV_VARS: dict[str, tuple[str, ...]] = {
    "data_dir": ("CCTUI_DATA_DIR",),
    "openai_api_key": ("OPENAI_API_KEY",),
    "openai_base_url": ("OPENAI_BASE_URL",),
    "llm_model": ("CCTUI_LLM_MODEL",),
    "image_model": ("CCTUI_IMAGE_MODEL",),
    "leonardo_api_key": ("LEONARDO_API_KEY",),
    "leonardo_base_url": ("LEONARDO_BASE_URL",),
    "leonardo_image_model_id": ("CCTUI_LEONARDO_MODEL_ID",),
    "elevenlabs_api_key": ("ELEVENLABS_API_KEY",),
    "elevenlabs_base_url": ("ELEVENLABS_BASE_URL",),
    "sora_base_url": ("CCTUI_SORA_BASE_URL",),
    "sora_model": ("CCTUI_SORA_MODEL",),
    "sora_api_key": ("CCTUI_SORA_API_KEY",),
    "leonardo_video_model": ("CCTUI_LEONARDO_VIDEO_MODEL",),
    "image_protocol": ("CCTUI_IMAGE_PROTOCOL",),
}


class SettingsError(Exception):
    pass


BASE_URL_FIELDS = ("openai_base_url", "leonardo_base_url", "elevenlabs_base_url", "sora_base_url")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(name: str, url: str) -> str:
    """`url` if it is https, or http to this machine (a local gateway or the stand-in); else a
    ValueError naming the variable. Keys travel in headers: never over plain http to another host."""
    variable = ENV_VARS[name][0]
    try:
        parts = urlsplit(str(url).strip())
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    scheme = parts.scheme.lower() if parts else ""
    if scheme == "https" and host:
        return url
    if scheme == "http" and _is_loopback(host):
        return url
    shown = f"{scheme}://{host}" if scheme and host else "a URL without scheme or host"  # never echo user:password@
    raise ValueError(f"{variable} must use https (http is only allowed for 127.0.0.1/localhost); got {shown}")


class Settings(BaseModel):
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir(APP_NAME)))

    openai_api_key: SecretStr | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    # A current vision-capable model with structured outputs; change it in the config file.
    llm_model: str = "gpt-4.1-mini"
    image_model: str = "gpt-image-1"

    leonardo_api_key: SecretStr | None = None
    leonardo_base_url: str = "https://cloud.leonardo.ai/api/rest/v1"
    # Leonardo Phoenix 1.0, a general-purpose model available to API accounts.
    leonardo_image_model_id: str = "de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3"
    leonardo_video_model: str = "MOTION2"

    elevenlabs_api_key: SecretStr | None = None
    elevenlabs_base_url: str = "https://api.elevenlabs.io"

    # OpenAI retired Sora 2 on 2026-09-24; other OpenAI-compatible endpoints still serve /videos.
    sora_base_url: str = "https://api.openai.com/v1"
    sora_model: str = "sora-2"
    sora_api_key: SecretStr | None = None  # falls back to openai_api_key

    image_protocol: Literal["auto", "tgp", "sixel", "halfcell", "unicode"] = "auto"
    demo: bool = False

    @field_validator(*BASE_URL_FIELDS)
    @classmethod
    def _https_only(cls, value: str, info) -> str:
        return check_base_url(info.field_name, value)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "cctui.db"

    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    def ensure_data_dir(self) -> Path:
        """Create the data directory private (0700) before anything else puts a file in it:
        a parent made by a plain mkdir would be world-readable, and so would every run inside."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.data_dir

    def secret_values(self) -> list[str]:
        """Every configured key, for scrubbing and for tests that look for leaks."""
        out = []
        for name in ("openai_api_key", "leonardo_api_key", "elevenlabs_api_key", "sora_api_key"):
            value = getattr(self, name)
            if value is not None and value.get_secret_value():
                out.append(value.get_secret_value())
        return out


def config_path() -> Path:
    return Path(os.environ.get("CCTUI_CONFIG", Path(user_config_dir(APP_NAME)) / "config.toml"))


def load_settings(env: dict[str, str] | None = None, config_file: Path | None = None,
                  **overrides: Any) -> Settings:
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = config_file or config_path()
    if path.is_file():
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    for name, names in ENV_VARS.items():
        for var in names:
            if env.get(var):
                values[name] = env[var]
                break
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"settings ({path} and environment): {problems}") from None
