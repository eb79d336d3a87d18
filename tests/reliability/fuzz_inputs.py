"""Hypothesis strategies for hostile uploads: files of every supported format,
truncated or corrupted, exact PNGs with mangled private chunks, huge declared
dimensions, wrong types, malformed payloads."""

from __future__ import annotations

import io
import json
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import PIL.Image
from hypothesis import strategies as st

from gradio_lossless.codecs import container
from tests import exact

PLAIN_FORMATS: dict[str, tuple[str, ...]] = {
    "PNG": ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"),
    "JPEG": ("L", "RGB", "CMYK"),
    "WEBP": ("RGB", "RGBA"),
    "GIF": ("P", "L"),
    "BMP": ("1", "L", "P", "RGB"),
    "TIFF": ("1", "L", "RGB", "RGBA", "I;16", "I", "F", "CMYK"),
}
EXACT_KINDS = (
    "uint8_rgb",
    "uint16_rgb",
    "float32_rgb",
    "float64_gray",
    "bool_hw1",
    "int32_hw",
    "pil_F",
    "pil_I",
    "pil_P",
    "pil_LA",
    "pil_RGBA_meta",
    "pil_I;16",
)


@dataclass
class Case:
    """One fuzz input: the file's bytes and what it was made from."""

    data: bytes = field(repr=False)
    label: str
    original: Any = field(default=None, repr=False)  # the exact value, for exact PNGs
    mutated: bool = False


