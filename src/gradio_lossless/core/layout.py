"""Channel layouts of arrays: whether an array already has the layout of a PIL
mode, and converting between grey, grey+alpha, colour and colour+alpha while
keeping the array's dtype (for values deeper than 8 bits, which Pillow would clip
or truncate).

Nothing here imports gradio or Pillow.
"""

from __future__ import annotations

import numpy as np

from gradio_lossless.core.types import PixelArray

__all__ = ["convert_layout", "layout_matches"]

# mode -> channel count that a numpy layout must have to "already be" that mode
_MODE_CHANNELS = {"1": 1, "L": 1, "I": 1, "F": 1, "I;16": 1, "P": 1, "LA": 2}
_MODE_CHANNELS.update({"RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3, "RGBA": 4})
_MODE_CHANNELS["CMYK"] = 4


def layout_matches(arr: PixelArray, image_mode: str | None) -> bool:
    """True when ``arr`` already has the channel layout of ``image_mode`` (or no mode
    is asked for), so it is handed over unchanged, dtype and shape included."""
    if image_mode is None:
        return True
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    return _MODE_CHANNELS.get(image_mode) == channels


_LAYOUTS = {"L": (1, False), "LA": (1, True), "RGB": (3, False), "RGBA": (3, True)}


def convert_layout(arr: PixelArray, image_mode: str | None) -> PixelArray:
    """``arr`` in the channel layout of ``image_mode`` ("L", "LA", "RGB" or
    "RGBA"), its dtype kept: grey repeated into colour, an opaque alpha (the
    dtype's maximum, 1.0 for floats) added, alpha dropped, colour to grey by
    ITU-R 601-2 luma (Pillow's L formula; rounded for integers). ``arr`` itself
    when it is 8-bit or bool (Pillow converts those exactly as stock does), when
    its layout already matches, or for any other mode."""
    target = _LAYOUTS.get(image_mode or "")
    if (
        target is None
        or arr.dtype in (np.uint8, np.bool_)
        or layout_matches(arr, image_mode)
    ):
        return arr
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    planes = arr if arr.ndim == 3 else arr[:, :, None]
    color, alpha = planes[:, :, : 3 if channels >= 3 else 1], None
    if channels in (2, 4):
        alpha = planes[:, :, channels - 1 :]
    want_colors, want_alpha = target
    if want_colors == 1 and color.shape[2] == 3:
        with np.errstate(over="ignore", invalid="ignore"):
            luma = color.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
            if arr.dtype.kind in "iu":
                info = np.iinfo(arr.dtype.str)
                high = np.float64(info.max)
                if int(high) > info.max:  # 64-bit: the nearest float rounds up
                    high = np.nextafter(high, 0)
                luma = np.clip(np.rint(luma), info.min, high)
            color = luma.astype(arr.dtype)[:, :, None]
    elif want_colors == 3 and color.shape[2] == 1:
        color = np.repeat(color, 3, axis=2)
    parts = [color]
    if want_alpha:
        if alpha is None:
            opaque = np.iinfo(arr.dtype.str).max if arr.dtype.kind in "iu" else 1.0
            alpha = np.full((*color.shape[:2], 1), opaque, dtype=arr.dtype)
        parts.append(alpha)
    out = np.concatenate(parts, axis=2)
    return out[:, :, 0].copy() if out.shape[2] == 1 else out
