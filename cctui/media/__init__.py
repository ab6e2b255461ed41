"""Media: probing files and assembling the final, post-ready video with ffmpeg.

Plain asyncio and Pillow: no Textual and no engine imports, so it can be used and tested alone.
"""

from cctui.media.assemble import (ASPECTS, LOOP_MODES, MAX_DURATION, AssemblyResult, AssemblySpec, assemble,
                                  plate_position, safe_area, target_size)
from cctui.media.cover import extract_frame
from cctui.media.encodings import DEFAULT_ENCODING, ENCODINGS, Encoding, encoding
from cctui.media.errors import MediaError
from cctui.media.ffmpeg_exe import ffmpeg_exe
from cctui.media.plates import default_font_size, plate_image, render_plate
from cctui.media.probe import MediaInfo, StreamInfo, aprobe, probe
from cctui.media.timeline import FADE, OverlayCue, at, cue_fade, overlay_cues, to_srt

__all__ = [
    "ASPECTS", "DEFAULT_ENCODING", "ENCODINGS", "Encoding", "FADE", "LOOP_MODES", "MAX_DURATION", "AssemblyResult",
    "AssemblySpec", "MediaError", "MediaInfo", "OverlayCue", "StreamInfo", "aprobe", "assemble", "at", "cue_fade",
    "default_font_size", "encoding", "extract_frame", "ffmpeg_exe", "overlay_cues", "plate_image", "plate_position",
    "probe", "render_plate", "safe_area", "target_size", "to_srt",
]
