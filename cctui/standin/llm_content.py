"""The stand-in LLM: sensible pet-video JSON for any JSON Schema, deterministic per request.

`generate(schema, messages_text, seed_material, schema_name)` walks the schema (objects, arrays
with minItems/maxItems, enums, integers/numbers with bounds, strings with maxLength / format,
`$ref` into `$defs`, anyOf / oneOf / allOf) and fills strings from `vocabulary` by property name:
title, hook, narrative, setting, element / motion_type / location, prompt / positive_prompt /
negative_prompt, lines, hashtags, bpm, key, instruments, mood, colours, sounds, genres, ...
Unknown names get a reasonable generic sentence.

It listens (`request_reading` reads the request's user text the way a model would):
- the pet (cat, dog, or both) comes from the request's own words ("**Pet Type:** Cat"), never from
  a system prompt's general rules; the names and things in the creator's note ("Miso and her
  yellow duck") are used everywhere, so later steps talk about the same animal and its duck;
- the chosen aesthetic leads every keyword list and image prompt, its "avoid" words go into the
  negative prompts, and it ranks the themes (`Theme.keywords`) the scenes are drawn from;
- once a scene is chosen (the request quotes its setting), every part of the answer stays in it;
- a picture the stand-in drew "shows" its prompt (the routes add it to the request), so the
  image analysis names the pet and the duck in it;
- a request about something else ("Plan 3 party themes for Nibbles") gets titles and sentences
  about its own topic and names.

Coherence, not randomness:
- one `Theme` (a place, its light, colours, movable things, sounds) per answer, the one the
  request points at; array items that are whole concepts (they have a title / name / setting /
  label / style) each take the next best theme, so three scene concepts are three different scenes;
- video prompts use the motion elements the user selected (`- **element**: motion (location)`
  lines) and put the elements listed after "STATIC:" in the negative prompt;
- the seed is a hash of all the messages and the schema, so a retry with different feedback
  gives a different answer, and the same request the same answer.

Steering (for tests): `STANDIN:duration=N` anywhere in the messages (e.g. in the feedback of
a retry) makes every duration / seconds / length number in the answer N, within the schema's
own bounds (the CC music prompts schema has none, so `STANDIN:duration=2` gives 2 s prompts).
"""

from __future__ import annotations

import copy
import hashlib
import random
import re
from dataclasses import dataclass, replace
from typing import Any

from . import vocabulary as V
from .request_reading import Brief, read_request

# Array items with one of these keys are whole scenes: each takes its own theme.
SCENE_KEYS = {"title", "setting", "narrative", "hook", "scene_title"}
COZY_ENUM_PREFS = {"subtle", "quiet", "calm", "serene", "warm", "gentle/flowing", "slow/meditative",
                   "medium-low", "low", "medium", "cozy", "soft", "gentle"}
MAX_DEPTH = 12  # path length after which recursive schemas are cut to their minimum
DEFAULT_COUNTS = {"titles": 5, "hashtags": 6, "lines": 5, "key_subjects": 4, "dominant_colors": 4,
                  "all_potential_elements": 8, "detected_elements": 4, "instruments": 3, "scenes": 3,
                  "visual_moments": 4, "scene_keywords": 5, "implied_sounds": 3}


def seed_from(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()[:8], "big")


@dataclass(frozen=True)
class Frame:
    theme: V.Theme
    index: int = 0  # index of the innermost array item we are in
    concept_index: int = 0  # index of the concept (scene, option, set) we are in
    in_concept: bool = False


def _detect_pet(text: str) -> str:
    """The pet when the request names none in its own words: the most mentioned one, else a cat."""
    low = text.lower()
    cats = len(re.findall(r"\b(cat|cats|kitten|kitty|tabby)\b", low))
    dogs = len(re.findall(r"\b(dog|dogs|puppy|pup|corgi|retriever|beagle)\b", low))
    return "dog" if dogs > cats else "cat"


def _vocabulary_words() -> set[str]:
    """Every lower-case word the stand-in writes itself: such a word is never a creator's name."""
    words: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            words.update(w.lower() for w in re.findall(r"[A-Za-z]+", value))
        elif isinstance(value, (tuple, list)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, V.Theme):
            walk([getattr(value, f) for f in value.__dataclass_fields__ if f != "key"])

    walk([V.THEMES, *[{k: v for k, v in pet.items() if k != "names"} for pet in V.PETS.values()],
          V.TITLE_TEMPLATES, V.HOOKS, V.NARRATIVES, V.VISUAL_MOMENTS, V.OVERLAY_LINES, V.KEYWORDS, V.GENERIC,
          V.MUSIC_MOODS, V.INSTRUMENTS, V.EMOTIONAL_ARCS])
    return words


