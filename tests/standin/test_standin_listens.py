"""The stand-in listens to the creator (issue 14): its text follows the request it is given, and
its pictures and clips show a pet scene with no prompt text burned in.

The CC requests here are the workflow's own prompt templates rendered over a state like the one a
run builds (pet, aesthetic, length, the creator's note, then the scene the stand-in offered).
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
from pathlib import Path

import jinja2
import jsonschema
from PIL import Image, ImageChops

from cctui.standin.llm_content import generate
from cctui.standin.media_factory import encode_image, ffmpeg_exe, make_video, scene_image

CC = Path(__file__).resolve().parents[2] / "workflows" / "cc"
PARTY = Path(__file__).resolve().parents[2] / "tests" / "seed_format" / "party"
NOTE = "Miso and her yellow duck"


def _data(name: str, key: str, item_id: str) -> dict:
    return next(i for i in json.loads((CC / "data" / name).read_text())[key] if i["id"] == item_id)


def _state(pet: str = "cat", aesthetic: str = "cozy_hygge", note: str = NOTE) -> dict:
    return {"pet_type_selection": _data("pet_types.json", "pet_types", pet),
            "aesthetic_selection": _data("aesthetics.json", "aesthetics", aesthetic),
            "duration_selection": _data("durations.json", "durations", "short"), "user_direction": note}


def _request(step: str, stem: str, state: dict) -> tuple[str, dict]:
    """(the conversation as the stand-in reads it, the output schema) of one CC LLM step."""
    prompts = CC / "steps" / step / "prompts"
    system = "\n".join(p.read_text() for p in sorted(prompts.glob("*.txt")) if "user" not in p.name)
    user = jinja2.Template((prompts / f"{stem}_user.txt").read_text()).render(
        state=state, config={"overlay_max_chars": 40})
    schema_path = next(p for p in (CC / "steps" / step / "schemas").glob("*.json") if "display" not in p.name)
    return f"[system] {system}\n[user] {user}", json.loads(schema_path.read_text())


def _answer(step: str, stem: str, state: dict) -> dict:
    text, schema = _request(step, stem, state)
    value = generate(schema, text, "seed:" + text, stem)
    jsonschema.Draft202012Validator(schema).validate(value)
    return value


def _words(value) -> str:
    return json.dumps(value, ensure_ascii=False).lower()


def test_scenes_follow_the_pet_the_note_and_the_aesthetic():
    scenes = _answer("2_scene_generation", "cc_scene_generation", _state())["scenes"]
    assert len(scenes) >= 3
    for scene in scenes:
        text = _words(scene)
        assert "miso" in text, "the name in the creator's note"
        assert "yellow duck" in text, "the creator's prop"
        assert re.search(r"\bcats?\b", text) and not re.search(r"\b(dogs?|puppy|biscuit|mochi)\b", text)
        assert "cozy hygge" in scene["scene_keywords"], "the chosen aesthetic leads the keywords"
    assert len({s["setting"] for s in scenes}) == len(scenes), "the concepts are different scenes"


def test_a_dog_with_another_note_and_aesthetic_gets_its_own_scenes():
    state = _state("dog", "golden_hour", "Biscuit and his red ball")
    scenes = _answer("2_scene_generation", "cc_scene_generation", state)["scenes"]
    text = _words(scenes)
    assert "biscuit" in text and "red ball" in text and "miso" not in text
    assert not re.search(r"\b(cats?|kitten)\b", text)
    assert "garden" in scenes[0]["setting"], "golden hour outdoors leads to the garden"
    assert all("golden hour outdoors" in s["scene_keywords"] for s in scenes)


def test_cat_and_dog_features_both():
    scenes = _answer("2_scene_generation", "cc_scene_generation", _state("cat_and_dog", note="Miso and Rex"))
    assert all("Miso and Rex" in s["pet_behavior"] for s in scenes["scenes"])
    assert "cat and dog" in _words(scenes)


def test_later_steps_follow_the_scene_chosen():
    state = _state()
    scenes = _answer("2_scene_generation", "cc_scene_generation", state)["scenes"]
    chosen, others = scenes[1], [scenes[0], scenes[2]]
    state["selected_scene"] = chosen
    prompts = _answer("3_image_prompts", "cc_image_prompts", state)
    text = _words(prompts)
    assert chosen["setting"].lower() in text and "miso" in text and "yellow duck" in text
    assert all(other["setting"].lower() not in text for other in others)

    state["image_analysis"] = {"environment": {"setting": chosen["setting"], "atmosphere": "calm",
                                               "lighting": "soft", "time_of_day": "afternoon",
                                               "key_subjects": ["cat", "yellow duck"]},
                               "motion_elements": {"all_potential_elements": ["yellow duck", "curtains"]}}
    state["selected_motion_elements"] = [{"element": "yellow duck", "motion_type": "gentle bob",
                                          "location": "beside Miso"}]
    video = _answer("5_video_generation", "cc_video_prompts", state)
    sora = video["prompts"]["sora"]["prompt"]
    assert chosen["setting"] in sora and "Miso" in sora and "yellow duck gentle bob" in sora
    assert video["scene_title"] == chosen["title"]

    state["selected_text_overlay"] = {"style": "playful", "lines": ["Duck duty", "Nap mode", "Soft paws"]}
    social = _answer("7_titles_social", "cc_titles_social", state)
    text = _words(social)
    assert "miso" in text and not re.search(r"\b(dog|biscuit|mochi)\b", text)


def test_the_vision_answer_names_what_the_picture_shows(http, sh):
    """The image analysis request carries only the picture: the stand-in reads the prompt it drew it from."""
    prompt = ("A sleepy cat named Miso curls up on the window seat, with her yellow duck in a rain-streaked "
              "reading nook with a window seat, stacked books and a wool blanket.")
    url = "data:image/png;base64," + base64.b64encode(encode_image(scene_image(prompt, (360, 640)))).decode()
    text, schema = _request("4_image_analysis", "cc_image_analysis", _state())
    system, user = text.split("\n[user] ")
    body = {"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": system.removeprefix("[system] ")},
        {"role": "user", "content": [{"type": "text", "text": user},
                                     {"type": "image_url", "image_url": {"url": url}}]}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "analysis", "schema": schema,
                                                                   "strict": False}}}
    r = http.post("/openai/v1/chat/completions", json=body, headers=sh.openai)
    assert r.status_code == 200, r.text
    analysis = json.loads(r.json()["choices"][0]["message"]["content"])
    jsonschema.Draft202012Validator(schema).validate(analysis)
    assert "reading nook" in analysis["environment"]["setting"]
    assert "yellow duck" in analysis["environment"]["key_subjects"]
    elements = [e["element"] for e in analysis["motion_elements"]["detected_elements"]]
    assert elements[0] == "yellow duck" and any("Miso" in e for e in elements), elements
    assert not re.search(r"\bdog\b", _words(analysis))

    # A picture the stand-in did not draw shows nothing it knows: still a valid answer.
    plain = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 60)).save(plain, "PNG")
    body["messages"][1]["content"][1]["image_url"]["url"] = \
        "data:image/png;base64," + base64.b64encode(plain.getvalue()).decode()
    r = http.post("/openai/v1/chat/completions", json=body, headers=sh.openai)
    assert r.status_code == 200, r.text
    jsonschema.Draft202012Validator(schema).validate(json.loads(r.json()["choices"][0]["message"]["content"]))


def test_other_workflows_get_answers_from_their_own_words():
    schema = json.loads((PARTY / "steps" / "2_theme" / "schemas" / "themes_schema.json").read_text())
    text = ("[system] You plan birthday parties for pets. Answer with JSON only, matching the schema.\n"
            "[user] Plan 3 party themes for Nibbles, a cat.\n")
    themes = generate(schema, text, "party", "themes")["themes"]
    jsonschema.Draft202012Validator(schema).validate({"themes": themes})
    titles = " ".join(t["title"] for t in themes)
    assert "Nibbles" in titles and "Party" in titles, titles
    assert not re.search(r"\b(dog|mochi)\b", _words(themes))


def test_an_unknown_schema_is_filled_validly():
    schema = {"type": "object", "required": ["grid", "pair", "free", "weird_name", "choice"],
              "additionalProperties": False,
              "properties": {
                  "grid": {"type": "array", "minItems": 2, "items": {"type": "array", "minItems": 1, "maxItems": 2,
                                                                     "items": {"type": "integer", "minimum": 3}}},
                  "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}]},
                  "free": {"type": "object", "required": ["anything"]},
                  "weird_name": {"type": "string", "minLength": 12, "maxLength": 20},
                  "choice": {"oneOf": [{"type": "null"}, {"type": "string", "enum": ["a", "b"]}]}}}
    value = generate(schema, "[user] Something for my parrot Kiwi, please.", "seed", "unknown")
    jsonschema.Draft202012Validator(schema).validate(value)
    assert "Kiwi" in json.dumps(value) and "Mochi" not in json.dumps(value), "the name in the request"


def test_answers_are_deterministic():
    text, schema = _request("2_scene_generation", "cc_scene_generation", _state())
    assert generate(schema, text, "s", "x") == generate(schema, text, "s", "x")


# --------------------------------------------------------------------------- pictures and clips

PROMPTS = [
    "A sleepy cat named Miso curls up with her yellow duck in a rain-streaked reading nook, Cozy Hygge",
    "golden retriever dog with his red ball in a backyard garden at golden hour with tall grass",
    "cat and dog on a sunny beach with a striped towel and turquoise waves",
    "ginger cat by a night-time desk by a big window with city lights, neon, lo-fi",
    "Write something long: " + "the quick brown fox jumps over the lazy dog again and again " * 6,
]


def _rows_are_plain(img: Image.Image, top: int, tolerance: int = 0) -> bool:
    """Every row from `top` down is one colour (within `tolerance`): no lettering there."""
    rgb = img.convert("RGB")
    for y in range(top, rgb.height):
        row = rgb.crop((0, y, rgb.width, y + 1))
        extrema = row.getextrema()
        if any(hi - lo > tolerance for lo, hi in extrema):
            return False
    return True


def test_pictures_have_no_prompt_text_in_their_lower_part():
    for prompt in PROMPTS:
        for size in ((432, 768), (768, 432)):
            img = scene_image(prompt, size)
            assert _rows_are_plain(img, int(size[1] * 0.62)), (prompt, size)
    # The same place drawn from two very different prompts: the lower band is the same pixels, so
    # nothing of the prompt's words is drawn there.
    a = scene_image("A cat named Miso with her yellow duck in a reading nook, cozy hygge", (432, 768))
    b = scene_image("Biscuit the dog sits in the reading nook: " + "many more words about nothing " * 9, (432, 768))
    band = (0, int(768 * 0.62), 432, 768)
    assert ImageChops.difference(a.crop(band), b.crop(band)).getbbox() is None
    assert ImageChops.difference(a, b).getbbox() is not None, "the pictures themselves differ"


def test_the_demo_mark_is_small_and_in_the_corner():
    for size in ((432, 768), (1536, 1024)):
        marked = scene_image(PROMPTS[0], size)
        plain = scene_image(PROMPTS[0], size, mark=False)
        box = ImageChops.difference(marked, plain).getbbox()
        assert box is not None, "there is a DEMO mark"
        left, top, right, bottom = box
        assert left > size[0] * 0.6 and bottom < size[1] * 0.2, box
        assert (right - left) * (bottom - top) < 0.02 * size[0] * size[1], box


def test_pictures_follow_the_prompt():
    cat = scene_image("a black cat in a reading nook", (300, 400), mark=False)
    dog = scene_image("a black dog in a reading nook", (300, 400), mark=False)
    assert ImageChops.difference(cat, dog).getbbox() is not None, "a cat is drawn differently from a dog"
    garden = scene_image("a cat in a garden at golden hour", (300, 400), mark=False)
    beach = scene_image("a cat on a beach by turquoise waves", (300, 400), mark=False)
    assert garden.getpixel((150, 399)) != beach.getpixel((150, 399)), "grass is not sand"


def test_clips_move_and_carry_no_text_at_the_bottom(tmp_path):
    out = tmp_path / "clip.mp4"
    make_video(scene_image(PROMPTS[0], (360, 640)), out, (360, 640), 2.0)

    def frame(t: float) -> Image.Image:
        png = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", f"{t:.2f}", "-i", str(out), "-frames:v", "1",
                              "-f", "image2pipe", "-vcodec", "png", "-"], capture_output=True, check=True).stdout
        return Image.open(io.BytesIO(png)).convert("RGB")

    first, later = frame(0.1), frame(1.0)
    assert ImageChops.difference(first, later).getbbox() is not None, "the clip moves"
    for img in (first, later):
        assert _rows_are_plain(img, int(640 * 0.66), tolerance=12), "no lettering in the lower band"


def test_retry_feedback_is_heard():
    schema = {"type": "object", "properties": {"narrative": {"type": "string"}, "pet_behavior": {"type": "string"}},
              "required": ["narrative", "pet_behavior"], "additionalProperties": False}
    request = "[system] Write scenes.\n[user] **Pet Type:** Cat\n**User Direction:** Miso and her yellow duck"
    retry = request + '\n[assistant] {"narrative": "Miso naps."}\n[user] Call her Luna instead.'
    value = generate(schema, retry, "s", "x", request_text=request)
    assert "Luna" in value["pet_behavior"] and "Miso" not in json.dumps(value)
    assert "yellow duck" in value["pet_behavior"], "the note still counts"
