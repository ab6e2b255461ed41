"""The bad-workflow corpus: every folder in `workflows/` is the valid workflow in `valid_base/`
with one thing broken, and its `expected.json` says which file, which JSON path and which words
the error must name.

Each case is loaded in-process and validated with the real command line (`python -m cctui.cli
validate DIR`, in a subprocess): exit code 2, the file and JSON path on stderr, no traceback.
Cases are copied to a temporary folder first, so that symlinks (git would keep them, but some
checkouts do not) and files outside the workflow root can be made at test time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cctui.engine.modules import shapes
from cctui.workflow.errors import WorkflowError, WorkflowErrors
from cctui.workflow.loader import load_workflow

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "workflows"
BASE = HERE / "valid_base"
ROOT = HERE.parent.parent
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())
OUTSIDE_SECRET = "OUTSIDE-THE-ROOT-7c1f"


def expected_of(case: str) -> dict:
    return json.loads((CASES_DIR / case / "expected.json").read_text(encoding="utf-8"))


def materialise(case: str, into: Path) -> Path:
    """Copy the case to `into/<case>`, put a secret file outside it, make its symlinks."""
    root = into / case
    shutil.copytree(CASES_DIR / case, root, symlinks=True)
    (root / "expected.json").unlink()
    outside = into / "outside"
    if not outside.exists():
        outside.mkdir()
        (outside / "secret.json").write_text(json.dumps({"type": "string", "description": OUTSIDE_SECRET}))
        (outside / "secret.txt").write_text(OUTSIDE_SECRET)
    for link in expected_of(case).get("setup", {}).get("symlinks", []):
        path = root / link["link"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(into / link["outside"] if "outside" in link else link["to"])
    return root


def errors_of(root: Path) -> list[WorkflowError]:
    try:
        load_workflow(root, modules=shapes())
    except WorkflowErrors as exc:
        return exc.errors
    except WorkflowError as exc:
        return [exc]
    pytest.fail(f"{root.name} loaded without an error")


def display_name(case: str, root: Path, file: str) -> str:
    """How the loader names a file: relative to the folder holding the workflow folder."""
    return str(root) if file == "." else f"{case}/{file}"


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory):
    """`cctui validate` on every case, two at a time (each is a fresh Python process)."""
    base = tmp_path_factory.mktemp("cli_corpus")
    roots = {case: materialise(case, base) for case in CASES}
    env = {**os.environ, "CCTUI_DATA_DIR": str(base / "data"), "PYTHONPATH": str(ROOT)}

    def run(case):
        proc = subprocess.run([sys.executable, "-m", "cctui.cli", "validate", str(roots[case])],
                              capture_output=True, text=True, cwd=base, env=env, timeout=60)
        return case, proc

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(run, CASES))
    return roots, results


def test_the_base_workflow_is_valid(tmp_path):
    """Every case is this workflow with one thing broken, so this one must load cleanly."""
    shutil.copytree(BASE, tmp_path / "valid_base")
    workflow = load_workflow(tmp_path / "valid_base", modules=shapes())
    assert [s.step_id for s in workflow.steps] == ["pick", "write"]


def test_the_corpus_is_big_enough_and_small_on_disk():
    assert len(CASES) >= 30
    size = sum(p.stat().st_size for p in HERE.rglob("*")
               if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts)
    assert size < 200_000, f"the corpus data is {size} bytes"


@pytest.mark.parametrize("case", CASES)
def test_load_workflow_names_file_path_and_reason(case, tmp_path):
    expected = expected_of(case)
    root = materialise(case, tmp_path)
    errors = errors_of(root)
    want_file = display_name(case, root, expected["file"])
    matching = [e for e in errors if e.file == want_file and e.path == expected["path"]]
    assert matching, f"no error at {want_file} {expected['path']}; got: " + "; ".join(map(str, errors))
    assert any(expected["message"] in e.reason for e in matching), [e.reason for e in matching]
    for err in errors:
        assert OUTSIDE_SECRET not in str(err)
        assert "Traceback" not in str(err)


@pytest.mark.parametrize("case", CASES)
def test_cli_validate_exits_2_naming_file_and_path(case, cli_results):
    roots, results = cli_results
    proc = results[case]
    expected = expected_of(case)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "Traceback" not in output
    want = f"{display_name(case, roots[case], expected['file'])}: at {expected['path']}: "
    lines = [line for line in proc.stderr.splitlines() if want in line]
    assert lines, f"{want!r} not in:\n{proc.stderr}"
    assert any(expected["message"] in line for line in lines), lines
    assert OUTSIDE_SECRET not in output
    assert proc.stdout == ""  # nothing printed as if it had loaded
