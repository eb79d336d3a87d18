"""Caps on what one client file may cost: its metadata and its decoded pixels.

Every size is read from the file's headers and checked before memory is allocated
for it, the way Pillow checks ``MAX_IMAGE_PIXELS`` and ``MAX_TEXT_CHUNK``. PNG's
compressed chunks (zTXt, iTXt, iCCP) are inflated at most to the remaining room, so
a 67 KB file cannot make the server hold 63 MB of text.

| setting                              | default | what it caps, per image           |
|--------------------------------------|---------|-----------------------------------|
| ``GRADIO_LOSSLESS_MAX_TEXT_BYTES``   | 1 MiB   | text chunks and comments together |
| ``GRADIO_LOSSLESS_MAX_EXIF_BYTES``   | 1 MiB   | EXIF                              |
| ``GRADIO_LOSSLESS_MAX_ICC_BYTES``    | 4 MiB   | ICC profiles                      |
| ``GRADIO_LOSSLESS_MAX_XMP_BYTES``    | 1 MiB   | XMP                               |
| ``GRADIO_LOSSLESS_MAX_DECODED_BYTES``| 512 MiB | decoded pixels                    |

Pillow's own limits apply as well (``MAX_IMAGE_PIXELS``: a decompression bomb is
refused; ``MAX_TEXT_CHUNK``).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gradio_lossless.core.errors import LimitError
from gradio_lossless.core.settings import env_bytes

__all__ = ["Limits", "check_decoded", "check_info", "check_png_chunks", "limits"]

_XMP_KEYS = ("xmp", "XML:com.adobe.xmp")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Limits:
    """The caps in force (bytes)."""

    text: int
    exif: int
    icc: int
    xmp: int
    decoded: int


def limits() -> Limits:
    """The caps, read from the environment (see the module docstring)."""
    return Limits(
        text=env_bytes("GRADIO_LOSSLESS_MAX_TEXT_BYTES", 1 << 20),
        exif=env_bytes("GRADIO_LOSSLESS_MAX_EXIF_BYTES", 1 << 20),
        icc=env_bytes("GRADIO_LOSSLESS_MAX_ICC_BYTES", 4 << 20),
        xmp=env_bytes("GRADIO_LOSSLESS_MAX_XMP_BYTES", 1 << 20),
        decoded=env_bytes("GRADIO_LOSSLESS_MAX_DECODED_BYTES", 512 << 20),
    )


_KINDS = {
    "text": ("text metadata", "GRADIO_LOSSLESS_MAX_TEXT_BYTES"),
    "exif": ("EXIF", "GRADIO_LOSSLESS_MAX_EXIF_BYTES"),
    "icc": ("ICC profile", "GRADIO_LOSSLESS_MAX_ICC_BYTES"),
    "xmp": ("XMP", "GRADIO_LOSSLESS_MAX_XMP_BYTES"),
}


def _over(kind: str, size: int | None, limit: int, where: str) -> LimitError:
    what, env = _KINDS[kind]
    shown = f"more than {limit}" if size is None else str(size)
    return LimitError(
        f"{what} of {shown} bytes ({where}) is over the limit of {limit} bytes ({env})"
    )


def check_decoded(what: str, nbytes: int) -> None:
    """Raise LimitError when an image (``what``: "W×H MODE" or "H×W×C dtype")
    would decode to more than the cap."""
    cap = limits().decoded
    if nbytes > cap:
        raise LimitError(
            f"{what} decodes to {nbytes} bytes, over the limit of {cap} bytes "
            "(GRADIO_LOSSLESS_MAX_DECODED_BYTES)"
        )


def _kind_of(key: object) -> str:
    if key == "icc_profile":
        return "icc"
    if key == "exif":
        return "exif"
    if key in _XMP_KEYS:
        return "xmp"
    return "text"


def check_info(info: Mapping[Any, Any], comments: Sequence[bytes] = ()) -> None:
    """Raise LimitError when the metadata Pillow read (``im.info``, plus every JPEG
    comment segment: ``info`` keeps only the last) is over a cap."""
    caps = limits()
    totals = dict.fromkeys(_KINDS, 0)
    entries = [*info.items(), *(("comment", c) for c in comments[:-1])]
    for key, val in entries:
        if not isinstance(val, (str, bytes, bytearray)):
            continue
        kind = _kind_of(key)
        totals[kind] += len(val)
        cap = getattr(caps, kind)
        if totals[kind] > cap:
            raise _over(kind, totals[kind], cap, f"entry {str(key)[:40]!r}")


def _chunks(data: bytes) -> Iterator[tuple[bytes, memoryview]]:
    """A PNG's chunks as (type, data), stopping quietly where the structure ends:
    Pillow judges a broken file, this only sizes its metadata."""
    view = memoryview(data)
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = bytes(view[pos + 4 : pos + 8])
        start = pos + 8
        if start + length > len(data):
            return
        yield kind, view[start : start + length]
        pos = start + length + 4
        if kind == b"IEND":
            return


def _inflated_size(payload: memoryview, room: int) -> int | None:
    """Bytes ``payload`` inflates to, or None when that is more than ``room``
    (never inflating more than room + 1 bytes). Corrupt data counts as 0: Pillow
    refuses it on its own."""
    try:
        out = zlib.decompressobj().decompress(payload, room + 1)
    except zlib.error:
        return 0
    return None if len(out) > room else len(out)


def _keyword(body: memoryview) -> tuple[str, int]:
    raw = bytes(body[:80])
    end = raw.find(b"\0")
    end = len(raw) if end < 0 else end
    return raw[:end].decode("latin-1")[:40], end + 1


def check_png_chunks(data: bytes) -> None:
    """Raise LimitError when a PNG's text, EXIF, ICC or XMP chunks (compressed ones
    inflated, at most to the remaining room) are over a cap."""
    if not data.startswith(_PNG_SIGNATURE):
        return
    caps = limits()
    totals = dict.fromkeys(_KINDS, 0)
    for kind, body in _chunks(data):
        size: int | None
        if kind == b"tEXt":
            name, skip = _keyword(body)
            bucket, size = "text", len(body) - skip
        elif kind in (b"zTXt", b"iCCP"):  # keyword, method, compressed data
            name, skip = _keyword(body)
            bucket = "text" if kind == b"zTXt" else "icc"
            room = getattr(caps, bucket) - totals[bucket]
            size = _inflated_size(body[skip + 1 :], max(room, 0))
        elif kind == b"iTXt":
            name, skip = _keyword(body)
            bucket = "xmp" if name == "XML:com.adobe.xmp" else "text"
            compressed = len(body) > skip and body[skip] == 1
            rest = bytes(body[skip + 2 : skip + 2 + 512])
            lang_end = rest.find(b"\0")
            tkw_end = rest.find(b"\0", lang_end + 1) if lang_end >= 0 else -1
            text = body[skip + 2 + tkw_end + 1 :] if tkw_end >= 0 else body[skip:]
            room = getattr(caps, bucket) - totals[bucket]
            size = _inflated_size(text, max(room, 0)) if compressed else len(text)
        elif kind == b"eXIf":
            name, bucket, size = "", "exif", len(body)
        else:
            continue
        cap = getattr(caps, bucket)
        where = f"{kind.decode('latin-1')} chunk" + (f" {name!r}" if name else "")
        if size is None:
            raise _over(bucket, None, cap, where)
        totals[bucket] += size
        if totals[bucket] > cap:
            raise _over(bucket, totals[bucket], cap, where)
