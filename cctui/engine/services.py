"""What modules and runs can reach: the store, providers, the job manager, settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cctui.costs.prices import Prices
from cctui.providers.base import LLMProvider, MediaProvider

if TYPE_CHECKING:
    from cctui.jobs.manager import JobManager
    from cctui.store.db import Store


class ProviderSource(Protocol):
    def llm(self, name: str = "openai") -> LLMProvider: ...

    def media(self, provider: str, action: str) -> MediaProvider: ...


@dataclass
class Services:
    store: "Store"
    providers: ProviderSource
    jobs: "JobManager"
    runs_dir: Path
    prices: Prices = field(default_factory=Prices.load)

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id
