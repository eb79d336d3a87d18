"""Fast, bit-exact PNG writing of 8-bit RGB/RGBA pixels.

Backend: the ``fpng`` package (a Python binding of Rich Geldreich's fpng), ~15×
faster than Pillow's PNG writer on photos. It is young (0.1.0), so it is optional:
without it (or with ``GRADIO_LOSSLESS_NO_FPNG=1``) we fall back to Pillow with
``compress_level=1``, slower but identical pixels.
"""

from __future__ import annotations

import io
import os
from functools import cache
from types import ModuleType

import numpy as np
import numpy.typing as npt
import PIL.Image

__all__ = ["available", "backend", "encode", "encode_array"]


@cache
def _fpng() -> ModuleType | None:
    if os.environ.get("GRADIO_LOSSLESS_NO_FPNG"):
        return None
    try:
        import fpng
    except ImportError:
        return None
    module: ModuleType = fpng
    return module


def available() -> bool:
    """True when the fpng backend is importable and not disabled."""
    return _fpng() is not None


def backend() -> str:
    """Name of the backend in use: "fpng" or "pillow"."""
    return "fpng" if available() else "pillow"


def encode(im: PIL.Image.Image) -> bytes:
    """PNG bytes of an RGB or RGBA image (pixels exact; no metadata chunks).

    Parameters:
        im: a PIL image of mode RGB or RGBA.
    Returns:
        the PNG file's bytes.
    """
    if im.mode not in ("RGB", "RGBA"):
        raise ValueError(f"fast PNG writer takes RGB or RGBA, got mode {im.mode!r}")
    fpng = _fpng()
    if fpng is not None:
        channels = 3 if im.mode == "RGB" else 4
        return bytes(fpng.from_bytes(im.tobytes(), im.width, im.height, channels))
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def encode_array(arr: npt.NDArray[np.generic]) -> bytes:
    """PNG bytes of a uint8 H×W×3 or H×W×4 array (pixels exact), without the copy
    through a PIL image when fpng is available."""
    fpng = _fpng()
    if fpng is not None:
        return bytes(fpng.from_ndarray(np.ascontiguousarray(arr)))
    return encode(PIL.Image.fromarray(arr))
