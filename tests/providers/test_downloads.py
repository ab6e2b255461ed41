"""The shared download helper on its own: whole files under the final name, or nothing."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from cctui.providers.base import ProviderError
from cctui.providers.downloads import Stream, httpx_opener, save_download, write_atomic

PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def scripted_opener(answers):
    """An opener that plays back (status, headers, body) tuples, one per attempt."""
    calls = []

    @contextlib.asynccontextmanager
    async def open_():
        status, headers, body = answers[min(len(calls), len(answers) - 1)]
        calls.append(status)

        async def chunks():
            for i in range(0, len(body), 7):
                yield body[i:i + 7]

        yield Stream(status, headers, chunks())

    return open_, calls


async def no_sleep(_seconds):
    return None


async def test_truncated_then_complete_is_kept_under_final_name(tmp_path):
    body = b"\x00\x00\x00\x18ftypmp42" + b"v" * 200
    opener, calls = scripted_opener([
        (200, {"content-length": str(len(body)), "content-type": "video/mp4"}, body[:50]),
        (200, {"content-length": str(len(body)), "content-type": "video/mp4"}, body),
    ])
    saved = await save_download(opener, media_dir=tmp_path, stem="job7", default_ext=".bin",
                                provider="x", what="the video", sleep=no_sleep)
    assert calls == [200, 200]
    assert saved.path == tmp_path / "job7.mp4"
    assert saved.path.read_bytes() == body
    assert saved.mime == "video/mp4"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job7.mp4"]


async def test_always_truncated_gives_up_and_keeps_nothing(tmp_path):
    opener, calls = scripted_opener([(200, {"content-length": "500", "content-type": "image/png"},
                                      PNG_HEAD)])
    with pytest.raises(ProviderError) as info:
        await save_download(opener, media_dir=tmp_path, stem="s", default_ext=".png",
                            provider="x", what="the image", attempts=3, sleep=no_sleep)
    assert info.value.kind == "server"
    assert "108 of 500 bytes" in info.value.message and "no file was kept" in info.value.message
    assert len(calls) == 3
    assert list(tmp_path.iterdir()) == []


async def test_client_error_is_not_retried(tmp_path):
    opener, calls = scripted_opener([(404, {}, b"gone")])
    with pytest.raises(ProviderError) as info:
        await save_download(opener, media_dir=tmp_path, stem="s", default_ext=".png",
                            provider="x", what="the image", sleep=no_sleep)
    assert info.value.kind == "not_found" and calls == [404]
    assert list(tmp_path.iterdir()) == []


async def test_server_error_is_retried(tmp_path):
    opener, calls = scripted_opener([(503, {}, b"busy"), (200, {}, PNG_HEAD)])
    saved = await save_download(opener, media_dir=tmp_path, stem="s", suffix="_2",
                                default_ext=".bin", provider="x", what="w", sleep=no_sleep)
    assert calls == [503, 200]
    assert saved.path.name == "s_2.png"  # no content type: the extension comes from the bytes
    assert saved.mime == "image/png"


async def test_empty_body_is_not_a_file(tmp_path):
    opener, _ = scripted_opener([(200, {"content-type": "image/png"}, b"")])
    with pytest.raises(ProviderError):
        await save_download(opener, media_dir=tmp_path, stem="s", default_ext=".png",
                            provider="x", what="w", attempts=2, sleep=no_sleep)
    assert list(tmp_path.iterdir()) == []


async def test_name_never_comes_from_the_url(tmp_path):
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["accept-encoding"] == "identity"
        return httpx.Response(200, headers={"content-type": "image/jpeg"},
                              content=b"\xff\xd8\xff" + b"j" * 40)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        saved = await save_download(
            httpx_opener(client, "https://cdn.example/../../etc/evil name.png?x=1"),
            media_dir=tmp_path / "new", stem="run1_img", default_ext=".png", provider="x",
            what="w")
    assert saved.path == tmp_path / "new" / "run1_img.jpg"


def test_write_atomic_leaves_no_temporary(tmp_path):
    target = tmp_path / "a" / "b.png"
    write_atomic(target, b"data")
    assert target.read_bytes() == b"data"
    assert [p.name for p in target.parent.iterdir()] == ["b.png"]
