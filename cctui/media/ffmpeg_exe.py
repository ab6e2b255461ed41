"""Where the ffmpeg binary is: the one imageio-ffmpeg ships, so no system ffmpeg is needed."""

from __future__ import annotations

from functools import lru_cache

from cctui.media.errors import MediaError


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # ImportError, or RuntimeError when the wheel has no binary for this platform
        raise MediaError(f"ffmpeg is not available ({exc}); reinstall the imageio-ffmpeg package") from None
