"""The ComfyUI hosts a creator lists in COMFYUI_URLS, read and checked.

    COMFYUI_URLS="http://127.0.0.1:8188, http://gpu-box.lan:8188, https://swarm.example.com*4"

Entries are separated by commas or blanks. `*N` after a URL says that host runs N graphs at once
(a front such as SwarmUI or ComfyUI-Distributed over several GPUs); a plain ComfyUI runs one.
Only the standard library is imported here: the settings read this before the first paint.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_SLOTS = 64
_ENTRY = re.compile(r"^(?P<url>[^*\s]+?)(?:\*(?P<slots>\d+))?$")


@dataclass(frozen=True)
class ComfyHost:
    url: str  # without a trailing slash
    slots: int = 1

    @property
    def shown(self) -> str:
        """The host fit to print: scheme, host and port, never a user:password@ or a query."""
        parts = urlsplit(self.url)
        host = parts.hostname or "?"
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"


def _private(host: str) -> bool:
    """This machine or the local network: where plain http carries no token past a router."""
    if host.lower() == "localhost" or host.lower().endswith((".local", ".lan", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    # 100.64.0.0/10 is where Tailscale and carrier-grade NAT put machines; it is not "private".
    return address.is_private or address.is_loopback or address in ipaddress.ip_network("100.64.0.0/10")


def parse_hosts(text: str, *, token: bool = False) -> list[ComfyHost]:
    """The hosts in `text`, or a ValueError naming the entry that is wrong and how to write it.
    With `token` (COMFYUI_TOKEN is set), plain http is only allowed to this machine or the local
    network, because the token travels in a header."""
    hosts: list[ComfyHost] = []
    seen: set[str] = set()
    for number, entry in enumerate((e for e in re.split(r"[,\s]+", text or "") if e), start=1):
        found = _ENTRY.match(entry)
        if not found:
            raise ValueError(f"COMFYUI_URLS entry {number} ({entry[:60]!r}) is not a URL with an optional "
                             f"*N: write e.g. http://127.0.0.1:8188 or https://swarm.example.com*4")
        url = found["url"].rstrip("/")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValueError(f"COMFYUI_URLS entry {number} has a port that is not a number from 1 to 65535") from None
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        if scheme not in ("http", "https") or not host:
            raise ValueError(f"COMFYUI_URLS entry {number} ({entry[:60]!r}) must start with http:// or https:// "
                             f"and name a host, e.g. http://127.0.0.1:8188")
        if port == 0:
            raise ValueError(f"COMFYUI_URLS entry {number} must have a port from 1 to 65535")
        if parts.query or parts.fragment:
            raise ValueError(f"COMFYUI_URLS entry {number} has a ?query or #fragment: give the server's base URL only")
        if token and scheme == "http" and not _private(host):
            raise ValueError(f"COMFYUI_URLS entry {number} uses plain http to {host}, and COMFYUI_TOKEN would travel "
                             f"in the clear: use https, or a host on this machine or the local network")
        slots = int(found["slots"] or 1)
        if not 1 <= slots <= MAX_SLOTS:
            raise ValueError(f"COMFYUI_URLS entry {number}: *{slots} is not from 1 to {MAX_SLOTS} graphs at once")
        if url in seen:
            raise ValueError(f"COMFYUI_URLS lists {ComfyHost(url).shown} twice: give each host once (use *N for a "
                             f"host that runs several graphs at once)")
        seen.add(url)
        hosts.append(ComfyHost(url, slots))
    return hosts
