"""Where things go on the frame: the part no platform UI covers, the overlay plates, the captions.

Pure arithmetic on frame and box sizes, so a layout can be checked without rendering anything.
"""

from __future__ import annotations

from typing import Iterable


def safe_area(width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the part of the frame no platform UI covers.

    On tall (9:16-like) videos TikTok, Reels and Shorts put the caption, account name and
    progress bar over the bottom ~22%, search and tabs over the top ~14%, and buttons down the
    right side. Feed formats (1:1, 4:5, 16:9) are covered much less.
    """
    top, bottom, side = (0.14, 0.22, 0.06) if height / width >= 1.5 else (0.08, 0.12, 0.05)
    return round(width * side), round(height * top), width - round(width * side), height - round(height * bottom)


def plate_position(plate_w: int, plate_h: int, width: int, height: int) -> tuple[int, int]:
    """Top-left corner for a plate: centred across, in the lower middle of the safe area, inside it."""
    x0, y0, x1, y1 = safe_area(width, height)
    x = x0 + (x1 - x0 - plate_w) // 2
    y = round(y0 + (y1 - y0) * 0.70 - plate_h / 2)  # below the subject (usually centre), above the UI
    y = max(y0, min(y, y1 - plate_h))
    return max(0, x - x % 2), max(0, y - y % 2)


def caption_band(width: int, height: int, band_height: int,
                 avoid: Iterable[tuple[int, int, int, int]] = ()) -> tuple[int, int]:
    """(top, bottom) rows of the lowest stretch of the safe area, band_height tall, clear of `avoid`.

    `avoid` holds (x, y, w, h) boxes, the plates on screen while captions are. Plates and
    captions are both centred across the frame, so only rows matter. Low is preferred because the
    subject is usually in the middle; when the plates leave no room below them the band goes
    above them. If no clear stretch is tall enough (a huge font), the band sits at the bottom of
    the safe area regardless.
    """
    _, y0, _, y1 = safe_area(width, height)
    gap = max(2, round(height * 0.01))  # text touching a plate reads as part of it
    busy = [(y - gap, y + h + gap) for _, y, _, h in avoid]

    def clear(top: int, bottom: int) -> bool:
        return top >= y0 and bottom <= y1 and all(bottom <= b0 or top >= b1 for b0, b1 in busy)

    for bottom in sorted({y1, *(b0 for b0, _ in busy)}, reverse=True):
        if clear(bottom - band_height, bottom):
            return bottom - band_height, bottom
    return y1 - band_height, y1
