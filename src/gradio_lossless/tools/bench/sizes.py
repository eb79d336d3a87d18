"""Image sizes and content kinds as the bench's command line writes them (light to
import: ``gradio-lossless bench --help`` needs them)."""

from __future__ import annotations

import re
from typing import Literal, TypeAlias

__all__ = ["CONTENT_KINDS", "ContentKind", "Size", "format_size", "parse_size"]

Size = tuple[int, int]
"""(width, height) in pixels, the order Pillow and the command line use."""

ContentKind: TypeAlias = Literal["resized", "tiled"]
CONTENT_KINDS: tuple[ContentKind, ...] = ("resized", "tiled")
"""Every kind of content :func:`photo` makes, in the order the bench reports them."""

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