def _chunk(kind: bytes, data: bytes, *, good_crc: bool = True) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF if good_crc else 0xDEADBEEF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _pixels(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def plain_image(fmt: str, mode: str, h: int, w: int, seed: int, frames: int) -> bytes:
    rng = np.random.default_rng(seed)
    rgb = PIL.Image.fromarray(_pixels(rng, h, w))
    if mode == "I;16":
        im = PIL.Image.fromarray(rng.integers(0, 65536, (h, w), dtype=np.uint16))
    elif mode == "I":
        im = PIL.Image.fromarray(
            rng.integers(-(2**31), 2**31 - 1, (h, w), dtype=np.int32)
        )
    elif mode == "F":
        im = PIL.Image.fromarray(rng.normal(0, 1, (h, w)).astype(np.float32))
    elif mode == "P":
        im = rgb.convert("P", palette=PIL.Image.Palette.ADAPTIVE, colors=16)
    else:
        im = rgb.convert(mode)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if frames > 1 and fmt in ("GIF", "WEBP", "TIFF", "PNG"):
            more = [im.transpose(PIL.Image.Transpose.ROTATE_180)] * (frames - 1)
            im.save(buf, fmt, save_all=True, append_images=more)
        else:
            im.save(buf, fmt)
    return buf.getvalue()


def exact_value(kind: str, h: int, w: int, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    if kind == "uint8_rgb":
        return _pixels(rng, h, w)
    if kind == "uint16_rgb":
        return rng.integers(0, 65536, (h, w, 3), dtype=np.uint16)
    if kind == "float32_rgb":
        return rng.normal(0.5, 0.5, (h, w, 3)).astype(np.float32)
    if kind == "float64_gray":
        return rng.normal(0.5, 0.5, (h, w))
    if kind == "bool_hw1":
        return rng.random((h, w, 1)) > 0.5
    if kind == "int32_hw":
        return rng.integers(-(2**31), 2**31 - 1, (h, w), dtype=np.int32)
    mode = kind.split("_")[1]
    if mode == "F":
        im = PIL.Image.fromarray(rng.normal(0, 1, (h, w)).astype(np.float32))
    elif mode == "I":
        im = PIL.Image.fromarray(
            rng.integers(-(2**31), 2**31 - 1, (h, w), dtype=np.int32)
        )
    elif mode == "I;16":
        im = PIL.Image.fromarray(rng.integers(0, 65536, (h, w), dtype=np.uint16))
    elif mode == "P":
        im = PIL.Image.fromarray(_pixels(rng, h, w)).convert(
            "P", palette=PIL.Image.Palette.ADAPTIVE, colors=20
        )
        im.info["transparency"] = 2
    else:
        im = PIL.Image.fromarray(_pixels(rng, h, w)).convert(mode)
    if kind.endswith("_meta"):
        im.info.update(parameters="steps: 20 <b>é</b>", dpi=(72.5, 300.0))
        im.info["icc_profile"] = b"\0" * 64
    return im


# --- mutations ------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
HUGE = st.sampled_from(
    [0, -1, 1, 2**16, 2**20, 2**31 - 1, 2**31, 2**32 + 3, 2**63 - 1, 10**12]
)
DTYPES = st.sampled_from(
    [
        "|u1",
        "<u2",
        ">u2",
        "<f4",
        ">f8",
        "<f2",
        "|b1",
        "<i4",
        "<u4",
        "<i8",
        "<c8",
        "|O",
        "<U3",
        "|V8",
        "<M8[s]",
        "float128",
        "nonsense",
        "",
    ]
)
MODES = st.sampled_from(
    [
        "1",
        "L",
        "LA",
        "P",
        "PA",
        "RGB",
        "RGBA",
        "I",
        "F",
        "I;16",
        "I;16B",
        "CMYK",
        "YCbCr",
        "LAB",
        "HSV",
        "RGBX",
        "BGR;24",
        "",
        "nonsense",
    ]
)


@st.composite
def header_mutation(draw: st.DrawFn, header: dict[str, Any]) -> dict[str, Any]:
    header = dict(header)
    key = draw(
        st.sampled_from(
            [
                "shape",
                "size",
                "dtype",
                "mode",
                "kind",
                "pixels",
                "schema",
                "fingerprint",
                "palette",
                "palette_mode",
                "info",
                "drop",
                "any",
            ]
        )
    )
    if key == "shape":
        header["shape"] = draw(st.lists(HUGE, min_size=0, max_size=4) | JSON_VALUES)
    elif key == "size":
        header["size"] = draw(st.lists(HUGE, min_size=0, max_size=3) | JSON_VALUES)
    elif key == "dtype":
        header["dtype"] = draw(DTYPES | JSON_VALUES)
    elif key == "mode":
        header["mode"] = draw(MODES | JSON_VALUES)
    elif key == "kind":
        header["kind"] = draw(st.sampled_from(["numpy", "pil", "other"]) | JSON_VALUES)
    elif key == "pixels":
        header["pixels"] = draw(st.sampled_from(["raw", "idat", "zip"]) | JSON_VALUES)
    elif key == "schema":
        header["schema"] = draw(
            st.sampled_from(["gradio-lossless-v2", ""]) | JSON_VALUES
        )
    elif key == "fingerprint":
        header["fingerprint"] = draw(st.sampled_from(["0" * 32, "x"]) | JSON_VALUES)
    elif key == "palette":
        header["palette"] = draw(
            st.lists(st.integers(-5, 300), max_size=800) | JSON_VALUES
        )
    elif key == "palette_mode":
        header["palette_mode"] = draw(MODES | JSON_VALUES)
    elif key == "info":
        header["info"] = draw(JSON_VALUES | st.just([["dpi", {"__t": "bogus"}]]))
    elif key == "drop" and header:
        header.pop(draw(st.sampled_from(sorted(header))))
    else:
        header[draw(st.text(max_size=8))] = draw(JSON_VALUES)
    return header


def _rebuild(data: bytes, replace: dict[bytes, bytes | None], good_crc: bool) -> bytes:
    """The PNG with private chunks replaced (None drops them); CRCs recomputed."""
    out = [container.PNG_SIGNATURE]
    for kind, start, length in container.read_chunks(data):
        body = data[start : start + length]
        if kind in replace:
            new = replace[kind]
            if new is not None:
                out.append(_chunk(kind, new, good_crc=good_crc))
        else:
            out.append(_chunk(kind, body))
    return b"".join(out)


_ZEROS_8MB = zlib.compress(b"\0" * (8 << 20), 9)


@st.composite
def mangle_exact(draw: st.DrawFn, data: bytes) -> tuple[bytes, str]:
    chunks = {k: data[s : s + n] for k, s, n in container.read_chunks(data)}
    tag, header = chunks[b"glMD"][:32], json.loads(chunks[b"glMD"][32:])
    what = draw(
        st.sampled_from(
            [
                "header",
                "header",
                "header",
                "json_bytes",
                "json_other",
                "deep_json",
                "raw_bytes",
                "raw_zlib_wrong_size",
                "raw_bomb",
                "drop_meta",
                "drop_raw",
                "bad_crc",
            ]
        )
    )
    good_crc = what != "bad_crc"
    replace: dict[bytes, bytes | None] = {}
    if what in ("header", "bad_crc"):
        replace[b"glMD"] = tag + json.dumps(draw(header_mutation(header))).encode()
    elif what == "json_bytes":
        raw = chunks[b"glMD"]
        cut = draw(st.integers(0, len(raw)))
        replace[b"glMD"] = raw[:cut] + draw(st.binary(max_size=16))
    elif what == "json_other":  # valid JSON, but not an object
        replace[b"glMD"] = tag + json.dumps(draw(JSON_VALUES)).encode()
    elif what == "deep_json":  # nesting far past Python's recursion limit
        replace[b"glMD"] = tag + b"[" * 100_000 + b"]" * 100_000
    elif what == "raw_bytes":
        replace[b"glRW"] = draw(st.binary(max_size=64))
    elif what == "raw_zlib_wrong_size":
        replace[b"glRW"] = zlib.compress(draw(st.binary(max_size=256)))
    elif what == "raw_bomb":  # inflates far past what the header declares
        replace[b"glRW"] = _ZEROS_8MB
    elif what == "drop_meta":
        replace[b"glMD"] = None
    elif what == "drop_raw":
        replace[b"glRW"] = None
    out = _rebuild(data, replace, good_crc)
    if good_crc and draw(st.booleans()):
        # made with the server secret: the header is trusted, so this only tests
        # that the trusted parser ends every malformed structure in a clear error
        return exact.reseal(out, exact.server_keys()), what + "/resealed"
    return out, what


@st.composite
def corrupt_bytes(draw: st.DrawFn, data: bytes) -> tuple[bytes, str]:
    what = draw(
        st.sampled_from(["truncate", "flip", "insert", "overwrite_head", "huge_dims"])
    )
    n = len(data)
    if what == "truncate":
        return data[: draw(st.integers(0, max(0, n - 1)))], what
    if what == "flip":
        buf = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, n - 1))
            buf[i] ^= draw(st.integers(1, 255))
        return bytes(buf), what
    if what == "insert":
        i = draw(st.integers(0, n))
        return data[:i] + draw(st.binary(min_size=1, max_size=64)) + data[i:], what
    if what == "overwrite_head":
        i = draw(st.integers(0, min(n, 64)))
        patch = draw(st.binary(min_size=1, max_size=8))
        return data[:i] + patch + data[i + len(patch) :], what
    return huge_dims(data, draw(HUGE), draw(HUGE)), what


