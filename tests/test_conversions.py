"""Property tests for the exact layer: conversions and the exact PNG container."""

from __future__ import annotations

import io
import json
import struct
import zlib

import hypothesis.extra.numpy as hnp
import numpy as np
import PIL.Image
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradio_lossless.codecs import container
from gradio_lossless.core import conversions
from gradio_lossless.core.described import is_png_native
from gradio_lossless.core.errors import (
    CorruptImageError,
    LimitError,
    UnsupportedImageError,
)
from gradio_lossless.core.keys import Keys
from tests import exact
from tests.samples import array_values, pil_values

DTYPES = [
    "bool",
    "uint8",
    "uint16",
    "int16",
    "int32",
    "int64",
    "uint64",
    "float16",
    "float32",
    "float64",
]

arrays = st.sampled_from(DTYPES).flatmap(
    lambda dt: hnp.arrays(
        dtype=np.dtype(dt),
        shape=st.tuples(st.integers(1, 9), st.integers(1, 9)).flatmap(
            lambda hw: st.sampled_from([hw, (*hw, 1), (*hw, 2), (*hw, 3), (*hw, 4)])
        ),
        elements={"allow_nan": True, "allow_infinity": True}
        if dt.startswith("float")
        else None,
    )
)

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
metadata = st.fixed_dictionaries(
    {},
    optional={
        "parameters": text,
        "Comment": text,
        "dpi": st.tuples(st.floats(1, 2000), st.floats(1, 2000)),
        "icc_profile": st.binary(min_size=1, max_size=64),
        "exif": st.binary(min_size=8, max_size=64).map(lambda b: b"Exif\x00\x00" + b),
    },
)
MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F", "CMYK", "YCbCr"]


@st.composite
def pil_images(draw: st.DrawFn) -> PIL.Image.Image:
    mode = draw(st.sampled_from(MODES))
    w, h = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    probe = PIL.Image.new(mode, (1, 1))
    raw = draw(
        st.binary(
            min_size=len(probe.tobytes()) * w * h, max_size=len(probe.tobytes()) * w * h
        )
    )
    im = PIL.Image.frombytes(mode, (w, h), raw)
    if mode == "P":
        im.putpalette(
            draw(
                st.lists(st.integers(0, 255), min_size=3, max_size=768).filter(
                    lambda p: len(p) % 3 == 0
                )
            )
        )
        if draw(st.booleans()):
            im.info["transparency"] = draw(st.integers(0, 255))
    im.info.update(draw(metadata))
    return im


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays)
def test_any_array_round_trips_through_the_exact_png(arr: np.ndarray) -> None:
    decoded = exact.decode(exact.encode(arr))
    assert decoded.exact
    assert isinstance(decoded.value, np.ndarray)
    assert decoded.value.dtype == arr.dtype
    assert decoded.value.shape == arr.shape
    assert decoded.value.tobytes() == arr.tobytes()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pil_images())
def test_any_pil_image_round_trips_with_mode_palette_and_metadata(
    im: PIL.Image.Image,
) -> None:
    decoded = exact.decode(exact.encode(im))
    assert decoded.exact
    out = decoded.value
    assert isinstance(out, PIL.Image.Image)
    assert out.mode == im.mode and out.size == im.size
    assert out.tobytes() == im.tobytes()
    assert out.info == im.info
    if im.mode == "P":
        assert out.getpalette() == im.getpalette()


@settings(max_examples=100, deadline=None)
@given(pil_images())
def test_the_exact_png_is_a_png_pillow_reads_with_standard_metadata(
    im: PIL.Image.Image,
) -> None:
    data = exact.encode(im)
    plain = PIL.Image.open(io.BytesIO(data))
    plain.load()
    assert plain.format == "PNG"
    if is_png_native(im):
        assert plain.mode == im.mode and plain.tobytes() == im.tobytes()
        for key in ("parameters", "Comment", "icc_profile"):
            if im.info.get(key):
                assert plain.info[key] == im.info[key]


