"""Drop-in Gradio components (thin: the per-item work is in _load, _deliver and _save)."""

from __future__ import annotations

from gradio_lossless.components.annotated_image import AnnotatedImage
from gradio_lossless.components.gallery import Gallery
from gradio_lossless.components.image import Image
from gradio_lossless.components.image_editor import ImageEditor
from gradio_lossless.components.imageslider import ImageSlider

__all__ = ["AnnotatedImage", "Gallery", "Image", "ImageEditor", "ImageSlider"]
