"""One TLS context for every provider client: building one loads the CA bundle (~20 ms), and
cctui makes six clients, so sharing it takes most of that off the first use of each provider."""

from __future__ import annotations

import functools
import ssl

import certifi
import openai


@functools.cache
def ssl_context() -> ssl.SSLContext:
    # The same trust store httpx uses by default (certifi's bundle).
    return ssl.create_default_context(cafile=certifi.where())


def openai_http_client() -> openai.DefaultAsyncHttpxClient:
    """The SDK's own default client (its limits, redirects), with the shared context; timeouts
    and retries are still set per `AsyncOpenAI`."""
    return openai.DefaultAsyncHttpxClient(verify=ssl_context())


__all__ = ["ssl_context", "openai_http_client"]
