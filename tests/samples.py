"""Deterministic test images: scikit-image's bundled photos (no download) and
generated values for every mode and dtype we promise to carry exactly."""

from __future__ import annotations

import numpy as np
import PIL.Image


def photo(height: int, width: int) -> np.ndarray:
    """A photo-like uint8 RGB array (astronaut, resized) of the given size."""
    from skimage import data

    im = PIL.Image.fromarray(data.astronaut()).resize(
        (width, height), PIL.Image.BICUBIC
    )
    return np.asarray(im).copy()


def pil_values(height: int = 24, width: int = 32) -> dict[str, PIL.Image.Image]:
    """One PIL image per promised mode, with metadata on each."""
    rng = np.random.default_rng(7)
    rgb = PIL.Image.fromarray(photo(height, width))
    out = {
        "1": rgb.convert("1"),
        "L": rgb.convert("L"),
        "LA": rgb.convert("LA"),
        "P": rgb.convert("P", palette=PIL.Image.Palette.ADAPTIVE, colors=40),
        "RGB": rgb.copy(),
        "RGBA": rgb.convert("RGBA"),
        "I;16": PIL.Image.fromarray(
            rng.integers(0, 65536, (height, width), dtype=np.uint16)
        ),
        "I": PIL.Image.fromarray(
            rng.integers(-(2**31), 2**31 - 1, (height, width), dtype=np.int32)
        ),
        "F": PIL.Image.fromarray(
            rng.normal(0.5, 0.3, (height, width)).astype(np.float32)
        ),
    }
    out["P"].info["transparency"] = 3
    rgba = out["RGBA"]
    a = np.asarray(rgba).copy()
    a[..., 3] = rng.integers(0, 256, (height, width), dtype=np.uint8)
    out["RGBA"] = PIL.Image.fromarray(a)
    for mode, im in out.items():
        im.info["parameters"] = f"steps: 30, sampler: Euler a, mode {mode}"
        im.info["Software"] = "gradio-lossless tests ✓"
        im.info["dpi"] = (300.0, 299.5)
    return out


def array_values(height: int = 24, width: int = 32) -> dict[str, np.ndarray]:
    """One array per promised dtype × shape."""
    rng = np.random.default_rng(11)
    out: dict[str, np.ndarray] = {}
    for dtype in ("uint8", "uint16", "float32", "bool"):
        for shape in (
            (height, width),
            (height, width, 1),
            (height, width, 3),
            (height, width, 4),
        ):
            if dtype == "bool":
                arr = rng.random(shape) > 0.5
            elif dtype == "float32":
                arr = rng.normal(0.5, 0.4, shape).astype(np.float32)
            else:
                arr = rng.integers(0, np.iinfo(dtype).max + 1, shape, dtype=dtype)
            out[f"{dtype}{list(shape)}"] = arr
    return out
