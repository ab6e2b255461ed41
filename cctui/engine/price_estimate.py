"""The estimated price of a generation, shown beside a media form's Generate button.

The provider client prices the request exactly as it would send it (model, size, seconds), from
the price list (`cctui/costs/prices.json`, or the user's own copy); Leonardo reports its credits
once the job is submitted. Where nothing is known, no line is shown rather than a guess.
"""

from __future__ import annotations

from typing import Any

from cctui.providers.base import Cost, MediaRequest


def dollars(amount: float) -> str:
    """`$0.40`; under a cent to a tenth of one (`$0.004`), so a short voice is not shown as free."""
    return f"${amount:.3f}" if 0 < amount < 0.01 else f"${amount:.2f}"


def describe(cost: Cost) -> str:
    if cost.per == "graph" and not cost.amount:
        return "No charge: it runs on your own ComfyUI"
    money = dollars(cost.amount) if cost.unit == "usd" else f"{cost.amount:g} credits"
    model = f", {cost.model}" if cost.model else ""
    if cost.per == "second" and cost.unit_price is not None and cost.quantity is not None:
        if cost.unit_price >= 0.05:
            return f"Estimated cost: {money} ({cost.quantity:g} s × ${cost.unit_price:.2f}/s{model})"
        return f"Estimated cost: {money} ({cost.quantity:g} s{model})"
    if cost.per == "image" and cost.quantity is not None and cost.unit_price is not None:
        count = int(cost.quantity)
        noun = "image" if count == 1 else "images"
        return f"Estimated cost: {money} ({count} {noun} × ${cost.unit_price:.3f}{model})"
    return f"Estimated cost: {money}{' (' + cost.model + ')' if cost.model else ''}"


def estimate_price(provider: str, action_type: str | None, values: dict[str, Any], media: Any = None) -> str | None:
    """One line, clearly an estimate, or None when nothing useful can be said before submit.

    `media` is the provider client for (provider, action_type); its `estimate` prices the request.
    """
    if provider == "leonardo":
        return "Estimated cost: Leonardo credits shown after submit"
    estimate = getattr(media, "estimate", None)
    if estimate is None or not action_type:
        return None
    try:
        cost = estimate(MediaRequest(action=action_type, provider=provider, params=dict(values)))
    except Exception:  # an estimate is a courtesy; a form value it cannot read just hides it
        return None
    return describe(cost) if cost is not None else None


__all__ = ["estimate_price", "describe"]
