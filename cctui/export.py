"""The export bundle: one folder per run with everything a creator posts or keeps.

The files are the results the workflow declares with an export name (the CC workflow's final.mp4,
cover.jpg, clip.*, source_image.*, music.*, narration.* with its word-timed captions.srt and .ass,
captions.txt, overlays.srt, summary.md), and for every
workflow run.json (the machine-readable state) and costs.json.

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
from cctui.media.timeline import to_srt
from cctui.result_items import ResultItem, resolve_all
from cctui.safe_text import clean
from cctui.store.db import Store
from cctui.workflow.results import Result


def _copy(item: ResultItem, folder: Path, written: list[str], missing: list[str]) -> None:
    if not item.exists:
        if not item.optional:
            missing.append(item.missing_name)
        return
    path = Path(item.value)
    name = item.export or ""
    dest = folder / (f"{name[:-2]}{path.suffix.lower()}" if name.endswith(".*") else name)
    shutil.copyfile(path, dest)
    written.append(dest.name)


def _text_file(item: ResultItem, state: dict[str, Any]) -> str:
    if item.kind == "subtitles":
        return to_srt(item.value or [])
    if item.kind == "markdown":
        return item.value or _plain_summary(state)
    return item.value or ""


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


async def export_run(store: Store, run_id: str, target: Path, *, results: list[Result],
                     secrets: list[str] = ()) -> dict[str, Any]:
    """Write the bundle of `run_id` into the folder `target` (replacing an earlier export of the same
    run there): each declared result with an export name, run.json and costs.json. Returns what was
    written."""
    run = await store.get_run(run_id)
    if run is None:
        raise ExportError(f"no run {run_id!r} in {store.path}")
    state = run.state
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
        items = [item for item in resolve_all(results, state) if item.export]
        for item in items:
            if item.is_file:
                _copy(item, staging, written, missing)
        rows = await Ledger(store).rows(run_id)
        jobs = await store.jobs_of_run(run_id)
        texts = {item.export: clean(_text_file(item, state)) for item in items
                 if not item.is_file and (item.exists or not item.optional)}
        texts.update({
            "run.json": _json_text({
                "run_id": run_id, "workflow_id": run.workflow_id, "status": run.status,
                "created_at": run.created_at, "updated_at": run.updated_at, "exported_at": time.time(),
                "state": state,
                "jobs": [{k: getattr(job, k) for k in ("job_id", "step_id", "module", "provider", "action", "prompt_key",
                                              "provider_job_id", "status", "cost_amount", "cost_unit", "error")}
                         for job in jobs],
            }),
            "costs.json": _json_text(summary(rows)),
        })
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


__all__ = ["export_run", "check_target", "ExportError"]
