"""gradio_lossless.Image in-process: the browser's hop is postprocess -> the served
path handed back -> preprocess, which is exactly what these tests do."""

from __future__ import annotations

import inspect
import io
import os
import subprocess
import sys
from pathlib import Path

import gradio as gr
import numpy as np
import PIL.Image
import pytest
from gradio.data_classes import ImageData

import gradio_lossless as gl
from gradio_lossless.codecs import spec
from gradio_lossless.core import conversions
from gradio_lossless.store.store import get_store
from tests.samples import array_values, photo, pil_values

PIL_VALUES = pil_values()
ARRAYS = array_values()


def hop(src: gr.Image, dst: gr.Image, value: object) -> object:
    data = src.postprocess(value)
    assert data is not None
    return dst.preprocess(ImageData(path=data.path, orig_name=data.orig_name))


def forget(component: gr.Image) -> None:
    get_store(component.GRADIO_CACHE).forget()


def test_signature_defaults_and_api_info_match_stock() -> None:
    ours = inspect.signature(gl.Image.__init__).parameters
    stock = inspect.signature(gr.Image.__init__).parameters
    assert list(ours) == [*stock, "keep_dtype"]  # a superset: one keyword at the end
    assert ours["keep_dtype"].kind is inspect.Parameter.KEYWORD_ONLY
    assert ours["keep_dtype"].default is False
    changed = {n for n in stock if stock[n].default != ours[n].default}
    assert changed == set()  # format too: "webp", as stock
    assert ours["format"].default == "webp" == gl.Image().format
    for kind in ("pil", "numpy", "filepath"):
        assert gl.Image(type=kind).api_info() == gr.Image(type=kind).api_info()
    config = gl.Image(label="x", height=100, image_mode="L").get_config()
    stock_config = gr.Image(label="x", height=100, image_mode="L").get_config()
    assert config["format"] == stock_config["format"] == "webp"
    assert "keep_dtype" not in config and "display" not in config  # not for browsers
    assert config["name"] == "image"
    assert {k: v for k, v in config.items() if k != "_selectable"} == {
        k: v for k, v in stock_config.items() if k != "_selectable"
    }


def test_bad_constructor_arguments_are_named() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        gl.Image(colour="red")
    with pytest.raises(
        ValueError,
        match="Invalid value for parameter `format`: unknown image format 'wepb'",
    ):
        gl.Image(format="wepb")
    with pytest.raises(ValueError, match="Invalid value for parameter `type`"):
        gl.Image(type="tensor")


def test_docstring_is_stocks_with_our_format_line() -> None:
    doc = gl.Image.__init__.__doc__
    assert "label: the label for this component" in doc
    assert (
        "format: The format whose name the files served for the image take, as "
        'stock names them ("webp", the default, serves image.webp). Unlike stock, '
        "such a file always holds the exact value: a PNG whatever its name"
    ) in " ".join(doc.split())
    assert "keep_dtype: If False (the default), the next function receives" in doc


@pytest.mark.parametrize("mode", list(PIL_VALUES))
def test_pil_values_are_exact_after_1000_hops(mode: str) -> None:
    a = gl.Image(type="pil", image_mode=None, keep_dtype=True)
    b = gl.Image(type="pil", image_mode=None, keep_dtype=True)
    original = PIL_VALUES[mode]
    value: object = original
    for i in range(1000):
        if i % 100 == 0:
            forget(a)  # every 100th hop reads the file, as a restarted server would
        value = hop(a, b, value)
        a, b = b, a
    assert isinstance(value, PIL.Image.Image)
    assert value.mode == original.mode
    assert value.tobytes() == original.tobytes()
    assert value.info == original.info
    assert conversions.values_equal(value, original)
    if mode == "P":
        assert value.getpalette() == original.getpalette()
        assert value.info["transparency"] == 3


@pytest.mark.parametrize("name", list(ARRAYS))
def test_arrays_are_exact_after_1000_hops(name: str) -> None:
    a = gl.Image(type="numpy", image_mode=None, keep_dtype=True)
    original = ARRAYS[name]
    value: object = original
    for i in range(1000):
        if i % 100 == 0:
            forget(a)
        value = hop(a, a, value)
    assert isinstance(value, np.ndarray)
    assert value.dtype == original.dtype
    assert value.shape == original.shape
    assert value.tobytes() == original.tobytes()


def test_the_function_gets_a_private_copy() -> None:
    comp = gl.Image(type="numpy", image_mode=None)
    arr = photo(16, 16)
    data = comp.postprocess(arr)
    arr[:] = 0  # the caller mutating its own array afterwards changes nothing
    first = comp.preprocess(ImageData(path=data.path))
    first[:] = 1  # nor does the next function mutating its input
    second = comp.preprocess(ImageData(path=data.path))
    assert np.array_equal(second, photo(16, 16))


