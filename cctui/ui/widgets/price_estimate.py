"""The estimated price of a generation, shown beside a media form's Generate button.

Only what the data allows: Sora 2 bills per second of video (the prices the Sora client uses),
Leonardo reports its credits once the job is submitted; anything else shows no line.
"""

from __future__ import annotations

from typing import Any

from cctui.providers.sora import price_per_second


def estimate_price(provider: str, action_type: str | None, values: dict[str, Any]) -> str | None:
    """One line, clearly an estimate, or None when nothing useful can be said before submit."""
    if provider == "openai" and action_type == "img2vid":
        try:
            seconds = int(float(str(values.get("duration", values.get("seconds", ""))).strip()))
        except ValueError:
            return None
        model = "sora-2-pro" if str(values.get("quality", "")).strip() == "1080p" else "sora-2"
        price = price_per_second(model)
        if price is None:
            return None
        return f"Estimated cost: ${seconds * price:.2f} ({seconds} s × ${price:.2f}/s, {model})"
    if provider == "leonardo":
        return "Estimated cost: Leonardo credits shown after submit"
    return None


__all__ = ["estimate_price"]
