"""A paused `media.generate` interaction: one tab per provider with its form, the source image,
and the generations made so far, one of which the creator picks.

The screen starts generations itself (`Run.sub_action`, in a worker) but never answers the run:
it is dismissed with the creator's answer (`{"selected_content_id": ...}` or `{"skip": True}`), or
None when they leave without one, and the run screen that pushed it answers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static, TabbedContent, TabPane

from cctui.engine.errors import AnswerError
from cctui.engine.forms import form_fields
from cctui.engine.ux import is_own_file_tab, media_tabs, ux
from cctui.safe_text import clean, clean_deep
from cctui.engine.events import JobChanged
from cctui.ui.messages import RunEvent
from cctui.ui.worker_errors import WorkerErrorsToApp
from cctui.ui.widgets.generation_card import GenerationCard, card_columns
from cctui.ui.widgets.generation_item import GenerationItem, item_file_name
from cctui.ui.widgets.media_form import NARROW_SCREEN, MediaForm, dom_id
from cctui.ui.widgets.fitted_picture import FittedPicture
from cctui.ui.screens.picture_screen import VIEW_PICTURE
from cctui.ui.widgets.photo_picker import PhotoPicker

if TYPE_CHECKING:
    from cctui.engine.interaction import Interaction
    from cctui.engine.run import Run



def _attr(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


class MediaScreen(WorkerErrorsToApp, Screen[dict[str, Any] | None]):
    """Generate with any provider tab, watch the jobs, pick one result (or skip when optional)."""

    BINDINGS = [
        Binding("g", "generate", "Generate", id="media.generate",
                tooltip="Generate with the values of the tab on show"),
        # Out of the footer (still in ctrl+p): z shows the picture here, and 80 columns hold no more keys.
        Binding("v", "open_selected", "View file", show=False, id="media.open_selected",
                tooltip="Open the selected file with the system's viewer (shows its path over SSH)"),
        VIEW_PICTURE,
        Binding("enter", "use_selected", "Use it", id="media.use",
                tooltip="Continue with the selected generation (the first to finish is selected as it arrives)"),
        Binding("right_square_bracket", "switch_tab(1)", "Next tab", id="media.next_tab",
                tooltip="Show the next provider's tab"),
        Binding("left_square_bracket", "switch_tab(-1)", "Previous tab", show=False, id="media.previous_tab",
                tooltip="Show the previous provider's tab"),
        # j/k as on every list of cards; n is "New run" on the runs screen.
        Binding("j", "pick(1)", "Next result", id="media.next_item",
                tooltip="Select the next finished generation"),
        Binding("k", "pick(-1)", "Previous result", show=False, id="media.previous_item",
                tooltip="Select the previous finished generation"),
        Binding("s", "skip", "Skip", id="media.skip",
                tooltip="Continue without a generation from this step (only where the step is optional)"),
        Binding("escape", "back", "Back", id="media.back",
                tooltip="Back to the run screen; generations go on in the background"),
        Binding("tab", "app.focus_next", "Next", show=False, id="media.focus_next",
                tooltip="Move to the next field, button or generation"),
        Binding("shift+tab", "app.focus_previous", "Previous", show=False, id="media.focus_previous",
                tooltip="Move to the previous field, button or generation"),
    ]

    DEFAULT_CSS = """
    MediaScreen #media-body { height: 1fr; scrollbar-gutter: stable; }
    MediaScreen #media-tabs { height: auto; }
    MediaScreen #media-tabs TabPane { padding: 0; height: auto; }
    MediaScreen .media-section {
        height: 1;
        margin: 1 1 0 1;
        color: $text-muted;
        text-style: bold;
    }
    MediaScreen #media-preview { height: auto; padding: 0 1; }
    MediaScreen #media-source { width: 30%; margin-right: 1; }
    MediaScreen #media-results { width: 1fr; height: auto; }
    MediaScreen #media-empty { color: $text-muted; height: auto; padding: 1 0; }
    MediaScreen #media-generations {
        layout: grid;
        grid-size: 2;
        grid-rows: auto;
        grid-gutter: 0 1;
        height: auto;
    }
    MediaScreen.-narrow #media-source { width: 24; }
    MediaScreen #media-answer {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    MediaScreen #media-answer > Button { margin-right: 2; }
    MediaScreen #media-selection { width: 1fr; color: $text-muted; }
    """

    def __init__(self, run: "Run", interaction: "Interaction", *, name: str | None = None,
                 id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.run = run
        self.interaction = interaction
        # Cleaned again (it is cheap and idempotent) for a screen not opened through RunScreen.
        self.display_data: dict[str, Any] = clean_deep(interaction.display or {})
        self.selected_id: str | None = None
        self._cards: dict[str, GenerationCard] = {}
        self._unseen: set[str] = set()  # cards added since the screen opened, not yet scrolled to
        self._showing = asyncio.Lock()
        self._generations: list[dict[str, Any]] = list(self.display_data.get("generations") or [])
        schema = self.display_data.get("schema") or {}
        all_tabs = media_tabs(schema)
        keys = self.display_data.get("tabs") or list(all_tabs)
        self.tabs: dict[str, dict[str, Any]] = {k: all_tabs[k] for k in keys if k in all_tabs}
        self.title = self.display_data.get("title") or "Generate"
        self.sub_title = clean(getattr(interaction, "step_title", "") or "")

    # ------------------------------------------------------------------ facts

    @property
    def sub_action(self) -> Any:
        subs = list(self.display_data.get("sub_actions") or []) or list(getattr(self.interaction, "sub_actions", []))
        return next((s for s in subs if _attr(s, "id") == "generate"), subs[0] if subs else None)

    @property
    def sub_action_id(self) -> str:
        return _attr(self.sub_action, "id") or "generate"

    @property
    def source_image(self) -> dict[str, Any] | None:
        source = self.display_data.get("source_image")
        return source if isinstance(source, dict) and source.get("local_path") else None

    def tab_label(self, tab: str | None) -> str:
        schema = self.tabs.get(tab or "")
        return (ux(schema).get("tab_label") if schema else None) or tab or "?"

    def value_labels(self, tab: str | None) -> dict[str, dict[str, str]]:
        """What the tab's selects call their values ({param: {value: label}}), so a card says
        "Rachel: calm, warm, young woman" where the request holds a voice id."""
        labels: dict[str, dict[str, str]] = {}
        for f in form_fields(self.tabs.get(tab or "") or {}):
            named = f.schema.get("enum_labels") or f.hints.get("enum_labels")
            if isinstance(named, dict):
                labels[f.destination] = {str(k): str(v) for k, v in named.items()}
        return labels

    def form_for(self, tab: str) -> MediaForm:
        return self.query_one("#" + dom_id("media-form", tab), MediaForm)

    @property
    def current_tab(self) -> str | None:
        active = self.query_one("#media-tabs", TabbedContent).active
        return next((key for key in self.tabs if dom_id("media-tab", key) == active), None)

    def _media_client(self, tab: str) -> Any:
        """The provider client behind a tab (for its price estimate), or None if not configured."""
        action = _attr(self.sub_action, "action_type")
        provider = ux(self.tabs[tab]).get("provider") or tab
        return self.run.media_client(provider, action) if action else None

    def _can_look(self, generation: dict[str, Any]) -> bool:
        return self.run.can_look_for(generation.get("provider"), generation.get("action"))

    @property
    def generations(self) -> list[dict[str, Any]]:
        return list(self._generations)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with VerticalScroll(id="media-body"):
            data = self.display_data.get("data") or {}
            # Open on the first tab that can generate (a Midjourney tab first in the workflow only
            # shows its prompt).
            usable = next((k for k, schema in self.tabs.items() if not ux(schema).get("unavailable")), None)
            with TabbedContent(id="media-tabs", initial=dom_id("media-tab", usable) if usable else ""):
                for key, schema in self.tabs.items():
                    with TabPane(self.tab_label(key), id=dom_id("media-tab", key)):
                        if is_own_file_tab(schema):  # "Your photo": a file of the creator's, no form
                            yield PhotoPicker(key, schema, Path.cwd())
                        else:
                            yield MediaForm(key, schema, data.get(key), sub_action=self.sub_action,
                                            media=self._media_client(key))
            yield Static("Preview", classes="media-section")
            with Horizontal(id="media-preview"):
                if self.source_image:
                    yield FittedPicture(self.source_image["local_path"], "Source image", max_height=None, room=3,
                                        id="media-source")
                with Vertical(id="media-results"):
                    yield Static("Nothing generated yet: choose a tab, check the values, press Generate.",
                                 id="media-empty")
                    with Container(id="media-generations"):
                        for generation in self._generations:
                            yield self._new_card(generation)
        with Horizontal(id="media-answer"):
            yield Button("Use this one", id="media-use", variant="success", compact=True, disabled=True,
                         tooltip="Continue with the selected generation (enter)")
            if self.display_data.get("optional"):
                yield Button(f"{self.display_data.get('skip_label') or 'Skip'} (s)", id="media-skip", compact=True,
                             tooltip="Continue without choosing a generation (s)")
            yield Static("Select a generation (tab to it, or click it).", id="media-selection", markup=False)
        yield Footer()

    def _new_card(self, generation: dict[str, Any]) -> GenerationCard:
        card = GenerationCard(generation, tab_label=self.tab_label(generation.get("tab")),
                              selected_id=self.selected_id, id=dom_id("card", str(generation.get("job_id"))),
                              can_look=self._can_look(generation),
                              value_labels=self.value_labels(generation.get("tab")))
        self._cards[str(generation.get("job_id"))] = card
        return card

    def on_mount(self) -> None:
        if getattr(self.app, "demo", False):
            self.title = f"DEMO · {self.title}"
        self.set_class(self.source_image is None, "-no-source")
        self._apply_width(self.size.width)
        self._update_empty()

    def on_resize(self) -> None:
        self._apply_width(self.size.width)
        self.call_after_refresh(self._fit_columns)

    def _fit_columns(self) -> None:
        """Cards per row from the room the results have (pictures grow into the rest)."""
        results = self.query_one("#media-results")
        if results.content_size.width:
            counts = [len(g.get("items") or []) for g in self._generations]
            columns = card_columns(results.content_size.width, counts)
            self.query_one("#media-generations").styles.grid_size_columns = columns

    def on_screen_resume(self) -> None:
        # Back from a dialog the app put on top: jobs may have moved on meanwhile.
        if self.is_mounted:
            self.refresh_generations()

    def _apply_width(self, width: int) -> None:
        self.set_class(width < NARROW_SCREEN, "-narrow")
        for media_form in self.query(MediaForm):  # the hidden tabs too
            media_form.apply_columns(width)

    def _update_empty(self) -> None:
        self.query_one("#media-empty").display = not self._cards

    # ------------------------------------------------------------------ generations

    def refresh_generations(self) -> None:
        """Read the generations again and update the cards; the app calls this on job events."""
        self._load_generations()

    @work(exclusive=True, group="media-generations", exit_on_error=False)
    async def _load_generations(self) -> None:
        generations = await self.run.generations()
        # A newer read cancels this worker; cancelled in the middle of mounting a card, it would
        # leave that card registered but never updated again. So the showing is shielded from the
        # cancel, and the shows take turns.
        await asyncio.shield(self._show_in_turn(generations))

    async def _show_in_turn(self, generations: list[dict[str, Any]]) -> None:
        async with self._showing:
            await self.show_generations(generations)

    async def show_generations(self, generations: list[dict[str, Any]]) -> None:
        """Update cards in place, add new ones last."""
        generations = clean_deep(list(generations))  # prompts and providers' errors
        self._generations = generations
        container = self.query_one("#media-generations", Container)
        wanted = {str(g.get("job_id")) for g in generations}
        for job_id in [j for j in self._cards if j not in wanted]:
            await self._cards.pop(job_id).remove()
        new_cards = []
        for generation in generations:
            card = self._cards.get(str(generation.get("job_id")))
            if card is None:
                new_cards.append(self._new_card(generation))
            else:
                card.update(generation)
        if new_cards:
            self._unseen.update(card.job_id for card in new_cards)
            await container.mount_all(new_cards)
        # A generation just started shows where it is (below the fold, only the scrollbar moved).
        # Kept until done: a newer read of the generations may cancel this one after the mount.
        shown = [self._cards[j] for j in self._unseen if j in self._cards and self._cards[j].is_mounted]
        if shown:
            self._unseen.clear()
            shown[-1].reveal_when_placed()
        self._update_empty()
        self._fit_columns()
        # The first finished result is selected as it arrives, as a list's cursor starts on its first
        # line: `enter` uses it, `j`/`k` move to another. Nothing is chosen until `enter`.
        finished = self._finished_ids()
        if self.selected_id not in finished and finished:
            self.select(finished[0])
            # Enter on a still-focused Generate button would send a second paid request: the next
            # sensible key is Use. Someone typing in a field keeps their place.
            if isinstance(self.focused, Button) or self.focused is None:
                self.query_one("#media-use", Button).focus(scroll_visible=False)
        self.refresh_bindings()  # and a finished picture can now be shown full-screen

    def on_run_event(self, message: RunEvent) -> None:
        # A job of this step moved: the generations are read again (they are the jobs' rows).
        event = message.event
        if isinstance(event, JobChanged) and event.run_id == self.run.run_id \
                and event.interaction_id == self.interaction.interaction_id:
            self.refresh_generations()

    # ------------------------------------------------------------------ jobs that wait for a decision

    @on(GenerationCard.Decision)
    def _decision(self, event: GenerationCard.Decision) -> None:
        event.stop()
        self.decide(event.job_id, event.decision)

    @work(group="media-decision", exit_on_error=False)
    async def decide(self, job_id: str, decision: str) -> None:
        if decision == "resubmit":
            from cctui.ui.screens.dialogs import ConfirmScreen

            price = await self.run.resubmit_price(job_id)
            body = (f"This sends a new paid request ({price}). The provider's answer to the first one was lost: "
                    f"if it was made, you pay twice. \"Look for it\" first if you have not (it is free).")
            if not await self.app.push_screen_wait(ConfirmScreen("Resubmit this generation?", body,
                                                                 yes=f"Resubmit ({price})")):
                return
        try:
            await self.run.decide_job(self.interaction.interaction_id, job_id, decision)
        except AnswerError as exc:
            self.notify(str(exc), title="Not done", severity="error", markup=False)
            return
        if decision == "fetch":
            self.notify("Asking the provider again (no new charge).", title="Fetch again", markup=False)
        self.refresh_generations()

    # ------------------------------------------------------------------ generate

    @on(MediaForm.GenerateRequested)
    def _generate_requested(self, event: MediaForm.GenerateRequested) -> None:
        event.stop()
        self.start_generation(event.tab, event.values)

    def start_generation(self, tab: str, values: dict[str, Any]) -> None:
        form = self.form_for(tab)
        form.set_busy(True)
        self.run_worker(self._start_generation(tab, values), group=f"media-generate-{tab}",
                        exclusive=True, exit_on_error=False)

    async def _start_generation(self, tab: str, values: dict[str, Any]) -> None:
        form = self.form_for(tab)
        try:
            await self.run.sub_action(self.interaction.interaction_id, self.sub_action_id, tab, values)
        except AnswerError as exc:
            form.show_error(str(exc))
            self.notify(str(exc), title=f"{self.tab_label(tab)}: not started", severity="error", markup=False)
            return
        finally:
            form.set_busy(False)
        self.refresh_generations()

    def action_generate(self) -> None:
        tab = self.current_tab
        if tab is not None and is_own_file_tab(self.tabs[tab]):
            self.query_one("#" + dom_id("photo-picker", tab), PhotoPicker).submit()
        elif tab is not None:
            self.form_for(tab).request_generate()

    # ------------------------------------------------------------------ the creator's own file

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        # A photo tab waits for a path: typing it should not first need a tab to its line.
        pickers = event.pane.query(PhotoPicker)
        if pickers:
            pickers.first().shown()

    @on(PhotoPicker.Chosen)
    def _own_file_chosen(self, event: PhotoPicker.Chosen) -> None:
        event.stop()
        self.add_own_file(event.picker, event.path)

    @work(group="media-own-file", exit_on_error=False)
    async def add_own_file(self, picker: PhotoPicker, path: str) -> None:
        """Checked and copied in by the engine, it is a finished generation: shown, selected, and
        Use has the focus (enter goes on with it)."""
        try:
            job_id = await self.run.own_file(self.interaction.interaction_id, picker.tab_key, path)
        except AnswerError as exc:
            picker.show_error(str(exc))
            return
        finally:
            picker.busy = False
        picker.taken()
        await self._show_in_turn(await self.run.generations())
        card = self._cards.get(job_id)
        if card is not None and card.generation.get("items"):
            self.select(str(card.generation["items"][0]["content_id"]))
            self.query_one("#media-use", Button).focus()


    # ------------------------------------------------------------------ choosing

    @on(GenerationItem.Selected)
    def _item_selected(self, event: GenerationItem.Selected) -> None:
        event.stop()
        self.select(event.content_id)

    def select(self, content_id: str | None) -> None:
        self.selected_id = content_id
        for card in self._cards.values():
            card.set_selected(content_id)
        item = self.selected_item
        self.query_one("#media-use", Button).disabled = item is None
        label = self.query_one("#media-selection", Static)
        if item is None:
            label.update("Select a generation (tab to it, or click it).")
        else:
            label.update(f"Selected: {item_file_name(item)}  (enter or Use this one to continue)")
        self.refresh_bindings()  # z shows the selected picture

    @property
    def selected_item(self) -> dict[str, Any] | None:
        for generation in self._generations:
            for item in generation.get("items") or []:
                if item.get("content_id") == self.selected_id:
                    return item
        return None

    def action_switch_tab(self, delta: int) -> None:
        keys = list(self.tabs)
        current = self.current_tab
        if not keys or current is None:
            return
        target = keys[(keys.index(current) + delta) % len(keys)]
        self.query_one("#media-tabs", TabbedContent).active = dom_id("media-tab", target)

    def _finished_ids(self) -> list[str]:
        """Every finished item's content id, in creation order."""
        return [str(item["content_id"]) for generation in self._generations
                for item in generation.get("items") or [] if item.get("content_id")]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The footer lists only what works now.
        if action == "use_selected":
            return self.selected_item is not None
        if action == "open_selected":
            return bool((self.selected_item or {}).get("local_path"))
        if action == "pick":
            return len(self._finished_ids()) > 1
        if action == "switch_tab":
            return len(self.tabs) > 1
        if action == "view_picture":
            return self.picture_on_show() is not None
        if action == "skip":
            return bool(self.display_data.get("optional"))
        return True

    def action_skip(self) -> None:
        if self.display_data.get("optional"):
            self.dismiss({"skip": True})

    def action_pick(self, delta: int) -> None:
        """Keyboard selection over every finished item, in creation order."""
        ids = self._finished_ids()
        if not ids:
            self.notify("Nothing finished to choose yet.", severity="warning")
            return
        if self.selected_id in ids:
            index = (ids.index(self.selected_id) + delta) % len(ids)
        else:
            index = 0 if delta > 0 else len(ids) - 1
        self.select(ids[index])
        # Picked by key, it is shown: its picture is what the creator judges.
        shown = next((i for c in self._cards.values() if (i := c.item_for(ids[index]))), None)
        if shown is not None:
            shown.scroll_visible(animate=False)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_use_selected(self) -> None:
        if self.selected_item is None:
            self.notify("Select a generation first: tab to one or click it.", severity="warning")
            return
        self.dismiss({"selected_content_id": self.selected_id})

    def picture_on_show(self) -> FittedPicture | None:
        """What z shows: the focused generation's picture, else the selected one's, else the
        source image."""
        focused = self.focused if isinstance(self.focused, GenerationItem) else None
        chosen = focused or next((i for c in self._cards.values()
                                  if self.selected_id and (i := c.item_for(self.selected_id))), None)
        if chosen is not None and chosen.picture is not None:
            return chosen.picture
        source = next(iter(self.query("#media-source").results(FittedPicture)), None)
        return source if source is not None and source.can_show else None

    def action_view_picture(self) -> None:
        picture = self.picture_on_show()
        if picture is not None:
            picture.show_full_screen()

    def action_open_selected(self) -> None:
        item = self.selected_item
        if item is None or not item.get("local_path"):
            self.notify("Select a generation to open first.", severity="warning")
            return
        card = next((c for c in self._cards.values() if c.item_for(str(item["content_id"]))), None)
        if card is not None:
            card.open_path(item["local_path"])

    @on(Button.Pressed, "#media-use")
    def _use_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_use_selected()

    @on(Button.Pressed, "#media-skip")
    def _skip_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_skip()


__all__ = ["MediaScreen"]