def test_pass_through_serves_the_same_file() -> None:
    comp = gl.Image(type="numpy")
    data = comp.postprocess(photo(32, 32))
    again = comp.postprocess(comp.preprocess(ImageData(path=data.path)))
    assert again.path == data.path


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGBA", "I;16"])
def test_default_image_mode_converts_exactly_as_stock_does_from_a_lossless_file(
    mode: str,
) -> None:
    original = PIL_VALUES[mode]
    ours = hop(gl.Image(type="pil"), gl.Image(type="pil"), original)
    stock_png = gr.Image(type="pil", format="png")
    expected = hop(stock_png, stock_png, original)
    assert ours.mode == expected.mode == "RGB"
    assert ours.tobytes() == expected.tobytes()


def test_mixed_chain_pil_numpy_filepath_pil() -> None:
    original = PIL_VALUES["RGBA"]
    pil_c = gl.Image(type="pil", image_mode=None)
    np_c = gl.Image(type="numpy", image_mode=None)
    fp_c = gl.Image(type="filepath", image_mode=None)
    arr = hop(pil_c, np_c, original)
    assert arr.dtype == np.uint8 and np.array_equal(arr, np.array(original))
    path = hop(np_c, fp_c, arr)
    assert isinstance(path, str)
    with PIL.Image.open(path) as f:
        assert f.mode == "RGBA" and f.tobytes() == original.tobytes()
    back = hop(fp_c, pil_c, path)  # the function returns the path it got
    assert back.mode == "RGBA" and back.tobytes() == original.tobytes()


@pytest.mark.parametrize(
    "name", ["float32[24, 32]", "float32[24, 32, 3]", "uint16[24, 32, 4]"]
)
def test_filepath_gets_an_exact_standard_file_for_values_png_cannot_hold(
    name: str,
) -> None:
    import tifffile

    original = ARRAYS[name]
    path = hop(
        gl.Image(type="numpy", image_mode=None, keep_dtype=True),
        gl.Image(type="filepath", image_mode=None, keep_dtype=True),
        original,
    )
    assert path.endswith(".tiff")
    read = tifffile.imread(path)
    assert read.dtype == original.dtype and np.array_equal(
        read.reshape(original.shape), original
    )
    # and handing that path on gives the exact value again
    back = hop(
        gl.Image(type="filepath", image_mode=None, keep_dtype=True),
        gl.Image(type="numpy", image_mode=None, keep_dtype=True),
        path,
    )
    assert back.dtype == original.dtype and back.tobytes() == original.tobytes()


@pytest.mark.parametrize("fmt", ["webp", "jpeg", "gif", "tiff"])
def test_any_format_names_the_file_but_serves_the_exact_png(fmt: str) -> None:
    comp = gl.Image(type="numpy", format=fmt, image_mode=None)
    original = photo(64, 64)
    data = comp.postprocess(original)
    served = Path(data.path)
    assert served.name == f"image.{spec(fmt).extension}"  # as stock names it
    exact_png = served.with_name("exact.png")
    assert os.path.samefile(served, exact_png)  # one file, two names
    with PIL.Image.open(served) as im:
        assert im.format == "PNG"
        assert np.array_equal(np.asarray(im), original)
    forget(comp)
    value = comp.preprocess(ImageData(path=data.path, orig_name=served.name))
    assert np.array_equal(value, original)
    fp = gl.Image(type="filepath", format=fmt, image_mode=None)
    path = fp.preprocess(ImageData(path=data.path))
    assert Path(path) == exact_png  # a path whose name says what it holds
    assert np.array_equal(np.asarray(PIL.Image.open(path)), original)


def test_metadata_survives_hops_and_is_in_the_served_file() -> None:
    im = PIL_VALUES["RGB"].copy()
    im.info["icc_profile"] = PIL.Image.core.__dict__.get("dummy", b"") or _srgb_icc()
    exif = PIL.Image.Exif()
    exif[0x010F] = "Camera Maker"
    im.info["exif"] = exif.tobytes()
    comp = gl.Image(type="pil", image_mode=None)
    value: object = im
    for _ in range(50):
        value = hop(comp, comp, value)
    assert value.info == im.info
    served = comp.postprocess(value).path
    with PIL.Image.open(served) as f:
        assert f.info["parameters"] == im.info["parameters"]
        assert f.info["icc_profile"] == im.info["icc_profile"]
        assert round(f.info["dpi"][0]) == 300
        assert f.getexif()[0x010F] == "Camera Maker"


def _srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_an_upload_is_kept_byte_for_byte_for_filepath(tmp_path: Path) -> None:
    src = tmp_path / "upload.png"
    im = PIL_VALUES["RGB"]
    im.save(src, pnginfo=_pnginfo({"parameters": "p"}))
    path = gl.Image(type="filepath").preprocess(
        ImageData(path=str(src), orig_name="upload.png")
    )
    assert Path(path).read_bytes() == src.read_bytes()


