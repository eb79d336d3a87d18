"""The exact PNG: a standard PNG a browser shows, that also carries the exact value.

Layout of the file ``encode`` writes (all standard PNG; browsers and viewers ignore
the two private chunks):

    IHDR  [standard metadata: iCCP, pHYs, tEXt/zTXt/iTXt, eXIf, tRNS, PLTE]
    glMD  private, unsafe-to-copy: JSON header (schema, kind, mode/dtype/shape, exact
          metadata, palette, fingerprint, how the pixels are stored)
    IDAT  the display pixels (exact for 1, L, LA, P, RGB, RGBA, I;16 and the arrays
          that map onto them; an 8-bit preview otherwise)
    glRW  private, unsafe-to-copy, only when IDAT is a preview: the raw pixel bytes,
          zlib-compressed
    IEND

``decode`` trusts the private chunks only when the value they describe hashes to the
fingerprint recorded in glMD; a file edited elsewhere therefore decodes as the plain
PNG it now is. "Unsafe-to-copy" tells editors to drop the chunks when they change
the image.
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
import PIL.PngImagePlugin

from gradio_lossless import conversions
from gradio_lossless._types import ImageValue
from gradio_lossless.codecs import fast_png
from gradio_lossless.errors import CorruptImageError

__all__ = [
    "PNG_SIGNATURE",
    "Decoded",
    "decode",
    "decoded_bytes",
    "display_image",
    "encode",
    "is_png_native",
    "open_plain",
    "read_chunks",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
META_CHUNK = b"glMD"
RAW_CHUNK = b"glRW"
_NATIVE_PIL_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}


@dataclass(frozen=True)
class Decoded:
    """What ``decode`` found.

    Parameters:
        value: the decoded value (exact when ``exact`` is True).
        exact: True when the file carried a verified exact value.
        fingerprint: the value's fingerprint when exact, else None.
    """

    value: ImageValue
    exact: bool
    fingerprint: str | None


def is_png_native(value: ImageValue) -> bool:
    """True when a plain PNG reader gets the exact pixels back from the IDAT alone
    (so a browser download or any PNG tool sees the real value)."""
    if isinstance(value, np.ndarray):
        mode = conversions.natural_mode(value)
        return mode is not None and mode in _NATIVE_PIL_MODES
    if value.mode == "P":
        # Pillow sizes the PNG bit depth by the palette: indices past it would be lost
        colors = len(value.getpalette() or []) // 3
        highest = value.getextrema()[1]
        assert isinstance(highest, int)  # noqa: S101 - single band
        return value.palette is not None and highest < max(colors, 1)
    return value.mode in _NATIVE_PIL_MODES


# --- chunk plumbing ------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def read_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """List (type, start of data, length) for each chunk of a PNG byte string.

    Raises:
        CorruptImageError: when the chunk structure runs past the end of the data.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise CorruptImageError("not a PNG file")
    chunks = []
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
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


def _splice(png: bytes, before_idat: list[bytes], after_idat: list[bytes]) -> bytes:
    """Insert whole chunks right before the first IDAT and right before IEND."""
    chunks = read_chunks(png)
    first_idat = next(s - 8 for k, s, _ in chunks if k == b"IDAT")
    iend = next(s - 8 for k, s, _ in chunks if k == b"IEND")
    return b"".join(
        [png[:first_idat], *before_idat, png[first_idat:iend], *after_idat, png[iend:]]
    )


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


def _meta_chunk(header: dict[str, Any]) -> bytes:
    return _chunk(META_CHUNK, json.dumps(header, separators=(",", ":")).encode())


def _save_kwargs(im: PIL.Image.Image) -> dict[str, Any]:
    info = im.info
    kwargs: dict[str, Any] = {}
    text = PIL.PngImagePlugin.PngInfo()
    has_text = False
    for key, val in info.items():
        if isinstance(key, str) and isinstance(val, str) and 0 < len(key) < 80:
            text.add_itxt(key, val) if not val.isascii() else text.add_text(key, val)
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


def encode(value: ImageValue, *, fingerprint: str | None = None) -> bytes:
    """Write the exact PNG for a value.

    Exact for every value ``conversions.check_value`` accepts: pixels, PIL mode or
    numpy dtype and shape, palette, and ``info`` metadata (also written as standard
    PNG chunks: text, ICC profile, EXIF, DPI, transparency).

    Parameters:
        value: a checked PIL image or array.
        fingerprint: ``conversions.fingerprint(value)`` if already known.
    Returns:
        the PNG file's bytes.
    """
    fingerprint = fingerprint or conversions.fingerprint(value)
    native = is_png_native(value)
    header: dict[str, Any] = {
        "schema": "gradio-lossless-v1",
        "fingerprint": fingerprint,
        "pixels": "idat" if native else "raw",
    }
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
        png = fast_png.encode_array(value)
        return _splice(png, [_meta_chunk(header)], [])
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
    meta = _meta_chunk(header)
    after = [] if native else [_chunk(RAW_CHUNK, zlib.compress(_raw_bytes(value), 1))]
    return _splice(png, [*extra, meta], after)


# --- decode -----------------------------------------------------------------------


def _limit_pixels(count: int) -> None:
    limit = PIL.Image.MAX_IMAGE_PIXELS
    if limit is not None and count > 2 * limit:
        raise CorruptImageError(
            f"image of {count} pixels exceeds the decompression-bomb limit of "
            f"{2 * limit} pixels"
        )


