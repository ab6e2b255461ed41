"""`cctui doctor` tells the states apart (configured, missing, rejected, not found, unreachable,
error), prints each base URL without credentials, and exits 1 when a provider that has a key
cannot be used (0 when every keyed provider is configured; missing keys alone are fine)."""

from __future__ import annotations

import socket

import pytest

import cctui.providers.registry as registry
from cctui.cli import main
from cctui.standin import StandIn

KEYS = {"openai": "sk-doctor-good-3f9a", "leonardo": "leo-doctor-good-71c2", "elevenlabs": "el-doctor-good-0b5e",
        "fal": "fal-doctor-good-5d1e"}
ENV_KEYS = {"openai": "OPENAI_API_KEY", "leonardo": "LEONARDO_API_KEY", "elevenlabs": "ELEVENLABS_API_KEY",
            "fal": "FAL_KEY"}
ENV_URLS = {"openai": "OPENAI_BASE_URL", "sora": "CCTUI_SORA_BASE_URL", "leonardo": "LEONARDO_BASE_URL",
            "elevenlabs": "ELEVENLABS_BASE_URL", "fal": "FAL_BASE_URL"}


@pytest.fixture
def standin(tmp_path):
    srv = StandIn(keys=dict(KEYS), job_seconds=0.5, data_dir=tmp_path / "standin")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def doctor(tmp_path, monkeypatch, capsys, standin):
    """Runs `cctui doctor` with every provider at the stand-in, all keys good unless `keys` or
    `urls` say otherwise (None = unset); returns (exit code, {provider: (state, line)}, output)."""
    import os

    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_BASE_URL")) or name.startswith("CCTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CCTUI_CONFIG", str(tmp_path / "no-config.toml"))

    def run(keys: dict[str, str | None] | None = None, urls: dict[str, str] | None = None):
        for provider, value in {**KEYS, **(keys or {})}.items():
            if value is None:
                monkeypatch.delenv(ENV_KEYS[provider], raising=False)
            else:
                monkeypatch.setenv(ENV_KEYS[provider], value)
        for provider, value in {**standin.base_urls, **(urls or {})}.items():
            monkeypatch.setenv(ENV_URLS[provider], value)
        code = main(["--data-dir", str(tmp_path / "data"), "doctor"])
        out = capsys.readouterr()
        lines = {}
        for line in out.out.splitlines():
            name = line[:11].strip()
            if name in ENV_URLS:
                lines[name] = (line[12:24].strip(), line)
        assert set(lines) == set(ENV_URLS), out.out
        return code, lines, out.out + out.err

    return run


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_configured_everywhere_exits_0(doctor, standin):
    code, lines, output = doctor()
    assert {name: state for name, (state, _) in lines.items()} == {
        "openai": "configured", "sora": "configured", "leonardo": "configured", "elevenlabs": "configured",
        "fal": "configured"}
    assert code == 0, output
    for key in KEYS.values():
        assert key not in output
    # Sora is checked where its videos are made, not through OpenAI's model list.
    assert standin.count("GET", "/openai/v1/videos") == 1


def test_missing_keys_alone_are_fine(doctor):
    code, lines, output = doctor(keys={"leonardo": None, "elevenlabs": None})
    assert lines["leonardo"][0] == "missing" and "LEONARDO_API_KEY" in lines["leonardo"][1]
    assert lines["elevenlabs"][0] == "missing"
    assert lines["openai"][0] == "configured" and lines["sora"][0] == "configured"
    assert code == 0, output


def test_a_missing_key_sends_nothing(doctor, standin):
    code, lines, output = doctor(keys={"openai": None, "leonardo": None, "elevenlabs": None, "fal": None})
    assert {state for state, _ in lines.values()} == {"missing"}
    assert code == 0, output
    assert standin.requests == []
    # Each line says which setting to fill in.
    for name, variable in [*ENV_KEYS.items(), ("sora", "CCTUI_SORA_API_KEY")]:
        assert variable in lines[name][1], lines[name][1]


