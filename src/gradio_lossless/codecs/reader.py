"""Reading a client's file: what its headers say first, then its pixels.

``inspect`` looks at a file without decoding a pixel: it verifies an exact PNG's MAC
(``container.py``) or a lossy file's address token (``display.py``) under the server
secret, checks the metadata and the decoded size against the caps (``limits.py``),
and estimates the bytes decoding will take, so the caller can hold the work budget
for them. ``materialize`` then decodes. Nothing in a file that does not verify is
trusted: it is read as the plain image it is, exactly as stock Gradio reads it.
"""

from __future__ import annotations

import io
import json
import struct
import warnings
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import PIL.Image

from gradio_lossless.codecs import display
from gradio_lossless.codecs.container import (
    META_CHUNK,
    PNG_SIGNATURE,
    RAW_CHUNK,
    SCHEMA,
    mac_parts,
    read_chunks,
)
from gradio_lossless.core import conversions, limits
from gradio_lossless.core.errors import CorruptImageError, LimitError
from gradio_lossless.core.keys import MAC_BYTES, Keys, is_address
from gradio_lossless.core.types import ImageValue

__all__ = ["Decoded", "Inspected", "decode", "inspect", "materialize", "open_plain"]


@dataclass(frozen=True)
class Decoded:
    """What ``decode`` found.

    Parameters:
        value: the decoded value (exact when ``exact`` is True).
        exact: True when the file carried an exact value whose MAC verified.
        address: the value's address when exact, else None.
    """

    value: ImageValue
    exact: bool
    address: str | None


@dataclass(frozen=True)
class Inspected:
    """A file's headers, read and checked; no pixel decoded yet.

    Parameters:
        address: the verified address of the value the file stands for, or None.
        header: an exact PNG's verified header (its pixels are in the file).
        token_only: True when the file is a lossy display file whose verified
            token names the value: the value itself must come from the store.
        plain: the plain image, opened lazily (None for exact files).
        pixel_bytes: the bytes the decoded pixels take.
    """

    address: str | None
    header: dict[str, Any] | None
    token_only: bool
    plain: PIL.Image.Image | None
    pixel_bytes: int


def _verified_header(data: bytes, keys: Keys) -> dict[str, Any] | None:
    """The glMD header of an exact PNG when its MAC verifies, else None. Only the
    file's own bytes are hashed before that."""
    try:
        chunks = read_chunks(data)
    except CorruptImageError:  # not one of ours: Pillow judges it as a plain PNG
        return None
    meta = [(s, n) for k, s, n in chunks if k == META_CHUNK]
    if len(meta) != 1 or meta[0][1] <= MAC_BYTES:
        return None
    start, length = meta[0]
    tag = data[start : start + MAC_BYTES]
    header_json = data[start + MAC_BYTES : start + length]
    if not keys.verify(tag, mac_parts(header_json, data)):
        return None
    try:
        header = json.loads(header_json)
    except (ValueError, RecursionError):
        raise CorruptImageError("the exact PNG's glMD header is not JSON") from None
    if not isinstance(header, dict) or header.get("schema") != SCHEMA:
        raise CorruptImageError("the exact PNG's glMD header has an unknown schema")
    if not (isinstance(header.get("address"), str) and is_address(header["address"])):
        raise CorruptImageError("the exact PNG's glMD header has no valid address")
    return header


def _header_pixel_bytes(header: dict[str, Any]) -> tuple[int, str]:
    try:
        if header["kind"] == "numpy":
            shape = [int(x) for x in header["shape"]][:3]
            count = int(np.prod(shape, dtype=np.int64))
            nbytes = count * np.dtype(header["dtype"]).itemsize
            return nbytes, f"{'×'.join(map(str, shape))} {header['dtype']}"
        width, height = (int(x) for x in header["size"])
        mode = str(header["mode"])
        nbytes = conversions.pil_pixel_bytes(mode, width, height)
        return nbytes, f"{width}×{height} {mode}"
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise CorruptImageError(
            f"the exact PNG's glMD header is malformed ({type(exc).__name__})"
        ) from None


