"""Hostile files, built byte by byte (no gradio_lossless code: the package's own
readers and writers are what these files attack, and they are being rewritten).

PNG chunk surgery, zlib bombs that cost nothing to build, the old unkeyed
fingerprint, and pairs of distinct images whose stock WebP bytes are identical.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Iterator

import numpy as np
import PIL.Image
import xxhash

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OLD_SCHEMA = "gradio-lossless-v1"


# --- PNG chunks -----------------------------------------------------------------------


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk with a valid CRC."""
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk of a PNG, in order."""
    assert data.startswith(PNG_SIGNATURE), "not a PNG"
    out, pos = [], len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        out.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def assemble(parts: list[tuple[bytes, bytes]]) -> bytes:
    return PNG_SIGNATURE + b"".join(chunk(k, b) for k, b in parts)


def insert_after_ihdr(data: bytes, extra: list[tuple[bytes, bytes]]) -> bytes:
    """``data`` with ``extra`` chunks right after IHDR (where iCCP must be)."""
    parts = chunks(data)
    assert parts[0][0] == b"IHDR"
    return assemble([parts[0], *extra, *parts[1:]])


def png_bytes(im: PIL.Image.Image, **save: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", **save)
    return buf.getvalue()


def ihdr(width: int, height: int, bit_depth: int, color_type: int) -> bytes:
    return struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)


# --- zlib streams of zeros ------------------------------------------------------------


def zeros_zlib(n: int) -> bytes:
    """A zlib stream that inflates to ``n`` zero bytes, ~1000:1, built in
    milliseconds: one 1 MiB deflate block ended by a full flush (so it does not
    refer to what came before) repeated, then the rest, then the Adler-32 of n
    zeros, which is (n mod 65521) << 16 | 1."""
    size = 1 << 20
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = co.compress(bytes(size)) + co.flush(zlib.Z_FULL_FLUSH)
    whole, rest = divmod(n, size)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = co.compress(bytes(rest)) + co.flush()
    adler = ((n % 65521) << 16) | 1
    return b"\x78\xda" + piece * whole + tail + struct.pack(">I", adler)


def zero_png(width: int, height: int, mode: str = "RGBA") -> bytes:
    """An all-zero 8-bit image of any size, a thousandth of its decoded bytes."""
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    color_type = {"L": 0, "RGB": 2, "RGBA": 6}[mode]
    raw = height * (1 + width * channels)  # a filter byte before every row
    return assemble(
        [
            (b"IHDR", ihdr(width, height, 8, color_type)),
            (b"IDAT", zeros_zlib(raw)),
            (b"IEND", b""),
        ]
    )


# --- metadata bombs -------------------------------------------------------------------


def small_image(seed: int, size: tuple[int, int] = (16, 16)) -> PIL.Image.Image:
    rng = np.random.default_rng(seed)
    return PIL.Image.fromarray(
        rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    )


def text_bomb(seed: int, chunks_count: int = 63, text_bytes: int = 1_000_000) -> bytes:
    """A small PNG with ``chunks_count`` zTXt chunks (distinct keys, so a reader
    keeps them all), each inflating to ``text_bytes`` of text: ~67 KB holding 63 MB.
    Each chunk stays within Pillow's own 1 MiB per-chunk and 64 MiB total limits."""
    extra = []
    for i in range(chunks_count):
        text = f"seed {seed} chunk {i} ".encode().ljust(text_bytes, b"A")
        body = f"Comment {i}".encode() + b"\0\0" + zlib.compress(text, 9)
        extra.append((b"zTXt", body))
    return insert_after_ihdr(png_bytes(small_image(seed)), extra)


def icc_bomb(seed: int, icc_bytes: int = 5 << 20) -> bytes:
    """A small PNG whose iCCP chunk inflates to an ``icc_bytes`` ICC profile."""
    body = b"bomb profile\0\0" + zeros_zlib(icc_bytes)
    return insert_after_ihdr(png_bytes(small_image(seed)), [(b"iCCP", body)])


def exif_bomb(seed: int, exif_bytes: int = 2 << 20) -> bytes:
    """A PNG whose eXIf chunk holds ``exif_bytes`` (an empty big-endian TIFF
    directory, zero-padded)."""
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x00" + b"\x00\x00\x00\x00"
    body = tiff.ljust(exif_bytes, b"\0")
    return insert_after_ihdr(png_bytes(small_image(seed)), [(b"eXIf", body)])


# --- the old exact PNG ----------------------------------------------------------------


def old_fingerprint(arr: np.ndarray) -> str:
    """The unkeyed address current main gives an array (xxh3-128 over a JSON header
    and the pixel bytes; 32 hex digits): anyone can compute it."""
    h = xxhash.xxh3_128()
    header = {"s": OLD_SCHEMA, "k": "numpy", "dtype": arr.dtype.str}
    header["shape"] = list(arr.shape)
    h.update(json.dumps(header, sort_keys=True).encode())
    h.update(np.ascontiguousarray(arr).view(np.uint8).reshape(-1).data)
    return h.hexdigest()


