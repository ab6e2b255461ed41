"""One run: where it is, the current interaction, and the way forward or back.

The screen is a client of the engine's Run and nothing more: every decision goes through
`run.answer`, `run.choose`, `run.retry_failed` or `run.jump_to`, in an exclusive worker so the
screen stays responsive while an LLM thinks.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import MountError
from textual.widgets import Button, Collapsible, Footer, Header, Input, LoadingIndicator, Static, TextArea

from cctui.engine.client_files import write_client_file
from cctui.engine.errors import AnswerError, ConfirmNeeded, EngineError
from cctui.engine.interaction import Interaction
from cctui.engine.answer_preview import next_display
from cctui.engine.events import JobChanged, ModuleFinished, ModuleStarted, PartialAnswer, RenderProgress
from cctui.engine.queries import RunQueries, money_text
from cctui.records import RunStatus
from cctui.engine.run import Run
from cctui.safe_text import LINE_LIMIT, clean, clean_deep
from cctui.ui.screens.dialogs import ConfirmScreen, FeedbackScreen, OptionsScreen
from cctui.ui.screens.picture_screen import VIEW_PICTURE
from cctui.ui.messages import RunEvent
from cctui.ui.worker_errors import WorkerErrorsToApp
from cctui.ui.widgets.arriving_answer import ArrivingAnswer
from cctui.ui.widgets.assemble_pane import AssemblePane
from cctui.ui.widgets.client_write_pane import ClientWritePane
from cctui.ui.widgets.final_preview import FinalPreview
from cctui.ui.widgets.fitted_picture import FittedPicture
from cctui.ui.widgets.form_table import FormTable
from cctui.ui.widgets.media_form import MediaForm
from cctui.ui.widgets.schema_view import SchemaView
from cctui.ui.widgets.step_bar import StatusBar, StepBar

if TYPE_CHECKING:
    from cctui.ui.app import CCApp


def safe_interaction(interaction: Interaction | None) -> Interaction | None:
    """The interaction with its display data cleaned (LLM answers, prompts, generations' errors
    are in it). Long lines are cut only where the creator answers with an index (a choice among
    cards); elsewhere the values pre-fill fields and are sent back as they are shown."""
    if interaction is None:
        return None
    limit = LINE_LIMIT if interaction.kind == "select" else None
    return replace(interaction, display=clean_deep(interaction.display, limit))


class RunScreen(WorkerErrorsToApp, Screen):
    BINDINGS = [
        Binding("c", "continue", "Continue", id="run.continue", tooltip="Accept the selection and go on"),
        Binding("o", "options", "Options", id="run.options", tooltip="Regenerate with feedback, or go back"),
        Binding("i", "inspect", "State", id="run.inspect", show=False,
                tooltip="What the run holds so far: every value its steps wrote"),
        Binding("h", "history", "History", id="run.history", show=False,
                tooltip="Every question the run asked; branch from an earlier one"),
        Binding("m", "more", "More", id="run.more",
                tooltip="The step's own extra action (such as new scenes added to the list)"),
        Binding("t", "try_again", "Try again", id="run.try_again", show=False,
                tooltip="Run the failed module again"),
        Binding("b", "go_back", "Go back", id="run.go_back", show=False,
                tooltip="Go back to the previous choice"),
        Binding("g", "open_media", "Generate", id="run.open_media",
                tooltip="Open the generation screen of this step"),
        Binding("x", "cancel_render", "Cancel render", id="run.cancel_render",
                tooltip="Stop the render; nothing is written under the final name"),
        Binding("v", "open_video", "Open video", id="run.open_video", tooltip="Open the final video"),
        VIEW_PICTURE,
        # "Copy text": the CC video's title, description and hashtags, another workflow's own text.
        Binding("y", "copy_captions", "Copy text", id="run.copy_captions",
                tooltip="Copy the run's text to post (title, description and hashtags, or its summary)"),
        Binding("r", "render_again", "Render again", id="run.render_again", show=False,
                tooltip="Change the render settings and render again"),
        Binding("escape", "leave", "Runs", id="run.leave", tooltip="Back to the list of runs; this run is saved"),
    ]

    DEFAULT_CSS = """
    RunScreen #body { height: 1fr; }
    RunScreen .pane-title { text-style: bold; padding: 0 1; height: auto; }
    RunScreen .pane-hint { color: $text-muted; padding: 0 1; height: auto; }
    RunScreen #loading { height: 3; }
    RunScreen #loading.-arriving { height: 1; }
    RunScreen #loading-text { padding: 0 2; height: auto; }
    RunScreen #error-panel { border: round $error; padding: 1 2; margin: 1 2; height: auto; }
    RunScreen #error-text { color: $error; height: auto; }
    RunScreen #error-buttons { height: auto; margin-top: 1; }
    RunScreen #error-buttons Button { margin-right: 2; }
    RunScreen #text-input-area { height: 6; margin: 0 1; }
    RunScreen #previous-result { margin: 0 1; }
    RunScreen SchemaView { height: auto; }
    """

    def __init__(self, run: Run, queries: RunQueries):
        super().__init__()
        self.run = run
        self.queries = queries
        self.interaction: Interaction | None = None
        self.spent: dict[str, float] = {}
        self._spent_due = False
        self.rendering = False
        self._arriving: PartialAnswer | None = None  # the newest part of a streaming answer, not yet drawn

    def compose(self) -> ComposeResult:
        yield Header()
        yield StepBar(id="step-bar")
        yield StatusBar(id="status-bar")
        yield VerticalScroll(id="body")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = clean(self.run.workflow.name)  # from the workflow file: outside text too
        self.drive(None)

    def on_screen_resume(self) -> None:
        # Back from a media or picture screen: what was spent there (events reach the top screen only).
        if self.is_mounted and not self._spent_due:
            self._spent_due = True
            self.call_later(self.refresh_spent)

    # ------------------------------------------------------------------ engine calls

    @work(exclusive=True, group="engine", exit_on_error=False)
    async def drive(self, action: Callable[[], Awaitable[Any]] | None, loading: str | None = None) -> None:
        await self._show_loading(loading or self._next_work_label())
        while True:
            try:
                if action is None:
                    await self.run.advance()
                else:
                    await action()
            except ConfirmNeeded as exc:
                # The workflow's warning checks: the creator reads them and decides.
                iid = self.run.position.get("interaction_id")
                if iid and await self.app.push_screen_wait(ConfirmScreen("Go on anyway?", str(exc), yes="Go on")):
                    self.run.confirm_warnings(iid, [check_id for check_id, _message in exc.warnings])
                    continue
            except (AnswerError, EngineError) as exc:
                self.notify(str(exc), title="Not accepted", severity="error", markup=False)
            break
        await self.show_current()

    def worker_failed(self, worker) -> None:
        # The loading line must not stay forever: show where the run really is.
        if worker.group == "engine":
            self.run_worker(self.show_current(), group="show", exclusive=True, exit_on_error=False)

    def _next_work_label(self) -> str:
        return self.run.working_text()

    def on_run_event(self, message: RunEvent) -> None:
        event = message.event
        if event.run_id != self.run.run_id:
            return
        if isinstance(event, ModuleStarted):
            self._set_loading_text(self._next_work_label())
        elif isinstance(event, PartialAnswer):
            if self._arriving is None:
                self.draw_arriving()
            self._arriving = event
        elif isinstance(event, RenderProgress):
            if event.phase == "render":
                for pane in self.query(AssemblePane):
                    pane.set_progress(float(event.fraction or 0.0))
        elif isinstance(event, (JobChanged, ModuleFinished)) and not self._spent_due:
            # Hundreds of job updates a minute need one ledger read, not one each.
            self._spent_due = True
            self.set_timer(0.5, self.refresh_spent)

    @work(group="arriving", exit_on_error=False)
    async def draw_arriving(self) -> None:
        """Under the loading line, the streaming answer as far as it has come (the newest part
        only: parts that arrive while one is drawn are skipped)."""
        try:
            while (event := self._arriving) is not None:
                await self._draw_arriving(event)
                if self._arriving is event:
                    self._arriving = None
        finally:  # a failed drawing must not stop the next answer from being drawn
            self._arriving = None

    async def _draw_arriving(self, event: PartialAnswer) -> None:
        shown = await next_display(self.run, event) or (event.schema, event.data)
        spec = self.run.current_spec()
        loading = self.query("#loading")
        if spec is None or spec.name != event.module or not loading:
            return  # that module is done (or another runs): its question is, or will be, shown
        views = self.query(ArrivingAnswer)
        if views:
            await views.first().show(*shown)
            return
        loading.first().add_class("-arriving")
        try:
            await self.query_one("#body").mount(ArrivingAnswer(*shown, id="arriving"), after=loading.first())
        except MountError:  # the loading line went (the answer is whole): nothing to add to
            pass

    @work(exclusive=True, group="spent", exit_on_error=False)
    async def refresh_spent(self) -> None:
        """The running total of what this run has cost, from the ledger."""
        self._spent_due = False
        self.spent = await self.queries.spent(self.run.run_id)
        self._header()

    # ------------------------------------------------------------------ panes

    def _header(self) -> None:
        titles = [clean(self.run.workflow.step_title(i), LINE_LIMIT) for i in range(len(self.run.workflow.steps))]
        self.query_one(StepBar).show(titles, self.run.position["step"], self.run.status is RunStatus.COMPLETED)
        # The status fields are rendered from the run's state, so from LLM answers.
        rows = clean_deep(self.run.status_rows(), LINE_LIMIT) or [[]]
        rows[-1] = list(rows[-1]) + [("Spent", money_text(self.spent))]
        self.query_one(StatusBar).show(rows)

    async def _replace_body(self, *widgets) -> None:
        body = self.query_one("#body", VerticalScroll)
        await body.remove_children()
        await body.mount_all(widgets)
        body.scroll_home(animate=False)

    async def _show_loading(self, text: str) -> None:
        self._header()
        # The question was answered: its keys (continue, options) do nothing until the next one.
        self.interaction = None
        self.refresh_bindings()
        await self._replace_body(Static(text, id="loading-text", markup=False), LoadingIndicator(id="loading"))

    def _set_loading_text(self, text: str) -> None:
        for widget in self.query("#loading-text"):
            widget.update(text)

    async def show_current(self) -> None:
        self.spent = await self.queries.spent(self.run.run_id)
        self._header()
        self.interaction = None
        if self.run.status is RunStatus.COMPLETED:
            await self._show_done()
        elif self.run.status is RunStatus.ERROR:
            await self._show_error()
        else:
            # Everything the engine hands the screen is cleaned here, once (see cctui.safe_text).
            self.interaction = safe_interaction(await self.run.pending())
            if self.interaction is None:
                await self._show_error()
            else:
                await self._views().get(self.interaction.kind, self._show_no_view)(self.interaction)
        self.refresh_bindings()

    def _views(self) -> dict[str, Callable[[Interaction], Awaitable[None]]]:
        """A pane for each view a module's contract may name (`Interaction.kind`)."""
        return {"select": self._show_select, "text_input": self._show_text, "media": self._show_media,
                "assemble": self._show_assemble, "pause": self._show_pause, "file_input": self._show_file,
                "form": self._show_form, "client_write": self._show_client_write}

    async def _show_no_view(self, interaction: Interaction) -> None:
        # Guessing (a list to select from) could send the module an answer it cannot read.
        message = (f"Module {interaction.module_name!r} ({interaction.module_id}) asks with the view "
                   f"{interaction.kind!r}, which this version of cctui cannot show (it shows "
                   f"{', '.join(self._views())}). Update cctui, or use another module in the workflow; "
                   f"the run is saved and waits here.")
        await self._replace_body(Vertical(Static("This step cannot be shown", classes="pane-title"),
                                          Static(clean(message, LINE_LIMIT), id="error-text", markup=False),
                                          id="error-panel"))

    def _previous_result(self) -> list:
        """A step that ran with no pause (image analysis) is shown read-only on the next screen."""
        si = self.run.position["step"] - 1
        if si < 0 or si >= len(self.run.workflow.steps):
            return []
        step = self.run.workflow.steps[si]
        if self.run.step_asks(si):
            return []
        views = []
        for spec in step.modules:
            schema = spec.inputs.get("output_schema") or {}
            for key in spec.outputs_to_state.values():
                if key in self.run.state:
                    views.append(SchemaView(schema, clean_deep(self.run.state[key])))
        if not views:
            return []
        return [Collapsible(*views, title=f"{self.run.workflow.step_title(si)} (done, read only)",
                            collapsed=True, id="previous-result")]

    @staticmethod
    def _shown_options(interaction: Interaction | None) -> list:
        """The retry options the creator sees (a hidden one, or a hidden bar, is not listed)."""
        return interaction.retryable.shown() if interaction is not None and interaction.retryable else []

    def _options_hint(self, interaction: Interaction) -> str:
        if not self._shown_options(interaction):
            return ""
        keys = [f"{o.shortcut}: {o.label}" for o in self._shown_options(interaction) if o.shortcut]
        return "   o: options" + ("   " + "   ".join(keys) if keys else "")

    async def _show_select(self, interaction: Interaction) -> None:
        display = interaction.display
        multi = display.get("multi_select")
        hint = ("space: toggle  ·  c or enter: continue" if multi else "enter: choose") + self._options_hint(interaction)
        view = SchemaView(display.get("schema") or {}, display.get("data"), selectable=True, multi=multi,
                          max_selections=display.get("max_selections"), id="select-view")
        await self._replace_body(*self._previous_result(),
                                 Static(display.get("prompt", "Choose"), classes="pane-title", markup=False),
                                 Static(hint, classes="pane-hint", markup=False), view)
        view.focus()

    async def _show_text(self, interaction: Interaction) -> None:
        display = interaction.display
        if display.get("multiline"):
            field = TextArea(display.get("default") or "", id="text-input-area")
        else:
            field = Input(value=display.get("default") or "", placeholder=display.get("placeholder") or "",
                          id="text-input-line")
        hint = "enter: continue" if not display.get("multiline") else "c (outside the box) or ctrl+s: continue"
        if display.get("required"):
            hint += "  ·  required: an empty answer is refused"
        elif not str(display.get("default") or "").strip():
            hint += "  ·  optional: leave empty to skip"
        if display.get("multiline"):
            # Inside a text box `o` and the shortcuts are letters; ctrl+o works from anywhere.
            labels = [o.label for o in self._shown_options(interaction) if o.mode != "continue"]
            hint += f"   ctrl+o: {', '.join(labels)}" if labels else ""
        else:
            hint += self._options_hint(interaction)
        if display.get("rule"):
            hint += f"  ·  {display['rule']}"
        if display.get("max_length"):
            hint += f"  ·  at most {display['max_length']} characters"
        await self._replace_body(Static(display.get("prompt", ""), classes="pane-title", markup=False),
                                 Static(display.get("placeholder") or "", classes="pane-hint", markup=False),
                                 field, Static(hint, classes="pane-hint", markup=False))
        field.focus()

    async def _show_pause(self, interaction: Interaction) -> None:
        display = interaction.display
        parts = [Static(display.get("message", ""), classes="pane-title", markup=False)]
        if display.get("preview"):
            parts.append(Static(display["preview"], id="pause-preview", markup=False))
        if display.get("state"):
            parts.append(Collapsible(Static(display["state"], markup=False), title="The run's state so far",
                                     collapsed=True))
        button = Button("Continue", variant="primary", id="pause-continue")
        parts += [button, Static("enter: continue" + self._options_hint(interaction), classes="pane-hint",
                                 markup=False)]
        await self._replace_body(*parts)
        button.focus()

    async def _show_file(self, interaction: Interaction) -> None:
        display = interaction.display
        kinds = ", ".join(display.get("extensions") or []) or "any file"
        field = Input(placeholder="~/Pictures/miso.jpg (or a data: URL)", id="file-input-line")
        await self._replace_body(Static(display.get("prompt", ""), classes="pane-title", markup=False),
                                 field,
                                 Static(f"enter: use it ({kinds}; a copy goes into the run)"
                                        + self._options_hint(interaction), classes="pane-hint", markup=False))
        field.focus()

    async def _show_form(self, interaction: Interaction) -> None:
        display = interaction.display
        table = FormTable(display.get("input_schema") or {}, display.get("labels") or [], display.get("rows") or [],
                          id="form-table")
        hint = "tab, ↑ ↓: move  ·  ← →: change a choice  ·  ctrl+s: submit" + self._options_hint(interaction)
        await self._replace_body(Static(display.get("prompt", ""), classes="pane-title", markup=False),
                                 Static(hint, classes="pane-hint", markup=False), table)
        table.focus_first()

    async def _show_client_write(self, interaction: Interaction) -> None:
        display = interaction.display
        pane = ClientWritePane(display, id="client-write")
        hint = "enter: write it there  ·  edit the path to write it elsewhere" + self._options_hint(interaction)
        await self._replace_body(Static(display.get("title", "Write a file"), classes="pane-title", markup=False),
                                 Static(hint, classes="pane-hint", markup=False), pane)
        pane.focus_path()

    async def _show_media(self, interaction: Interaction) -> None:
        await self._replace_body(Static(interaction.display.get("title", "Generate"), classes="pane-title",
                                        markup=False),
                                 Static("g: open the generation screen  ·  o: options", classes="pane-hint"))
        self.action_open_media()

    def action_open_media(self) -> None:
        from cctui.ui.screens.media_screen import MediaScreen

        interaction = self.interaction
        if interaction is not None and interaction.kind == "media" and not isinstance(self.app.screen, MediaScreen):
            self.app.push_screen(MediaScreen(self.run, interaction), callback=self.media_answer)

    async def _show_error(self) -> None:
        message = clean(self.run.error or "The run stopped without an error message.", LINE_LIMIT)
        panel = Vertical(
            Static("This step could not finish", classes="pane-title"),
            Static(message, id="error-text", markup=False),
            Horizontal(Button("Try again (t)", variant="primary", id="error-retry"),
                       Button("Go back (b)", id="error-back"), id="error-buttons"),
            id="error-panel")
        await self._replace_body(panel)
        self.query_one("#error-retry").focus()

    async def _show_assemble(self, interaction: Interaction) -> None:
        display = interaction.display
        hint = "Check the settings below, then Render (enter on the button).  x: cancel a render"
        await self._replace_body(Static(display.get("title", "Assemble"), classes="pane-title", markup=False),
                                 Static(hint + self._options_hint(interaction), classes="pane-hint", markup=False),
                                 AssemblePane(display, id="assemble"))
        self.query_one(AssemblePane).form.query_one(".media-generate").focus()

    @on(MediaForm.GenerateRequested, "#assemble-form")
    def _render_requested(self, event: MediaForm.GenerateRequested) -> None:
        event.stop()
        if self.interaction is not None and self.interaction.kind == "assemble" and not self.rendering:
            self.start_render(self.interaction, event.values)

    @work(exclusive=True, group="render", exit_on_error=False)
    async def start_render(self, interaction: Interaction, values: dict[str, Any]) -> None:
        pane = self.query_one(AssemblePane)
        self.rendering = True
        pane.set_rendering(True, f"Rendering {interaction.display.get('duration', 0):g} s with ffmpeg...  x: cancel")
        self.refresh_bindings()
        try:
            await self.run.answer(interaction.interaction_id, {"values": values})
        except (AnswerError, EngineError) as exc:
            self.rendering = False
            pane.set_rendering(False)
            pane.form.show_error(str(exc))
            self.refresh_bindings()
            return
        except BaseException:  # cancelled: ffmpeg is stopped and its partial file removed
            self.rendering = False
            if pane.is_attached:
                pane.set_rendering(False, "")
                pane.form.show_error("Render cancelled; nothing was written. Change a setting or render again.")
            self.refresh_bindings()
            raise
        self.rendering = False
        self.drive(None)

    def action_cancel_render(self) -> None:
        for worker in self.workers:
            if worker.group == "render" and not worker.is_finished:
                worker.cancel()

    async def _show_done(self) -> None:
        view = await self.queries.finish_view(self.run)
        self.spent = view.spent
        preview = FinalPreview(view, can_render_again=self._render_target() is not None, id="final")
        await self._replace_body(Static(preview.headline, classes="pane-title", markup=False), preview)

    def action_copy_captions(self) -> None:
        previews = self.query(FinalPreview)
        item = previews.first().copyable if previews else None
        if item is None:
            self.notify("This run has no text to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(previews.first().captions)
        self.notify(f"{item.label} copied.", title=item.label, markup=False)

    def action_open_video(self) -> None:
        previews = self.query(FinalPreview)
        path = previews.first().video_path if previews else None
        if not path:
            self.notify("This run has no final video yet.", severity="warning")
            return
        from cctui.ui.widgets.file_opener import can_open_files

        if not can_open_files():
            self.notify(path, title="The video is here", markup=False, timeout=15)
            return
        self._open_in_thread(path)

    @work(thread=True, exclusive=True, group="open-file", exit_on_error=False)
    def _open_in_thread(self, path: str) -> None:
        from cctui.ui.widgets.file_opener import open_file

        try:
            open_file(path)
        except (OSError, RuntimeError) as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Could not open the video", severity="error")

    def picture_on_show(self) -> FittedPicture | None:
        """What z shows: the picture nearest the focus (the highlighted card's), else the first
        of the pane on show (the finished run's cover, the clip being rendered)."""
        body = self.query_one("#body")
        node = self.focused
        while node is not None and node is not body and node is not self:
            found = next((p for p in node.query(FittedPicture).results(FittedPicture) if p.can_show), None)
            if found is not None:
                return found
            node = node.parent
        return next((p for p in body.query(FittedPicture).results(FittedPicture) if p.can_show), None)

    def action_view_picture(self) -> None:
        picture = self.picture_on_show()
        if picture is not None:
            picture.show_full_screen()

    def _render_target(self) -> tuple[str, str] | None:
        return self.run.module_with_view("assemble")

    def action_render_again(self) -> None:
        target = self._render_target()
        if target is not None and self.run.status is RunStatus.COMPLETED:
            self.drive(lambda: self.run.jump_to(*target), loading="Back to the render settings...")

    # ------------------------------------------------------------------ answers

    @on(SchemaView.Submitted)
    def _submitted(self, event: SchemaView.Submitted) -> None:
        event.stop()
        # Multi-select too: enter on a card with nothing selected picks that card and goes on.
        if self.interaction and self.interaction.kind == "select":
            self._answer_selection(event.selected)

    def _answer_selection(self, selected: list[int]) -> None:
        interaction = self.interaction
        if interaction is None:
            return
        if not selected:
            self.notify("Select at least one item first (space).", severity="warning")
            return
        self.drive(lambda: self.run.answer(interaction.interaction_id, {"selected_indices": selected}))

    @on(FormTable.Submitted)
    def _form_submitted(self, event: FormTable.Submitted) -> None:
        event.stop()
        interaction = self.interaction
        if interaction is not None and interaction.kind == "form":
            self.drive(lambda: self.run.answer(interaction.interaction_id, {"form_data": event.rows}))

    @on(ClientWritePane.WriteRequested)
    def _write_requested(self, event: ClientWritePane.WriteRequested) -> None:
        event.stop()
        if self.interaction is not None and self.interaction.kind == "client_write":
            self.write_file(self.interaction, event.path)

    @work(exclusive=True, group="client-write", exit_on_error=False)
    async def write_file(self, interaction: Interaction, chosen: str) -> None:
        """The app is the seed's client here: it writes the file, then answers that it did."""
        where = f"{interaction.step_title}, {interaction.module_name}"
        try:
            path = await asyncio.to_thread(write_client_file, interaction.resolved_inputs, chosen,
                                           self.run.run_dir, where)
        except EngineError as exc:
            for pane in self.query(ClientWritePane):
                pane.show_error(clean(str(exc), LINE_LIMIT))
            return
        self.notify(str(path), title="Written", markup=False)
        self.drive(lambda: self.run.answer(interaction.interaction_id, {"file_written": True, "file_path": str(path)}))

    @on(Input.Submitted, "#file-input-line")
    def _file_submitted(self, event: Input.Submitted) -> None:
        interaction = self.interaction
        if interaction is not None:
            self.drive(lambda: self.run.answer(interaction.interaction_id, {"value": event.value}))

    @on(Input.Submitted, "#text-input-line")
    def _text_submitted(self, event: Input.Submitted) -> None:
        self._answer_text(event.value)

    def _answer_text(self, text: str) -> None:
        interaction = self.interaction
        if interaction is not None:
            self.drive(lambda: self.run.answer(interaction.interaction_id, {"text": text}))

    def action_continue(self) -> None:
        if self.interaction is None:
            return
        if self.interaction.kind == "select":
            self._answer_selection(self.query_one(SchemaView).selected)
        elif self.interaction.kind == "text_input":
            field = self.query("#text-input-area, #text-input-line").first()
            self._answer_text(field.text if isinstance(field, TextArea) else field.value)
        elif self.interaction.kind == "pause":
            interaction = self.interaction
            self.drive(lambda: self.run.answer(interaction.interaction_id, {"confirmed": True}))

    def key_ctrl_s(self) -> None:
        if self.interaction is not None and self.interaction.kind == "text_input":
            self.action_continue()

    def media_answer(self, payload: dict[str, Any] | None) -> None:
        """What the media screen was dismissed with: the creator's answer, or None (left without one)."""
        interaction = self.interaction
        if interaction is not None and payload is not None:
            self.drive(lambda: self.run.answer(interaction.interaction_id, payload))

    # ------------------------------------------------------------------ options: retry / jump

    def _finish_offers(self, action: str) -> bool:
        """Whether the finish screen has what the key works on (a poster workflow has no video)."""
        if action == "render_again":
            return self.run.module_with_view("assemble") is not None
        previews = self.query(FinalPreview)
        if not previews:
            return False
        return bool(previews.first().video_path if action == "open_video" else previews.first().copyable)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "options":
            return bool(self._shown_options(self.interaction))
        if action in ("try_again", "go_back"):
            return self.run.status is RunStatus.ERROR
        if action == "continue":
            # A single choice goes on with enter; `c` is for a selection of several.
            if self.interaction is not None and self.interaction.kind == "select":
                return bool(self.interaction.display.get("multi_select"))
            return bool(self.interaction and self.interaction.kind in ("text_input", "pause"))
        if action == "open_media":
            return bool(self.interaction and self.interaction.kind == "media")
        if action == "more":
            return bool(self._child_subs())
        if action == "cancel_render":
            return self.rendering
        if action == "history":
            return self.run.status is not RunStatus.RUNNING and not self.rendering
        if action == "view_picture":
            return self.picture_on_show() is not None
        if action in ("open_video", "copy_captions", "render_again"):
            return self.run.status is RunStatus.COMPLETED and self._finish_offers(action)
        return True

    def on_key(self, event) -> None:
        interaction = self.interaction
        if isinstance(self.focused, (Input, TextArea)):
            return
        for option in self._shown_options(interaction):
            if option.shortcut and event.key == option.shortcut:
                event.stop()
                self.take_option(option.id)
                return
        for sub in self._child_subs():
            if sub.shortcut and event.key == sub.shortcut:
                event.stop()
                self.run_child(sub.id)
                return

    def action_inspect(self) -> None:
        from cctui.ui.screens.state_screen import StateScreen

        self.app.push_screen(StateScreen(f"{self.run.workflow.name}: what the run holds", dict(self.run.state)))

    @work(group="dialogs", exit_on_error=False)
    async def action_history(self) -> None:
        from cctui.ui.screens.history_screen import HistoryScreen

        entries = await self.run.history()
        picked = await self.app.push_screen_wait(
            HistoryScreen(f"{self.run.workflow.name}: the run's history", entries, self.app.now))
        entry = next((e for e in entries if e.interaction_id == picked), None)
        if entry is None:
            return
        body = (f"The run goes back to step {entry.step_index + 1}, \"{entry.question}\", and asks it again, "
                "with the answers before it as they were then. What came after stays in the history, "
                "marked as left; generated images and videos are kept and offered again.")
        if await self.app.push_screen_wait(ConfirmScreen("Branch from this question?", body, yes="Branch")):
            self._close_media_screen()
            self.drive(lambda: self.run.branch_from(entry.interaction_id), loading="Going back...")

    def _child_subs(self) -> list:
        """The waiting question's sub-actions that run other modules (shown ones only)."""
        subs = self.interaction.sub_actions if self.interaction else []
        return [s for s in subs if s.child_modules() and not s.hidden]

    @work(group="dialogs", exit_on_error=False)
    async def action_more(self) -> None:
        subs = self._child_subs()
        if len(subs) == 1:
            self.run_child(subs[0].id)
        elif subs:
            choice = await self.app.push_screen_wait(OptionsScreen(subs))
            if choice:
                self.run_child(choice)

    @work(group="dialogs", exit_on_error=False)
    async def run_child(self, sub_id: str) -> None:
        interaction = self.interaction
        sub = next((s for s in self._child_subs() if s.id == sub_id), None)
        if interaction is None or sub is None:
            return
        feedback = None
        if sub.feedback is not None and sub.feedback.enabled:
            feedback = await self.app.push_screen_wait(FeedbackScreen(sub.feedback.prompt, sub.feedback.default_message))
            if feedback is None:
                return
        self.drive(lambda: self.run.run_child(interaction.interaction_id, sub.id, feedback), loading=sub.loading_label)

    @work(group="dialogs", exit_on_error=False)
    async def action_options(self) -> None:
        options = self._shown_options(self.interaction)
        if not options:
            return
        choice = await self.app.push_screen_wait(OptionsScreen(options))
        if choice:
            self.take_option(choice)

    @work(group="dialogs", exit_on_error=False)
    async def take_option(self, option_id: str) -> None:
        interaction = self.interaction
        if interaction is None or interaction.retryable is None:
            return
        option = interaction.retryable.option(option_id)
        if option is None:
            return
        if option.mode == "continue":
            if interaction.kind in ("select", "text_input"):
                self.action_continue()
            return
        feedback = None
        if option.mode == "retry" and option.feedback and option.feedback.enabled:
            feedback = await self.app.push_screen_wait(
                FeedbackScreen(option.feedback.prompt, option.feedback.default_message))
            if feedback is None:
                return
        if option.mode == "jump":
            lost = self.run.keys_discarded_by(option.target_step, option.target_module)
            body = ("This discards what was chosen from there on: " + ", ".join(lost) + ".\n"
                    "Generated images and videos are kept and offered again." if lost
                    else "Nothing chosen so far is lost.")
            if not await self.app.push_screen_wait(ConfirmScreen(option.label, body, yes="Go back")):
                return
        self._close_media_screen()
        label = "Regenerating with your feedback..." if option.mode == "retry" else "Going back..."
        self.drive(lambda: self.run.choose(interaction.interaction_id, option.id, feedback), loading=label)

    def _close_media_screen(self) -> None:
        from cctui.ui.screens.media_screen import MediaScreen

        if isinstance(self.app.screen, MediaScreen):
            self.app.pop_screen()

    # ------------------------------------------------------------------ errors

    @on(Button.Pressed, "#pause-continue")
    def _pause_continue(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_continue()

    @on(Button.Pressed, "#error-retry")
    def action_try_again(self) -> None:
        if self.run.status is RunStatus.ERROR:
            self.drive(self.run.retry_failed)

    @on(Button.Pressed, "#error-back")
    @work(group="dialogs", exit_on_error=False)
    async def action_go_back(self) -> None:
        target = self._previous_interactive()
        if target is None:
            self.notify("There is no earlier choice to go back to.", severity="warning")
            return
        step_id, module = target
        lost = self.run.keys_discarded_by(step_id, module)
        body = "This discards: " + (", ".join(lost) or "nothing") + "."
        if await self.app.push_screen_wait(ConfirmScreen(f"Go back to {module.replace('_', ' ')}?", body,
                                                         yes="Go back")):
            self.drive(lambda: self.run.jump_to(step_id, module), loading="Going back...")

    def _previous_interactive(self) -> tuple[str, str] | None:
        return self.run.previous_question()

    def action_leave(self) -> None:
        if self.rendering:
            self.action_cancel_render()
            return
        self.app.pop_screen()
