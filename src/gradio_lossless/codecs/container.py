"""The exact PNG: a standard PNG a browser shows, that also carries the exact value.

Layout of the file ``encode`` writes (all standard PNG; browsers and viewers ignore
the two private chunks):

    IHDR  [standard metadata: iCCP, pHYs, tEXt/zTXt/iTXt, eXIf, tRNS, PLTE]
    glMD  private, unsafe-to-copy: a 32-byte MAC, then the JSON header (schema,
          address, kind, mode/dtype/shape, exact metadata, palette, how the pixels
          are stored)
    IDAT  the display pixels (exact for 1, L, LA, P, RGB, RGBA, I;16 and the arrays
          that map onto them; an 8-bit preview otherwise)
    glRW  private, unsafe-to-copy, only when IDAT is a preview: the raw pixel bytes,
          zlib-compressed
    IEND

The MAC is keyed BLAKE3 under the server secret (``keys.py``) over the header and
every other chunk of the file, in order. ``inspect`` checks it before anything in
the file is parsed, inflated or allocated for: a file whose MAC does not verify (a
server with another secret wrote it, its pixels were edited, its header was forged)
is read as the plain PNG it is, exactly as stock Gradio reads it. "Unsafe-to-copy"
tells editors to drop the chunks when they change the image.
"""

from __future__ import annotations

import io
import json
import struct
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import PIL.Image
import PIL.PngImagePlugin

from gradio_lossless.codecs import fast_png
from gradio_lossless.core import conversions
from gradio_lossless.core.errors import CorruptImageError
from gradio_lossless.core.keys import Keys
from gradio_lossless.core.types import ImageValue

__all__ = [
    "MAX_CHUNKS",
    "META_CHUNK",
    "PNG_SIGNATURE",
    "RAW_CHUNK",
    "SCHEMA",
    "Parts",
    "display_image",
    "encode",
    "is_png_native",
    "mac_parts",
    "read_chunks",
    "seal",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
META_CHUNK = b"glMD"
RAW_CHUNK = b"glRW"
SCHEMA = "gradio-lossless-v2"
_NATIVE_PIL_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}


def is_png_native(value: ImageValue) -> bool:
    """True when a plain PNG reader gets the exact pixels back from the IDAT alone
    (so a browser download or any PNG tool sees the real value)."""
    if isinstance(value, np.ndarray):
        mode = conversions.natural_mode(value)
        return mode is not None and mode in _NATIVE_PIL_MODES
    if value.mode == "P":
        # Pillow sizes the PNG bit depth by the palette (1, 2, 4 or 8 bits for up
        # to 2, 4, 16, 256 colours): indices past that depth would be lost
        colors = len(value.getpalette() or []) // 3
        highest = value.getextrema()[1]
        assert isinstance(highest, int)  # noqa: S101 - single band
        depth = 2 if colors <= 2 else 4 if colors <= 4 else 16 if colors <= 16 else 256
        return value.palette is not None and highest < depth
    return value.mode in _NATIVE_PIL_MODES


# --- chunk plumbing ------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


MAX_CHUNKS = 1 << 16
"""The most chunks an exact PNG may have (ours have a few, plus Pillow's 64 KiB
IDAT blocks: ~8,000 for the largest value the decoded-size cap allows)."""


def read_chunks(data: bytes, limit: int = MAX_CHUNKS) -> list[tuple[bytes, int, int]]:
    """List (type, start of data, length) for each chunk of a PNG byte string.

    Raises:
        CorruptImageError: when the chunk structure runs past the end of the data,
            or holds more than ``limit`` chunks (a list of a million 12-byte
            chunks would take ~100 MB to describe a 12 MB file).
    """
    if not data.startswith(PNG_SIGNATURE):
        raise CorruptImageError("not a PNG file")
    chunks: list[tuple[bytes, int, int]] = []
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        if len(chunks) >= limit:
            raise CorruptImageError(f"PNG file of more than {limit} chunks")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        start = pos + 8
        if start + length + 4 > len(data):
            raise CorruptImageError("PNG chunk runs past the end of the file")
        chunks.append((kind, start, length))
        pos = start + length + 4
        if kind == b"IEND":
            break
    return chunks


