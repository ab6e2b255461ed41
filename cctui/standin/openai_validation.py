"""What the OpenAI stand-in refuses, and why: request bodies, strict JSON schemas, prompt images.

- `check_openapi(root, body)`: the body against OpenAI's own request schema (extracted from
  the OpenAPI document into `openai_request_schemas.json`), answered like the real API
  (`missing_required_parameter`, `invalid_type`, `invalid_value`).
- `strict_schema_problem(schema)`: the Structured Outputs rules for `strict: true`: root is an
  object; every object has `additionalProperties: false` and lists every property in
  `required`; no `default`; no `allOf` / `not` / `if` / `then` / `else` / `dependentRequired` /
  `dependentSchemas` / `patternProperties`; arrays have `items`; every leaf has a `type` (or
  `enum` / `const` / `anyOf` / `$ref`); `$ref` resolves inside the schema; at most 10 levels of
  object nesting. Answers 400 `invalid_json_schema` like the real service does.
- `check_image_url(url, param)`: prompt images must be `data:image/...;base64,` URLs whose bytes
  Pillow can open as png / jpeg / gif / webp (the stand-in has no network, so http URLs are
  refused with `invalid_image_url`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from .errors import openai_error
from .media_factory import image_info

SCHEMAS_FILE = Path(__file__).with_name("openai_request_schemas.json")
SCHEMA_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
IMAGE_FORMATS = ("png", "jpeg", "gif", "webp")
UNSUPPORTED_STRICT = ("default", "allOf", "not", "if", "then", "else", "dependentRequired",
                      "dependentSchemas", "patternProperties")
MAX_OBJECT_DEPTH = 10

_validators: dict[str, jsonschema.protocols.Validator] = {}
_validators_lock = threading.Lock()


def _validator(root: str) -> jsonschema.protocols.Validator:
    with _validators_lock:
        if root not in _validators:
            doc = json.loads(SCHEMAS_FILE.read_text("utf-8"))
            if root not in doc["components"]["schemas"]:
                raise KeyError(root)
            schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                      "$ref": f"#/components/schemas/{root}", "components": doc["components"]}
            _validators[root] = jsonschema.Draft202012Validator(schema)
        return _validators[root]


def _param(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def check_openapi(root: str, body: Any) -> None:
    """Raise the real API's 400 for a body that breaks OpenAI's own request schema."""
    error = best_match(_validator(root).iter_errors(body))
    if error is None:
        return
    param = _param(error.absolute_path)
    if error.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        name = missing.group(1) if missing else error.message
        full = f"{param}.{name}" if param else name
        raise openai_error(400, f"Missing required parameter: '{full}'.", param=full,
                           code="missing_required_parameter")
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        name = extra[0] if extra else "?"
        full = f"{param}.{name}" if param else name
        raise openai_error(400, f"Unknown parameter: '{full}'.", param=full, code="unknown_parameter")
    if error.validator == "type":
        expected = error.validator_value
        raise openai_error(400, f"Invalid type for '{param}': expected {expected}, but got "
                                f"{_json_type(error.instance)} instead.", param=param or None,
                           code="invalid_type")
    raise openai_error(400, f"Invalid value for '{param or 'body'}': {error.message}", param=param or None,
                       code="invalid_value")


# --------------------------------------------------------------------------- strict schemas


def strict_schema_problem(schema: Any) -> str | None:
    """The first reason OpenAI would refuse `schema` with `strict: true`, or None."""
    if not isinstance(schema, dict):
        return "schema must be a JSON Schema object."
    root_type = schema.get("type")
    if root_type != "object" or "anyOf" in schema:
        return f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{root_type}\"'."
    return _strict_walk(schema, schema, (), 0)


def _resolves(root: dict[str, Any], ref: str) -> bool:
    if ref == "#":
        return True
    if not ref.startswith("#/"):
        return False
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return isinstance(node, dict)


def _strict_walk(node: Any, root: dict[str, Any], ctx: tuple[Any, ...], depth: int) -> str | None:
    where = f"In context={ctx!r}, "
    if not isinstance(node, dict):
        return f"{where}schema must be an object."
    for key in UNSUPPORTED_STRICT:
        if key in node:
            return f"{where}'{key}' is not permitted."
    if "$ref" in node:
        if not _resolves(root, node["$ref"]):
            return f"{where}reference '{node['$ref']}' can't be resolved."
        return None
    for defs_key in ("$defs", "definitions"):
        for name, sub in (node.get(defs_key) or {}).items():
            problem = _strict_walk(sub, root, ctx + (defs_key, name), depth)
            if problem:
                return problem
    if "anyOf" in node:
        for i, sub in enumerate(node["anyOf"]):
            problem = _strict_walk(sub, root, ctx + ("anyOf", i), depth)
            if problem:
                return problem
        return None
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if kind is None and "enum" not in node and "const" not in node:
        return f"{where}schema must have a 'type' key."
    if "object" in kinds or "properties" in node:
        if depth + 1 > MAX_OBJECT_DEPTH:
            return f"{where}schema exceeds the maximum nesting depth of {MAX_OBJECT_DEPTH} levels."
        if node.get("additionalProperties", None) is not False:
            return f"{where}'additionalProperties' is required to be supplied and to be false."
        properties = node.get("properties") or {}
        required = node.get("required")
        if not isinstance(required, list):
            return (f"{where}'required' is required to be supplied and to be an array including every key "
                    f"in properties. Missing '{next(iter(properties), '')}'.") if properties else None
        for name in properties:
            if name not in required:
                return (f"{where}'required' is required to be supplied and to be an array including every key "
                        f"in properties. Missing '{name}'.")
        for name in required:
            if name not in properties:
                return f"{where}Extra required key '{name}' supplied."
        for name, sub in properties.items():
            problem = _strict_walk(sub, root, ctx + ("properties", name), depth + 1)
            if problem:
                return problem
    if "array" in kinds:
        if "items" not in node:
            return f"{where}array schema missing items."
        problem = _strict_walk(node["items"], root, ctx + ("items",), depth)
        if problem:
            return problem
    return None


def check_response_format(rf: Any) -> tuple[str, dict[str, Any] | None, bool]:
    """Validate Chat's `response_format`; → (kind, schema, strict). Raises the 400s."""
    if rf is None:
        return "text", None, False
    if not isinstance(rf, dict) or rf.get("type") not in ("text", "json_object", "json_schema"):
        raise openai_error(400, "Invalid value for 'response_format.type': expected one of 'text', "
                                "'json_object' or 'json_schema'.", param="response_format.type",
                           code="invalid_value")
    if rf["type"] != "json_schema":
        return rf["type"], None, False
    spec = rf.get("json_schema")
    if not isinstance(spec, dict):
        raise openai_error(400, "Missing required parameter: 'response_format.json_schema'.",
                           param="response_format.json_schema", code="missing_required_parameter")
    return check_json_schema_spec(spec, "response_format")


