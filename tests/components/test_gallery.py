"""gradio_lossless.Gallery in-process: postprocess -> served payload -> preprocess."""

from __future__ import annotations

import inspect
from pathlib import Path

import gradio as gr
import numpy as np
import PIL.Image
import pytest
from gradio.components.gallery import GalleryData

import gradio_lossless as gl
from gradio_lossless.core import conversions
from gradio_lossless.store.store import get_store
from tests.samples import array_values, photo, pil_values


def hop(
    src: gr.Gallery, dst: gr.Gallery, items: list[object]
) -> list[tuple[object, str | None]]:
    served = src.postprocess(items)
    return dst.preprocess(GalleryData.model_validate(served.model_dump()))


def mixed_items(tmp_path: Path) -> list[object]:
    file_item = tmp_path / "on-disk.png"
    PIL.Image.fromarray(photo(20, 30)).save(file_item)
    pils = pil_values()
    arrays = array_values()
    return [
        (pils["RGBA"], "an RGBA image"),
        pils["P"],
        (pils["F"], "float"),
        arrays["uint16[24, 32, 3]"],
        (arrays["float32[24, 32]"], "a float array"),
        (str(file_item), "a file"),
        arrays["bool[24, 32]"],
    ]


def test_signature_defaults_and_api_info_match_stock() -> None:
    ours = inspect.signature(gl.Gallery.__init__).parameters
    stock = inspect.signature(gr.Gallery.__init__).parameters
    assert list(ours) == [*stock, "keep_dtype"]
    assert {n for n in stock if stock[n].default != ours[n].default} == set()
    assert ours["format"].default == "webp" == gl.Gallery().format
    for kind in ("pil", "numpy", "filepath"):
        assert gl.Gallery(type=kind).api_info() == gr.Gallery(type=kind).api_info()
    assert gl.Gallery().get_config()["name"] == "gallery"


@pytest.mark.parametrize("kind", ["pil", "numpy"])
def test_mixed_items_and_captions_are_exact_after_100_hops(
    tmp_path: Path, kind: str
) -> None:
    items = mixed_items(tmp_path)
    a, b = (
        gl.Gallery(type=kind, keep_dtype=True),
        gl.Gallery(type=kind, keep_dtype=True),
    )
    value: list[object] = items
    for i in range(100):
        if i % 25 == 0:
            get_store(a.GRADIO_CACHE).forget()
        out = hop(a, b, value)
        value = [(v, c) if c is not None else v for v, c in out]
        a, b = b, a
    captions = [c for _, c in out]
    assert captions == [it[1] if isinstance(it, tuple) else None for it in items]
    for (got, _), item in zip(out, items, strict=True):
        want = item[0] if isinstance(item, tuple) else item
        if isinstance(want, str):  # a file on disk: the value is what the file holds
            with PIL.Image.open(want) as f:
                want = f.copy() if kind == "pil" else np.array(f)
            assert np.array_equal(np.asarray(got), np.asarray(want))
            continue
        if kind == "numpy" and isinstance(want, PIL.Image.Image):
            want = conversions.pil_to_array(want)
        if kind == "pil" and isinstance(want, np.ndarray):
            expected = conversions.to_pil(want)
            assert got.mode == expected.mode and got.tobytes() == expected.tobytes()
            continue
        assert conversions.values_equal(got, want), conversions.describe(got)


def test_filepath_gallery_gets_exact_standard_files(tmp_path: Path) -> None:
    rgba = pil_values()["RGBA"]
    out = hop(
        gl.Gallery(keep_dtype=True),
        gl.Gallery(type="filepath", keep_dtype=True),
        [rgba, array_values()["float32[24, 32, 3]"]],
    )
    with PIL.Image.open(out[0][0]) as f:
        assert f.mode == "RGBA" and f.tobytes() == rgba.tobytes()
    assert out[1][0].endswith(".tiff")


def test_unchanged_items_are_not_encoded_again() -> None:
    g = gl.Gallery()
    items = [photo(64, 64), photo(32, 32)]
    first = g.postprocess(items)
    paths = [Path(x.image.path) for x in first.root]
    mtimes = [p.stat().st_mtime_ns for p in paths]
    second = g.postprocess(items)
    assert [x.image.path for x in second.root] == [str(p) for p in paths]
    assert [p.stat().st_mtime_ns for p in paths] == mtimes


def test_one_bad_item_names_its_index_and_reason() -> None:
    g = gl.Gallery()
    with pytest.raises(gr.Error) as info:
        g.postprocess(
            [photo(8, 8), (photo(8, 8), "ok"), np.zeros((2, 2, 2, 2), np.uint8)]
        )
    assert info.value.message == (
        "Gallery item 2: unsupported shape (2, 2, 2, 2) for image array of dtype "
        "uint8; "
        "expected H×W or H×W×C with C in 1..4"
    )
    with pytest.raises(gr.Error) as info:
        g.postprocess([photo(8, 8), {"not": "an image"}])
    assert info.value.message.startswith(
        "Gallery item 1: cannot use object of type dict as an image"
    )
    with pytest.raises(gr.Error) as info:
        g.postprocess([(photo(8, 8), "a", "b")])
    assert (
        info.value.message
        == "Gallery item 0: expected (image, caption), got a tuple of length 3"
    )


def test_one_bad_upload_names_its_index(tmp_path: Path) -> None:
    good = gl.Gallery().postprocess([photo(8, 8)]).model_dump()[0]
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnope")
    payload = GalleryData.model_validate(
        [good, {"image": {"path": str(bad), "orig_name": "bad.png"}, "caption": None}]
    )
    with pytest.raises(gr.Error) as info:
        gl.Gallery(type="numpy").preprocess(payload)
    assert info.value.message.startswith("Gallery item 1 ('bad.png'): ")


def test_a_single_image_instead_of_a_list_is_refused_clearly() -> None:
    with pytest.raises(gr.Error) as info:
        gl.Gallery().postprocess(photo(8, 8))
    assert "expected a list of images" in info.value.message
    assert "got a single ndarray" in info.value.message


def test_uploads_follow_stock_gallery(tmp_path: Path) -> None:
    src = tmp_path / "up.png"
    PIL.Image.fromarray(photo(10, 12)).convert("LA").save(src)
    payload = GalleryData.model_validate(
        [{"image": {"path": str(src), "orig_name": "up.png"}}]
    )
    ours = gl.Gallery(type="numpy").preprocess(payload)
    stock = gr.Gallery(type="numpy").preprocess(payload)
    assert np.array_equal(ours[0][0], stock[0][0]) and ours[0][0].shape == (10, 12, 2)
    assert gl.Gallery(type="filepath").preprocess(payload)[0][0] == str(src)
