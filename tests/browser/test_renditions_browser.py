"""Renditions in Chromium: the ``<img>`` gets the rendition, the download button saves
the exact PNG (pixels and text chunks) byte-identical to what gradio_client
downloads, and both answers carry ``Vary``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
import pytest

import gradio_lossless as gl
from gradio_lossless.core.conversions import values_equal
from gradio_lossless.serving.negotiate import is_image_load
from tests.browser.conftest import fetch_in_page
from tests.conftest import serve
from tests.serving.apps import (
    BIG,
    IMAGE_LOAD,
    PARAMETERS,
    VARY,
    big,
    oriented,
    text_chunks,
    with_metadata,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def app_url() -> Iterator[tuple[str, Any]]:
    with gr.Blocks() as demo:
        meta = gl.Image(
            type="pil", image_mode=None, elem_id="meta", buttons=["download"]
        )
        large = gl.Image(type="numpy", elem_id="large")
        gr.Button("meta", elem_id="go-meta").click(
            with_metadata, None, meta, api_name="meta"
        )
        gr.Button("large", elem_id="go-large").click(big, None, large, api_name="large")
        gr.Button("oriented", elem_id="go-oriented").click(oriented, None, meta)
    with serve(demo) as (url, client):
        yield url, client


def _file_response(page: Any, click: str) -> Any:
    with page.expect_response(
        lambda r: "gradio_api/file=" in r.url and r.request.resource_type == "image"
    ) as info:
        page.click(click)
    return info.value


def test_img_gets_the_rendition_and_the_download_is_exact(
    page: Any, app_url: tuple[str, Any], artifacts: Path
) -> None:
    url, client = app_url
    page.goto(url)
    response = _file_response(page, "#go-meta")
    sent = response.request.all_headers()
    assert sent["sec-fetch-dest"] == IMAGE_LOAD["sec-fetch-dest"] == "image"
    assert sent["accept"] == IMAGE_LOAD["accept"]  # what the e2e tests send
    assert is_image_load([(k.encode(), v.encode()) for k, v in sent.items()])
    assert response.status == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["vary"] == VARY
    shown = response.body()
    with PIL.Image.open(io.BytesIO(shown)) as im:
        assert im.format == "WEBP"
        assert im.size == with_metadata().size

    page.wait_for_selector("#meta img")
    with page.expect_download() as download_info:
        page.locator("#meta a[download]").first.click()
    download = download_info.value
    saved = Path(download.path()).read_bytes()
    from_api = Path(client.predict(api_name="/meta")).read_bytes()
    assert saved == from_api
    assert download.suggested_filename == "image.png"
    with PIL.Image.open(io.BytesIO(saved)) as im:
        assert im.format == "PNG"
        assert values_equal(np.asarray(im), np.asarray(with_metadata()))
        assert im.info["icc_profile"] == with_metadata().info["icc_profile"]
    assert text_chunks(saved)["parameters"] == PARAMETERS

    # the same URL, fetched by the page (as Gradio's gallery download does): exact
    src = page.locator("#meta img").first.get_attribute("src")
    fetched = fetch_in_page(page, src)
    assert fetched.content_type == "image/png"
    assert fetched.vary == VARY
    assert fetched.body == saved
    page.screenshot(path=str(artifacts / "renditions-browser.png"))


def test_a_large_image_is_shown_capped(page: Any, app_url: tuple[str, Any]) -> None:
    url, _ = app_url
    page.goto(url)
    response = _file_response(page, "#go-large")
    assert response.headers["content-type"] == "image/webp"
    page.wait_for_selector("#large img")
    page.wait_for_function(
        "() => document.querySelector('#large img').naturalWidth > 0"
    )
    natural = page.evaluate(
        "() => { const i = document.querySelector('#large img');"
        " return [i.naturalWidth, i.naturalHeight]; }"
    )
    assert natural == [1920, round(BIG[1] * 1920 / BIG[0])]


def test_an_oriented_image_is_shown_as_its_png(
    page: Any, app_url: tuple[str, Any]
) -> None:
    url, _ = app_url
    page.goto(url)
    response = _file_response(page, "#go-oriented")
    assert response.headers["content-type"] == "image/webp"
    page.wait_for_function(
        "() => { const i = document.querySelector('#meta img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    sizes = page.evaluate(
        """async () => {
            const img = document.querySelector('#meta img');
            const blob = await (await fetch(img.src)).blob();  // the exact PNG
            const png = new Image();
            png.src = URL.createObjectURL(blob);
            await png.decode();
            return [blob.type, [img.naturalWidth, img.naturalHeight],
                    [png.naturalWidth, png.naturalHeight]];
        }"""
    )
    assert sizes == ["image/png", [900, 1600], [900, 1600]]
