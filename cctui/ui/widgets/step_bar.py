"""Where the run is: every step with a mark, and the workflow's status fields."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StepBar(Static):
    DEFAULT_CSS = """
    StepBar { height: auto; padding: 0 1; background: $boost; }
    """

    def show(self, titles: list[str], current: int, completed: bool) -> None:
        text = Text()
        for i, title in enumerate(titles):
            if completed or i < current:
                text.append(f" {i + 1}✓", style="green")
            elif i == current:
                text.append(f" {i + 1}●", style="bold reverse")
            else:
                text.append(f" {i + 1}·", style="dim")
        if completed:
            text.append("   All steps done", style="bold green")
        elif 0 <= current < len(titles):
            text.append(f"   {titles[current]}", style="bold")
        self.update(text)


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: auto; padding: 0 1; color: $text-muted; }
    """

    def show(self, rows: list[list[tuple[str, str]]]) -> None:
        """One line per row of the workflow's status layout. A "Step" field is left out: the step
        bar above already names the step."""
        lines = []
        for fields in rows:
            line = Text()
            for label, value in fields:
                if not value or label.lower() == "step":
                    continue
                if line:
                    line.append("  ·  ", style="dim")
                line.append(f"{label}: ", style="dim")
                line.append(value)
            if line:
                lines.append(line)
        self.update(Text("\n").join(lines) if lines else Text("Nothing chosen yet", style="dim"))
