"""Credentials in URLs (`https://user:password@host`) taken out of any text before it is shown.

A base URL may carry a gateway's password; it is printed by `doctor`, quoted in error messages
and written into every request line httpx logs, so every one of those goes through here.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# scheme://netloc, the netloc ending where a path, query, fragment, space or quote begins.
_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/?#\s\"'<>]*)")


def _hide_userinfo(match: re.Match[str]) -> str:
    scheme, netloc = match.group(1), match.group(2)
    if "@" not in netloc:
        return match.group(0)
    # The host follows the last @: a password may hold an unencoded one.
    return scheme + "***@" + netloc.rpartition("@")[2]


def redact_urls(text: str) -> str:
    """`text` with the user and password of every URL in it replaced by ***
    (`https://user:PASS@host/x` becomes `https://***@host/x`)."""
    return _URL.sub(_hide_userinfo, text) if "@" in text else text


def url_userinfo(url: str) -> str:
    """The `user:password` part of `url` exactly as written, or "" (for scrubbing it elsewhere)."""
    try:
        netloc = urlsplit(str(url).strip()).netloc
    except ValueError:
        return ""
    return netloc.rpartition("@")[0]