@pytest.mark.parametrize("name", list(pil_values()))
def test_every_promised_pil_mode_is_png_readable_or_previewed(name: str) -> None:
    im = pil_values()[name]
    data = exact.encode(im)
    plain = PIL.Image.open(io.BytesIO(data))
    assert plain.mode == (im.mode if name not in ("I", "F") else "L")
    assert plain.info["parameters"] == im.info["parameters"]


@pytest.mark.parametrize("name", list(array_values()))
def test_fingerprint_changes_with_any_single_pixel(name: str) -> None:
    arr = array_values()[name]
    changed = arr.copy()
    flat = changed.reshape(-1)
    flat[5] = not flat[5] if arr.dtype == bool else flat[5] + 1
    assert conversions.fingerprint(arr) != conversions.fingerprint(changed)
    assert conversions.fingerprint(arr) == conversions.fingerprint(arr.copy())


def test_fingerprint_sees_metadata_and_mode() -> None:
    im = pil_values()["RGB"]
    other = im.copy()
    other.info = dict(im.info, parameters="steps: 31")
    assert conversions.fingerprint(im) != conversions.fingerprint(other)
    assert conversions.fingerprint(im.convert("L")) != conversions.fingerprint(
        im.convert("L").convert("P")
    )


def test_a_file_from_a_server_with_another_secret_is_a_plain_png() -> None:
    value = array_values()["float32[24, 32, 3]"]
    other = Keys(b"another server's secret, 32+ bytes")
    out = exact.decode(exact.encode(value, other))
    assert not out.exact and out.address is None
    assert isinstance(out.value, PIL.Image.Image) and out.value.mode == "RGB"
    assert np.array_equal(np.asarray(out.value), conversions.preview_uint8(value))


def test_an_exact_png_with_a_forged_header_is_a_plain_png() -> None:
    arr = array_values()["uint8[24, 32, 3]"]
    data = exact.encode(arr)
    chunks = {k: (s, n) for k, s, n in container.read_chunks(data)}
    s, n = chunks[b"glMD"]
    header = json.loads(data[s + 32 : s + n])
    header.update(kind="numpy", dtype="<f8", shape=[9459, 9459, 4], pixels="raw")
    body = data[s + 32 : s + n].replace(
        data[s + 32 : s + n], json.dumps(header).encode()
    )
    glmd = data[s : s + 32] + body
    chunk = (
        struct.pack(">I", len(glmd))
        + b"glMD"
        + glmd
        + struct.pack(">I", zlib.crc32(b"glMD" + glmd))
    )
    forged = data[: s - 8] + chunk + data[s + n + 4 :]
    inspected = exact.inspect(forged)
    assert inspected.address is None and inspected.header is None
    assert inspected.pixel_bytes == 32 * 24 * 4  # the visible RGB image, not 2.8 GB
    out = exact.decode(forged)
    assert not out.exact and np.array_equal(np.asarray(out.value), arr)


