"""gradio_lossless.Image: gr.Image whose values arrive bit-exact after any number of hops."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
from gradio.data_classes import Base64ImageData, ImageData

from gradio_lossless.components import _display, _setup, _signature
from gradio_lossless.components._one_image import postprocess_one, preprocess_one
from gradio_lossless.components._stock import KEEP_DTYPE_DOC
from gradio_lossless.store.store import Store, get_store

__all__ = ["Image"]

FORMAT_DOC = _signature.format_doc("the image", "")


# captured at import: under patch() the name gr.Image means our class
STOCK = gr.Image


class Image(STOCK):
    """
    Drop-in gr.Image whose values arrive bit-exact at the next component, after any
    number of hops, in the browser and through gradio_client: what stock
    gr.Image(format="png") hands the next function, with the metadata kept; with
    ``keep_dtype=True``, the value itself (dtype, shape, float and 16-bit values).
    Same parameters as gr.Image (of the installed Gradio) plus ``keep_dtype``; the
    defaults are stock's, and the served file is the exact PNG whatever ``format``
    names it (``image.webp`` by default). One more, not sent to the browser: ``display`` says what an ``<img>`` showing it loads: "rendition" (the
    default: a WebP at most 1920 pixels long, or the exact PNG when that is small),
    "exact", or "webp"/"jpeg"/"avif" at full resolution; downloads, API clients and
    the next function always get the exact value (README).
    """

    lossless_keep_dtype: bool  # set by _setup.before_stock_init
    lossless_display: str

    def __init__(
        self,
        value: str | PIL.Image.Image | np.ndarray[Any, Any] | Any | None = None,
        *,
        format: str = "webp",
        keep_dtype: bool = False,
        display: str = _display.DEFAULT_DISPLAY,
        **kwargs: Any,
    ) -> None:
        _setup.before_stock_init(
            self, STOCK, format, kwargs, keep_dtype=keep_dtype, display=display
        )
        super().__init__(value, format=format, **kwargs)
        _setup.after_stock_init(self)

    def _lossless_store(self) -> Store:
        return get_store(self.GRADIO_CACHE)

    def preprocess(
        self, payload: ImageData | None
    ) -> np.ndarray[Any, Any] | PIL.Image.Image | str | None:
        """
        Parameters:
            payload: image data in the form of a FileData object
        Returns:
            Passes the image as a `numpy.array`, `PIL.Image` or `str` filepath depending on `type`: exactly what stock gr.Image(format="png") passes (with `keep_dtype`, the exact value the previous function returned, converted only when `type` or `image_mode` ask for it), or the uploaded file.
        """
        return preprocess_one(
            payload,
            cache_dir=self.GRADIO_CACHE,
            type=self.type,
            image_mode=self.image_mode,
            format=self.format,
            keep_dtype=self.lossless_keep_dtype,
        )

    def postprocess(
        self, value: np.ndarray[Any, Any] | PIL.Image.Image | str | Path | None
    ) -> ImageData | Base64ImageData | None:
        """
        Parameters:
            value: Expects a `numpy.array`, `PIL.Image`, or `str` or `pathlib.Path` filepath to an image which is displayed.
        Returns:
            Returns the image as a `FileData` object whose file carries the exact value.
        """
        return postprocess_one(
            value,
            cache_dir=self.GRADIO_CACHE,
            format=self.format,
            keep_dtype=self.lossless_keep_dtype,
            display=self.lossless_display,
            watermark=self.watermark,
        )


_signature.adopt(
    Image,
    STOCK,
    format_doc=FORMAT_DOC,
    keep_dtype_doc=KEEP_DTYPE_DOC,
)
assert "format" in inspect.signature(Image.__init__).parameters  # noqa: S101
