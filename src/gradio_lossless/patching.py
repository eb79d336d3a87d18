"""``patch()``: one call, before an app is built, makes every gr.Image (and
gr.Gallery, gr.AnnotatedImage, gr.ImageSlider, gr.ImageEditor) lossless;
``unpatch()`` puts stock Gradio back.

    import gradio as gr
    import gradio_lossless

    gradio_lossless.patch()
    demo = gr.Interface(lambda image: image, "image", "image")  # lossless both ways

What it changes: the names under which Gradio exposes the classes, and nothing else:

    gradio.Image      gradio.components.Image      gradio.components.image.Image
    gradio.Gallery    gradio.components.Gallery    gradio.components.gallery.Gallery
    gradio.AnnotatedImage  gradio.components.AnnotatedImage
                           gradio.components.annotated_image.AnnotatedImage
    gradio.Annotatedimage  gradio.components.Annotatedimage  (Gradio's alias)
    gradio.ImageSlider     gradio.components.ImageSlider
                           gradio.components.imageslider.ImageSlider
    gradio.ImageEditor     gradio.components.ImageEditor
                           gradio.components.image_editor.ImageEditor

so ``gr.Image(...)``, ``gr.components.Image(...)`` and the string shortcuts
(``gr.Interface(fn, "image", "gallery")``, ``{"name": "image"}``), which Gradio looks
up in ``gradio.components``, build ``gradio_lossless.Image`` / ``Gallery``.

Limits:
- Only components built after ``patch()``; components that already exist stay stock.
- A name bound before ``patch()`` (``from gradio import Image``) still means stock.
- A class that subclasses ``gr.Image`` *after* ``patch()`` subclasses ours; define
  custom components first, or subclass :data:`STOCK_IMAGE`.
- ``format`` defaults to "png"; an explicit ``format="webp"`` still serves WebP for
  display, while the value functions receive stays exact.
- Gradio's own subclasses of ImageEditor (gr.Sketchpad, gr.Paint, gr.ImageMask)
  are defined at import and stay stock. Chatbot content built with
  ``gr.Image(value=...)`` and cached examples are exact through the Image they build.
- It is process-wide: every app built while it is on is lossless.
"""

from __future__ import annotations

import threading
from types import ModuleType

import gradio
import gradio.components
import gradio.components.annotated_image
import gradio.components.gallery
import gradio.components.image
import gradio.components.image_editor
import gradio.components.imageslider

__all__ = [
    "STOCK_ANNOTATED_IMAGE",
    "STOCK_GALLERY",
    "STOCK_IMAGE",
    "STOCK_IMAGE_EDITOR",
    "STOCK_IMAGE_SLIDER",
    "is_patched",
    "patch",
    "unpatch",
]


def _stock(cls: type) -> type:
    """The stock class behind ``cls``, even if this module is (re)imported while
    patched: walk up past our own subclasses."""
    while cls.__module__.startswith("gradio_lossless."):
        cls = cls.__base__  # type: ignore[assignment]
    return cls


# Captured at import, so patching can never make a lossless class its own base.
STOCK_IMAGE: type = _stock(gradio.components.image.Image)
STOCK_GALLERY: type = _stock(gradio.components.gallery.Gallery)
STOCK_ANNOTATED_IMAGE: type = _stock(gradio.components.annotated_image.AnnotatedImage)
STOCK_IMAGE_SLIDER: type = _stock(gradio.components.imageslider.ImageSlider)
STOCK_IMAGE_EDITOR: type = _stock(gradio.components.image_editor.ImageEditor)

_STOCK = {
    "Image": STOCK_IMAGE,
    "Gallery": STOCK_GALLERY,
    "AnnotatedImage": STOCK_ANNOTATED_IMAGE,
    "ImageSlider": STOCK_IMAGE_SLIDER,
    "ImageEditor": STOCK_IMAGE_EDITOR,
    "Annotatedimage": STOCK_ANNOTATED_IMAGE,  # Gradio's alias
}
_PLACES: dict[str, tuple[ModuleType, ...]] = {
    "Image": (gradio, gradio.components, gradio.components.image),
    "Gallery": (gradio, gradio.components, gradio.components.gallery),
    "AnnotatedImage": (
        gradio,
        gradio.components,
        gradio.components.annotated_image,
    ),
    "ImageSlider": (gradio, gradio.components, gradio.components.imageslider),
    "Annotatedimage": (gradio, gradio.components),
    "ImageEditor": (gradio, gradio.components, gradio.components.image_editor),
}
_lock = threading.Lock()


def _lossless_classes() -> dict[str, type]:
    from gradio_lossless.components import (
        AnnotatedImage,
        Gallery,
        Image,
        ImageEditor,
        ImageSlider,
    )

    return {
        "Image": Image,
        "Gallery": Gallery,
        "AnnotatedImage": AnnotatedImage,
        "ImageSlider": ImageSlider,
        "Annotatedimage": AnnotatedImage,
        "ImageEditor": ImageEditor,
    }


def _is_ours(cls: object) -> bool:
    return isinstance(cls, type) and cls.__module__.startswith("gradio_lossless.")


def patch() -> None:
    """Make ``gr.Image``, ``gr.Gallery``, ``gr.AnnotatedImage`` and
    ``gr.ImageSlider`` and ``gr.ImageEditor`` build the lossless classes.

    Idempotent. Call it before building the app.

    Raises:
        RuntimeError: one of the names is bound to a class that is neither stock
            nor ours (something else patched Gradio); nothing is changed then.
    """
    with _lock:
        classes = _lossless_classes()
        for name, cls in classes.items():
            for module in _PLACES[name]:
                current = getattr(module, name)
                if current is not cls and current is not _STOCK[name]:
                    raise RuntimeError(
                        f"{module.__name__}.{name} is {current!r}, neither stock "
                        "Gradio's nor gradio-lossless's; not patching over it"
                    )
        for name, cls in classes.items():
            for module in _PLACES[name]:
                setattr(module, name, cls)


def unpatch() -> None:
    """Restore the stock classes. Idempotent.

    Components built while patched stay lossless; names bound to another
    package's class are left alone.
    """
    with _lock:
        for name, places in _PLACES.items():
            for module in places:
                if _is_ours(getattr(module, name)):
                    setattr(module, name, _STOCK[name])


def is_patched() -> bool:
    """True while ``gr.Image`` builds ``gradio_lossless.Image``."""
    return _is_ours(gradio.components.image.Image)
