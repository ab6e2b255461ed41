"""The App: owns the engine, the theme, navigation and the command palette.

`make_app(settings)` builds it for `cctui`, for `textual run --dev` and for the snapshot tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

# Only Textual and the store before the runs screen paints: the engine imports every module, the
# provider SDKs, jsonschema and Jinja2 (most of the start-up time). See cctui.engine.deferred.
from cctui.errors import CctuiError
from cctui.engine.catalogue import Catalogue, KnownWorkflow
from cctui.engine.deferred import DeferredEngine
from cctui.engine.errors import EngineError, RunBusyError
from cctui.engine.queries import RunSummary
from cctui.safe_text import LINE_LIMIT, clean
from cctui.settings import Settings
from cctui.ui.messages import RunEvent
from cctui.ui.worker_errors import WorkerErrorsToApp
from cctui.ui.screens.runs_screen import RunsScreen
from cctui.ui import terminal_images

if TYPE_CHECKING:
    from cctui.engine.engine import Engine
    from cctui.ui.screens.run_screen import RunScreen

log = logging.getLogger(__name__)


class CCApp(WorkerErrorsToApp, App):
    CSS_PATH = Path(__file__).resolve().parent / "app.tcss"  # absolute: subclasses live elsewhere
    TITLE = "cctui"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit_anywhere", tooltip="Quit; runs and jobs are saved"),
        Binding("ctrl+o", "options", "Options", id="app.options",
                tooltip="Regenerate with feedback, or go back (from any screen of a run)"),
    ]

    def __init__(self, settings: Settings, *, providers: Any = None, workflow_dir: Path | None = None,
                 catalogue: Catalogue | None = None, now: Callable[[], float] = time.time, demo: bool = False):
        """`workflow_dir`: the workflow opened with `--workflow`, which `n` starts without asking;
        without it `n` asks which of the catalogue's workflows when it knows more than one."""
        super().__init__()
        self.settings = settings
        self.providers = providers
        self.workflow_dir = Path(workflow_dir).resolve() if workflow_dir else None
        opened = [self.workflow_dir] if self.workflow_dir else []
        self.catalogue = catalogue or Catalogue.for_settings(settings, opened=opened)
        self.now = now
        self.demo = demo or settings.demo
        self._deferred: DeferredEngine | None = None
        self._opening: asyncio.Task[DeferredEngine] | None = None
        terminal_images.chosen = settings.image_protocol  # pictures are imported with the first run screen

    # ------------------------------------------------------------------ life cycle

    async def on_mount(self) -> None:
        if self.demo:
            # On every screen (a screen's own title replaces the app's, so the media screen adds
            # it too); the runs screen says what it means.
            self.title = f"{self.TITLE} DEMO"
            self.sub_title = "offline stand-ins: nothing is real or paid"
        self._start_opening()

    def _start_opening(self) -> "asyncio.Task[DeferredEngine]":
        # The store opens in its thread while the runs screen is composed and painted; the
        # screen's first read waits for it (`store_open`), whichever of the two comes first.
        if self._opening is None:
            self._opening = asyncio.create_task(DeferredEngine.open(
                self.settings, self.providers, lambda event: self.post_message(RunEvent(event))))
            self._opening.add_done_callback(self._store_opened)
        return self._opening

    def get_default_screen(self) -> Screen:
        # The runs screen is the app's first screen, not one pushed over a blank default: one
        # screen composed and painted before the runs show. Paid jobs left by a previous session
        # are followed again when their run is opened (under its lease), never at start: another
        # process may be driving that run and following them.
        return RunsScreen()

    def _store_opened(self, task: "asyncio.Task[DeferredEngine]") -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            self._deferred = task.result()
            return
        # Nothing can be shown or saved without the store: leave with the reason, as the
        # commands do, instead of a screen that waits forever (or a traceback).
        if isinstance(error, CctuiError):
            text = error.report()
        else:
            log.error("the store did not open", exc_info=error)
            text = f"unexpected {type(error).__name__}: {error}"
        # After the screen has mounted: leaving in the middle of its mount breaks Textual's own
        # widgets (the header's title), whose traceback would follow the line.
        self.call_after_refresh(self.exit, return_code=2, message=f"error: {clean(text)}")

    async def store_open(self) -> DeferredEngine:
        """The store and its queries, once open (at once after the first time)."""
        if self._deferred is None:
            self._deferred = await asyncio.shield(self._start_opening())  # its error, if any, is the exit's
        return self._deferred

    @property
    def store_ready(self) -> bool:
        """The store is open: the runs can be read and `engine` built."""
        return self._deferred is not None

    @property
    def engine(self) -> "Engine | None":
        """The engine, built on first use (None before the store is open at mount)."""
        return self._deferred.engine() if self._deferred is not None else None

    async def import_engine(self) -> None:
        await (await self.store_open()).import_modules()

    async def on_unmount(self) -> None:
        if self._opening is not None and not self._opening.done():
            with contextlib.suppress(Exception):
                await self._opening  # a store still opening is closed, not left to a thread
        if self._deferred is not None:
            await self._deferred.close()
        if self.providers is not None and hasattr(self.providers, "aclose"):
            await self.providers.aclose()

    def on_run_event(self, message: RunEvent) -> None:
        # Only the screen on top hears it. Textual repaints the whole top screen after any message
        # a screen under it handles (it may show through), so 200 jobs' updates reaching the runs
        # list underneath cost a full repaint each: a third of the app's CPU. A screen that comes
        # back on top reads what it shows again (RunScreen.on_screen_resume).
        self.screen.post_message(RunEvent(message.event))

    def notify(self, message: str, *, title: str = "", **kwargs: Any) -> None:
        # Every toast passes here (widgets' and screens' `notify` call the app's), and many carry
        # a provider's or an exception's text.
        super().notify(clean(str(message), LINE_LIMIT), title=clean(str(title), LINE_LIMIT), **kwargs)

    # ------------------------------------------------------------------ runs

    async def run_rows(self, *, step_titles: bool = True, limit: int | None = None,
                       offset: int = 0) -> list[RunSummary]:
        """Runs newest first, `limit` from `offset`; `step_titles=False`: as the store has them,
        without loading their workflows."""
        if step_titles:
            await self.import_engine()
        return await (await self.store_open()).queries.run_summaries(step_titles=step_titles, limit=limit,
                                                                     offset=offset)

    async def known_workflows(self) -> list[KnownWorkflow]:
        # Loading checks every file of every workflow: off the event loop, so the screen stays live.
        return await asyncio.to_thread(self.catalogue.known)

    async def _workflow_to_start(self) -> Path | None:
        """The opened workflow; else the only one known; else the one the user picks (None: none)."""
        if self.workflow_dir is not None:
            return self.workflow_dir
        known = await self.known_workflows()
        if not known:
            self.notify("No workflow found: open one with `cctui --workflow DIR`, or put its folder in "
                        f"{' or '.join(str(d) for d in self.catalogue.user_dirs)}",
                        title="Cannot start a run", severity="error", markup=False)
            return None
        if len(known) == 1:
            return known[0].folder  # one that does not load says why when the run is started
        from cctui.ui.screens.dialogs import WorkflowPickerScreen

        return await self.push_screen_wait(WorkflowPickerScreen(known))

    @work(exclusive=True, group="open-run", exit_on_error=False)
    async def start_new_run(self) -> None:
        folder = await self._workflow_to_start()
        if folder is None:
            return
        await self.import_engine()
        try:
            run = await self.engine.new_run(folder)
        except Exception as exc:  # a workflow error is shown, never a traceback
            self.notify(str(exc), title="Cannot start a run", severity="error", markup=False)
            return
        from cctui.ui.screens.run_screen import RunScreen

        await self.push_screen(RunScreen(run, self.engine.queries))

    @work(exclusive=True, group="open-run", exit_on_error=False)
    async def open_run(self, run_id: str) -> None:
        await self.import_engine()
        try:
            run = await self.engine.open_run(run_id)
        except RunBusyError as exc:  # another process drives it: its jobs are not adopted here
            self.notify(str(exc), title="The run is busy", severity="warning", markup=False, timeout=15)
            return
        except EngineError as exc:
            self.notify(str(exc), title="Cannot open the run", severity="error", markup=False)
            return
        from cctui.ui.screens.run_screen import RunScreen

        await self.push_screen(RunScreen(run, self.engine.queries))

    def run_screen(self) -> "RunScreen | None":
        # Imported when the first run is opened: before, there is no run screen (and the footer
        # asks this on the runs screen before its first paint).
        module = sys.modules.get("cctui.ui.screens.run_screen")
        if module is None:
            return None
        return next((s for s in reversed(self.screen_stack) if isinstance(s, module.RunScreen)), None)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "options":
            screen = self.run_screen()
            return bool(screen and screen._shown_options(screen.interaction))
        return True

    def action_options(self) -> None:
        screen = self.run_screen()
        if screen is not None:
            screen.action_options()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("New run", "Start a new run of a workflow", self.start_new_run)
        if self.run_screen() is not None:
            yield SystemCommand("Options", "Regenerate with feedback or go back", self.action_options)
        yield from self._screen_actions(screen)

    def _screen_actions(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every key that does something on this screen, by its name (Generate, Use selected,
        Render, Open video, Copy ...), for a creator who looks for it rather than remembers it."""
        seen = {"New run", "Options", "Quit", "Keys", "Theme", "Screenshot"}
        for key, active in screen.active_bindings.items():
            binding = active.binding
            name = str(binding.description or "").strip()
            if not active.enabled or not name or name in seen or binding.action.startswith(("app.", "command_")):
                continue
            if not binding.id:
                continue  # Textual's own (a scroll view's Page Down, ctrl+c): cctui's keys have ids

            seen.add(name)
            shown_key = binding.key_display or self.get_key_display(binding)
            yield SystemCommand(name, f"{active.tooltip or binding.tooltip or name} ({shown_key})",
                                partial(self.call_later, self.run_action, binding.action, active.node))


def make_app(settings: Settings, **kwargs: Any) -> CCApp:
    return CCApp(settings, **kwargs)


def run_app(settings: Settings, demo: bool = False, image_protocol: str | None = None,
            workflow_dir: Path | None = None) -> int:
    standin = None
    if image_protocol:
        settings = settings.model_copy(update={"image_protocol": image_protocol})
    if demo:
        from cctui.demo import start_demo

        standin, settings = start_demo(settings)
    from cctui.logs import setup_logging

    setup_logging(settings)
    try:
        app = make_app(settings, demo=demo, workflow_dir=workflow_dir)
        app.run()
    finally:
        if standin is not None:
            standin.stop()
    return app.return_code or 0