VOCABULARY_WORDS = _vocabulary_words()


def _count(words: tuple[str, ...], text: str) -> int:
    return sum(len(re.findall(rf"\b{re.escape(w)}", text)) for w in words)


def rank_themes(brief: Brief, seed: int) -> tuple[list[int], bool]:
    """Theme indices best first, and whether the request already settled on one scene (it quotes
    the scene's setting): then every part of the answer stays in that scene."""
    text = brief.user_text.lower()
    for value in brief.avoid:  # "Avoid: neon" must not pull the scene towards neon
        text = text.replace(value.lower(), " ")
    direction = brief.direction.lower()
    hint = (brief.setting or "").lower()
    scores = []
    for i, theme in enumerate(V.THEMES):
        score = 3 * _count(theme.keywords, direction) + _count(theme.keywords, text) + 2 * text.count(theme.place)
        if theme.setting.lower() in text:
            score += 1000 if theme.setting.lower() == hint or not hint else 100
        if hint:
            score += 5 * _count(theme.keywords, hint) + 5 * hint.count(theme.place)
        scores.append(score)
    order = sorted(range(len(V.THEMES)), key=lambda i: (-scores[i], (i + seed) % len(V.THEMES)))
    settled = bool(hint) or scores[order[0]] >= 1000
    return order, settled


