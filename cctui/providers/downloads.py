"""Getting a provider's output bytes onto disk: whole files under their final name, or nothing.

Every client downloads through `save_download()`: it streams into `<stem><suffix>.part`, checks
the byte count against `content-length`, refuses a JSON/XML/text document where a media file was
expected (an error page or a garbled answer), retries a failed or truncated transfer a few times
with backoff, and renames to the final name only when the file is complete. File names come from
the job's `stem` and the content type, never from a URL or a prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable, Mapping

import httpx

from .base import ProviderError
from .http_errors import redact, short, status_kind

try:  # the openai SDK ships its own fork of httpx; its transport errors count as well
    import httpx2 as _httpx2

    _HTTPX2_ERRORS: tuple[type[BaseException], ...] = (_httpx2.TransportError,)
except ImportError:  # pragma: no cover - depends on the installed SDK
    _HTTPX2_ERRORS = ()

try:
    import openai as _openai

    _OPENAI_ERRORS: tuple[type[BaseException], ...] = (_openai.APIConnectionError,)
except ImportError:  # pragma: no cover
    _OPENAI_ERRORS = ()

TRANSFER_ERRORS: tuple[type[BaseException], ...] = (
    httpx.TransportError, *_HTTPX2_ERRORS, *_OPENAI_ERRORS)

MIME_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/flac": ".flac",
}
EXTENSION_MIMES = {".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp",
                   ".gif": "image/gif", ".mp4": "video/mp4", ".mov": "video/quicktime",
                   ".webm": "video/webm", ".mp3": "audio/mpeg", ".wav": "audio/wav",
                   ".ogg": "audio/ogg", ".opus": "audio/opus", ".flac": "audio/flac"}


# The most a download may write, by the kind of file asked for: far above what any provider
# makes for a short video, far below what fills a disk (a 10 GB stream was seen doing so).
MAX_BYTES = {"image": 64 * 2**20, "video": 2 * 2**30, "audio": 256 * 2**20}
_KIND_OF_EXT = {".png": "image", ".jpg": "image", ".jpeg": "image", ".webp": "image", ".gif": "image",
                ".mp4": "video", ".mov": "video", ".webm": "video", ".mp3": "audio", ".wav": "audio",
                ".ogg": "audio", ".opus": "audio", ".flac": "audio"}


def size_cap(default_ext: str) -> int:
    return MAX_BYTES.get(_KIND_OF_EXT.get(default_ext.lower(), "video"), MAX_BYTES["video"])


class _TooLarge(Exception):
    pass


@dataclass
class Stream:
    """An open HTTP response body, whoever opened it (httpx or the openai SDK)."""

    status: int
    headers: Mapping[str, str]
    chunks: AsyncIterator[bytes]


Opener = Callable[[], contextlib.AbstractAsyncContextManager[Stream]]


@dataclass
class SavedFile:
    path: Path
    mime: str
    size: int


class _Incomplete(Exception):
    pass


def mime_of(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def sniff_extension(head: bytes) -> str | None:
    """The extension the first bytes of a file announce, for servers that send no content type."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return ".wav"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return ".gif"
    if head[4:8] == b"ftyp":
        return ".mov" if head[8:10] == b"qt" else ".mp4"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return ".mp3"
    if head.startswith(b"OggS"):
        return ".ogg"
    if head.startswith(b"fLaC"):
        return ".flac"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return ".webm"
    return None


# Content types that announce a document, not media: a 2xx answer with one of them and no media
# signature in its first bytes is an error page or a garbled answer, never the file.
_DOCUMENT_TYPES = ("application/json", "application/xml", "application/problem+json", "text/")


def is_document(content_type: str | None, head: bytes) -> bool:
    mime = mime_of(content_type)
    return bool(mime) and mime.startswith(_DOCUMENT_TYPES) and sniff_extension(head) is None


def extension_for(content_type: str | None, head: bytes, default_ext: str) -> str:
    return MIME_EXTENSIONS.get(mime_of(content_type)) or sniff_extension(head) or default_ext


def httpx_opener(client: httpx.AsyncClient, url: str, *, method: str = "GET",
                 headers: Mapping[str, str] | None = None, **kwargs) -> Opener:
    """Open `url` as a stream on `client`. Asks for the identity encoding so that
    `content-length` is the number of bytes we will write."""

    @contextlib.asynccontextmanager
    async def open_() -> AsyncIterator[Stream]:
        request_headers = {"accept-encoding": "identity", **(headers or {})}
        async with client.stream(method, url, headers=request_headers, **kwargs) as response:
            yield Stream(response.status_code, response.headers, response.aiter_bytes())

    return open_


def _expected_length(headers: Mapping[str, str]) -> int | None:
    encoding = (headers.get("content-encoding") or "identity").strip().lower()
    if encoding != "identity":
        return None  # the byte count on the wire is not the byte count on disk
    value = headers.get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def _error_text(stream: Stream) -> str:
    body = b""
    with contextlib.suppress(*TRANSFER_ERRORS):
        async for chunk in stream.chunks:
            body += chunk
            if len(body) > 2000:
                break
    return short(body.decode("utf-8", "replace"), 200)


