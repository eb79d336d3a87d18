"""Each divergence from stock listed in issue 13 now matches stock: GIF detection by
the upload's name, Gallery path items' mime_type and orig_name, and the name of a
converted filepath upload (the one deliberate difference, a returned path that
does not exist, keeps its gr.Error)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import PIL.Image
import pytest
from gradio.components.gallery import GalleryData
from gradio.data_classes import ImageData

import gradio_lossless as gl
from gradio_lossless.patching import STOCK_GALLERY, STOCK_IMAGE
from tests.contract import assert_same
from tests.samples import photo


def _gif(path: Path) -> Path:
    frames = [
        PIL.Image.fromarray(photo(12, 16)).convert("P"),
        PIL.Image.fromarray(255 - photo(12, 16)).convert("P"),
    ]
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:])
    return path


@pytest.mark.parametrize("type", ["pil", "numpy", "filepath"])
@pytest.mark.parametrize("orig_name", ["anim.png", None, "anim.gif"])
def test_gif_is_detected_by_the_upload_name_as_stock_does(
    tmp_path: Path, type: str, orig_name: str | None
) -> None:
    """A GIF named .png, or sent without a name, is converted to image_mode as any
    upload; only a .gif name keeps its mode (and frames, for filepath)."""
    src = _gif(tmp_path / "upload.gif")
    data = ImageData(path=str(src), orig_name=orig_name)
    stock = STOCK_IMAGE(type=type, image_mode="L").preprocess(data)
    ours = gl.Image(type=type, image_mode="L").preprocess(data)
    expected = "P" if orig_name == "anim.gif" else "L"
    if type == "pil":
        assert ours.mode == expected
    if type != "filepath":
        assert_same(ours, stock, where=f"{orig_name}")
        return
    with PIL.Image.open(ours) as got, PIL.Image.open(src) as up:
        want = up if orig_name == "anim.gif" else up.convert("L")
        assert got.mode == expected and got.tobytes() == want.tobytes()
    if orig_name == "anim.gif":  # the upload itself, every frame
        assert ours == str(src)
        return
    if orig_name is None:  # stock: image.webp, a lossy RGB copy; ours: image.png
        assert Path(ours).name == "image.png" and Path(stock).name == "image.webp"
        return
    assert Path(ours).name == Path(stock).name == "anim.png"
    with PIL.Image.open(ours) as got, PIL.Image.open(stock) as want:
        assert got.mode == want.mode and got.tobytes() == want.tobytes()


@pytest.mark.parametrize(
    ("orig_name", "ours_name", "stock_name"),
    [
        ("holiday photo.png", "holiday photo.png", "holiday photo.png"),
        ("scan.jpg", "scan.png", "scan.jpeg"),  # stock re-encodes a JPEG: lossy
        ("x.webp", "x.png", "x.webp"),
        (None, "image.png", "image.webp"),
    ],
)
def test_a_converted_filepath_upload_keeps_the_upload_name(
    tmp_path: Path, orig_name: str | None, ours_name: str, stock_name: str
) -> None:
    src = tmp_path / "upload"
    PIL.Image.fromarray(photo(20, 24)).convert("RGBA").save(src, "PNG")
    data = ImageData(path=str(src), orig_name=orig_name)
    stock = STOCK_IMAGE(type="filepath", image_mode="L").preprocess(data)
    ours = gl.Image(type="filepath", image_mode="L").preprocess(data)
    assert Path(stock).name == stock_name
    assert Path(ours).name == ours_name  # the stem kept; never a lossy format
    with PIL.Image.open(src) as up, PIL.Image.open(ours) as got:
        want = up.convert("L")
        assert got.mode == "L" and got.tobytes() == want.tobytes()
    # the same name for the same value twice, and the file is ours to read back
    again = gl.Image(type="filepath", image_mode="L").preprocess(data)
    assert again == ours
    back = gl.Image(type="numpy", image_mode=None).preprocess(
        ImageData(path=ours, orig_name=ours_name)
    )
    assert np.array_equal(back, np.asarray(want))


def test_a_converted_upload_name_is_only_a_file_name(tmp_path: Path) -> None:
    src = tmp_path / "upload.png"
    PIL.Image.fromarray(photo(8, 8)).convert("RGBA").save(src)
    for hostile in ("../../etc/passwd.png", ".hidden.png", "a" * 300 + ".png"):
        path = gl.Image(type="filepath", image_mode="RGB").preprocess(
            ImageData(path=str(src), orig_name=hostile)
        )
        folder = Path(gl.Image()._lossless_store().root)
        assert Path(path).parent.parent == folder
        assert Path(path).name in ("passwd.png", "image.png")


def test_gallery_path_items_carry_mime_type_and_name_as_stock_sets_them(
    tmp_path: Path,
) -> None:
    png = tmp_path / "cat.png"
    jpg = tmp_path / "dog.jpg"
    PIL.Image.fromarray(photo(8, 8)).save(png)
    PIL.Image.fromarray(photo(8, 8)).save(jpg)
    items = [str(png), (jpg, "a dog"), photo(8, 8), PIL.Image.fromarray(photo(4, 4))]
    stock = STOCK_GALLERY(format="png").postprocess(items).root
    ours = gl.Gallery().postprocess(items).root
    for a, b in zip(ours, stock, strict=True):
        assert a.image.mime_type == b.image.mime_type
        assert a.image.orig_name == b.image.orig_name
        assert a.caption == b.caption
    assert [x.image.mime_type for x in ours] == ["image/png", "image/jpeg", None, None]
    served = GalleryData.model_validate(gl.Gallery().postprocess(items).model_dump())
    got = gl.Gallery(type="numpy").preprocess(served)
    want = STOCK_GALLERY(type="numpy").preprocess(
        GalleryData.model_validate(
            STOCK_GALLERY(format="png").postprocess(items).model_dump()
        )
    )
    for (a, ca), (b, cb) in zip(got, want, strict=True):
        assert ca == cb
        assert_same(a, b, where="gallery item")


def test_a_returned_path_that_does_not_exist_keeps_its_clear_error() -> None:
    """The one deliberate difference: stock serves a broken reference."""
    stock = STOCK_IMAGE(format="png").postprocess("no/such/file.png")
    assert stock is not None and stock.path == "no/such/file.png"
    with pytest.raises(gr.Error) as info:
        gl.Image().postprocess("no/such/file.png")
    assert info.value.message == (
        "Image output: cannot use str 'no/such/file.png' as an image: no such file"
    )