def _limit_bytes(count: int) -> None:
    """Raw pixels may inflate to what Pillow allows an RGBA image before it warns
    (``MAX_IMAGE_PIXELS`` × 4 bytes, ~358 MB by default): a float64 header that
    stays under the pixel limit cannot make a small upload inflate to gigabytes."""
    limit = PIL.Image.MAX_IMAGE_PIXELS
    if limit is not None and count > 4 * limit:
        raise CorruptImageError(
            f"raw pixel data of {count} bytes exceeds the decompression-bomb limit "
            f"of {4 * limit} bytes"
        )


def _inflate(data: bytes, expected: int) -> bytes:
    _limit_bytes(expected)
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


def open_plain(data: bytes) -> PIL.Image.Image:
    """Decode image file bytes with Pillow, fully, turning every failure (corrupt,
    truncated, not an image, decompression bomb) into CorruptImageError."""
    try:
        with warnings.catch_warnings():
            # Pillow's other warnings (e.g. corrupt EXIF) must not become errors
            # under a caller's -W error; a bomb warning is a refusal
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", PIL.Image.DecompressionBombWarning)
            im = PIL.Image.open(io.BytesIO(data))
            im.load()
    except PIL.Image.DecompressionBombError as exc:
        raise CorruptImageError(f"decompression bomb: {exc}") from None
    except PIL.Image.DecompressionBombWarning as exc:
        raise CorruptImageError(f"decompression bomb: {exc}") from None
    except PIL.UnidentifiedImageError:
        raise CorruptImageError("not an image file Pillow can read") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise CorruptImageError(f"truncated or corrupt image: {exc}") from None
    return im


def _from_header(header: dict[str, Any], data: bytes, raw: bytes | None) -> ImageValue:
    if header.get("schema") != "gradio-lossless-v1":
        raise ValueError("unknown schema")
    if header["kind"] == "numpy":
        dtype = np.dtype(header["dtype"])
        shape = tuple(int(x) for x in header["shape"])
        if (
            dtype.name not in conversions.SUPPORTED_DTYPES
            or len(shape) not in (2, 3)
            or min(shape) < 1
        ):
            raise ValueError("bad array header")
        _limit_pixels(shape[0] * shape[1])
        if header["pixels"] == "raw":
            size = int(np.prod(shape)) * dtype.itemsize
            arr = np.frombuffer(_inflate(raw or b"", size), dtype=dtype)
            return arr.reshape(shape).copy()
        out = conversions.pil_to_array(open_plain(data))
        if out.dtype != dtype:
            out = out.astype(dtype)
        return out.reshape(shape)
    mode = str(header["mode"])
    width, height = (int(x) for x in header["size"])
    if width < 1 or height < 1:
        raise ValueError("bad image size")
    size = (width, height)
    _limit_pixels(width * height)
    if header["pixels"] == "raw":
        probe = PIL.Image.new(mode, (1, 1))
        expected = len(probe.tobytes()) * size[0] * size[1]
        im = PIL.Image.frombytes(mode, size, _inflate(raw or b"", expected))
    else:
        im = open_plain(data)
        if im.mode != mode:
            raise ValueError("mode mismatch")
    if "palette" in header:
        im.putpalette(header["palette"], header["palette_mode"])
    im.info.clear()
    im.info.update(conversions.info_from_json(header.get("info", [])))
    return im


def decoded_bytes(data: bytes) -> int:
    """About how many bytes of pixels decoding ``data`` makes, read from the headers
    without decoding: the array size an exact PNG's header records, else 4 bytes per
    pixel of what Pillow finds. 0 when the headers do not parse (decoding then fails
    on its own, within the decompression-bomb limits)."""
    try:
        if data.startswith(PNG_SIGNATURE):
            for kind, start, length in read_chunks(data):
                if kind == META_CHUNK:
                    header = json.loads(data[start : start + length])
                    shape = header.get("shape")
                    if header.get("kind") == "numpy" and len(shape) in (2, 3):
                        count = 1
                        for side in shape:  # at most 3 sides: no huge products
                            count *= max(1, int(side))
                        return int(count * np.dtype(header["dtype"]).itemsize)
                    break
                if kind == b"IDAT":
                    break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with PIL.Image.open(io.BytesIO(data)) as im:
                width, height = im.size
    except Exception:  # headers only: anything that does not parse counts as 0
        return 0
    return max(0, width * height * 4)


def decode(data: bytes) -> Decoded:
    """Read any image file's bytes; recover the exact value when it is an exact PNG.

    Parameters:
        data: the file's bytes.
    Returns:
        ``Decoded``: exact=True with the verified value for files ``encode`` wrote
        (unchanged), else the plain Pillow decode with exact=False.
    Raises:
        CorruptImageError: truncated, corrupt or non-image data, or a bomb.
    """
    if data.startswith(PNG_SIGNATURE):
        chunks = read_chunks(data)
        found = {
            k: data[s : s + n] for k, s, n in chunks if k in (META_CHUNK, RAW_CHUNK)
        }
        if META_CHUNK in found:
            try:
                header = json.loads(found[META_CHUNK])
                if not isinstance(header, dict):
                    raise ValueError("header is not an object")
                value = _from_header(header, data, found.get(RAW_CHUNK))
            except CorruptImageError:
                raise
            except (
                ValueError,
                KeyError,
                TypeError,
                OSError,
                IndexError,
                AttributeError,
                OverflowError,
                MemoryError,
            ):
                # a malformed header: the file is read as the plain PNG it is
                value = None
            if value is not None and conversions.fingerprint(value) == header.get(
                "fingerprint"
            ):
                return Decoded(value, True, header["fingerprint"])
    return Decoded(open_plain(data), False, None)
