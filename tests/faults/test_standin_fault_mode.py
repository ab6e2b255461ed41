"""The stand-in's random fault mode and its crash-test hooks do what they say.

Each fault kind of `cctui.standin.fault_mode` against a paid Leonardo POST: what the client sees,
and whether the provider did the work (the job exists and is counted as accepted) or not. Then
the hooks the crash suite times its kills with (`hold`, `drop_if_gone`, `throttle`) and the
record of served file hashes.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from cctui.standin import StandIn
from cctui.standin.fault_mode import KINDS

LEO = {"authorization": "Bearer leo"}
GEN = "/leonardo/api/rest/v1/generations"
BODY = {"prompt": "a cat on a rug", "width": 512, "height": 512, "num_images": 1}


def accepted(srv: StandIn) -> int:
    return srv.submit_counts()["accepted"].get(f"POST {GEN}", 0)


@pytest.mark.parametrize("kind", KINDS)
def test_each_fault_kind_on_a_paid_post(tmp_path, kind):
    srv = StandIn(job_seconds=0.2, data_dir=tmp_path, retry_after_seconds=0.25, fault_rate=1.0, fault_seed=3,
                  fault_kinds=[kind], fault_timeout=0.6)
    srv.start()
    try:
        with httpx.Client(base_url=srv.base_url, timeout=0.3) as client:
            outcome: object
            try:
                response = client.post(GEN, json=BODY, headers=LEO)
                outcome = response
            except httpx.HTTPError as exc:
                outcome = exc
        time.sleep(0.7 if kind == "timeout" else 0.05)  # let a held answer run its course
        processed = accepted(srv) == 1 and len(srv.jobs("leonardo")) == 1
        if kind == "429":
            assert outcome.status_code == 429 and outcome.headers["retry-after"] == "0.25"
            assert not processed and not srv.jobs()
        elif kind == "503":
            assert outcome.status_code == 503 and outcome.json()["code"] == "unexpected"
            assert not processed and not srv.jobs()
        elif kind == "500":
            assert outcome.status_code == 500 and processed
        elif kind == "timeout":
            assert isinstance(outcome, httpx.ReadTimeout) and processed
        elif kind in ("reset", "truncate"):
            assert isinstance(outcome, (httpx.RemoteProtocolError, httpx.ReadError)), outcome
            assert processed
        elif kind == "malformed":
            assert outcome.status_code == 200 and processed
            with pytest.raises(json.JSONDecodeError):
                outcome.json()
        log = srv.random_faults.entries()
        assert [e["kind"] for e in log] == [kind] and log[0]["path"] == GEN
        assert srv.submit_counts()["submits"][f"POST {GEN}"] == 1
    finally:
        srv.stop()


def kinds_for(seed: int, rate: float, tmp_path, n: int = 40) -> list[tuple[int, str]]:
    srv = StandIn(data_dir=tmp_path / f"s{seed}", fault_rate=rate, fault_seed=seed,
                  fault_kinds=["429", "500", "503", "malformed"])
    srv.start()
    try:
        with httpx.Client(base_url=srv.base_url, timeout=5) as client:
            for _ in range(n):
                client.get("/openai/v1/models", headers={"authorization": "Bearer k"})
            assert client.get("/_standin/requests").status_code == 200  # never a fault on control paths
        return [(e["n"], e["kind"]) for e in srv.random_faults.entries()]
    finally:
        srv.stop()


def test_a_seed_fixes_the_sequence_of_faults(tmp_path):
    first = kinds_for(11, 0.3, tmp_path / "a")
    assert first == kinds_for(11, 0.3, tmp_path / "b")
    assert first != kinds_for(12, 0.3, tmp_path / "c")
    assert 4 <= len(first) <= 22  # about 30 % of 40


def test_fault_mode_from_the_command_line(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "cctui.standin", "--port", "0", "--state-dir", str(tmp_path),
                             "--fault-rate", "1", "--fault-kinds", "503", "--fault-seed", "5"],
                            stdout=subprocess.PIPE, text=True)
    try:
        base = proc.stdout.readline().split()[1]
        assert httpx.get(base + "/openai/v1/models", headers={"authorization": "Bearer k"}).status_code == 503
        log = httpx.get(base + "/_standin/fault-log").json()
        assert log["mode"]["seed"] == 5 and log["faults"][0]["kind"] == "503"
        assert httpx.post(base + "/_standin/fault-mode", json={"enabled": False}).status_code == 200
        assert httpx.get(base + "/openai/v1/models", headers={"authorization": "Bearer k"}).status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
    bad = subprocess.run([sys.executable, "-m", "cctui.standin", "--state-dir", str(tmp_path), "--fault-rate", "0.2",
                          "--fault-kinds", "gremlins"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "unknown fault kind 'gremlins'" in bad.stderr and "Traceback" not in bad.stderr


# --------------------------------------------------------------------------- crash-test hooks


@pytest.fixture
def srv(tmp_path):
    server = StandIn(job_seconds=0.2, data_dir=tmp_path / "standin")
    server.start()
    yield server
    server.stop()


def fault_state(server: StandIn) -> dict:
    (fault,) = server.faults.describe()
    return fault


def test_hold_answers_only_after_the_job_exists(srv):
    srv.inject(f"^{GEN}$", method="POST", hold=0.6)
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(r=httpx.post(srv.base_url + GEN, json=BODY, headers=LEO,
                                                                        timeout=5)))
    started = time.monotonic()
    thread.start()
    while fault_state(srv)["held"] == 0:
        assert time.monotonic() - started < 5
        time.sleep(0.01)
    assert accepted(srv) == 1 and len(srv.jobs("leonardo")) == 1  # paid for, the answer not yet out
    assert "r" not in result
    thread.join(5)
    assert result["r"].status_code == 200 and time.monotonic() - started >= 0.6
    assert fault_state(srv)["finished"] == 1


def raw_post(server: StandIn, path: str, body: dict) -> socket.socket:
    data = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer leo\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    return sock


def test_drop_if_gone_drops_a_request_whose_client_hung_up(srv):
    srv.inject(f"^{GEN}$", method="POST", delay=0.4, drop_if_gone=True)
    sock = raw_post(srv, GEN, BODY)
    while fault_state(srv)["used"] == 0:
        time.sleep(0.01)
    sock.close()  # the client is gone while its request waits
    deadline = time.monotonic() + 5
    while fault_state(srv)["dropped"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert accepted(srv) == 0 and not srv.jobs()
    # A client that stays gets its answer after the delay.
    srv.clear_faults()
    srv.inject(f"^{GEN}$", method="POST", delay=0.2, drop_if_gone=True)
    assert httpx.post(srv.base_url + GEN, json=BODY, headers=LEO, timeout=5).status_code == 200
    assert fault_state(srv)["dropped"] == 0 and accepted(srv) == 1


def test_throttle_spreads_a_download_and_served_hashes_are_recorded(srv):
    job = httpx.post(srv.base_url + GEN, json=BODY, headers=LEO).json()["sdGenerationJob"]
    time.sleep(0.3)
    gen = httpx.get(f"{srv.base_url}/leonardo/api/rest/v1/generations/{job['generationId']}", headers=LEO).json()
    url = gen["generations_by_pk"]["generated_images"][0]["url"]
    srv.inject(r"\.png$", method="GET", throttle=0.8)
    started = time.monotonic()
    data = httpx.get(url).content
    assert time.monotonic() - started >= 0.7 and fault_state(srv)["held"] == 1
    served = {f["sha256"]: f for f in httpx.get(srv.base_url + "/_standin/served").json()["files"]}
    digest = hashlib.sha256(data).hexdigest()
    assert digest in served and served[digest]["size"] == len(data)
    assert hashlib.sha256(data[:-1]).hexdigest() not in served


def test_openai_images_are_recorded_as_served(srv):
    answer = httpx.post(srv.base_url + "/openai/v1/images/generations", headers={"authorization": "Bearer k"},
                        json={"model": "gpt-image-1", "prompt": "a cat", "size": "1024x1024", "quality": "low"},
                        timeout=30).json()
    import base64

    data = base64.b64decode(answer["data"][0]["b64_json"])
    assert hashlib.sha256(data).hexdigest() in {f["sha256"] for f in srv.served.entries()}


def test_reset_and_malformed_actions_after_the_route_ran(srv):
    srv.inject(f"^{GEN}$", method="POST", action="reset")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.post(srv.base_url + GEN, json=BODY, headers=LEO, timeout=5)
    srv.inject(f"^{GEN}$", method="POST", action="malformed")
    response = httpx.post(srv.base_url + GEN, json=BODY, headers=LEO, timeout=5)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()
    srv.inject(f"^{GEN}$", method="POST", status=500, after=True)
    assert httpx.post(srv.base_url + GEN, json=BODY, headers=LEO, timeout=5).status_code == 500
    assert accepted(srv) == 3 and len(srv.jobs("leonardo")) == 3
