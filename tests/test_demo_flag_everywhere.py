"""`--demo` means the stand-in wherever it is written: before the subcommand or after it, for every
subcommand that can reach a provider. Real-looking keys are in the environment and every
provider's base URL points at a counting server started here; a demo must send it nothing."""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.server
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from cctui.cli import build_parser, main
from cctui.providers.base import MediaRequest
from cctui.store.db import Store

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "workflows" / "cc"
ANSWERS = ROOT / "examples" / "cc-answers.json"
KEYS = {"OPENAI_API_KEY": "sk-real-looking-OPENAI-5c2e", "LEONARDO_API_KEY": "leo-real-looking-7a1b",
        "ELEVENLABS_API_KEY": "el-real-looking-93fd", "CCTUI_SORA_API_KEY": "sk-real-looking-SORA-1d4c"}


class CountingServer:
    """Plays every "real" provider: counts each request it gets and answers 500."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        seen = self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                seen.append((self.command, self.path))
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                body = b'{"error": {"message": "the counting server answers nothing"}}'
                self.send_response(500)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def real(tmp_path):
    server = CountingServer()
    try:
        yield server
    finally:
        server.stop()


def provider_env(real: CountingServer, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_API_KEY", "_BASE_URL")) and not k.startswith("CCTUI_")}
    env.update(KEYS)
    env.update({"OPENAI_BASE_URL": real.base + "/v1", "CCTUI_SORA_BASE_URL": real.base + "/v1",
                "LEONARDO_BASE_URL": real.base + "/api/rest/v1", "ELEVENLABS_BASE_URL": real.base,
                "CCTUI_CONFIG": str(tmp_path / "no-config.toml"), "CCTUI_DEMO_JOB_SECONDS": "0.3",
                "PYTHONPATH": str(ROOT)})
    return env


def cctui(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cctui.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout)


def with_demo(where: str, command: list[str]) -> list[str]:
    """`--demo` before the subcommand (`cctui --demo jobs ...`) or after it (`cctui jobs ... --demo`)."""
    return ["--demo", *command] if where == "before" else [*command, "--demo"]


def make_unknown_job(db_path: Path, image: Path, media_dir: Path) -> str:
    """A Sora job whose submit may or may not have arrived, stored with the real store API."""
    async def create() -> str:
        store = await Store.open(db_path)
        try:
            run_id = await store.create_run("t", "/t", {}, {"step": 0, "module": 0})
            request = MediaRequest(action="img2vid", provider="openai",
                                   params={"prompt": "curtains sway", "duration": "4", "aspect_ratio": "9:16",
                                           "quality": "720p"},
                                   source_image={"content_id": "c_src", "local_path": str(image)},
                                   media_dir=str(media_dir), stem="video_generation_sora_j_demo")
            job_id = await store.create_job(run_id=run_id, interaction_id=None, step_id="video_generation",
                                            module="generate_and_select_videos", provider="openai",
                                            action="img2vid", prompt_key="sora", request=request.to_json())
            await store.update_job(job_id, status="unknown", error="cctui stopped while sending this request",
                               # sent ten minutes ago: one look at the provider's list is enough
                               submit_started_at=time.time() - 600)
            return job_id
        finally:
            await store.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, create()).result()


def jobs_parser_has(option: str) -> bool:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return option in sub.choices["jobs"]._option_string_actions


WHERE = ["before", "after"]


def test_the_counting_server_is_reached_without_demo(real, tmp_path):
    """The check below means something: the same environment without --demo does reach it."""
    proc = cctui(["--data-dir", str(tmp_path / "data"), "doctor"], provider_env(real, tmp_path), tmp_path)
    assert len(real.seen) >= 4, proc.stdout + proc.stderr
    assert proc.returncode == 1  # every keyed provider answers 500 here


# A whole demo run takes ~20 s: the CI slice runs it with the flag before the subcommand only.
@pytest.mark.parametrize("where", ["before", pytest.param("after", marks=pytest.mark.slow)])
def test_run_with_demo_sends_nothing_to_the_real_providers(real, tmp_path, where):
    data = tmp_path / "data"
    proc = cctui(["--data-dir", str(data), *with_demo(where, ["run", str(WORKFLOW), "--answers", str(ANSWERS)])],
                 provider_env(real, tmp_path), tmp_path)
    assert real.seen == []
    assert proc.returncode == 0, proc.stderr
    assert "completed run" in proc.stdout


@pytest.mark.parametrize("where", WHERE)
def test_doctor_with_demo_checks_the_stand_in(real, tmp_path, where):
    proc = cctui(["--data-dir", str(tmp_path / "data"), *with_demo(where, ["doctor"])],
                 provider_env(real, tmp_path), tmp_path)
    assert real.seen == []
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert real.base not in proc.stdout


@pytest.mark.parametrize("where", WHERE)
def test_jobs_with_demo_sends_nothing_to_the_real_providers(real, tmp_path, where):
    data = tmp_path / "data"
    image = tmp_path / "src.png"
    Image.new("RGB", (500, 800), (120, 90, 60)).save(image)
    job_id = make_unknown_job(data / "cctui.db", image, data / "media")
    env = provider_env(real, tmp_path)

    listed = cctui(["--data-dir", str(data), *with_demo(where, ["jobs"])], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert job_id in listed.stdout

    command = ["jobs", "--resubmit", job_id] + (["--yes"] if jobs_parser_has("--yes") else [])
    resubmitted = cctui(["--data-dir", str(data), *with_demo(where, command)], env, tmp_path)
    output = resubmitted.stdout + resubmitted.stderr
    assert real.seen == [], output
    assert "Traceback" not in output
    if jobs_parser_has("--yes"):
        assert resubmitted.returncode == 0, output
        assert f"{job_id}: completed" in resubmitted.stdout


def test_the_app_with_demo_gets_stand_in_settings(real, tmp_path, monkeypatch):
    """`cctui --demo` (the app): run_app is handed settings that point at the stand-in only."""
    import cctui.ui.app as app_module
    from cctui.providers.registry import Providers

    for name, value in provider_env(real, tmp_path).items():
        monkeypatch.setenv(name, value)
    seen = {}

    def fake_run_app(settings, demo=False, image_protocol=None, workflow_dir=None):
        async def check():
            providers = Providers(settings)
            try:
                return await providers.check_keys()
            finally:
                await providers.aclose()

        seen["demo"] = settings.demo
        seen["urls"] = [settings.openai_base_url, settings.sora_base_url, settings.leonardo_base_url,
                        settings.elevenlabs_base_url]
        seen["states"] = asyncio.run(check())
        return 0

    monkeypatch.setattr(app_module, "run_app", fake_run_app)
    assert main(["--data-dir", str(tmp_path / "data"), "--demo"]) == 0
    assert real.seen == []
    assert seen["demo"] is True
    assert not any(url.startswith(real.base) for url in seen["urls"])
    assert set(seen["states"].values()) == {"configured"}


def test_demo_after_the_subcommand_is_not_overwritten_by_the_default():
    parser = build_parser()
    for argv in (["--demo", "run", "w", "--answers", "a"], ["run", "w", "--answers", "a", "--demo"],
                 ["--demo", "jobs"], ["jobs", "--demo"], ["--demo", "doctor"], ["doctor", "--demo"], ["--demo"]):
        assert parser.parse_args(argv).demo is True, argv
    for argv in (["run", "w", "--answers", "a"], ["jobs"], ["doctor"], []):
        assert parser.parse_args(argv).demo is False, argv
