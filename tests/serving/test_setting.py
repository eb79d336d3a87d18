"""The display= argument and the hook, without a server."""

from __future__ import annotations

import gradio as gr
import pytest
from gradio.routes import App

import gradio_lossless as gl
from gradio_lossless.components import _display
from gradio_lossless.serving.middleware import Renditions


@pytest.mark.parametrize("cls", [gl.Image, gl.Gallery])
def test_display_values(cls: type) -> None:
    assert cls().lossless_display == "rendition"
    for value, canonical in [("exact", "exact"), ("WEBP", "webp"), ("jpg", "jpeg")]:
        assert cls(display=value).lossless_display == canonical
    with pytest.raises(ValueError, match="display") as caught:
        cls(display="lossy")
    assert str(caught.value) == (
        "Invalid value for parameter `display`: unknown display 'lossy'; "
        "expected one of rendition, exact, webp, jpeg, avif"
    )


def test_display_is_not_sent_to_the_browser() -> None:
    config = gl.Image(display="exact").get_config()
    assert "display" not in config
    assert "lossless_display" not in config


def test_the_hook_is_installed_once_and_adds_the_middleware_once() -> None:
    gl.Image()
    wrapped = App.__dict__["create_app"]
    _display.install()
    _display.install()
    assert App.__dict__["create_app"] is wrapped
    with gr.Blocks() as demo:
        gl.Image()
    app = demo.app  # made by Blocks.__exit__
    assert [m.cls for m in app.user_middleware].count(Renditions) == 1
    assert _display.add_renditions(app) is True
    assert [m.cls for m in app.user_middleware].count(Renditions) == 1