def huge_dims(data: bytes, w: int, h: int) -> bytes:
    """The same file claiming another width and height in its header."""
    w, h = w & 0xFFFFFFFF, h & 0xFFFFFFFF
    if data.startswith(container.PNG_SIGNATURE):
        _, start, length = container.read_chunks(data)[0]
        ihdr = struct.pack(">II", w, h) + data[start + 8 : start + length]
        return data[:8] + _chunk(b"IHDR", ihdr) + data[start + length + 4 :]
    if data[:2] == b"BM":
        return (
            data[:18] + struct.pack("<ii", w & 0x7FFFFFFF, h & 0x7FFFFFFF) + data[26:]
        )
    if data[:3] == b"GIF":
        return data[:6] + struct.pack("<HH", w & 0xFFFF, h & 0xFFFF) + data[10:]
    if data[:4] == b"RIFF" and data[12:16] == b"VP8 ":
        return data[:26] + struct.pack("<HH", w & 0x3FFF, h & 0x3FFF) + data[30:]
    i = data.find(b"\xff\xc0")  # JPEG SOF0
    if data[:2] == b"\xff\xd8" and i > 0:
        return (
            data[: i + 5] + struct.pack(">HH", h & 0xFFFF, w & 0xFFFF) + data[i + 9 :]
        )
    return data


NOT_IMAGES = st.sampled_from(
    [
        b"",
        b"hello, world\n",
        b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'></svg>",
        b"<html><body>not an image</body></html>",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        b"PK\x03\x04" + b"\0" * 40,
        container.PNG_SIGNATURE,
        container.PNG_SIGNATURE + _chunk(b"IHDR", b"\0" * 13),
        container.PNG_SIGNATURE + _chunk(b"glMD", b"{}") + _chunk(b"IEND", b""),
        container.PNG_SIGNATURE + struct.pack(">I", 2**31) + b"glRW",
        b"\xff\xd8\xff",
        b"GIF89a",
        b"RIFF\0\0\0\0WEBPVP8 ",
        b"II*\0" + b"\xff" * 12,
        b"BM" + b"\xff" * 60,
    ]
) | st.binary(max_size=256)


