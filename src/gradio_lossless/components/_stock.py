"""Stock's contract: the value stock ``gr.Image(format="png")`` / ``gr.Gallery(format=
"png")`` would hand the next function, computed without its lossy step.

Stock saves what a function returns as a PNG and opens that PNG at the next hop:

* an array goes through ``PIL.Image.fromarray(processing_utils._convert(arr,
  np.uint8))``: uint16 and wider integers are scaled down to 8 bits, floats in
  [-1, 1] become ``rint(x * 255)`` (negatives clipped to 0); floats outside
  [-1, 1] and H×W×1 arrays are refused. Bool arrays are the one extension: stock's
  ``_convert`` fails on them (a KeyError in Gradio 6.31) where its code means
  0/255, so here they become 0/255;
* a PIL image keeps its pixels when PNG holds its mode (1, L, LA, P, RGB, RGBA,
  I;16); Pillow's PNG writer changes a few (I clipped to I;16, a P image's RGBA
  palette rewritten as tRNS); modes PNG cannot hold (F, CMYK, YCbCr, LAB, HSV, ...)
  are refused.

``stock_value`` computes that value: for the common case (a uint8 array, a PIL image
in a mode PNG holds) it is the value itself, no copy; otherwise it runs Gradio's own
``_convert`` or Pillow's own PNG writer and reader, so it follows the installed
versions. The value's ``info`` metadata (text, EXIF, ICC, DPI) is kept on top.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import PIL.Image

from gradio_lossless.core import conversions
from gradio_lossless.core.errors import UnsupportedImageError
from gradio_lossless.core.types import ImageValue, PixelArray

__all__ = [
    "KEEP_DTYPE_DOC",
    "OPT_IN",
    "deliver_array",
    "is_stock_value",
    "stock_value",
    "stock_view",
]

OPT_IN = "keep_dtype=True"
KEEP_DTYPE_DOC = (
    "If False (the default), the next function receives exactly what stock Gradio "
    'with format="png" hands it (arrays as uint8, values 0 to 255; stock\'s PIL '
    "modes), never a lossy copy, with the metadata (text, EXIF, ICC, DPI) kept. If "
    "True, values keep their exact dtype, shape and values (float, 16-bit, int32 and "
    "int64 arrays; PIL modes F, I, CMYK...), and 16-bit PNG and TIFF and float TIFF "
    "uploads arrive at full depth as uint16 or float32 arrays (a 16-bit colour PNG "
    "needs `pip install 'gradio-lossless[keep-dtype]'`)."
)
# modes whose pixels survive Pillow's PNG writer and reader unchanged
_KEPT_MODES = {"1", "L", "LA", "RGB", "RGBA", "I;16"}


def _refused(value: ImageValue, why: str) -> UnsupportedImageError:
    return UnsupportedImageError(
        f"cannot use {conversions.describe(value)} as an image: {why} (stock Gradio "
        f"refuses it too); pass {OPT_IN} to the component to keep it exactly"
    )


def _natural_uint8(arr: PixelArray) -> bool:
    return arr.dtype == np.uint8 and (
        arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (2, 3, 4))
    )


def _stock_array(arr: PixelArray) -> PixelArray:
    from gradio.processing_utils import _convert

    if arr.ndim == 3 and arr.shape[2] == 1:
        raise _refused(arr, "an H×W×1 array is no PIL image")
    if arr.dtype == np.bool_:  # what _convert means for bool, and fails to do
        out_bool: PixelArray = arr.astype(np.uint8) * np.uint8(255)
        return out_bool
    try:
        with np.errstate(all="ignore"):
            out: PixelArray = _convert(arr, np.uint8, force_copy=False)  # type: ignore[no-untyped-call]
    except ValueError:
        raise _refused(arr, "float values must lie in [-1, 1]") from None
    return out


def _palette_kept(im: PIL.Image.Image) -> bool:
    """True when Pillow's PNG writer and reader keep a P image as it is: an RGB
    palette that covers every index used, and no transparency or one index of it
    (bytes are rewritten, an index past the palette is dropped)."""
    if im.palette is None or im.palette.mode != "RGB":
        return False
    colors = len(im.getpalette() or []) // 3
    transparency = im.info.get("transparency")
    if transparency is not None and not (
        type(transparency) is int and 0 <= transparency < colors
    ):
        return False
    highest = im.getextrema()[1]
    return isinstance(highest, int) and highest < max(colors, 1)


def _through_png(im: PIL.Image.Image) -> PIL.Image.Image:
    """What Pillow's PNG writer and reader make of ``im`` (pixels, mode, palette,
    transparency), with ``im``'s other metadata kept."""
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow: saving mode I is deprecated
            im.save(buf, "PNG", compress_level=1)
    except (OSError, KeyError, ValueError):
        raise _refused(im, f"PNG cannot hold mode {im.mode!r}") from None
    out = PIL.Image.open(io.BytesIO(buf.getvalue()))
    out.load()
    info: dict[Any, Any] = dict(im.info)
    info.pop("transparency", None)
    info.update(out.info)
    out.info = info
    return out


def is_stock_value(value: ImageValue) -> bool:
    """True when ``value`` is already what stock's PNG would give back."""
    if isinstance(value, np.ndarray):
        return _natural_uint8(value)
    if value.mode == "P":
        return _palette_kept(value)
    return value.mode in _KEPT_MODES


def stock_value(value: ImageValue) -> ImageValue:
    """The value stock's PNG round trip gives back (see the module docstring):
    ``value`` itself when nothing changes, else a new value.

    Raises:
        UnsupportedImageError: for a value stock refuses, naming it and the opt-in.
    """
    if is_stock_value(value):
        return value
    if isinstance(value, np.ndarray):
        return _stock_array(value)
    return _through_png(value)


def stock_view(value: ImageValue) -> ImageValue:
    """A stored value as a stock component would hand it on: ``stock_value``, or,
    for a value stock refuses (stored by a ``keep_dtype`` component), the 8-bit
    image its exact PNG shows, which is what stock reads from that file."""
    try:
        return stock_value(value)
    except UnsupportedImageError:
        from gradio_lossless.codecs.container import display_image
        from gradio_lossless.core.described import describe

        return display_image(describe(value))


def deliver_array(im: PIL.Image.Image) -> PixelArray:
    """``np.array(im)``, exactly as stock hands a PIL image to a numpy function."""
    return np.array(im)
