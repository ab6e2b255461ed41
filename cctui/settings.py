"""Typed settings: defaults < config file (TOML in the user config dir) < environment.

Keys are SecretStr so that a settings object printed, logged or dumped never shows them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shlex
import stat
import sys
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Literal
from urllib.parse import urlsplit

from platformdirs import user_config_dir, user_data_dir

from cctui.errors import CctuiError
from cctui.redact import redact_urls, url_userinfo

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
    "comfyui_urls": ("COMFYUI_URLS", "COMFYUI_URL"),
    "comfyui_token": ("COMFYUI_TOKEN",),
    "fal_api_key": ("FAL_KEY", "FAL_API_KEY"),
    "fal_base_url": ("FAL_BASE_URL",),
}


class SettingsError(CctuiError):
    pass


BASE_URL_FIELDS = ("openai_base_url", "leonardo_base_url", "elevenlabs_base_url", "sora_base_url", "fal_base_url")
KEY_FIELDS = ("openai_api_key", "leonardo_api_key", "elevenlabs_api_key", "sora_api_key", "comfyui_token",
              "fal_api_key")
# What cctui itself puts in its data folder: only a folder holding nothing else is made private
# without asking (`--data-dir ~` must not close the home folder).
DATA_ENTRIES = {"cctui.db", "cctui.db-wal", "cctui.db-shm", "cctui.db-journal", "prices.json", "logs", "runs",
                "demo-standin"}


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _port_text(netloc: str) -> str:
    hostport = netloc.rpartition("@")[2]
    return hostport.rpartition("]")[2].partition(":")[2] if "]" in hostport else hostport.partition(":")[2]


def check_base_url(name: str, url: str) -> str:
    """`url` if it is https, or http to this machine (a local gateway or the stand-in); else a
    ValueError naming the variable. Keys travel in headers: never over plain http to another host."""
    variable = ENV_VARS[name][0]
    url = str(url).strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    scheme = parts.scheme.lower() if parts else ""
    shown = f"{scheme}://{host}" if scheme and host else "a URL without scheme or host"  # never echo user:password@
    if not (scheme == "https" and host) and not (scheme == "http" and _is_loopback(host)):
        raise ValueError(f"{variable} must use https (http is only allowed for 127.0.0.1/localhost); got {shown}")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise ValueError(f"{variable} contains a space or a control character; got {shown}")
    try:
        port = parts.port
    except ValueError:
        port = 0  # urlsplit refuses what is not a number from 0 to 65535
    if port == 0:
        raise ValueError(f"{variable} must have a port from 1 to 65535; got {shown}:{_port_text(parts.netloc)}")
    return url


_ENDS = {"\r": "a carriage return", "\n": "a line feed", "\t": "a tab", " ": "a space"}


def check_key(label: str, key: str) -> None:
    """A ValueError naming `label` for a key no provider can accept, so it shows at start, not
    after the paid steps before the first request that uses it. The key itself is never quoted."""
    for where, char in (("ends", key[-1:]), ("starts", key[:1])):
        if char.isspace() or (char and not char.isprintable()):
            what = _ENDS.get(char, f"the character U+{ord(char):04X}")
            fix = "without the line end" if char in "\r\n" else "without anything before or after it"
            raise ValueError(f"{label} {where} with {what}: copy it again {fix}")
    for i, char in enumerate(key, 1):
        if not char.isascii():
            raise ValueError(f"{label} contains a character that is not ASCII (U+{ord(char):04X}, position {i}): "
                             "keys are plain ASCII; copy it again from the provider's page")
        if char.isspace() or not char.isprintable():
            raise ValueError(f"{label} contains a space or a control character (position {i}): "
                             "a key is one unbroken line; copy it again from the provider's page")


class SecretStr:
    """A key that shows as asterisks when printed, logged or put in a repr; its value only through
    `get_secret_value()` (the name and method are pydantic's, whose SecretStr this replaces: the
    settings are read before the first paint, and pydantic is a tenth of a second to import)."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = str(value)

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')" if self._value else "SecretStr('')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __len__(self) -> int:
        return len(self._value)