def test_rejected_key_exits_1(doctor):
    code, lines, output = doctor(keys={"leonardo": "leo-wrong-key"})
    assert lines["leonardo"][0] == "rejected", output
    assert "LEONARDO_API_KEY" in lines["leonardo"][1]
    assert lines["openai"][0] == "configured"
    assert code == 1, output
    assert "leo-wrong-key" not in output


def test_a_retired_sora_endpoint_is_not_found_and_says_so(doctor, standin):
    # The rest of the OpenAI API answers; only /videos is gone (as at OpenAI after 2026-09-24).
    standin.inject(r"/videos$", 404, method="GET", times=None)
    code, lines, output = doctor()
    assert lines["sora"][0] == "not found", output
    assert "2026-09-24" in lines["sora"][1] and "CCTUI_SORA_BASE_URL" in lines["sora"][1]
    assert lines["openai"][0] == "configured"
    assert code == 1, output


def test_a_wrong_base_url_is_not_found(doctor, standin):
    code, lines, output = doctor(urls={"elevenlabs": standin.base_url + "/not-elevenlabs"})
    assert lines["elevenlabs"][0] == "not found", output
    assert "ELEVENLABS_BASE_URL" in lines["elevenlabs"][1]
    assert code == 1, output


def test_connection_refused_is_unreachable(doctor):
    code, lines, output = doctor(urls={"openai": f"http://127.0.0.1:{closed_port()}/v1"})
    assert lines["openai"][0] == "unreachable", output
    assert "OPENAI_BASE_URL" in lines["openai"][1]
    assert lines["sora"][0] == "configured"  # its own base URL, still the stand-in
    assert code == 1, output


def test_a_name_that_does_not_resolve_is_unreachable(doctor, monkeypatch):
    monkeypatch.setattr(registry, "CHECK_TIMEOUT", 3.0)
    code, lines, output = doctor(urls={"leonardo": "https://cctui-doctor-test.invalid/api/rest/v1"})
    assert lines["leonardo"][0] == "unreachable", output
    assert code == 1, output


def test_no_answer_in_time_is_unreachable(doctor, standin, monkeypatch):
    monkeypatch.setattr(registry, "CHECK_TIMEOUT", 0.5)
    standin.inject(r"/v1/user$", 200, delay=3.0, times=None)
    code, lines, output = doctor()
    assert lines["elevenlabs"][0] == "unreachable", output
    assert "Timeout" in lines["elevenlabs"][1]
    assert code == 1, output


def test_a_server_error_is_an_error_with_its_status(doctor, standin):
    standin.inject(r"/me$", 503, times=None)
    code, lines, output = doctor()
    assert lines["leonardo"][0] == "error 503", output
    assert "unreachable" not in lines["leonardo"][1]
    assert code == 1, output


def test_a_garbled_answer_is_an_error(doctor, standin):
    standin.inject(r"/models$", 200, action="malformed", times=None)
    code, lines, output = doctor()
    assert lines["openai"][0] == "error 200", output
    assert "JSON" in lines["openai"][1]
    assert code == 1, output


def test_a_connection_reset_is_an_error(doctor, standin):
    standin.inject(r"/v1/user$", action="reset", times=None)
    code, lines, output = doctor()
    assert lines["elevenlabs"][0] == "error", output
    assert code == 1, output


def test_base_urls_are_printed_without_credentials(doctor, standin):
    base = standin.base_urls["elevenlabs"]  # http://127.0.0.1:PORT/elevenlabs
    with_userinfo = base.replace("http://", "http://gateway-user:S3cretPASS@")
    code, lines, output = doctor(urls={"elevenlabs": with_userinfo})
    assert lines["elevenlabs"][0] == "configured", output  # the key travels in xi-api-key
    assert lines["elevenlabs"][1].endswith(f"({base})")
    for secret in ("S3cretPASS", "gateway-user", "@"):
        assert secret not in output
    assert code == 0, output
