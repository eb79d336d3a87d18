"""Codecs: the exact PNG container (``container``, ``reader``), and the display
formats a component may serve (``display``).

The display table follows imageio's registry-as-data: one frozen ``CodecSpec`` per
format, checked lazily; a format whose Pillow plugin is missing is reported as
unavailable with its install hint, never as a crash.
"""

from __future__ import annotations

from dataclasses import dataclass

import PIL.features

__all__ = ["CODECS", "CodecSpec", "available", "spec"]


@dataclass(frozen=True)
class CodecSpec:
    """One display format.

    Parameters:
        name: lowercase format key ("png", "webp", ...).
        pillow_format: the Pillow format name used to write it.
        lossless: True when Pillow's default save keeps 8-bit pixels exact.
        feature: the ``PIL.features`` name that must be present, or None.
        install_hint: what to install when it is missing.
        extension: the file extension served.
    """

    name: str
    pillow_format: str
    lossless: bool
    feature: str | None
    install_hint: str
    extension: str


CODECS: dict[str, CodecSpec] = {
    c.name: c
    for c in (
        CodecSpec("png", "PNG", True, "zlib", "pip install pillow", "png"),
        CodecSpec("webp", "WEBP", False, "webp", "pip install pillow", "webp"),
        CodecSpec("jpeg", "JPEG", False, "jpg", "pip install pillow", "jpeg"),
        CodecSpec("avif", "AVIF", False, "avif", "pip install 'pillow>=11.3'", "avif"),
        CodecSpec("gif", "GIF", False, None, "pip install pillow", "gif"),
        CodecSpec("bmp", "BMP", True, None, "pip install pillow", "bmp"),
        CodecSpec("tiff", "TIFF", True, None, "pip install pillow", "tiff"),
    )
}
_ALIASES = {"jpg": "jpeg", "tif": "tiff"}


def spec(name: str) -> CodecSpec:
    """The spec of a display format (case-insensitive; "jpg" and "tif" accepted).

    Raises:
        ValueError: naming the format and the known ones.
    """
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in CODECS:
        raise ValueError(
            f"unknown image format {name!r}; expected one of {', '.join(CODECS)}"
        )
    return CODECS[key]


def available(name: str) -> bool:
    """True when the format's Pillow plugin is present."""
    s = spec(name)
    return s.feature is None or bool(PIL.features.check(s.feature))
