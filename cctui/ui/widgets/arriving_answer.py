"""An answer still streaming in, drawn by a display schema and redrawn as more of it arrives.

The drawing is `SchemaView`'s, the one the finished answer gets (as cards of the next question,
or by the answer's own schema): what arrives fills in where it will stay. Nothing here can be
chosen yet; the view is replaced by the question once the whole answer is in and checked.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from cctui.safe_text import clean_deep
from cctui.ui.widgets.schema_view import SchemaView


class ArrivingAnswer(Vertical):
    DEFAULT_CSS = """
    /* The rest of the screen, scrolling inside itself: the loading line above stays in view,
       and the newest text (at the end) is kept in sight as it arrives. */
    ArrivingAnswer { height: 1fr; }
    ArrivingAnswer .arriving-hint { color: $text-muted; padding: 0 1; height: auto; }
    ArrivingAnswer SchemaView { height: 1fr; }
    """

    def __init__(self, schema: dict[str, Any], data: Any, *, id: str | None = None):
        super().__init__(id=id)
        self.schema = schema
        self.data = clean_deep(data)  # an LLM's text, cleaned as every answer shown is

    def compose(self) -> ComposeResult:
        yield Static("The answer so far (still arriving; it can be chosen from once it is whole):",
                     classes="arriving-hint", markup=False)
        yield SchemaView(self.schema, self.data, id="arriving-view")

    def on_mount(self) -> None:
        self._follow()

    def _follow(self) -> None:
        for view in self.query(SchemaView):
            view.call_after_refresh(view.scroll_end, animate=False)

    async def show(self, schema: dict[str, Any], data: Any) -> None:
        data = clean_deep(data)
        if data == self.data and schema == self.schema:
            return
        self.schema, self.data = schema, data
        with self.app.batch_update():
            await self.query(SchemaView).remove()
            await self.mount(SchemaView(schema, data, id="arriving-view"))
        self._follow()
