"""The default contract through a real Gradio server and gradio_client: the
function after an image output receives what stock gr.Image(format="png") /
gr.Gallery(format="png") hands it, with each API hop downloading the served file
and uploading it again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

import gradio_lossless as gl
from gradio_lossless.patching import STOCK_GALLERY, STOCK_IMAGE, patch, unpatch
from tests.contract import as_stock_means, assert_same, make_array, make_pil
from tests.samples import photo

pytestmark = pytest.mark.e2e
HOPS = 2  # the second hop reads back a file the first one wrote (property tests
# in tests/components/test_contract.py run longer mixed chains without a server)

VALUES: list[Any] = [
    make_array("float64", (20, 24, 3), "unit", 1),
    make_array("float32", (20, 24), "signed", 2),
    make_array("uint16", (20, 24, 4), "wide", 3),
    make_array("int64", (20, 24, 3), "unit", 4),
    make_array("int32", (20, 24, 2), "wide", 5),
    make_array("bool", (20, 24), "unit", 6),
    make_pil("P/RGBA", (24, 20), 7),
    make_pil("I;16", (24, 20), 8),
    make_pil("LA", (24, 20), 9),
]


def sepia(image: np.ndarray) -> np.ndarray:
    """Gradio's sepia_filter demo, as published: float64 in [0, 1]."""
    sepia_filter = np.array(
        [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]
    )
    out = image.dot(sepia_filter.T)
    out /= out.max()
    return out


def chain_app(
    image: Callable[..., Any], received: dict[str, list[Any]], stock_values: bool
) -> gr.Blocks:
    """make(i) returns VALUES[i]; then HOPS identity hops of each type."""

    def make(index: float) -> Any:
        value = VALUES[int(index)]
        return as_stock_means(value) if stock_values else value

    def hop(kind: str) -> Callable[[Any], Any]:
        def fn(x: Any) -> Any:
            received.setdefault(kind, []).append(x)
            return x

        return fn

    with gr.Blocks() as demo:
        n = gr.Number()
        out = image(type="numpy")
        gr.Button().click(make, n, out, api_name="make")
        for kind in ("numpy", "pil", "filepath"):
            a, b = image(type=kind), image(type=kind)
            gr.Button().click(hop(kind), a, b, api_name=f"hop_{kind}")
    return demo


def run_chains(server: Any, image: Callable[..., Any], stock: bool) -> dict[str, Any]:
    received: dict[str, list[Any]] = {}
    with server(chain_app(image, received, stock)) as (_, client):
        for index in range(len(VALUES)):
            first = client.predict(index, api_name="/make")
            for kind in ("numpy", "pil", "filepath"):
                path = first
                for _ in range(HOPS):
                    path = client.predict(handle_file(path), api_name=f"/hop_{kind}")
    return received


def test_every_function_receives_what_stock_png_hands_it(server) -> None:
    def stock_png(**kwargs: Any) -> Any:
        return STOCK_IMAGE(format="png", **kwargs)

    ours = run_chains(server, gl.Image, stock=False)
    stock = run_chains(server, stock_png, stock=True)
    for kind in ("numpy", "pil", "filepath"):
        assert len(ours[kind]) == len(stock[kind]) == HOPS * len(VALUES)
        for i, (a, b) in enumerate(zip(ours[kind], stock[kind], strict=True)):
            if kind == "filepath":  # names: gradio_client's downloads, then ours
                with PIL.Image.open(a) as fa, PIL.Image.open(b) as fb:
                    assert_same(fa.copy(), fb.copy(), where=f"{kind} {i}")
            else:
                assert_same(a, b, where=f"{kind} {i}")


def test_sepia_chain_under_patch_matches_stock(server, tmp_path: Path) -> None:
    """Under patch(), Gradio's sepia demo chained into a step that calls
    PIL.Image.fromarray: it works, and gets stock's uint8 exactly."""
    start = tmp_path / "photo.png"
    PIL.Image.fromarray(photo(64, 80)).save(start)

    def build(image: Callable[..., Any], received: list[np.ndarray]) -> gr.Blocks:
        def thumbnail(x: np.ndarray) -> PIL.Image.Image:
            received.append(x)
            return PIL.Image.fromarray(x).resize((16, 16))

        with gr.Blocks() as demo:
            a, b, c = image(), image(), image(type="pil")
            gr.Button().click(sepia, a, b, api_name="sepia")
            gr.Button().click(thumbnail, b, c, api_name="thumbnail")
        return demo

    results: dict[str, list[np.ndarray]] = {"stock": [], "patched": []}
    served: dict[str, str] = {}
    patch()
    try:
        patched = build(lambda **kw: gr.Image(**kw), results["patched"])
        assert any(isinstance(b, gl.Image) for b in patched.blocks.values())
    finally:
        unpatch()
    stock = build(lambda **kw: STOCK_IMAGE(**{"format": "png", **kw}), results["stock"])
    for name, demo in (("patched", patched), ("stock", stock)):
        with server(demo) as (_, client):
            served[name] = client.predict(handle_file(str(start)), api_name="/sepia")
            client.predict(handle_file(served[name]), api_name="/thumbnail")
    got, want = results["patched"][0], results["stock"][0]
    assert got.dtype == np.uint8 and got.shape == (64, 80, 3)
    assert_same(got, want, where="sepia -> thumbnail")
    with PIL.Image.open(served["patched"]) as f:  # a standard 8-bit PNG
        assert f.mode == "RGB" and np.array_equal(np.asarray(f), want)


def test_gallery_through_the_api_matches_stock(server, tmp_path: Path) -> None:
    on_disk = tmp_path / "cat.png"
    PIL.Image.fromarray(photo(10, 12)).save(on_disk)
    items = [(v, f"item {i}") for i, v in enumerate(VALUES)] + [(str(on_disk), None)]

    def run(gallery: Callable[..., Any], stock: bool) -> tuple[list[Any], list[Any]]:
        received: list[Any] = []

        def make() -> list[Any]:
            return [(as_stock_means(v) if stock else v, c) for v, c in items]

        def hop(x: list[Any]) -> list[Any]:
            received.append(x)
            return x

        with gr.Blocks() as demo:
            out, g2 = gallery(type="numpy"), gallery(type="numpy")
            gr.Button().click(make, None, out, api_name="make")
            gr.Button().click(hop, out, g2, api_name="hop")
        with server(demo) as (_, client):
            first = client.predict(api_name="/make")
            client.predict(
                [
                    {"image": handle_file(x["image"]), "caption": x["caption"]}
                    for x in first
                ],
                api_name="/hop",
            )
        return received[0], first

    ours, our_payload = run(gl.Gallery, stock=False)
    stock, stock_payload = run(
        lambda **kw: STOCK_GALLERY(format="png", **kw), stock=True
    )
    assert [c for _, c in ours] == [c for _, c in stock]
    for (a, _), (b, _) in zip(ours, stock, strict=True):
        assert_same(a, b, where="gallery item")
    # the names stock gives: values as the format says (stock's default "webp" for
    # ours, "png" for the oracle), the file returned by path as it is
    assert [Path(x["image"]).suffix for x in our_payload] == [".webp"] * len(VALUES) + [
        ".png"
    ]
    assert [Path(x["image"]).suffix for x in stock_payload] == [".png"] * (
        len(VALUES) + 1
    )
