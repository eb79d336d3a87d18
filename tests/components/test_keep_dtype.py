"""keep_dtype=True (issue 13, item 2): values keep dtype, shape and values, and
16-bit PNG/TIFF and float TIFF uploads arrive at full depth."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import gradio as gr
import numpy as np
import PIL.Image
import pytest
import tifffile
from gradio.components.gallery import GalleryData
from gradio.data_classes import ImageData

import gradio_lossless as gl
from gradio_lossless.patching import STOCK_IMAGE

RNG = np.random.default_rng(13)


def png16(arr: np.ndarray) -> bytes:
    """A 16-bit PNG of ``arr`` (H×W or H×W×C, uint16), written by hand: no decoder
    under test wrote it."""
    h, w = arr.shape[:2]
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    color = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = arr.reshape(h, w * channels).astype(">u2")
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", w, h, 16, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def upload(tmp_path: Path, name: str, data: bytes) -> ImageData:
    path = tmp_path / name
    path.write_bytes(data)
    return ImageData(path=str(path), orig_name=name)


def tiff(arr: np.ndarray, **kwargs: object) -> bytes:
    import io

    buf = io.BytesIO()
    photometric = "rgb" if arr.ndim == 3 and arr.shape[2] >= 3 else "minisblack"
    tifffile.imwrite(buf, arr, photometric=photometric, compression="zlib", **kwargs)
    return buf.getvalue()


U16_RGB = RNG.integers(0, 65536, (6, 7, 3), dtype=np.uint16)
U16_RGBA = RNG.integers(0, 65536, (6, 7, 4), dtype=np.uint16)
U16_GREY = RNG.integers(0, 65536, (6, 7), dtype=np.uint16)
F32_RGB = RNG.normal(0.5, 0.7, (6, 7, 3)).astype(np.float32)
F32_GREY = RNG.normal(0.5, 0.7, (6, 7)).astype(np.float32)

FILES = {
    "grey16.png": (lambda: png16(U16_GREY), U16_GREY),
    "rgb16.png": (lambda: png16(U16_RGB), U16_RGB),
    "rgba16.png": (lambda: png16(U16_RGBA), U16_RGBA),
    "grey16.tif": (lambda: tiff(U16_GREY), U16_GREY),
    "rgb16.tif": (lambda: tiff(U16_RGB), U16_RGB),
    "grey32f.tif": (lambda: tiff(F32_GREY), F32_GREY),
    "rgb32f.tif": (lambda: tiff(F32_RGB), F32_RGB),
}


@pytest.mark.parametrize("name", list(FILES))
def test_deep_uploads_arrive_at_full_depth(tmp_path: Path, name: str) -> None:
    make, want = FILES[name]
    data = upload(tmp_path, name, make())
    got = gl.Image(type="numpy", image_mode=None, keep_dtype=True).preprocess(data)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
    # and the value stays exact through any number of hops from there
    comp = gl.Image(type="numpy", image_mode=None, keep_dtype=True)
    value = got
    for _ in range(5):
        served = comp.postprocess(value)
        value = comp.preprocess(ImageData(path=served.path))
    assert value.dtype == want.dtype and value.tobytes() == want.tobytes()


@pytest.mark.parametrize("name", ["grey16.png", "rgb16.png", "grey16.tif"])
def test_without_keep_dtype_deep_uploads_arrive_as_stock_reads_them(
    tmp_path: Path, name: str
) -> None:
    data = upload(tmp_path, name, FILES[name][0]())
    for mode in (None, "RGB"):
        ours = gl.Image(type="numpy", image_mode=mode).preprocess(data)
        stock = STOCK_IMAGE(type="numpy", image_mode=mode).preprocess(data)
        assert ours.dtype == stock.dtype and ours.tobytes() == stock.tobytes()


def test_a_float_colour_tiff_is_refused_clearly_without_keep_dtype(
    tmp_path: Path,
) -> None:
    data = upload(tmp_path, "rgb32f.tif", FILES["rgb32f.tif"][0]())
    with pytest.raises(gr.Error) as info:
        gl.Image(type="numpy").preprocess(data)
    assert info.value.message == (
        "Image 'rgb32f.tif': not an image file Pillow can read"
    )


@pytest.mark.parametrize(
    ("name", "mode", "want"),
    [
        ("grey16.png", "RGB", np.repeat(U16_GREY[:, :, None], 3, axis=2)),
        ("grey16.png", "RGBA", np.dstack([U16_GREY] * 3 + [np.full((6, 7), 65535)])),
        ("rgba16.png", "RGB", U16_RGBA[:, :, :3]),
        ("rgb16.tif", "RGBA", np.dstack([U16_RGB, np.full((6, 7), 65535)])),
        ("grey32f.tif", "RGB", np.repeat(F32_GREY[:, :, None], 3, axis=2)),
        ("rgb32f.tif", "RGBA", np.dstack([F32_RGB, np.ones((6, 7))])),
    ],
)
def test_image_mode_keeps_the_dtype(
    tmp_path: Path, name: str, mode: str, want: np.ndarray
) -> None:
    data = upload(tmp_path, name, FILES[name][0]())
    got = gl.Image(type="numpy", image_mode=mode, keep_dtype=True).preprocess(data)
    want = want.astype(FILES[name][1].dtype)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want)


def test_colour_to_grey_is_pillows_luma_at_full_depth(tmp_path: Path) -> None:
    data = upload(tmp_path, "rgb16.png", FILES["rgb16.png"][0]())
    got = gl.Image(type="numpy", image_mode="L", keep_dtype=True).preprocess(data)
    r, g, b = (U16_RGB[:, :, i].astype(np.float64) for i in range(3))
    want = np.rint(0.299 * r + 0.587 * g + 0.114 * b).astype(np.uint16)
    assert got.dtype == np.uint16 and np.array_equal(got, want)
    # on 8-bit values the same conversion is Pillow's own
    rgb8 = (U16_RGB >> 8).astype(np.uint8)
    path = tmp_path / "rgb8.png"
    PIL.Image.fromarray(rgb8).save(path)
    got8 = gl.Image(type="numpy", image_mode="L", keep_dtype=True).preprocess(
        ImageData(path=str(path), orig_name="rgb8.png")
    )
    assert np.array_equal(got8, np.asarray(PIL.Image.fromarray(rgb8).convert("L")))


def test_pil_and_filepath_types(tmp_path: Path) -> None:
    data = upload(tmp_path, "rgb16.png", FILES["rgb16.png"][0]())
    im = gl.Image(type="pil", image_mode=None, keep_dtype=True).preprocess(data)
    stock = STOCK_IMAGE(type="pil", image_mode=None).preprocess(data)
    assert im.mode == "RGB" and im.tobytes() == stock.tobytes()  # PIL holds 8 bits
    path = gl.Image(type="filepath", keep_dtype=True).preprocess(data)
    assert path == data.path  # the upload itself: it holds the value
    converted = gl.Image(type="filepath", image_mode="RGBA", keep_dtype=True)
    out = converted.preprocess(data)
    assert Path(out).name == "rgb16.tiff"
    read = tifffile.imread(out)
    assert read.dtype == np.uint16 and np.array_equal(read[:, :, :3], U16_RGB)


def test_tiff_orientation_is_applied_by_image_not_by_gallery(tmp_path: Path) -> None:
    data = upload(tmp_path, "turned.tif", tiff(U16_RGB, extratags=[(274, 3, 1, 6)]))
    got = gl.Image(type="numpy", image_mode=None, keep_dtype=True).preprocess(data)
    assert np.array_equal(got, np.rot90(U16_RGB, -1))  # as exif_transpose turns it
    payload = GalleryData.model_validate([{"image": data.model_dump()}])
    items = gl.Gallery(type="numpy", keep_dtype=True).preprocess(payload)
    assert np.array_equal(items[0][0], U16_RGB)  # stock Gallery applies none


def test_gallery_uploads_and_values_keep_their_dtype(tmp_path: Path) -> None:
    data = upload(tmp_path, "rgb16.png", FILES["rgb16.png"][0]())
    payload = GalleryData.model_validate([{"image": data.model_dump()}])
    g = gl.Gallery(type="numpy", keep_dtype=True)
    items = g.preprocess(payload)
    assert items[0][0].dtype == np.uint16 and np.array_equal(items[0][0], U16_RGB)
    served = g.postprocess([items[0][0], F32_GREY])
    back = g.preprocess(GalleryData.model_validate(served.model_dump()))
    assert back[0][0].tobytes() == U16_RGB.tobytes()
    assert back[1][0].dtype == np.float32 and back[1][0].tobytes() == F32_GREY.tobytes()


def test_a_corrupt_deep_upload_gets_a_gr_error(tmp_path: Path) -> None:
    good = FILES["rgb16.png"][0]()
    data = upload(tmp_path, "bad16.png", good[:60])
    with pytest.raises(gr.Error) as info:
        gl.Image(type="numpy", keep_dtype=True).preprocess(data)
    assert info.value.message.startswith("Image 'bad16.png': ")
    data = upload(tmp_path, "bad.tif", FILES["rgb16.tif"][0]()[:40])
    with pytest.raises(gr.Error) as info:
        gl.Image(type="numpy", keep_dtype=True).preprocess(data)
    assert info.value.message.startswith("Image 'bad.tif': truncated or corrupt")


def test_without_imagecodecs_a_16_bit_colour_png_gets_the_install_hint(
    tmp_path: Path,
) -> None:
    """imagecodecs is optional (the keep-dtype extra): a process where it cannot be
    imported refuses such an upload with the hint, and reads every other file."""
    rgb = tmp_path / "rgb16.png"
    rgb.write_bytes(FILES["rgb16.png"][0]())
    grey = tmp_path / "grey16.png"
    grey.write_bytes(FILES["grey16.png"][0]())
    code = (
        "import sys\n"
        "sys.modules['imagecodecs'] = None  # not installed\n"
        "import gradio as gr, gradio_lossless as gl\n"
        "from gradio.data_classes import ImageData\n"
        "c = gl.Image(type='numpy', image_mode=None, keep_dtype=True)\n"
        "print(c.preprocess(ImageData(path=sys.argv[2], orig_name='g.png')).dtype)\n"
        "try:\n"
        "    c.preprocess(ImageData(path=sys.argv[1], orig_name='rgb16.png'))\n"
        "except gr.Error as e:\n"
        "    print(e.message)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(rgb), str(grey)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.splitlines()
    assert out == [
        "uint16",
        "Image 'rgb16.png': a 16-bit colour PNG is read at full depth only with "
        "imagecodecs installed: pip install 'gradio-lossless[keep-dtype]'",
    ]


def test_returned_values_keep_everything(tmp_path: Path) -> None:
    comp = gl.Image(type="numpy", image_mode=None, keep_dtype=True)
    for value in (F32_RGB, U16_RGBA, np.arange(12, dtype=np.int64).reshape(3, 4)):
        served = comp.postprocess(value)
        got = comp.preprocess(ImageData(path=served.path))
        assert got.dtype == value.dtype and got.tobytes() == value.tobytes()
    f = PIL.Image.fromarray(F32_GREY)
    pil = gl.Image(type="pil", image_mode=None, keep_dtype=True)
    got = pil.preprocess(ImageData(path=pil.postprocess(f).path))
    assert got.mode == "F" and got.tobytes() == f.tobytes()
