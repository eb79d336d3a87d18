"""gradio_lossless.ImageSlider through a real Gradio server and gradio_client: both
images come back exact after hops."""

from __future__ import annotations

import gradio as gr
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

import gradio_lossless as gl
from gradio_lossless.core import conversions
from tests.samples import photo

pytestmark = pytest.mark.e2e
HOPS = 10


def _pair() -> tuple[np.ndarray, np.ndarray]:
    before = photo(48, 64)
    return before, np.ascontiguousarray(before[:, ::-1])


def _app(component: type, kind: str, seen: list[tuple[object, object]]) -> gr.Blocks:
    def first() -> tuple[object, object]:
        a, b = _pair()
        if kind == "pil":
            return PIL.Image.fromarray(a), PIL.Image.fromarray(b)
        return a, b

    def hop(value: tuple[object, object]) -> tuple[object, object]:
        seen.append(value)
        return value

    with gr.Blocks() as demo:
        a = component(type=kind)
        b = component(type=kind)
        gr.Button().click(first, None, a, api_name="first")
        gr.Button().click(hop, a, b, api_name="hop")
    return demo


@pytest.mark.parametrize("kind", ["numpy", "pil", "filepath"])
def test_both_images_are_exact_after_hops(server, kind: str) -> None:
    seen: list[tuple[object, object]] = []
    with server(_app(gl.ImageSlider, kind, seen)) as (_, client):
        value = client.predict(api_name="/first")
        for _ in range(HOPS):
            value = client.predict(
                [handle_file(value[0]), handle_file(value[1])], api_name="/hop"
            )
    assert len(seen) == HOPS
    want = _pair()
    for pair in seen:
        for got, expected in zip(pair, want, strict=True):
            array = (
                np.asarray(PIL.Image.open(got))
                if isinstance(got, str)
                else np.asarray(got)
            )
            np.testing.assert_array_equal(array, expected)
    for path, expected in zip(value, want, strict=True):
        np.testing.assert_array_equal(np.asarray(PIL.Image.open(path)), expected)


def test_keep_dtype_carries_16_bit_values(server) -> None:
    rng = np.random.default_rng(3)
    originals = [rng.integers(0, 65536, (20, 30), dtype=np.uint16) for _ in range(2)]
    seen: list[tuple[object, object]] = []

    def hop(value: tuple[object, object]) -> tuple[object, object]:
        seen.append(value)
        return value

    with gr.Blocks() as demo:
        a = gl.ImageSlider(type="numpy", image_mode=None, keep_dtype=True)
        b = gl.ImageSlider(type="numpy", image_mode=None, keep_dtype=True)
        gr.Button().click(hop, a, b, api_name="hop")
    paths = [
        gl.Image(image_mode=None, keep_dtype=True).postprocess(v).path  # type: ignore[union-attr]
        for v in originals
    ]
    with server(demo) as (_, client):
        value = client.predict([handle_file(p) for p in paths], api_name="/hop")
        client.predict([handle_file(p) for p in value], api_name="/hop")
    assert len(seen) == 2
    for pair in seen:
        for got, want in zip(pair, originals, strict=True):
            assert conversions.values_equal(got, want)


def test_bad_file_names_the_image(server, tmp_path) -> None:
    from gradio_client.exceptions import AppError

    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    good = tmp_path / "good.png"
    PIL.Image.fromarray(photo(8, 8)).save(good)
    with gr.Blocks() as demo:
        a = gl.ImageSlider(type="numpy")
        gr.Button().click(lambda v: v, a, gl.ImageSlider(), api_name="hop")
    with server(demo) as (_, client), pytest.raises(AppError) as info:
        client.predict([handle_file(str(good)), handle_file(str(bad))], api_name="/hop")
    assert "ImageSlider image 2 'broken.png'" in str(info.value)
    assert "not really" not in str(info.value)


def test_stock_image_slider_degrades_on_the_same_chain(server) -> None:
    seen: list[tuple[object, object]] = []
    with server(_app(gr.ImageSlider, "numpy", seen)) as (_, client):
        value = client.predict(api_name="/first")
        client.predict([handle_file(value[0]), handle_file(value[1])], api_name="/hop")
    assert not np.array_equal(np.asarray(seen[0][0]), _pair()[0])
