"""`api.fetch`: one HTTP request to a service a workflow names (the seed's CC once listed a
Stable Diffusion server's models this way); the JSON answer, or `{text}`, becomes `response`.

Only http and https are fetched, redirects are not followed (a key in a header must not travel to
another host), the answer is read up to a size limit, and headers are never written to a message
or a log: they may carry keys.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract
from cctui.workflow.module_shape import json_type

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
MAX_BYTES = 20 * 1024 * 1024


class FetchInputs(Inputs):
    url: str
    base_url: str | None = None
    method: str = "GET"
    headers: dict[str, str] = {}
    body: Any = None
    params: dict[str, Any] = {}
    timeout: int | float = 30
    extract_path: str | None = None
    error_on_failure: bool = True


@register
class Fetch(Module):
    module_id = "api.fetch"
    contract = ModuleContract(inputs=FetchInputs, outputs=frozenset({"response", "status_code", "success"}),
                              working="Fetching")

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        url = _url(ctx, inputs.get("url"), inputs.get("base_url"))
        method = str(inputs.get("method") or "GET").upper()
        if method not in METHODS:
            raise ModuleError(f"{ctx.where}: input `method` is {method!r}; use one of {', '.join(METHODS)}",
                              retryable=False)
        headers, params = inputs.get("headers") or {}, inputs.get("params") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ModuleError(f"{ctx.where}: input `headers` must be an object of text values", retryable=False)
        if not isinstance(params, dict):
            raise ModuleError(f"{ctx.where}: input `params` must be an object, not {json_type(params)}",
                              retryable=False)
        timeout = inputs.get("timeout", 30)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ModuleError(f"{ctx.where}: input `timeout` must be a number of seconds above 0, not {timeout!r}",
                              retryable=False)
        body = inputs.get("body")
        try:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                async with client.stream(method, url, headers=headers, params=params,
                                         json=body if body is not None else None) as answer:
                    status, raw = answer.status_code, await _read(ctx, answer, url)
                    location = answer.headers.get("location")
        except httpx.TimeoutException:
            raise ModuleError(f"{ctx.where}: {method} {url} did not answer within {timeout} s: check the service "
                              f"is up, or raise `timeout`", retryable=True) from None
        except httpx.HTTPError as exc:
            raise ModuleError(f"{ctx.where}: {method} {url} failed ({type(exc).__name__}: {exc}): check the "
                              f"address and that the service is reachable", retryable=True) from None
        response = _decoded(raw)
        success = 200 <= status < 300
        if not success and inputs.get("error_on_failure", True) is not False:
            said = response.get("error") if isinstance(response, dict) and response.get("error") else raw[:200].decode(
                "utf-8", "replace")
            hint = f" (a redirect to {location}: use that address)" if location and 300 <= status < 400 else ""
            raise ModuleError(f"{ctx.where}: {method} {url} answered {status}{hint}: {said}", retryable=True)
        if success and inputs.get("extract_path"):
            response = _extract(ctx, response, str(inputs["extract_path"]))
        return {"response": response, "status_code": status, "success": success}


def _url(ctx: ModuleContext, url: Any, base: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ModuleError(f"{ctx.where}: input `url` must be an address, not "
                          f"{json_type(url) if not isinstance(url, str) else 'empty text'}", retryable=False)
    if base and not url.startswith(("http://", "https://")):
        if not isinstance(base, str):
            raise ModuleError(f"{ctx.where}: input `base_url` must be text, not {json_type(base)}", retryable=False)
        url = urljoin(base.rstrip("/") + "/", url.lstrip("/"))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ModuleError(f"{ctx.where}: {url!r} is not an http(s) address; api.fetch only fetches http:// and "
                          f"https:// addresses (give one, or a `base_url` with a path in `url`)", retryable=False)
    return url


async def _read(ctx: ModuleContext, answer: httpx.Response, url: str) -> bytes:
    data = bytearray()
    async for chunk in answer.aiter_bytes():
        data += chunk
        if len(data) > MAX_BYTES:
            raise ModuleError(f"{ctx.where}: the answer from {url} is larger than {MAX_BYTES // 2**20} MB; "
                              f"fetch a smaller resource", retryable=False)
    return bytes(data)


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return {"text": raw.decode("utf-8", "replace")}


def _extract(ctx: ModuleContext, data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            have = (f"keys {', '.join(map(str, list(data)[:20]))}" if isinstance(data, dict)
                    else f"{len(data)} items" if isinstance(data, list) else json_type(data))
            raise ModuleError(f"{ctx.where}: `extract_path` {path!r} stops at {part!r}: the answer has {have} "
                              f"there; correct the path", retryable=False)
    return data
