"""Exact conversions between PIL images, NumPy arrays and their fingerprints.

Nothing here imports gradio. Every function states which values it keeps exact.

Supported values:
- PIL images of any single-frame mode Pillow can ``tobytes``/``frombytes``
  (1, L, LA, P with palette and transparency, RGB, RGBA, I;16, I, F, CMYK, ...),
  with their ``info`` metadata (PNG text, EXIF, ICC profile, DPI, transparency...).
- NumPy arrays of shape H×W or H×W×C (C in 1..4) and dtype bool, uint8, int8,
  uint16, int16, uint32, int32, uint64, int64, float16, float32 or float64.
"""

from __future__ import annotations

import base64
import json
import numbers
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import PIL.Image
import xxhash

from gradio_lossless.core.errors import UnsupportedImageError
from gradio_lossless.core.layout import convert_layout, layout_matches
from gradio_lossless.core.types import ImageValue, PixelArray

__all__ = [
    "SUPPORTED_DTYPES",
    "array_to_pil",
    "convert_layout",
    "convert_mode",
    "copy_value",
    "describe",
    "fingerprint",
    "identity_header",
    "info_bytes",
    "info_from_json",
    "info_to_json",
    "layout_matches",
    "natural_mode",
    "nbytes",
    "palette_fields",
    "pil_pixel_bytes",
    "pil_to_array",
    "preview_uint8",
    "to_numpy",
    "to_pil",
    "values_equal",
]

SUPPORTED_DTYPES = (
    "bool",
    "uint8",
    "int8",
    "uint16",
    "int16",
    "uint32",
    "int32",
    "uint64",
    "int64",
    "float16",
    "float32",
    "float64",
)
_SCHEMA = "gradio-lossless-v1"


def describe(value: object) -> str:
    """Name a value for an error message without echoing its data.

    Parameters:
        value: anything a user function may return.
    Returns:
        e.g. "numpy array of shape (4, 4, 5) and dtype uint8", "PIL image of mode 'RGB'
        and size 4×4", "str 'cat.txt'", "object of type dict".
    """
    if isinstance(value, np.ndarray):
        return f"numpy array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, PIL.Image.Image):
        return f"PIL image of mode {value.mode!r} and size {value.width}×{value.height}"
    if isinstance(value, str):
        shown = value if len(value) <= 120 else value[:117] + "..."
        return f"str {shown!r}"
    return f"object of type {type(value).__name__}"


def check_array(arr: PixelArray) -> None:
    """Raise UnsupportedImageError unless ``arr`` is an image array we carry exactly.

    Parameters:
        arr: the array to check.
    Raises:
        UnsupportedImageError: naming the shape, dtype and what is accepted.
    """
    if arr.dtype.name not in SUPPORTED_DTYPES:
        raise UnsupportedImageError(
            f"unsupported dtype {arr.dtype} for image of shape {arr.shape}; "
            f"expected one of {', '.join(SUPPORTED_DTYPES)}"
        )
    if arr.ndim == 2 or (arr.ndim == 3 and 1 <= arr.shape[2] <= 4):
        if arr.shape[0] == 0 or arr.shape[1] == 0:
            raise UnsupportedImageError(f"empty image array of shape {arr.shape}")
        return
    raise UnsupportedImageError(
        f"unsupported shape {arr.shape} for image array of dtype {arr.dtype}; "
        "expected H×W or H×W×C with C in 1..4"
    )


def check_value(value: object) -> ImageValue:
    """Return ``value`` if it is a PIL image or a supported array, else raise.

    Parameters:
        value: a value a function returned.
    Returns:
        the same value, typed.
    Raises:
        UnsupportedImageError: for any other type, shape or dtype.
    """
    if isinstance(value, PIL.Image.Image):
        if value.width == 0 or value.height == 0:
            raise UnsupportedImageError(f"empty image: {describe(value)}")
        return value
    if isinstance(value, np.ndarray):
        check_array(value)
        return value
    raise UnsupportedImageError(
        f"cannot use {describe(value)} as an image; expected a PIL image, a numpy "
        "array of shape H×W or H×W×C, or a path to an image file"
    )


def pil_pixel_bytes(mode: str, width: int, height: int) -> int:
    """Bytes Pillow allocates for the pixels of an image: one-band 8-bit modes take
    1 byte per pixel, I;16 modes 2 and every other mode (RGB included) 4."""
    if mode.startswith("I;16"):
        depth = 2
    elif mode in ("1", "L", "P"):
        depth = 1
    else:
        depth = 4
    return width * height * depth


