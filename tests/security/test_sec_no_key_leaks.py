"""No API key in the database (and its WAL), the logs, the run folders or the UI snapshots, even
when a provider's error message quotes the key back and when an exception carries it.

(tests/test_demo_run.py scans the data directory after a complete, successful run; this file
covers the failure paths and the committed snapshot files.)"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cctui.batch import BatchError, BatchRunner
from cctui.demo import DEMO_KEY
from cctui.engine.engine import Engine
from cctui.logs import SecretScrubber, setup_logging
from cctui.providers.registry import Providers
from cctui.settings import load_settings
from cctui.standin import StandIn

TESTS = Path(__file__).resolve().parent.parent
SNAPSHOTS = TESTS / "ui" / "__snapshots__"
KEYS = {"openai": "sk-leakscan-OPENAI-3b9f27c1d4", "leonardo": "leo-leakscan-LEONARDO-8e21aa",
        "elevenlabs": "el-leakscan-ELEVEN-4c7d55"}
STEP1 = {"select_pet_type": {"select": [0]}, "select_aesthetic": {"select": [0]}, "select_duration": {"select": [0]},
         "get_user_direction": {"text": "Miso"}}
KEY_SHAPES = [re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{6,}"), re.compile(r"\bleo-[A-Za-z0-9_-]{4,}"),
              re.compile(r"\bel-[A-Za-z0-9_-]{4,}"), re.compile(r"Bearer\s+[A-Za-z0-9._-]{8,}")]


def keys_used_by_the_ui_tests() -> set[str]:
    found = {DEMO_KEY}
    for path in (TESTS / "ui").glob("*.py"):
        found.update(v for v in re.findall(r"api_key[\"']?\s*[:=]\s*[\"']([^\"']{6,})[\"']", path.read_text()))
    return found


def test_no_key_in_the_ui_snapshots():
    svgs = sorted(SNAPSHOTS.rglob("*.svg"))
    assert len(svgs) >= 10
    literal = keys_used_by_the_ui_tests()
    assert "sk-test-estimate" in literal  # the scan knows the keys the UI tests set
    for svg in svgs:
        text = html.unescape(svg.read_text(encoding="utf-8")).replace("\u00a0", " ")
        for key in literal:
            assert key not in text, f"{key} in {svg.relative_to(TESTS)}"
        for shape in KEY_SHAPES:
            match = shape.search(text)
            assert match is None, f"{match.group(0)!r} looks like a key, in {svg.relative_to(TESTS)}"


def test_the_scrubber_redacts_keys_in_messages_arguments_and_exceptions(tmp_path):
    logger = logging.getLogger("cctui.test_scrubber")
    handler = logging.FileHandler(tmp_path / "log.txt", encoding="utf-8")
    handler.addFilter(SecretScrubber(list(KEYS.values())))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(f"retrying with {KEYS['openai']}")
        logger.error("provider %s refused key %s", "leonardo", KEYS["leonardo"])
        try:
            try:
                raise KeyError(f"header x-api-key: {KEYS['elevenlabs']}")
            except KeyError as inner:
                raise RuntimeError(f"upstream said: Authorization: Bearer {KEYS['openai']}") from inner
        except RuntimeError:
            logger.exception("call failed")
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.propagate = True
    text = (tmp_path / "log.txt").read_text(encoding="utf-8")
    for key in KEYS.values():
        assert key not in text
    assert "retrying with ***" in text and "refused key ***" in text
    assert "Bearer ***" in text and "x-api-key: ***" in text  # the traceback, chained cause included
    assert "Traceback" in text  # still useful: the traceback is there, only the keys are gone


@pytest.fixture
def keyed_standin(tmp_path):
    srv = StandIn(keys=dict(KEYS), job_seconds=0.2, data_dir=tmp_path / "standin")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def cctui_logging():
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_cctui", False)]:
        root.removeHandler(handler)
        handler.close()


async def test_keys_quoted_back_by_providers_stay_out_of_the_database_and_logs(tmp_path, keyed_standin,
                                                                               cctui_logging):
    srv = keyed_standin
    urls = srv.base_urls
    settings = load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path / "data",
                             openai_api_key=KEYS["openai"], openai_base_url=urls["openai"],
                             leonardo_api_key=KEYS["leonardo"], leonardo_base_url=urls["leonardo"],
                             elevenlabs_api_key=KEYS["elevenlabs"], elevenlabs_base_url=urls["elevenlabs"],
                             sora_base_url=urls["sora"])
    log_path = setup_logging(settings)
    providers = Providers(settings)
    engine = await Engine.open(settings.db_path, providers, settings.runs_dir())
    engine.services.jobs.min_poll = 0.05
    try:
        # Run 1: the LLM refuses the key and quotes all of it back.
        srv.inject(r"/chat/completions$", 401, method="POST", body={"error": {
            "message": f"Incorrect API key provided: {KEYS['openai']}. Check your key.",
            "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}})
        with pytest.raises(BatchError) as info:
            await BatchRunner(engine, {**STEP1, "select_scene": {"select": [0]}}, out=lambda s: None).run(
                Path(TESTS.parent / "workflows" / "cc"))
        assert "***" in str(info.value) and KEYS["openai"] not in str(info.value)

        # Run 2: the OpenAI tab makes an image; Leonardo refuses its request quoting the key, and
        # the batch run stops there (or, had the job not stopped it, at the next missing answer).
        leonardo_path = re.escape(urlsplit(urls["leonardo"]).path)
        srv.inject(leonardo_path + r"/generations$", 400, method="POST",
                   body={"error": f"api key {KEYS['leonardo']} may not use this model", "code": "bad-request"})
        answers = {**STEP1, "select_scene": {"select": [0]}, "generate_and_select_images": {
            "sub_actions": [{"id": "generate", "tab": "openai", "params": {"quality": "low"}},
                            {"id": "generate", "tab": "leonardo", "params": {"num_images": 1}}], "select": 0}}
        runner = BatchRunner(engine, answers, out=lambda s: None)
        with pytest.raises(BatchError) as info:
            await runner.run(TESTS.parent / "workflows" / "cc")
        assert not any(key in str(info.value) for key in KEYS.values())
        jobs = await engine.services.store.list_jobs_by_status("failed")
        assert [j.provider for j in jobs] == ["leonardo"], [j.error for j in jobs]
        assert "***" in jobs[0].error  # the key was in the message, and was taken out
        logging.getLogger("cctui.test").error("leonardo said: %s", f"api key {KEYS['leonardo']} refused")
    finally:
        await engine.close()
        await providers.aclose()
    for handler in logging.getLogger().handlers:
        handler.flush()

    scanned = []
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            scanned.append(path.name)
            for key in KEYS.values():
                assert key.encode() not in blob, f"{key} found in {path}"
    assert {"cctui.db", "cctui.log"} <= set(scanned)
    assert any(name.endswith(".png") for name in scanned)  # the OpenAI image was made and scanned too
    assert "leonardo said: api key *** refused" in log_path.read_text(encoding="utf-8")


def test_a_password_in_a_base_url_is_never_shown(tmp_path, keyed_standin, cctui_logging, monkeypatch, capsys):
    """`https://user:PASS@gateway` is a credential like a key: not in doctor's output, not in the
    request lines httpx logs, not in a printed settings object."""
    import os

    from cctui.cli import main

    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_BASE_URL")) or name.startswith("CCTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CCTUI_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("OPENAI_API_KEY", KEYS["openai"])
    monkeypatch.setenv("LEONARDO_API_KEY", KEYS["leonardo"])
    variables = {"openai": "OPENAI_BASE_URL", "sora": "CCTUI_SORA_BASE_URL", "leonardo": "LEONARDO_BASE_URL",
                 "elevenlabs": "ELEVENLABS_BASE_URL", "fal": "FAL_BASE_URL"}
    for provider, url in keyed_standin.base_urls.items():
        monkeypatch.setenv(variables[provider], url.replace("http://", "http://gateway-user:PASS-5e1d90@"))
    settings = load_settings(data_dir=tmp_path / "data")
    log_path = setup_logging(settings)  # as a run would: every request line goes to the log

    main(["--data-dir", str(tmp_path / "data"), "doctor"])
    out = capsys.readouterr()
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = log_path.read_text(encoding="utf-8")
    assert "HTTP Request: GET http://***@127.0.0.1:" in log  # the request lines are there, redacted
    for text in (out.out, out.err, log, str(settings), repr(settings)):
        assert "PASS" not in text and "gateway-user" not in text
        assert not any(key in text for key in KEYS.values())
    assert "(http://127.0.0.1:" in out.out  # doctor still shows where it asked


@pytest.mark.parametrize("text, shown", [
    ("https://user:PASS@host/x", "https://***@host/x"),
    ('GET http://u:p@ss@127.0.0.1:8000/v1/models "HTTP/1.1 200 OK"',
     'GET http://***@127.0.0.1:8000/v1/models "HTTP/1.1 200 OK"'),
    ("https://TOKEN@host and wss://a:b@[::1]:9/", "https://***@host and wss://***@[::1]:9/"),
    ("https://host/v1?u=a@b.example#x@y, a@b.example", "https://host/v1?u=a@b.example#x@y, a@b.example"),
])
def test_redact_urls_takes_out_user_and_password_only(text, shown):
    from cctui.redact import redact_urls

    assert redact_urls(text) == shown
