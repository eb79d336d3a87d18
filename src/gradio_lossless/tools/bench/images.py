"""Deterministic photo-like test images for ``gradio-lossless bench``.

Two kinds of content, both from photos bundled with scikit-image (nothing is
downloaded) and both given a little Gaussian noise (sigma 2 levels) so that codecs
see sensor-like texture:

* ``resized``: ``astronaut`` (512x512) or ``chelsea`` (451x300), center-cropped
  to the requested aspect ratio and resized with Pillow's bicubic filter. At
  large sizes this is an upscale, whose smooth gradients compress well.
* ``tiled``: six bundled photos (``astronaut``, ``chelsea``, ``coffee``,
  ``rocket``, and the greyscale ``camera`` and ``coins`` as RGB) at their native
  scale, laid side by side in strips 300 pixels high to fill the requested size.
  Nothing is scaled, so every pixel keeps a real photo's detail; this is the
  harder content for a lossless codec.

The same arguments always give the same pixels.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import PIL.Image

from gradio_lossless.tools.bench.sizes import (
    CONTENT_KINDS,
    ContentKind,
    Size,
    format_size,
    parse_size,
)

__all__ = [
    "CONTENT_KINDS",
    "NOISE_SIGMA",
    "ContentKind",
    "Size",
    "format_size",
    "parse_size",
    "photo",
]

NOISE_SIGMA = 2.0
"""Standard deviation of the added noise, in 8-bit levels."""

# The photos the tiled kind is made of, all bundled with scikit-image.
_TILE_SOURCES = ("astronaut", "chelsea", "coffee", "rocket", "camera", "coins")
_STRIP_HEIGHT = 300  # the shortest source (chelsea) is 300 pixels high


@functools.cache
def _source_array(name: str) -> npt.NDArray[np.uint8]:
    """A bundled photo as a read-only (height, width, 3) uint8 array."""
    import skimage.data  # imported lazily: scikit-image is slow to import

    loader: dict[str, Callable[[], npt.NDArray[np.uint8]]] = {
        "astronaut": skimage.data.astronaut,
        "chelsea": skimage.data.chelsea,
        "coffee": skimage.data.coffee,
        "rocket": skimage.data.rocket,
        "camera": skimage.data.camera,
        "coins": skimage.data.coins,
    }
    array = np.asarray(loader[name](), dtype=np.uint8)
    if array.ndim == 2:  # greyscale: the same value in all three channels
        array = np.repeat(array[:, :, np.newaxis], 3, axis=2)
    array = np.ascontiguousarray(array[:, :, :3])
    array.flags.writeable = False
    return array


def _source(name: str) -> PIL.Image.Image:
    return PIL.Image.fromarray(_source_array(name))


def _center_crop(img: PIL.Image.Image, aspect: float) -> PIL.Image.Image:
    width, height = img.size
    if width / height > aspect:
        new_width = round(height * aspect)
        left = (width - new_width) // 2
        return img.crop((left, 0, left + new_width, height))
    new_height = round(width / aspect)
    top = (height - new_height) // 2
    return img.crop((0, top, width, top + new_height))


def _resized(size: Size, variant: int) -> npt.NDArray[np.uint8]:
    width, height = size
    img = _source("astronaut" if variant % 2 == 0 else "chelsea")
    img = _center_crop(img, width / height)
    img = img.resize((width, height), PIL.Image.Resampling.BICUBIC)
    if (variant // 2) % 2 == 1:
        img = img.transpose(PIL.Image.Transpose.FLIP_LEFT_RIGHT)
    return np.asarray(img)


def _tiled(size: Size, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """Fill ``size`` with strips of native-scale photos; ``rng`` picks the layout.

    Every strip takes the sources in a shuffled order, each cut to the strip's
    height at a random row and mirrored left-right at random, and starts at a
    random offset into its first photo, so seams fall in different places.
    """
    width, height = size
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    for top in range(0, height, _STRIP_HEIGHT):
        rows = min(_STRIP_HEIGHT, height - top)
        x = -int(rng.integers(0, 256))  # where the strip's first photo starts
        while x < width:
            for index in rng.permutation(len(_TILE_SOURCES)):
                tile = _source_array(_TILE_SOURCES[index])
                row = int(rng.integers(0, tile.shape[0] - _STRIP_HEIGHT + 1))
                tile = tile[row : row + rows]
                if rng.integers(0, 2):
                    tile = tile[:, ::-1]
                left, right = max(x, 0), min(x + tile.shape[1], width)
                if right > left:
                    canvas[top : top + rows, left:right] = tile[:, left - x : right - x]
                x += tile.shape[1]
                if x >= width:
                    break
    return canvas


def photo(
    size: Size, *, variant: int = 0, kind: ContentKind = "resized"
) -> npt.NDArray[np.uint8]:
    """Make a deterministic photo-like RGB image.

    Parameters:
        size: (width, height) in pixels.
        variant: which image to make; distinct variants give distinct pixels.
            ``resized``: even variants start from ``astronaut``, odd ones from
            ``chelsea``, and variants 2 and 3 (mod 4) are mirrored. ``tiled``: the
            variant (with the size) seeds the tile order, crops, offsets and
            mirroring. Every variant has its own noise.
        kind: ``"resized"`` (an upscaled photo) or ``"tiled"`` (photos at their
            native scale, side by side); see the module docstring.
    Returns:
        An ``(height, width, 3)`` uint8 array.
    Raises:
        ValueError: ``kind`` is not one of CONTENT_KINDS.
    """
    width, height = size
    if kind == "resized":
        rng = np.random.default_rng(variant)
        base = _resized(size, variant)
    elif kind == "tiled":
        rng = np.random.default_rng([variant, width, height, 1])
        base = _tiled(size, rng)
    else:
        raise ValueError(f"unknown content kind {kind!r}; expected {CONTENT_KINDS}")
    noise = rng.standard_normal((height, width, 3), dtype=np.float32)
    noise *= NOISE_SIGMA
    noise += base
    np.rint(noise, out=noise)
    np.clip(noise, 0, 255, out=noise)
    return noise.astype(np.uint8)
