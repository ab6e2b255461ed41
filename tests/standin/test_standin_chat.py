"""OpenAI Chat Completions / Responses stand-in: auth, refusals of bad requests, sensible answers."""

from __future__ import annotations

import base64
import io
import json
import warnings

import jsonschema
import pytest
from PIL import Image
from openai import AuthenticationError, BadRequestError, InternalServerError, OpenAI, RateLimitError

SCHEMA = {
    "type": "object",
    "properties": {
        "scenes": {
            "type": "array", "minItems": 3, "maxItems": 5,
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "hook": {"type": "string"},
                    "setting": {"type": "string"},
                    "scene_keywords": {"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 8},
                    "energy": {"type": "string", "enum": ["low", "medium", "high"]},
                    "bpm": {"type": "integer", "minimum": 60, "maximum": 90},
                },
                "required": ["title", "hook", "setting", "scene_keywords", "energy", "bpm"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["scenes"],
    "additionalProperties": False,
}
OPENAI = {"authorization": "Bearer sk-test"}


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 60)).save(buf, "PNG")
    return buf.getvalue()


PNG_URL = "data:image/png;base64," + base64.b64encode(_png()).decode()


def chat_body(text: str = "Give me cozy cat scenes.", schema=SCHEMA, name: str = "scene_concepts", **extra):
    body = {"model": "gpt-4o-mini",
            "messages": [{"role": "system", "content": "You write pet video scenes."},
                         {"role": "user", "content": text}],
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": name, "schema": schema, "strict": True}}}
    body.update(extra)
    return body


def post_chat(http, body, headers=OPENAI):
    return http.post("/openai/v1/chat/completions", json=body, headers=headers)


def test_missing_and_wrong_keys_are_refused_with_the_openai_shape(http):
    for headers in ({}, {"authorization": "Bearer sk-wrong"}):
        r = post_chat(http, chat_body(), headers)
        assert r.status_code == 401
        assert r.headers["x-request-id"]
        error = r.json()["error"]
        assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
        assert error["param"] is None
    assert "Incorrect API key provided" in post_chat(http, chat_body(), {"authorization": "Bearer x"}).json()[
        "error"]["message"]


def test_answer_is_a_chat_completion_whose_content_is_valid_against_the_schema(http):
    r = post_chat(http, chat_body())
    assert r.status_code == 200 and r.headers["x-request-id"].startswith("req_")
    data = r.json()
    assert data["object"] == "chat.completion" and data["model"] == "gpt-4o-mini"
    choice = data["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["refusal"] is None
    content = json.loads(choice["message"]["content"])
    jsonschema.validate(content, SCHEMA)
    assert 3 <= len(content["scenes"]) <= 5
    assert len({s["setting"] for s in content["scenes"]}) == len(content["scenes"]), "scenes should differ"
    assert data["usage"]["prompt_tokens"] > 0 and data["usage"]["completion_tokens"] > 0
    assert data["usage"]["total_tokens"] == data["usage"]["prompt_tokens"] + data["usage"]["completion_tokens"]


def test_same_request_same_answer_and_feedback_changes_it(http):
    first = post_chat(http, chat_body()).json()["choices"][0]["message"]["content"]
    again = post_chat(http, chat_body()).json()["choices"][0]["message"]["content"]
    body = chat_body()
    body["messages"] += [{"role": "assistant", "content": first},
                         {"role": "user", "content": "Make them more playful, set them outdoors."}]
    retried = post_chat(http, body).json()["choices"][0]["message"]["content"]
    assert first == again
    assert retried != first


@pytest.mark.parametrize("mutate, needle", [
    (lambda s: s["properties"]["scenes"]["items"].pop("additionalProperties"), "'additionalProperties' is required"),
    (lambda s: s["properties"]["scenes"]["items"]["required"].remove("hook"), "Missing 'hook'"),
    (lambda s: s["properties"]["scenes"]["items"]["properties"]["energy"].update(default="low"),
     "'default' is not permitted"),
    (lambda s: s.pop("additionalProperties"), "context=()"),
    (lambda s: s["properties"]["scenes"].pop("items"), "array schema missing items"),
])
def test_strict_schema_rules_are_enforced(http, mutate, needle):
    schema = json.loads(json.dumps(SCHEMA))
    mutate(schema)
    r = post_chat(http, chat_body(schema=schema))
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid_json_schema" and error["param"] == "response_format"
    assert needle in error["message"] and "scene_concepts" in error["message"]


def test_non_strict_schema_is_not_held_to_the_strict_rules(http):
    schema = json.loads(json.dumps(SCHEMA))
    schema["properties"]["scenes"]["items"].pop("additionalProperties")
    body = chat_body(schema=schema)
    body["response_format"]["json_schema"]["strict"] = False
    assert post_chat(http, body).status_code == 200


@pytest.mark.parametrize("name", ["has space", "x" * 65, "", "bad.dot"])
def test_schema_name_must_match_the_pattern(http, name):
    r = post_chat(http, chat_body(name=name))
    assert r.status_code == 400 and r.json()["error"]["param"] == "response_format.json_schema.name"


def test_model_and_messages_are_required(http):
    body = chat_body()
    del body["model"]
    r = post_chat(http, body)
    assert r.status_code == 400 and r.json()["error"]["param"] == "model"
    body = chat_body()
    del body["messages"]
    r = post_chat(http, body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_required_parameter"
    r = post_chat(http, chat_body(messages=[{"role": "user", "content": 42}]))
    assert r.status_code == 400, "OpenAI's own request schema refuses a number as content"


def image_message(url):
    return [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url, "detail": "auto"}},
                                         {"type": "text", "text": "Analyse this cat photo."}]}]


