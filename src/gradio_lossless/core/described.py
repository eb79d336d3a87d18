"""A value and everything the layers below ask of it, computed once.

Saving a value needs, from several places, the same facts about it: the identity
header its address and change digest hash, the header its exact PNG carries, whether
a plain PNG holds its pixels, its size, and its raw pixel bytes. ``describe`` works
them out in one pass; the store, the keys and the codecs take the ``Described`` and
never ask the value again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import PIL.Image

from gradio_lossless.core import conversions
from gradio_lossless.core.types import ImageValue

__all__ = ["NATIVE_PIL_MODES", "Described", "describe", "is_png_native"]

NATIVE_PIL_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"})
"""PIL modes whose pixels a PNG holds exactly."""


def is_png_native(value: ImageValue, mode: str | None = None) -> bool:
    """True when a plain PNG reader gets the exact pixels back from the IDAT alone
    (so a browser download or any PNG tool sees the real value).

    Parameters:
        value: a checked value.
        mode: an array's ``conversions.natural_mode``, when the caller has it.
    """
    if isinstance(value, np.ndarray):
        mode = mode or conversions.natural_mode(value)
        return mode is not None and mode in NATIVE_PIL_MODES
    if value.mode == "P":
        # Pillow sizes the PNG bit depth by the palette (1, 2, 4 or 8 bits for up
        # to 2, 4, 16, 256 colours): indices past that depth would be lost
        colors = len(value.getpalette() or []) // 3
        highest = value.getextrema()[1]
        assert isinstance(highest, int)  # noqa: S101 - single band
        depth = 2 if colors <= 2 else 4 if colors <= 4 else 16 if colors <= 16 else 256
        return value.palette is not None and highest < depth
    return value.mode in NATIVE_PIL_MODES


@dataclass(frozen=True, eq=False)
class Described:
    """A checked value with the facts every layer needs.

    Parameters:
        value: the value itself (never mutated).
        identity: the canonical JSON of its identity header (kind, mode or dtype,
            shape, palette, metadata), hashed before the pixels by its address and
            change digest (``keys.py``).
        header: the fields its exact PNG's header carries (kind, mode/size or
            dtype/shape, metadata, palette, how the pixels are stored).
        native: True when a plain PNG holds its pixels (``is_png_native``).
        mode: the PIL mode that holds it exactly (an image's own mode; for an array
            ``conversions.natural_mode``, None when no mode does).
        nbytes: the memory it takes (``conversions.nbytes``).
        pixels: its raw pixel bytes (a view for contiguous arrays).
    """

    value: ImageValue
    identity: bytes
    header: dict[str, Any]
    native: bool
    mode: str | None
    nbytes: int
    pixels: bytes | memoryview


def _pixels(value: ImageValue) -> bytes | memoryview:
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value).view(np.uint8).reshape(-1).data
    return value.tobytes()


def _describe_array(arr: np.ndarray[Any, Any]) -> Described:
    identity = conversions.identity_header(arr)
    mode = conversions.natural_mode(arr)
    native = is_png_native(arr, mode)
    header = {
        "pixels": "idat" if native else "raw",
        "kind": "numpy",
        "dtype": arr.dtype.str,
        "shape": list(arr.shape),
    }
    return Described(
        arr,
        json.dumps(identity, sort_keys=True).encode(),
        header,
        native,
        mode,
        int(arr.nbytes),
        _pixels(arr),
    )


def _describe_image(im: PIL.Image.Image) -> Described:
    info = conversions.info_to_json(im.info)
    palette = conversions.palette_fields(im)
    identity = conversions.identity_header(im, info=info, palette=palette)
    native = is_png_native(im)
    header = {
        "pixels": "idat" if native else "raw",
        "kind": "pil",
        "mode": im.mode,
        "size": list(im.size),
        "info": info,
        **palette,
    }
    return Described(
        im,
        json.dumps(identity, sort_keys=True).encode(),
        header,
        native,
        im.mode,
        conversions.nbytes(im),
        _pixels(im),
    )


def describe(value: ImageValue) -> Described:
    """Work out, once, what the layers below need to know about ``value``.

    Parameters:
        value: a checked PIL image or array (``conversions.check_value``).
    """
    if isinstance(value, np.ndarray):
        return _describe_array(value)
    return _describe_image(value)
