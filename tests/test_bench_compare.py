"""`python -m bench --compare OLD.json --against NEW.json` on hand-written results files: what is
flagged (worse beyond the noise, a target lost), what is not (a change within the noise), figures
on one side only, which noise is used, and a clear error with exit 2 for a bad file."""

from __future__ import annotations

import json

import pytest

from bench.__main__ import main
from bench.compare import DEFAULT_NOISE, Results, compare, compare_row


def _row(key, value, *, unit="ms", met=None, noise=None, better=None, **extra):
    row = {"key": key, "figure": f"figure {key}", "value": value, "unit": unit, "met": met, **extra}
    if noise is not None:
        row["noise"] = noise
    if better is not None:
        row["better"] = better
    return row


def _write(path, rows, mode="full"):
    path.write_text(json.dumps({"mode": mode, "date": "2026-12-01 10:00:00 +0000", "rows": rows}))
    return path


def _lines(capsys):
    """The compare table's lines by figure key (each line starts with its figure label)."""
    out = capsys.readouterr().out
    return out, {line.split()[1]: line for line in out.splitlines() if line.startswith("figure ")}


def test_flags_worse_beyond_noise_and_a_lost_target_but_not_noise(tmp_path, capsys):
    old = _write(tmp_path / "old.json", [
        _row("slow_ms", 100.0, noise=0.05),
        _row("noisy_ms", 100.0, noise=0.30),
        _row("target_ms", 40.0, met=True, noise=0.5),
        _row("faster_ms", 100.0, noise=0.05),
        _row("gone_ms", 5.0),
    ])
    new = _write(tmp_path / "new.json", [
        _row("slow_ms", 120.0, noise=0.08),   # +20% against a noise of 8%: slower
        _row("noisy_ms", 120.0, noise=0.10),  # +20% within the old file's 30%: not flagged
        _row("target_ms", 41.0, met=False, noise=0.5),  # within the noise, but the target is lost
        _row("faster_ms", 50.0, noise=0.05),
        _row("added_ms", 7.0),
    ])
    assert main(["--compare", str(old), "--against", str(new)]) == 0  # no timing decides the exit code
    out, lines = _lines(capsys)
    assert lines["slow_ms"].rstrip().endswith("slower")
    assert "+20.0%" in lines["slow_ms"] and "8.0% (new)" in lines["slow_ms"]
    assert "slower" not in lines["noisy_ms"] and "30.0% (old)" in lines["noisy_ms"]
    assert "target no longer met" in lines["target_ms"] and "slower" not in lines["target_ms"]
    assert "yes -> NO" in lines["target_ms"]
    assert "-50.0%" in lines["faster_ms"] and "slower" not in lines["faster_ms"]
    assert "(missing)" in lines["gone_ms"] and "only in the old file" in lines["gone_ms"]
    assert "(missing)" in lines["added_ms"] and "only in the new file" in lines["added_ms"]
    assert "1 slower beyond the noise, 1 target(s) no longer met" in out


def test_default_noise_only_when_neither_file_measured_it(tmp_path, capsys):
    old = _write(tmp_path / "old.json", [_row("a_ms", 100.0), _row("b_ms", 100.0)], mode="quick")
    new = _write(tmp_path / "new.json", [_row("a_ms", 100.0 * (1 + DEFAULT_NOISE) + 1), _row("b_ms", 105.0)])
    assert main(["--compare", str(old), "--against", str(new)]) == 0
    out, lines = _lines(capsys)
    assert f"{DEFAULT_NOISE:.1%} (default)" in lines["a_ms"] and lines["a_ms"].rstrip().endswith("slower")
    assert "slower" not in lines["b_ms"]
    assert "the default" in out and "--repeat 2" in out
    assert "note: a quick run beside a full run" in out


def test_which_way_is_worse_follows_the_figure():
    higher_is_better_old = _row("rate", 100.0, unit="jobs/s", better="higher", noise=0.05)
    assert compare_row(higher_is_better_old, {**higher_is_better_old, "value": 80.0}).flag == "slower"
    assert compare_row(higher_is_better_old, {**higher_is_better_old, "value": 130.0}).flag == ""
    # A signed figure (a lag below the interval is negative) is worse when it rises.
    signed = _row("lag_ms", -100.0, noise=0.1)
    assert compare_row(signed, {**signed, "value": -50.0}).flag == "slower"
    assert compare_row(signed, {**signed, "value": -200.0}).flag == ""
    # From zero there is no relative change to judge; it is shown, not flagged.
    zero = _row("z_ms", 0.0)
    line = compare_row(zero, {**zero, "value": 3.0})
    assert line.change == "" and line.flag == ""


def test_every_figure_of_either_file_in_order():
    old = Results(None, "full", "", {k: _row(k, 1.0) for k in ("a", "b", "c")})
    new = Results(None, "full", "", {k: _row(k, 1.0) for k in ("d", "b")})
    assert [ln.figure for ln in compare(old, new)] == ["figure a", "figure b", "figure c", "figure d"]


@pytest.mark.parametrize("content, says", [
    (None, "no such file"),
    ('{"rows": [', "not JSON (line 1, column"),
    ("[1, 2]", 'expected a JSON object with "rows"'),
    ('{"mode": "full"}', "rows: expected a list of figures"),
    ('{"rows": [{"key": "a", "figure": "f", "unit": "ms"}]}', "rows[0]: the field 'value' is missing"),
    ('{"rows": [{"key": "a", "figure": "f", "unit": "ms", "value": "fast"}]}', "rows[0].value: expected a number"),
    ('{"rows": [{"key": "a", "figure": "f", "unit": "ms", "value": 1, "noise": -1}]}', "rows[0].noise"),
    ('{"rows": [{"key": "a", "figure": "f", "unit": "ms", "value": 1}, '
     '{"key": "a", "figure": "f", "unit": "ms", "value": 2}]}', "rows[1].key: 'a' appears twice"),
])
@pytest.mark.parametrize("side", ["old", "new"])
def test_a_bad_file_is_named_with_what_is_wrong_and_exit_2(tmp_path, capsys, content, says, side):
    good = _write(tmp_path / "good.json", [_row("a_ms", 1.0)])
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    pair = [bad, good] if side == "old" else [good, bad]
    assert main(["--compare", str(pair[0]), "--against", str(pair[1])]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {bad}: ") and says in captured.err
    assert "written by `python -m bench`" in captured.err  # what to do next
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("argv, says", [
    (["--against", "new.json"], "--against NEW.json needs --compare OLD.json"),
    (["--compare", "old.json", "--against", "new.json", "--quick"], "measures nothing"),
    (["--repeat", "0"], "--repeat: expected a count of runs, 1 or more, got 0"),
])
def test_option_mistakes_are_usage_errors(capsys, argv, says):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2 and says in capsys.readouterr().err
