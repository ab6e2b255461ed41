"""Whole demo runs against a stand-in that fails 20 % of requests (the CI slice of the fault suite).

Every start of `cctui run` completes or stops with one clear `error:` line and no traceback; the
harness then resubmits what waits for a decision (as a user would) and resumes; the run
completes, nothing generated is lost or incomplete, no paid POST is sent more often than asked,
and the final state equals the uninterrupted reference run's. More seeds:
`python -m tests.faults.run_fault_suite --seeds 1,2,3,4,5,6,7,8`.
"""

from __future__ import annotations

import pytest

from tests.crash.run_crash_suite import reference_run
from tests.faults.run_fault_suite import RATE, fault_run

# Seeds whose draws hit paid POSTs (an unknown job with a submit that had arrived, a rate-limited
# submit) as well as LLM calls, polls and downloads; printed with every outcome.
SEEDS = [5, pytest.param(7, marks=pytest.mark.slow)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return reference_run("example", tmp_path_factory.mktemp("reference"), print)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_run_at_20_percent_faults_completes_whole(seed, reference, tmp_path):
    result = fault_run(seed, RATE, reference, tmp_path / f"seed-{seed}", print)
    report = result.summary()
    print(report)
    assert result.completed, report
    assert sum(result.faults_injected.values()) > 0, report
    assert not result.unclear, report
    assert not result.duplicates and not result.auto_resends, report
    assert not result.incomplete and not result.lost_content, report
    assert not result.mismatches, report
    for start in result.starts[:-1]:
        assert start.code != 0 and start.message.startswith("error: "), report
