"""The crash and fault suites' own checks catch what they are there to catch."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.crash.harness import Snapshot, differences, duplicate_submits, incomplete_files, normalise

VIDEOS = "POST /openai/v1/videos"
MUSIC = "POST /elevenlabs/v1/music"


def snap_with(files: list[dict]) -> Snapshot:
    return Snapshot("r", "completed", {}, [], [], files, {}, {})


def test_incomplete_files_flags_missing_cut_and_foreign_files(tmp_path):
    whole = b"\x00\x00\x00\x18ftypmp42" + b"x" * 1000
    served = {hashlib.sha256(whole).hexdigest(): {"size": len(whole)}}
    good = {"kind": "video", "which": "local_path", "path": "a.mp4", "exists": True, "size": len(whole),
            "sha256": hashlib.sha256(whole).hexdigest()}
    cut = dict(good, path="b.mp4", size=500, sha256=hashlib.sha256(whole[:500]).hexdigest())
    gone = dict(good, path="c.mp4", exists=False, size=None, sha256=None)
    assert incomplete_files(snap_with([good]), served) == []
    bad = incomplete_files(snap_with([good, cut, gone]), served)
    assert len(bad) == 2 and "b.mp4: 500 bytes" in bad[0] and "c.mp4: missing" in bad[1]


def test_duplicates_count_beyond_the_reference_and_approved_resubmits():
    reference = {VIDEOS: 1, MUSIC: 1}
    assert duplicate_submits({VIDEOS: 1, MUSIC: 1}, reference, {}) == {}
    assert duplicate_submits({VIDEOS: 2, MUSIC: 1}, reference, {VIDEOS: 1}) == {}  # the user approved it
    assert duplicate_submits({VIDEOS: 2, MUSIC: 2}, reference, {VIDEOS: 1}) == {MUSIC: 1}
    assert duplicate_submits({VIDEOS: 3, MUSIC: 1}, reference, {VIDEOS: 1}) == {VIDEOS: 1}


def test_normalise_keeps_what_matters_and_differences_name_it():
    data = Path("/tmp/x/data")
    url = "http://127.0.0.1:4242"
    one = {"selected": {"content_id": "c_0123456789ab", "local_path": f"{data}/runs/R1/media/v_leonardo_j_aaaaaaaaaaaa.mp4",
                        "url": f"{url}/_files/leonardo/0b9f0d2e-1111-4222-8333-444455556666/x.mp4",
                        "interaction_id": 37, "created_at": 1.5, "metadata": {"video_id": "video_" + "a" * 32}},
           "title": "Tiny Yawns"}
    two = {"selected": {"content_id": "c_ba9876543210", "local_path": "/tmp/y/data/runs/R2/media/v_leonardo_j_bbbbbbbbbbbb.mp4",
                        "url": "http://127.0.0.1:9999/_files/leonardo/9b9f0d2e-1111-4222-8333-444455556666/x.mp4",
                        "interaction_id": 59, "created_at": 9.5, "metadata": {"video_id": "video_" + "b" * 32}},
           "title": "Tiny Yawns"}
    a = normalise(one, data, "R1", url)
    b = normalise(two, Path("/tmp/y/data"), "R2", "http://127.0.0.1:9999")
    assert a == b and a["selected"]["local_path"] == "<DATA>/runs/<RUN>/media/v_leonardo_<JOB>.mp4"
    two["title"] = "Tiny Yawns!"
    two["selected"]["local_path"] = "/tmp/y/data/runs/R2/media/v_sora_j_bbbbbbbbbbbb.mp4"
    found = differences(a, normalise(two, Path("/tmp/y/data"), "R2", "http://127.0.0.1:9999"))
    assert len(found) == 2 and any("local_path" in d for d in found) and any("$.title" in d for d in found)