def test_a_tampered_exact_png_decodes_as_the_plain_png_it_now_is() -> None:
    arr = array_values()["uint8[24, 32, 3]"]
    data = bytearray(exact.encode(arr))
    # rewrite the pixels: re-encode different pixels but keep our chunks
    other = exact.encode(255 - arr)
    chunks = {k: (s, n) for k, s, n in container.read_chunks(bytes(data))}
    s, n = chunks[b"glMD"]
    meta = bytes(data[s - 8 : s + n + 4])
    ochunks = container.read_chunks(other)
    idat = next(s2 for k, s2, _ in ochunks if k == b"IDAT") - 8
    forged = other[:idat] + meta + other[idat:]
    out = exact.decode(forged)
    assert not out.exact
    assert np.array_equal(np.asarray(out.value), 255 - arr)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            np.zeros((2, 2, 2, 2, 2), np.uint8),
            r"unsupported shape \(2, 2, 2, 2, 2\) for image array of dtype uint8",
        ),
        (
            np.zeros((4, 4, 3), np.complex64),
            r"unsupported dtype complex64 for image of shape \(4, 4, 3\); "
            r"expected one of bool, uint8",
        ),
        (np.zeros((4, 4, 7), np.uint8), r"unsupported shape \(4, 4, 7\)"),
        (np.zeros((0, 4), np.uint8), r"empty image array of shape \(0, 4\)"),
        ({"a": 1}, r"cannot use object of type dict as an image"),
        ("not a path", r"cannot use str 'not a path' as an image"),
    ],
)
def test_unsupported_values_are_named(value: object, message: str) -> None:
    with pytest.raises(UnsupportedImageError, match=message):
        conversions.check_value(value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not an image file Pillow can read"),
        (b"hello world, not an image", "not an image file Pillow can read"),
    ],
)
def test_non_images_raise_corrupt_image_error(data: bytes, message: str) -> None:
    with pytest.raises(CorruptImageError, match=message):
        exact.decode(data)


