"""What an app served: the file's format, whether that format kept the pixels it was
given, whether it is an exact file written by gradio-lossless, and the value this
client reads from it.

This is what the audit can see of an endpoint that is not an identity: it cannot
compute the function itself, but it can see how each output travelled.
"""

from __future__ import annotations

import contextlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image

from gradio_lossless.codecs import CODECS
from gradio_lossless.codecs.container import META_CHUNK, PNG_SIGNATURE, read_chunks
from gradio_lossless.core.errors import CorruptImageError
from gradio_lossless.core.keys import MAC_BYTES
from gradio_lossless.tools.audit.fidelity import Array, to_array

__all__ = ["Served", "read_served"]

_TOKEN_PREFIX = "gradio-lossless-v2 "
_IMAGE_DESCRIPTION = 0x010E
_LOSSY_TIFF = ("jpeg", "webp")


@dataclass(frozen=True)
class Served:
    """One served file, as this client sees it.

    Parameters:
        format: the file's format as Pillow names it ("PNG", "WEBP", "JPEG", ...).
        nbytes: the file's size in bytes.
        lossless: True when the format keeps the pixels it was given (PNG, BMP,
            lossless WebP, TIFF without JPEG/WebP compression); False for JPEG,
            lossy WebP, AVIF, GIF (a 256-colour palette) and formats not known here.
        codec: how the format was judged, e.g. "WebP (VP8, lossy)".
        exact_file: "verified" for an exact PNG written by gradio-lossless whose MAC
            verified under this machine's keys (its value is read exactly),
            "unverified" for one written under another secret (this client reads
            its PNG pixels), "" for any other file.
        declared: an unverified exact PNG's own description of its value, e.g.
            "float64 512×512×3" (not trusted: only reported).
        preview: True when this client reads an 8-bit preview instead of the value
            (an unverified exact PNG whose value is stored beside its pixels).
        token: True for a display file that names its value with a gradio-lossless
            token (the server that wrote it keeps the exact value; the client reads
            the display pixels).
        dtype: the dtype of the array this client reads from the file.
        shape: its shape.
    """

    format: str
    nbytes: int
    lossless: bool
    codec: str
    exact_file: str
    declared: str
    preview: bool
    token: bool
    dtype: str
    shape: tuple[int, ...]

    def describe(self) -> str:
        """One short line, e.g. "PNG 1.2 MB, exact (gradio-lossless)"."""
        size = _size(self.nbytes)
        if self.exact_file == "verified":
            return f"PNG {size}, exact (gradio-lossless)"
        if self.exact_file == "unverified":
            read = "8-bit preview read" if self.preview else "pixels read"
            return (
                f"PNG {size}, exact (gradio-lossless, {self.declared}; another "
                f"secret: {read})"
            )
        token = ", value kept by the server (token)" if self.token else ""
        return f"{self.codec} {size}{token}"


def _size(nbytes: int) -> str:
    if nbytes < 1000:
        return f"{nbytes} B"
    if nbytes < 1_000_000:
        return f"{nbytes / 1000:.1f} kB"
    return f"{nbytes / 1_000_000:.1f} MB"


def _webp_codec(data: bytes) -> tuple[bool, str]:
    """Lossless (VP8L) or lossy (VP8) WebP, from the RIFF chunks."""
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        if kind == b"VP8L":
            return True, "WebP (VP8L, lossless)"
        if kind in (b"VP8 ", b"ANMF"):
            return False, "WebP (VP8, lossy)" if kind == b"VP8 " else "WebP (animated)"
        pos += 8 + length + (length & 1)
    return False, "WebP (no image chunk found)"


def _codec(im: PIL.Image.Image, data: bytes) -> tuple[bool, str]:
    fmt = str(im.format)
    if fmt == "WEBP":
        return _webp_codec(data)
    if fmt == "TIFF":
        compression = str(im.info.get("compression", "raw"))
        lossy = any(name in compression for name in _LOSSY_TIFF)
        return not lossy, f"TIFF ({compression})"
    if fmt == "GIF":
        return False, "GIF (256-colour palette)"
    known = {c.pillow_format: c for c in CODECS.values()}
    if fmt in known:
        codec = known[fmt]
        return codec.lossless, fmt if codec.lossless else f"{fmt} (lossy)"
    return False, f"{fmt} (not known to be lossless)"


def _exact_header(data: bytes) -> dict[str, Any] | None:
    """An exact PNG's glMD header, read without verifying its MAC (for reporting
    only), or None when the file has none."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    try:
        chunks = read_chunks(data)
    except CorruptImageError:
        return None
    meta = [(start, n) for kind, start, n in chunks if kind == META_CHUNK]
    if len(meta) != 1:
        return None
    start, length = meta[0]
    try:
        header = json.loads(data[start + MAC_BYTES : start + length])
    except (ValueError, RecursionError):
        return None
    return header if isinstance(header, dict) else None


def _declared(header: dict[str, Any]) -> str:
    try:
        if header.get("kind") == "numpy":
            shape = "×".join(str(int(n)) for n in header["shape"])
            return f"{np.dtype(header['dtype']).name} {shape}"
        width, height = (int(n) for n in header["size"])
        return f"{header['mode']} {width}×{height}"
    except (KeyError, TypeError, ValueError):
        return "an undescribed value"


def _has_token(im: PIL.Image.Image) -> bool:
    """A gradio-lossless display token in the file's metadata (not verified)."""
    found: list[object] = [im.info.get("comment")]
    with contextlib.suppress(Exception):  # a malformed EXIF carries no token
        found.append(im.getexif().get(_IMAGE_DESCRIPTION))
    for text in found:
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")
        if isinstance(text, str) and text.startswith(_TOKEN_PREFIX):
            return True
    return False


def read_served(path: str | Path) -> tuple[Served, Array]:
    """Read a file an app served: what it is, and the array this client reads from
    it (exactly, for an exact PNG this machine's keys verify; see
    ``gradio_lossless.io``).

    Raises:
        CorruptImageError: the file is not an image this client can read.
        LimitError: its metadata or decoded size is over a cap.
    """
    from gradio_lossless.codecs import reader
    from gradio_lossless.io import machine_keys

    data = Path(path).read_bytes()
    decoded = reader.decode(data, machine_keys())
    value = to_array(decoded.value)
    read = (str(value.dtype), tuple(int(n) for n in value.shape))
    size = len(data)
    if decoded.exact:
        served = Served("PNG", size, True, "PNG", "verified", "", False, False, *read)
    elif (header := _exact_header(data)) is not None:
        preview = header.get("pixels") == "raw"
        declared = _declared(header)
        served = Served(
            "PNG", size, True, "PNG", "unverified", declared, preview, False, *read
        )
    else:
        im = decoded.value
        assert isinstance(im, PIL.Image.Image)  # noqa: S101 - a plain file decodes so
        lossless, codec = _codec(im, data)
        token = _has_token(im)
        served = Served(
            str(im.format), size, lossless, codec, "", "", False, token, *read
        )
    return served, value
