"""gradio_lossless.ImageEditor through a real Gradio server and gradio_client:
background, layers and composite the function returned come back exact."""

from __future__ import annotations

import gradio as gr
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

import gradio_lossless as gl
from tests.samples import photo

pytestmark = pytest.mark.e2e
HOPS = 5


def _value() -> dict[str, object]:
    rgba = np.dstack([photo(40, 56), np.full((40, 56), 255, np.uint8)])
    layer = np.zeros((40, 56, 4), np.uint8)
    layer[5:15, 5:30] = (10, 200, 30, 255)
    composite = rgba.copy()
    composite[5:15, 5:30] = (10, 200, 30, 255)
    return {"background": rgba, "layers": [layer], "composite": composite}


def _payload(value: dict) -> dict:  # type: ignore[type-arg]
    return {
        "background": handle_file(value["background"]),
        "layers": [handle_file(p) for p in value["layers"]],
        "composite": handle_file(value["composite"]),
        "id": None,
    }


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_background_layers_composite_exact_after_hops(server, fmt: str) -> None:
    seen: list[dict] = []  # type: ignore[type-arg]

    def hop(value: dict) -> dict:  # type: ignore[type-arg]
        seen.append(value)
        return value

    with gr.Blocks() as demo:
        a = gl.ImageEditor(type="numpy", format=fmt)
        b = gl.ImageEditor(type="numpy", format=fmt)
        gr.Button().click(_value, None, a, api_name="first")
        gr.Button().click(hop, a, b, api_name="hop")
    with server(demo) as (_, client):
        value = client.predict(api_name="/first")
        for _ in range(HOPS):
            value = client.predict(_payload(value), api_name="/hop")
    want = _value()
    assert len(seen) == HOPS
    for got in seen:
        np.testing.assert_array_equal(got["background"], want["background"])
        np.testing.assert_array_equal(got["composite"], want["composite"])
        assert len(got["layers"]) == 1
        np.testing.assert_array_equal(got["layers"][0], want["layers"][0])


def test_filepath_gets_exact_pngs_after_hops(server) -> None:
    """type="filepath": each of background, layers and composite is a PNG file
    (stock names it by the upload's suffix; ours are exact PNGs, named .png even
    though the default format names the served files image.webp)."""
    seen: list[dict] = []  # type: ignore[type-arg]

    def hop(value: dict) -> dict:  # type: ignore[type-arg]
        seen.append(value)
        return value

    with gr.Blocks() as demo:
        a = gl.ImageEditor(type="filepath")
        b = gl.ImageEditor(type="filepath")
        gr.Button().click(_value, None, a, api_name="first")
        gr.Button().click(hop, a, b, api_name="hop")
    with server(demo) as (_, client):
        value = client.predict(api_name="/first")
        assert value["background"].endswith("image.webp")  # stock's name
        for _ in range(HOPS):
            value = client.predict(_payload(value), api_name="/hop")
    want = _value()
    assert len(seen) == HOPS
    for got in seen:
        paths = [got["background"], *got["layers"], got["composite"]]
        wanted = [want["background"], *want["layers"], want["composite"]]
        for path, expected in zip(paths, wanted, strict=True):
            with PIL.Image.open(path) as im:
                assert im.format == "PNG" and path.endswith(".png"), path
                np.testing.assert_array_equal(np.asarray(im), expected)


def test_stock_image_editor_degrades_on_the_same_chain(server) -> None:
    seen: list[dict] = []  # type: ignore[type-arg]
    with gr.Blocks() as demo:
        a = gr.ImageEditor(type="numpy")
        gr.Button().click(_value, None, a, api_name="first")
        gr.Button().click(lambda v: seen.append(v), a, None, api_name="hop")
    with server(demo) as (_, client):
        value = client.predict(api_name="/first")
        client.predict(_payload(value), api_name="/hop")
    assert not np.array_equal(seen[0]["background"], _value()["background"])