def check_json_schema_spec(spec: dict[str, Any], param: str) -> tuple[str, dict[str, Any] | None, bool]:
    name = spec.get("name")
    name_param = f"{param}.json_schema.name" if param == "response_format" else f"{param}.name"
    if not isinstance(name, str) or not SCHEMA_NAME_RE.match(name):
        raise openai_error(400, f"Invalid '{name_param}': string does not match pattern. Expected a string that "
                                "matches the pattern '^[a-zA-Z0-9_-]+$' (at most 64 characters).",
                           param=name_param, code="invalid_value")
    schema = spec.get("schema")
    strict = bool(spec.get("strict"))
    if schema is not None and not isinstance(schema, dict):
        raise openai_error(400, f"Invalid schema for {param} '{name}': schema must be a JSON Schema object.",
                           param=param, code="invalid_json_schema")
    if strict:
        problem = strict_schema_problem(schema if schema is not None else {})
        if problem:
            raise openai_error(400, f"Invalid schema for {param} '{name}': {problem}", param=param,
                               code="invalid_json_schema")
    if schema is not None:
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise openai_error(400, f"Invalid schema for {param} '{name}': {exc.message}", param=param,
                               code="invalid_json_schema") from exc
    return "json_schema", schema, strict


# --------------------------------------------------------------------------- images in prompts

DATA_URL_RE = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[\w.+-]+)*)(?P<b64>;base64)?,"
                         r"(?P<data>.*)$", re.S)


def check_image_url(url: Any, param: str) -> tuple[str, tuple[int, int]]:
    """A prompt image must be a base64 data URL of a real png/jpeg/gif/webp. → (format, size)."""
    if not isinstance(url, str) or not url:
        raise openai_error(400, f"Missing required parameter: '{param}'.", param=param,
                           code="missing_required_parameter")
    if not url.startswith("data:"):
        raise openai_error(400, "Error while downloading the image: the stand-in has no network access, "
                                "send the image as a base64 data: URL.", param=param, code="invalid_image_url")
    match = DATA_URL_RE.match(url)
    if not match or not match.group("b64"):
        raise openai_error(400, "Invalid image URL: expected a base64-encoded data URL "
                                "('data:image/png;base64,...').", param=param, code="invalid_image_url")
    mime = (match.group("mime") or "").lower()
    if not mime.startswith("image/"):
        raise openai_error(400, "Invalid MIME type. Only image types are supported.", param=param,
                           code="invalid_image_format")
    try:
        data = base64.b64decode(match.group("data"), validate=True)
    except (binascii.Error, ValueError):
        raise openai_error(400, "The image data is not valid base64.", param=param,
                           code="invalid_image_format") from None
    info = image_info(data)
    if info is None or info[0] not in IMAGE_FORMATS:
        raise openai_error(400, "You uploaded an unsupported image. Please make sure your image has of one the "
                                "following formats: ['png', 'jpeg', 'gif', 'webp'].", param=param,
                           code="invalid_image_format")
    return info
