"""A generation whose answer was lost stops a batch run only when the answers' choice needs it.

Every OpenAI image request here is processed and then its connection reset: the OpenAI image is
`unknown` (it may have been made and charged). The example answers choose generation 0, the
Leonardo image, made before it: the run goes on and says which generation waits for a decision;
`cctui jobs` lists it. Answers that choose generation 1 (the OpenAI one) stop with the decision
message, and nothing is sent twice in either case.
"""

from __future__ import annotations

import json

import pytest

from tests.crash.harness import ROOT, WORKFLOW, Cctui, StandInProc
from tests.faults.run_fault_suite import CLIENT_TIMEOUT

IMAGES = "/openai/v1/images/generations"
ANSWERS = ROOT / "examples" / "cc-answers.json"
ENV = {"CRASH_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT), "CRASH_MIN_POLL": "0.2"}


@pytest.fixture
def standin(tmp_path):
    proc = StandInProc(tmp_path / "standin", job_seconds=0.5,
                       extra_args=["--fault-rate", "1", "--fault-kinds", "reset", "--fault-paths", f"^{IMAGES}$"])
    with proc:
        yield proc


def test_the_run_goes_on_without_a_lost_image_it_did_not_choose(standin, tmp_path):
    cctui = Cctui(tmp_path / "data", standin.url, extra_env=ENV)
    done = cctui.run(["run", str(WORKFLOW), "--answers", str(ANSWERS)], timeout=300)
    assert done.code == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "openai txt2img generation" in done.stdout and "does not depend on it, so the run goes on" in done.stdout
    assert "1 generation the choices did not need still waits for a decision" in done.stdout
    assert standin.accepted().get(f"POST {IMAGES}") == 1  # made at the provider once, never sent again

    listing = cctui.run(["jobs"])
    assert listing.code == 0
    assert "unknown" in listing.stdout and "next: cctui jobs --resubmit" in listing.stdout


def test_the_run_stops_when_the_choice_is_the_lost_image(standin, tmp_path):
    answers = json.loads(ANSWERS.read_text())
    answers["generate_and_select_images"]["select"] = 1  # the OpenAI image
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    cctui = Cctui(tmp_path / "data", standin.url, extra_env=ENV)
    stopped = cctui.run(["run", str(WORKFLOW), "--answers", str(path)], timeout=300)
    assert stopped.code == 2
    last = stopped.stderr.strip().splitlines()[-1]
    assert last.startswith("error: run ") and "the openai txt2img generation" in last
    assert "may or may not have reached the provider" in last and "cctui jobs --resubmit" in last
    assert standin.accepted().get(f"POST {IMAGES}") == 1
