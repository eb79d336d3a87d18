"""gradio_lossless.ImageEditor: gr.ImageEditor whose background, layers and
composite arrive bit-exact after any number of hops."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
from gradio import image_utils
from gradio.components.image_editor import EditorData, EditorValue
from gradio.data_classes import FileData, ImageData

from gradio_lossless.components import _display, _signature
from gradio_lossless.components._deliver import deliver
from gradio_lossless.components._load import load
from gradio_lossless.components._one_image import postprocess_one
from gradio_lossless.components._paths import readable
from gradio_lossless.components._stock import KEEP_DTYPE_DOC
from gradio_lossless.core.errors import LosslessError
from gradio_lossless.store.memory import tune_allocator
from gradio_lossless.store.store import Store, get_store

__all__ = ["ImageEditor"]

FORMAT_DOC = _signature.format_doc(
    "the background, layers and composite returned as arrays or PIL images",
    " The canvas sends PNGs back (8-bit RGBA).",
)

# captured at import: under patch() the name gr.ImageEditor means our class
STOCK = gr.ImageEditor


class ImageEditor(STOCK):
    """
    Drop-in gr.ImageEditor whose background, layers and composite arrive bit-exact
    at the next function: files we served hold the exact values (exact PNGs,
    whatever ``format`` names them), and what the browser's canvas sends
    (8-bit RGBA PNGs) is read as stock reads it, losslessly. Then converted to
    ``image_mode`` and ``type`` as stock converts. Same parameters as
    gr.ImageEditor plus ``keep_dtype`` (for what the function returns); the
    defaults are stock's. One more, not sent to the browser: ``display``, as
    for gradio_lossless.Image.
    """

    def __init__(
        self,
        value: Any = None,
        *,
        format: str = "webp",
        keep_dtype: bool = False,
        display: str = _display.DEFAULT_DISPLAY,
        **kwargs: Any,
    ) -> None:
        _signature.check_arguments(type(self).__name__, STOCK, format, kwargs)
        self.lossless_keep_dtype = bool(keep_dtype)
        self.lossless_display = _display.setting(display)
        _display.install()
        tune_allocator()
        super().__init__(value, format=format, **kwargs)
        if hasattr(self, "GRADIO_CACHE"):
            self._lossless_store()

    def _lossless_store(self) -> Store:
        return get_store(self.GRADIO_CACHE)

    def _exact_file(self, file: FileData) -> FileData:
        """The exact PNG a file we served stands for (an upload: itself)."""
        name = file.orig_name or Path(file.path).name
        try:
            source = readable(file.path, self.GRADIO_CACHE)
            store = self._lossless_store()
            loaded = load(file.path, store, source=source, deep=False)
            if not loaded.exact:
                return file
            path = deliver(
                loaded,
                type="filepath",
                image_mode=None,
                store=store,
                format="png",
                orig_name=None,
            )
        except LosslessError as exc:
            raise gr.Error(
                html.escape(f"ImageEditor {name!r}: {exc}", quote=False)
            ) from exc
        assert isinstance(path, str)  # noqa: S101
        return FileData(path=path, orig_name=Path(path).name)

    def convert_and_format_image(
        self, file: FileData | bytes | None, flatten_on_white: bool = False
    ) -> np.ndarray[Any, Any] | PIL.Image.Image | str | None:
        if isinstance(file, FileData) and file.path:
            file = self._exact_file(file)
        result: Any = super().convert_and_format_image(file, flatten_on_white)
        return result  # type: ignore[no-any-return]

    def postprocess(self, value: EditorValue | Any | None) -> EditorData | None:
        """
        Parameters:
            value: Expects a dict with keys 'background', 'layers' and 'composite' (images or None, a list of images), or a single image used as background and composite, as stock gr.ImageEditor.
        Returns:
            EditorData whose files carry the exact values.
        """
        if value is None:
            return None
        if isinstance(value, (np.ndarray, PIL.Image.Image, str)):
            value = {"background": value, "layers": [], "composite": value}
        elif not isinstance(value, dict):
            raise ValueError(
                "The value to `gr.ImageEditor` must be a dictionary of images or a "
                "single image."
            )

        def save(item: Any, what: str) -> FileData | None:
            if item is None:
                return None
            saved = postprocess_one(
                item,
                cache_dir=self.GRADIO_CACHE,
                format=self.format,
                keep_dtype=self.lossless_keep_dtype,
                display=self.lossless_display,
                what=f"ImageEditor {what}",
            )
            if not isinstance(saved, ImageData):  # an SVG stock inlines: as stock saves
                return FileData(path=image_utils.save_image(item, self.GRADIO_CACHE))
            return FileData(path=saved.path or "")

        layers = [
            save(layer, f"layer {i}") for i, layer in enumerate(value["layers"] or [])
        ]
        return EditorData(
            background=save(value["background"], "background"),
            layers=[layer for layer in layers if layer is not None],
            composite=save(value["composite"], "composite"),
        )


_signature.adopt(
    ImageEditor,
    STOCK,
    format_doc=FORMAT_DOC,
    keep_dtype_doc=KEEP_DTYPE_DOC,
)
