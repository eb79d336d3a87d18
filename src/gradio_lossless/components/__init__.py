"""Drop-in Gradio components (thin: the work is in _payload, store, codecs)."""

from __future__ import annotations

from gradio_lossless.components.gallery import Gallery
from gradio_lossless.components.image import Image

__all__ = ["Gallery", "Image"]
