"""The stand-in's pictures: a drawn pet scene made from an image prompt, with no words in it.

`scene_image(prompt, size, index)` reads the prompt for what a picture model would draw: the pet
(cat, dog or both, and a coat colour such as "ginger"), the place (a room with a window, a garden,
a beach; night, rain or snow at the window), the palette of the aesthetic ("golden hour",
"pastel", "retro", "scandi", "neon", "hygge", ...) and the things the creator gave the pet ("her
yellow duck", "a red ball"). The only lettering is a small "DEMO" mark in the top-right corner, so
a creator never mistakes a stand-in picture for a real one and never sees prompt text burned in.

The pet sits on a ground line a little above the middle; below it the picture is floor or ground
only, each row one colour that depends on the palette alone: text overlays go there, over calm space.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

DESCRIPTION_TAG = 270  # EXIF ImageDescription: where the picture keeps the prompt it was drawn from
DESCRIPTION_PREFIX = "cctui-standin "
GROUND = (0.50, 0.56)  # where the ground line sits, as shares of the height
UNITS = 10  # the pet's size: the picture's short side is this many units
MARK_SHARE = 0.16  # the DEMO mark's width, as a share of the picture's short side

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    wall_top: RGB
    wall_bottom: RGB
    floor_top: RGB
    floor_bottom: RGB
    accent: RGB  # sun, lamp, cushion
    window: RGB  # what the window shows by day
    pet: RGB


PALETTES: dict[str, Palette] = {
    "cozy": Palette((196, 140, 98), (232, 196, 150), (150, 98, 70), (110, 70, 52), (255, 206, 120), (176, 196, 214),
                    (70, 56, 50)),
    "golden": Palette((255, 180, 110), (255, 226, 170), (130, 160, 70), (92, 120, 50), (255, 236, 150),
                      (255, 200, 130), (90, 62, 40)),
    "pastel": Palette((250, 210, 226), (214, 236, 250), (200, 232, 210), (176, 214, 190), (255, 246, 200),
                      (220, 236, 255), (120, 96, 130)),
    "retro": Palette((150, 96, 50), (200, 140, 70), (120, 70, 40), (90, 52, 30), (250, 190, 90), (230, 180, 120),
                     (60, 40, 30)),
    "scandi": Palette((244, 242, 238), (232, 228, 220), (214, 190, 150), (196, 170, 130), (255, 252, 240),
                      (214, 230, 240), (60, 60, 64)),
    "winter": Palette((120, 140, 180), (200, 214, 236), (236, 240, 248), (214, 222, 236), (255, 190, 110),
                      (170, 190, 220), (70, 60, 60)),
    "night": Palette((34, 30, 70), (70, 52, 110), (50, 40, 80), (34, 28, 56), (255, 140, 200), (20, 24, 60),
                     (24, 22, 34)),
    "seaside": Palette((120, 200, 240), (210, 240, 250), (240, 220, 170), (226, 200, 150), (255, 246, 190),
                       (120, 200, 240), (90, 70, 60)),
    "morning": Palette((250, 236, 170), (255, 250, 226), (210, 180, 140), (180, 150, 110), (255, 255, 220),
                       (190, 224, 250), (90, 70, 60)),
}

PALETTE_WORDS = {
    "cozy": ("hygge", "cozy", "cosy", "lamplight", "reading nook", "blanket", "fireplace", "living room"),
    "golden": ("golden hour", "golden", "sunset", "dusk", "amber", "backlit"),
    "pastel": ("pastel", "whimsical", "storybook", "fairy", "dawn", "blush"),
    "retro": ("retro", "1970s", "70s", "film grain", "vintage", "tungsten", "record player"),
    "scandi": ("scandi", "scandinavian", "minimal", "white room", "pale oak", "negative space"),
    "winter": ("snow", "winter", "frost", "cabin", "festive"),
    "night": ("neon", "night", "lo-fi", "city lights", "moon", "midnight"),
    "seaside": ("beach", "seaside", "turquoise", "sea", "waves", "sand"),
    "morning": ("kitchen", "morning", "breakfast"),
}

COAT_WORDS = {
    "ginger": (214, 120, 50), "orange": (214, 120, 50), "tabby": (150, 110, 70), "black": (30, 28, 30),
    "white": (238, 236, 230), "grey": (130, 130, 136), "gray": (130, 130, 136), "golden": (214, 170, 90),
    "brown": (110, 76, 50), "cream": (236, 220, 190), "tortoiseshell": (90, 60, 40), "calico": (200, 150, 100),
}

COLOR_WORDS = {
    "yellow": (250, 214, 40), "red": (220, 50, 50), "blue": (60, 120, 220), "green": (60, 170, 90),
    "pink": (240, 140, 180), "purple": (150, 90, 200), "orange": (245, 140, 40), "white": (245, 245, 240),
    "black": (30, 30, 30), "brown": (140, 90, 50), "grey": (150, 150, 150), "gray": (150, 150, 150),
}

# Toys a creator gives a pet; scenery words ("books", "flowers") are the setting's, not props.
PROP_SHAPES = ("duck", "ball", "yarn", "mouse", "bone", "teddy", "toy", "frisbee", "plushie")


@dataclass(frozen=True)
class SceneFeatures:
    pets: tuple[str, ...]  # ("cat",), ("dog",) or ("cat", "dog")
    coat: RGB | None
    backdrop: str  # "room", "outdoor", "beach"
    weather: str  # "clear", "night", "rain", "snow"
    palette: str
    props: tuple[tuple[str, RGB], ...] = field(default=())  # (shape, colour)


def seed_of(*parts: object) -> int:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _has(text: str, *words: str) -> bool:
    return any(re.search(rf"\b{re.escape(w)}", text) for w in words)


def read_features(prompt: str) -> SceneFeatures:
    text = prompt.lower()
    cat = _has(text, "cat", "kitten", "kitty", "tabby")
    dog = _has(text, "dog", "puppy", "pup", "corgi", "retriever", "beagle")
    pets = ("cat", "dog") if cat and dog else ("dog",) if dog else ("cat",)
    coat = next((rgb for word, rgb in COAT_WORDS.items()
                 if re.search(rf"\b{word}\b(?:\s+\w+)?\s+(?:cat|dog|kitten|puppy|fur|coat)", text)), None)
    if _has(text, "beach", "seaside", "sand", "shore"):
        backdrop = "beach"
    elif _has(text, "garden", "meadow", "backyard", "porch", "park", "grass", "field", "outdoor"):
        backdrop = "outdoor"
    else:
        backdrop = "room"
    weather = ("snow" if _has(text, "snow", "winter") else "night" if _has(text, "night", "neon", "moon")
               else "rain" if _has(text, "rain") else "clear")
    scores = {name: sum(text.count(w) for w in words) for name, words in PALETTE_WORDS.items()}
    best = max(scores.values())
    palette = (max(scores, key=lambda k: scores[k]) if best
               else list(PALETTES)[seed_of("palette", prompt) % len(PALETTES)])
    props = []
    for match in re.finditer(r"\b(?:(\w+)\s+)?(?:(\w+)\s+)?(" + "|".join(PROP_SHAPES) + r")s?\b", text):
        words = [w for w in match.groups()[:2] if w]
        colour = next((COLOR_WORDS[w] for w in words if w in COLOR_WORDS), None)
        shape = match.group(3)
        if shape not in [p[0] for p in props]:
            props.append((shape, colour or (250, 214, 40) if shape == "duck" else colour or (230, 90, 80)))
    return SceneFeatures(pets, coat, backdrop, weather, palette, tuple(props[:2]))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # very old Pillow without a scalable default font
        return ImageFont.load_default()


def _mix(a: RGB, b: RGB, f: float) -> RGB:
    return tuple(round(a[i] * (1 - f) + b[i] * f) for i in range(3))  # type: ignore[return-value]


def _gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        column.putpixel((0, y), _mix(top, bottom, y / 255))
    return column.resize(size, Image.Resampling.BILINEAR)


def _draw_pet(draw: ImageDraw.ImageDraw, cx: float, ground: float, unit: float, kind: str, color: RGB,
              facing: int = 1) -> None:
    """A sitting silhouette: body, head, ears (pointed for a cat, floppy for a dog), tail, eyes."""
    body_w, body_h = 2.4 * unit, 2.6 * unit
    draw.ellipse((cx - body_w / 2, ground - body_h, cx + body_w / 2, ground), fill=color)
    head_r = 0.95 * unit
    hx, hy = cx + facing * body_w * 0.12, ground - body_h - head_r * 0.45
    draw.ellipse((hx - head_r, hy - head_r, hx + head_r, hy + head_r), fill=color)
    if kind == "cat":
        for side in (-1, 1):
            ex = hx + side * head_r * 0.55
            draw.polygon([(ex - 0.38 * unit, hy - head_r * 0.5), (ex + 0.38 * unit, hy - head_r * 0.5),
                          (ex + side * 0.12 * unit, hy - head_r * 1.6)], fill=color)
        # the tail sweeps out from behind and curls up at the tip
        tx = cx - facing * body_w * 0.35
        start, end = (90, 200) if facing == 1 else (-20, 90)
        draw.arc((tx - 1.3 * unit, ground - 2.0 * unit, tx + 1.3 * unit, ground), start, end, fill=color,
                 width=max(3, int(unit * 0.3)))
    else:
        for side in (-1, 1):
            ex = hx + side * head_r * 0.85
            draw.ellipse((ex - 0.34 * unit, hy - head_r * 0.55, ex + 0.34 * unit, hy + head_r * 0.75), fill=color)
        draw.ellipse((hx + facing * head_r * 0.45 - 0.5 * unit, hy, hx + facing * head_r * 0.45 + 0.5 * unit,
                      hy + 0.75 * unit), fill=color)
        draw.line((cx - facing * body_w * 0.45, ground - body_h * 0.25, cx - facing * body_w * 0.9,
                   ground - body_h * 0.75), fill=color, width=max(3, int(unit * 0.32)))
    eye = (250, 245, 230) if sum(color) < 450 else (40, 36, 34)
    for side in (-1, 1):
        ex = hx + side * head_r * 0.38
        draw.ellipse((ex - unit * 0.1, hy - unit * 0.12, ex + unit * 0.1, hy + unit * 0.08), fill=eye)


def _draw_prop(draw: ImageDraw.ImageDraw, shape: str, x: float, ground: float, unit: float, color: RGB) -> None:
    if shape == "duck":
        draw.ellipse((x - 0.75 * unit, ground - 0.9 * unit, x + 0.75 * unit, ground), fill=color)
        draw.ellipse((x + 0.1 * unit, ground - 1.55 * unit, x + 0.85 * unit, ground - 0.8 * unit), fill=color)
        draw.polygon([(x + 0.8 * unit, ground - 1.25 * unit), (x + 1.2 * unit, ground - 1.15 * unit),
                      (x + 0.8 * unit, ground - 1.05 * unit)], fill=(245, 130, 40))
        draw.ellipse((x + 0.5 * unit, ground - 1.35 * unit, x + 0.62 * unit, ground - 1.23 * unit), fill=(30, 30, 30))
    else:  # ball, yarn, toy, ...: a round thing with a stripe
        dark = _mix(color, (0, 0, 0), 0.35)
        draw.ellipse((x - 0.6 * unit, ground - 1.2 * unit, x + 0.6 * unit, ground), fill=color)
        draw.arc((x - 0.6 * unit, ground - 1.0 * unit, x + 0.6 * unit, ground - 0.2 * unit), 200, 340, fill=dark,
                 width=max(2, int(unit * 0.1)))


def _backdrop(img: Image.Image, f: SceneFeatures, pal: Palette, ground: float, rng: random.Random) -> None:
    width, height = img.size
    draw = ImageDraw.Draw(img)
    unit = min(width, height) / UNITS
    night = f.weather == "night"
    if f.backdrop == "room":
        wx0 = width * rng.uniform(0.08, 0.45)
        wy0 = height * 0.08
        wx1, wy1 = wx0 + width * 0.42, min(ground - unit, wy0 + height * 0.3)
        outside = (20, 24, 60) if night else (150, 160, 176) if f.weather == "rain" else pal.window
        draw.rectangle((wx0, wy0, wx1, wy1), fill=outside)
        if night:
            for _ in range(14):
                lx, ly = rng.uniform(wx0, wx1 - unit * 0.3), rng.uniform((wy0 + wy1) / 2, wy1 - unit * 0.3)
                draw.rectangle((lx, ly, lx + unit * 0.2, ly + unit * 0.3), fill=(255, 220, 140))
        else:
            sr = unit * rng.uniform(0.8, 1.2)
            sx, sy = rng.uniform(wx0 + sr, wx1 - sr), rng.uniform(wy0 + sr, max(wy0 + sr + 1, wy1 - sr))
            if f.weather == "clear":
                draw.ellipse((sx - sr, sy - sr, sx + sr, sy + sr), fill=pal.accent)
        frame = _mix(pal.floor_bottom, (0, 0, 0), 0.3)
        lw = max(2, int(unit * 0.18))
        draw.rectangle((wx0, wy0, wx1, wy1), outline=frame, width=lw)
        draw.line(((wx0 + wx1) / 2, wy0, (wx0 + wx1) / 2, wy1), fill=frame, width=lw)
        draw.line((wx0, (wy0 + wy1) / 2, wx1, (wy0 + wy1) / 2), fill=frame, width=lw)
        _weather(draw, f.weather, (wx0, wy0, wx1, wy1), unit, rng)
        lamp_x = wx1 + unit * 1.5 if wx1 + unit * 2.5 < width else wx0 - unit * 1.5
        if 0 < lamp_x < width:  # a lamp: warm light in the room
            draw.ellipse((lamp_x - 1.6 * unit, wy1 - 0.4 * unit, lamp_x + 1.6 * unit, wy1 + 2.8 * unit),
                         fill=_mix(pal.wall_bottom, pal.accent, 0.45))
            draw.polygon([(lamp_x - 0.6 * unit, wy1), (lamp_x + 0.6 * unit, wy1), (lamp_x + 0.35 * unit, wy1 - unit),
                          (lamp_x - 0.35 * unit, wy1 - unit)], fill=pal.accent)
            draw.line((lamp_x, wy1, lamp_x, ground), fill=frame, width=max(2, int(unit * 0.1)))
    else:
        sr = unit * 1.3
        sx, sy = width * rng.uniform(0.2, 0.8), height * rng.uniform(0.15, 0.3)
        draw.ellipse((sx - sr, sy - sr, sx + sr, sy + sr), fill=(245, 240, 210) if night else pal.accent)
        if f.backdrop == "beach":
            draw.rectangle((0, ground - height * 0.12, width, ground), fill=(60, 170, 200))
            for k in range(5):
                y = ground - height * 0.12 + k * height * 0.024
                draw.line((0, y, width, y), fill=(190, 235, 245), width=max(1, int(unit * 0.06)))
        else:
            hill = _mix(pal.floor_top, pal.wall_top, 0.35)
            draw.ellipse((-width * 0.2, ground - height * 0.12, width * 0.7, ground + height * 0.1), fill=hill)
            draw.ellipse((width * 0.35, ground - height * 0.09, width * 1.3, ground + height * 0.1), fill=hill)
            for _ in range(18):  # grass and flowers along the ground line
                gx = rng.uniform(0, width)
                draw.line((gx, ground, gx + rng.uniform(-0.3, 0.3) * unit, ground - rng.uniform(0.4, 1.0) * unit),
                          fill=_mix(pal.floor_top, (0, 60, 0), 0.3), width=max(1, int(unit * 0.08)))
        _weather(draw, f.weather, (0, 0, width, ground), unit, rng)


def _weather(draw: ImageDraw.ImageDraw, weather: str, box: tuple[float, float, float, float], unit: float,
             rng: random.Random) -> None:
    x0, y0, x1, y1 = box
    for _ in range(16):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if weather == "snow":
            r = unit * 0.08
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255))
        elif weather == "rain":
            draw.line((x, y, x - unit * 0.1, min(y1, y + unit * 0.5)), fill=(210, 220, 235), width=1)


def _demo_mark(img: Image.Image) -> None:
    width, height = img.size
    short = min(width, height)
    font = _font(max(8, int(short * MARK_SHARE / 4)))
    draw = ImageDraw.Draw(img)
    box = draw.textbbox((0, 0), "DEMO", font=font)
    tw, th = box[2] - box[0], box[3] - box[1]
    pad = max(2, th // 3)
    # inside the part a video's slow pan keeps (it crops up to ~5% of each side)
    x1, y0 = width - int(width * 0.08), int(height * 0.08)
    x0, y1 = x1 - tw - 2 * pad, y0 + th + 2 * pad
    draw.rounded_rectangle((x0, y0, x1, y1), radius=pad, fill=(255, 255, 255), outline=(90, 90, 90))
    draw.text((x0 + pad - box[0], y0 + pad - box[1]), "DEMO", fill=(90, 90, 90), font=font)


def scene_image(prompt: str, size: tuple[int, int], index: int = 0, *, mark: bool = True) -> Image.Image:
    """A drawn pet scene for `prompt`; `index` varies the layout between images of one request."""
    width, height = size
    f = read_features(prompt)
    pal = PALETTES[f.palette]
    rng = random.Random(seed_of("scene", prompt, index, width, height))
    ground = round(height * rng.uniform(*GROUND))
    img = _gradient((width, height), pal.wall_top, pal.wall_bottom)
    _backdrop(img, f, pal, ground, rng)
    # the floor's colour at a row depends on the row and the palette only, not on the layout
    floor = _gradient((width, height), pal.floor_top, pal.floor_bottom)
    img.paste(floor.crop((0, ground, width, height)), (0, ground))
    draw = ImageDraw.Draw(img)
    unit = min(width, height) / UNITS
    px = width * rng.uniform(0.38, 0.6)
    if f.backdrop == "room":  # a cushion under the pet, resting on the floor line
        draw.ellipse((px - 2.2 * unit, ground - 0.7 * unit, px + 2.2 * unit, ground + 0.1 * unit),
                     fill=_mix(pal.accent, (255, 255, 255), 0.25))
    colour = f.coat or pal.pet
    for k, kind in enumerate(f.pets):
        offset = (k - (len(f.pets) - 1) / 2) * 3.0 * unit
        pet_colour = colour if k == 0 else _mix(colour, (200, 160, 110), 0.55)
        _draw_pet(draw, px + offset, ground - 0.2 * unit, unit, kind, pet_colour, facing=1 if k == 0 else -1)
    side = 1 if px < width / 2 else -1
    for k, (shape, prop_colour) in enumerate(f.props):
        x = px + side * (2.2 + 1.8 * k + 1.5 * (len(f.pets) - 1)) * unit
        _draw_prop(draw, shape, min(width - unit, max(unit, x)), ground - 0.1 * unit, unit, prop_colour)
    for _ in range(10):  # a few floating motes in the light
        mx, my, mr = rng.uniform(0, width), rng.uniform(0, ground * 0.8), rng.uniform(1, unit * 0.06 + 1)
        draw.ellipse((mx - mr, my - mr, mx + mr, my + mr), fill=pal.accent)
    if mark:
        _demo_mark(img)
    img.info["standin_description"] = prompt
    return img


def description_exif(img: Image.Image) -> bytes | None:
    """EXIF bytes that carry the prompt the picture was drawn from (the stand-in's vision reads it)."""
    prompt = img.info.get("standin_description")
    if not prompt:
        return None
    exif = Image.Exif()
    exif[DESCRIPTION_TAG] = DESCRIPTION_PREFIX + json.dumps(prompt[:2000])  # ASCII-safe
    return exif.tobytes()


def described_prompt(img: Image.Image) -> str | None:
    """The prompt a stand-in picture was drawn from, if it is one of ours."""
    value = img.getexif().get(DESCRIPTION_TAG)
    if not isinstance(value, str) or not value.startswith(DESCRIPTION_PREFIX):
        return None
    try:
        text = json.loads(value[len(DESCRIPTION_PREFIX):])
    except ValueError:
        return None
    return text if isinstance(text, str) else None
