"""Word stock for the stand-in LLM: cozy pet-video scenes, prompts, captions and music.

Pure data plus tiny helpers; `llm_content` decides which list a schema property draws from.
Each `Theme` is one coherent scene (setting, light, colours, things that could move, sounds), so
one answer reads like one place; array items that are whole concepts (scenes, options) each get
their own theme so they differ from one another.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    key: str
    setting: str
    place: str
    time_of_day: str
    weather: str
    location_type: str
    lighting: str
    atmosphere: str
    colors: tuple[str, ...]
    elements: tuple[tuple[str, str, str], ...]  # (element, motion_type, location)
    static_things: tuple[str, ...]
    props: tuple[str, ...]
    sounds: tuple[str, ...]
    genres: tuple[str, ...]
    era: str
    culture: str
    keywords: tuple[str, ...] = ()  # words in a request that point at this scene (aesthetic, creator's note)


THEMES: tuple[Theme, ...] = (
    Theme(
        "sunbeam", "sun-drenched living room with a big bay window and a knitted throw on the sofa",
        "living room", "afternoon", "sunny", "indoor, family living room",
        "warm golden sunlight streaming through sheer curtains, soft shadows on the rug",
        "peaceful, lazy and warm", ("honey gold", "cream", "soft terracotta", "sage green", "warm oak"),
        (("sheer curtains", "gentle sway", "left edge of the window"),
         ("dust motes in the sunbeam", "slow drift", "centre, inside the light shaft"),
         ("houseplant leaves", "subtle flutter", "right windowsill"),
         ("knitted throw fringe", "soft ripple", "sofa edge, lower left"),
         ("sunlight on the rug", "slow shimmer", "floor, foreground"),
         ("tea steam", "curling rise", "side table, right")),
        ("picture frames", "throw pillows", "bookshelf", "floor lamp", "coffee table", "rug pattern"),
        ("knitted throw", "sunlit cushion", "yarn ball", "potted monstera", "bay window"),
        ("distant birdsong", "soft purring", "a ticking wall clock", "curtains rustling"),
        ("lo-fi acoustic", "soft jazz piano", "ambient folk"), "cozy modern home",
        "contemporary suburban home, no strong regional markers",
        ("sunbeam", "living room", "sofa", "bay window", "knitted throw", "afternoon sun", "cushion", "warm")),
    Theme(
        "rainy_nook", "rain-streaked reading nook with a window seat, stacked books and a wool blanket",
        "reading nook", "late afternoon", "rainy", "indoor, window seat reading nook",
        "cool grey daylight from the window balanced by a warm table lamp",
        "hushed, snug and contemplative", ("slate blue", "amber", "charcoal", "oat beige", "moss green"),
        (("raindrops on the glass", "slow trickle", "upper window pane"),
         ("table lamp glow", "soft flicker", "right side table"),
         ("blanket tassels", "tiny sway", "window seat edge"),
         ("steam from a mug", "curling rise", "windowsill, left"),
         ("reflections on the window", "slow shimmer", "centre background"),
         ("page corner of an open book", "faint flutter", "cushion, foreground")),
        ("book spines", "cushions", "window frame", "lamp shade", "mug", "stacked magazines"),
        ("window seat", "wool blanket", "stack of books", "warm table lamp", "rain-streaked window"),
        ("rain on the window", "soft purring", "a page turning", "distant thunder"),
        ("rainy-day jazz", "lo-fi hip hop", "neoclassical piano"), "timeless bookish cottage",
        "northern European cottage feel",
        ("rain", "reading nook", "window seat", "books", "blanket", "lamplight", "lamp", "mug of tea", "hygge", "cozy")),
    Theme(
        "kitchen_morning", "bright farmhouse kitchen in the morning with a checked tablecloth and a fruit bowl",
        "kitchen", "morning", "clear", "indoor, farmhouse kitchen",
        "fresh morning light from an east window with gentle bounce off white tiles",
        "cheerful, fresh and homely", ("butter yellow", "sky blue", "white tile", "apple red", "pine wood"),
        (("steam from the kettle", "rising wisps", "stove, back left"),
         ("gingham curtain", "gentle sway", "window above the sink"),
         ("herb pots on the sill", "slight nod", "windowsill, centre"),
         ("morning light on the tiles", "soft shimmer", "back wall"),
         ("hanging dish towel", "slow sway", "oven handle, right")),
        ("fruit bowl", "cutting board", "chairs", "spice jars", "fridge magnets", "mixing bowl"),
        ("food bowl", "checked tablecloth", "fruit bowl", "kettle", "herb pots"),
        ("a kettle starting to sing", "birds outside", "a spoon clinking", "happy panting"),
        ("acoustic pop", "ukulele folk", "bossa nova"), "rustic farmhouse charm",
        "country farmhouse, gently European",
        ("kitchen", "breakfast", "morning", "kettle", "tablecloth", "food bowl", "fresh")),
    Theme(
        "garden_golden", "backyard garden at golden hour with tall grass, a wooden bench and fairy lights",
        "garden", "dusk", "clear", "outdoor, backyard garden",
        "low golden-hour sun with long soft shadows and glowing rim light",
        "dreamy, free and gently joyful", ("golden amber", "leaf green", "dusky pink", "lavender", "weathered wood"),
        (("tall grass", "gentle sway", "foreground, bottom edge"),
         ("fairy lights", "soft twinkle", "fence line, upper background"),
         ("floating pollen", "slow drift", "mid-air, centre"),
         ("wildflowers", "light nod", "flower bed, right"),
         ("leaves on the hedge", "subtle rustle", "background, left"),
         ("bench cushion tassel", "tiny sway", "bench, centre left")),
        ("garden bench", "fence posts", "watering can", "stepping stones", "flower pots", "bird feeder"),
        ("wooden bench", "tall grass", "fairy lights", "wildflower bed", "ball toy"),
        ("crickets", "evening birdsong", "leaves rustling", "a distant wind chime"),
        ("indie folk", "acoustic guitar ballad", "cinematic ambient"), "timeless summer evening",
        "English country garden",
        ("garden", "golden hour", "grass", "wildflowers", "porch", "fence", "sunset", "outdoor", "meadow", "dandelion", "backlit")),
    Theme(
        "snowy_cabin", "snowed-in log cabin with a crackling fireplace, a sheepskin rug and frosted windows",
        "cabin", "night", "snowing", "indoor, mountain log cabin",
        "flickering firelight from the hearth with cool blue moonlight at the window",
        "snug, intimate and still", ("ember orange", "deep red", "pine green", "snow white", "walnut brown"),
        (("fireplace flames", "soft flicker", "hearth, left"),
         ("snowflakes outside", "slow fall", "window, upper right"),
         ("firelight on the walls", "warm pulse", "log wall, background"),
         ("sheepskin fibres", "faint ripple", "rug, foreground"),
         ("candle flame", "gentle waver", "mantelpiece, centre")),
        ("log walls", "mantel clock", "stacked firewood", "armchair", "lantern", "knitted stockings"),
        ("sheepskin rug", "crackling fireplace", "frosted window", "knitted stocking", "armchair"),
        ("crackling fire", "soft purring", "wind against the cabin", "snow settling"),
        ("acoustic holiday", "warm chamber strings", "soft piano"), "rustic winter retreat",
        "alpine mountain cabin",
        ("snow", "winter", "cabin", "fireplace", "frost", "pine", "scarf", "sheepskin", "candles", "festive")),
    Theme(
        "dawn_bedroom", "pastel bedroom at dawn with rumpled linen sheets and a window of pale pink sky",
        "bedroom", "dawn", "clear", "indoor, bedroom",
        "pale pink dawn light diffused through linen curtains, very soft contrast",
        "tender, sleepy and hopeful", ("blush pink", "powder blue", "linen white", "pale lilac", "soft grey"),
        (("linen curtains", "slow billow", "window, right"),
         ("dawn light on the sheets", "gradual brighten", "bed, centre"),
         ("mobile of paper stars", "slow turn", "ceiling, upper left"),
         ("dust motes", "lazy drift", "light beam, centre right"),
         ("pillow fringe", "barely-there sway", "bed edge, left")),
        ("headboard", "nightstand", "alarm clock", "framed prints", "slippers", "reading glasses"),
        ("linen sheets", "fluffy pillow", "paper star mobile", "nightstand", "pale window"),
        ("soft breathing", "early birds", "a distant car", "sheets rustling"),
        ("ambient lullaby", "music box waltz", "soft electronic chill"), "calm contemporary apartment",
        "modern city apartment",
        ("bedroom", "bed", "dawn", "pillow", "sheets", "sleepy", "pastel")),
    Theme(
        "seaside", "sunny beach with a striped towel, a beach umbrella and gentle turquoise waves",
        "beach", "midday", "sunny", "outdoor, sandy beach",
        "bright airy sunlight with soft reflections off the water",
        "breezy, carefree and bright", ("turquoise", "sand beige", "coral", "sky blue", "white foam"),
        (("gentle waves", "slow roll", "background, upper third"),
         ("umbrella fringe", "flutter in the breeze", "umbrella, upper left"),
         ("dune grass", "soft sway", "right edge"),
         ("sparkles on the water", "slow shimmer", "sea, centre"),
         ("towel corner", "tiny lift", "towel, foreground")),
        ("beach umbrella", "sandcastle", "shells", "sun hat", "cooler box", "horizon line"),
        ("striped beach towel", "beach umbrella", "sand and shells", "sun hat", "dune grass"),
        ("waves rolling in", "gulls far away", "a soft sea breeze", "happy panting"),
        ("breezy ukulele pop", "surf-rock lullaby", "tropical bossa"), "timeless summer holiday",
        "Mediterranean seaside",
        ("beach", "seaside", "sea", "sand", "waves", "shells", "umbrella", "dune", "turquoise", "summer")),
    Theme(
        "night_desk", "night-time desk by a big window with city lights, a glowing desk lamp and headphones",
        "desk by the window", "night", "rainy", "indoor, small city apartment",
        "desk lamp glow with soft neon reflections from the city outside",
        "moody, calm and dreamy", ("midnight blue", "neon pink", "lamp amber", "violet", "teal"),
        (("rain streaks on the glass", "slow trickle", "window, background"),
         ("city lights", "soft twinkle", "window, upper half"),
         ("desk lamp glow", "gentle pulse", "desk, left"),
         ("houseplant leaves", "tiny sway", "shelf, right"),
         ("steam from a mug", "curling rise", "desk, centre right")),
        ("headphones", "notebook", "keyboard", "bookshelf", "window frame", "mug"),
        ("desk lamp", "headphones", "big window", "houseplants", "city lights"),
        ("rain on the window", "soft purring", "distant traffic", "a lo-fi beat far away"),
        ("lo-fi hip hop", "chillhop", "ambient synth"), "late-night lo-fi",
        "big-city apartment",
        ("night", "neon", "city lights", "desk lamp", "headphones", "lo-fi", "rain streaks", "moody")),
    Theme(
        "storybook", "storybook tea-party corner with pastel flowers, tiny teacups and paper lanterns",
        "tea-party corner", "afternoon", "clear", "indoor, whimsical playroom",
        "soft diffused light with a pastel glow and floating sparkles",
        "whimsical, sweet and enchanting", ("pastel pink", "mint", "lavender", "butter cream", "sky blue"),
        (("paper lanterns", "slow sway", "ceiling, upper third"),
         ("floating sparkles", "gentle drift", "mid-air, centre"),
         ("pastel flowers", "light nod", "table edge, right"),
         ("steam from a tiny teacup", "curling rise", "table, centre"),
         ("ribbon on the chair", "soft flutter", "chair, left")),
        ("tiny teacups", "teapot", "picture book", "bunting", "cake stand", "little chair"),
        ("paper lanterns", "tiny teacups", "pastel flowers", "storybook props", "soft clouds"),
        ("a music box", "soft purring", "teacups clinking", "birds outside"),
        ("music box waltz", "whimsical chamber pop", "harp lullaby"), "timeless fairy tale",
        "children's picture-book world",
        ("whimsical", "storybook", "pastel", "fairy-tale", "fairy tale", "teacup", "lantern", "sparkles", "magical")),
    Theme(
        "retro_lounge", "1970s living room with wood panelling, a record player and orange upholstery",
        "retro lounge", "evening", "clear", "indoor, vintage living room",
        "warm tungsten light with soft halation, like a 35mm photo",
        "nostalgic, warm and mellow", ("burnt orange", "mustard", "chocolate brown", "olive", "cream"),
        (("spinning record", "slow turn", "record player, left"),
         ("macrame plant hanger", "gentle sway", "corner, upper right"),
         ("lamp glow", "soft flicker", "side table, right"),
         ("dust in the light", "lazy drift", "centre"),
         ("fringe on the rug", "tiny ripple", "floor, foreground")),
        ("record sleeves", "vintage rug", "wood panelling", "armchair", "table lamp", "plant hanger"),
        ("record player", "orange armchair", "macrame plant hanger", "vintage rug", "wood panelling"),
        ("a record crackling", "soft purring", "a clock ticking", "a kettle far away"),
        ("vintage soul", "soft funk", "70s folk"), "1970s",
        "retro suburban home",
        ("retro", "film", "1970s", "70s", "record player", "wood panelling", "vintage", "macrame", "tungsten",
         "nostalgic")),
    Theme(
        "scandi_room", "minimal white room with a pale oak floor, a linen throw and a single green plant by a large window",
        "white room", "morning", "clear", "indoor, minimalist apartment",
        "bright soft daylight from a large window, clean gentle shadows",
        "calm, airy and uncluttered", ("white", "pale oak", "linen grey", "sage green", "soft black"),
        (("linen curtain", "slow billow", "window, right"),
         ("plant leaves", "subtle flutter", "corner, left"),
         ("daylight on the floor", "slow shift", "floor, centre"),
         ("throw fringe", "tiny sway", "bench, foreground")),
        ("oak bench", "ceramic vase", "floor cushion", "paper lamp", "window frame", "rug"),
        ("pale oak floor", "linen throw", "green plant", "large window", "oak bench"),
        ("quiet room tone", "soft purring", "birds outside", "a page turning"),
        ("minimal piano", "soft ambient", "acoustic minimalism"), "modern Scandinavian",
        "Nordic apartment",
        ("scandi", "minimal", "scandinavian", "white walls", "pale oak", "linen", "negative space", "daylight",
         "clean")),
)

PETS = {
    "cat": {"noun": "cat", "young": "kitten", "names": ("Mochi", "Luna", "Pumpkin"), "sound": "purring",
            "traits": ("sleepy", "curious", "fluffy", "tabby"),
            "behaviors": ("curls into a tight donut and lets out a slow blink",
                          "kneads the blanket, then melts into a sunbeam nap",
                          "watches a drifting dust mote with wide, sparkling eyes",
                          "stretches one paw out and yawns an enormous yawn")},
    "dog": {"noun": "dog", "young": "puppy", "names": ("Biscuit", "Maple", "Teddy"), "sound": "soft snoring",
            "traits": ("sleepy", "goofy", "fluffy", "golden"),
            "behaviors": ("rests {poss} chin on the cushion and thumps {poss} tail twice",
                          "tilts {poss} head at a sound, then sighs into a nap",
                          "curls up nose-to-tail with one ear flopped over {poss} eyes",
                          "rolls onto {poss} back for the world's laziest belly-up stretch")},
    "duo": {"noun": "cat and dog", "young": "kitten and puppy", "names": ("Mochi and Biscuit", "Luna and Maple"),
            "sound": "purring and soft snoring", "traits": ("best-friend", "snuggly", "mismatched", "cozy"),
            "behaviors": ("share one cushion, the cat tucked under the dog's chin",
                          "swap a slow blink across the blanket and settle together",
                          "lean into each other as the light fades",
                          "nap back to back, tails curled around each other")},
}

TITLE_TEMPLATES = (
    "{name}'s {Place} Nap", "The {Trait} {Noun} and the {Prop}", "{Time} Glow with {name}",
    "Little Paws, Big {Weather_word}", "{name} Finds the Coziest Spot", "A Quiet {Time} in the {Place}",
    "Tiny Yawns, Golden Light", "{name} vs. the {Prop}",
)

HOOKS = (
    "What happens when a {trait} {noun} finds the warmest spot in the {place}?",
    "Watch {name} turn an ordinary {time} into pure comfort.",
    "This {noun} has mastered the art of doing absolutely nothing, beautifully.",
    "POV: you walk into the {place} and {name} has claimed the {prop}.",
    "Ten seconds of calm you didn't know you needed.",
)

NARRATIVES = (
    "On a {weather} {time}, {name} pads into the {place}, circles the {prop} twice and settles in. "
    "The light softens, the world slows down, and a tiny content sigh says everything.",
    "{name} has one job today: guard the {prop}. The {place} glows, a gentle breeze moves through, and "
    "duty slowly turns into the coziest nap of the week.",
    "The {place} is quiet except for {sound}. {name} watches the light move across the room, blinks slowly, "
    "and decides this is exactly where a {noun} belongs.",
    "Everything about this {time} is soft: the {lighting_short}, the {prop}, and {name}, who refuses to be "
    "anywhere else.",
)

EMOTIONAL_ARCS = (
    "curious restlessness → playful moment → deep contented calm",
    "sleepy stillness → a tiny surprise → cozy comfort restored",
    "quiet anticipation → gentle delight → peaceful rest",
    "playful energy → slow wind-down → heart-melting nap",
)

VISUAL_MOMENTS = (
    "{name} slowly blinks at the camera", "a paw stretches into the light", "ears twitch at a distant sound",
    "close-up of whiskers catching the light", "the {prop} shifts as {name} settles", "a big, slow yawn",
    "tail curls neatly around the paws", "eyes drift closed in the warm light",
)

KEYWORDS = ("cozy", "wholesome", "slow living", "pet nap", "soft light", "comfort", "heartwarming", "calm",
            "hygge", "gentle", "cute", "home")

OVERLAY_STYLES = ("heartfelt", "playful", "reflective", "dreamy", "funny")

OVERLAY_LINES = {
    "heartfelt": ("Home is wherever {name} naps", "Some days are made of sunbeams", "Soft paws, full heart",
                  "This is what peace looks like", "Right here is enough", "Thank you for slowing me down",
                  "Love, measured in slow blinks", "Every cozy corner is better with you",
                  "The warmest spot is next to you", "Little moments, big love", "Stay just like this",
                  "Forever my favourite roommate"),
    "playful": ("Do not disturb: nap in progress", "{name} has claimed the {prop}", "Professional napper at work",
                "Five more minutes... or fifty", "Warning: extreme cuteness", "Sunbeam secured",
                "Boss of the {place}", "Zero plans, maximum snuggles", "Nap level: expert",
                "Who needs an alarm?", "Cozy mode: ON", "Paws off my blanket"),
    "reflective": ("Maybe rest is the whole point", "The light moves, and so do we", "Quiet is a kind of joy",
                   "What if we all napped more?", "Slow afternoons, soft thoughts", "Notice the little things",
                   "Time feels gentler here", "Being still is enough", "Breathe in the calm",
                   "The world can wait", "Let the day be soft", "Small comforts, big meaning"),
}

# The pet's inner monologues, each in speaking order: the stand-in picks one and keeps as many
# sentences as the request's word limit allows.
NARRATIONS = (
    ("I am not asleep.", "I am guarding the {prop}.", "Nobody told me the {place} was this warm.",
     "This is my spot now.", "I have decided to stay here forever.", "If you need me, I will be right here."),
    ("Do not call it a nap.", "It is a very important meeting with my eyelids.", "The light moved, so I moved with it.",
     "Five more minutes.", "Then maybe five more.", "Everything is exactly where it should be."),
    ("Some days are for adventures.", "Today is not one of them.", "You may admire me quietly.",
     "The {prop} and I have an understanding.", "I was here first.", "Doing absolutely nothing, on purpose."),
)
NARRATION_DELIVERY = ("Slow and sleepy, a content {noun}, a little smug",
                      "Warm and unhurried, like a {noun} sharing a secret",
                      "Dry and deadpan, a {noun} who takes naps very seriously")

INSTRUMENTS = ("soft felt piano", "nylon-string guitar", "warm upright bass", "brushed drums", "celesta",
               "glockenspiel", "ukulele", "string quartet pad", "music box", "gentle synth pad", "cello",
               "wooden flute")

MUSIC_NAMES = ("Sunbeam Lullaby", "Whisker Waltz", "Paws on the Windowsill", "Rainy Day Purr",
               "Golden Hour Stroll", "Blanket Fort Bossa", "Slow Blink Serenade", "Fireside Snooze")

MUSIC_MOODS = ("warm and dreamy", "gently playful", "tender and nostalgic", "calm and hopeful",
               "cozy and content")

KEYS = ("C major", "D major", "F major", "G major", "A major", "E-flat major", "B-flat major", "A minor")

HASHTAGS = ("#CozyVibes", "#PetTok", "#SlowLiving", "#NapTime", "#Wholesome", "#CuteAnimals", "#PetLovers",
            "#SundayMood", "#Hygge", "#PawsAndRelax", "#ComfortZone", "#SoftLife")
PET_HASHTAGS = {"cat": ("#CatsOfInstagram", "#CatTok", "#CatNap", "#KittyLove"),
                "dog": ("#DogsOfInstagram", "#DogTok", "#PuppyLove", "#GoodBoy"),
                "duo": ("#CatAndDog", "#BestFriends", "#PetFriends", "#CatsOfInstagram")}

EMOJIS = ("🐾", "☀️", "💛", "😴", "🌿", "✨", "🧸", "🌧️", "🔥", "🌸")

NEGATIVE_STANDARD = ("morphing", "deformation", "distortion", "extra limbs", "missing limbs", "fused limbs",
                     "blurry", "out of focus", "low quality", "flickering", "strobing", "jittering",
                     "unnatural movement", "face distortion", "eye glitches", "sudden scene changes",
                     "jump cuts")
NEGATIVE_PET = ("extra legs", "tail splitting", "multiple tails", "ear morphing", "eye color change",
                "fur texture changing", "body stretching", "size fluctuation")
NEGATIVE_IMAGE = ("blurry", "low quality", "deformed paws", "extra limbs", "extra tails", "distorted face",
                  "text", "watermark", "oversaturated", "harsh shadows", "cropped ears")
NEGATIVE_MUSIC = ("vocals", "lyrics", "harsh distortion", "heavy drums", "abrupt tempo changes", "dissonance",
                  "loud crescendos", "EDM drops")

GENERIC = (
    "A soft, {adj} moment with {name} in the {place}, lit by {lighting_short}.",
    "Keep everything gentle and {adj}: {name} stays calm while the {place} glows.",
    "A {adj} detail that makes the {place} feel lived-in and safe for {name}.",
    "Warm, {adj} and unhurried, with {name} as the quiet heart of the scene.",
)

# When a request is about something other than a pet video (a party, a trip), titles and unknown
# fields name that topic: the most frequent content word of the request.
TOPIC_TITLES = ("A {Place} {Topic} for {name}", "{name}'s {Adj} {Topic}", "The {Weather_word} {Topic}",
                "{name} and the {Prop}: a {Topic}", "A {Time} {Topic} with {name}")

TOPIC_GENERIC = (
    "A {adj} {topic} for {name}: the {prop}, {color1} and {color2} touches, and {sound} in the background.",
    "Keep the {topic} {adj} and easy for {name}, with the {place_prop} and plenty of quiet corners.",
    "{name} at the heart of a {adj} {topic}, set in the {place} with {lighting_short}.",
)

ADJECTIVES = ("cozy", "gentle", "heartwarming", "tender", "peaceful", "sunny", "snug", "dreamy")
