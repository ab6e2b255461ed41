"""The export bundle: one folder per run with everything a creator posts or keeps.

final.mp4 and cover.jpg (the assembled video), clip.* (the raw selected clip), source_image.*,
music.* (when there is a soundtrack), captions.txt (title, description, hashtags, ready to
paste), overlays.srt, summary.md, run.json (the machine-readable state) and costs.json.

The folder is written beside its final place and swapped in, so an export that fails half-way
leaves the previous one intact. Nothing secret is in a run's state; as a second line of defence
every text file is checked for the configured keys anyway.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from cctui.costs.ledger import Ledger, summary
from cctui.media.timeline import OverlayCue, overlay_cues, to_srt
from cctui.store.db import Store


class ExportError(Exception):
    pass


def captions_text(state: dict[str, Any]) -> str:
    """Title, description and hashtags exactly as selected, separated by blank lines."""
    title = state.get("selected_title")
    description = state.get("selected_description") or {}
    parts = []
    if isinstance(title, str) and title.strip():
        parts.append(title)
    if isinstance(description, dict):
        if description.get("text"):
            parts.append(str(description["text"]))
        tags = [str(t) for t in description.get("hashtags") or []]
        if tags:
            parts.append(" ".join(t if t.startswith("#") else f"#{t}" for t in tags))
    elif isinstance(description, str) and description.strip():
        parts.append(description)
    return "\n\n".join(parts) + "\n" if parts else ""


def cues_for(state: dict[str, Any]) -> list[OverlayCue]:
    """The cues the video was rendered with, else the selected lines timed over the duration."""
    final = state.get("final_video") or {}
    if isinstance(final, dict) and final.get("cues"):
        return [OverlayCue(int(c["index"]), str(c["text"]), float(c["start"]), float(c["end"]))
                for c in final["cues"]]
    lines = (state.get("selected_text_overlay") or {}).get("lines") or []
    duration = (state.get("duration_selection") or {}).get("video_duration")
    if not lines or not duration:
        return []
    return overlay_cues([str(line) for line in lines], float(duration))


def _copy(src: Any, folder: Path, name: str, written: list[str], missing: list[str]) -> None:
    path = Path(str(src)) if src else None
    if path is None or not path.is_file():
        missing.append(name)
        return
    dest = folder / f"{name}{path.suffix.lower()}"
    shutil.copyfile(path, dest)
    written.append(dest.name)


def _scrub(text: str, secrets: list[str], name: str) -> str:
    for secret in secrets:
        if len(secret) >= 4 and secret in text:
            raise ExportError(f"{name}: refusing to export a file that contains an API key")
    return text


async def export_run(store: Store, run_id: str, target: Path, *, secrets: list[str] = ()) -> dict[str, Any]:
    """Write the bundle of `run_id` into the folder `target` (replacing it). Returns what was written."""
    run = await store.get_run(run_id)
    if run is None:
        raise ExportError(f"no run {run_id!r} in {store.path}")
    state = run["state"]
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.part-{uuid.uuid4().hex[:6]}")
    staging.mkdir(mode=0o700)
    written: list[str] = []
    missing: list[str] = []
    try:
        final = state.get("final_video") if isinstance(state.get("final_video"), dict) else {}
        _copy(final.get("path"), staging, "final", written, missing)
        _copy(final.get("cover_path"), staging, "cover", written, missing)
        _copy((state.get("selected_video_data") or {}).get("local_path"), staging, "clip", written, missing)
        _copy((state.get("selected_image_data") or {}).get("local_path"), staging, "source_image", written, missing)
        track = state.get("selected_music_track")
        music_path = (final.get("music") or {}).get("path") or (track or {}).get("local_path")
        if music_path:
            _copy(music_path, staging, "music", written, [])
        rows = await Ledger(store).rows(run_id)
        jobs = await store.jobs_of_run(run_id)
        texts = {
            "captions.txt": captions_text(state),
            "overlays.srt": to_srt(cues_for(state)),
            "summary.md": state.get("workflow_summary_text") or _plain_summary(state),
            "run.json": json.dumps({
                "run_id": run_id, "workflow_id": run["workflow_id"], "status": run["status"],
                "created_at": run["created_at"], "updated_at": run["updated_at"], "exported_at": time.time(),
                "state": state,
                "jobs": [{k: job[k] for k in ("job_id", "step_id", "module", "provider", "action", "prompt_key",
                                              "provider_job_id", "status", "cost_amount", "cost_unit", "error")}
                         for job in jobs],
            }, indent=2, ensure_ascii=False, default=str) + "\n",
            "costs.json": json.dumps(summary(rows), indent=2, ensure_ascii=False) + "\n",
        }
        for name, text in texts.items():
            (staging / name).write_text(_scrub(text, list(secrets), name), encoding="utf-8")
            written.append(name)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:6]}")
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {"folder": str(target), "files": sorted(written), "missing": missing}


def _plain_summary(state: dict[str, Any]) -> str:
    """For a run exported before its summary step: every state key, as Markdown."""
    lines = ["# Run summary (the workflow's summary step has not run yet)", ""]
    for key in sorted(state):
        lines += [f"## {key}", "", "```json", json.dumps(state[key], indent=2, ensure_ascii=False, default=str),
                  "```", ""]
    return "\n".join(lines)


__all__ = ["export_run", "ExportError", "captions_text", "cues_for"]