def _pnginfo(text: dict[str, str]) -> object:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for k, v in text.items():
        info.add_text(k, v)
    return info


def test_exif_orientation_is_applied_to_uploads_like_stock(tmp_path: Path) -> None:
    src = tmp_path / "rotated.jpg"
    exif = PIL.Image.Exif()
    exif[274] = 6
    PIL.Image.fromarray(photo(20, 40)).save(src, exif=exif.tobytes(), quality=95)
    payload = ImageData(path=str(src), orig_name="rotated.jpg")
    ours = gl.Image(type="numpy").preprocess(payload)
    stock = gr.Image(type="numpy").preprocess(payload)
    assert ours.shape == (40, 20, 3)
    assert np.array_equal(ours, stock)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            np.zeros((2, 3, 4, 5, 6), np.uint8),
            "Image output: unsupported shape (2, 3, 4, 5, 6) for image array "
            "of dtype uint8",
        ),
        (
            "no/such/file.png",
            "Image output: cannot use str 'no/such/file.png' as an image: no such file",
        ),
        (object(), "Image output: cannot use object of type object as an image"),
        (
            np.zeros((3, 3), np.complex128),
            "Image output: unsupported dtype complex128 for image of shape (3, 3)",
        ),
    ],
)
def test_bad_return_values_get_a_gr_error_naming_them(
    value: object, message: str
) -> None:
    with pytest.raises(gr.Error) as info:
        gl.Image().postprocess(value)
    assert info.value.message.startswith(message)


def test_a_text_file_returned_as_a_path_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("secret contents")
    with pytest.raises(gr.Error) as info:
        gl.Image().postprocess(str(bad))
    assert "not an image file Pillow can read" in info.value.message
    assert "secret" not in info.value.message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "not an image file Pillow can read"),
        (b"%PDF-1.4 not an image", "not an image file Pillow can read"),
        ("truncated", "truncated or corrupt"),
        ("corrupt", "truncated or corrupt"),
    ],
)
def test_bad_uploads_get_a_gr_error_naming_the_file(
    tmp_path: Path, content: object, fragment: str
) -> None:
    buf = io.BytesIO()
    PIL.Image.fromarray(photo(64, 64)).save(buf, "JPEG")
    data = buf.getvalue()
    if content == "truncated":
        content = data[: len(data) // 3]
    elif content == "corrupt":  # a PNG whose pixel data is damaged
        png = io.BytesIO()
        PIL.Image.fromarray(photo(64, 64)).save(png, "PNG")
        raw = bytearray(png.getvalue())
        start = raw.index(b"IDAT") + 40
        raw[start : start + 64] = bytes(64)
        content = bytes(raw)
    path = tmp_path / "holiday <b>.jpg"
    path.write_bytes(content)  # type: ignore[arg-type]
    with pytest.raises(gr.Error) as info:
        gl.Image(type="numpy").preprocess(
            ImageData(path=str(path), orig_name="holiday <b>.jpg")
        )
    assert info.value.message.startswith("Image 'holiday &lt;b&gt;.jpg': ")
    assert fragment in info.value.message


def test_a_decompression_bomb_upload_gets_a_gr_error(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    PIL.Image.new("1", (20000, 20000)).save(path)  # 400 Mpx, 2× over Pillow's limit
    with pytest.raises(gr.Error) as info:
        gl.Image(type="numpy").preprocess(
            ImageData(path=str(path), orig_name="bomb.png")
        )
    assert "decompression bomb" in info.value.message


def test_a_missing_file_or_folder_gets_the_one_unreadable_path_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "folder.png").mkdir()
    messages = set()
    for path in (tmp_path / "gone.png", tmp_path / "folder.png"):
        with pytest.raises(gr.Error) as info:
            gl.Image().preprocess(ImageData(path=str(path), orig_name="x.png"))
        messages.add(info.value.message)
    assert messages == {
        "Image 'x.png': cannot read this file (only files uploaded to or served "
        "by this app are read)"
    }


def test_a_fresh_process_reads_the_exact_value_from_the_served_file() -> None:
    comp = gl.Image(type="numpy", image_mode=None, keep_dtype=True)
    original = ARRAYS["float32[24, 32, 3]"]
    path = comp.postprocess(original).path
    code = (
        "import sys, numpy as np, gradio_lossless as gl\n"
        "from gradio.data_classes import ImageData\n"
        "c = gl.Image(type='numpy', image_mode=None, keep_dtype=True)\n"
        "v = c.preprocess(ImageData(path=sys.argv[1]))\n"
        "sys.stdout.write(f'{v.dtype} {v.shape} ' + v.tobytes().hex())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, path],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    dtype, shape, hexdata = out.split(" ", 2)
    assert dtype == "float32"
    assert shape == "(24,"
    assert bytes.fromhex(hexdata.split(" ")[-1]) == original.tobytes()
