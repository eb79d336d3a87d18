"""gradio-lossless: drop-in gr.Image and gr.Gallery whose values arrive bit-exact.

The public names are imported lazily, so ``gradio-lossless --help`` and the lab's
worker processes do not pay for importing gradio until a component is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "AnnotatedImage",
    "Gallery",
    "Image",
    "ImageEditor",
    "ImageSlider",
    "__version__",
    "is_patched",
    "patch",
    "read",
    "unpatch",
]

_LAZY = {
    "AnnotatedImage": "gradio_lossless.components.annotated_image",
    "Gallery": "gradio_lossless.components.gallery",
    "Image": "gradio_lossless.components.image",
    "ImageEditor": "gradio_lossless.components.image_editor",
    "ImageSlider": "gradio_lossless.components.imageslider",
    "is_patched": "gradio_lossless.patching",
    "patch": "gradio_lossless.patching",
    "read": "gradio_lossless.io",
    "unpatch": "gradio_lossless.patching",
}

if TYPE_CHECKING:
    from gradio_lossless.components.annotated_image import AnnotatedImage
    from gradio_lossless.components.gallery import Gallery
    from gradio_lossless.components.image import Image
    from gradio_lossless.components.image_editor import ImageEditor
    from gradio_lossless.components.imageslider import ImageSlider
    from gradio_lossless.io import read
    from gradio_lossless.patching import is_patched, patch, unpatch


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gradio_lossless' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
