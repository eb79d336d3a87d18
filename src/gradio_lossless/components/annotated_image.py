"""gradio_lossless.AnnotatedImage: gr.AnnotatedImage whose base image stays exact."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr
import gradio_client.utils as client_utils
import numpy as np
import PIL.Image
from gradio import processing_utils
from gradio import utils as gr_utils
from gradio.components.annotated_image import AnnotatedImageData, Annotation
from gradio.data_classes import FileData

from gradio_lossless.components import _display, _masks, _setup, _signature
from gradio_lossless.components._deliver import deliver
from gradio_lossless.components._load import load
from gradio_lossless.components._paths import readable
from gradio_lossless.components._save import save_returned
from gradio_lossless.components._stock import KEEP_DTYPE_DOC
from gradio_lossless.core.errors import LosslessError
from gradio_lossless.store.store import Store, get_store

__all__ = ["AnnotatedImage"]

FORMAT_DOC = _signature.format_doc(
    "a base image returned as an array or a PIL image",
    " Masks are PNGs, as stock makes them.",
)

# captured at import: under patch() the name gr.AnnotatedImage means our class
STOCK = gr.AnnotatedImage


class AnnotatedImage(STOCK):
    """
    Drop-in gr.AnnotatedImage whose base image arrives bit-exact at the next
    component, after any number of hops: the file is what stock
    gr.AnnotatedImage(format="png") would write (with ``keep_dtype=True``, the value
    itself). Masks are made and served as stock makes them. Same parameters as
    gr.AnnotatedImage, defaults included, plus ``keep_dtype``; the served file is
    the exact PNG whatever ``format`` names it. One more, not sent to the browser: ``display``, as for gradio_lossless.Image.
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

    def preprocess(
        self, payload: AnnotatedImageData | None
    ) -> tuple[str, list[tuple[str, str]]] | None:
        """
        Parameters:
            payload: Dict of base image and list of annotations.
        Returns:
            Passes its value as a `tuple` of a `str` filepath to the base image (an exact PNG of the value served, even when a lossy `format` was served) and a `list` of (mask filepath, label) annotations, as stock passes them.
        """
        value = super().preprocess(payload)
        if value is None or payload is None:
            return None
        base, annotations = value
        name = payload.image.orig_name or Path(base).name
        try:
            source = readable(base, self.GRADIO_CACHE)
            store = self._lossless_store()
            loaded = load(base, store, source=source, deep=self.lossless_keep_dtype)
            exact = deliver(
                loaded,
                type="filepath",
                image_mode=None,
                store=store,
                format=self.format,
                keep_dtype=self.lossless_keep_dtype,
                orig_name=payload.image.orig_name,
                stock_upload="gallery",
            )
        except LosslessError as exc:
            raise gr.Error(
                html.escape(f"AnnotatedImage base image {name!r}: {exc}", quote=False)
            ) from exc
        assert isinstance(exact, str)  # noqa: S101
        return exact, annotations

    def postprocess(
        self,
        value: (
            tuple[
                np.ndarray[Any, Any] | PIL.Image.Image | str,
                Sequence[tuple[np.ndarray[Any, Any] | tuple[int, int, int, int], str]],
            ]
            | None
        ),
    ) -> AnnotatedImageData | None:
        """
        Parameters:
            value: Expects a tuple of a base image (`str` filepath, `numpy.ndarray` or `PIL.Image`) and a list of (mask, label) annotations, as stock gr.AnnotatedImage.
        Returns:
            The base image file (carrying the exact value) and the annotations' mask files.
        """
        if value is None:
            return None
        base, annotations = value
        size = _size_of(base)
        if isinstance(base, (np.ndarray, PIL.Image.Image)) or (
            isinstance(base, str) and not client_utils.is_http_url_like(base)
        ):
            # a path we wrote (the exact PNG a function got, handed back) is served
            # under the served file's name, so an <img> of it gets the rendition
            store = self._lossless_store()
            try:
                base = save_returned(
                    base,
                    store,
                    format=self.format,
                    keep_dtype=self.lossless_keep_dtype,
                )
                _display.after_save(store, base, self.lossless_display)
            except LosslessError as exc:
                raise gr.Error(
                    html.escape(f"AnnotatedImage output: {exc}", quote=False)
                ) from exc
        drawn = (
            None if size is None else _masks.draw(annotations, *size, self.color_map)
        )
        if drawn is None:
            # something only stock's own drawing decides: it reads the size from the file
            return super().postprocess((base, annotations))
        return AnnotatedImageData(
            image=FileData(path=str(base)),
            annotations=[
                Annotation(
                    image=FileData(path=_mask_file(rgba, self.GRADIO_CACHE)),
                    label=label,
                )
                for rgba, label in drawn
            ],
        )


def _size_of(base: object) -> tuple[int, int] | None:
    """(height, width) of a base image without decoding its pixels; None for a URL or
    anything stock alone handles."""
    if isinstance(base, np.ndarray):
        return (base.shape[0], base.shape[1]) if base.ndim >= 2 else None
    if isinstance(base, PIL.Image.Image):
        return base.height, base.width
    if isinstance(base, str) and not client_utils.is_http_url_like(base):
        try:
            with PIL.Image.open(base) as im:
                return im.height, im.width
        except (OSError, ValueError, PIL.Image.DecompressionBombError):
            return None  # stock's own decode raises its own error
    return None


def _mask_file(rgba: np.ndarray[Any, Any], cache: str) -> str:
    """The mask's PNG, written by stock's own writer: the same bytes and path as stock."""
    written = processing_utils.save_pil_to_cache(
        PIL.Image.fromarray(rgba), cache_dir=cache, format="png"
    )
    return str(gr_utils.abspath(written))


_signature.adopt(
    AnnotatedImage,
    STOCK,
    format_doc=FORMAT_DOC,
    keep_dtype_doc=KEEP_DTYPE_DOC,
)