def old_fingerprint_of_zeros(dtype: str, shape: tuple[int, ...]) -> str:
    """``old_fingerprint(np.zeros(shape, dtype))`` without allocating the array."""
    h = xxhash.xxh3_128()
    header = {"s": OLD_SCHEMA, "k": "numpy", "dtype": np.dtype(dtype).str}
    header["shape"] = list(shape)
    h.update(json.dumps(header, sort_keys=True).encode())
    left = int(np.prod(shape)) * np.dtype(dtype).itemsize
    block = memoryview(bytes(32 << 20))
    while left > 0:
        step = min(left, len(block))
        h.update(block[:step])
        left -= step
    return h.hexdigest()


def old_header(**fields: object) -> bytes:
    """A glMD body as current main writes it (JSON, schema gradio-lossless-v1)."""
    header = {"schema": OLD_SCHEMA, "kind": "numpy", **fields}
    return json.dumps(header, separators=(",", ":")).encode()


def with_chunks_before_idat(
    visible: bytes, extra: list[tuple[bytes, bytes]], after: list[tuple[bytes, bytes]]
) -> bytes:
    """``visible`` (a PNG) with ``extra`` chunks before its first IDAT and
    ``after`` chunks before IEND."""
    parts = chunks(visible)
    first = next(i for i, (k, _) in enumerate(parts) if k == b"IDAT")
    assert parts[-1][0] == b"IEND"
    return assemble([*parts[:first], *extra, *parts[first:-1], *after, parts[-1]])


def forged_idat_header(visible: bytes, dtype: str, shape: tuple[int, ...]) -> bytes:
    """An "exact" PNG claiming a ``dtype`` array of ``shape`` whose pixels are the
    IDAT's, with the fingerprint the old code would check (of zeros: the visible
    pixels are zeros for the big case)."""
    header = old_header(
        fingerprint=old_fingerprint_of_zeros(dtype, shape),
        pixels="idat",
        dtype=np.dtype(dtype).str,
        shape=list(shape),
    )
    return with_chunks_before_idat(visible, [(b"glMD", header)], [])


def forged_raw_header(visible: bytes, dtype: str, shape: tuple[int, ...]) -> bytes:
    """An "exact" PNG claiming an all-zero ``dtype`` array of ``shape`` in a glRW
    chunk (a zlib bomb), with a valid old fingerprint: a forged exact value."""
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    header = old_header(
        fingerprint=old_fingerprint_of_zeros(dtype, shape),
        pixels="raw",
        dtype=np.dtype(dtype).str,
        shape=list(shape),
    )
    return with_chunks_before_idat(
        visible, [(b"glMD", header)], [(b"glRW", zeros_zlib(nbytes))]
    )


def replace_pixels(data: bytes, image: PIL.Image.Image) -> bytes:
    """``data`` (a PNG) with its IHDR and IDAT taken from ``image``'s PNG: every
    other chunk (glMD, glRW, text, ...) kept, byte for byte, where it was."""
    fresh = chunks(png_bytes(image))
    new_ihdr = next(b for k, b in fresh if k == b"IHDR")
    new_idat = [(k, b) for k, b in fresh if k == b"IDAT"]
    out: list[tuple[bytes, bytes]] = []
    for kind, body in chunks(data):
        if kind == b"IHDR":
            out.append((kind, new_ihdr))
        elif kind == b"IDAT":
            out.extend(new_idat)
            new_idat = []  # all of the new IDAT where the first old one was
        else:
            out.append((kind, body))
    return assemble(out)


# --- identical lossy bytes ------------------------------------------------------------


def stock_webp(arr: np.ndarray) -> bytes:
    """What stock Gradio serves for an image with format="webp": Pillow's default
    WebP (quality 80)."""
    buf = io.BytesIO()
    PIL.Image.fromarray(arr).save(buf, "WEBP")
    return buf.getvalue()


def _positions(shape: tuple[int, ...]) -> Iterator[tuple[int, int, int]]:
    rng = np.random.default_rng(3)
    while True:
        yield (
            int(rng.integers(shape[0])),
            int(rng.integers(shape[1])),
            int(rng.integers(shape[2])),
        )


def webp_twin(arr: np.ndarray, flips: int = 10) -> np.ndarray:
    """A copy of uint8 ``arr`` with ``flips`` low bits flipped whose stock WebP
    bytes are identical to ``arr``'s: a deterministic walk over pixels that keeps
    each flip only if the encoding does not change (so it holds for whatever
    libwebp is installed)."""
    want = stock_webp(arr)
    twin = arr.copy()
    kept = 0
    for tries, (y, x, c) in enumerate(_positions(arr.shape)):
        assert tries < 2000, "no WebP-invisible low-bit flips found"
        trial = twin.copy()
        trial[y, x, c] ^= 1
        if not np.array_equal(trial, twin) and stock_webp(trial) == want:
            twin, kept = trial, kept + 1
            if kept == flips:
                return twin
    raise AssertionError("unreachable")
