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
from gradio.components.base import server
from gradio.components.image_editor import (
    AcceptBlobs,
    EditorData,
    EditorDataBlobs,
    EditorValue,
)
from gradio.data_classes import FileData, ImageData

from gradio_lossless.codecs import reader
from gradio_lossless.components import _display, _setup, _signature
from gradio_lossless.components._deliver import deliver
from gradio_lossless.components._load import load
from gradio_lossless.components._one_image import postprocess_one
from gradio_lossless.components._paths import readable
from gradio_lossless.components._stock import KEEP_DTYPE_DOC
from gradio_lossless.core import limits
from gradio_lossless.core.conversions import pil_pixel_bytes
from gradio_lossless.core.errors import LosslessError
from gradio_lossless.store.memory import work_budget
from gradio_lossless.store.store import Store, get_store

__all__ = ["ImageEditor"]

FORMAT_DOC = _signature.format_doc(
    "the background, layers and composite returned as arrays or PIL images",
    " The canvas sends PNGs back (8-bit RGBA).",
)

# Layers one value may hold: a canvas has a handful; each costs a decode, and a
# blob's layer index sizes a list (stock: one request of index 10**9 takes 8 GB).
MAX_LAYERS = 1000
_BLOB_TYPES = ("background", "layer", "composite")

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

    def _exact_file(self, file: FileData, what: str = "image") -> FileData:
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
                html.escape(f"ImageEditor {what} {name!r}: {exc}", quote=False)
            ) from exc
        assert isinstance(path, str)  # noqa: S101
        return FileData(path=path, orig_name=Path(path).name)

    def _read_file(self, file: FileData, what: str, flatten: bool, held: int) -> Any:
        """An exact value we served, delivered as gradio_lossless.Image delivers
        one (what stock reads from its PNG, without decoding it), unless stock
        would flatten it on white; else (an upload, or to flatten) as stock reads
        the file (ours: the exact PNG). A file is refused before its decode when
        that would take the value past the decoded cap (``held``: bytes the
        value's earlier items hold)."""
        name = file.orig_name or Path(file.path).name
        try:
            source = readable(file.path, self.GRADIO_CACHE)
            store = self._lossless_store()
            loaded = load(
                file.path,
                store,
                source=source,
                deep=False,
                before_decode=lambda nbytes: _check_total(what, held + nbytes),
            )
            if not loaded.exact:  # a plain upload: a PIL image (load's contract)
                assert isinstance(loaded.value, PIL.Image.Image)  # noqa: S101
                return self._upload(file, flatten, loaded.value)
            flattened = flatten and self.image_mode not in ("RGBA", "LA", "PA")
            as_stock = flattened and _has_alpha(loaded.value)
            value = deliver(
                loaded,
                type="filepath" if as_stock else self.type,
                image_mode=None if as_stock else self.image_mode,
                store=store,
                format="png" if as_stock else self.format,
                orig_name=None,
            )
        except LosslessError as exc:
            raise gr.Error(
                html.escape(f"ImageEditor {what} {name!r}: {exc}", quote=False)
            ) from exc
        if not as_stock:
            return value
        assert isinstance(value, str)  # noqa: S101
        exact = FileData(path=value, orig_name=Path(value).name)
        return STOCK.convert_and_format_image(self, exact, flatten)

    def _upload(
        self, file: FileData | bytes, flatten: bool, image: PIL.Image.Image
    ) -> Any:
        """An upload or canvas blob read as stock reads it (``image``: ours of it,
        which goes first), counted in the work budget as every decode of ours is:
        stock's decode, mode conversion and array, three times its pixels."""
        nbytes = pil_pixel_bytes(image.mode, image.width, image.height)
        image.close()  # Pillow frees the pixels of a closed image
        with work_budget().hold(3 * nbytes):
            return STOCK.convert_and_format_image(self, file, flatten)

    def convert_and_format_image(
        self, file: FileData | bytes | None, flatten_on_white: bool = False
    ) -> np.ndarray[Any, Any] | PIL.Image.Image | str | None:
        if isinstance(file, FileData) and file.path:
            file = self._exact_file(file)
        result: Any = super().convert_and_format_image(file, flatten_on_white)
        return result  # type: ignore[no-any-return]

    def _convert(
        self, file: FileData | bytes | None, what: str, flatten: bool, held: int
    ) -> Any:
        """One item, read as stock reads it; a canvas blob (bytes) checked first as
        an upload is (metadata and decoded-size caps, ``held`` as for
        ``_read_file``), every failure naming it."""
        stock = STOCK.convert_and_format_image
        if isinstance(file, FileData) and file.path:
            return self._read_file(file, what, flatten, held)
        if not isinstance(file, (bytes, bytearray, memoryview)):
            return stock(self, file, flatten)
        try:
            inspected = reader.inspect(bytes(file), self._lossless_store().keys)
            _check_total(what, held + inspected.pixel_bytes)
            if inspected.plain is None:
                return stock(self, file, flatten)
            return self._upload(file, flatten, inspected.plain)
        except gr.Error:  # ours, already naming it (a ValueError: not Pillow's)
            raise
        except LosslessError as exc:
            raise gr.Error(
                html.escape(f"ImageEditor {what}: {exc}", quote=False)
            ) from exc
        except (OSError, ValueError, SyntaxError) as exc:  # Pillow decoding it
            raise gr.Error(
                f"ImageEditor {what}: truncated or corrupt image ({type(exc).__name__})"
            ) from exc

    def preprocess(self, payload: EditorData | None) -> EditorValue | None:
        """
        Parameters:
            payload: An instance of `EditorData` consisting of the background image, layers, and composite image.
        Returns:
            Passes the images as stock gr.ImageEditor does (a `dict` with keys 'background', 'layers' and 'composite'), each exact: files we served stand for the exact values.
        """
        if payload is None:
            return None
        items: EditorData | EditorDataBlobs | None = payload
        if payload.id is not None:  # the canvas sent its images to accept_blobs
            items = self.blob_storage.pop(payload.id, None)
        if items is None:
            return {"background": None, "layers": [], "composite": None}
        if len(items.layers) > MAX_LAYERS:
            raise gr.Error(
                f"ImageEditor: {len(items.layers)} layers sent; at most {MAX_LAYERS}"
            )
        total = 0

        def one(file: FileData | bytes | None, what: str, flatten: bool) -> Any:
            nonlocal total
            value = self._convert(file, what, flatten, total)
            total += _held_bytes(value)
            _check_total(what, total)
            return value

        background = one(items.background, "background", True)
        layers = [one(f, f"layer {i}", False) for i, f in enumerate(items.layers)]
        return {
            "background": background,
            "layers": [layer for layer in layers if layer is not None],
            "composite": one(items.composite, "composite", True),
        }

    @server  # type: ignore[untyped-decorator]
    def accept_blobs(self, data: AcceptBlobs) -> None:
        """Stock's, with the blob's type and layer index checked first."""
        kind, index = data.data.get("type"), str(data.data.get("index"))
        if kind not in _BLOB_TYPES:
            raise gr.Error(
                "ImageEditor blob: its type is not background, layer or composite"
            )
        digits = index.isascii() and index.isdigit() and len(index) <= 6
        fine = digits and int(index) < MAX_LAYERS
        if kind == "layer" and index not in ("None", "null") and not fine:
            raise gr.Error(
                f"ImageEditor blob: its layer index is not a number in "
                f"0..{MAX_LAYERS - 1}"
            )
        super().accept_blobs(data)
        self._forget_old_blobs(str(data.data.get("id")))

    def _forget_old_blobs(self, keep: str) -> None:
        """Stock keeps every blob until its id is submitted, for ever when it never
        is: past GRADIO_LOSSLESS_MAX_DECODED_BYTES of pending blobs, the oldest
        ids go (a submit of one of them then gets an empty value, as stock gives
        for an id it does not know)."""
        pending = list(self.blob_storage.items())  # oldest first
        total = sum(_blob_bytes(blobs) for _, blobs in pending)
        cap = limits.limits().decoded
        for blob_id, blobs in pending:
            if total <= cap:
                break
            if blob_id != keep:
                self.blob_storage.pop(blob_id, None)
                total -= _blob_bytes(blobs)

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


def _check_total(what: str, total: int) -> None:
    """Refuse a value whose items up to ``what`` hold (or would, decoded) more
    than GRADIO_LOSSLESS_MAX_DECODED_BYTES."""
    try:
        limits.check_decoded(f"ImageEditor value up to its {what}", total)
    except LosslessError as exc:
        raise gr.Error(html.escape(str(exc), quote=False)) from None


def _has_alpha(value: Any) -> bool:
    """Would the PNG of ``value`` open with an alpha band (as stock checks)?"""
    if isinstance(value, PIL.Image.Image):
        return "A" in value.getbands() or "transparency" in value.info
    return bool(np.ndim(value) == 3 and np.shape(value)[2] in (2, 4))


def _blob_bytes(blobs: EditorDataBlobs) -> int:
    files = [blobs.background, blobs.composite, *blobs.layers]
    return sum(len(f) for f in files if f is not None)


def _held_bytes(value: Any) -> int:
    """Memory a delivered image holds (a file path: none)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, PIL.Image.Image):
        return pil_pixel_bytes(value.mode, value.width, value.height)
    return 0


_signature.adopt(
    ImageEditor,
    STOCK,
    format_doc=FORMAT_DOC,
    keep_dtype_doc=KEEP_DTYPE_DOC,
)