def test_truncated_files_raise_corrupt_image_error() -> None:
    data = exact.encode(array_values()["uint8[24, 32, 3]"])
    with pytest.raises(CorruptImageError, match=r"truncated|corrupt|past the end"):
        exact.decode(data[: len(data) // 2])


def test_a_decompression_bomb_is_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buf = io.BytesIO()
    PIL.Image.new("L", (64, 64)).save(buf, "PNG")
    monkeypatch.setattr(PIL.Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(CorruptImageError, match=r"decompression bomb"):
        exact.inspect(buf.getvalue())


def test_the_decoded_size_cap_holds_for_plain_and_exact_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRADIO_LOSSLESS_MAX_DECODED_BYTES", "10000")
    buf = io.BytesIO()
    PIL.Image.new("RGBA", (60, 50)).save(buf, "PNG")
    with pytest.raises(
        LimitError,
        match=r"^60×50 RGBA decodes to 12000 bytes, over the limit of 10000 bytes "
        r"\(GRADIO_LOSSLESS_MAX_DECODED_BYTES\)$",
    ):
        exact.inspect(buf.getvalue())
    with pytest.raises(LimitError, match=r"^50×60×2 <f4 decodes to 24000 bytes"):
        exact.inspect(exact.encode(np.zeros((50, 60, 2), np.float32)))


def test_to_numpy_keeps_dtype_and_shape_when_layout_matches_image_mode() -> None:
    arr = array_values()["uint16[24, 32, 3]"]
    out = conversions.to_numpy(arr, "RGB")
    assert out.dtype == np.uint16 and np.array_equal(out, arr)
    assert out is not arr
    gray = conversions.to_numpy(array_values()["uint8[24, 32]"], "RGB")
    assert gray.shape == (24, 32, 3) and gray.dtype == np.uint8


def test_pil_to_array_gives_clean_bools() -> None:
    im = pil_values()["1"]
    arr = conversions.pil_to_array(im)
    assert arr.dtype == bool
    assert set(np.unique(arr.view(np.uint8))) <= {0, 1}


def test_inspect_reads_the_pixel_size_from_headers_only() -> None:
    arr = np.zeros((30, 40, 3), np.float32)
    assert exact.inspect(exact.encode(arr)).pixel_bytes == 30 * 40 * 3 * 4
    im = PIL.Image.new("RGB", (40, 30))
    assert exact.inspect(exact.encode(im)).pixel_bytes == 40 * 30 * 4
    buf = io.BytesIO()
    PIL.Image.new("L", (4000, 3000)).save(buf, "JPEG")
    assert exact.inspect(buf.getvalue()).pixel_bytes == 4000 * 3000
    PIL.Image.new("I;16", (400, 300)).save(buf := io.BytesIO(), "PNG")
    assert exact.inspect(buf.getvalue()).pixel_bytes == 400 * 300 * 2
    with pytest.raises(CorruptImageError, match="not an image file Pillow can read"):
        exact.inspect(b"not an image")


@settings(max_examples=200, deadline=None)
@given(
    arr=st.sampled_from(["uint16", "int32", "int64", "float32", "float64"]).flatmap(
        lambda dt: hnp.arrays(
            np.dtype(dt),
            st.sampled_from([(3, 4), (3, 4, 1), (3, 4, 2), (3, 4, 3), (3, 4, 4)]),
            elements={"allow_nan": False, "allow_infinity": False}
            if dt.startswith("float")
            else None,
        )
    ),
    mode=st.sampled_from(["L", "LA", "RGB", "RGBA"]),
)
def test_convert_layout_keeps_the_dtype(arr: np.ndarray, mode: str) -> None:
    out = conversions.convert_layout(arr, mode)
    channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode]
    assert out.dtype == arr.dtype
    assert out.shape[:2] == arr.shape[:2]
    assert (1 if out.ndim == 2 else out.shape[2]) == channels
    planes = arr if arr.ndim == 3 else arr[:, :, None]
    if planes.shape[2] in (1, 2) and mode in ("RGB", "RGBA"):  # grey repeated
        assert all(np.array_equal(out[:, :, i], planes[:, :, 0]) for i in range(3))
    if mode in ("LA", "RGBA") and planes.shape[2] in (2, 4):  # alpha kept
        assert np.array_equal(out[:, :, -1], planes[:, :, -1])
    if mode in ("LA", "RGBA") and planes.shape[2] in (1, 3):  # alpha opaque
        opaque = np.iinfo(arr.dtype).max if arr.dtype.kind in "iu" else 1.0
        assert (out[:, :, -1] == opaque).all()


def test_convert_layout_leaves_8_bit_and_other_modes_to_pillow() -> None:
    rgb8 = np.zeros((2, 2, 3), np.uint8)
    assert conversions.convert_layout(rgb8, "L") is rgb8
    deep = np.zeros((2, 2, 3), np.uint16)
    assert conversions.convert_layout(deep, "CMYK") is deep
    assert conversions.convert_layout(deep, "RGB") is deep


def test_nbytes_counts_what_pillow_really_allocates() -> None:
    # Pillow keeps RGB in 4 bytes a pixel, I;16 in 2, L/P in 1
    assert conversions.nbytes(PIL.Image.new("RGB", (100, 10))) == 4000 + 1024
    assert conversions.nbytes(PIL.Image.new("I;16", (100, 10))) == 2000 + 1024
    assert conversions.nbytes(PIL.Image.new("P", (100, 10))) == 1000 + 1024
    assert conversions.nbytes(np.zeros((10, 100, 3), np.uint16)) == 6000


def test_nbytes_counts_metadata() -> None:
    im = PIL.Image.new("L", (100, 10))
    im.info.update(comment="x" * 50_000, icc_profile=b"\0" * 70_000, dpi=(72, 72))
    assert conversions.nbytes(im) >= 1000 + 50_000 + 70_000
    assert conversions.nbytes(im) < 1000 + 50_000 + 70_000 + 2048


def test_a_png_of_a_million_tiny_chunks_is_read_as_plain_without_listing_them() -> None:
    buf = io.BytesIO()
    PIL.Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    png = buf.getvalue()
    idat = png.index(b"IDAT") - 4
    noise = struct.pack(">I", 0) + b"zzZz" + struct.pack(">I", zlib.crc32(b"zzZz"))
    data = png[:idat] + noise * (container.MAX_CHUNKS + 10) + png[idat:]
    with pytest.raises(CorruptImageError, match="more than 65536 chunks"):
        container.read_chunks(data)
    out = exact.decode(data)  # Pillow skips the unknown chunks
    assert not out.exact and out.value.getpixel((0, 0)) == (255, 0, 0)
