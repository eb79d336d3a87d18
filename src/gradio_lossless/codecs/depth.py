"""Uploads deeper than Pillow reads them, for components with ``keep_dtype=True``.

Pillow reads a 16-bit colour PNG (RGB, grey+alpha, RGBA) as 8 bits per channel, a
16-bit colour TIFF likewise, and cannot open a float colour TIFF at all. Here:

* PNG, 16-bit colour: ``imagecodecs.png_decode`` (libpng), a uint16 array. Optional
  and imported only then (``pip install 'gradio-lossless[keep-dtype]'``); without
  it such an upload is refused with that hint, never silently truncated.
* TIFF whose samples are wider than 8 bits (16/32-bit integer, float): ``tifffile``
  (already a dependency, pure Python), the first page as an array, with the TIFF's
  orientation tag (``orient`` applies it as Pillow's ``exif_transpose`` would).
  tifffile uses imagecodecs for compressions it does not decode itself (LZW, JPEG,
  ZSTD, ...).

16-bit grey PNG, 8-bit files and every other format stay with Pillow, which reads
them exactly (I;16, L, RGB, ...). Sizes are read from the headers and checked
against ``GRADIO_LOSSLESS_MAX_DECODED_BYTES`` before decoding.
"""

from __future__ import annotations

import io
import struct
from typing import Any

import numpy as np

from gradio_lossless.core import limits
from gradio_lossless.core.errors import (
    CodecUnavailableError,
    CorruptImageError,
    LimitError,
)
from gradio_lossless.core.types import PixelArray

__all__ = ["INSTALL_HINT", "decode_deep", "deep_kind", "orient"]

INSTALL_HINT = "pip install 'gradio-lossless[keep-dtype]'"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_PNG_CHANNELS = {2: 3, 4: 2, 6: 4}  # colour type -> channels (16-bit colour)
# TIFF orientation -> numpy equivalent of Pillow's exif_transpose
_ORIENT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],
    8: lambda a: np.rot90(a, 1),
}


def orient(arr: PixelArray, orientation: int) -> PixelArray:
    """``arr`` turned as Pillow's ``exif_transpose`` turns an image whose EXIF (or
    TIFF) orientation is ``orientation`` (1, or an unknown value: unchanged)."""
    turn = _ORIENT.get(orientation)
    return np.ascontiguousarray(turn(arr)) if turn else arr


def deep_kind(data: bytes) -> str | None:
    """ "png" for a 16-bit colour PNG, "tiff" for a TIFF, else None (Pillow's)."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) > 25:
        if data[24] == 16 and data[25] in _PNG_CHANNELS:
            return "png"
        return None
    if data[:4] in _TIFF_MAGIC:
        return "tiff"
    return None


def _png16(data: bytes) -> PixelArray:
    width, height = struct.unpack(">II", data[16:24])
    channels = _PNG_CHANNELS[data[25]]
    limits.check_decoded(
        f"{width}×{height}×{channels} uint16", width * height * channels * 2
    )
    try:
        import imagecodecs
    except ImportError:
        raise CodecUnavailableError(
            "a 16-bit colour PNG is read at full depth only with imagecodecs "
            f"installed: {INSTALL_HINT}"
        ) from None
    try:
        arr: PixelArray = imagecodecs.png_decode(data)
    except Exception as exc:  # imagecodecs.PngError and friends
        raise CorruptImageError(f"truncated or corrupt image: {exc}") from None
    return arr


def _tiff(data: bytes) -> tuple[PixelArray, int] | None:
    import tifffile

    try:
        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            page: Any = tif.pages.first
            dtype = np.dtype(page.dtype)
            if dtype.itemsize == 1:
                return None  # 8-bit: Pillow reads it as stock does
            shape = tuple(int(x) for x in page.shape)
            what = f"{'×'.join(map(str, shape))} {dtype}"
            limits.check_decoded(what, int(np.prod(shape)) * dtype.itemsize)
            separate = page.planarconfig == tifffile.PLANARCONFIG.SEPARATE
            tag = page.tags.get(274)  # Orientation
            orientation = int(tag.value) if tag is not None else 1
            arr = page.asarray()
    except (CorruptImageError, LimitError):
        raise
    except ValueError as exc:
        if "imagecodecs" in str(exc):
            raise CodecUnavailableError(
                f"this TIFF's compression is decoded only with imagecodecs "
                f"installed: {INSTALL_HINT}"
            ) from None
        raise CorruptImageError(f"truncated or corrupt image: {exc}") from None
    except (  # what tifffile raises on a corrupt file
        tifffile.TiffFileError,
        TypeError,
        KeyError,
        IndexError,
        OSError,
        EOFError,
        struct.error,
        OverflowError,
        MemoryError,
        RecursionError,
    ) as exc:
        raise CorruptImageError(f"truncated or corrupt image: {exc}") from None
    if separate and arr.ndim == 3:
        arr = np.moveaxis(arr, 0, -1)
    if not (arr.ndim == 2 or (arr.ndim == 3 and 1 <= arr.shape[2] <= 4)):
        raise CorruptImageError(
            f"a TIFF of shape {arr.shape} is not an H×W or H×W×C image"
        )
    return arr, orientation


def decode_deep(data: bytes) -> tuple[PixelArray, int] | None:
    """(array, TIFF orientation) of a file Pillow would not read at full depth, or
    None when Pillow reads it exactly (then decode it as any upload). A PNG's
    orientation is in its EXIF, which Pillow reads: 1 here.

    Raises:
        CodecUnavailableError: the decoder it needs is not installed.
        CorruptImageError: the file does not decode.
        LimitError: its decoded size is over the cap.
    """
    kind = deep_kind(data)
    if kind == "png":
        return _png16(data), 1
    if kind == "tiff":
        return _tiff(data)
    return None
