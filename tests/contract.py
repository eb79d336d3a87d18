"""Values and comparisons for the stock-contract tests (issue 13): what a function
returns, and whether two components handed the next function the same thing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
from gradio.data_classes import ImageData
from hypothesis import strategies as st

DTYPES = (
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
# float ranges: [0, 1] (the usual), [-1, 1] (stock clips negatives), beyond
# (stock refuses); integer ranges: the full dtype, and 0..255 (stock keeps those)
RANGES = ("unit", "signed", "wide")
PIL_MODES = (
    "1",
    "L",
    "LA",
    "P",
    "P/RGBA",
    "RGB",
    "RGBA",
    "I;16",
    "I;16B",
    "I",
    "F",
    "CMYK",
    "YCbCr",
    "RGBX",
    "PA",
)
# stock's image_mode literals (plus None and LA, which Pillow also converts to)
IMAGE_MODES = (None, "RGB", "L", "RGBA", "1", "P", "LA", "I", "F", "CMYK", "YCbCr")
TYPES = ("numpy", "pil", "filepath")
# image_mode conversions a PNG holds exactly, and those it cannot (a converted
# filepath upload in one of these is a TIFF: stock clips I and refuses the rest)
PNG_MODES = (None, "RGB", "L", "RGBA", "1", "P", "LA")
TIFF_MODES = ("I", "F", "CMYK", "YCbCr")


def make_array(dtype: str, shape: tuple[int, ...], span: str, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith("float"):
        low, high = {"unit": (0, 1), "signed": (-1, 1), "wide": (-300, 300)}[span]
        arr = rng.uniform(low, high, shape)
        if span == "unit" and arr.size > 1:
            arr.flat[0], arr.flat[-1] = 0.0, 1.0  # the ends of the range
        return arr.astype(dtype)
    info = np.iinfo(dtype)
    if span == "unit":
        return rng.integers(
            0, min(255, int(info.max)), shape, dtype=dtype, endpoint=True
        )
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


@st.composite
def arrays(draw: st.DrawFn) -> Any:
    dtype = draw(st.sampled_from(DTYPES))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    channels = draw(st.sampled_from([None, 1, 2, 3, 4]))
    shape = (h, w) if channels is None else (h, w, channels)
    span = draw(st.sampled_from(RANGES))
    return make_array(dtype, shape, span, draw(st.integers(0, 2**32 - 1)))


def make_pil(kind: str, size: tuple[int, int], seed: int) -> PIL.Image.Image:
    rng = np.random.default_rng(seed)
    mode = kind.split("/")[0]
    probe = PIL.Image.new(mode, (1, 1))
    nbytes = len(probe.tobytes()) * size[0] * size[1]
    im = PIL.Image.frombytes(mode, size, rng.bytes(nbytes))
    if mode in ("P", "PA"):
        colors = int(rng.integers(1, 257))
        if kind == "P/RGBA":
            im.putpalette(list(rng.integers(0, 256, 4 * colors)), "RGBA")
        else:
            im.putpalette(list(rng.integers(0, 256, 3 * colors)))
    if kind == "P" and rng.random() < 0.5:
        im.info["transparency"] = int(rng.integers(0, 256))
    if mode in ("L", "RGB") and rng.random() < 0.3:
        pixel = im.getpixel((0, 0))
        im.info["transparency"] = pixel
    im.info["parameters"] = f"seed {seed}"
    im.info["dpi"] = (300.0, 299.5)
    return im


@st.composite
def pil_images(draw: st.DrawFn) -> PIL.Image.Image:
    kind = draw(st.sampled_from(PIL_MODES))
    size = (draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    return make_pil(kind, size, draw(st.integers(0, 2**32 - 1)))


def values() -> st.SearchStrategy[Any]:
    return st.one_of(arrays(), pil_images())


def as_stock_means(value: Any) -> Any:
    """The value to hand stock as the oracle: ``value`` itself, except a bool
    array, on which stock's converter fails (a KeyError) where its code means
    0/255, which is what ours does with it."""
    if isinstance(value, np.ndarray) and value.dtype == np.bool_:
        return value.astype(np.uint8) * np.uint8(255)
    return value


def payload(data: ImageData) -> ImageData:
    """What the browser (or an API client) sends back for a served image."""
    return ImageData(path=data.path, orig_name=data.orig_name)


def assert_same(ours: Any, stock: Any, *, where: str) -> None:
    """``ours`` is what stock handed over: same type, dtype, shape, mode, pixels
    (palette too); PIL metadata may only be richer (kept on top)."""
    if isinstance(stock, PIL.Image.Image):  # stock's may be a PngImageFile
        assert isinstance(ours, PIL.Image.Image), (where, type(ours))
    else:
        assert type(ours) is type(stock), (where, type(ours), type(stock))
    if isinstance(stock, np.ndarray):
        assert (ours.dtype, ours.shape) == (stock.dtype, stock.shape), where
        assert ours.tobytes() == stock.tobytes(), where
    elif isinstance(stock, PIL.Image.Image):
        assert (ours.mode, ours.size) == (stock.mode, stock.size), where
        assert ours.tobytes() == stock.tobytes(), where
        assert ours.getpalette() == stock.getpalette(), where
        for key, value in stock.info.items():
            assert ours.info.get(key) == value, (where, key)
    else:
        assert isinstance(stock, str), where
        assert Path(ours).name == Path(stock).name, where
        with PIL.Image.open(ours) as a, PIL.Image.open(stock) as b:
            assert_same(a.copy(), b.copy(), where=where + " (file)")