async def save_download(open_stream: Opener, *, media_dir: str | Path, stem: str, suffix: str = "",
                        default_ext: str, provider: str, what: str, attempts: int = 3,
                        backoff: float = 0.5, secrets: list[str] | None = None,
                        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                        max_bytes: int | None = None) -> SavedFile:
    """Download into `media_dir/<stem><suffix><ext>` or raise ProviderError with no file left.

    `what` names the file for messages ("the video of job 123"). A 5xx, a transport failure, a
    body shorter than `content-length`, an empty body or a document (JSON, XML, text) instead of
    media is retried up to `attempts` times; any other HTTP status is final. A body over
    `max_bytes` (default: the cap for the kind of `default_ext`) or a failed write (disk full)
    raises kind "local": the provider's job is fine, this machine could not take the file.
    """
    cap = max_bytes if max_bytes is not None else size_cap(default_ext)
    if not stem:
        raise ProviderError(f"{what}: no file name stem was given for the download.", "bad_request",
                            provider=provider)
    for part in (stem, suffix):
        if part and (Path(part).name != part or part.startswith(".") or "\x00" in part or "\\" in part):
            # Names are made by cctui (job ids); one that could leave media_dir is a bug, not a name.
            raise ProviderError(f"{what}: {part!r} is not a plain file name; nothing was downloaded.",
                                "bad_request", provider=provider)
    secrets = secrets or []
    directory = Path(media_dir)
    directory.mkdir(parents=True, exist_ok=True)
    part = directory / f"{stem}{suffix}.part"
    last_problem = ""
    last_error: ProviderError | None = None
    for attempt in range(1, max(1, attempts) + 1):
        try:
            async with open_stream() as stream:
                if not 200 <= stream.status < 300:
                    detail = await _error_text(stream)
                    kind = status_kind(stream.status)
                    message = redact(f"{what}: the server answered {stream.status}"
                                     + (f" ({detail})" if detail else "") + ".", secrets)
                    if kind != "server":
                        if stream.status in (401, 403):
                            message += " The download link may have expired."
                        raise ProviderError(message, kind, provider=provider, status=stream.status)
                    raise _Incomplete(message)
                expected = _expected_length(stream.headers)
                if expected is not None and expected > cap:
                    raise _TooLarge(expected)
                received = 0
                head = b""
                with open(part, "wb") as out:
                    async for chunk in stream.chunks:
                        if len(head) < 16:
                            head += chunk[: 16 - len(head)]
                        received += len(chunk)
                        if received > cap:
                            raise _TooLarge(received)
                        out.write(chunk)
                if received == 0:
                    raise _Incomplete(f"{what}: the server sent an empty file.")
                if expected is not None and received != expected:
                    raise _Incomplete(f"{what}: received {received} of {expected} bytes.")
                content_type = stream.headers.get("content-type")
                if is_document(content_type, head):
                    raise _Incomplete(f"{what}: the server answered with a {mime_of(content_type)} "
                                      f"document instead of the file.")
            ext = extension_for(content_type, head, default_ext)
            final = directory / f"{stem}{suffix}{ext}"
            os.replace(part, final)
            mime = mime_of(content_type)
            if mime not in MIME_EXTENSIONS:
                mime = EXTENSION_MIMES.get(ext, "application/octet-stream")
            return SavedFile(final, mime, received)
        except ProviderError as exc:
            _unlink(part)
            if exc.kind != "server":
                raise
            last_problem, last_error = exc.message, exc
        except _Incomplete as exc:
            _unlink(part)
            last_problem, last_error = str(exc), None
        except TRANSFER_ERRORS as exc:
            _unlink(part)
            last_problem, last_error = (f"{what}: the connection failed or broke off "
                                        f"({type(exc).__name__})."), None
        except _TooLarge as exc:
            _unlink(part)
            raise ProviderError(f"{what}: the server sent more than {_mb(cap)} (at least {_mb(exc.args[0])}), "
                                f"the most cctui keeps for one file of this kind; nothing was kept.",
                                "local", provider=provider) from None
        except OSError as exc:
            _unlink(part)
            raise ProviderError(f"{what}: could not write into {directory}: {exc.strerror or exc}. "
                                f"Free some space (or fix the folder's permissions).",
                                "local", provider=provider) from None
        except BaseException:
            _unlink(part)
            raise
        if attempt < attempts:
            await sleep(backoff * 2 ** (attempt - 1))
    if attempts <= 1 and last_error is not None:
        raise last_error
    tries = "1 attempt" if attempts <= 1 else f"{attempts} attempts"
    raise ProviderError(redact(f"{last_problem} Gave up after {tries}; no file was kept.", secrets),
                        "server", provider=provider,
                        status=last_error.status if last_error else None,
                        request_id=last_error.request_id if last_error else None,
                        retry_after=last_error.retry_after if last_error else None)


def _mb(size: int) -> str:
    return f"{size / 2**20:,.0f} MB" if size >= 2**20 else f"{size:,} bytes"


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary name, so `path` is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def remove_files(paths: list[Path | str]) -> None:
    for path in paths:
        _unlink(Path(path))


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
