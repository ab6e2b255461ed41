"""The stand-in itself: fault injection, truncated downloads, ranges, request records, counts."""

from __future__ import annotations

import httpx
import pytest
from openai import OpenAI, RateLimitError

from cctui.standin import StandIn


def test_base_urls_point_at_the_provider_prefixes(standin):
    urls = standin.base_urls
    assert urls["openai"] == urls["sora"] == f"{standin.base_url}/openai/v1"
    assert urls["leonardo"].endswith("/leonardo/api/rest/v1") and urls["elevenlabs"].endswith("/elevenlabs")
    assert standin.base_url.startswith("http://127.0.0.1:")


def test_injected_429_then_normal_answers(http, sh, standin):
    fault = standin.inject(r"/openai/v1/models$", 429, headers={"Retry-After": "1"}, times=2)
    for _ in range(2):
        r = http.get("/openai/v1/models", headers=sh.openai)
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        assert r.json()["error"]["code"] == "rate_limit_exceeded" and r.headers["x-request-id"]
    assert http.get("/openai/v1/models", headers=sh.openai).status_code == 200
    assert fault.remaining == 0
    assert [r.injected for r in standin.requests] == [True, True, False]


def test_injected_body_method_filter_and_provider_default_bodies(http, sh, standin):
    standin.inject(r"/generations$", 500, method="POST")
    standin.inject(r"/v1/music$", 503)
    standin.inject(r"/custom$", 418, body={"teapot": True})
    r = http.post("/leonardo/api/rest/v1/generations", json={"prompt": "x"}, headers=sh.leonardo)
    assert r.status_code == 500 and r.json()["code"] == "unexpected"
    r = http.post("/elevenlabs/v1/music", json={"prompt": "x"}, headers=sh.eleven)
    assert r.status_code == 503 and r.json()["detail"]["status"] == "internal_error"
    assert http.get("/custom").json() == {"teapot": True}
    with pytest.raises(ValueError):
        standin.inject("x")


def test_sdk_retries_injected_rate_limits(standin):
    standin.inject(r"/chat/completions$", 429, headers={"retry-after-ms": "10"}, times=2)
    client = OpenAI(base_url=standin.base_urls["openai"], api_key="sk-test", max_retries=2)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert standin.count("POST", "/openai/v1/chat/completions") == 3
    standin.inject(r"/chat/completions$", 429, times=None)
    with pytest.raises(RateLimitError):
        client.with_options(max_retries=0).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    standin.clear_faults()


def sora_video(http, sh):
    parts = [("model", (None, "sora-2")), ("prompt", (None, "cat")), ("size", (None, "720x1280")),
             ("input_reference", ("r.png", sh.image_bytes((720, 1280)), "image/png"))]
    video = http.post("/openai/v1/videos", files=parts, headers=sh.openai).json()
    sh.wait_until(lambda: http.get(f"/openai/v1/videos/{video['id']}", headers=sh.openai).json(),
                  lambda v: v["status"] == "completed")
    return f"/openai/v1/videos/{video['id']}/content"