def _sized(obj: Any, depth: int = 0) -> int:
    if isinstance(obj, (bytes, bytearray, str)):
        return len(obj)
    if isinstance(obj, (tuple, list)) and depth < 8:
        return sum(_sized(x, depth + 1) for x in obj) + 8 * len(obj)
    return 16


def info_bytes(info: Mapping[Any, Any]) -> int:
    """About how many bytes an image's ``info`` metadata holds (text, EXIF, ICC...)."""
    return sum(_sized(k) + _sized(v) for k, v in info.items())


def nbytes(value: ImageValue) -> int:
    """Memory a value takes, in bytes: its pixels as Pillow or NumPy store them
    (``pil_pixel_bytes``), plus its metadata and palette for PIL images."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    pixels = pil_pixel_bytes(value.mode, value.width, value.height)
    return pixels + info_bytes(value.info) + 1024


def copy_value(value: ImageValue) -> ImageValue:
    """A deep copy: pixels, mode/dtype/shape, palette and ``info`` (exact)."""
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True, order="C")
    out = value.copy()
    out.info = dict(value.info)
    return out


# --- metadata ---------------------------------------------------------------------


def _tag(obj: Any) -> Any:
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if isinstance(obj, bytes):
        return {"b": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, tuple):
        return {"t": [_tag(x) for x in obj]}
    if isinstance(obj, list):
        return {"l": [_tag(x) for x in obj]}
    # subclasses: PIL's iTXt (str), IFDRational (a numbers.Real) -> plain values
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        return float(obj)
    raise TypeError(type(obj).__name__)


def _untag(obj: Any) -> Any:
    if isinstance(obj, dict):
        if "b" in obj:
            return base64.b64decode(obj["b"])
        if "t" in obj:
            return tuple(_untag(x) for x in obj["t"])
        if "l" in obj:
            return [_untag(x) for x in obj["l"]]
        raise ValueError("bad metadata tag")
    return obj


def info_to_json(info: Mapping[Any, Any]) -> list[list[Any]]:
    """Serialise a PIL ``info`` dict to JSON-able pairs (exact for str, bytes, int,
    float, bool, None and tuples/lists of those). Other values are dropped with a
    warning naming the key."""
    pairs: list[list[Any]] = []
    for key, val in info.items():
        if not isinstance(key, str):
            continue
        try:
            pairs.append([key, _tag(val)])
        except TypeError as exc:
            warnings.warn(
                f"image metadata {key!r} of type {exc} cannot be carried "
                "and was dropped",
                stacklevel=3,
            )
    return pairs


def info_from_json(pairs: list[list[Any]]) -> dict[str, Any]:
    """Inverse of ``info_to_json``."""
    return {str(k): _untag(v) for k, v in pairs}


# --- fingerprint ------------------------------------------------------------------


def identity_header(
    value: ImageValue,
    *,
    info: list[list[Any]] | None = None,
    palette: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What identifies a value besides its pixels: kind, mode or dtype, shape,
    palette and metadata (hashed with the pixels by ``fingerprint`` and by the
    keyed address, ``keys.Keys.address``).

    Parameters:
        value: a checked value.
        info: ``info_to_json(value.info)``, when the caller has it already.
        palette: ``palette_fields(value)``, when the caller has it already.
    """
    if isinstance(value, np.ndarray):
        return {
            "s": _SCHEMA,
            "k": "numpy",
            "dtype": value.dtype.str,
            "shape": value.shape,
        }
    header: dict[str, Any] = {
        "s": _SCHEMA,
        "k": "pil",
        "mode": value.mode,
        "size": value.size,
        "info": info_to_json(value.info) if info is None else info,
    }
    header.update(palette_fields(value) if palette is None else palette)
    return header


def palette_fields(im: PIL.Image.Image) -> dict[str, Any]:
    """The palette of a P/PA image as ``{"palette_mode", "palette"}`` (empty for
    other modes): part of a value's identity and of its exact file."""
    if im.mode not in ("P", "PA") or im.palette is None:
        return {}
    return {"palette_mode": im.palette.mode, "palette": im.getpalette(im.palette.mode)}


def fingerprint(value: ImageValue) -> str:
    """An unkeyed digest of a value for comparing values (tests, tools, the audit):
    xxh3-128 over ``identity_header`` followed by the raw pixel bytes. Never a store
    address: anyone can compute it and XXH3 does not resist crafted collisions
    (addresses are keyed, ``keys.Keys.address``).

    Parameters:
        value: a checked image value.
    Returns:
        32 lowercase hex digits; equal values give equal fingerprints.
    """
    h = xxhash.xxh3_128()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h.update(json.dumps(identity_header(value), sort_keys=True).encode())
    if isinstance(value, np.ndarray):
        h.update(np.ascontiguousarray(value).view(np.uint8).reshape(-1).data)
    else:
        h.update(value.tobytes())
    return h.hexdigest()