class SettingsProblems(SettingsError):
    """Every field that could not be taken, as (field, message); `load_settings` names where each
    value came from."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems))


IMAGE_PROTOCOLS = ("auto", "tgp", "sixel", "halfcell", "unicode")


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{ENV_VARS.get(name, (name,))[0]}: expected text, got {type(value).__name__} "
                         f"{str(value)[:40]!r}")
    return value


def _secret(name: str, value: Any) -> SecretStr | None:
    if value is None:
        return None
    if hasattr(value, "get_secret_value"):  # ours, or pydantic's from a caller
        value = value.get_secret_value()
    check_key(ENV_VARS[name][0], _text(name, value))
    return SecretStr(value)


def _path(name: str, value: Any) -> Path:
    if not isinstance(value, (str, Path)) or not str(value):
        raise ValueError(f"{ENV_VARS.get(name, (name,))[0]}: expected a folder path, got {str(value)[:40]!r}")
    return Path(value).expanduser()


def _protocol(name: str, value: Any) -> str:
    if value not in IMAGE_PROTOCOLS:
        raise ValueError(f"{ENV_VARS[name][0]}: expected one of {', '.join(IMAGE_PROTOCOLS)}, got {str(value)[:40]!r}")
    return value


def _comfyui_urls(name: str, value: Any) -> str:
    from cctui.comfyui_hosts import parse_hosts

    parse_hosts(_text(name, value))  # a ValueError naming the entry; the text is kept as given
    return value


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name}: expected true or false, got {str(value)[:40]!r}")
    return value


@dataclass(repr=False, eq=True)
class Settings:
    """Checked as it is made (and by `model_copy`): a SettingsProblems naming every bad field."""

    data_dir: Path = field(default_factory=lambda: Path(user_data_dir(APP_NAME)))

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

    # One or more ComfyUI servers (or fronts such as SwarmUI): "URL[*N], URL[*N], ..." where N
    # is how many graphs that URL runs at once (default 1). See `cctui.comfyui_hosts`.
    comfyui_urls: str = ""
    comfyui_token: SecretStr | None = None  # sent as a Bearer token, for a ComfyUI behind a proxy

    fal_api_key: SecretStr | None = None
    fal_base_url: str = "https://queue.fal.run"

    image_protocol: Literal["auto", "tgp", "sixel", "halfcell", "unicode"] = "auto"
    demo: bool = False

    def __post_init__(self) -> None:
        problems: list[tuple[str, str]] = []
        for name in FIELD_NAMES:
            try:
                setattr(self, name, _CHECKS[name](name, getattr(self, name)))
            except ValueError as exc:
                problems.append((name, str(exc)))
        if problems:
            raise SettingsProblems(problems)

    def __repr__(self) -> str:
        # Keys are SecretStr already; a base URL may hold a gateway's password.
        shown = (f"{name}={redact_urls(value) if name in BASE_URL_FIELDS else value!r}"
                 for name, value in ((name, getattr(self, name)) for name in FIELD_NAMES))
        return f"Settings({', '.join(shown)})"

    def model_copy(self, *, update: dict[str, Any] | None = None) -> "Settings":
        """A copy with `update` applied, checked as a new one is (pydantic's name, which callers use)."""
        return replace(self, **(update or {}))

    @property
    def db_path(self) -> Path:
        return self.data_dir / "cctui.db"

    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    def ensure_data_dir(self) -> Path:
        """Create the data directory private (0700) before anything else puts a file in it:
        a parent made by a plain mkdir would be world-readable, and so would every run inside."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.make_data_dir_private()
        return self.data_dir

    def make_data_dir_private(self) -> None:
        """An existing data folder that others can read (made by hand, or by an older cctui) is
        closed to 0700, cctui's files in it to 0600; a SettingsError saying how when cctui may not."""
        path = self.data_dir
        try:
            st = path.stat()
        except FileNotFoundError:
            return  # made private when it is made
        if not stat.S_ISDIR(st.st_mode):
            raise SettingsError(f"the data folder {path} is not a folder: choose another with --data-dir "
                                "or CCTUI_DATA_DIR")
        if os.name != "posix" or not st.st_mode & 0o077:
            return
        fix = (f"run `chmod 700 {shlex.quote(str(path))}`{{}}, or choose another folder with --data-dir or "
               "CCTUI_DATA_DIR")
        opened = f"the data folder {path} can be read by other users (mode {stat.S_IMODE(st.st_mode):04o})"
        if st.st_uid != os.getuid():
            raise SettingsError(f"{opened} and belongs to another user, so cctui cannot make it private: "
                                + fix.format(" as its owner"))
        others = sorted(set(os.listdir(path)) - DATA_ENTRIES)
        if others:
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            raise SettingsError(f"{opened} and holds files cctui did not make ({shown}), so cctui leaves it as "
                                "it is: " + fix.format(" if it is yours to close"))
        try:
            os.chmod(path, 0o700)
        except OSError as exc:
            raise SettingsError(f"{opened} and cctui cannot make it private ({exc.strerror}): "
                                + fix.format(" as its owner")) from None
        _close_tree(path)

    def secret_values(self) -> list[str]:
        """Every configured key, and the user:password of every base URL, for scrubbing and for
        tests that look for leaks."""
        out = []
        for name in KEY_FIELDS:
            value = getattr(self, name)
            if value is not None and value.get_secret_value():
                out.append(value.get_secret_value())
        urls = [getattr(self, f) for f in BASE_URL_FIELDS] + [host.url for host in self.comfyui_hosts()]
        out.extend(info for info in map(url_userinfo, urls) if info)
        return out

    def comfyui_hosts(self):
        """The configured ComfyUI hosts, in the order given (already checked when these settings
        were made)."""
        from cctui.comfyui_hosts import parse_hosts

        return parse_hosts(self.comfyui_urls, token=bool(self.comfyui_token))


FIELD_NAMES = tuple(f.name for f in fields(Settings))
_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    name: _secret if name in KEY_FIELDS else (lambda n, v: check_base_url(n, _text(n, v))) if name in BASE_URL_FIELDS
    else _text for name in FIELD_NAMES}
