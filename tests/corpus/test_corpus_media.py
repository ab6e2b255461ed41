"""Bad source images (`media/`, plus two made at test time) through every path that takes one:
`image_prep` directly, and the Leonardo and Sora image-to-video clients, which must refuse the
file before sending anything. The refusal is a ProviderError(bad_request) naming the file."""

from __future__ import annotations

import json
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from cctui.providers.base import MediaRequest, ProviderError
from cctui.providers.image_prep import crop_to_aspect, fit_exact, open_source, require_source_file
from cctui.records import SourceImage
from cctui.providers.leonardo import VIDEO_ASPECTS, LeonardoClient
from cctui.providers.sora import SoraClient
from cctui.settings import Settings

MEDIA = Path(__file__).resolve().parent / "media"
EXPECTED: dict[str, dict] = json.loads((MEDIA / "expected.json").read_text(encoding="utf-8"))["files"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def wide_png(path: Path, width: int = 30_000, height: int = 7_000) -> Path:
    """A valid, solid black 1-bit PNG, written row by row: 210 million pixels in about 25 KB,
    without ever holding the image in memory."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    return path


def truncated_mp4(path: Path) -> Path:
    ffmpeg = pytest.importorskip("imageio_ffmpeg").get_ffmpeg_exe()
    whole = path.with_name("whole.mp4")
    subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=orange:s=64x64:d=1:r=10",
                    "-c:v", "mpeg4", "-pix_fmt", "yuv420p", str(whole)], check=True, timeout=60)
    data = whole.read_bytes()
    assert data[4:8] == b"ftyp"  # a real MP4 before it is cut
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture(scope="module")
def media_files(tmp_path_factory) -> dict[str, Path]:
    made = tmp_path_factory.mktemp("bad_media")
    files = {}
    for name, expected in EXPECTED.items():
        if not expected.get("generated"):
            files[name] = MEDIA / name
        elif name.endswith(".mp4"):
            files[name] = truncated_mp4(made / name)
        else:
            files[name] = wide_png(made / name)
    return files


@pytest.fixture
def offline_settings(tmp_path) -> Settings:
    # Port 9 refuses connections: a client that sent anything would fail with a network error,
    # not with the bad_request these tests expect.
    return Settings(data_dir=tmp_path, openai_api_key="sk-offline", leonardo_api_key="leo-offline",
                    openai_base_url="http://127.0.0.1:9/v1", sora_base_url="http://127.0.0.1:9/v1",
                    leonardo_base_url="http://127.0.0.1:9/api/rest/v1")


def assert_clear(exc: ProviderError, path: Path, fragment: str) -> None:
    assert exc.kind == "bad_request", (exc.kind, exc.message)
    assert str(path) in exc.message, exc.message
    assert fragment in exc.message, exc.message
    assert "BytesIO" not in exc.message and "Traceback" not in exc.message


def test_the_corpus_has_ten_bad_images_on_disk():
    on_disk = [n for n, e in EXPECTED.items() if not e.get("generated")]
    assert len(on_disk) >= 10 and all((MEDIA / n).is_file() for n in on_disk)


def test_the_generated_wide_png_is_a_valid_png_of_that_size(media_files):
    """The 30,000 px case must be refused for its size, not because it is broken."""
    from PIL import Image

    path = media_files["wide_30000px.png"]
    assert path.stat().st_size < 100_000
    Image.MAX_IMAGE_PIXELS, old = None, Image.MAX_IMAGE_PIXELS
    try:
        with Image.open(path) as img:
            assert img.size == (30_000, 7_000) and img.format == "PNG"
    finally:
        Image.MAX_IMAGE_PIXELS = old


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_image_prep_refuses_with_the_file_named(name, media_files):
    path = media_files[name]
    fragment = EXPECTED[name]["message"]
    # The file exists, so the refusal must come from reading it, not from a missing path.
    assert require_source_file(SourceImage(local_path=str(path)), "leonardo") == path
    with pytest.raises(ProviderError) as info:
        open_source(path, "leonardo")
    assert_clear(info.value, path, fragment)
    with pytest.raises(ProviderError) as info:
        crop_to_aspect(path, VIDEO_ASPECTS, "leonardo")
    assert_clear(info.value, path, fragment)
    with pytest.raises(ProviderError) as info:
        fit_exact(path, (720, 1280), "openai")
    assert_clear(info.value, path, fragment)


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_video_clients_refuse_before_sending_anything(name, media_files, offline_settings, tmp_path):
    path = media_files[name]
    source = {"local_path": str(path), "provider": "upload", "metadata": {}}
    clients = [(LeonardoClient(offline_settings), "leonardo"), (SoraClient(offline_settings), "openai")]
    try:
        for client, provider in clients:
            request = MediaRequest(action="img2vid", provider=provider, params={"prompt": "a cat", "duration": 4},
                                   source_image=source, media_dir=str(tmp_path / "media"), stem="job1")
            with pytest.raises(ProviderError) as info:
                await client.submit(request)
            assert_clear(info.value, path, EXPECTED[name]["message"])
    finally:
        for client, _ in clients:
            await client.aclose()
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").iterdir())


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_a_source_that_is_not_a_file(make, tmp_path):
    path = tmp_path / "source.png"
    if make == "directory":
        path.mkdir()
    with pytest.raises(ProviderError) as info:
        require_source_file(SourceImage(local_path=str(path)), "leonardo")
    assert info.value.kind == "bad_request" and str(path) in info.value.message
    with pytest.raises(ProviderError) as info:
        crop_to_aspect(path, VIDEO_ASPECTS, "leonardo")
    assert info.value.kind == "bad_request" and str(path) in info.value.message