class Generator:
    def __init__(self, root: dict[str, Any], messages_text: str, seed_material: str, schema_name: str = "",
                 request_text: str | None = None):
        self.root = root
        self.text = messages_text
        self.seed = seed_from(seed_material, schema_name)
        self.schema_name = schema_name or ""
        self.brief = read_request(messages_text, request_text, VOCABULARY_WORDS)
        self.pet_kind = self.brief.pet_kind or _detect_pet(messages_text)
        self.pet = V.PETS[self.pet_kind]
        self.name_known = True
        self.pet_name = self._pet_name(messages_text)
        default_poss = "her" if self.pet_kind == "cat" else "his"
        self.poss = "their" if self.pet_kind == "duo" else self.brief.pronoun or default_poss
        self.props = list(self.brief.props)
        self.theme_order, self.settled = rank_themes(self.brief, self.seed)
        self.theme_base = self.theme_order[0]
        self.aesthetic = self.brief.aesthetic
        words = [self.aesthetic.lower()] if self.aesthetic else []
        self.keywords = list(dict.fromkeys(words + [k.lower() for k in self.brief.lean_into] + list(V.KEYWORDS)))
        video_words = ("video", "clip", "scene", "image", "photo", "music", "overlay", "caption", "title")
        request_low = (request_text or messages_text).lower()
        self.topic = (self.brief.topic if self.brief.topic and not any(w in request_low for w in video_words)
                      else None)
        # The domain (music, video, ...) comes from the end of the request up to its prompt: on a
        # retry the earlier answer and the feedback come after the prompt and must not change it.
        last_user = (messages_text if request_text is None else request_text)[-1500:]
        self.domain_text = (self.schema_name + " " + last_user[:600]).lower()
        self.selected = re.findall(r"^\s*-\s*\*\*(.+?)\*\*:\s*(.+?)\s*\((.+?)\)\s*$", messages_text, re.M)
        blocked = re.search(r"STATIC:\s*\n\s*(.+)", messages_text)
        chosen = {s[0].strip().lower() for s in self.selected}
        self.blocked = [b.strip() for b in blocked.group(1).split(",") if b.strip()
                        and b.strip().lower() not in chosen] if blocked else []
        title = re.search(r"\*\*Title:\*\*\s*(.+)", messages_text) or re.search(r"(?m)^Title:\s*(.+)$", messages_text)
        self.title_hint = title.group(1).strip() if title else None
        duration = (re.search(r"STANDIN:duration=(\d{1,4})\b", messages_text)
                    or re.search(r"(\d{1,3})\s*(?:seconds|second|s)\b", messages_text))
        self.duration_hint = int(duration.group(1)) if duration else None

    # ------------------------------------------------------------------ helpers

    def rng(self, path: tuple[Any, ...]) -> random.Random:
        return random.Random(seed_from(str(self.seed), "/".join(map(str, path))))

    def _pet_name(self, messages_text: str) -> str:
        names = self.brief.names
        defaults = self.pet["names"]
        if not names:  # a default name an earlier step already used is kept
            names = [n for n in defaults if n in messages_text][:1]
            self.name_known = bool(names)
            return names[0] if names else defaults[self.seed % len(defaults)]
        if self.pet_kind != "duo":
            return names[0]
        if len(names) >= 2:
            return f"{names[0]} and {names[1]}"
        partner = next(n for n in V.PETS["dog"]["names"] if n != names[0])
        return f"{names[0]} and {partner}"

    def theme_at(self, offset: int) -> V.Theme:
        theme = V.THEMES[self.theme_order[0 if self.settled else offset % len(self.theme_order)]]
        setting = self.brief.setting
        if setting and setting.lower() != theme.setting.lower():
            theme = replace(theme, setting=setting)  # the chosen scene's own words
        return theme

    def who(self) -> str:
        """How a description of a picture calls the pet: its name only when the request told it."""
        return self.pet_name if self.name_known else f"the {self.pet['noun']}"

    def behavior(self, index: int) -> str:
        return self.pet["behaviors"][index % len(self.pet["behaviors"])].replace("{poss}", self.poss)

    def with_props(self, lead: str = ", with") -> str:
        """ ", with her yellow duck" when the creator gave the pet something, else nothing."""
        return f"{lead} {self.poss} {' and '.join(self.props[:2])}" if self.props else ""

    def elements(self, theme: V.Theme) -> list[tuple[str, str, str]]:
        """What could move in the scene: the creator's things first, the pet's small motions, the place's."""
        first = self.pet_name.split(" and ")[0] if self.name_known else self.who().split(" and ")[0]
        own = [(prop, ("gentle bob", "tiny wobble", "slow roll")[k % 3], f"beside {first}, lower centre")
               for k, prop in enumerate(self.props[:2])]
        pet = [(f"{first}'s ear tips", "tiny twitch", "head, centre")]
        return own + list(theme.elements[:1]) + pet + list(theme.elements[1:])

    def domain(self, path: tuple[Any, ...]) -> str:
        text = self.schema_name.lower() + " " + " ".join(str(p) for p in path).lower()
        for words, name in ((("music", "song", "soundtrack"), "music"), (("video", "motion", "sora"), "video"),
                            (("overlay",), "overlay"), (("social", "titles_social", "description", "hashtag"), "social"),
                            (("image", "leonardo", "midjourney", "stable", "openai", "dalle"), "image")):
            if any(w in text for w in words):
                return name
        for words, name in ((("music", "soundtrack"), "music"), (("video", "motion"), "video"),
                            (("overlay",), "overlay"), (("title", "social"), "social"), (("image",), "image")):
            if any(w in self.domain_text for w in words):
                return name
        return "scene"

    def fill(self, template: str, frame: Frame, rng: random.Random) -> str:
        theme = frame.theme
        place_prop = theme.props[(frame.index + frame.concept_index) % len(theme.props)]
        prop = self.props[0] if self.props else place_prop
        possessive = f"{self.pet_name}'" if self.pet_name.endswith("s") else f"{self.pet_name}'s"
        template = template.replace("{name}'s", "{name_poss}")
        topic = self.topic or "moment"
        values = {
            "name_poss": possessive, "poss": self.poss, "place_prop": place_prop,
            "obj": {"her": "her", "his": "him"}.get(self.poss, "them"),
            "topic": topic, "Topic": topic.title(), "with_props": self.with_props(),
            "name": self.pet_name, "noun": self.pet["noun"], "Noun": self.pet["noun"].title().replace(" And ", " and "),
            "trait": rng.choice(self.pet["traits"]), "Trait": rng.choice(self.pet["traits"]).title(),
            "place": theme.place, "Place": theme.place.title(), "time": theme.time_of_day,
            "Time": theme.time_of_day.title(), "weather": theme.weather,
            "Weather_word": {"sunny": "Sunshine", "rainy": "Rain", "snowing": "Snow"}.get(theme.weather, "Dreams"),
            "prop": prop, "Prop": prop.title(), "sound": theme.sounds[0],
            "lighting_short": theme.lighting.split(",")[0], "adj": rng.choice(V.ADJECTIVES),
            "Adj": rng.choice(V.ADJECTIVES).title(), "color1": theme.colors[0], "color2": theme.colors[1],
        }
        return template.format(**values)

    def pick(self, options: tuple[str, ...] | list[str], frame: Frame, salt: int = 0) -> str:
        """Same request → same choice; different items (and different requests) → different ones."""
        return options[(self.seed % 997 + frame.concept_index + frame.index + salt) % len(options)]

    # ------------------------------------------------------------------ schema walking

    def resolve(self, schema: Any, deep: bool = False) -> dict[str, Any]:
        if not isinstance(schema, dict):
            return {}
        seen = 0
        while "$ref" in schema and seen < 32:
            ref = schema["$ref"]
            target: Any = self.root
            if not ref.startswith("#"):
                break
            for part in [p for p in ref[1:].split("/") if p]:
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part, {}) if isinstance(target, dict) else {}
            merged = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **merged}
            seen += 1
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for sub in schema["allOf"]:
                sub = self.resolve(sub)
                merged.setdefault("properties", {}).update(sub.get("properties", {}))
                merged["required"] = list(dict.fromkeys(merged.get("required", []) + sub.get("required", [])))
                for key, value in sub.items():
                    if key not in ("properties", "required"):
                        merged.setdefault(key, value)
            schema = merged
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [self.resolve(o) for o in schema[key]]
                usable = [o for o in options if o.get("type") != "null"] or options
                if deep:  # a recursive schema: stop where the schema lets us
                    usable = [o for o in options if o.get("type") == "null"] or usable
                base = {k: v for k, v in schema.items() if k != key}
                schema = {**base, **usable[0]} if usable else base
        return schema

    def value(self, schema: Any, path: tuple[Any, ...], frame: Frame, name: str) -> Any:
        schema = self.resolve(schema, deep=len(path) > MAX_DEPTH)
        rng = self.rng(path)
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        if "enum" in schema and schema["enum"]:
            return self.enum_value(schema["enum"], frame, rng)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        if kind == "object":
            return self.object_value(schema, path, frame)
        if kind == "array":
            return self.array_value(schema, path, frame, name)
        if kind == "integer":
            return self.number_value(schema, name, frame, rng, integer=True)
        if kind == "number":
            return self.number_value(schema, name, frame, rng, integer=False)
        if kind == "boolean":
            return name.lower().startswith(("is_", "has_", "include", "use_")) or rng.random() < 0.5
        if kind == "null":
            return None
        return self.string_value(schema, path, frame, name, rng)

    def enum_value(self, enum: list[Any], frame: Frame, rng: random.Random) -> Any:
        preferred = [e for e in enum if isinstance(e, str) and e.lower() in COZY_ENUM_PREFS]
        pool = preferred or enum
        return copy.deepcopy(pool[(frame.concept_index + rng.randrange(len(pool))) % len(pool)])

    def object_value(self, schema: dict[str, Any], path: tuple[Any, ...], frame: Frame) -> dict[str, Any]:
        out: dict[str, Any] = {}
        properties = schema.get("properties") or {}
        if len(path) > MAX_DEPTH:  # recursive schema: only what is required
            properties = {k: v for k, v in properties.items() if k in (schema.get("required") or [])}
        for prop, sub in properties.items():
            out[prop] = self.value(sub, path + (prop,), frame, prop)
        for prop in schema.get("required") or []:
            if prop not in out:
                out[prop] = self.string_value({}, path + (prop,), frame, prop, self.rng(path + (prop,)))
        if isinstance(out.get("word_count"), int) and isinstance(out.get("narration"), str):
            out["word_count"] = len(out["narration"].split())  # as a model counts its own words
        return out

    def array_value(self, schema: dict[str, Any], path: tuple[Any, ...], frame: Frame, name: str) -> list[Any]:
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list) and prefix:  # a tuple: one value per position, as many as required
            rest = schema.get("items")
            count = max(len(prefix), int(schema.get("minItems", 0) or 0)) if rest is not False else len(prefix)
            return [self.value(prefix[i] if i < len(prefix) else (rest if isinstance(rest, dict) else {}),
                               path + (i,), replace(frame, index=i), name) for i in range(count)]
        items = self.resolve(schema.get("items") if isinstance(schema.get("items"), dict) else {})
        low = int(schema.get("minItems", 0) or 0)
        high = schema.get("maxItems")
        want = DEFAULT_COUNTS.get(name.lower(), 3)
        if name.lower() == "lines" and self.duration_hint:
            want = max(3, min(8, self.duration_hint // 5))
        count = max(low, want if high is None else min(int(high), want))
        if len(path) > MAX_DEPTH:
            count = low
        props = set((items.get("properties") or {}).keys())
        is_concept = items.get("type") == "object" or bool(props)
        is_concept = is_concept and not frame.in_concept
        new_theme = bool(props & SCENE_KEYS)
        out: list[Any] = []
        seen: set[str] = set()
        for i in range(count):
            if is_concept:
                sub = Frame(self.theme_at(i) if new_theme else frame.theme, index=0, concept_index=i,
                            in_concept=True)
            else:
                sub = replace(frame, index=i)
            item = self.value(items, path + (i,), sub, name)
            if isinstance(item, str):
                tries = 0
                while item in seen and tries < 40:
                    tries += 1
                    item = self.value(items, path + (i, tries), replace(sub, index=i + tries * count), name)
                if item in seen:
                    item = f"{item} ({i + 1})"
                seen.add(item)
            out.append(item)
        return out

    def number_value(self, schema: dict[str, Any], name: str, frame: Frame, rng: random.Random,
                     *, integer: bool) -> int | float:
        low_name = name.lower()
        lo = schema.get("minimum")
        hi = schema.get("maximum")
        if "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
            lo = schema["exclusiveMinimum"] + (1 if integer else 0.01)
        if "exclusiveMaximum" in schema and not isinstance(schema["exclusiveMaximum"], bool):
            hi = schema["exclusiveMaximum"] - (1 if integer else 0.01)
        if "bpm" in low_name or "tempo" in low_name:
            value: float = 70 + (rng.randrange(7) + frame.concept_index * 5) % 30
        elif "duration" in low_name or "seconds" in low_name or "length" in low_name:
            value = self.duration_hint or (30 if self.domain(()) == "music" else 5)
        elif "strength" in low_name or "intensity" in low_name:
            value = 3
        elif "year" in low_name:
            value = 2026
        elif "index" in low_name:
            value = frame.index
        elif any(w in low_name for w in ("confidence", "score", "probability")):
            value = 0.8 + rng.random() * 0.15 if not integer else 8
        elif lo is not None and hi is not None:
            value = (lo + hi) / 2
        else:
            value = 1 + rng.randrange(9)
        if lo is not None:
            value = max(value, lo)
        if hi is not None:
            value = min(value, hi)
        step = schema.get("multipleOf")
        if step:
            value = round(value / step) * step
            if lo is not None and value < lo:
                value += step
        return int(round(value)) if integer else round(float(value), 3)

    def string_value(self, schema: dict[str, Any], path: tuple[Any, ...], frame: Frame, name: str,
                     rng: random.Random) -> str:
        fmt = schema.get("format")
        if fmt == "date":
            text = "2026-01-26"
        elif fmt == "date-time":
            text = "2026-01-26T10:00:00Z"
        elif fmt in ("uri", "url"):
            text = f"https://example.com/standin/{name}/{frame.index}"
        elif fmt == "email":
            text = "pets@example.com"
        elif fmt == "uuid":
            text = "00000000-0000-4000-8000-%012d" % (frame.index + 1)
        else:
            text = self.text_for(name, path, frame, rng)
        max_len = schema.get("maxLength")
        if isinstance(max_len, int) and len(text) > max_len:
            cut = text[:max_len]
            text = cut.rsplit(" ", 1)[0] if " " in cut[1:] else cut
        min_len = schema.get("minLength")
        if isinstance(min_len, int) and len(text) < min_len:
            filler = " with soft light and calm paws"
            while len(text) < min_len:
                text += filler
            if isinstance(max_len, int):
                text = text[:max_len]
        pattern = schema.get("pattern")
        if pattern:
            try:
                if not re.search(pattern, text):
                    for candidate in (str(frame.index + 1), self.pet_name.lower(), "a", "A1", "cozy-cat"):
                        if re.search(pattern, candidate):
                            text = candidate
                            break
            except re.error:
                pass
        return text

    # ------------------------------------------------------------------ vocabulary by name

    def text_for(self, name: str, path: tuple[Any, ...], frame: Frame, rng: random.Random) -> str:
        n = name.lower()
        theme = frame.theme
        dom = self.domain(path)
        i = frame.index + frame.concept_index
        if "negative" in n:
            return self.negative_prompt(dom, theme)
        if "hashtag" in n or n == "tags":
            pool = V.PET_HASHTAGS[self.pet_kind] + V.HASHTAGS
            return pool[(i + frame.concept_index * 2) % len(pool)]
        if "prompt" in n:
            return self.prompt(dom, path, frame, rng)
        if "title" in n:
            if self.title_hint and n == "scene_title":
                return self.title_hint
            return self.fill(self.pick(V.TOPIC_TITLES if self.topic else V.TITLE_TEMPLATES, frame), frame, rng)
        if "hook" in n:
            return self.fill(self.pick(V.HOOKS, frame), frame, rng)
        if n in ("narration", "monologue", "voice_over", "voiceover"):
            return self.narration(frame, rng)
        if n == "delivery":
            return V.NARRATION_DELIVERY[frame.concept_index % len(V.NARRATION_DELIVERY)].format(noun=self.pet["noun"])
        if "narrative" in n or "story" in n:
            return self.fill(self.pick(V.NARRATIVES, frame), frame, rng)
        if "arc" in n.split("_") or "emotional_arc" in n:
            return self.pick(V.EMOTIONAL_ARCS, frame)
        if "behavior" in n or "behaviour" in n:
            kind = f"{rng.choice(self.pet['traits'])} {self.pet['noun']}"
            action = self.behavior(self.pick(range(len(self.pet['behaviors'])), frame))
            near = f", {self.poss} {' and '.join(self.props[:2])} close by" if self.props else ""
            return f"{self.pet_name}, the {kind}, {action}{near}"
        if "moment" in n:
            return self.fill(V.VISUAL_MOMENTS[(i + frame.concept_index) % len(V.VISUAL_MOMENTS)], frame, rng)
        if "keyword" in n:
            if self.aesthetic and frame.index == 0:
                return self.keywords[0]  # the chosen aesthetic leads every keyword list
            return self.keywords[(i + frame.concept_index * 2) % len(self.keywords)]
        if n in ("species", "animal", "pet_type", "pet"):
            return self.pet["noun"]
        if "appearance" in n:
            return self.fill("a {trait} " + self.pet["noun"] + ", calm and recognisable{with_props}", frame, rng)
        if n == "pose":
            return self.behavior(frame.concept_index)
        if n.endswith("setting") or n == "scene":
            return theme.setting
        if "time_of_day" in n or n == "time":
            return theme.time_of_day
        if "weather" in n:
            return theme.weather
        if "location_type" in n:
            return theme.location_type
        if "subject" in n:
            who = f" ({self.pet_name})" if self.name_known else ""  # a picture alone does not tell a name
            pool = [f"{rng.choice(self.pet['traits'])} {self.pet['noun']}{who}", *self.props, *theme.props]
            return pool[i % len(pool)]
        if "color" in n or "colour" in n or "palette" in n:
            return theme.colors[i % len(theme.colors)]
        if "atmosphere" in n or n == "vibe":
            return theme.atmosphere
        if "lighting" in n or n == "light":
            return theme.lighting
        if n in ("element", "elements", "all_potential_elements") or n.endswith("_elements"):
            names = [e[0] for e in self.elements(theme)]
            pool = names if n == "element" else names + list(theme.static_things)
            return pool[i % len(pool)]
        if "motion_type" in n or n == "motion":
            return self.elements(theme)[i % len(self.elements(theme))][1]
        if n == "location" or n.endswith("_location") or n == "position":
            return self.elements(theme)[i % len(self.elements(theme))][2]
        if "sound" in n:
            return theme.sounds[i % len(theme.sounds)]
        if "genre" in n:
            return theme.genres[(i + frame.concept_index) % len(theme.genres)]
        if "era" in n.split("_"):
            return theme.era
        if "cultur" in n:
            return theme.culture
        if "texture" in n:
            return f"warm and gentle: {theme.genres[0]} textures, soft attack, lots of air"
        if "instrument" in n:
            return V.INSTRUMENTS[(i + frame.concept_index * 3 + rng.randrange(2)) % len(V.INSTRUMENTS)]
        if "mood" in n:
            return V.MUSIC_MOODS[frame.concept_index % len(V.MUSIC_MOODS)] if dom == "music" else theme.atmosphere
        if "energy" in n:
            return ("low", "medium-low", "medium")[frame.concept_index % 3]
        if n in ("key", "musical_key", "key_signature"):
            return V.KEYS[(frame.concept_index + rng.randrange(3)) % len(V.KEYS)]
        if "bpm" in n or "tempo" in n:
            return str(70 + (frame.concept_index * 8 + rng.randrange(6)) % 30)
        if n == "name":
            if dom == "music":
                return V.MUSIC_NAMES[(frame.concept_index + self.theme_base) % len(V.MUSIC_NAMES)]
            return self.fill(V.TITLE_TEMPLATES[frame.concept_index % len(V.TITLE_TEMPLATES)], frame, rng)
        if n == "label":
            if dom == "music":
                return ("Gentle version", "Playful version", "Cinematic version", "Minimal version")[frame.concept_index % 4]
            return f"Option {frame.concept_index + 1}: {theme.place.title()}"
        if n == "style" or n == "tone":
            if dom in ("overlay", "social", "scene"):
                return V.OVERLAY_STYLES[frame.concept_index % len(V.OVERLAY_STYLES)]
            return "soft natural-light pet photography, shallow depth of field"
        if n in ("lines", "line", "overlay", "overlays", "caption", "captions") or (n == "text" and dom == "overlay"):
            style = V.OVERLAY_STYLES[frame.concept_index % 3]
            lines = V.OVERLAY_LINES[style]
            return self.fill(lines[i % len(lines)], frame, rng)
        if n == "text" or "description" in n or n == "caption":
            return self.description(dom, frame, rng)
        if "summary" in n:
            if dom == "video":
                return self.motion_phrase(frame) + f"; {self.who()} keeps {self.poss} pose and the camera stays still."
            return self.fill(self.pick(V.NARRATIVES, frame), frame, rng)
        if "notes" in n or "composition" in n:
            return self.notes(dom, n, path, frame)
        if "strength" in n:
            return "subtle"
        if n == "id" or n.endswith("_id"):
            return f"{(str(path[-3]) if len(path) >= 3 else 'item').rstrip('s')}_{i + 1}"
        if "url" in n:
            return f"https://example.com/standin/{n}/{i}"
        if "aspect" in n:
            return "9:16"
        if "duration" in n:
            return f"{self.duration_hint or 5} seconds"
        if "camera" in n:
            return "static camera at pet eye level, no zoom or pan"
        if "emoji" in n:
            return V.EMOJIS[i % len(V.EMOJIS)]
        if any(w in n for w in ("reason", "rationale", "why", "explanation", "feedback")):
            return self.fill("It keeps the {place} calm and lets {name} stay the quiet star of the shot.", frame, rng)
        pool = V.TOPIC_GENERIC if self.topic else V.GENERIC
        return self.fill(pool[(i + frame.concept_index + rng.randrange(len(pool))) % len(pool)], frame, rng)

    # ------------------------------------------------------------------ composed texts

    def motion_phrase(self, frame: Frame) -> str:
        if self.selected:
            parts = [f"{e.strip()} {m.strip()} ({loc.strip()})" for e, m, loc in self.selected[:4]]
        else:
            parts = [f"{e} {m} ({loc})" for e, m, loc in self.elements(frame.theme)[:3]]
        return "; ".join(parts)

    def negative_prompt(self, dom: str, theme: V.Theme) -> str:
        if dom == "music":
            return ", ".join(V.NEGATIVE_MUSIC)
        if dom == "video":
            blocked = self.blocked or list(theme.static_things)
            return ", ".join(list(V.NEGATIVE_STANDARD) + list(V.NEGATIVE_PET) + blocked +
                             ["camera movement", "zoom", "pan"])
        return ", ".join(dict.fromkeys(list(V.NEGATIVE_IMAGE) + self.brief.avoid))

    def prompt(self, dom: str, path: tuple[Any, ...], frame: Frame, rng: random.Random) -> str:
        theme = frame.theme
        where = " ".join(str(p) for p in path).lower()
        trait = rng.choice(self.pet["traits"])
        prop = theme.props[frame.concept_index % len(theme.props)]
        if dom == "music":
            genre = theme.genres[frame.concept_index % len(theme.genres)]
            seconds = self.duration_hint or 30
            instruments = ", ".join(V.INSTRUMENTS[(frame.concept_index * 3 + k) % len(V.INSTRUMENTS)] for k in range(3))
            return (f"Gentle instrumental {genre} at {72 + frame.concept_index * 8} BPM in "
                    f"{V.KEYS[(frame.concept_index + self.theme_base) % len(V.KEYS)]}, featuring {instruments}; "
                    f"{V.MUSIC_MOODS[frame.concept_index % len(V.MUSIC_MOODS)]}, made for a {seconds}-second cozy "
                    f"{self.pet['noun']} video: soft intro, warm middle, slow fade out, no vocals.")
        style = f", {self.aesthetic} aesthetic" if self.aesthetic else ""
        light = theme.lighting.split(",")[0]
        if dom == "video":
            motion = self.motion_phrase(frame)
            if "sora" in where or ("leonardo" not in where and "positive" not in where):
                who = f"{self.pet_name} the" if self.name_known else "The"
                return (f"A static, locked-off shot of a {theme.setting}. {who} {trait} {self.pet['noun']} "
                        f"rests on the {prop}{self.with_props()}, keeping {self.poss} pose, calm and relaxed. Only "
                        f"subtle, looping motion: {motion}. The light stays {light}; no camera movement, no cuts.")
            return (f"static camera, {motion}, {self.pet['noun']} keeps {self.poss} pose, subtle looping motion, "
                    f"{light}, cozy {theme.place}, natural physics, high detail")
        behavior = self.behavior(frame.concept_index)
        lean = "".join(f", {k}" for k in self.brief.lean_into[:2])
        if "midjourney" in where:
            return (f"{trait} {self.pet['noun']} {behavior.split(',')[0]} on a {prop}{self.with_props()}, "
                    f"{theme.setting}, {light}, {theme.colors[0]} and {theme.colors[1]} palette{style}, "
                    f"cozy pet photography --ar 9:16 --style raw --v 6")
        if "stable" in where or "leonardo" in where or "positive" in n_of(path):
            return (f"{trait} {self.pet['noun']}{self.with_props(' with')}, {prop}, {theme.setting}, {light}, "
                    f"{theme.atmosphere} atmosphere, {theme.colors[0]} and {theme.colors[1]} palette{style}{lean}, "
                    f"soft focus background, detailed fur, photorealistic, 85mm lens, vertical composition")
        return (f"A {trait} {self.pet['noun']} named {self.pet_name} {behavior} on the {prop}{self.with_props()} "
                f"in a {theme.setting}. {theme.lighting[0].upper() + theme.lighting[1:]}. Heartwarming, cozy pet "
                f"photography{style}, shallow depth of field, {theme.colors[0]} and {theme.colors[1]} tones, "
                f"vertical 9:16 framing.")

    def description(self, dom: str, frame: Frame, rng: random.Random) -> str:
        theme = frame.theme
        if dom == "music":
            genre = theme.genres[frame.concept_index % len(theme.genres)]
            return (f"A {V.MUSIC_MOODS[frame.concept_index % len(V.MUSIC_MOODS)]} {genre} piece that matches the "
                    f"{theme.atmosphere} feel of the {theme.place}, quiet enough to let the captions breathe.")
        emoji = V.EMOJIS[(frame.concept_index + frame.index) % len(V.EMOJIS)]
        return self.fill(("{name} found the coziest spot in the {place} and we are not moving {obj} {e} "
                          "Who else needs a slow {time} like this? {e2}",
                          "POV: the {place} is quiet, the light is soft and {name} is in full nap mode {e} "
                          "Save this for your next calm moment {e2}",
                          "Tiny paws, big comfort {e} A {weather} {time} with {name} is all we needed today {e2}")
                         [frame.concept_index % 3].replace("{e}", emoji).replace("{e2}", "🐾"), frame, rng)

    def narration(self, frame: Frame, rng: random.Random) -> str:
        """One of the pet's monologues, as many sentences as the request's word limit ("at most N
        words") allows; a retry (a different seed) may pick another."""
        limit = re.search(r"at most (\d{1,4}) words", self.text)
        budget = int(limit.group(1)) if limit else 20
        sentences = [self.fill(t, frame, rng) for t in V.NARRATIONS[self.seed % len(V.NARRATIONS)]]
        spoken = sentences[:1]
        for sentence in sentences[1:]:
            if len(" ".join(spoken + [sentence]).split()) > budget:
                break
            spoken.append(sentence)
        return " ".join(spoken)

    def notes(self, dom: str, n: str, path: tuple[Any, ...], frame: Frame) -> str:
        theme = frame.theme
        if dom == "video" or "motion" in n:
            return (f"Keep {self.who()} in {self.poss} pose and the camera still; animate only the selected "
                    f"elements with slow, looping motion and preserve the {theme.lighting.split(',')[0]}.")
        if "composition" in n:
            return (f"{self.pet_name} just above the centre, the {theme.props[0]} leading the eye, light from the "
                    f"upper left; leave calm space below for captions.")
        return (f"Soft, natural light; {theme.colors[0]} and {theme.colors[1]} palette; shallow depth of field; "
                f"keep the {self.pet['noun']} sharp and the background gently blurred.")


def n_of(path: tuple[Any, ...]) -> str:
    return str(path[-1]).lower() if path else ""


def generate(schema: dict[str, Any], messages_text: str, seed_material: str, schema_name: str = "",
             request_text: str | None = None) -> Any:
    """`request_text`: the messages up to the end of the prompt, when earlier turns follow it."""
    gen = Generator(schema, messages_text, seed_material, schema_name, request_text)
    return gen.value(schema, (), Frame(gen.theme_at(0)), schema_name or "root")


def break_validity(value: Any, schema: dict[str, Any]) -> Any:
    """A deliberately invalid variant of `value` (for the `STANDIN:invalid` marker)."""
    if isinstance(value, dict):
        broken = dict(value)
        required = schema.get("required") or []
        if required and required[0] in broken:
            del broken[required[0]]
            return broken
        if broken:
            key = next(iter(broken))
            broken[key] = {"unexpected": True} if not isinstance(broken[key], dict) else 12345
            return broken
        return ["not", "an", "object"]
    if isinstance(value, list):
        return {"not": "a list"}
    return {"unexpected": value}


def text_answer(messages_text: str, seed_material: str) -> str:
    """A plain-text answer (no schema): two sentences about the scene."""
    gen = Generator({}, messages_text, seed_material)
    frame = Frame(gen.theme_at(0))
    rng = gen.rng(("text",))
    return gen.fill(V.NARRATIVES[gen.seed % len(V.NARRATIVES)], frame, rng)
