"""What the clients decide before any request: checks, parameter mapping, image preparation.
None of these touch the network."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from cctui.providers.base import ImagePart, LLMRequest, MediaRequest, ProviderError, TextPart
from cctui.providers.image_prep import crop_to_aspect, fit_exact
from cctui.providers.leonardo import VIDEO_ASPECTS, LeonardoClient, motion_words
from cctui.providers.openai_images import OpenAIImages
from cctui.providers.openai_llm import OpenAILLM, schema_name
from cctui.providers.registry import Providers
from cctui.providers.sora import SoraClient, seconds_param
from cctui.settings import Settings


@pytest.fixture
def offline_settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, openai_api_key="sk-offline", leonardo_api_key="leo-offline",
                    elevenlabs_api_key="el-offline", openai_base_url="http://127.0.0.1:9/v1",
                    sora_base_url="http://127.0.0.1:9/v1",
                    leonardo_base_url="http://127.0.0.1:9/api/rest/v1",
                    elevenlabs_base_url="http://127.0.0.1:9")


def video_request(tmp_path, h, **params) -> MediaRequest:
    src = h.make_image(tmp_path / "src.png", (300, 200))
    return MediaRequest(action="img2vid", provider="openai", params={"prompt": "a cat", **params},
                        source_image={"local_path": str(src), "provider": "openai", "metadata": {}},
                        media_dir=str(tmp_path / "media"), stem="job1")


# --------------------------------------------------------------------------- LLM


def test_schema_name_is_sanitised():
    assert schema_name("cc image analysis/schema.json") == "cc_image_analysis_schema_json"
    assert schema_name("") == "output"
    assert len(schema_name("x" * 200)) == 64


def test_messages_keep_order_and_send_images_as_data_urls(offline_settings, tmp_path, h):
    jpeg = h.make_image(tmp_path / "photo.jpg", (40, 30), "JPEG")
    llm = OpenAILLM(offline_settings)
    messages = llm.build_messages(LLMRequest(
        system=["role", "rules"], user=[TextPart("look"), ImagePart(jpeg, detail="high")],
        output_schema={"type": "object"}, schema_name="s",
        history=[{"role": "assistant", "content": "{}"}, {"role": "user", "content": "again"}]))
    # The original request comes before the earlier answer and the feedback on it.
    assert [m["role"] for m in messages] == ["system", "system", "user", "assistant", "user"]
    assert [m["content"] for m in messages[:2]] == ["role", "rules"]
    assert [m["content"] for m in messages[3:]] == ["{}", "again"]
    image = messages[2]["content"][1]
    assert image["type"] == "image_url" and image["image_url"]["detail"] == "high"
    url = image["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    assert Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).size == (40, 30)


def test_missing_image_is_a_clear_bad_request(offline_settings, tmp_path):
    llm = OpenAILLM(offline_settings)
    with pytest.raises(ProviderError) as info:
        llm.build_messages(LLMRequest(system=[], user=[ImagePart(tmp_path / "nope.png")],
                                      output_schema={}, schema_name="s"))
    assert info.value.kind == "bad_request" and "nope.png" in info.value.message
    (tmp_path / "junk.png").write_bytes(b"not a picture")
    with pytest.raises(ProviderError) as info:
        llm.build_messages(LLMRequest(system=[], user=[ImagePart(tmp_path / "junk.png")],
                                      output_schema={}, schema_name="s"))
    assert info.value.kind == "bad_request" and "junk.png" in info.value.message


# --------------------------------------------------------------------------- Sora mapping


@pytest.mark.parametrize("value, expected", [(4, "4"), (8.0, "8"), ("12", "12"), (" 8 ", "8"),
                                             ("4.0", "4")])
def test_seconds_from_the_form(value, expected):
    assert seconds_param(value) == expected


@pytest.mark.parametrize("value", [5, "5", "10", 0, True, None, "four", 4.5])
def test_other_durations_are_refused(value):
    with pytest.raises(ProviderError) as info:
        seconds_param(value)
    assert info.value.kind == "unsupported"


@pytest.mark.parametrize("aspect, quality, size, model", [
    ("9:16", "720p", "720x1280", "sora-2"), ("16:9", "720p", "1280x720", "sora-2"),
    ("9:16", "1080p", "1024x1792", "sora-2-pro"), ("16:9", "1080p", "1792x1024", "sora-2-pro")])
def test_size_and_model_from_aspect_and_quality(offline_settings, tmp_path, h, aspect, quality,
                                                size, model):
    sora = SoraClient(offline_settings)
    plan = sora.plan(video_request(tmp_path, h, aspect_ratio=aspect, quality=quality, duration=8))
    assert (plan.size, plan.model, plan.seconds) == (size, model, "8")
    assert plan.cost.unit == "usd"
    assert plan.cost.amount == pytest.approx(8 * (0.30 if model == "sora-2-pro" else 0.10))
    assert (plan.model_note is not None) == (model != "sora-2")


def test_1080p_with_a_non_pro_custom_model_is_refused(offline_settings, tmp_path, h):
    sora = SoraClient(offline_settings.model_copy(update={"sora_model": "sora-2-2025-10-06"}))
    with pytest.raises(ProviderError) as info:
        sora.check(video_request(tmp_path, h, aspect_ratio="9:16", quality="1080p", duration=4))
    assert info.value.kind == "unsupported" and "sora-2-pro" in info.value.message


@pytest.mark.parametrize("aspect", ["1:1", "4:3"])
def test_square_is_unsupported(offline_settings, tmp_path, h, aspect):
    with pytest.raises(ProviderError) as info:
        SoraClient(offline_settings).check(video_request(tmp_path, h, aspect_ratio=aspect,
                                                         duration=4))
    assert info.value.kind == "unsupported" and aspect in info.value.message


# --------------------------------------------------------------------------- images


def test_fit_exact_covers_and_crops(tmp_path, h):
    src = h.make_image(tmp_path / "wide.png", (300, 200))
    before = src.read_bytes()
    prepared = fit_exact(src, (720, 1280), "openai")
    img = Image.open(io.BytesIO(prepared.data))
    assert img.size == (720, 1280) and img.format == "PNG" and prepared.resized
    assert src.read_bytes() == before  # the source is never modified


@pytest.mark.parametrize("size, aspect, result", [
    ((300, 200), "16:9", (300, 169)), ((200, 300), "9:16", (169, 300)),
    ((1000, 1000), "9:16", (562, 1000))])
def test_crop_to_the_nearer_video_aspect(tmp_path, h, size, aspect, result):
    src = h.make_image(tmp_path / "src.png", size)
    prepared = crop_to_aspect(src, VIDEO_ASPECTS, "leonardo")
    assert prepared.aspect == aspect and prepared.cropped
    assert Image.open(io.BytesIO(prepared.data)).size == result


def test_matching_aspect_is_uploaded_untouched(tmp_path, h):
    src = h.make_image(tmp_path / "src.jpg", (720, 1280), "JPEG")
    prepared = crop_to_aspect(src, VIDEO_ASPECTS, "leonardo")
    assert not prepared.cropped and prepared.data == src.read_bytes()
    assert (prepared.extension, prepared.mime) == ("jpg", "image/jpeg")


def test_motion_words_cover_the_slider():
    assert [motion_words(n).split(",")[0] for n in (1, 3, 4, 7, 8, 10)] == [
        "subtle", "subtle", "moderate", "moderate", "dynamic", "dynamic"]


# --------------------------------------------------------------------------- checks


@pytest.mark.parametrize("params", [{"width": 1002, "height": 1536}, {"width": 24, "height": 64},
                                    {"width": 1600, "height": 1024}, {"num_images": 9},
                                    {"num_images": 0}])
def test_leonardo_txt2img_check(offline_settings, tmp_path, params):
    client = LeonardoClient(offline_settings)
    request = MediaRequest("txt2img", "leonardo", {"prompt": "a dog", **params},
                           media_dir=str(tmp_path), stem="s")
    with pytest.raises(ProviderError) as info:
        client.check(request)
    assert info.value.kind == "bad_request"


def test_openai_images_check(offline_settings, tmp_path):
    client = OpenAIImages(offline_settings)
    ok = MediaRequest("txt2img", "openai", {"prompt": "a dog", "size": "1024x1536", "n": 2},
                      media_dir=str(tmp_path), stem="s")
    client.check(ok)
    with pytest.raises(ProviderError) as info:
        client.check(MediaRequest("txt2img", "openai", {"prompt": "a dog", "size": "512x512"},
                                  media_dir=str(tmp_path), stem="s"))
    assert info.value.kind == "unsupported"


def test_registry_routes_and_missing_keys(tmp_path):
    providers = Providers(Settings(data_dir=tmp_path, openai_api_key="sk-x"))
    assert isinstance(providers.media("openai", "img2vid"), SoraClient)
    assert isinstance(providers.media("openai", "txt2img"), OpenAIImages)
    with pytest.raises(ProviderError) as info:
        providers.media("leonardo", "img2vid")
    assert info.value.kind == "auth" and "LEONARDO_API_KEY" in info.value.message
    with pytest.raises(ProviderError) as info:
        providers.media("elevenlabs", "img2vid")
    assert info.value.kind == "unsupported"
