"""Read any image file, recovering the exact value from files gradio-lossless wrote."""

from __future__ import annotations

from pathlib import Path

from gradio_lossless._types import ImageValue
from gradio_lossless.codecs import container

__all__ = ["read"]


def read(path: str | Path) -> ImageValue:
    """Read an image file exactly.

    For an exact PNG served by gradio-lossless this is the value the function
    returned (PIL image with mode and metadata, or numpy array with dtype and shape),
    even where the PNG's visible pixels are an 8-bit preview (float, int32, 16-bit
    colour). Any other file is decoded by Pillow.

    Parameters:
        path: the file to read.
    Returns:
        a PIL image or a numpy array.
    Raises:
        CorruptImageError: truncated, corrupt or non-image data.
    """
    return container.decode(Path(path).read_bytes()).value
