"""gradio_lossless.ImageSlider and AnnotatedImage in Chromium: after moving the
slider's handle, or selecting an annotation, the server receives exact values."""

from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
import pytest

import gradio_lossless as gl
from tests.conftest import serve
from tests.samples import photo

pytestmark = pytest.mark.browser


def _wait(page: Any, seen: list[Any], count: int) -> Any:
    for _ in range(100):
        if len(seen) >= count:
            return seen[-1]
        page.wait_for_timeout(100)
    raise AssertionError("the function never received the value")


def test_moving_the_slider_handle_keeps_both_images_exact(page: Any) -> None:
    before = photo(120, 160)
    after = np.ascontiguousarray(before[::-1])
    seen: list[Any] = []
    with gr.Blocks() as demo:
        slider = gl.ImageSlider(type="numpy", elem_id="slider")
        gr.Button("load", elem_id="load").click(lambda: (before, after), None, slider)
        gr.Button("send", elem_id="send").click(seen.append, slider, None)
    with serve(demo) as (url, _):
        page.goto(url)
        page.click("#load")
        page.wait_for_selector("#slider img")
        page.wait_for_timeout(1000)
        assert "inset(0px 0px 0px 50%)" in page.locator("#slider").inner_html()
        box = page.locator("#slider img").first.bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] / 2, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=8)
        page.mouse.up()
        page.wait_for_timeout(300)
        # the handle moved: the top image is clipped elsewhere than the middle
        assert "inset(0px 0px 0px 50%)" not in page.locator("#slider").inner_html()
        page.click("#send")
        value = _wait(page, seen, 1)
    np.testing.assert_array_equal(value[0], before)
    np.testing.assert_array_equal(value[1], after)


def test_selecting_an_annotation_hands_over_the_exact_base(page: Any) -> None:
    base = photo(120, 160)
    seen: list[Any] = []

    def selected(value: Any, evt: gr.SelectData) -> None:
        seen.append((np.asarray(PIL.Image.open(value[0])), evt.index, evt.value))

    with gr.Blocks() as demo:
        annotated = gl.AnnotatedImage(elem_id="annotated")
        gr.Button("load", elem_id="load").click(
            lambda: (base, [((10, 10, 60, 60), "cat")]), None, annotated
        )
        annotated.select(selected, annotated, None)
    with serve(demo) as (url, _):
        page.goto(url)
        page.click("#load")
        page.wait_for_selector("#annotated img")
        page.wait_for_timeout(1000)
        page.locator("#annotated").get_by_text("cat").first.click()
        got, index, label = _wait(page, seen, 1)
    np.testing.assert_array_equal(got, base)
    assert index == 0
    assert label == "cat"
