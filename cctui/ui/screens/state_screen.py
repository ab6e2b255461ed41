"""What the run holds so far, as a tree: every state key a module wrote (its raw outputs under
its name), for a creator or a workflow author checking what a step will read (the keywords a
scene prompt avoids, the scene chosen, ...). Read-only."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Tree
from textual.widgets.tree import TreeNode

from cctui.safe_text import clean
from cctui.ui.screens.dialogs import DIALOG_CSS

# A tree of a whole run can be long: each list shows this many items, then how many more.
SHOWN_ITEMS = 50
SHOWN_CHARS = 200


def _scalar(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = clean(text).replace("\n", " ")
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def _add(node: TreeNode, key: str, value: Any) -> None:
    label = Text(clean(key), style="bold")
    if isinstance(value, dict):
        label.append(f"  {{{len(value)}}}", style="dim")
        child = node.add(label)
        for k, v in value.items():
            _add(child, str(k), v)
    elif isinstance(value, list):
        label.append(f"  [{len(value)}]", style="dim")
        child = node.add(label)
        for i, v in enumerate(value[:SHOWN_ITEMS]):
            _add(child, str(i), v)
        if len(value) > SHOWN_ITEMS:
            child.add_leaf(Text(f"… {len(value) - SHOWN_ITEMS} more", style="dim"))
    else:
        label.append(": ")
        label.append(_scalar(value))
        node.add_leaf(label)


class StateScreen(ModalScreen[None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="StateScreen") + """
    StateScreen > Vertical { width: 110; height: 90%; }
    StateScreen Tree { height: 1fr; }
    """
    BINDINGS = [Binding("escape,i", "close", "Close", id="state.close", tooltip="Back to the run")]

    def __init__(self, title: str, state: dict[str, Any]):
        super().__init__()
        self.title_text = clean(title)
        self.state = state

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="dialog-title")
            tree: Tree[None] = Tree(Text(f"state ({len(self.state)} keys)"), id="state-tree")
            for key, value in self.state.items():
                _add(tree.root, str(key), value)
            tree.root.expand()
            yield tree

    def on_mount(self) -> None:
        self.query_one(Tree).focus()

    def action_close(self) -> None:
        self.dismiss(None)
