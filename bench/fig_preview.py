"""Image preview: a 1792x1024 PNG into `FittedPicture` (the widget every preview uses), from mount
to the paint that shows the image at its fitted size, half-cell protocol, 120x40, in-process with
the Textual pilot. Baseline: the same widget with the same picture at 224x128 (1/8 the side)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Vertical

from bench.paint import PaintProbe
from bench.photo import photo_like
from bench.rows import row
from bench.stats import median
from bench.worker import scratch, serve
from cctui.standin.media_factory import scene_image
from cctui.ui import terminal_images
from cctui.ui.widgets.fitted_picture import FittedPicture

SIZE = (1792, 1024)


class PreviewApp(App):
    def compose(self) -> ComposeResult:
        yield Vertical(id="holder")


async def show(app: PreviewApp, probe: PaintProbe, path: Path) -> float:
    holder = app.query_one("#holder")
    widget = FittedPicture(path, "Preview", max_height=16)

    def shown() -> bool:
        image = next(iter(widget.query(".picture-image")), None)
        fitted = widget.fitted
        return (image is not None and fitted is not None and image.size.height == fitted[1]
                and image.size.width == fitted[0] and not image._repaint_required)

    started = time.perf_counter()
    painted = probe.wait_for(shown, timeout=20)
    await holder.mount(widget)
    took = (await painted).wall - started
    await widget.remove()
    return took


async def _measure(config: dict[str, Any]) -> dict[str, Any]:
    n = int(config.get("n", 10))
    tmp = scratch("preview")
    big, small = tmp / "big.png", tmp / "small.png"
    image = photo_like(scene_image("a ginger cat on a window seat with a yellow knitted duck", SIZE, 0))
    image.save(big, "PNG")
    image.resize((SIZE[0] // 8, SIZE[1] // 8)).save(small, "PNG")
    terminal_images.chosen = "halfcell"
    app = PreviewApp()
    large, baseline = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        probe = PaintProbe(app)
        await pilot.pause()
        await show(app, probe, small)  # warm-up: first layout and CSS of the widget
        for _ in range(n):
            large.append(await show(app, probe, big))
            await pilot.pause(0.05)
            baseline.append(await show(app, probe, small))
            await pilot.pause(0.05)
    ms = 1000.0
    rows = [row("preview_ms", f"preview: {SIZE[0]}x{SIZE[1]} PNG mounted to painted (half-cell)",
                median(large) * ms, "ms", n=n, baseline=median(baseline) * ms,
                baseline_label=f"same widget, {SIZE[0] // 8}x{SIZE[1] // 8} PNG")]
    return {"figure": "preview", "rows": rows, "details": {
        "png_bytes": big.stat().st_size, "each_ms": [round(x * ms, 1) for x in large],
        "baseline_each_ms": [round(x * ms, 1) for x in baseline]}}


def measure(config: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_measure(config))


if __name__ == "__main__":
    serve(measure)
