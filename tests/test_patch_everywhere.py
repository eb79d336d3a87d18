"""patch() beyond Image and Gallery: AnnotatedImage and ImageSlider under every name
Gradio exposes, idempotent, refusing when a third party replaced a name."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import ModuleType

import gradio
import gradio as gr
import gradio.components
import gradio.components.annotated_image
import gradio.components.image_editor
import gradio.components.imageslider
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

import gradio_lossless as gl
from gradio_lossless.patching import (
    STOCK_ANNOTATED_IMAGE,
    STOCK_IMAGE_EDITOR,
    STOCK_IMAGE_SLIDER,
    is_patched,
    patch,
    unpatch,
)
from tests.samples import photo

NAMES: dict[str, tuple[type, list[ModuleType]]] = {
    "AnnotatedImage": (
        STOCK_ANNOTATED_IMAGE,
        [gradio, gradio.components, gradio.components.annotated_image],
    ),
    "ImageSlider": (
        STOCK_IMAGE_SLIDER,
        [gradio, gradio.components, gradio.components.imageslider],
    ),
    "ImageEditor": (
        STOCK_IMAGE_EDITOR,
        [gradio, gradio.components, gradio.components.image_editor],
    ),
}
OURS = {
    "AnnotatedImage": gl.AnnotatedImage,
    "ImageSlider": gl.ImageSlider,
    "ImageEditor": gl.ImageEditor,
}


@pytest.fixture(autouse=True)
def stock_afterwards() -> Iterator[None]:
    unpatch()
    yield
    unpatch()


def test_stock_bases() -> None:
    assert gl.AnnotatedImage.__base__ is STOCK_ANNOTATED_IMAGE
    assert gl.ImageSlider.__base__ is STOCK_IMAGE_SLIDER
    assert STOCK_ANNOTATED_IMAGE.__module__ == "gradio.components.annotated_image"
    assert STOCK_IMAGE_SLIDER.__module__ == "gradio.components.imageslider"


@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_name_gradio_exposes_is_listed(name: str) -> None:
    stock, modules = NAMES[name]
    found = {
        (module.__name__, attr)
        for key, module in list(sys.modules.items())
        if key == "gradio" or key.startswith("gradio.")
        for attr, value in list(vars(module).items())
        if value is stock
    }
    aliases = {"AnnotatedImage": "Annotatedimage"}
    expected = {(m.__name__, name) for m in modules}
    if name in aliases:  # Gradio's own alias, in gradio and gradio.components
        expected |= {(m.__name__, aliases[name]) for m in modules[:2]}
    assert found == expected


@pytest.mark.parametrize("name", sorted(NAMES))
def test_patch_rebinds_and_unpatch_restores_idempotently(name: str) -> None:
    stock, modules = NAMES[name]
    for _ in range(2):
        patch()
        assert all(getattr(m, name) is OURS[name] for m in modules)
        assert gradio.Annotatedimage is gl.AnnotatedImage
        assert is_patched()
    for _ in range(2):
        unpatch()
        assert all(getattr(m, name) is stock for m in modules)
        assert gradio.components.Annotatedimage is STOCK_ANNOTATED_IMAGE


@pytest.mark.parametrize("name", sorted(NAMES))
def test_refuses_when_a_third_party_replaced_the_name(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock, modules = NAMES[name]

    class Other(stock):  # type: ignore[misc, valid-type]
        pass

    other = Other
    monkeypatch.setattr(modules[1], name, other)
    with pytest.raises(RuntimeError, match=rf"gradio.components.{name} is .*Other"):
        patch()
    assert gradio.Image is not gl.Image  # nothing changed, Image included
    assert getattr(modules[0], name) is stock
    unpatch()
    assert getattr(modules[1], name) is other


def test_string_shortcuts_build_ours() -> None:
    patch()
    with gr.Blocks():
        annotated = gr.components.get_component_instance("annotatedimage")
        slider = gr.components.get_component_instance("imageslider")
        editor = gr.components.get_component_instance("imageeditor")
    assert type(annotated) is gl.AnnotatedImage
    assert type(slider) is gl.ImageSlider
    assert type(editor) is gl.ImageEditor


@pytest.mark.e2e
def test_apps_written_against_stock_names_are_exact_under_patch(server) -> None:
    patch()
    want = photo(40, 56)
    seen: list[np.ndarray] = []

    def annotate(pair: tuple[np.ndarray, np.ndarray]):  # type: ignore[no-untyped-def]
        seen.append(pair[0])
        seen.append(pair[1])
        return pair[0], [((2, 2, 20, 20), "box")]

    with gr.Blocks() as demo:
        slider = gr.ImageSlider(type="numpy")
        out = gr.AnnotatedImage()
        gr.Button().click(lambda: (want, want[::-1]), None, slider, api_name="first")
        gr.Button().click(annotate, slider, out, api_name="annotate")
    with server(demo) as (_, client):
        pair = client.predict(api_name="/first")
        value = client.predict([handle_file(p) for p in pair], api_name="/annotate")
    np.testing.assert_array_equal(seen[0], want)
    np.testing.assert_array_equal(seen[1], want[::-1])
    np.testing.assert_array_equal(np.asarray(PIL.Image.open(value["image"])), want)
