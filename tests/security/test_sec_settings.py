"""Settings are checked when they are loaded, before anything is paid: a key that no provider can
accept, a base URL with an impossible port, a price that is not an amount, a misspelt config
key. Each is one plain message naming the variable or the file, never a traceback."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

import cctui.settings as settings_module
from cctui.cli import main
from cctui.settings import CONFIG_KEYS, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent.parent
WORKFLOW = ROOT / "workflows" / "cc"


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """`cctui --data-dir TMP ARGS` with a clean environment plus `env`: (exit code, stdout, stderr)."""
    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_BASE_URL")) or name.startswith("CCTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CCTUI_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setattr(settings_module, "_warned", set())

    def run(*args: str, **env: str):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        code = main(["--data-dir", str(tmp_path / "data"), *args])
        out = capsys.readouterr()
        assert "Traceback" not in out.out + out.err
        return code, out.out, out.err

    return run


@pytest.mark.parametrize("key, message", [
    ("sk-abc123def456\r", "OPENAI_API_KEY ends with a carriage return: copy it again without the line end"),
    ("sk-abc123def456\n", "OPENAI_API_KEY ends with a line feed: copy it again without the line end"),
    (" sk-abc123def456", "OPENAI_API_KEY starts with a space: copy it again without anything before or after it"),
    ("sk-abc\u2013123def456", "OPENAI_API_KEY contains a character that is not ASCII (U+2013, position 7): "
                              "keys are plain ASCII; copy it again from the provider's page"),
    ("sk-abc123\x07def456", "OPENAI_API_KEY contains a space or a control character (position 10): "
                            "a key is one unbroken line; copy it again from the provider's page"),
])
def test_a_key_no_provider_accepts_is_refused_at_start(cli, tmp_path, key, message):
    answers = tmp_path / "answers.json"
    answers.write_text("{}")
    code, out, err = cli("run", str(WORKFLOW), "--answers", str(answers), OPENAI_API_KEY=key)
    assert (code, err) == (2, f"error: {message}\n")
    assert key.strip() not in out + err
    assert not (tmp_path / "data").exists()  # nothing was started, let alone paid


def test_every_key_variable_is_checked(tmp_path):
    for variable in ("LEONARDO_API_KEY", "ELEVENLABS_API_KEY", "CCTUI_SORA_API_KEY"):
        with pytest.raises(SettingsError, match=f"^{variable} ends with a carriage return"):
            load_settings(env={variable: "key-1234567\r"}, config_file=tmp_path / "none.toml", data_dir=tmp_path)


@pytest.mark.parametrize("url, shown", [("http://127.0.0.1:99999", "http://127.0.0.1:99999"),
                                        ("https://gateway.example:0/v1", "https://gateway.example:0"),
                                        ("https://user:PASS@gateway.example:8x/v1", "https://gateway.example:8x")])
def test_a_base_url_with_an_impossible_port_is_refused(cli, url, shown):
    code, out, err = cli("doctor", CCTUI_SORA_BASE_URL=url)
    assert (code, err) == (2, f"error: CCTUI_SORA_BASE_URL must have a port from 1 to 65535; got {shown}\n")
    assert "PASS" not in out + err


def test_a_config_value_names_the_file_too(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('openai_api_key = "sk-abc123def456\\r"\n')
    with pytest.raises(SettingsError) as info:
        load_settings(env={}, config_file=config, data_dir=tmp_path / "data")
    assert str(info.value) == (f"OPENAI_API_KEY ends with a carriage return: copy it again without the line end "
                               f"(set by openai_api_key in {config})")


def test_unknown_config_keys_are_named_once_on_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(settings_module, "_warned", set())
    config = tmp_path / "config.toml"
    config.write_text('opneai_api_key = "sk-typo"\nllm_model = "gpt-4.1"\n[leonardo]\nkey = "x"\n')
    for _ in range(2):
        settings = load_settings(env={}, config_file=config, data_dir=tmp_path / "data")
    assert settings.llm_model == "gpt-4.1"  # the known keys still apply
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == (f"warning: {config}: unknown settings 'opneai_api_key', 'leonardo' ignored; "
                       f"the known settings are {', '.join(CONFIG_KEYS)}\n")
    assert "data_dir, openai_api_key, openai_base_url" in out.err and "demo" not in CONFIG_KEYS


def test_a_home_relative_data_dir_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = tmp_path / "config.toml"
    config.write_text('data_dir = "~/pets"\n')
    assert load_settings(env={}, config_file=config).data_dir == tmp_path / "home" / "pets"
    assert load_settings(env={"CCTUI_DATA_DIR": "~/env"}, config_file=config).data_dir == tmp_path / "home" / "env"
    assert load_settings(env={}, config_file=config, data_dir="~/flag").data_dir == tmp_path / "home" / "flag"


@pytest.mark.parametrize("prices, at, shown", [
    ({"llm": {"gpt-4.1-mini": {"input": -5.01, "output": 1.6}}}, '$.llm["gpt-4.1-mini"].input', "-5.01"),
    ({"llm": {"gpt-4.1-mini": {"input": "0.40", "output": 1.6}}}, '$.llm["gpt-4.1-mini"].input', '"0.40"'),
    ({"image": {"openai/gpt-image-1": {"low": {"1024x1024": None}}}},
     '$.image["openai/gpt-image-1"].low["1024x1024"]', "null"),
    ({"video": {"openai/sora-2": {"per_second": True}}}, '$.video["openai/sora-2"].per_second', "true"),
    ({"music": {"elevenlabs/music_v1": {"per_minute": [0.8]}}}, '$.music["elevenlabs/music_v1"].per_minute', "[0.8]"),
])
def test_a_price_that_is_not_an_amount_stops_cctui_before_anything_is_paid(cli, tmp_path, prices, at, shown):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(prices))
    answers = tmp_path / "answers.json"
    answers.write_text("{}")
    started = time.monotonic()
    code, out, err = cli("run", str(WORKFLOW), "--answers", str(answers), CCTUI_PRICES_FILE=str(path),
                         OPENAI_API_KEY="sk-abc123def456")
    assert time.monotonic() - started < 5
    assert (code, err) == (2, f"error: {path}: at {at}: a price must be a number of 0 or more, not {shown}\n")
    assert not (tmp_path / "data").exists()


def test_a_price_file_in_the_data_dir_is_checked_and_nan_is_refused(cli, tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "prices.json").write_text('{"video": {"openai/sora-2": {"per_second": NaN}}}')
    code, out, err = cli("runs")
    assert (code, err) == (2, f'error: {data / "prices.json"}: at $.video["openai/sora-2"].per_second: '
                              "a price must be a number of 0 or more, not nan\n")


def test_a_home_relative_price_file_is_expanded(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "mine.json").write_text('{"llm": {"gpt-4.1": {"input": 0, "output": 1e400}}}')
    code, out, err = cli("runs", CCTUI_PRICES_FILE="~/mine.json")
    assert (code, err) == (2, f'error: {tmp_path / "mine.json"}: at $.llm["gpt-4.1"].output: '
                              "a price must be a number of 0 or more, not inf\n")
