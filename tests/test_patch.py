"""patch() / unpatch(): every way Gradio exposes Image (and Gallery) builds ours
while patched, an app built then is lossless end to end, and unpatch() brings the
loss back."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator

import gradio as gr
import gradio.components
import gradio.components.gallery
import gradio.components.image
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

from gradio_lossless.components import Gallery as LosslessGallery
from gradio_lossless.components import Image as LosslessImage
from gradio_lossless.core.conversions import values_equal
from gradio_lossless.patching import (
    STOCK_GALLERY,
    STOCK_IMAGE,
    is_patched,
    patch,
    unpatch,
)
from tests.samples import photo

IMAGE_NAMES = [
    (gradio, "Image"),
    (gradio.components, "Image"),
    (gradio.components.image, "Image"),
]
GALLERY_NAMES = [
    (gradio, "Gallery"),
    (gradio.components, "Gallery"),
    (gradio.components.gallery, "Gallery"),
]


@pytest.fixture(autouse=True)
def stock_afterwards() -> Iterator[None]:
    unpatch()
    yield
    unpatch()


def test_stock_classes_captured_at_import() -> None:
    assert STOCK_IMAGE.__module__ == "gradio.components.image"
    assert STOCK_GALLERY.__module__ == "gradio.components.gallery"
    assert LosslessImage.__base__ is STOCK_IMAGE


def test_patch_covers_every_name_gradio_exposes() -> None:
    """Scan all loaded gradio modules: the stock classes are bound nowhere else."""
    found = {
        (module.__name__, attr)
        for name, module in list(sys.modules.items())
        if name == "gradio" or name.startswith("gradio.")
        for attr, value in list(vars(module).items())
        if value is STOCK_IMAGE or value is STOCK_GALLERY
    }
    assert found == {(m.__name__, a) for m, a in IMAGE_NAMES + GALLERY_NAMES}


def test_patch_and_unpatch_are_idempotent() -> None:
    assert not is_patched()
    patch()
    patch()
    assert is_patched()
    for module, attr in IMAGE_NAMES:
        assert getattr(module, attr) is LosslessImage
    for module, attr in GALLERY_NAMES:
        assert getattr(module, attr) is LosslessGallery
    unpatch()
    unpatch()
    assert not is_patched()
    for module, attr in IMAGE_NAMES:
        assert getattr(module, attr) is STOCK_IMAGE
    for module, attr in GALLERY_NAMES:
        assert getattr(module, attr) is STOCK_GALLERY


def test_constructors_and_string_shortcuts_build_ours() -> None:
    patch()
    assert type(gr.Image(type="pil")) is LosslessImage
    assert type(gradio.components.Image()) is LosslessImage
    assert type(gradio.components.image.Image()) is LosslessImage
    iface = gr.Interface(lambda image: image, "image", "image")
    assert [type(c) for c in iface.input_components + iface.output_components] == [
        LosslessImage,
        LosslessImage,
    ]
    from gradio.components.base import get_component_instance

    built = get_component_instance({"name": "image", "type": "filepath"})
    assert (type(built), built.type) == (LosslessImage, "filepath")
    assert type(gr.Gallery()) is LosslessGallery
    assert type(get_component_instance("gallery")) is LosslessGallery
    iface = gr.Interface(lambda images: images, "gallery", "gallery")
    assert type(iface.output_components[0]) is LosslessGallery
    unpatch()
    iface = gr.Interface(lambda image: image, "image", "image")
    assert type(iface.input_components[0]) is STOCK_IMAGE
    assert type(gr.Gallery()) is STOCK_GALLERY


def test_our_classes_do_not_recurse_while_patched() -> None:
    """Our classes subclass stock gr.Image: patched names must not feed back."""
    patch()
    image = LosslessImage(photo(8, 8), type="numpy", height=100, label="x")
    assert image.format == "webp"  # stock's default
    assert type(image).__mro__[1] is STOCK_IMAGE
    assert gr.Image(format="png").format == "png"  # explicit arguments kept
    assert type(LosslessGallery(type="numpy")).__mro__[1] is STOCK_GALLERY
    assert gr.Gallery(format="jpeg").format == "jpeg"


def test_reimport_while_patched_still_finds_stock() -> None:
    import gradio_lossless.patching as patch_module

    patch()
    reloaded = importlib.reload(patch_module)
    try:
        assert reloaded.STOCK_IMAGE is STOCK_IMAGE
        assert reloaded.STOCK_GALLERY is STOCK_GALLERY
    finally:
        reloaded.unpatch()
    assert gradio.Image is STOCK_IMAGE


def test_refuses_to_patch_over_someone_else(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    class Other(STOCK_IMAGE):  # type: ignore[misc, valid-type]
        pass

    monkeypatch.setattr(gradio.components, "Image", Other)
    with pytest.raises(RuntimeError, match=r"gradio.components.Image is .*Other"):
        patch()
    assert gradio.Image is STOCK_IMAGE  # nothing changed
    unpatch()
    assert gradio.components.Image is Other  # not ours to restore


def _ping_pong_app() -> gr.Blocks:
    """A plain Gradio app, written against stock names only."""
    with gr.Blocks() as demo:
        a = gr.Image(type="numpy")
        b = gr.Image(type="numpy")
        gr.Button().click(lambda image: image, a, b, api_name="hop")
    return demo


def _hops(client, start: str, n: int) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    values, current = [], start
    for _ in range(n):
        current = client.predict(handle_file(current), api_name="/hop")
        with PIL.Image.open(current) as im:
            values.append(np.asarray(im))
    return values


@pytest.mark.e2e
def test_app_built_after_patch_is_lossless_and_unpatch_restores_loss(  # type: ignore[no-untyped-def]
    server, tmp_path
):
    original = photo(96, 128)
    start = tmp_path / "start.png"
    PIL.Image.fromarray(original).save(start)

    patch()
    with server(_ping_pong_app()) as (_, client):
        patched = _hops(client, str(start), 4)
    unpatch()
    with server(_ping_pong_app()) as (_, client):
        stock = _hops(client, str(start), 4)

    assert all(values_equal(v, original) for v in patched)
    assert not any(values_equal(v, original) for v in stock)
    assert stock[0].shape == original.shape  # same size: only the values degrade


def _gallery_app() -> gr.Blocks:
    with gr.Blocks() as demo:
        a = gr.Gallery(type="numpy")
        b = gr.Gallery(type="numpy")
        gr.Button().click(lambda images: images, a, b, api_name="hop")
    return demo


def _gallery_hops(client, start: str, n: int) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    values, current = [], start
    for _ in range(n):
        (item,) = client.predict(
            [{"image": handle_file(current), "caption": "c"}], api_name="/hop"
        )
        assert item["caption"] == "c"
        current = item["image"]
        with PIL.Image.open(current) as im:
            values.append(np.asarray(im))
    return values


@pytest.mark.e2e
def test_gallery_app_built_after_patch_is_lossless(server, tmp_path):  # type: ignore[no-untyped-def]
    original = photo(48, 64)
    start = tmp_path / "start.png"
    PIL.Image.fromarray(original).save(start)

    patch()
    with server(_gallery_app()) as (_, client):
        patched = _gallery_hops(client, str(start), 3)
    unpatch()
    with server(_gallery_app()) as (_, client):
        stock = _gallery_hops(client, str(start), 3)

    assert all(values_equal(v, original) for v in patched)
    assert not any(values_equal(v, original) for v in stock)


def test_patch_stays_callable_after_its_module_is_imported() -> None:
    """The module is ``patching``: importing it never shadows ``patch()``."""
    code = (
        "import gradio_lossless\n"
        "from gradio_lossless.patching import STOCK_IMAGE\n"
        "gradio_lossless.patch()\n"
        "import gradio as gr\n"
        "assert gr.Image is gradio_lossless.Image, gr.Image\n"
        "gradio_lossless.unpatch()\n"
        "assert gr.Image is STOCK_IMAGE\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
