"""The engine deferred past the app's first paint.

Importing the engine imports every module, the provider SDKs (openai, httpx), jsonschema and
Jinja2: most of the app's start-up. The runs screen needs only the store and its queries, so the
app opens `DeferredEngine` first and builds the engine when a run is started or opened (its
modules imported in a thread just before, see `import_modules`). Nothing here imports them at
module level, and nothing here knows Textual.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any, Callable

from cctui.costs.prices import Prices
from cctui.engine.queries import RunQueries, load_workflow
from cctui.store.db import Store

if TYPE_CHECKING:
    from cctui.engine.engine import Engine
    from cctui.engine.events import EngineEvent

ENGINE_MODULES = ("cctui.engine.engine", "cctui.providers.registry")


class DeferredEngine:
    """The store (open) and the runs' queries now; the engine on first `engine()`."""

    def __init__(self, store: Store, settings, providers: Any, listener: Callable[["EngineEvent"], None]):
        self.store = store
        self.queries = RunQueries(store, load_workflow)
        self._settings = settings
        self._providers = providers  # a caller's (a test's): stay the caller's to close
        self._listener = listener
        self._engine: Engine | None = None

    @classmethod
    async def open(cls, settings, providers: Any, listener: Callable[["EngineEvent"], None]) -> "DeferredEngine":
        if providers is None:
            # A broken price list stops the start here, as the engine built at once used to (the
            # provider registry reads it again when the engine is built: a small file).
            Prices.load(settings.data_dir)
        return cls(await Store.open(settings.db_path), settings, providers, listener)

    @property
    def built(self) -> "Engine | None":
        return self._engine

    async def import_modules(self) -> None:
        """The engine's modules imported off the event loop (a second or more on a loaded
        machine), so that a screen stays live meanwhile; at once when they already are."""
        await asyncio.to_thread(lambda: [importlib.import_module(name) for name in ENGINE_MODULES])

    def engine(self) -> "Engine":
        """The engine on this store, built on the first call (with the settings' providers unless
        some were given: those it builds it closes)."""
        if self._engine is None:
            self._engine = self._build()
        return self._engine

    def _build(self) -> "Engine":
        from cctui.engine.engine import Engine

        owned = None
        providers = self._providers
        if providers is None:
            from cctui.providers.registry import Providers

            providers = owned = Providers(self._settings)
        try:
            engine = Engine(self.store, providers, self._settings.runs_dir())  # loads the prices: may fail
        except BaseException:
            if owned is not None:  # its clients' connections; the store stays open for close()
                asyncio.get_running_loop().create_task(owned.aclose())
            raise
        engine._owned_providers = owned
        # Engine events arrive on the event loop's thread, after their change is committed.
        engine.subscribe(self._listener)
        return engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.close()  # the store with it
        else:
            await self.store.close()


__all__ = ["DeferredEngine", "ENGINE_MODULES"]
