"""`api.fetch` in a real engine against a local HTTP server: the seed's model-list shape
(`base_url` + path, `extract_path`), JSON bodies and params, text answers, failures, timeouts,
redirects and addresses that are not http(s); a header's key never reaches a message or the log."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

from cctui.records import RunStatus
from one_step_workflow import finish, write

SECRET = "sk-test-not-to-be-seen-0123456789"


class Service:
    """A small HTTP service on a free local port that records what it was sent."""

    def __init__(self):
        self.seen: list[dict] = []
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                service.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                     "body": body.decode()})
                route = self.path.split("?")[0]
                if route == "/slow":
                    time.sleep(0.8)
                status, payload, kind = {
                    "/wm-api/models/by_category": (200, {"categories": {"sdxl": ["juggernaut", "pony"]}}, "json"),
                    "/echo": (200, {"path": self.path, "body": json.loads(body or b"null")}, "json"),
                    "/text": (200, "plain words", "text"),
                    "/fail": (500, {"error": "the model list is being rebuilt"}, "json"),
                    "/slow": (200, {}, "json"),
                    "/moved": (302, {}, "json"),
                }.get(route, (404, "no such page", "text"))
                data = json.dumps(payload).encode() if kind == "json" else payload.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if kind == "json" else "text/plain")
                if status == 302:
                    self.send_header("Location", "https://elsewhere.example/list")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service():
    running = Service()
    try:
        yield running
    finally:
        running.stop()


def fetch(**inputs) -> dict:
    return {"module_id": "api.fetch", "name": "fetch_sd_models", "inputs": inputs,
            "outputs_to_state": {"response": "sd_model_categories", "status_code": "status", "success": "ok"}}


async def test_the_seed_model_list_shape(fake_engine, tmp_path, service):
    module = fetch(url="/wm-api/models/by_category", base_url=service.base, method="GET",
                   extract_path="categories", error_on_failure=True, headers={"X-Api-Key": SECRET})
    run = await finish(fake_engine, write(tmp_path / "w", module))
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["sd_model_categories"] == {"sdxl": ["juggernaut", "pony"]}
    assert (run.state["status"], run.state["ok"]) == (200, True)
    assert service.seen[0]["headers"]["X-Api-Key"] == SECRET
    logged = json.dumps([e.data for e in await fake_engine.services.store.events(run.run_id)])
    assert SECRET not in logged


async def test_a_json_body_and_params_are_sent_and_text_answers_kept(fake_engine, tmp_path, service):
    modules = (fetch(url=f"{service.base}/echo", method="post", body={"n": 2, "tags": ["a"]}, params={"q": "cat"}),
               {**fetch(url=f"{service.base}/text"), "name": "plain",
                "outputs_to_state": {"response": "plain"}})
    run = await finish(fake_engine, write(tmp_path / "w", *modules))
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.state["sd_model_categories"] == {"path": "/echo?q=cat", "body": {"n": 2, "tags": ["a"]}}
    assert service.seen[0]["headers"]["Content-Type"] == "application/json"
    assert run.state["plain"] == {"text": "plain words"}


async def test_a_failure_is_kept_when_asked(fake_engine, tmp_path, service):
    run = await finish(fake_engine, write(tmp_path / "w", fetch(url=f"{service.base}/fail", error_on_failure=False)))
    assert run.status is RunStatus.COMPLETED, run.error
    assert (run.state["status"], run.state["ok"]) == (500, False)
    assert run.state["sd_model_categories"] == {"error": "the model list is being rebuilt"}


@pytest.mark.parametrize("inputs, reason", [
    ({"url": "/fail", "headers": {"Authorization": f"Bearer {SECRET}"}},
     "answered 500: the model list is being rebuilt"),
    ({"url": "/moved"}, "answered 302 (a redirect to https://elsewhere.example/list: use that address)"),
    ({"url": "/slow", "timeout": 0.3}, "did not answer within 0.3 s"),
    ({"url": "/wm-api/models/by_category", "extract_path": "categories.flux"},
     "`extract_path` 'categories.flux' stops at 'flux': the answer has keys sdxl there"),
    ({"url": "/text", "method": "FETCH"}, "input `method` is 'FETCH'"),
])
async def test_fetch_errors_name_the_module_and_what_to_do(fake_engine, tmp_path, service, inputs, reason):
    run = await finish(fake_engine, write(tmp_path / "w", fetch(base_url=service.base, **inputs)))
    assert run.status is RunStatus.ERROR
    assert "module 'fetch_sd_models'" in run.error and reason in run.error and SECRET not in run.error


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/list", "gopher://x", "http://"])
async def test_only_http_addresses_are_fetched(fake_engine, tmp_path, service, url):
    run = await finish(fake_engine, write(tmp_path / "w", fetch(url=url)))
    assert run.status is RunStatus.ERROR
    assert "only fetches http:// and https:// addresses" in run.error and service.seen == []