def _open_lazily(data: bytes) -> PIL.Image.Image:
    """Pillow's open (headers only), every failure a CorruptImageError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", PIL.Image.DecompressionBombWarning)
            return PIL.Image.open(io.BytesIO(data))
    except (PIL.Image.DecompressionBombError, PIL.Image.DecompressionBombWarning) as e:
        raise CorruptImageError(f"decompression bomb: {e}") from None
    except PIL.UnidentifiedImageError:
        raise CorruptImageError("not an image file Pillow can read") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise CorruptImageError(f"truncated or corrupt image: {exc}") from None


def inspect(data: bytes, keys: Keys) -> Inspected:
    """Read and check a file's headers (see the module docstring).

    Raises:
        CorruptImageError: not an image, truncated, corrupt, a bomb.
        LimitError: metadata or decoded size over a cap.
    """
    if data.startswith(PNG_SIGNATURE):
        header = _verified_header(data, keys)
        if header is not None:
            nbytes, what = _header_pixel_bytes(header)
            limits.check_decoded(what, nbytes)
            return Inspected(header["address"], header, False, None, nbytes)
        limits.check_png_chunks(data)
    im = _open_lazily(data)
    try:
        applist = getattr(im, "applist", [])  # JPEG segments
        limits.check_info(im.info, [body for kind, body in applist if kind == "COM"])
    except LimitError:
        im.close()
        raise
    nbytes = conversions.pil_pixel_bytes(im.mode, im.width, im.height)
    limits.check_decoded(f"{im.width}×{im.height} {im.mode}", nbytes)
    address = None if data.startswith(PNG_SIGNATURE) else display.read_token(im, keys)
    return Inspected(address, None, address is not None, im, nbytes)


def _inflate(data: bytes, expected: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, expected + 1)
    except zlib.error as exc:
        raise CorruptImageError(f"corrupt raw pixel chunk: {exc}") from None
    if len(out) != expected:
        raise CorruptImageError(
            f"raw pixel chunk holds {len(out)} bytes, expected {expected}"
        )
    return out


def _load(im: PIL.Image.Image) -> PIL.Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow's other warnings (e.g. corrupt EXIF) must not become errors
            # under a caller's -W error; a bomb warning is a refusal
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", PIL.Image.DecompressionBombWarning)
            im.load()
    except (PIL.Image.DecompressionBombError, PIL.Image.DecompressionBombWarning) as e:
        raise CorruptImageError(f"decompression bomb: {e}") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise CorruptImageError(f"truncated or corrupt image: {exc}") from None
    return im


def open_plain(data: bytes) -> PIL.Image.Image:
    """Decode image file bytes with Pillow, fully, turning every failure (corrupt,
    truncated, not an image, decompression bomb) into CorruptImageError."""
    return _load(_open_lazily(data))


def _raw_payload(data: bytes) -> bytes:
    found = [data[s : s + n] for k, s, n in read_chunks(data) if k == RAW_CHUNK]
    if len(found) != 1:
        raise CorruptImageError("the exact PNG has no single raw pixel chunk")
    return found[0]


def _from_header(header: dict[str, Any], data: bytes, nbytes: int) -> ImageValue:
    """The value of an exact PNG whose MAC verified (we wrote the header)."""
    raw = header["pixels"] == "raw"
    if header["kind"] == "numpy":
        dtype = np.dtype(header["dtype"])
        shape = tuple(int(x) for x in header["shape"])
        if raw:
            arr = np.frombuffer(_inflate(_raw_payload(data), nbytes), dtype=dtype)
            return arr.reshape(shape).copy()
        out = conversions.pil_to_array(open_plain(data))
        if out.dtype != dtype:
            out = out.astype(dtype)
        return out.reshape(shape)
    mode = str(header["mode"])
    size = (int(header["size"][0]), int(header["size"][1]))
    if raw:
        im = PIL.Image.frombytes(mode, size, _inflate(_raw_payload(data), nbytes))
    else:
        im = open_plain(data)
        if im.mode != mode:
            raise ValueError("mode mismatch")
    if "palette" in header:
        im.putpalette(header["palette"], header["palette_mode"])
    im.info.clear()
    im.info.update(conversions.info_from_json(header.get("info", [])))
    return im


def materialize(data: bytes, inspected: Inspected, keys: Keys) -> Decoded:
    """Decode the pixels of a file ``inspect`` read (not for token-only files,
    whose value comes from the store). An exact value is checked against the
    address its header names (one keyed hash), so nothing but the value at an
    address is ever held under it, even from a header the secret's holder made.

    Raises:
        CorruptImageError: the pixels do not decode, or are not the value at the
            header's address.
    """
    if inspected.header is None:
        assert inspected.plain is not None  # noqa: S101 - inspect opened it
        return Decoded(_load(inspected.plain), False, None)
    header = inspected.header
    try:
        expected = 0
        if header["pixels"] == "raw":
            expected = inspected.pixel_bytes
            if header["kind"] == "pil":  # frombytes wants the packed size
                probe = PIL.Image.new(str(header["mode"]), (1, 1))
                size = header["size"]
                expected = len(probe.tobytes()) * int(size[0]) * int(size[1])
        value = _from_header(header, data, expected)
    except CorruptImageError:
        raise
    except (
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        OverflowError,
        AttributeError,
        RecursionError,
        MemoryError,
    ) as exc:
        raise CorruptImageError(
            f"the exact PNG's pixels do not match its header ({type(exc).__name__})"
        ) from None
    if keys.address(value) != inspected.address:
        raise CorruptImageError("the exact PNG's pixels are not the value it names")
    return Decoded(value, True, inspected.address)


def decode(data: bytes, keys: Keys) -> Decoded:
    """Read any image file's bytes; recover the exact value when it is an exact PNG
    whose MAC verifies under ``keys`` (a lossy display file decodes as its plain
    pixels here: its value lives in the store).

    Raises:
        CorruptImageError: truncated, corrupt or non-image data, or a bomb.
        LimitError: metadata or decoded size over a cap.
    """
    return materialize(data, inspect(data, keys), keys)
