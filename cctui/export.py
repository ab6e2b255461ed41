"""The export bundle: one folder per run with everything a creator posts or keeps.

final.mp4 and cover.jpg (the assembled video), clip.* (the raw selected clip), source_image.*,
music.* (when there is a soundtrack), captions.txt (title, description, hashtags, ready to
paste), overlays.srt, summary.md, run.json (the machine-readable state) and costs.json.

The folder is written beside its final place and swapped in, so an export that fails half-way
leaves the previous one intact; where it may go is `cctui.export_target`'s to say. Nothing secret
is in a run's state; as a second line of defence every text file is checked for the configured
keys anyway. Control characters from LLM answers or providers are made visible in the text files
(`cctui.safe_text`) and escaped in the JSON ones, so that `cat summary.md` cannot drive the terminal.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from cctui.costs.ledger import Ledger, summary
from cctui.export_target import ExportError, check_target, prepare
from cctui.media.timeline import OverlayCue, overlay_cues, to_srt
from cctui.safe_text import clean
from cctui.store.db import Store


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


# json.dumps escapes C0 controls but, with ensure_ascii=False, leaves DEL, C1 (U+009B is CSI to
# some terminals) and bidi overrides raw; they can only be inside strings, where \uXXXX is the
# same value, so the state stays exact.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _json_text(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n"
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _scrub(text: str, secrets: list[str], name: str) -> str:
    for secret in secrets:
        if len(secret) >= 4 and secret in text:
            raise ExportError(f"{name}: refusing to export a file that contains an API key")
    return text


async def export_run(store: Store, run_id: str, target: Path, *, secrets: list[str] = ()) -> dict[str, Any]:
    """Write the bundle of `run_id` into the folder `target` (replacing an earlier export of the same
    run there). Returns what was written."""
    run = await store.get_run(run_id)
    if run is None:
        raise ExportError(f"no run {run_id!r} in {store.path}")
    state = run["state"]
    # Resolved so a symlinked target is judged, swapped and cleaned where it really is.
    target = Path(target).expanduser().resolve()
    prepare(target, run_id)
    staging = target.with_name(f".{target.name}.part-{uuid.uuid4().hex[:6]}")
    try:
        staging.mkdir(mode=0o700)
    except OSError as exc:
        raise ExportError(f"cannot write in {target.parent} ({exc.strerror}). "
                          "Choose a folder you can write to") from None
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
            "captions.txt": clean(captions_text(state)),
            "overlays.srt": clean(to_srt(cues_for(state))),
            "summary.md": clean(state.get("workflow_summary_text") or _plain_summary(state)),
            "run.json": _json_text({
                "run_id": run_id, "workflow_id": run["workflow_id"], "status": run["status"],
                "created_at": run["created_at"], "updated_at": run["updated_at"], "exported_at": time.time(),
                "state": state,
                "jobs": [{k: job[k] for k in ("job_id", "step_id", "module", "provider", "action", "prompt_key",
                                              "provider_job_id", "status", "cost_amount", "cost_unit", "error")}
                         for job in jobs],
            }),
            "costs.json": _json_text(summary(rows)),
        }
        for name, text in texts.items():
            (staging / name).write_text(_scrub(text, list(secrets), name), encoding="utf-8")
            written.append(name)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:6]}")
            os.replace(target, old)
        try:
            os.replace(staging, target)
        except BaseException:
            if old is not None:
                os.replace(old, target)
            raise
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


__all__ = ["export_run", "check_target", "ExportError", "captions_text", "cues_for"]
