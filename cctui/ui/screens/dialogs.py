"""Small modal dialogs: the retry/jump options menu, feedback text, confirmation, which workflow."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from cctui.engine.catalogue import KnownWorkflow
from cctui.safe_text import clean
from cctui.workflow.models import RetryOption, SubAction

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; max-width: 95%; height: auto; max-height: 90%;
    border: thick $accent; background: $surface; padding: 1 2;
}}
{name} .dialog-title {{ text-style: bold; margin-bottom: 1; }}
{name} .dialog-buttons {{ height: auto; margin-top: 1; align-horizontal: right; }}
{name} .dialog-buttons Button {{ margin-left: 2; }}
"""


class OptionsScreen(ModalScreen[str | None]):
    """The module's `retryable` options (or its sub-actions); each shortcut works here too."""

    DEFAULT_CSS = DIALOG_CSS.format(name="OptionsScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="options.cancel", tooltip="Close without choosing")]

    def __init__(self, options: list[RetryOption | SubAction]):
        super().__init__()
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("What next?", classes="dialog-title")
            # Text, not markup: "[r]" would otherwise be read as a style tag.
            yield OptionList(*[Option(Text(self._label(o)), id=o.id) for o in self.options], id="options-list")

    @staticmethod
    def _label(option: RetryOption | SubAction) -> str:
        kind = {"retry": "  (regenerate)", "jump": "  (go back)"}.get(getattr(option, "mode", ""), "")
        key = f"[{option.shortcut}] " if option.shortcut else "    "
        return clean(f"{key}{option.label}{kind}")  # the label comes from the workflow file

    def on_key(self, event) -> None:
        for option in self.options:
            if option.shortcut and event.key == option.shortcut:
                event.stop()
                self.dismiss(option.id)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FeedbackScreen(ModalScreen[str | None]):
    """Feedback for the LLM on a retry, pre-filled with the workflow's default message."""

    DEFAULT_CSS = DIALOG_CSS.format(name="FeedbackScreen") + """
    FeedbackScreen TextArea { height: 6; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="feedback.cancel", tooltip="Close without regenerating"),
        Binding("ctrl+s", "send", "Regenerate", id="feedback.send", tooltip="Regenerate with this feedback"),
    ]

    def __init__(self, prompt: str, default: str):
        super().__init__()
        self.prompt = clean(prompt)  # both from the workflow file: outside text
        self.default = clean(default)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.prompt, classes="dialog-title", markup=False)
            yield TextArea(self.default, id="feedback-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="feedback-cancel")
                yield Button("Regenerate (ctrl+s)", variant="primary", id="feedback-send")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.select_all()

    @on(Button.Pressed, "#feedback-send")
    def action_send(self) -> None:
        self.dismiss(self.query_one(TextArea).text.strip() or self.default)

    @on(Button.Pressed, "#feedback-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmScreen")
    BINDINGS = [
        Binding("escape,n", "no", "No", id="confirm.no", tooltip="Keep things as they are"),
        Binding("y", "yes", "Yes", id="confirm.yes", tooltip="Go ahead"),
    ]

    def __init__(self, title: str, body: str, yes: str = "Yes"):
        super().__init__()
        self.title_text = clean(title)  # may quote a provider's words or a workflow's labels
        self.body = clean(body)
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.body, markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("No (n)", id="confirm-no")
                yield Button(f"{self.yes} (y)", variant="warning", id="confirm-yes")

    def on_mount(self) -> None:
        self.query_one("#confirm-no").focus()

    @on(Button.Pressed, "#confirm-yes")
    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def action_no(self) -> None:
        self.dismiss(False)


class WorkflowPickerScreen(ModalScreen[Path | None]):
    """Which workflow a new run follows. One that does not load is shown with why, and disabled."""

    DEFAULT_CSS = DIALOG_CSS.format(name="WorkflowPickerScreen") + """
    WorkflowPickerScreen > Vertical { width: 100; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="workflows.cancel", tooltip="Close without starting a run")]

    def __init__(self, workflows: list[KnownWorkflow]):
        super().__init__()
        self.workflows = workflows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Start a run of which workflow?", classes="dialog-title")
            yield OptionList(*[Option(self._label(w), id=str(i), disabled=not w.loads)
                               for i, w in enumerate(self.workflows)], id="workflows-list")

    @staticmethod
    def _label(workflow: KnownWorkflow) -> Text:
        # Names, ids, folders and problems all come from files anyone could have written: Text, cleaned.
        label = Text(clean(workflow.name), style="bold")
        label.append(clean(f"  ({workflow.workflow_id})"))
        label.append(clean(f"\n  {workflow.folder}"), style="dim")
        if not workflow.loads:
            label.append(clean(f"\n  does not load: {workflow.problem}"), style="red")
        return label

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.workflows[int(event.option.id)].folder)

    def action_cancel(self) -> None:
        self.dismiss(None)
