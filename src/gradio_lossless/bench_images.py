"""Deterministic photo-like test images for ``gradio-lossless bench``.

Images are made from scikit-image's bundled samples (``astronaut``, 512x512, and
``chelsea``, 451x300), center-cropped to the requested aspect ratio, resized with
Pillow's bicubic filter and given a little Gaussian noise so that codecs see
sensor-like texture instead of the flat gradients of an upscale. Nothing is
downloaded, and the same arguments always give the same pixels.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import PIL.Image

__all__ = ["NOISE_SIGMA", "Size", "format_size", "parse_size", "photo"]

Size = tuple[int, int]
"""(width, height) in pixels, the order Pillow and the command line use."""

NOISE_SIGMA = 2.0
"""Standard deviation of the added noise, in 8-bit levels."""

_SIZE_RE = re.compile(r"^\s*(\d+)\s*[xX\u00d7]\s*(\d+)\s*$")
_MAX_SIDE = 16384


def parse_size(text: str) -> Size:
    """Parse ``"WIDTHxHEIGHT"`` (for example ``"3840x2160"``).

    Parameters:
        text: the size as typed on the command line.
    Returns:
        (width, height) in pixels.
    Raises:
        ValueError: the text is not two positive integers joined by ``x``, or a side
            exceeds 16384 pixels.
    """
    match = _SIZE_RE.match(text)
    if match is None:
        raise ValueError(
            f"invalid size {text!r}; expected WIDTHxHEIGHT, e.g. 1920x1080"
        )
    width, height = int(match.group(1)), int(match.group(2))
    if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
        raise ValueError(
            f"invalid size {text!r}; each side must be between 1 and {_MAX_SIDE}"
        )
    return width, height


def format_size(size: Size) -> str:
    """Return ``"WIDTHxHEIGHT"``, the inverse of :func:`parse_size`."""
    return f"{size[0]}x{size[1]}"


def _source(name: str) -> PIL.Image.Image:
    import skimage.data  # imported lazily: scikit-image is slow to import

    loader: dict[str, Callable[[], npt.NDArray[np.uint8]]] = {
        "astronaut": skimage.data.astronaut,
        "chelsea": skimage.data.chelsea,
    }
    return PIL.Image.fromarray(loader[name]())


def _center_crop(img: PIL.Image.Image, aspect: float) -> PIL.Image.Image:
    width, height = img.size
    if width / height > aspect:
        new_width = round(height * aspect)
        left = (width - new_width) // 2
        return img.crop((left, 0, left + new_width, height))
    new_height = round(width / aspect)
    top = (height - new_height) // 2
    return img.crop((0, top, width, top + new_height))


def photo(size: Size, *, variant: int = 0) -> npt.NDArray[np.uint8]:
    """Make a deterministic photo-like RGB image.

    Parameters:
        size: (width, height) in pixels.
        variant: which image to make; distinct variants give distinct pixels. Even
            variants start from ``astronaut``, odd ones from ``chelsea``; variants
            2 and 3 (mod 4) are mirrored; every variant has its own noise seed.
    Returns:
        An ``(height, width, 3)`` uint8 array.
    """
    width, height = size
    img = _source("astronaut" if variant % 2 == 0 else "chelsea")
    img = _center_crop(img, width / height)
    img = img.resize((width, height), PIL.Image.Resampling.BICUBIC)
    if (variant // 2) % 2 == 1:
        img = img.transpose(PIL.Image.Transpose.FLIP_LEFT_RIGHT)
    rng = np.random.default_rng(variant)
    noise = rng.standard_normal((height, width, 3), dtype=np.float32)
    noise *= NOISE_SIGMA
    noise += np.asarray(img, dtype=np.float32)
    np.rint(noise, out=noise)
    np.clip(noise, 0, 255, out=noise)
    return noise.astype(np.uint8)
