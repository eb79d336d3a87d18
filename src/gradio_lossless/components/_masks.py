"""AnnotatedImage's mask images, drawn as stock draws them without its float64 passes.

Stock ``gr.AnnotatedImage.postprocess`` turns each annotation into an RGBA PNG the
size of the base image, as its docstring describes: a bounding box
``(x1, y1, x2, y2)`` is filled half transparent with a 3-pixel opaque border, a
0-1 confidence mask gives the alpha ``mask * 255``; the colour is the label's
``color_map`` entry (red without one) wherever the mask is above 0. It learns the
base image's size by decoding the whole base file, and draws each mask through
four float64 planes (at 4K, 265 MB and 0.2 to 0.8 s per mask).

``draw`` makes the same pixels directly in 8 bits from the size it is given, and
the PNG is written by stock's own ``save_pil_to_cache``, so the file (bytes, name,
folder) is the one stock writes. Where the result would rest on something other
than that plain arithmetic (a mask of another shape that stock would broadcast, a
value outside 0-1 whose float-to-8-bit cast C leaves undefined, a colour that is
not ``#rrggbb``, coordinates that are not integers) it returns ``None`` and the
caller lets stock draw everything. ``tests/components/test_masks.py`` compares
every case with stock's own output.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["BORDER", "draw"]

BORDER = 3
"""Width in pixels of a bounding box's opaque border."""
_FILL_ALPHA = 127  # stock fills a box with 0.5, cast to 8 bits: int(0.5 * 255)
_RED = (255, 0, 0)
_HEX = re.compile(r"#?[0-9a-fA-F]{6}")


def _colour(
    label: str, color_map: Mapping[str, str] | None
) -> tuple[int, int, int] | None:
    if not color_map or label not in color_map:
        return _RED
    text = color_map[label]
    if not isinstance(text, str) or not _HEX.fullmatch(text):
        return None
    digits = text.removeprefix("#")
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def _box(mask: Any, height: int, width: int) -> np.ndarray[Any, Any] | None:
    if isinstance(mask, (np.ndarray, str, bytes)) or not isinstance(mask, Sequence):
        return None
    if len(mask) != 4:
        return None
    try:
        x1, y1, x2, y2 = (operator.index(v) for v in mask)
    except TypeError:
        return None
    alpha = np.zeros((height, width), np.uint8)
    alpha[y1:y2, x1:x2] = _FILL_ALPHA
    rows, cols = slice(y1, y2), slice(x1, x2)
    alpha[rows, x1 : x1 + BORDER] = 255
    alpha[rows, x2 - BORDER : x2] = 255
    alpha[y1 : y1 + BORDER, cols] = 255
    alpha[y2 - BORDER : y2, cols] = 255
    return alpha


def _confidence(mask: Any, height: int, width: int) -> tuple[Any, Any] | None:
    """(alpha, where coloured) of an array mask, or None where stock's result would
    not be this plain arithmetic."""
    if not isinstance(mask, np.ndarray) or mask.shape != (height, width):
        return None
    if mask.dtype.kind not in "biuf":
        return None
    try:
        scaled = mask * 255  # in the mask's own dtype, as stock computes it
    except (TypeError, OverflowError):
        return None
    if scaled.size and not (scaled.min() >= 0 and scaled.max() <= 255):
        return None  # includes NaN: outside 0-255 the cast to 8 bits is undefined
    return scaled.astype(np.uint8), mask > 0


def draw(
    annotations: Sequence[tuple[Any, str]],
    height: int,
    width: int,
    color_map: Mapping[str, str] | None,
) -> list[tuple[np.ndarray[Any, Any], str]] | None:
    """Each annotation's RGBA mask pixels (height × width × 4, uint8) with its label,
    equal to stock's; ``None`` if any annotation is one stock must draw itself."""
    drawn = []
    for mask, label in annotations:
        colour = _colour(label, color_map)
        if colour is None:
            return None
        box = _box(mask, height, width)
        if box is not None:
            alpha, coloured = box, box > 0
        else:
            parts = _confidence(mask, height, width)
            if parts is None:
                return None
            alpha, coloured = parts
        rgba = np.empty((height, width, 4), np.uint8)
        for channel, level in enumerate(colour):
            rgba[..., channel] = coloured * np.uint8(level)  # 3x faster than a[mask] =
        rgba[..., 3] = alpha
        drawn.append((rgba, label))
    return drawn
