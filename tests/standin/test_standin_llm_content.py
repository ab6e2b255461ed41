"""The schema-driven content generator: valid for any schema, sensible for pet videos."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from cctui.standin.llm_content import break_validity, generate

WORKFLOW_SCHEMAS = sorted(p for p in (Path(__file__).resolve().parents[2] / "workflows").rglob("schemas/*.json")
                          if "display" not in p.name)

TRICKY = {
    "type": "object",
    "$defs": {"line": {"type": "string", "maxLength": 30}},
    "properties": {
        "hashtags": {"type": "array", "items": {"type": "string"}, "minItems": 5, "maxItems": 10,
                     "uniqueItems": True},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}, "minItems": 7, "maxItems": 7},
        "bpm": {"type": "integer", "minimum": 100, "maximum": 120},
        "motion_strength": {"type": "integer", "minimum": 1, "maximum": 10},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "mood": {"type": "string", "enum": ["tense", "calm", "dramatic"]},
        "flag": {"type": "boolean"},
        "slug": {"type": "string", "pattern": "^[0-9]+$"},
        "when": {"type": "string", "format": "date"},
        "metadata": {"type": "object", "additionalProperties": True},
        "zzz_unknown_field": {"type": "string"},
        "nested": {"type": "array", "minItems": 2, "maxItems": 2, "items": {
            "type": "object", "properties": {"element": {"type": "string"}, "location": {"type": "string"}},
            "required": ["element", "location"], "additionalProperties": False}},
    },
    "required": ["hashtags", "lines", "bpm", "motion_strength", "ratio", "maybe", "mood", "flag", "slug", "when",
                 "metadata", "zzz_unknown_field", "nested"],
    "additionalProperties": False,
}


def test_tricky_schema_gives_valid_and_sensible_values():
    value = generate(TRICKY, "Make something for my cat", "seed", "tricky")
    jsonschema.Draft202012Validator(TRICKY).validate(value)
    assert all(tag.startswith("#") for tag in value["hashtags"])
    assert len(set(value["hashtags"])) == len(value["hashtags"])
    assert value["mood"] == "calm", "cozy choices are preferred among enum values"
    assert len(value["zzz_unknown_field"].split()) > 4, "unknown names get a sentence"
    assert value["nested"][0]["element"] != value["nested"][1]["element"]


@pytest.mark.parametrize("path", WORKFLOW_SCHEMAS, ids=lambda p: p.name)
def test_every_workflow_output_schema_gets_a_valid_answer(path):
    schema = json.loads(path.read_text())
    value = generate(schema, "A scene for a dog called Biscuit in the garden.", "seed", path.stem)
    jsonschema.Draft202012Validator(schema).validate(value)


def test_pet_and_place_come_from_the_messages():
    schema = {"type": "object", "properties": {"setting": {"type": "string"}, "narrative": {"type": "string"},
                                               "key_subjects": {"type": "array", "items": {"type": "string"}}},
              "required": ["setting", "narrative", "key_subjects"], "additionalProperties": False}
    dog = generate(schema, "Pet type: Dog. The reading nook scene.", "a", "x")
    assert "reading nook" in dog["setting"] and "dog" in " ".join(dog["key_subjects"])
    cat = generate(schema, "Pet type: Cat. A kitchen morning.", "a", "x")
    assert "kitchen" in cat["setting"] and "cat" in " ".join(cat["key_subjects"])


def test_video_prompts_use_the_selected_elements_and_block_the_others():
    schema = {"type": "object", "properties": {"prompts": {"type": "object", "properties": {
        "leonardo": {"type": "object", "properties": {"positive_prompt": {"type": "string"},
                                                      "negative_prompt": {"type": "string"}},
                     "required": ["positive_prompt", "negative_prompt"], "additionalProperties": False}},
        "required": ["leonardo"], "additionalProperties": False}},
        "required": ["prompts"], "additionalProperties": False}
    text = ("Generate video/motion prompts for this pet scene\n- **sheer curtains**: gentle sway (left window)\n"
            "All of these elements should be kept STATIC:\nsheer curtains, bookshelf, floor lamp\n")
    value = generate(schema, text, "s", "cc_video_prompts")["prompts"]["leonardo"]
    assert "sheer curtains gentle sway" in value["positive_prompt"]
    assert "bookshelf" in value["negative_prompt"] and "sheer curtains" not in value["negative_prompt"]
    assert "morphing" in value["negative_prompt"]


def test_break_validity_really_breaks_it():
    value = generate(TRICKY, "cat", "seed", "tricky")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(break_validity(value, TRICKY), TRICKY)
