"""gradio_lossless.Gallery: gr.Gallery whose images arrive bit-exact after any number of hops."""

from __future__ import annotations

import html
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
from gradio.components.gallery import GalleryData, GalleryImage, GalleryVideo
from gradio.data_classes import ImageData
from gradio_client import utils as client_utils

from gradio_lossless.codecs import fast_png, png_workers
from gradio_lossless.components import _display, _setup, _signature
from gradio_lossless.components._deliver import deliver
from gradio_lossless.components._load import load
from gradio_lossless.components._paths import readable
from gradio_lossless.components._save import save_returned
from gradio_lossless.components._stock import KEEP_DTYPE_DOC
from gradio_lossless.core.errors import LosslessError
from gradio_lossless.store.memory import work_budget
from gradio_lossless.store.store import Store, get_store

__all__ = ["Gallery"]

FORMAT_DOC = _signature.format_doc(
    "images returned as arrays or PIL images",
    " (files returned by path are served as they are, as stock serves them)",
)
_WORKERS = max(2, min(8, os.cpu_count() or 2))


# captured at import: under patch() the name gr.Gallery means our class
STOCK = gr.Gallery


class Gallery(STOCK):
    """
    Drop-in gr.Gallery whose images arrive bit-exact at the next component, after
    any number of hops, in the browser and through gradio_client: what stock
    gr.Gallery(format="png") hands the next function, with metadata and captions
    kept; with ``keep_dtype=True``, the values themselves (dtype, shape, float and
    16-bit values). Same parameters as gr.Gallery (of the installed Gradio) plus
    ``keep_dtype``, defaults included; the served files are exact PNGs whatever
    ``format`` names them. One more, not sent to the browser: ``display``, as for gradio_lossless.Image.
    """

    lossless_keep_dtype: bool  # set by _setup.before_stock_init
    lossless_display: str

    def __init__(
        self,
        value: list[Any] | Any | None = None,
        *,
        format: str = "webp",
        keep_dtype: bool = False,
        display: str = _display.DEFAULT_DISPLAY,
        **kwargs: Any,
    ) -> None:
        _setup.before_stock_init(
            self, STOCK, format, kwargs, keep_dtype=keep_dtype, display=display
        )
        if fast_png.available():
            # their interpreters start now, not on first use; each request's
            # pixel copy counts against the work budget
            png_workers.start(hold=work_budget().hold)
        super().__init__(value, format=format, **kwargs)
        _setup.after_stock_init(self)

    def _lossless_store(self) -> Store:
        return get_store(self.GRADIO_CACHE)

    def preprocess(
        self, payload: GalleryData | None
    ) -> list[tuple[Any, str | None]] | None:
        """
        Parameters:
            payload: a list of images or videos, or list of (media, caption) tuples
        Returns:
            Passes the list of images or videos as a list of (media, caption) tuples. Depending on `type`, images are `str` file paths, `numpy` arrays or `PIL.Image` objects: exactly what stock gr.Gallery(format="png") passes (with `keep_dtype`, the exact values the previous function returned), or the uploaded files. Videos are always `str` file paths.
        """
        if payload is None or not payload.root:
            return None
        store = self._lossless_store()
        data: list[tuple[Any, str | None]] = []
        for index, element in enumerate(payload.root):
            if isinstance(element, GalleryVideo):
                file_path = element.video.path
                name = element.video.orig_name or Path(file_path).name
            else:
                file_path = element.image.path or ""
                name = element.image.orig_name or Path(file_path).name
            try:
                source = readable(file_path, self.GRADIO_CACHE) if file_path else ""
            except LosslessError as exc:
                raise gr.Error(
                    html.escape(f"Gallery item {index} ({name!r}): {exc}", quote=False)
                ) from exc
            if self.file_types and not client_utils.is_valid_file(
                file_path, self.file_types
            ):
                raise gr.Error(
                    "Invalid file type. Please upload a file that is one of these "
                    f"formats: {self.file_types}"
                )
            if isinstance(element, GalleryVideo):
                data.append((element.video.path, element.caption))
                continue
            if name.lower().endswith(".svg") or (
                self.type == "filepath" and not file_path
            ):
                data.append((file_path, element.caption))
                continue
            try:
                loaded = load(
                    file_path, store, source=source, deep=self.lossless_keep_dtype
                )
                media = deliver(
                    loaded,
                    type=self.type,
                    image_mode=None,
                    store=store,
                    format=self.format,
                    keep_dtype=self.lossless_keep_dtype,
                    orig_name=element.image.orig_name,
                    stock_upload="gallery",
                )
            except LosslessError as exc:
                raise gr.Error(
                    html.escape(f"Gallery item {index} ({name!r}): {exc}", quote=False)
                ) from exc
            data.append((media, element.caption))
        return data

    def postprocess(self, value: list[Any] | None) -> GalleryData:
        """
        Parameters:
            value: Expects the function to return a `list` of images or videos, or a `list` of (media, `str` caption) tuples. Each image can be a `str` file path, a `numpy` array or a `PIL.Image` object; each video a `str` file path.
        Returns:
            a list of images or videos, or list of (media, caption) tuples, whose files carry the exact values
        """
        if value is None:
            return GalleryData(root=[])
        if isinstance(value, (str, np.ndarray, PIL.Image.Image)):
            raise gr.Error(
                "Gallery output: expected a list of images or (image, caption) "
                f"tuples, got a single {type(value).__name__}"
            )
        items = list(value)
        store = self._lossless_store()
        parallel = len(items) > 1  # encode on every core (fast_png.py)

        def save_item(index: int) -> GalleryImage | GalleryVideo:
            item, caption = items[index], None
            if isinstance(item, (tuple, list)):
                if len(item) != 2:
                    raise gr.Error(
                        f"Gallery item {index}: expected (image, caption), got a "
                        f"{type(item).__name__} of length {len(item)}"
                    )
                item, caption = item
            mime_type, orig_name = None, None
            if isinstance(item, (str, Path)):
                text = str(item)
                mime_type = client_utils.get_mimetype(text)
                orig_name = Path(text).name
                if (mime_type is not None and "video" in mime_type) or (
                    text.lower().endswith(".svg")
                ):
                    return self._stock_item(item, caption)
            try:
                with fast_png.in_workers() if parallel else nullcontext():
                    path = save_returned(
                        item,
                        store,
                        format=self.format,
                        keep_dtype=self.lossless_keep_dtype,
                    )
                _display.after_save(store, path, self.lossless_display)
            except LosslessError as exc:
                raise gr.Error(
                    html.escape(f"Gallery item {index}: {exc}", quote=False)
                ) from exc
            if path.startswith(("http://", "https://")):
                return self._stock_item(path, caption)
            # as stock: a path keeps its name and mime type, an array or PIL
            # image has neither
            image = ImageData(path=path, orig_name=orig_name, mime_type=mime_type)
            return GalleryImage(image=image, caption=caption)

        if len(items) <= 1:
            return GalleryData(root=[save_item(i) for i in range(len(items))])
        with ThreadPoolExecutor(min(_WORKERS, len(items))) as pool:
            return GalleryData(root=list(pool.map(save_item, range(len(items)))))

    def _stock_item(
        self, item: Any, caption: str | None
    ) -> GalleryImage | GalleryVideo:
        """Videos, SVGs and URLs: exactly what stock gr.Gallery returns for them."""
        data = super().postprocess([(item, caption)] if caption is not None else [item])
        return data.root[0]


_signature.adopt(
    Gallery,
    STOCK,
    format_doc=FORMAT_DOC,
    keep_dtype_doc=KEEP_DTYPE_DOC,
)
