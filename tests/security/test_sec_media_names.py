"""Media file names are made by cctui (step id, tab, job id), never taken from a provider URL, a
Content-Disposition header or a prompt: whatever those say, files land in the run's media folder
under the generated name, and a name that could leave that folder is refused."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from cctui.jobs.manager import JobManager
from cctui.providers.base import MediaRequest, ProviderError
from cctui.providers.downloads import httpx_opener, save_download
from cctui.providers.registry import Providers
from cctui.settings import Settings
from cctui.standin import StandIn
from cctui.store.db import Store

HOSTILE_URL = "https://cdn.example/../../etc/passwd?filename=../../evil.png"
HOSTILE_PROMPT = "a cat ../../escape/../../etc/passwd %2e%2e%2fevil"
KEYS = {"openai": "sk-names", "leonardo": "leo-names", "elevenlabs": "el-names"}


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 100, 50)).save(out, "PNG")
    return out.getvalue()


def hostile_response(request: httpx.Request) -> httpx.Response:
    body = png_bytes()
    return httpx.Response(200, content=body, headers={
        "content-type": "image/png", "content-length": str(len(body)),
        "content-disposition": 'attachment; filename="../../evil.png"; filename*=UTF-8\'\'..%2F..%2Fevil.png'})


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


async def test_a_download_is_named_by_its_stem_not_by_the_url_or_headers(tmp_path):
    media = tmp_path / "run" / "media"
    async with httpx.AsyncClient(transport=httpx.MockTransport(hostile_response)) as client:
        saved = await save_download(httpx_opener(client, HOSTILE_URL), media_dir=media, stem="image_prompts_leonardo_j_1",
                                    suffix="_1", default_ext=".jpg", provider="leonardo", what="image 1")
    assert saved.path == media / "image_prompts_leonardo_j_1_1.png"
    assert files_under(tmp_path) == {saved.path}


@pytest.mark.parametrize("stem, suffix", [("../escape", ""), ("../../escape", ""), ("a/b", ""), ("..", ""),
                                          (".hidden", ""), ("ok", "/../../escape"), ("ok", "\\..\\escape")])
async def test_a_stem_that_could_leave_the_media_folder_is_refused(tmp_path, stem, suffix):
    media = tmp_path / "run" / "media"
    async with httpx.AsyncClient(transport=httpx.MockTransport(hostile_response)) as client:
        with pytest.raises(ProviderError) as info:
            await save_download(httpx_opener(client, "https://cdn.example/x.png"), media_dir=media, stem=stem,
                                suffix=suffix, default_ext=".png", provider="leonardo", what="image 1")
    assert info.value.kind == "bad_request" and "not a plain file name" in info.value.message
    assert files_under(tmp_path) == set()


@pytest.fixture
def standin(tmp_path):
    srv = StandIn(keys=dict(KEYS), job_seconds=0.2, data_dir=tmp_path / "standin")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


async def run_leonardo_job(tmp_path: Path, srv: StandIn, prompt_key: str):
    urls = srv.base_urls
    settings = Settings(data_dir=tmp_path / "data", leonardo_api_key=KEYS["leonardo"],
                        leonardo_base_url=urls["leonardo"], openai_api_key=KEYS["openai"],
                        openai_base_url=urls["openai"], sora_base_url=urls["sora"])
    providers = Providers(settings)
    store = await Store.open(settings.db_path)
    manager = JobManager(store, providers, min_poll=0.05)
    media = tmp_path / "data" / "runs" / "r1" / "media"
    try:
        run_id = await store.create_run("wf", str(tmp_path), {}, {"step": 0, "module": 0})
        request = MediaRequest(action="txt2img", provider="leonardo", params={"prompt": HOSTILE_PROMPT, "num_images": 1},
                               media_dir=str(media), stem="")
        job_id = await manager.start(request, run_id=run_id, interaction_id=None, step_id="image_prompts",
                                     module="generate_and_select_images", prompt_key=prompt_key)
        await manager.wait([job_id], timeout=30)
        return await store.get_job(job_id), await store.content_of_run(run_id), media
    finally:
        await manager.close()
        await store.close()
        await providers.aclose()


async def test_a_job_with_a_hostile_prompt_url_and_headers_saves_under_its_generated_name(tmp_path, standin):
    # The provider answers with a URL full of `..` and a Content-Disposition naming ../../evil.png.
    standin.inject(r"/generations/[^/]+$", 200, method="GET", times=None, body={"generations_by_pk": {
        "id": "g1", "status": "COMPLETE", "generated_images": [
            {"id": "img1", "url": f"{standin.base_url}/_files/leonardo/..%2F..%2Fetc/passwd.png?name=../../evil.png",
             "nsfw": False}]}})
    standin.inject(r"passwd\.png$", 200, method="GET", times=None, body=png_bytes(),
                   headers={"content-type": "image/png", "content-disposition": 'attachment; filename="../../evil.png"'})
    job, content, media = await run_leonardo_job(tmp_path, standin, "leonardo")
    assert job.status == "completed", job.error
    (row,) = content
    path = Path(row.local_path)
    assert path.parent == media
    assert path.name == f"image_prompts_leonardo_{job.job_id}_1.png"
    assert path.is_file() and path.read_bytes() == png_bytes()
    assert row.url.endswith("evil.png")  # the URL is kept as data, not used as a name
    for made in files_under(tmp_path / "data"):
        assert "evil" not in made.name and "passwd" not in made.name and "escape" not in made.name
    assert not list(tmp_path.glob("**/evil*"))


async def test_a_tab_key_that_would_leave_the_media_folder_fails_the_job_and_writes_nothing_outside(
        tmp_path, standin):
    # The workflow loader refuses such a tab key; this is the second line: the download itself.
    job, content, media = await run_leonardo_job(tmp_path, standin, "../../../../escape")
    assert job.status == "failed" and "not a plain file name" in job.error
    assert content == []
    outside = [p for p in files_under(tmp_path) if "escape" in p.name]
    assert outside == []