def test_truncated_download_is_detectable_and_ranges_resume(http, sh, standin):
    url = sora_video(http, sh)
    full = http.get(url, headers=sh.openai).content
    standin.inject(r"/content$", truncate=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(url, headers=sh.openai)
    with httpx.Client(base_url=standin.base_url) as fresh:
        with fresh.stream("GET", url, headers=sh.openai) as response:
            assert int(response.headers["content-length"]) == len(full)
            assert response.headers["accept-ranges"] == "bytes"
        tail = fresh.get(url, headers={**sh.openai, "range": "bytes=100-"})
        assert tail.status_code == 206 and tail.content == full[100:]
        assert tail.headers["content-range"] == f"bytes 100-{len(full) - 1}/{len(full)}"
        assert fresh.get(url, headers={**sh.openai, "range": f"bytes={len(full)}-"}).status_code == 416
        assert fresh.head(url, headers=sh.openai).headers["content-length"] == str(len(full))


def test_requests_are_recorded_without_secrets(http, sh, standin):
    http.post("/openai/v1/chat/completions", headers=sh.openai,
              json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x" * 1000}]})
    http.post("/elevenlabs/v1/music", json={"prompt": "song", "music_length_ms": 1}, headers=sh.eleven)
    chat, music = standin.requests
    assert chat.headers["authorization"] == "<redacted>" and music.headers["xi-api-key"] == "<redacted>"
    assert "sk-test" not in repr(standin.requests) and "el-test" not in repr(standin.requests)
    assert chat.provider == "openai" and chat.status == 200 and chat.json["model"] == "gpt-4o-mini"
    assert len(chat.json["messages"][0]["content"]) < 200, "long strings are shortened"
    assert music.status == 422
    assert standin.count("POST", "/elevenlabs/v1/music") == 1
    assert standin.count("*", r"^/openai/", regex=True) == 1
    counts = http.get("/_standin/requests").json()
    assert counts["submits"] == {"POST /openai/v1/chat/completions": 1, "POST /elevenlabs/v1/music": 1}
    assert counts["accepted"] == {"POST /openai/v1/chat/completions": 1}
    assert standin.submit_counts()["submits"] == counts["submits"]
    log = http.get("/_standin/log").json()["requests"]
    assert [r["path"] for r in log][:2] == ["/openai/v1/chat/completions", "/elevenlabs/v1/music"]


def test_faults_can_be_injected_over_http(http, sh):
    assert http.post("/_standin/inject", json={"path_regex": "/models$", "status": 500}).status_code == 200
    assert http.get("/openai/v1/models", headers=sh.openai).status_code == 500
    http.post("/_standin/inject", json={"path_regex": "/models$", "status": 500, "times": None})
    assert http.delete("/_standin/faults").status_code == 204
    assert http.get("/openai/v1/models", headers=sh.openai).status_code == 200


def test_unknown_paths_get_the_provider_shaped_404(http, sh):
    r = http.get("/openai/v1/nothing", headers=sh.openai)
    assert r.status_code == 404 and "Invalid URL" in r.json()["error"]["message"]
    assert http.get("/leonardo/api/rest/v1/nothing", headers=sh.leonardo).status_code == 404
    assert http.get("/openai/v1/chat/completions", headers=sh.openai).status_code == 405


def test_jobs_survive_a_restart_on_the_same_data_dir(tmp_path, sh):
    with StandIn(keys=sh.keys, job_seconds=0.3, data_dir=tmp_path / "s") as first:
        with httpx.Client(base_url=first.base_url) as http:
            r = http.post("/leonardo/api/rest/v1/generations", json={"prompt": "cat", "num_images": 1},
                          headers=sh.leonardo)
            gen_id = r.json()["sdGenerationJob"]["generationId"]
    with StandIn(keys=sh.keys, job_seconds=0.3, data_dir=tmp_path / "s") as second:
        with httpx.Client(base_url=second.base_url) as http:
            done = sh.wait_until(lambda: http.get(f"/leonardo/api/rest/v1/generations/{gen_id}",
                                                  headers=sh.leonardo).json()["generations_by_pk"],
                                 lambda g: g["status"] == "COMPLETE")
            url = done["generated_images"][0]["url"]
            assert url.startswith(second.base_url), "file URLs follow the current address"
            assert http.get(url).status_code == 200
        counts = second.submit_counts()
        assert counts["submits"]["POST /leonardo/api/rest/v1/generations"] == 1 and counts["starts"] == 2


def test_a_client_gone_mid_request_prints_nothing(standin, capfd):
    """The demo runs the stand-in inside the app: a client reset (cctui quit while it waited, a
    killed worker) must not draw a traceback over the screen."""
    import socket
    import struct
    import time

    host, port = standin.base_urls["openai"].split("//")[1].split("/")[0].split(":")
    conn = socket.create_connection((host, int(port)))
    conn.sendall(b"GET /_standin/requests HTTP/1.1\r\nHost: x\r\n\r\n")
    conn.recv(65536)  # answered; the server now waits for the next request on this connection
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()  # a reset, not a clean close
    time.sleep(0.3)
    with httpx.Client() as client:  # the server still answers
        assert client.get(f"http://{host}:{port}/_standin/requests").status_code == 200
    assert "Traceback" not in capfd.readouterr().err