_CHECKS.update(data_dir=_path, image_protocol=_protocol, demo=_flag, comfyui_urls=_comfyui_urls)


def _close_tree(root: Path) -> None:
    # Once the folder itself is 0700 nobody else can reach inside; this is for when it is opened again.
    for name in DATA_ENTRIES:
        top = root / name
        if top.is_symlink() or not top.exists():
            continue
        paths = [top]
        if top.is_dir():
            for folder, dirs, files in os.walk(top):
                paths += [Path(folder, entry) for entry in dirs + files]
        for path in paths:
            with contextlib.suppress(OSError):
                if not path.is_symlink():
                    os.chmod(path, 0o700 if path.is_dir() else 0o600)


def config_path() -> Path:
    return Path(os.environ.get("CCTUI_CONFIG", Path(user_config_dir(APP_NAME)) / "config.toml")).expanduser()


CONFIG_KEYS = tuple(name for name in FIELD_NAMES if name != "demo")  # --demo is a flag only
_warned: set[tuple[str, str]] = set()


def _warn_unknown(path: Path, keys: list[str]) -> None:
    """A misspelt key would otherwise be ignored without a word; said once per file and key."""
    new = [key for key in keys if (str(path), key) not in _warned]
    _warned.update((str(path), key) for key in new)
    if new:
        print(f"warning: {path}: unknown setting{'s' * (len(new) > 1)} {', '.join(map(repr, new))} ignored; "
              f"the known settings are {', '.join(CONFIG_KEYS)}", file=sys.stderr)


def _problem(name: str, message: str, from_file: dict[str, str]) -> str:
    # The checks' messages name the variable; the file's line says where a value came from.
    return message + (f" (set by {from_file[name]})" if name in from_file else "")


def load_settings(env: dict[str, str] | None = None, config_file: Path | None = None,
                  **overrides: Any) -> Settings:
    """Settings checked before anything runs: keys, base URLs, the data folder's permissions and
    the price list; every problem is a SettingsError naming the variable or the file."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    from_file: dict[str, str] = {}
    path = config_file or config_path()
    if path.is_file():
        try:
            loaded = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from None
        _warn_unknown(path, [key for key in loaded if key not in CONFIG_KEYS])
        values.update({key: value for key, value in loaded.items() if key in CONFIG_KEYS})
        from_file.update({key: f"{key} in {path}" for key in values})
    for name, names in ENV_VARS.items():
        for var in names:
            if env.get(var):
                values[name] = env[var]
                from_file.pop(name, None)
                break
    values.update({k: v for k, v in overrides.items() if v is not None})
    for name in (k for k, v in overrides.items() if v is not None):
        from_file.pop(name, None)
    try:
        settings = Settings(**values)
    except SettingsProblems as exc:
        raise SettingsError("; ".join(_problem(name, message, from_file) for name, message in exc.problems)) from None
    settings.make_data_dir_private()
    from cctui.costs.prices import Prices  # here, not at the top: prices imports SettingsError

    Prices.load(settings.data_dir, env=env)  # a broken price list stops here, before any paid call
    return settings
