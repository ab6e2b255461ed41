"""Outside text reaches the console and the log shown, not obeyed: no ESC, BEL or C1 byte in what
`cctui` prints (errors naming a user's path, `cctui jobs` with a provider's error) or logs."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging

from cctui.cli import main
from cctui.logs import setup_logging
from cctui.settings import load_settings
from cctui.store.db import Store

HOSTILE = "\x1b]52;c;SGVsbG8=\x07\x1b]0;pwned\x07\x1b[2J\x9b31m"
FORBIDDEN = ("\x1b", "\x07", "\x9b")


def clean_bytes(text: str) -> bool:
    return not any(c in text for c in FORBIDDEN)


def test_an_error_naming_a_hostile_path_is_shown_not_obeyed(tmp_path, capsys):
    answers = tmp_path / f"answers{HOSTILE}.json"
    code = main(["--data-dir", str(tmp_path / "data"), "run", "workflows/cc", "--answers", str(answers)])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("error: ") and "answers file not found" in err
    assert "␛]52;c;SGVsbG8=␇" in err and clean_bytes(err) and clean_bytes(out)


def test_a_provider_error_in_cctui_jobs_is_shown_not_obeyed(tmp_path, capsys):
    data = tmp_path / "data"

    async def create():
        store = await Store.open(data / "cctui.db")
        try:
            run_id = await store.create_run("t", "/t", {}, {"step": 0, "module": 0})
            job_id = await store.create_job(run_id=run_id, interaction_id=None, step_id="s", module="m",
                                            provider="leonardo", action="txt2img", prompt_key="leonardo",
                                            request={"action": "txt2img", "provider": "leonardo", "params": {}})
            await store.update_job(job_id, status="unknown", error=f"Leonardo said: {HOSTILE}")
        finally:
            await store.close()

    data.mkdir(mode=0o700)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create()).result()
    assert main(["--data-dir", str(data), "jobs"]) == 0
    out, err = capsys.readouterr()
    assert "Leonardo said: ␛]52;c;SGVsbG8=␇" in out
    assert clean_bytes(out) and clean_bytes(err)


def test_the_log_shows_control_characters_instead_of_keeping_them(tmp_path):
    settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data")
    path = setup_logging(settings)
    try:
        logging.getLogger("cctui.test").warning("an answer: %s", HOSTILE)
        try:
            raise ValueError(HOSTILE)
        except ValueError:
            logging.getLogger("cctui.test").exception("failed")
    finally:
        for handler in [h for h in logging.getLogger().handlers if getattr(h, "_cctui", False)]:
            handler.flush()
            logging.getLogger().removeHandler(handler)
            handler.close()
    text = path.read_text(encoding="utf-8")
    assert "an answer: ␛]52;c;SGVsbG8=␇" in text and "ValueError: ␛]52" in text
    assert clean_bytes(text)


def test_a_log_file_on_a_full_disk_is_said_once_not_per_line(tmp_path, capsys):
    settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data")
    logs = settings.ensure_data_dir() / "logs"
    logs.mkdir(mode=0o700)
    (logs / "cctui.log").symlink_to("/dev/full")  # every write: ENOSPC, from the OS
    setup_logging(settings)
    try:
        for i in range(20):
            logging.getLogger("cctui.test").warning("line %d", i)
    finally:
        for handler in [h for h in logging.getLogger().handlers if getattr(h, "_cctui", False)]:
            logging.getLogger().removeHandler(handler)
            try:
                handler.close()
            except OSError:
                pass
    err = capsys.readouterr().err
    assert err.count("cannot be written (No space left on device); going on without it") == 1
    assert "Logging error" not in err and "Traceback" not in err


def test_a_users_hostile_text_in_a_whole_batch_run_reaches_no_output_as_controls(tmp_path, capsys):
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    answers = json.loads((root / "examples" / "cc-answers.json").read_text())
    answers["get_user_direction"]["text"] = f"Miso and the duck {HOSTILE}"
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    data = tmp_path / "data"
    code = main(["--data-dir", str(data), "run", str(root / "workflows" / "cc"), "--answers", str(path), "--demo"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert clean_bytes(out) and clean_bytes(err)
    written = [p for p in data.rglob("*") if p.is_file() and p.suffix in (".md", ".txt", ".srt", ".json", ".log")]
    summary = next(p for p in written if p.name == "summary.md")
    assert "Miso and the duck ␛]52;c;SGVsbG8=␇" in summary.read_text(encoding="utf-8")
    for file in written:
        assert not any(c.encode() in file.read_bytes() for c in FORBIDDEN), file
