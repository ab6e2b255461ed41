"""The post-ready video: the chosen clip looped to length, framed for the platform, with overlay
lines, a soundtrack and optionally a narration voice with its captions, rendered by ffmpeg.

The render writes to a hidden temporary file beside the final one and is moved into place only
once ffmpeg has finished and the result checks out, so a failed or cancelled render never leaves
a half-written video under the final name (nor removes a previous good one).
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cctui.media.captions import (CAPTION_STYLES, as_words, ass_text, band_height, bundled_font,
                                  caption_font_size, fit_words, phrases)
from cctui.media.encodings import DEFAULT_ENCODING, encoding
from cctui.media.errors import MediaError
from cctui.media.files import part_path
from cctui.media.ffmpeg_run import FfmpegFailed, last_lines, run_ffmpeg
from cctui.media.layout import caption_band, plate_position
from cctui.media.plates import default_font_size, plate_image
from cctui.media.probe import MediaInfo, aprobe
from cctui.media.timeline import OverlayCue, cue_fade

LOOP_MODES = ("loop", "pingpong")
MAX_DURATION = 600.0
DURATION_TOLERANCE = 0.1
ASPECTS = {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080), "4:5": (1080, 1350)}
DEFAULT_ASPECT = "9:16"

# Ping-pong reverses frames, and ffmpeg's reverse filter holds every frame of its input in memory
# (decoded, uncompressed) until the input ends. The clip is therefore cut to a few seconds, kept
# at no more than its own (cropped) resolution and frame rate, and reversed once into a short
# temporary "forward + backward" file that the final render then loops like any other clip.
PINGPONG_MAX_SECONDS = 12.0
REVERSE_MEMORY_BUDGET = 1 << 30  # bytes of decoded frames the reverse filter may hold
MIN_PINGPONG_CLIP = 0.5  # below this there is no motion to reverse: the clip is just looped

CLIP_AUDIO_UNDER_MUSIC = 0.5  # gain of the clip's own sound when music plays over it
CLIP_AUDIO_FADE = 0.3  # the clip's sound alone: just enough fade to avoid a click at the cut
MAX_VOLUME = 4.0  # +12 dB: beyond this a volume is a typo, and the limiter would flatten it anyway
# The music ducks under the voice by what the voice itself does (sidechain), so it also dips for
# sounds the word timings miss, and comes back within half a second of a pause.
DUCKING = "sidechaincompress=threshold=0.03:ratio=4:attack=15:release=350:knee=2:makeup=1"
LOUDNESS = "loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000"
STALL_TIMEOUT = 30.0


@dataclass
class AssemblySpec:
    clip: Path  # the selected video (any size/aspect, with or without audio)
    output: Path  # final .mp4 path
    duration: float  # target seconds
    width: int = 1080
    height: int = 1920
    fps: int = 30
    loop_mode: str = "loop"  # "loop" | "pingpong" (forward then backward, repeated)
    cues: list[OverlayCue] = field(default_factory=list)
    music: Path | None = None  # trimmed to duration, faded out, loudness-normalised
    keep_clip_audio: bool = False  # mix the clip's own sound (if it has any) under the music and voice
    music_fade: float = 2.0
    encoding: str = DEFAULT_ENCODING  # a name in cctui.media.encodings: render time against file size
    # A render whose output time stops advancing this long is stuck (a damaged input can make a
    # looped input spin forever), and fails rather than hanging the run.
    stall_timeout: float = STALL_TIMEOUT
    narration: Path | None = None  # the voice, starting with the video; loudness-normalised, over the music
    # When each narration word is spoken (video seconds): Word or {"text", "start", "end"} dicts.
    words: list | None = None
    caption_style: str = "off"  # "words" (each word lit as spoken) | "phrases" | "off"
    voice_volume: float = 1.0  # gains on top of the normalised levels: 0.5 is about -6 dB
    music_volume: float = 1.0
    clip_volume: float = 1.0
    # Where to keep a copy of the burned captions' ASS script (the export's captions.ass).
    captions_file: Path | None = None

    def __post_init__(self) -> None:
        self.clip = Path(self.clip)
        self.output = Path(self.output)
        self.music = Path(self.music) if self.music else None
        self.narration = Path(self.narration) if self.narration else None
        self.captions_file = Path(self.captions_file) if self.captions_file else None
        self.cues = list(self.cues or [])
        self.words = list(self.words) if self.words is not None else None


@dataclass
class AssemblyResult:
    output: Path
    duration: float
    width: int
    height: int
    log_tail: str


def target_size(aspect: str | None) -> tuple[int, int]:
    """Output frame size for an aspect ratio ("9:16", "16:9", "1:1", "4:5") or a "720x1280" size.

    Sizes and other ratios map to the nearest of the four platform formats; None means 9:16.
    """
    if aspect is None or not str(aspect).strip():
        return ASPECTS[DEFAULT_ASPECT]
    text = str(aspect).strip().lower().replace(" ", "")
    if text in ASPECTS:
        return ASPECTS[text]
    m = re.fullmatch(r"(\d+(?:\.\d+)?)[:x×/*](\d+(?:\.\d+)?)", text)
    if not m or not float(m[1]) or not float(m[2]):
        raise MediaError(f"unknown aspect ratio {aspect!r}: use 9:16, 16:9, 1:1, 4:5 or a size like 720x1280")
    ratio = math.log(float(m[1]) / float(m[2]))
    return min(ASPECTS.values(), key=lambda wh: abs(math.log(wh[0] / wh[1]) - ratio))


# -- input checks ---------------------------------------------------------------------------------

async def _checked_media(path: Path, role: str, need: str) -> MediaInfo:
    if not path.is_file():
        raise MediaError(f"The {role} {path} does not exist" if not path.exists() else
                         f"The {role} {path} is not a file")
    try:
        info = await aprobe(path)
    except MediaError as exc:
        raise MediaError(f"The {role} is unusable: {exc}") from None
    if need == "video" and not info.video:
        raise MediaError(f"The {role} {path} has no video in it")
    if need == "audio" and not info.audio:
        raise MediaError(f"The {role} {path} has no audio in it")
    return info


def _check_spec(spec: AssemblySpec) -> None:
    if not isinstance(spec.duration, (int, float)) or not 0 < spec.duration <= MAX_DURATION:
        raise MediaError(f"The video length must be more than 0 and at most {MAX_DURATION:g} seconds, "
                         f"not {spec.duration!r}")
    if spec.loop_mode not in LOOP_MODES:
        raise MediaError(f"Unknown loop mode {spec.loop_mode!r}: use {' or '.join(LOOP_MODES)}")
    for name, value in (("width", spec.width), ("height", spec.height)):
        if not isinstance(value, int) or not 16 <= value <= 4096 or value % 2:
            raise MediaError(f"The video {name} must be an even number of pixels (16..4096), not {value!r}")
    if not isinstance(spec.fps, int) or not 1 <= spec.fps <= 120:
        raise MediaError(f"The frame rate must be 1..120 frames per second, not {spec.fps!r}")
    if spec.music_fade < 0:
        raise MediaError(f"The music fade must not be negative, not {spec.music_fade!r}")
    for name in ("voice_volume", "music_volume", "clip_volume"):
        value = getattr(spec, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_VOLUME:
            raise MediaError(f"{name} must be a number from 0 to {MAX_VOLUME:g}, not {value!r}")
    if spec.caption_style not in CAPTION_STYLES:
        raise MediaError(f"caption_style must be {', '.join(CAPTION_STYLES)}, not {spec.caption_style!r}")
    try:
        as_words(spec.words)
    except ValueError as exc:
        raise MediaError(f"words: {exc}") from None
    if spec.caption_style != "off" and not spec.words:
        raise MediaError(f"caption_style {spec.caption_style!r} needs the narration's word timings in words")
    encoding(spec.encoding)


class _Progress:
    """Maps each ffmpeg pass onto its share of 0..1 and only ever reports forward movement."""

    def __init__(self, callback: Callable[[float], None] | None):
        self.callback, self.value = callback, -1.0

    def report(self, fraction: float) -> None:
        fraction = max(0.0, min(1.0, fraction))
        # Small steps are dropped so a UI is not redrawn for every quarter second of a long render.
        if self.callback and (fraction >= self.value + 0.005 or (fraction == 1.0 and self.value < 1.0)):
            self.value = fraction
            self.callback(fraction)

    def span(self, start: float, width: float, total: float) -> Callable[[float], None]:
        return lambda seconds: self.report(min(start + width * seconds / total, 0.999))


# -- filter graphs --------------------------------------------------------------------------------

def _pingpong_seconds(spec: AssemblySpec, info: MediaInfo, unit_fps: float) -> float:
    """How much of the clip the ping-pong unit uses: all of it, unless time or memory says less."""
    v = info.video[0]
    w, h = (v.width or spec.width), (v.height or spec.height)
    # The unit is cropped to the output's aspect at the clip's own resolution, never above the output's.
    crop_w, crop_h = min(w, h * spec.width / spec.height), min(h, w * spec.height / spec.width)
    shrink = min(1.0, spec.width / crop_w)
    frame_bytes = crop_w * shrink * crop_h * shrink * 1.5  # yuv420p
    by_memory = REVERSE_MEMORY_BUDGET / frame_bytes / unit_fps
    return max(MIN_PINGPONG_CLIP, min(PINGPONG_MAX_SECONDS, info.duration or PINGPONG_MAX_SECONDS, by_memory))


def _pingpong_unit_args(spec: AssemblySpec, seconds: float, unit_fps: float, out: Path) -> list[str]:
    w, h = spec.width, spec.height
    crop = f"crop='trunc(min(iw,ih*{w}/{h})/2)*2':'trunc(min(ih,iw*{h}/{w})/2)*2'"
    shrink = f"scale='min(iw,{w})':-2"
    # Dropping the first frame of each half avoids showing the turning frames twice (a stutter).
    graph = (f"[0:v]setpts=PTS-STARTPTS,fps={unit_fps:g},{crop},{shrink},setsar=1,format=yuv420p,split[f][b];"
             f"[b]reverse,trim=start_frame=1,setpts=PTS-STARTPTS[r];"
             f"[f]trim=start_frame=1,setpts=PTS-STARTPTS[f1];"
             f"[f1][r]concat=n=2:v=1:a=0[v]")
    # The unit is a temporary file read once: ultrafast at CRF 14 takes under half veryfast's time
    # and is closer to the source (SSIM 0.996 against 0.992 to a lossless unit), at twice the bytes.
    return ["-t", f"{seconds:.3f}", "-i", f"file:{spec.clip}", "-filter_complex", graph, "-map", "[v]", "-an",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "14", "-pix_fmt", "yuv420p", "-f", "mp4", str(out)]


@dataclass
class _Plate:
    path: Path
    cue: OverlayCue
    x: int
    y: int
    w: int = 0
    h: int = 0


def _render_plates(spec: AssemblySpec, work: Path) -> list[_Plate]:
    plates = []
    size = default_font_size(min(spec.width, spec.height))
    for n, cue in enumerate(spec.cues):
        start, end = max(0.0, cue.start), min(cue.end, spec.duration)
        if end - start < 0.05 or not cue.text.strip():
            continue
        try:
            image = plate_image(cue.text, frame_width=spec.width, font_size=size)
        except ValueError:  # nothing the font can show (e.g. only emoji)
            continue
        path = work / f"plate-{n}.png"
        image.save(path, format="PNG")
        x, y = plate_position(image.width, image.height, spec.width, spec.height)
        plates.append(_Plate(path, OverlayCue(cue.index, cue.text, start, end, cue.fade), x, y,
                             image.width, image.height))
    return plates


@dataclass
class _Captions:
    script: Path
    fonts: Path


def _render_captions(spec: AssemblySpec, work: Path, plates: list[_Plate]) -> _Captions | None:
    """The ASS script and its font in work, laid out clear of the plates on screen with them."""
    words = fit_words(spec.words, spec.duration)
    if spec.caption_style == "off" or not words:
        return None
    fonts = work / "fonts"
    font = bundled_font(fonts)
    size = caption_font_size(spec.width)
    spans = [(p.start, p.end) for p in phrases(words)]
    beside = [(p.x, p.y, p.w, p.h) for p in plates
              if any(start < p.cue.end and p.cue.start < end for start, end in spans)]
    _, bottom = caption_band(spec.width, spec.height, band_height(size), beside)
    script = work / "captions.ass"
    script.write_text(ass_text(words, spec.width, spec.height, style=spec.caption_style,
                               font_name=font[1] if font else "sans-serif", font_size=size,
                               margin_v=spec.height - bottom), encoding="utf-8")
    return _Captions(script, fonts)


def _filter_value(text: str) -> str:
    """text as one filter option value inside a filtergraph: escaped for the option parser, then
    for the graph parser (paths can hold ':', ',', quotes and brackets)."""
    for ch in "\\':":
        text = text.replace(ch, "\\" + ch)
    for ch in "\\'[],;":
        text = text.replace(ch, "\\" + ch)
    return text


def _gain(volume: float) -> str:
    return f",volume={volume:g}" if volume != 1 else ""


def _voice_mix(spec: AssemblySpec, sounds: list[str]) -> list[str]:
    """Filters mixing the voice over the other sounds into [vmix], the music ducked under it.

    The music fades out on its own here, before the mix, so the voice's last words are not faded
    with it.
    """
    d, graph, beds = spec.duration, [], []
    for sound in sounds:
        if sound == "music":
            fade = min(spec.music_fade, d / 2)
            faded = f"[music]afade=t=out:st={d - fade:.3f}:d={fade:.3f}[mfade];" if fade > 0 else ""
            graph.append(f"{faded}[{'mfade' if faded else 'music'}][duckkey]{DUCKING}[ducked]")
            beds.append("ducked")
        else:
            beds.append(sound)
    inputs = "".join(f"[{name}]" for name in ["voice", *beds])
    graph.append(f"{inputs}amix=inputs={1 + len(beds)}:duration=first:dropout_transition=0:normalize=0,"
                 f"alimiter=limit=0.89:level=false[vmix]")
    return graph


def _main_args(spec: AssemblySpec, source: Path, plates: list[_Plate], clip_audio: bool,
               out: Path, captions: _Captions | None = None) -> list[str]:
    d, w, h = spec.duration, spec.width, spec.height
    args = ["-stream_loop", "-1", "-i", f"file:{source}"]
    graph = [f"[0:v]setpts=PTS-STARTPTS,fps={spec.fps},"
             f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1[v0]"]
    last = "v0"
    for k, plate in enumerate(plates, 1):
        cue = plate.cue
        # Each plate input stops just after its cue, so it is not decoded for the rest of the video.
        args += ["-f", "image2", "-loop", "1", "-framerate", str(spec.fps), "-pattern_type", "none",
                 "-t", f"{cue.end + 0.5:.3f}", "-i", f"file:{plate.path}"]
        fade = cue_fade(cue)
        graph.append(f"[{k}:v]format=rgba,fade=t=in:st={cue.start:.3f}:d={fade:.3f}:alpha=1,"
                     f"fade=t=out:st={cue.end - fade:.3f}:d={fade:.3f}:alpha=1[p{k}]")
        graph.append(f"[{last}][p{k}]overlay=x={plate.x}:y={plate.y}:eof_action=pass:"
                     f"enable='between(t,{cue.start:.3f},{cue.end:.3f})'[v{k}]")
        last = f"v{k}"
    if captions:
        graph.append(f"[{last}]ass=filename={_filter_value(str(captions.script))}:"
                     f"fontsdir={_filter_value(str(captions.fonts))}[vcap]")
        last = "vcap"
    graph.append(f"[{last}]format=yuv420p[vout]")

    to_stereo = "asetpts=PTS-STARTPTS,aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"
    next_input = len(plates) + 1
    sounds = []
    if spec.music:
        args += ["-stream_loop", "-1", "-i", f"file:{spec.music}"]
        graph.append(f"[{next_input}:a]{to_stereo},atrim=duration={d:.3f},"
                     f"{LOUDNESS}{_gain(spec.music_volume)}[music]")
        sounds.append("music")
        next_input += 1
    if spec.narration:
        # Padded to the full length: the mix and the ducking both run for as long as the video.
        args += ["-i", f"file:{spec.narration}"]
        split = ",asplit=2[voice][duckkey]" if spec.music else "[voice]"
        graph.append(f"[{next_input}:a]{to_stereo},atrim=duration={d:.3f},{LOUDNESS}{_gain(spec.voice_volume)},"
                     f"apad=whole_dur={d:.3f}{split}")
        next_input += 1
    if clip_audio:
        if spec.loop_mode == "loop":
            src = "0:a"
        else:  # the ping-pong unit has no sound: the clip's sound loops forwards, unreversed
            args += ["-stream_loop", "-1", "-vn", "-i", f"file:{spec.clip}"]
            src = f"{next_input}:a"
        under = CLIP_AUDIO_UNDER_MUSIC if spec.music or spec.narration else 1.0
        graph.append(f"[{src}]{to_stereo},atrim=duration={d:.3f}{_gain(under * spec.clip_volume)}[clipa]")
        sounds.append("clipa")
    if spec.narration:
        graph += _voice_mix(spec, sounds)
        sounds = ["vmix"]
    # The fade-out comes after loudnorm, which adapts its gain as it goes and would undo it, and
    # after the mix, so the clip's sound does not end in a click either.
    fade = min(spec.music_fade if spec.music and not spec.narration else CLIP_AUDIO_FADE, d / 2)
    fade_out = f",afade=t=out:st={d - fade:.3f}:d={fade:.3f}" if fade > 0 else ""
    if len(sounds) == 2:
        graph.append("[music][clipa]amix=inputs=2:duration=first:dropout_transition=0:normalize=0,"
                     f"alimiter=limit=0.89:level=false{fade_out},apad[aout]")
    elif sounds:
        graph.append(f"[{sounds[0]}]anull{fade_out},apad[aout]")
    else:
        graph.append(f"anullsrc=channel_layout=stereo:sample_rate=48000,atrim=duration={d:.3f},apad[aout]")

    # -t on the output cuts both streams at the target: the video input loops forever and apad
    # extends the audio, so neither can end early.
    enc = encoding(spec.encoding)
    return args + ["-filter_complex", ";".join(graph), "-map", "[vout]", "-map", "[aout]",
                   "-c:v", "libx264", "-preset", enc.preset, "-crf", str(enc.crf), "-pix_fmt", "yuv420p",
                   "-r", str(spec.fps), "-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2",
                   "-t", f"{d:.3f}", "-movflags", "+faststart", "-f", "mp4", str(out)]


# -- the render -----------------------------------------------------------------------------------

def _describe(spec: AssemblySpec) -> str:
    music = f" with music {spec.music}" if spec.music else ""
    return f"{spec.output} from {spec.clip}{music}"


async def assemble(spec: AssemblySpec, on_progress: Callable[[float], None] | None = None) -> AssemblyResult:
    """Render spec.output; on_progress gets fractions 0..1, rising, ending with 1.0.

    Raises MediaError (nothing written under spec.output) when an input is unusable or ffmpeg
    fails; on cancellation ffmpeg is stopped, temporary files are removed and CancelledError
    propagates.
    """
    _check_spec(spec)
    clip_info = await _checked_media(spec.clip, "clip", "video")
    if spec.music is not None:
        await _checked_media(spec.music, "music file", "audio")
    if spec.narration is not None:
        await _checked_media(spec.narration, "narration", "audio")
    clip_audio = spec.keep_clip_audio and bool(clip_info.audio)
    pingpong = spec.loop_mode == "pingpong" and (clip_info.duration or 0) >= MIN_PINGPONG_CLIP

    out = spec.output
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        # Plates and the ping-pong unit go beside the output rather than in /tmp, which may be RAM.
        work = Path(tempfile.mkdtemp(prefix=f".{out.stem}-work-", dir=out.parent))
    except OSError as exc:
        raise MediaError(f"Cannot write the video to {out.parent}: {exc.strerror or exc}") from None
    part = part_path(out)
    progress = _Progress(on_progress)
    try:
        progress.report(0.0)
        try:
            plates = await asyncio.to_thread(_render_plates, spec, work)
        except OSError as exc:
            raise MediaError(f"Could not write the overlay images in {work}: {exc.strerror or exc}") from None
        try:
            captions = await asyncio.to_thread(_render_captions, spec, work, plates)
        except OSError as exc:
            raise MediaError(f"Could not write the captions in {work}: {exc.strerror or exc}") from None
        source, done = spec.clip, 0.0
        if pingpong:
            unit_fps = min(float(spec.fps), clip_info.video[0].fps or float(spec.fps))
            seconds = _pingpong_seconds(spec, clip_info, unit_fps)
            # Share of the progress bar: the unit is about 2*seconds of (smaller) video to encode.
            done = min(0.4, 2 * seconds / (2 * seconds + spec.duration))
            source = work / "pingpong.mp4"
            try:
                await run_ffmpeg(_pingpong_unit_args(spec, seconds, unit_fps, source),
                                 on_time=progress.span(0.0, done, 2 * seconds), stall_timeout=spec.stall_timeout)
            except FfmpegFailed as exc:
                raise MediaError(f"Could not make the ping-pong loop from {spec.clip}: {exc.details()}") from None
        try:
            tail = await run_ffmpeg(_main_args(spec, source, plates, clip_audio, part, captions),
                                    on_time=progress.span(done, 1.0 - done, spec.duration),
                                    stall_timeout=spec.stall_timeout)
        except FfmpegFailed as exc:
            raise MediaError(f"Could not render {_describe(spec)}: {exc.details()}") from None
        result = await _verified(spec, part, tail)
        try:
            os.replace(part, out)
            if captions is not None and spec.captions_file is not None:
                # Only with the video it was burned into: a cancelled render leaves no stray script.
                shutil.copyfile(captions.script, spec.captions_file)
        except OSError as exc:
            raise MediaError(f"Could not put the finished video in place at {out}: {exc.strerror or exc}") from None
    finally:
        part.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    progress.report(1.0)
    return result


async def _verified(spec: AssemblySpec, part: Path, tail: list[str]) -> AssemblyResult:
    """The rendered file's facts, or MediaError when it is not what was asked for."""
    try:
        info = await aprobe(part)
    except MediaError as exc:
        raise MediaError(f"Rendering {_describe(spec)} produced an unreadable file ({exc}). "
                         f"Last ffmpeg output:\n{last_lines(tail)}") from None
    video = info.video[0] if info.video else None
    if video is None or not info.audio or info.duration is None:
        raise MediaError(f"Rendering {_describe(spec)} produced a file without both video and audio. "
                         f"Last ffmpeg output:\n{last_lines(tail)}")
    if abs(info.duration - spec.duration) > DURATION_TOLERANCE:
        raise MediaError(f"Rendering {_describe(spec)} produced {info.duration:.2f} s instead of "
                         f"{spec.duration:.2f} s. Last ffmpeg output:\n{last_lines(tail)}")
    return AssemblyResult(output=spec.output, duration=info.duration, width=video.width or spec.width,
                          height=video.height or spec.height, log_tail="\n".join(tail))
