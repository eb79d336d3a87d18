"""gradio_lossless.Gallery through a real Gradio server and gradio_client."""

from __future__ import annotations

import json
import os
from pathlib import Path

import gradio as gr
import httpx
import numpy as np
import pytest
from gradio_client import handle_file

import gradio_lossless as gl
from gradio_lossless.core import conversions
from tests.samples import array_values, photo, pil_values

pytestmark = pytest.mark.e2e
# E2E_HOPS=100 (or more) for a longer run; 30 keeps the suite under 10 minutes
HOPS = int(os.environ.get("E2E_HOPS", "30"))


def _items() -> list[tuple[object, str | None]]:
    pils, arrays = pil_values(), array_values()
    return [
        (pils["RGBA"], "rgba"),
        (pils["I;16"], None),
        (pils["F"], "float image"),
        (arrays["uint16[24, 32, 3]"], "16-bit colour"),
        (arrays["float32[24, 32, 4]"], None),
        (arrays["bool[24, 32, 1]"], "mask"),
    ]


def _client_gallery(served: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    return [
        {"image": handle_file(x["image"]["path"]), "caption": x["caption"]}
        for x in served
    ]


@pytest.mark.parametrize("kind", ["pil", "numpy"])
def test_gallery_to_gallery_many_api_hops_with_captions(server, kind: str) -> None:
    values = (
        list(pil_values().values()) if kind == "pil" else list(array_values().values())
    )
    items = [(v, f"item {i}" if i % 2 else None) for i, v in enumerate(values)]
    bad_hops: list[int] = []
    calls = [0]

    def hop(
        gallery: list[tuple[object, str | None]],
    ) -> list[tuple[object, str | None]]:
        for (got, cap), (want, wcap) in zip(gallery, items, strict=True):
            if not conversions.values_equal(got, want) or cap != wcap:
                bad_hops.append(calls[0])
        calls[0] += 1
        return gallery

    with gr.Blocks() as demo:
        a = gl.Gallery(type=kind, keep_dtype=True)
        b = gl.Gallery(type=kind, keep_dtype=True)
        gr.Button().click(hop, a, b, api_name="hop")
    served = gl.Gallery(keep_dtype=True).postprocess(items).model_dump()
    with server(demo) as (_, client):
        gallery = _client_gallery(served)
        for _ in range(HOPS):
            out = client.predict(gallery, api_name="/hop")
            gallery = [
                {"image": handle_file(x["image"]), "caption": x["caption"]} for x in out
            ]
    assert calls[0] == HOPS
    assert bad_hops == []
    for x, (value, caption) in zip(out, items, strict=True):
        assert x["caption"] == caption
        assert conversions.values_equal(gl.read(x["image"]), value)


def test_selected_gallery_item_reaches_an_image_exactly(server) -> None:
    items = _items()
    received: list[object] = []

    def pick(gallery: list[tuple[object, str | None]], evt: gr.SelectData) -> object:
        value = gallery[evt.index][0]
        received.append(value)
        return value

    def pick_by_index(gallery: list[tuple[object, str | None]], index: float) -> object:
        return gallery[int(index)][0]

    with gr.Blocks() as demo:
        g = gl.Gallery(type="numpy", keep_dtype=True)
        img = gl.Image(type="numpy", image_mode=None, keep_dtype=True)
        idx = gr.Number()
        g.select(pick, g, img, api_name="pick")
        gr.Button().click(pick_by_index, [g, idx], img, api_name="pick_by_index")
        gr.Button().click(lambda x: x, img, img, api_name="image_hop")
    served = gl.Gallery(type="numpy", keep_dtype=True).postprocess(items).model_dump()
    with server(demo) as (url, client):
        # exactly what the browser sends when an item is clicked: the gallery as it
        # was served (paths in the cache) and the select event's data
        fn_index = next(i for i, fn in demo.fns.items() if fn.api_name == "pick")
        body = {
            "data": [served],
            "event_data": {"index": 3, "value": served[3], "selected": True},
            "fn_index": fn_index,
            "trigger_id": g._id,
            "session_hash": "select-test",
        }
        httpx.post(f"{url}gradio_api/queue/join", json=body).raise_for_status()
        shown = None
        with httpx.stream(
            "GET",
            f"{url}gradio_api/queue/data",
            params={"session_hash": "select-test"},
            timeout=60,
        ) as response:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    assert message["success"], message
                    shown = message["output"]["data"][0]["path"]
                    break
        assert shown is not None
        # and through the API: the selected item's image, then 10 image hops
        path = client.predict(_client_gallery(served), 4, api_name="/pick_by_index")
        for _ in range(10):
            path = client.predict(handle_file(path), api_name="/image_hop")
    assert conversions.values_equal(received[0], items[3][0])
    assert conversions.values_equal(gl.read(shown), items[3][0])
    assert conversions.values_equal(gl.read(path), items[4][0])


def test_stock_gallery_degrades_on_the_same_chain(server) -> None:
    original = photo(96, 96)
    got: list[np.ndarray] = []

    def hop(gallery: list[tuple[np.ndarray, str | None]]) -> list[np.ndarray]:
        got.append(gallery[0][0])
        return [gallery[0][0]]

    with gr.Blocks() as demo:
        a, b = gr.Gallery(type="numpy"), gr.Gallery(type="numpy")
        gr.Button().click(hop, a, b, api_name="hop")
    start = gr.Gallery(format="png").postprocess([original]).model_dump()
    with server(demo) as (_, client):
        gallery = _client_gallery(start)
        for _ in range(5):
            out = client.predict(gallery, api_name="/hop")
            gallery = [{"image": handle_file(x["image"]), "caption": None} for x in out]
    assert np.array_equal(got[0], original)
    assert not np.array_equal(got[-1], original)


def test_a_bad_item_fails_only_its_request(server, tmp_path: Path) -> None:
    def make(n: float) -> list[object]:
        items: list[object] = [photo(16, 16), photo(8, 8)]
        if n:
            items.append(np.zeros((2, 2, 2, 2), np.uint8))
        return items

    with gr.Blocks() as demo:
        n = gr.Number()
        g = gl.Gallery(type="numpy")
        gr.Button().click(make, n, g, api_name="make")
    with server(demo, show_error=False) as (_, client):
        from gradio_client.exceptions import AppError

        with pytest.raises(
            AppError, match=r"Gallery item 2: unsupported shape \(2, 2, 2, 2\)"
        ):
            client.predict(1, api_name="/make")
        out = client.predict(0, api_name="/make")
    assert np.array_equal(gl.read(out[0]["image"]), photo(16, 16))
