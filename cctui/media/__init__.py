"""Media: probing files and assembling the final, post-ready video with ffmpeg.

Plain asyncio and Pillow: no Textual and no engine imports, so it can be used and tested alone.
"""

from cctui.media.assemble import (ASPECTS, LOOP_MODES, MAX_DURATION, AssemblyResult, AssemblySpec, assemble,
                                  target_size)
from cctui.media.captions import CAPTION_STYLES, Phrase, Word, ass_text, fit_words, phrases, srt_text
from cctui.media.cover import extract_frame
from cctui.media.encodings import DEFAULT_ENCODING, ENCODINGS, Encoding, encoding
from cctui.media.errors import MediaError
from cctui.media.ffmpeg_exe import ffmpeg_exe
from cctui.media.layout import caption_band, plate_position, safe_area
from cctui.media.plates import default_font_size, plate_image, render_plate
from cctui.media.probe import MediaInfo, StreamInfo, aprobe, probe
from cctui.media.timeline import FADE, OverlayCue, at, cue_fade, overlay_cues, to_srt

__all__ = [
    "ASPECTS", "CAPTION_STYLES", "DEFAULT_ENCODING", "ENCODINGS", "FADE", "LOOP_MODES", "MAX_DURATION",
    "AssemblyResult", "AssemblySpec", "Encoding", "MediaError", "MediaInfo", "OverlayCue", "Phrase", "StreamInfo",
    "Word", "aprobe", "ass_text", "assemble", "at", "caption_band", "cue_fade", "default_font_size", "encoding",
    "extract_frame", "ffmpeg_exe", "fit_words", "overlay_cues", "phrases", "plate_image", "plate_position",
    "probe", "render_plate", "safe_area", "srt_text", "target_size", "to_srt",
]
