"""Fast, bit-exact PNG writing of 8-bit RGB/RGBA pixels.

Backend: the ``fpng`` package (a Python binding of Rich Geldreich's fpng), ~15×
faster than Pillow's PNG writer on photos. It is young (0.1.0), so it is optional:
without it (or with ``GRADIO_LOSSLESS_NO_FPNG=1``) we fall back to Pillow with
``compress_level=1``, slower but identical pixels.

The binding holds the GIL while it encodes, so threads encode one image at a time.
With ``GRADIO_LOSSLESS_PNG_WORKERS`` set (off by default, see ``png_workers``),
encodes of ``WORKERS_FROM`` bytes of pixels or more inside ``in_workers()`` (a
gallery saving its items on several threads) go to worker processes instead: the
same fpng, so the same bytes, several at once. Outside it an encode stays in this
process, which is faster for one image alone (no copy to a worker and back).
"""

from __future__ import annotations

import contextvars
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType

import numpy as np
import numpy.typing as npt
import PIL.Image

from gradio_lossless.codecs import png_workers

__all__ = [
    "WORKERS_FROM",
    "available",
    "backend",
    "encode",
    "encode_array",
    "in_workers",
]

WORKERS_FROM = 1 << 20
"""Pixel bytes from which an encode inside ``in_workers()`` goes to a worker
process; below it the round trip costs more than it frees."""
_IN_WORKERS = contextvars.ContextVar("gradio_lossless_png_in_workers", default=False)


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


@contextmanager
def in_workers() -> Iterator[None]:
    """Within the block, this thread's large fpng encodes run in worker processes
    (when fpng and workers are available), so that other threads' encodes and
    this process's other work proceed at the same time."""
    token = _IN_WORKERS.set(True)
    try:
        yield
    finally:
        _IN_WORKERS.reset(token)


def _to_workers(nbytes: int) -> bool:
    """Should an encode of ``nbytes`` of pixels go to a worker process?"""
    return _IN_WORKERS.get() and nbytes >= WORKERS_FROM and png_workers.enabled()


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
        if _to_workers(im.width * im.height * channels):
            png = png_workers.encode(np.asarray(im))
            if png is not None:
                return png
        return bytes(fpng.from_bytes(im.tobytes(), im.width, im.height, channels))
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def encode_array(arr: npt.NDArray[np.generic]) -> bytes:
    """PNG bytes of a uint8 H×W×3 or H×W×4 array (pixels exact), without the copy
    through a PIL image when fpng is available."""
    fpng = _fpng()
    if fpng is not None:
        if _to_workers(arr.nbytes):
            png = png_workers.encode(arr)  # type: ignore[arg-type]
            if png is not None:
                return png
        return bytes(fpng.from_ndarray(np.ascontiguousarray(arr)))
    return encode(PIL.Image.fromarray(arr))
