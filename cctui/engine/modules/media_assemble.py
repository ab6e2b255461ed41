"""`media.assemble`: the post-ready video from the chosen clip, overlay lines, music and narration.

The creator sets the loop, frame, music, narration, captions, volumes and clip sound in a form (its
schema comes from the workflow); the answer renders with ffmpeg, reporting progress. A render that
is cancelled or fails leaves the interaction waiting, so the creator changes a setting and renders
again.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from cctui.engine.errors import AnswerError, ModuleError
from cctui.engine.forms import FormError, form_values
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Answer, Inputs, ModuleContract, shown
from cctui.media import (CAPTION_STYLES, AssemblySpec, MediaError, OverlayCue, assemble, encoding, extract_frame,
                         fit_words, overlay_cues, phrases, probe, srt_text, target_size)

MUSIC_SOURCES = ("generated", "file", "none")
NARRATION_SOURCES = ("generated", "none")
VOLUMES = ("voice_volume", "music_volume", "clip_volume")  # percent in the form, a gain in the render


def _lines(inputs: dict[str, Any]) -> list[str]:
    lines = inputs.get("overlay_lines") or []
    if not isinstance(lines, list):
        raise ModuleError("input `overlay_lines` must be a list of text lines", retryable=False)
    return [str(line) for line in lines if str(line).strip()]


def _duration(inputs: dict[str, Any], where: str) -> float:
    try:
        duration = float(inputs.get("duration"))
    except (TypeError, ValueError):
        raise ModuleError(f"{where}: input `duration` must be a number of seconds, not "
                          f"{inputs.get('duration')!r}", retryable=False) from None
    if not 1 <= duration <= 600:
        raise ModuleError(f"{where}: input `duration` must be 1..600 seconds, not {duration:g}", retryable=False)
    return duration


def cues_of(inputs: dict[str, Any], where: str = "media.assemble") -> list[OverlayCue]:
    return overlay_cues(_lines(inputs), _duration(inputs, where))


def _made(content: Any) -> bool:
    return isinstance(content, dict) and bool(content.get("local_path"))


def narration_words(narration: Any) -> list[dict[str, Any]]:
    """The narration's word timings (seconds from the voice's start), as its provider gave them."""
    words = ((narration or {}).get("metadata") or {}).get("words") if isinstance(narration, dict) else None
    return words if isinstance(words, list) else []


def prefill(inputs: dict[str, Any]) -> dict[str, Any]:
    """Form defaults that depend on the run: the clip's own aspect, and music, narration and its
    captions if they were made."""
    video = inputs.get("video") or {}
    params = (video.get("metadata") or {}).get("params") or {}
    narration = inputs.get("narration")
    return {"aspect_ratio": params.get("aspect_ratio") or "9:16",
            "music_source": "generated" if _made(inputs.get("music_track")) else "none",
            "narration_source": "generated" if _made(narration) else "none",
            "caption_style": "words" if _made(narration) and narration_words(narration) else "off"}


def _notes(inputs: dict[str, Any], duration: float) -> list[str]:
    """What the creator should know before rendering: a narration that is longer than the video."""
    narration = inputs.get("narration")
    words = narration_words(narration)
    spoken = max((float(w.get("end") or 0) for w in words if isinstance(w, dict)), default=0.0)
    length = ((narration or {}).get("metadata") or {}).get("duration") if _made(narration) else None
    speech = max(spoken, float(length) if isinstance(length, (int, float)) else 0.0)
    if speech <= duration + 0.05:
        return []
    lost = sum(1 for w in words if isinstance(w, dict) and float(w.get("start") or 0) >= duration)
    return [f"The narration is {speech:.1f} s and the video {duration:g} s: it is cut at the end"
            + (", and its last word is not heard" if lost == 1 else
               f", and its last {lost} words are not heard" if lost else "")
            + ". Shorten the text in the narration step, or render it cut."]


def _cue_json(cue: OverlayCue) -> dict[str, Any]:
    return {"index": cue.index, "text": cue.text, "start": round(cue.start, 3), "end": round(cue.end, 3)}


def _remove_leftovers(out_dir: Path) -> None:
    """Half-written files of a render that cctui was killed in the middle of (hidden names)."""
    for path in out_dir.glob(".*"):
        if path.name.endswith(".part") or path.is_dir():
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


class AssembleInputs(Inputs):
    video: dict[str, Any]  # the chosen generation: `local_path`, and `metadata.params.aspect_ratio`
    duration: float  # seconds, 1..600
    overlay_lines: list[str] = []
    music_track: dict[str, Any] | None = None
    # The chosen narration: `local_path`, and `metadata.words` ({"text", "start", "end"} each).
    narration: dict[str, Any] | None = None
    settings_schema: dict[str, Any] = {}  # the render form
    title: str = shown("Assemble the video")


class AssembleAnswer(Answer):
    values: dict[str, Any] = Field({}, description="an object")  # the render form's values


@register
class MediaAssemble(Module):
    module_id = "media.assemble"
    contract = ModuleContract(inputs=AssembleInputs, outputs=frozenset({"final_video", "settings"}),
                              view="assemble", answer=AssembleAnswer)

    async def display(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        video = inputs.get("video")
        if not isinstance(video, dict) or not video.get("local_path"):
            raise ModuleError(f"{ctx.where}: no video was selected to assemble", retryable=False)
        return {
            "title": inputs.get("title") or "Assemble the video",
            "schema": inputs.get("settings_schema") or {},
            "prefill": prefill(inputs),
            "video": video,
            "music_track": inputs.get("music_track"),
            "narration": inputs.get("narration"),
            "duration": _duration(inputs, ctx.where),
            "cues": [_cue_json(c) for c in cues_of(inputs, ctx.where)],
            "notes": _notes(inputs, _duration(inputs, ctx.where)),
        }

    def settings(self, inputs: dict[str, Any], values: dict[str, Any] | None) -> dict[str, Any]:
        """The form's values, checked; AnswerError says which field is wrong."""
        try:
            settings = form_values(inputs.get("settings_schema") or {}, prefill(inputs), values or {})
        except FormError as exc:
            raise AnswerError(str(exc)) from None
        try:
            settings["encoding"] = encoding(settings.get("encoding")).name
        except MediaError as exc:
            raise AnswerError(f"Encoding: {exc}") from None
        source = settings.get("music_source", "none")
        if source not in MUSIC_SOURCES:
            raise AnswerError(f"Music: {source!r} is not one of {', '.join(MUSIC_SOURCES)}")
        if source == "generated":
            track = inputs.get("music_track")
            if not isinstance(track, dict) or not track.get("local_path"):
                raise AnswerError("Music: no soundtrack was generated in the music step; choose a file or none")
            settings["music_path"] = track["local_path"]
        elif source == "file":
            raw = str(settings.get("music_file") or "").strip()
            if not raw:
                raise AnswerError("Music file: give the path of an audio file (mp3, wav, m4a...)")
            path = Path(raw).expanduser()
            if not path.is_file():
                raise AnswerError(f"Music file: {path} does not exist")
            try:
                info = probe(path)
            except MediaError as exc:
                raise AnswerError(f"Music file: {exc}") from None
            if not info.audio:
                raise AnswerError(f"Music file: {path} has no audio stream")
            settings["music_path"] = str(path.resolve())
        else:
            settings["music_path"] = None
        self._narration_settings(inputs, settings)
        return settings

    @staticmethod
    def _narration_settings(inputs: dict[str, Any], settings: dict[str, Any]) -> None:
        source = settings.get("narration_source", "none")
        if source not in NARRATION_SOURCES:
            raise AnswerError(f"Narration: {source!r} is not one of {', '.join(NARRATION_SOURCES)}")
        narration = inputs.get("narration")
        settings["narration_path"] = None
        if source == "generated":
            if not _made(narration):
                raise AnswerError("Narration: no narration was made in the narration step; choose No narration")
            path = Path(narration["local_path"])
            if not path.is_file():
                raise AnswerError(f"Narration: {path} is missing on disk; make the narration again or choose "
                                  f"No narration")
            settings["narration_path"] = str(path)
        style = settings.get("caption_style", "off")
        if style not in CAPTION_STYLES:
            raise AnswerError(f"Captions: {style!r} is not one of {', '.join(CAPTION_STYLES)}")
        if style != "off" and (source != "generated" or not narration_words(narration)):
            raise AnswerError("Captions: they follow the narration's words, and this render has "
                              + ("no narration" if source != "generated" else "a narration without word timing")
                              + "; choose Off")
        for name in VOLUMES:
            value = settings.get(name, 100)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 200:
                raise AnswerError(f"{name.replace('_', ' ').capitalize()}: give a percentage from 0 to 200, "
                                  f"not {value!r}")

    async def respond(self, ctx: ModuleContext, inputs: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        settings = self.settings(inputs, answer.get("values"))
        video = inputs.get("video") or {}
        clip = Path(str(video.get("local_path") or ""))
        if not clip.is_file():
            raise AnswerError(f"The selected video {clip} is missing on disk; go back to the video step")
        cues = cues_of(inputs, ctx.where)
        duration = _duration(inputs, ctx.where)
        try:
            width, height = target_size(settings.get("aspect_ratio"))
        except MediaError as exc:
            raise AnswerError(f"Frame: {exc}") from None
        out_dir = ctx.run_dir / "render"
        out_dir.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(out_dir)
        voice = Path(settings["narration_path"]) if settings["narration_path"] else None
        words = narration_words(inputs.get("narration")) if voice else []
        style = str(settings.get("caption_style") or "off")
        burned = out_dir / "captions.ass"
        for stale in (burned, out_dir / "captions.srt"):
            stale.unlink(missing_ok=True)  # an earlier render's, which this one may not replace
        spec = AssemblySpec(clip=clip, output=out_dir / "final.mp4", duration=duration, width=width, height=height,
                            loop_mode=str(settings.get("loop_mode") or "loop"), cues=list(cues),
                            music=Path(settings["music_path"]) if settings["music_path"] else None,
                            keep_clip_audio=bool(settings.get("keep_clip_audio")), encoding=settings["encoding"],
                            narration=voice, words=words or None, caption_style=style,
                            captions_file=burned if style != "off" else None,
                            **{name: float(settings.get(name, 100)) / 100 for name in VOLUMES})
        started = time.monotonic()
        ctx.report({"phase": "render", "fraction": 0.0})
        try:
            result = await assemble(spec, on_progress=lambda f: ctx.report({"phase": "render", "fraction": f}))
            # The cover is the frame where the first line is fully in: the post's thumbnail.
            at = (cues[0].start + cues[0].end) / 2 if cues else min(1.0, duration / 2)
            cover = await extract_frame(result.output, at, out_dir / "cover.jpg")
        except MediaError as exc:
            ctx.report({"phase": "failed", "error": str(exc)})
            raise AnswerError(f"The render failed: {exc}") from None
        ctx.report({"phase": "done", "fraction": 1.0})
        fitted = fit_words(words, duration)
        srt = None
        if fitted:
            srt = out_dir / "captions.srt"
            srt.write_text(srt_text(phrases(fitted)), encoding="utf-8")
        final = {
            "path": str(result.output), "cover_path": str(cover), "duration": result.duration,
            "width": result.width, "height": result.height, "aspect_ratio": settings.get("aspect_ratio"),
            "loop_mode": spec.loop_mode, "keep_clip_audio": spec.keep_clip_audio, "encoding": spec.encoding,
            "music": {"source": settings.get("music_source"), "path": settings["music_path"]},
            "narration": {"source": settings.get("narration_source"), "path": settings["narration_path"],
                          "caption_style": style, "words": [{"text": w.text, "start": w.start, "end": w.end} for w in fitted],
                          "srt_path": str(srt) if srt else None,
                          "ass_path": str(burned) if style != "off" and burned.is_file() else None},
            "volumes": {name.removesuffix("_volume"): settings.get(name, 100) for name in VOLUMES},
            "clip_path": str(clip), "cues": [_cue_json(c) for c in cues],
            "render_seconds": round(time.monotonic() - started, 2),
        }
        return {"final_video": final, "settings": settings}
