"""gradio-lossless: drop-in gr.Image and gr.Gallery whose values arrive bit-exact."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
