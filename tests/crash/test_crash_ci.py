"""The CI slice of the crash suite: one trial of the demo batch run, killed six times, one kill point
of each kind (and a second download), resumed to the end after each kill.

The full suite (50 kills at random points by default) is `python -m tests.crash.run_crash_suite`;
see its docstring for the kill points and the checks. Here the plan is fixed and the seed too,
both printed, so a failure replays with
`python -m tests.crash.run_crash_suite --trial-seed SEED --variant openai-image --plan PLAN`.
"""

from __future__ import annotations

import pytest

from tests.crash.run_crash_suite import suite

SEED = 20261125
# In the order they happen in a run. With the answers variant that picks the OpenAI image,
# Leonardo's image-to-video needs the presigned upload.
PLAN = ["download:leonardo-image-file", "submit:openai-images-held", "upload:leonardo-presigned-upload",
        "download:sora-video-content", "db_write", "random"]


@pytest.mark.slow
def test_killed_at_each_kind_of_point_the_run_resumes_whole(tmp_path):
    lines: list[str] = []

    def say(line: str) -> None:
        print(line)
        lines.append(line)

    totals = suite(0, SEED, tmp_path, say, plans=[("openai-image", PLAN)])
    report = "\n".join(lines)
    (trial,) = totals["results"]
    kinds = {k["kind"] for k in trial["kills"]}
    assert {"upload", "submit", "download", "db_write"} <= kinds, report
    assert totals["kills"] >= 5, report
    assert trial["completed"] and not trial["errors"], report
    assert totals["duplicate_submits"] == 0 and totals["auto_resends"] == 0, report
    assert totals["incomplete_files"] == 0, report
    assert totals["state_mismatches"] == 0, report
    # The kill while the images answer was held left an unknown job whose submit had arrived: the
    # harness resubmitted it as a user would, and that second submit is counted apart.
    assert totals["approved_second_submits"] >= 1 and totals["resubmits_first_never_arrived"] >= 1, report
    assert totals["ok"], report
