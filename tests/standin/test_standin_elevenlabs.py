"""ElevenLabs music stand-in: key check, length limits, a real MP3."""

from __future__ import annotations

import re
import subprocess

import imageio_ffmpeg
import pytest

MUSIC = "/elevenlabs/v1/music"


def test_key_is_checked_with_the_elevenlabs_shape(http, sh):
    for headers in ({}, {"xi-api-key": "wrong"}, {"authorization": "Bearer el-test"}):
        r = http.post(MUSIC, json={"prompt": "cozy", "music_length_ms": 3000}, headers=headers)
        assert r.status_code == 401 and r.json()["detail"]["status"] == "invalid_api_key"
    user = http.get("/elevenlabs/v1/user", headers=sh.eleven)
    assert user.status_code == 200 and user.json()["subscription"]["status"] == "active"


@pytest.mark.parametrize("body, loc", [
    ({"prompt": "cozy", "music_length_ms": 2999}, ["body", "music_length_ms"]),
    ({"prompt": "cozy", "music_length_ms": 600001}, ["body", "music_length_ms"]),
    ({"prompt": "cozy", "music_length_ms": "30s"}, ["body", "music_length_ms"]),
    ({"music_length_ms": 5000}, ["body", "prompt"]),
])
def test_invalid_bodies_get_a_422_detail_list(http, sh, body, loc):
    r = http.post(MUSIC, json=body, headers=sh.eleven)
    assert r.status_code == 422
    (detail,) = r.json()["detail"]
    assert detail["loc"] == loc and detail["msg"] and detail["type"]


def test_music_is_a_real_mp3_of_the_requested_length(http, sh, tmp_path):
    r = http.post(MUSIC, json={"prompt": "gentle lo-fi for a sleepy cat", "music_length_ms": 4000,
                               "force_instrumental": True, "model_id": "music_v1"}, headers=sh.eleven)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg"
    path = tmp_path / "song.mp3"
    path.write_bytes(r.content)
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                           capture_output=True, text=True)
    assert "Audio: mp3" in probe.stderr
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", probe.stderr).groups()
    assert abs(int(h) * 3600 + int(m) * 60 + float(s) - 4.0) < 0.3


def test_music_markers(http, sh):
    bad = http.post(MUSIC, json={"prompt": "STANDIN:bad_prompt"}, headers=sh.eleven)
    assert bad.status_code == 400 and bad.json()["detail"]["status"] == "bad_prompt"
    assert bad.json()["detail"]["data"]["prompt_suggestion"]
    quota = http.post(MUSIC, json={"prompt": "STANDIN:quota"}, headers=sh.eleven)
    assert quota.status_code == 401 and quota.json()["detail"]["status"] == "quota_exceeded"
    limited = http.post(MUSIC, json={"prompt": "STANDIN:ratelimit"}, headers=sh.eleven)
    assert limited.status_code == 429 and limited.headers["retry-after"]
