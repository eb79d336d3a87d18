"""gradio_lossless.ImageSlider: gr.ImageSlider whose two images arrive bit-exact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
from gradio.components.imageslider import SliderData

from gradio_lossless.components import _display, _setup, _signature
from gradio_lossless.components._one_image import postprocess_one, preprocess_one
from gradio_lossless.components._stock import KEEP_DTYPE_DOC
from gradio_lossless.store.store import Store, get_store

__all__ = ["ImageSlider"]

FORMAT_DOC = _signature.format_doc("both images", "")

# captured at import: under patch() the name gr.ImageSlider means our class
STOCK = gr.ImageSlider

_One = np.ndarray[Any, Any] | PIL.Image.Image | str | Path | None


class ImageSlider(STOCK):
    """
    Drop-in gr.ImageSlider whose two images arrive bit-exact at the next component,
    after any number of hops, each as gradio_lossless.Image delivers one: what
    stock gr.ImageSlider(format="png") hands over, with metadata kept (with
    ``keep_dtype=True``, the values themselves). Same parameters as gr.ImageSlider
    plus ``keep_dtype``, defaults included; the served files are exact PNGs whatever
    ``format`` names them. One more, not sent to the browser: ``display``, as for gradio_lossless.Image.
    """

    lossless_keep_dtype: bool  # set by _setup.before_stock_init
    lossless_display: str

    def __init__(
        self,
        value: Any = None,
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

    def preprocess(self, payload: SliderData | None) -> tuple[Any, Any] | None:
        """
        Parameters:
            payload: image data in the form of a SliderData object
        Returns:
            Passes the two images as a tuple of `numpy.array`, `PIL.Image` or `str` filepath depending on `type`, each exactly as gradio_lossless.Image passes one.
        """
        if payload is None:
            return None
        if payload.root is None:
            raise ValueError("Payload is None.")
        first, second = (
            preprocess_one(
                item,
                cache_dir=self.GRADIO_CACHE,
                type=self.type,
                image_mode=self.image_mode,
                format=self.format,
                keep_dtype=self.lossless_keep_dtype,
                what=f"ImageSlider image {index}",
            )
            for index, item in enumerate(payload.root, start=1)
        )
        return first, second

    def postprocess(self, value: tuple[_One, _One] | None) -> SliderData | None:
        """
        Parameters:
            value: Expects a tuple of `numpy.array`, `PIL.Image`, or `str` or `pathlib.Path` filepath to an image which is displayed.
        Returns:
            Returns the images as a `SliderData` object whose files carry the exact values.
        """
        if value is None:
            return None
        saved = [
            postprocess_one(
                item,
                cache_dir=self.GRADIO_CACHE,
                format=self.format,
                keep_dtype=self.lossless_keep_dtype,
                display=self.lossless_display,
                what=f"ImageSlider image {index}",
            )
            for index, item in enumerate(value[:2], start=1)
        ]
        return SliderData(root=(saved[0], saved[1]))  # type: ignore[arg-type]


_signature.adopt(
    ImageSlider,
    STOCK,
    format_doc=FORMAT_DOC,
    keep_dtype_doc=KEEP_DTYPE_DOC,
)