def test_prompt_images_must_be_data_urls_of_real_images(http):
    assert post_chat(http, chat_body(messages=image_message(PNG_URL))).status_code == 200
    not_image = "data:image/png;base64," + base64.b64encode(b"this is not a picture at all").decode()
    r = post_chat(http, chat_body(messages=image_message(not_image)))
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_image_format"
    assert r.json()["error"]["param"] == "messages[0].content[0].image_url.url"
    bad_b64 = "data:image/png;base64,@@@not-base64@@@"
    assert post_chat(http, chat_body(messages=image_message(bad_b64))).json()["error"]["code"] == \
        "invalid_image_format"
    r = post_chat(http, chat_body(messages=image_message("https://example.com/cat.png")))
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_image_url"
    text_mime = "data:text/plain;base64," + base64.b64encode(b"hello").decode()
    assert post_chat(http, chat_body(messages=image_message(text_mime))).json()["error"]["code"] == \
        "invalid_image_format"


def last_content(http, marker):
    return post_chat(http, chat_body(text=f"Scenes please. {marker}"))


def test_refuse_truncate_and_invalid_markers(http):
    refused = last_content(http, "STANDIN:refuse").json()["choices"][0]
    assert refused["message"]["content"] is None and refused["message"]["refusal"]
    cut = last_content(http, "STANDIN:truncate").json()["choices"][0]
    assert cut["finish_reason"] == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut["message"]["content"])
    invalid = json.loads(last_content(http, "STANDIN:invalid").json()["choices"][0]["message"]["content"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(invalid, SCHEMA)


def test_small_max_completion_tokens_truncates(http):
    choice = post_chat(http, chat_body(max_completion_tokens=5)).json()["choices"][0]
    assert choice["finish_reason"] == "length" and len(choice["message"]["content"]) <= 20


def test_quota_ratelimit_and_server_error_markers(http):
    quota = last_content(http, "STANDIN:quota")
    assert quota.status_code == 429 and quota.json()["error"]["code"] == "insufficient_quota"
    limited = last_content(http, "STANDIN:ratelimit")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert float(limited.headers["retry-after"]) > 0 and limited.headers["retry-after-ms"]
    broken = last_content(http, "STANDIN:500")
    assert broken.status_code == 500 and broken.json()["error"]["type"] == "server_error"
    assert broken.headers["x-request-id"]


def test_json_object_mode_needs_the_word_json(http):
    body = chat_body(response_format={"type": "json_object"})
    assert post_chat(http, body).status_code == 400
    body["messages"][-1]["content"] = "Answer in JSON please."
    assert isinstance(json.loads(post_chat(http, body).json()["choices"][0]["message"]["content"]), dict)


def test_the_official_sdk_round_trips(standin):
    client = OpenAI(base_url=standin.base_urls["openai"], api_key="sk-test", max_retries=0)
    completion = client.chat.completions.create(**chat_body(messages=image_message(PNG_URL)))
    jsonschema.validate(json.loads(completion.choices[0].message.content), SCHEMA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        response = client.responses.create(
            model="gpt-4o-mini", instructions="You write pet video scenes.",
            input=[{"role": "user", "content": [{"type": "input_text", "text": "Scenes for a dog."},
                                                {"type": "input_image", "image_url": PNG_URL, "detail": "auto"}]}],
            text={"format": {"type": "json_schema", "name": "scenes", "schema": SCHEMA, "strict": True}})
    jsonschema.validate(json.loads(response.output_text), SCHEMA)
    with pytest.raises(AuthenticationError):
        OpenAI(base_url=standin.base_urls["openai"], api_key="nope", max_retries=0).models.list()
    with pytest.raises(RateLimitError) as info:
        client.chat.completions.create(**chat_body(text="STANDIN:quota"))
    assert info.value.code == "insufficient_quota"
    with pytest.raises(InternalServerError):
        client.chat.completions.create(**chat_body(text="STANDIN:500"))
    with pytest.raises(BadRequestError) as info:
        client.responses.create(model="gpt-4o-mini", input="hi",
                                text={"format": {"type": "json_schema", "name": "s", "strict": True,
                                                 "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}})
    assert info.value.code == "invalid_json_schema"


def test_responses_markers(http):
    body = {"model": "gpt-4o-mini", "input": "Scenes STANDIN:refuse",
            "text": {"format": {"type": "json_schema", "name": "s", "schema": SCHEMA, "strict": True}}}
    refused = http.post("/openai/v1/responses", json=body, headers=OPENAI).json()
    assert refused["output"][0]["content"][0]["type"] == "refusal"
    body["input"] = "Scenes STANDIN:truncate"
    cut = http.post("/openai/v1/responses", json=body, headers=OPENAI).json()
    assert cut["status"] == "incomplete" and cut["incomplete_details"]["reason"] == "max_output_tokens"


def test_models_list_is_a_cheap_key_check(http):
    r = http.get("/openai/v1/models", headers=OPENAI)
    assert r.status_code == 200 and {"gpt-image-1", "sora-2"} <= {m["id"] for m in r.json()["data"]}
    assert http.get("/openai/v1/models", headers={"authorization": "Bearer bad"}).status_code == 401