def _metadata_chunks(im: PIL.Image.Image, save_kwargs: dict[str, Any]) -> list[bytes]:
    """Pillow's own chunks for the metadata (not the pixels) of an RGB/RGBA image,
    taken from a 1×1 encode so the fast writer's output can carry them."""
    tiny = PIL.Image.new(im.mode, (1, 1))
    buf = io.BytesIO()
    tiny.save(buf, "PNG", compress_level=0, **save_kwargs)
    data = buf.getvalue()
    return [
        data[s - 8 : s + n + 4]
        for k, s, n in read_chunks(data)
        if k not in (b"IHDR", b"IDAT", b"IEND")
    ]


def _save_kwargs(im: PIL.Image.Image) -> dict[str, Any]:
    info = im.info
    kwargs: dict[str, Any] = {}
    text = PIL.PngImagePlugin.PngInfo()
    has_text = False
    for key, val in info.items():
        if isinstance(key, str) and isinstance(val, str) and 0 < len(key) < 80:
            long = len(val) > 1024  # long text goes compressed (zTXt, iTXt)
            if val.isascii():
                text.add_text(key, val, zip=long)
            else:
                text.add_itxt(key, val, zip=long)
            has_text = True
    if has_text:
        kwargs["pnginfo"] = text
    if isinstance(info.get("icc_profile"), bytes) and info["icc_profile"]:
        kwargs["icc_profile"] = info["icc_profile"]
    if isinstance(info.get("exif"), bytes) and info["exif"]:
        kwargs["exif"] = info["exif"]
    dpi = info.get("dpi")
    if isinstance(dpi, tuple) and len(dpi) == 2:
        kwargs["dpi"] = (float(dpi[0]), float(dpi[1]))
    if "transparency" in info and im.mode in ("P", "L", "RGB", "I;16", "1"):
        kwargs["transparency"] = info["transparency"]
    return kwargs


# --- encode -----------------------------------------------------------------------


def display_image(value: ImageValue) -> PIL.Image.Image:
    """What the browser shows: the value itself where PNG holds it, else an 8-bit
    preview (uint16 -> top 8 bits, floats 0..1 -> 0..255, int32 clipped)."""
    if isinstance(value, np.ndarray):
        if is_png_native(value):
            return conversions.array_to_pil(value)
        return conversions.array_to_pil(conversions.preview_uint8(value))
    if value.mode in _NATIVE_PIL_MODES and is_png_native(value):
        return value
    if value.mode == "P":
        return value.convert("RGBA")
    if value.mode in ("I", "F"):
        arr = np.asarray(value)
        if value.mode == "I":
            arr = (np.clip(arr, 0, 65535) >> 8).astype(np.uint8)
        return PIL.Image.fromarray(conversions.preview_uint8(arr))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        has_alpha = "A" in value.getbands()
        return value.convert("RGBA" if has_alpha else "RGB")


def _raw_bytes(value: ImageValue) -> bytes:
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value).tobytes()
    return value.tobytes()


def mac_parts(header_json: bytes, body: bytes) -> list[bytes | memoryview]:
    """What the MAC covers: the header, then each chunk of ``body`` (type and data,
    in file order) except glMD itself."""
    view = memoryview(body)
    parts: list[bytes | memoryview] = [header_json]
    for kind, start, length in read_chunks(body):
        if kind != META_CHUNK:
            parts.append(view[start - 4 : start + length])
    return parts


Parts = list[bytes | memoryview]
"""A file as the pieces it is written from (``b"".join`` gives its bytes)."""


