"""Regression tests for the src bugs the reliability work (fuzzing, review) found:
a raw-chunk bomb under the pixel limit, a stale path index, malformed glMD headers,
and a junk data: URL. Each failed before its fix."""

from __future__ import annotations

import json
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
from gradio.data_classes import ImageData

import gradio_lossless as gl
from gradio_lossless.codecs import container
from gradio_lossless.core.errors import LimitError
from tests import exact


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data))
    )


def raw_bomb(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """An exact PNG whose glRW inflates to a zero array of ``shape``: a ~1000:1
    zlib stream, so the file is about a thousandth of the bytes it declares."""
    expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
    co = zlib.compressobj(9)
    block = b"\0" * (32 << 20)
    parts, left = [], expected
    while left > 0:
        parts.append(co.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(co.flush())
    base = exact.encode(np.zeros((2, 2), np.float64))
    out = [container.PNG_SIGNATURE]
    for kind, start, length in container.read_chunks(base):
        data = base[start : start + length]
        if kind == b"glMD":
            header = json.loads(data[32:])
            header.update(shape=list(shape), dtype=dtype)
            data = data[:32] + json.dumps(header).encode()
        elif kind == b"glRW":
            data = b"".join(parts)
        out.append(_chunk(kind, data))
    return b"".join(out)


def test_a_forged_header_declaring_800_mb_is_a_plain_png_never_inflated() -> None:
    data = raw_bomb((5000, 5000, 4))
    assert len(data) < 1 << 20
    inspected = exact.inspect(data)
    assert inspected.header is None and inspected.pixel_bytes == 2 * 2  # its L preview
    out = exact.decode(data)
    assert not out.exact and out.value.size == (2, 2)


def test_a_sealed_header_declaring_800_mb_is_over_the_decoded_size_cap() -> None:
    data = exact.reseal(raw_bomb((5000, 5000, 4)), exact.KEYS)
    with pytest.raises(
        LimitError,
        match=r"^5000×5000×4 <f8 decodes to 800000000 bytes, over the limit of "
        r"536870912 bytes \(GRADIO_LOSSLESS_MAX_DECODED_BYTES\)$",
    ):
        exact.inspect(data)


def test_a_file_rewritten_at_the_same_path_gives_its_new_value() -> None:
    path = Path(tempfile.mkdtemp(prefix="gl-path-")) / "upload.png"
    a = np.zeros((4, 4, 3), np.uint8)
    b = np.full((4, 4, 3), 255, np.uint8)
    component = gl.Image(type="numpy", image_mode=None)
    path.write_bytes(exact.encode(a, exact.server_keys()))
    assert np.array_equal(component.preprocess(ImageData(path=str(path))), a)
    path.write_bytes(exact.encode(b, exact.server_keys()))
    assert np.array_equal(component.preprocess(ImageData(path=str(path))), b)


def _with_header(value: object, **changes: object) -> bytes:
    """The exact PNG of ``value`` with glMD keys changed (CRCs kept valid, the
    MAC now wrong)."""
    data = exact.encode(value, exact.server_keys())  # type: ignore[arg-type]
    out = [container.PNG_SIGNATURE]
    for kind, start, length in container.read_chunks(data):
        body = data[start : start + length]
        if kind == b"glMD":
            body = body[:32] + (
                changes.pop("__raw__", None)
                or json.dumps({**json.loads(body[32:]), **changes}).encode()
            )
        out.append(_chunk(kind, body))
    return b"".join(out)


def _palette_image() -> object:
    return PIL.Image.fromarray(
        np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    ).convert("P", palette=PIL.Image.Palette.ADAPTIVE, colors=8)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            lambda: _with_header(_palette_image(), size=[4]), id="size-one-number"
        ),
        pytest.param(
            lambda: _with_header(_palette_image(), size=""), id="size-empty-string"
        ),
        pytest.param(
            lambda: _with_header(np.zeros((3, 4, 3), np.float32), __raw__=b"[]"),
            id="glMD-a-list",
        ),
        pytest.param(
            lambda: _with_header(np.zeros((3, 4, 3), np.float32), __raw__=b"null"),
            id="glMD-null",
        ),
        pytest.param(
            lambda: _with_header(_palette_image(), palette_mode=0),
            id="palette_mode-int",
        ),
    ],
)
def test_a_malformed_glmd_header_is_read_as_a_plain_png(data) -> None:  # type: ignore[no-untyped-def]
    path = Path(tempfile.mkdtemp(prefix="gl-hdr-")) / "upload.png"
    path.write_bytes(data())
    got = gl.Image(type="numpy", image_mode=None).preprocess(ImageData(path=str(path)))
    assert isinstance(got, np.ndarray)


def test_a_junk_data_url_gets_a_gr_error() -> None:
    import gradio as gr

    with pytest.raises(gr.Error):
        gl.Image(type="numpy").preprocess(
            ImageData(path=None, url="data:image/png;base64,AAAA")
        )
