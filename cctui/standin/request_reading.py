"""What a chat request asks for, read the way a model would, roughly: the stand-in LLM's ears.

`read_request(messages_text, request_text)` gives a `Brief`: the pet (cat / dog / both), the names
and things the creator gave in their note, the aesthetic and its keywords, the setting and title of
a scene chosen earlier, and the salient words of the request. Nothing here knows a workflow's
state keys: it reads what prompts commonly say, in the shapes prompts commonly use:

- labelled fields: `**Pet Type:** Cat`, `- Setting: a window seat`, `Theme: pirates` (a line);
- markdown sections: `## Creative Direction from the User` and its first paragraph;
- plain sentences: "Plan 3 party themes for Nibbles, a cat." (a capitalised word that is not a
  common word is a name).

The creator's own words (a field or section whose label says direction / note / idea / wish, and
the feedback of a retry, which comes after the earlier answer) count most: names and props come
from there first. Only user text is read for the brief: a system prompt's rules ("a cat & dog
video always features both") describe every case, not this one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

ROLE_RE = re.compile(r"(?m)^\[(system|developer|user|assistant)\] ")
BOLD_FIELD_RE = re.compile(r"(?m)^[ \t]*(?:[-*][ \t]+)?\*\*(?P<label>[^*\n:]{1,60}):\*\*[ \t]*(?P<value>.*)$")
PLAIN_FIELD_RE = re.compile(r"(?m)^[ \t]*(?:[-*][ \t]+)?(?P<label>[A-Z][\w'&/()-]*(?: [\w'&/()-]+){0,3}):[ \t]+"
                            r"(?P<value>\S.*)$")
HEADING_RE = re.compile(r"(?m)^#{1,6}[ \t]+(?P<title>.+?)[ \t]*$")
CAPITAL_RE = re.compile(r"(?<![\w'])([A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?:'s)?(?![\w-])")
DIRECTION_LABEL_RE = re.compile(r"direction|creator|\bnote\b|\bidea|\bwish|the user|from the user|my request")
POSSESSIVES = {"her", "his", "their", "its", "our", "my", "your"}
DETERMINERS = POSSESSIVES | {"a", "an", "the"}
NOT_PROPS = {"pet", "pets", "nature", "pose", "eyes", "ears", "paws", "tail", "head", "fur", "face", "body", "back",
             "chin", "side", "own", "way", "day", "mood", "name", "owner", "human", "friend", "best friend"}

PET_FIELDS = ("pet type", "pet", "species", "animal", "subject", "pet kind")
DUO_RE = re.compile(r"\bcats?\s*(?:&|and|\+)\s*(?:a\s+)?dogs?\b|\bdogs?\s*(?:&|and|\+)\s*(?:a\s+)?cats?\b")
CAT_RE = re.compile(r"\b(?:cat|cats|kitten|kittens|kitty|tabby)\b")
DOG_RE = re.compile(r"\b(?:dog|dogs|puppy|puppies|pup|corgi|retriever|beagle|poodle)\b")

# Capitalised words that are never a pet's name: function words, pets, services, prompt jargon.
NOT_NAMES = frozenset("""
a an and or but the our my your her his their its this that these those i we you she he it they me us him them
with for in on at of to from by into onto over under after before while when where what which who whose how why
is are was be been has have had do does did will would can could should may might must let lets
please make create write generate plan describe keep use add give show tell find pick choose list propose analyze
analyse capture compose each every all some any no none not yes only also just then so very more most
cat cats dog dogs kitten puppy pet pets kitty
leonardo sora openai midjourney stable diffusion elevenlabs dall gpt json markdown reels shorts tiktok instagram
youtube facebook twitter standin demo
scene scenes motion title titles hook narrative setting pet type aesthetic mood lighting energy warmth video image music
step steps prompt prompts overlay overlays description descriptions length duration seconds key bpm
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december
mr mrs ms dr miss sir
call name rename try again change instead put set remove want need like love maybe something other another
different less more same new old
""".split())

FUNCTION_WORDS = frozenset("""
and or but with in on at of to from by into onto over under after before while when where who that which
is are was be been loves love likes like has have had does do who whom while as than then so
""".split())


@dataclass
class Brief:
    user_text: str
    direction: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    pet_kind: str | None = None
    names: list[str] = field(default_factory=list)
    props: list[str] = field(default_factory=list)
    pronoun: str | None = None  # "her" / "his" when the creator's words say
    aesthetic: str | None = None
    mood: str | None = None
    lean_into: list[str] = field(default_factory=list)
    avoid: list[str] = field(default_factory=list)
    visual_elements: list[str] = field(default_factory=list)
    setting: str | None = None
    title: str | None = None
    topic: str | None = None


def split_roles(messages_text: str) -> list[tuple[str, str]]:
    """[(role, text)] of a conversation written as `[role] text` blocks; plain text is one user turn."""
    parts = ROLE_RE.split(messages_text)
    if len(parts) == 1:
        return [("user", messages_text)]
    turns = [("user", parts[0])] if parts[0].strip() else []
    turns += [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    return turns


def labelled_fields(text: str) -> dict[str, str]:
    """{label in lower case: value} of `**Label:** value` and `Label: value` lines; the first wins."""
    found: dict[str, str] = {}
    for match in sorted([*BOLD_FIELD_RE.finditer(text), *PLAIN_FIELD_RE.finditer(text)], key=lambda m: m.start()):
        label = match.group("label").strip().lower()
        value = match.group("value").strip()
        if value and label not in found:
            found[label] = value
    return found


def first_paragraphs(text: str) -> dict[str, str]:
    """{heading in lower case: its first paragraph} of markdown `#` sections."""
    found: dict[str, str] = {}
    heads = list(HEADING_RE.finditer(text))
    for i, head in enumerate(heads):
        body = text[head.end(): heads[i + 1].start() if i + 1 < len(heads) else len(text)].strip()
        first = re.split(r"\n\s*\n", body, maxsplit=1)[0].strip() if body else ""
        found.setdefault(head.group("title").strip().lower(), first)
    return found


def _is_given(value: str) -> bool:
    low = value.strip().lower()
    return bool(low) and not low.startswith(("none", "n/a", "no direction", "nothing", "-"))


def _lowercase_words(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w'])[a-z][a-z-]*", text))


def _names_in(text: str, common: set[str], *, skip_sentence_start: bool) -> list[str]:
    names: list[str] = []
    for match in CAPITAL_RE.finditer(text):
        word = match.group(1)
        low = word.lower()
        if low in NOT_NAMES or low in common:
            continue
        if skip_sentence_start:
            before = text[:match.start()].rstrip(" \t*_\"'([")
            if not before or before[-1] in ".!?:\n#" or re.search(r"(?:^|\n)\s*(?:[-*]|\d+[.)])$", before):
                continue
        if word not in names:
            names.append(word)
    return names


def _strip_labels(text: str) -> str:
    """The text without headings and field labels (their values stay): labels are not names."""
    lines = []
    for line in HEADING_RE.sub("", text).splitlines():
        match = BOLD_FIELD_RE.match(line) or PLAIN_FIELD_RE.match(line)
        lines.append(match.group("value") if match else line)
    return "\n".join(lines)


def _props_in(text: str, own_only: bool = False) -> list[str]:
    """Things the creator gave the pet: their own ("her yellow duck"), else the first other ("a ball")."""
    found: list[tuple[bool, str]] = []
    words = re.findall(r"[A-Za-z][A-Za-z-]*|[^\sA-Za-z]", text)
    for i, word in enumerate(words):
        if word not in DETERMINERS or (own_only and word not in ("her", "his", "their", "its")):
            continue
        phrase_words = []
        for nxt in words[i + 1:i + 5]:
            if not re.fullmatch(r"[a-z][a-z-]*", nxt) or nxt in FUNCTION_WORDS or nxt in DETERMINERS:
                break
            phrase_words.append(nxt)
        phrase = " ".join(phrase_words)
        if not phrase_words or CAT_RE.search(phrase) or DOG_RE.search(phrase) or phrase in [p for _, p in found]:
            continue
        if len(phrase_words) == 1 and phrase_words[0] in ("best", "own", "favourite", "favorite", "little", "new"):
            continue
        found.append((word in POSSESSIVES, phrase))
    own = [phrase for is_own, phrase in found if is_own]
    # "her yellow duck at the beach": the beach is a place, not a thing she has
    return own[:3] if own else [phrase for _, phrase in found][:1]


def _pet_kind(fields: dict[str, str], user_text: str, other_text: str) -> str | None:
    for label in PET_FIELDS:
        value = fields.get(label, "").lower()
        if DUO_RE.search(value) or "both" in value:
            return "duo"
        if CAT_RE.search(value) or DOG_RE.search(value):
            return "cat" if CAT_RE.search(value) else "dog"
    for text, own in ((user_text.lower(), True), (other_text.lower(), False)):
        if own and DUO_RE.search(text):
            return "duo"
        cats, dogs = len(CAT_RE.findall(text)), len(DOG_RE.findall(text))
        if cats or dogs:
            return "dog" if dogs > cats else "cat"
    return None


def _list_field(fields: dict[str, str], *labels: str) -> list[str]:
    for label in labels:
        if label in fields:
            return [part.strip() for part in re.split(r"[,;]", fields[label]) if part.strip()]
    return []


def _topic(user_text: str, skip: set[str]) -> str | None:
    """The request's most frequent content word (the first of equals): "party" in a party planner's."""
    words = [w for w in re.findall(r"[a-z][a-z-]{3,}", user_text.lower())
             if w not in NOT_NAMES and w not in FUNCTION_WORDS and w not in skip]
    counted = Counter(words).most_common(1)
    return counted[0][0] if counted else None


def read_request(messages_text: str, request_text: str | None = None, common_words: set[str] | None = None) -> Brief:
    """`request_text`: the conversation up to the end of the prompt (turns after it are a retry's
    earlier answer and feedback). `common_words`: words the caller writes itself (never names)."""
    common = set(common_words or ())
    turns = split_roles(messages_text)
    head = split_roles(request_text) if request_text is not None else turns
    user_text = "\n".join(text for role, text in head if role == "user")
    other_text = "\n".join(text for role, text in head if role != "user")
    after = turns[len(head):] if request_text is not None and len(turns) > len(head) else []
    feedback = "\n".join(text for role, text in after if role == "user")

    fields = labelled_fields(user_text)
    sections = first_paragraphs(user_text)
    direction_parts = [feedback] if feedback.strip() else []
    for source in (fields, sections):
        direction_parts += [v for k, v in source.items() if DIRECTION_LABEL_RE.search(k) and _is_given(v)]
    direction = "\n".join(dict.fromkeys(direction_parts))

    brief = Brief(user_text=user_text, direction=direction, fields=fields)
    brief.pet_kind = _pet_kind(fields, user_text, other_text)
    lowercase = _lowercase_words(user_text)
    stripped = _strip_labels(user_text)
    aesthetic = fields.get("aesthetic")
    if aesthetic:
        brief.aesthetic = re.sub(r"\s*\(.*\)\s*$", "", aesthetic).strip() or None
    label_words = {w.lower() for w in re.findall(r"[A-Za-z]+", brief.aesthetic or "")}

    names = _names_in(direction, common | label_words, skip_sentence_start=False)
    if not names:  # names an earlier step already used: repeated, and never a common lowercase word
        repeated = Counter(m.group(1) for m in CAPITAL_RE.finditer(stripped))
        pool = _names_in(stripped, common | lowercase | label_words, skip_sentence_start=False)
        names = sorted((n for n in pool if repeated[n] >= 2), key=lambda n: -repeated[n])
    if not names:
        names = _names_in(stripped, common | lowercase | label_words, skip_sentence_start=True)[:1]
    brief.names = names[:2]
    # Without a note, the creator's things live on in the earlier answers quoted back: "her yellow duck".
    brief.props = _props_in(direction) or [p for p in _props_in(stripped, own_only=True) if p not in NOT_PROPS]
    for words in (direction.lower(), stripped.lower()):
        hers = len(re.findall(r"\b(?:she|her|hers)\b", words))
        his = len(re.findall(r"\b(?:he|his|him)\b", words))
        if hers != his:
            brief.pronoun = "her" if hers > his else "his"
            break

    tone = fields.get("visual tone", "")
    brief.mood = fields.get("mood") or (tone.split(";")[0].strip() if tone else None) or None
    brief.lean_into = _list_field(fields, "lean into", "positive keywords", "keywords")
    brief.avoid = _list_field(fields, "avoid", "negative keywords")
    brief.visual_elements = _list_field(fields, "visual elements")
    brief.setting = fields.get("setting")
    brief.title = fields.get("title")
    brief.topic = _topic(stripped, set(PET_FIELDS))
    return brief