def _seal(
    png: bytes,
    header: dict[str, Any],
    keys: Keys,
    before: Sequence[bytes],
    after: Sequence[bytes],
) -> Parts:
    """The exact PNG as parts: ``png`` with the ``before`` chunks and glMD (MAC,
    then header) inserted before its first IDAT, and the ``after`` chunks before
    its IEND. The MAC covers the header, then every other chunk's type and data in
    file order; ``png`` is never copied."""
    view = memoryview(png)
    chunks = read_chunks(png)
    idat = next(i for i, (k, _, _) in enumerate(chunks) if k == b"IDAT")
    iend = next(i for i, (k, _, _) in enumerate(chunks) if k == b"IEND")

    def own(part: slice) -> list[bytes | memoryview]:
        return [view[s - 4 : s + n] for _, s, n in chunks[part]]

    header_json = json.dumps(header, separators=(",", ":")).encode()
    covered = [
        header_json,
        *own(slice(0, idat)),
        *(memoryview(c)[4:-4] for c in before),
        *own(slice(idat, iend)),
        *(memoryview(c)[4:-4] for c in after),
        *own(slice(iend, iend + 1)),
    ]
    meta = _chunk(META_CHUNK, keys.mac(covered) + header_json)
    at_idat, at_iend = chunks[idat][1] - 8, chunks[iend][1] - 8
    return [
        view[:at_idat],
        *before,
        meta,
        view[at_idat:at_iend],
        *after,
        view[at_iend:],
    ]


@dataclass(frozen=True)
class Body:
    """An exact PNG before it is sealed: everything but its address and MAC.

    Parameters:
        png: the PNG of the display pixels (standard metadata chunks included).
        header: the glMD header, without the address.
        before: chunks to insert before the first IDAT.
        after: chunks to insert before IEND (the raw pixels, when IDAT is a preview).
    """

    png: bytes
    header: dict[str, Any]
    before: list[bytes]
    after: list[bytes]


def encode(value: ImageValue, *, address: str, keys: Keys) -> bytes:
    """The exact PNG's bytes (``seal(encode_body(value), ...)`` joined)."""
    return b"".join(seal(encode_body(value), address=address, keys=keys))


def seal(body: Body, *, address: str, keys: Keys) -> Parts:
    """The exact PNG of an encoded body, as the parts it is written from.

    Parameters:
        body: ``encode_body(value)``.
        address: the value's address (``keys.address(value)``), computed once by
            the caller.
        keys: the server's keys; the file's MAC is made with them.
    """
    header = {"schema": SCHEMA, "address": address, **body.header}
    return _seal(body.png, header, keys, body.before, body.after)


def encode_body(value: ImageValue) -> Body:
    """Encode a value's pixels and metadata for its exact PNG (the costly part,
    which needs no address: a caller may run it while the address is hashed).

    Exact for every value ``conversions.check_value`` accepts: pixels, PIL mode or
    numpy dtype and shape, palette, and ``info`` metadata (also written as standard
    PNG chunks: text, ICC profile, EXIF, DPI, transparency).

    Parameters:
        value: a checked PIL image or array.
    """
    native = is_png_native(value)
    header: dict[str, Any] = {"pixels": "idat" if native else "raw"}
    if isinstance(value, np.ndarray):
        header.update(kind="numpy", dtype=value.dtype.str, shape=list(value.shape))
        save_kwargs: dict[str, Any] = {}
    else:
        header.update(kind="pil", mode=value.mode, size=list(value.size))
        header["info"] = conversions.info_to_json(value.info)
        header.update(conversions.palette_fields(value))
        save_kwargs = _save_kwargs(value)
        if not native:  # the preview's pixels are not the value's: no tRNS
            save_kwargs.pop("transparency", None)
    if (
        isinstance(value, np.ndarray)
        and value.dtype == np.uint8
        and value.ndim == 3
        and value.shape[2] in (3, 4)
    ):
        return Body(fast_png.encode_array(value), header, [], [])
    display = display_image(value)  # no copy for native PIL values
    if display.mode in ("RGB", "RGBA") and fast_png.available():
        png = fast_png.encode(display)
        extra = _metadata_chunks(display, save_kwargs) if save_kwargs else []
    else:
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            display.save(buf, "PNG", compress_level=1, **save_kwargs)
        png = buf.getvalue()
        extra = []
    after = [] if native else [_chunk(RAW_CHUNK, zlib.compress(_raw_bytes(value), 1))]
    return Body(png, header, list(extra), after)