def values_equal(a: object, b: object) -> bool:
    """True when two values are identical: kind, mode/dtype, shape, pixels, palette and
    metadata (the definition of "bit-exact" used throughout the package)."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, PIL.Image.Image) and isinstance(b, PIL.Image.Image):
        return fingerprint(a) == fingerprint(b)
    return False


# --- numpy <-> PIL ----------------------------------------------------------------


def natural_mode(arr: PixelArray) -> str | None:
    """The PIL mode that holds ``arr`` exactly, or None if no mode can.

    uint8 H×W / H×W×1 -> L, H×W×2 -> LA, H×W×3 -> RGB, H×W×4 -> RGBA; bool H×W -> 1;
    uint16 H×W -> I;16; int32 H×W -> I; float32 H×W -> F.
    """
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    if arr.dtype == np.uint8:
        return {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    if channels != 1:
        return None
    return {"bool": "1", "uint16": "I;16", "int32": "I", "float32": "F"}.get(
        arr.dtype.name
    )


def preview_uint8(arr: PixelArray) -> PixelArray:
    """An 8-bit rendering of any supported array, for display only (not exact):
    bool -> 0/255, uint16 -> top 8 bits, other integers clipped to 0..255,
    floats clipped to 0..1 and scaled to 0..255."""
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if arr.dtype == np.uint16:
        return np.right_shift(arr, 8).astype(np.uint8)
    if arr.dtype.kind in "iu":
        return np.clip(arr, 0, 255).astype(np.uint8)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        return (np.clip(scaled, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def array_to_pil(arr: PixelArray, mode: str | None = None) -> PIL.Image.Image:
    """PIL image of an array: exact where ``natural_mode`` exists, else of the 8-bit
    ``preview_uint8`` rendering (what stock Gradio does to such arrays).

    Parameters:
        arr: a checked array.
        mode: its ``natural_mode``, when the caller knows it already.
    """
    mode = mode or natural_mode(arr)
    if mode is None:
        arr = preview_uint8(arr)
        mode = natural_mode(arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if mode == "1":
        return PIL.Image.fromarray(arr.astype(np.uint8) * 255).convert("1")
    if mode == "LA":
        return PIL.Image.frombytes("LA", (arr.shape[1], arr.shape[0]), arr.tobytes())
    return PIL.Image.fromarray(np.ascontiguousarray(arr))


def pil_to_array(im: PIL.Image.Image) -> PixelArray:
    """``np.array(im)`` as stock does, with mode "1" normalised to a clean bool array
    (Pillow's array view of mode "1" stores True as byte 255)."""
    arr = np.array(im)
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8) != 0
    return arr


def convert_mode(im: PIL.Image.Image, image_mode: str | None) -> PIL.Image.Image:
    """``im.convert(image_mode)`` as stock gr.Image does, skipped when the mode already
    matches (so the image stays exact)."""
    if image_mode is None or im.mode == image_mode:
        return im
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return im.convert(image_mode)


def to_pil(value: ImageValue, image_mode: str | None = None) -> PIL.Image.Image:
    """The value as a (new) PIL image, converted to ``image_mode`` like stock. An
    array deeper than 8 bits is first brought to an L/LA/RGB/RGBA layout by
    ``convert_layout`` (so a 16-bit grey array becomes the 8-bit preview of its RGB
    stack, not Pillow's clipped I;16 -> RGB)."""
    if isinstance(value, np.ndarray):
        value = convert_layout(value, image_mode)
        return convert_mode(array_to_pil(value), image_mode)
    return convert_mode(copy_value(value), image_mode)  # type: ignore[arg-type]


def to_numpy(value: ImageValue, image_mode: str | None = None) -> PixelArray:
    """The value as a (new) array: arrays keep dtype and shape when their layout
    matches ``image_mode``, and keep their dtype for L/LA/RGB/RGBA layouts
    (``convert_layout``); PIL images become ``np.array(im.convert(image_mode))``."""
    if isinstance(value, np.ndarray):
        if layout_matches(value, image_mode):
            return np.array(value, copy=True)
        converted = convert_layout(value, image_mode)
        if converted is not value:
            return converted
        return pil_to_array(convert_mode(array_to_pil(value), image_mode))
    return pil_to_array(convert_mode(value, image_mode))
