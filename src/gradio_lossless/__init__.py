"""gradio-lossless: drop-in gr.Image and gr.Gallery whose values arrive bit-exact."""

from __future__ import annotations

from gradio_lossless.components import Gallery, Image
from gradio_lossless.io import read

__version__ = "0.1.0"

__all__ = ["Gallery", "Image", "__version__", "read"]
