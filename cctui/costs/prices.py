"""The price list: a bundled JSON file, overridden key by key by the user's own copy.

Prices change more often than code, so they are data. An estimate is only made where the list
has an entry for exactly that model and option; otherwise there is no estimate (never a guess).
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

from cctui.costs.cost import Cost
from cctui.settings import SettingsError

BUNDLED = Path(__file__).with_name("prices.json")
ENV_FILE = "CCTUI_PRICES_FILE"


class PricesError(SettingsError, ValueError):
    """A SettingsError: the price list is checked with the settings, before anything is paid."""


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PricesError(f"{path}: price file not found") from None
    except json.JSONDecodeError as exc:
        raise PricesError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise PricesError(f"{path}: at $: the price file must be a JSON object")
    for section in ("llm", "image", "video", "music", "speech"):
        if section in data and not isinstance(data[section], dict):
            raise PricesError(f"{path}: at $.{section}: must be an object")
        _check_amounts(path, data.get(section, {}), f"$.{section}")
    return data


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f"{where}[{json.dumps(key)}]"


def _check_amounts(path: Path, node: dict, where: str) -> None:
    """Every amount a non-negative finite number: a wrong one would otherwise show only after the
    call it prices was paid for (or as a negative cost). Keys starting with _ are notes."""
    for key, value in node.items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict):
            _check_amounts(path, value, _at(where, key))
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            shown = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
            raise PricesError(f"{path}: at {_at(where, key)}: a price must be a number of 0 or more, not {shown}")


class Prices:
    def __init__(self, data: dict[str, Any], sources: list[str]):
        self.data = data
        self.sources = sources

    @classmethod
    def load(cls, data_dir: Path | None = None, env: dict[str, str] | None = None) -> "Prices":
        data, sources = _read(BUNDLED), [str(BUNDLED)]
        user = (os.environ if env is None else env).get(ENV_FILE)
        candidates = [Path(user).expanduser()] if user else ([Path(data_dir) / "prices.json"] if data_dir else [])
        for path in candidates:
            if user or path.is_file():
                data = _merge(data, _read(path))
                sources.append(str(path))
        return cls(data, sources)

    def _entry(self, section: str, key: str) -> dict[str, Any] | None:
        entry = self.data.get(section, {}).get(key)
        return entry if isinstance(entry, dict) else None

    def llm(self, model: str | None, input_tokens: int, output_tokens: int) -> Cost | None:
        if not model:
            return None
        entry = self._entry("llm", model)
        if entry is None:
            # Dated snapshots ("gpt-4.1-mini-2025-04-14") bill as their family.
            family = max((k for k in self.data.get("llm", {}) if not k.startswith("_") and model.startswith(k + "-")),
                         key=len, default=None)
            entry = self._entry("llm", family) if family else None
        if entry is None:
            return None
        amount = (input_tokens * float(entry["input"]) + output_tokens * float(entry["output"])) / 1_000_000
        return Cost(round(amount, 6), "usd", input_tokens + output_tokens, "tokens", None, model, "prices")

    def image(self, provider: str, model: str | None, quality: str | None, size: str | None,
              count: int) -> Cost | None:
        entry = self._entry("image", f"{provider}/{model}")
        if entry is None:
            return None
        by_size = entry.get(str(quality or "auto")) or {}
        price = by_size.get(str(size or "1024x1024"))
        if price is None:
            return None
        return Cost(round(float(price) * count, 6), "usd", count, "image", float(price), model, "prices")

    def video(self, provider: str, model: str | None, seconds: float) -> Cost | None:
        entry = self._entry("video", f"{provider}/{model}")
        if entry is None or "per_second" not in entry:
            return None
        price = float(entry["per_second"])
        return Cost(round(price * seconds, 6), "usd", seconds, "second", price, model, "prices")

    def per_second(self, provider: str, model: str | None) -> float | None:
        entry = self._entry("video", f"{provider}/{model}")
        return float(entry["per_second"]) if entry and "per_second" in entry else None

    def music(self, provider: str, model: str | None, seconds: float) -> Cost | None:
        entry = self._entry("music", f"{provider}/{model}")
        if entry is None or "per_minute" not in entry:
            return None
        price = float(entry["per_minute"])
        return Cost(round(price * seconds / 60, 6), "usd", seconds, "second", round(price / 60, 6), model, "prices")

    def speech(self, provider: str, model: str | None, *, characters: int = 0,
               seconds: float | None = None) -> Cost | None:
        """Text to speech (or a transcription) at the list's price: per 1000 characters of text,
        or per minute of audio (None when the entry is per minute and no length is known)."""
        entry = self._entry("speech", f"{provider}/{model}")
        if entry is None:
            return None
        if "per_1k_characters" in entry:
            price = float(entry["per_1k_characters"]) / 1000
            return Cost(round(price * characters, 6), "usd", characters, "character", price, model, "prices")
        if "per_minute" in entry and seconds is not None:
            price = float(entry["per_minute"]) / 60
            return Cost(round(price * seconds, 6), "usd", round(seconds, 3), "second", round(price, 6), model,
                        "prices")
        return None


__all__ = ["Prices", "PricesError", "BUNDLED"]
