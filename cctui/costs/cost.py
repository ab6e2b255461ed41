"""What one paid request cost, as a provider states it or cctui's price list works it out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass
class Cost:
    amount: float
    unit: Literal["usd", "credits"]  # the currency
    # How it was priced, for the ledger: `quantity` of `per` ("second", "image", "tokens") at
    # `unit_price`; `source` says who said so: the provider's answer, cctui's price list, or nobody
    # (`unreported`: a charge the provider made but never stated, the amount not known).
    quantity: float | None = None
    per: str | None = None
    unit_price: float | None = None
    model: str | None = None
    source: Literal["provider", "prices", "unreported"] = "provider"
