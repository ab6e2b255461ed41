"""SIGKILL the worker of a narration (ElevenLabs voice) job around its one paid request; a new
worker never sends it again. Killed while the answer is on its way: the job is `unknown`, for the
creator to decide. Killed after the voice was saved (before or after its id was stored): the voice
is found again on disk and priced once. The stand-in saw exactly one request each time."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from speech_worker_process import TEXT, VOICE
from test_worker_killed import start_standin_with

from cctui.cli import main
from cctui.costs.prices import Prices

HERE = Path(__file__).resolve().parent
TTS = f"/elevenlabs/v1/text-to-speech/{VOICE}/with-timestamps"
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent.parent), str(HERE)]))


def get_json(url: str):
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def post_json(url: str, body: dict):
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def worker(mode: str, data: Path, base: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(HERE / "speech_worker_process.py"), mode, str(data),
                             f"{base}/elevenlabs"], stdout=subprocess.PIPE, text=True, env=ENV)


def said(proc: subprocess.Popen, word: str) -> str:
    line = proc.stdout.readline().strip()
    assert line.startswith(word + " "), line
    return line.split()[1]


def kill(proc: subprocess.Popen) -> None:
    assert proc.poll() is None, "the worker ended on its own before it was killed"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


def killed_after(mode: str, word: str, data: Path, base: str) -> str:
    """Run a worker to the point it says `word`, SIGKILL it there; the job's id."""
    proc = worker(mode, data, base)
    try:
        job_id = said(proc, word)
        kill(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return job_id


def resume(data: Path, base: str) -> tuple[list[str], dict]:
    done = subprocess.run([sys.executable, str(HERE / "speech_worker_process.py"), "resume", str(data),
                           f"{base}/elevenlabs"], capture_output=True, text=True, env=ENV, timeout=60)
    assert done.returncode == 0, done.stderr
    out = done.stdout.strip().splitlines()
    assert out[0].startswith("RESUMED "), out
    return json.loads(out[0].split(" ", 1)[1]), json.loads(out[-1])


def tts_posts(base: str) -> tuple[int | None, int | None]:
    counts = get_json(f"{base}/_standin/requests")
    return counts["submits"].get(f"POST {TTS}"), counts["accepted"].get(f"POST {TTS}")


def ledger(data: Path, job_id: str) -> list[tuple[float, str]]:
    db = sqlite3.connect(data / "cctui.db")
    try:
        return db.execute("SELECT amount, source FROM costs WHERE job_id = ?", (job_id,)).fetchall()
    finally:
        db.close()


def test_voice_killed_while_its_answer_is_on_the_way_is_left_to_the_creator(tmp_path, capsys):
    standin, base = start_standin_with(tmp_path / "standin")
    data = tmp_path / "data"
    try:
        # The stand-in makes (and charges) the voice, then holds the answer back: the worker dies
        # with its paid request done at the provider and nothing of it here.
        fault = post_json(f"{base}/_standin/inject", {"path_regex": "/with-timestamps$", "method": "POST",
                                                       "hold": 60})
        assert fault["hold"] == 60
        proc = worker("send", data, base)
        try:
            job_id = said(proc, "SENDING")
            deadline = time.monotonic() + 20
            while get_json(f"{base}/_standin/requests")["faults"][0]["held"] < 1:
                assert time.monotonic() < deadline, "the voice request never reached the stand-in"
                assert proc.poll() is None, "the worker ended before its request arrived"
                time.sleep(0.02)
            kill(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        assert not list((data / "media").glob("*.mp3"))

        followed, result = resume(data, base)
        # ElevenLabs keeps no list of voices made: there is nothing to look in, so nothing is followed.
        assert followed == []
        (job,) = result["jobs"]
        assert job["job_id"] == job_id and job["provider_job_id"] is None
        assert job["status"] == "unknown", job
        assert "may or may not have reached the provider" in job["error"], job["error"]
        assert not [c for c in result["content"] if c["kind"] == "audio"]
        # Made and charged once at the provider, never a second time by the resumed worker.
        assert tts_posts(base) == (1, 1)

        # What the creator is told to do with it: decide, never an automatic second charge.
        assert main(["--data-dir", str(data), "jobs"]) == 0
        listed = capsys.readouterr().out
        assert job_id in listed and "unknown" in listed and "may or may not have reached" in listed, listed
        assert f"cctui jobs --resubmit {job_id}" in listed and "--dismiss" in listed, listed
        assert tts_posts(base) == (1, 1)
    finally:
        standin.kill()
        standin.wait()


def test_voice_killed_after_its_id_was_stored_is_found_again_on_disk_and_priced_once(tmp_path):
    standin, base = start_standin_with(tmp_path / "standin")
    data = tmp_path / "data"
    try:
        job_id = killed_after("saved", "SAVED", data, base)
        price = Prices.load(data).speech("elevenlabs", "eleven_multilingual_v2", characters=len(TEXT)).amount
        assert price > 0 and ledger(data, job_id) == [(price, "prices")]

        followed, result = resume(data, base)
        assert followed == [job_id]
        (job,) = result["jobs"]
        assert job["status"] == "completed", job
        assert job["cost_amount"] == price and job["cost_unit"] == "usd"
        (audio,) = [c for c in result["content"] if c["kind"] == "audio"]
        assert Path(audio["local_path"]).stat().st_size > 1000 and audio["local_path"].endswith(".mp3")
        assert audio["metadata"]["timing_source"] == "alignment"
        assert [w["text"] for w in audio["metadata"]["words"]] == TEXT.split()
        assert ledger(data, job_id) == [(price, "prices")]
        assert tts_posts(base) == (1, 1)
    finally:
        standin.kill()
        standin.wait()


def test_voice_killed_after_its_answer_was_saved_but_before_its_id_was_stored_completes_from_disk(tmp_path):
    standin, base = start_standin_with(tmp_path / "standin")
    data = tmp_path / "data"
    try:
        job_id = killed_after("answered", "ANSWERED", data, base)
        assert len(list((data / "media").glob(f"*{job_id}.mp3"))) == 1
        assert len(list((data / "media").glob(f"*{job_id}.words.json"))) == 1
        assert ledger(data, job_id) == []

        followed, result = resume(data, base)
        # The voice under the job's own name is its answer: the job is done and paid for once,
        # at the charge the client worked out when the answer came, and nothing is sent again.
        assert followed == [job_id]
        (job,) = result["jobs"]
        price = Prices.load(data).speech("elevenlabs", "eleven_multilingual_v2", characters=len(TEXT)).amount
        assert job["status"] == "completed" and job["provider_job_id"], job
        assert job["cost_amount"] == price and ledger(data, job_id) == [(price, "prices")]
        (audio,) = [c for c in result["content"] if c["kind"] == "audio"]
        assert [w["text"] for w in audio["metadata"]["words"]] == TEXT.split()
        assert "_answer" not in audio["metadata"]  # the provider's id and charge stay in the words file
        assert tts_posts(base) == (1, 1)
    finally:
        standin.kill()
        standin.wait()
