"""Provider keys travel in request headers, so a provider base URL must be https; plain http is
only accepted for this machine (127.0.0.1, ::1, localhost: a local gateway or the stand-in)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cctui.settings import ENV_VARS, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent.parent
FIELDS = ["openai_base_url", "leonardo_base_url", "elevenlabs_base_url", "sora_base_url"]

REFUSED = ["http://example.com/v1", "http://api.openai.com/v1", "http://127.0.0.1.example.com/v1",
           "http://localhost.evil.example", "http://10.0.0.5:8000/v1", "ftp://example.com", "api.openai.com/v1",
           "https://", "file:///etc/passwd", "http://user:hunter2@example.com/v1"]
ALLOWED = ["https://api.openai.com/v1", "https://gateway.example:8443/v1", "http://127.0.0.1:8000/v1",
           "http://localhost:8000", "http://LOCALHOST:8000/v1", "http://[::1]:8000/v1", "HTTPS://API.EXAMPLE.COM"]


def settings_with(tmp_path, **values):
    return load_settings(env={}, config_file=tmp_path / "none.toml", **values)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("url", REFUSED)
def test_non_https_urls_to_other_hosts_are_refused(tmp_path, field, url):
    variable = ENV_VARS[field][0]
    with pytest.raises(SettingsError) as info:
        load_settings(env={variable: url}, config_file=tmp_path / "none.toml")
    message = str(info.value)
    assert f"{variable} must use https (http is only allowed for 127.0.0.1/localhost)" in message
    assert "hunter2" not in message  # a password in the URL is not echoed


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("url", ALLOWED)
def test_https_and_loopback_http_are_accepted(tmp_path, field, url):
    assert getattr(settings_with(tmp_path, **{field: url}), field) == url


def test_the_config_file_is_checked_too(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('leonardo_base_url = "http://cloud.leonardo.example/api/rest/v1"\n')
    with pytest.raises(SettingsError, match="LEONARDO_BASE_URL must use https"):
        load_settings(env={}, config_file=config)


def test_the_defaults_are_https(tmp_path):
    settings = settings_with(tmp_path)
    assert all(getattr(settings, f).startswith("https://") for f in FIELDS)


@pytest.mark.parametrize("variable, url, code", [("OPENAI_BASE_URL", "http://example.com/v1", 2),
                                                 ("CCTUI_SORA_BASE_URL", "http://sora.example/v1", 2)])
def test_cctui_doctor_refuses_plain_http_without_a_traceback(tmp_path, variable, url, code):
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL")) and not k.startswith("CCTUI_")}
    env.update({variable: url, "CCTUI_DATA_DIR": str(tmp_path / "data"), "CCTUI_CONFIG": str(tmp_path / "none.toml"),
                "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "sk-doctor-not-sent"})
    proc = subprocess.run([sys.executable, "-m", "cctui.cli", "doctor"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    output = proc.stdout + proc.stderr
    assert proc.returncode == code, output
    assert f"{variable} must use https" in proc.stderr
    assert "Traceback" not in output
    assert "sk-doctor-not-sent" not in output
    assert not (tmp_path / "data").exists()  # refused before anything was set up