_MIB_TEXT = zlib.compress(b"a" * ((1 << 20) + 1), 9)  # 1 MiB + 1 of text, ~1 kB


@st.composite
def metadata_bomb(draw: st.DrawFn, h: int, w: int, seed: int) -> Case:
    """A small PNG or JPEG whose metadata is past a cap (text, ICC, EXIF, XMP):
    every one must be a gr.Error, decided before the metadata is inflated."""
    what = draw(st.sampled_from(["zTXt", "iTXt", "tEXt", "iCCP", "eXIf", "xmp", "COM"]))
    png = plain_image("PNG", "RGB", h, w, seed, 1)
    chunks = container.read_chunks(png)
    idat = next(s - 8 for k, s, _ in chunks if k == b"IDAT")
    count = draw(st.integers(1, 3))
    if what == "zTXt":
        extra = [_chunk(b"zTXt", b"Comment\0\0" + _MIB_TEXT)] * count
    elif what == "iTXt":
        extra = [_chunk(b"iTXt", b"Comment\0\1\0\0\0" + _MIB_TEXT)] * count
    elif what == "xmp":
        extra = [_chunk(b"iTXt", b"XML:com.adobe.xmp\0\1\0\0\0" + _MIB_TEXT)]
    elif what == "tEXt":
        extra = [_chunk(b"tEXt", b"Comment\0" + b"t" * ((1 << 20) + 1))]
    elif what == "iCCP":
        icc = zlib.compress(b"\0" * ((4 << 20) + 1), 9)
        extra = [_chunk(b"iCCP", b"icc\0\0" + icc)]
    elif what == "eXIf":
        extra = [_chunk(b"eXIf", b"MM\0*" + b"\0" * (1 << 20))]
    else:  # a JPEG comment segment repeated past the text cap
        im = PIL.Image.open(io.BytesIO(png))
        buf = io.BytesIO()
        segment = b"\xff\xfe" + struct.pack(">H", 65535) + b"c" * 65533
        im.save(buf, "JPEG")
        jpeg = buf.getvalue()
        return Case(jpeg[:2] + segment * 17 + jpeg[2:], "bomb/COM", mutated=True)
    return Case(png[:idat] + b"".join(extra) + png[idat:], f"bomb/{what}", mutated=True)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    family = draw(
        st.sampled_from(["plain", "plain", "exact", "exact", "exact", "junk", "bomb"])
    )
    h, w = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    seed = draw(st.integers(0, 2**16))
    if family == "junk":
        return Case(draw(NOT_IMAGES), "junk", mutated=True)
    if family == "bomb":
        return draw(metadata_bomb(h, w, seed))
    if family == "plain":
        fmt = draw(st.sampled_from(sorted(PLAIN_FORMATS)))
        mode = draw(st.sampled_from(PLAIN_FORMATS[fmt]))
        frames = draw(st.sampled_from([1, 1, 1, 2]))
        data = plain_image(fmt, mode, h, w, seed, frames)
        if draw(st.booleans()):
            data, what = draw(corrupt_bytes(data))
            return Case(data, f"{fmt}/{mode}/{what}", mutated=True)
        return Case(data, f"{fmt}/{mode}")
    kind = draw(st.sampled_from(EXACT_KINDS))
    value = exact_value(kind, h, w, seed)
    data = exact.encode(value, exact.server_keys())
    how = draw(st.sampled_from(["intact", "mangle", "mangle", "corrupt", "foreign"]))
    if how == "foreign":  # made by a server with another secret: a plain PNG
        data = exact.encode(value, exact.KEYS)
        return Case(data, f"exact/{kind}/foreign", mutated=True)
    if how == "intact":
        return Case(data, f"exact/{kind}", original=value)
    if how == "mangle":
        data, what = draw(mangle_exact(data))
    else:
        data, what = draw(corrupt_bytes(data))
    return Case(data, f"exact/{kind}/{what}", original=value, mutated=True)
