"""gradio_lossless.AnnotatedImage through a real Gradio server and gradio_client:
the base image a function returned (numpy or PIL) comes back exact after hops."""

from __future__ import annotations

import io

import gradio as gr
import httpx
import numpy as np
import PIL.Image
import pytest
from gradio_client import Client, handle_file

import gradio_lossless as gl
from tests.samples import photo
from tests.serving.apps import FETCH, IMAGE_LOAD

pytestmark = pytest.mark.e2e
HOPS = 10


def _app(component: type, kind: str, seen: list[np.ndarray]) -> gr.Blocks:
    def first() -> tuple[object, list[tuple[object, str]]]:
        base = photo(64, 80)
        value = base if kind == "numpy" else PIL.Image.fromarray(base)
        return value, [((4, 5, 30, 40), "box")]

    def hop(
        value: tuple[str, list[tuple[str, str]]],
    ) -> tuple[object, list[tuple[object, str]]]:
        path, annotations = value
        array = np.asarray(PIL.Image.open(path).convert("RGB"))
        seen.append(array)
        out = array if kind == "numpy" else PIL.Image.fromarray(array)
        return out, [((4, 5, 30, 40), label) for _, label in annotations]

    with gr.Blocks() as demo:
        a = component()
        b = component()
        gr.Button().click(first, None, a, api_name="first")
        gr.Button().click(hop, a, b, api_name="hop")
    return demo


@pytest.mark.parametrize("kind", ["numpy", "pil"])
def test_base_image_is_exact_after_hops(server, kind: str) -> None:
    seen: list[np.ndarray] = []
    want = photo(64, 80)
    with server(_app(gl.AnnotatedImage, kind, seen)) as (_, client):
        value = client.predict(api_name="/first")
        for _ in range(HOPS):
            value = client.predict(
                {
                    "image": handle_file(value["image"]),
                    "annotations": [
                        {"image": handle_file(a["image"]), "label": a["label"]}
                        for a in value["annotations"]
                    ],
                },
                api_name="/hop",
            )
    assert len(seen) == HOPS
    for got in seen:
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.asarray(PIL.Image.open(value["image"])), want)
    assert value["annotations"][0]["label"] == "box"
    mask = np.asarray(PIL.Image.open(value["annotations"][0]["image"]))
    assert mask.shape == (64, 80, 4)
    assert tuple(mask[5, 4]) == (255, 0, 0, 255)  # stock's border, stock's red


def test_lossy_display_format_still_hands_over_the_exact_base(server) -> None:
    seen: list[np.ndarray] = []
    want = photo(64, 80)

    def component() -> gl.AnnotatedImage:
        return gl.AnnotatedImage(format="webp")

    with server(_app(component, "numpy", seen)) as (_, client):  # type: ignore[arg-type]
        value = client.predict(api_name="/first")
        assert value["image"].endswith(".webp")
        for _ in range(3):
            value = client.predict(
                {"image": handle_file(value["image"]), "annotations": []},
                api_name="/hop",
            )
    assert len(seen) == 3
    for got in seen:
        np.testing.assert_array_equal(got, want)


def test_stock_annotated_image_degrades_on_the_same_chain(server) -> None:
    seen: list[np.ndarray] = []
    with server(_app(gr.AnnotatedImage, "numpy", seen)) as (_, client):
        value = client.predict(api_name="/first")
        value = client.predict(
            {"image": handle_file(value["image"]), "annotations": []}, api_name="/hop"
        )
    assert not np.array_equal(seen[0], photo(64, 80))


def test_a_base_path_handed_back_is_served_as_the_value(server) -> None:
    """A pass-through function returns the exact PNG's path it got: the base is
    served under the served file's name, so an <img> of it gets the display
    rendition (at 4K the exact PNG would be 16 MB), and every other request the
    exact bytes."""
    want = photo(600, 800)

    with gr.Blocks() as demo:
        a = gl.AnnotatedImage()
        b = gl.AnnotatedImage()
        gr.Button().click(lambda: (want, []), None, a, api_name="first")
        gr.Button().click(
            lambda v: (v[0], [((4, 5, 30, 40), "box")]), a, b, api_name="hop"
        )
    with server(demo) as (url, _):
        client = Client(url, verbose=False, download_files=False)
        first = client.predict(api_name="/first")
        value = client.predict(
            {"image": first["image"], "annotations": []}, api_name="/hop"
        )
        image_url = value["image"]["url"]
        assert image_url.endswith("/image.webp"), image_url
        shown = httpx.get(image_url, headers=IMAGE_LOAD)
        exact = httpx.get(image_url, headers=FETCH)
    assert shown.headers["content-type"] == "image/webp"
    assert len(shown.content) < len(exact.content) / 2
    assert exact.headers["content-type"] == "image/png"
    with PIL.Image.open(io.BytesIO(exact.content)) as im:
        np.testing.assert_array_equal(np.asarray(im), want)
