"""What a user function receives: a loaded value handed over as its ``type``
(``"pil"``, ``"numpy"`` or ``"filepath"``).

By default that is what stock ``gr.Image(format="png")`` / ``gr.Gallery(format=
"png")`` would hand over in the same place (``_stock.py``), minus the lossy step;
with ``keep_dtype`` the stored value itself, dtype, shape and values kept.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np
import PIL.Image
import PIL.ImageOps

from gradio_lossless.codecs import depth, spec
from gradio_lossless.components import _stock
from gradio_lossless.components._load import Loaded
from gradio_lossless.components._save import save
from gradio_lossless.core import conversions
from gradio_lossless.core.described import is_png_native
from gradio_lossless.core.types import ImageType, ImageValue
from gradio_lossless.store.memory import work_budget
from gradio_lossless.store.store import EXACT_ALIAS, Store

__all__ = ["deliver", "is_gif_name"]

_EXIF_ORIENTATION = 274
Out = np.ndarray[Any, Any] | PIL.Image.Image | str
# Pillow modes deeper than 8 bits: with keep_dtype, an upload in one is handed on
# as an array (its dtype kept through image_mode), as a deep TIFF is
_DEEP_MODES = {"I;16", "I;16B", "I;16L", "I", "F"}


def is_gif_name(orig_name: str | None) -> bool:
    """Stock decides "GIF" (no ``image_mode`` conversion) from the upload's file
    name, not its bytes; an upload without a name is never a GIF."""
    return bool(orig_name) and Path(str(orig_name)).suffix.lower() == ".gif"


def _transposed(im: PIL.Image.Image, path: str) -> PIL.Image.Image:
    """EXIF orientation applied, as stock applies it to uploads."""
    if im.getexif().get(_EXIF_ORIENTATION, 1) == 1:
        return im
    try:
        return PIL.ImageOps.exif_transpose(im)
    except Exception as exc:
        warnings.warn(
            f"failed to apply EXIF orientation to {Path(path).name!r}: {exc}",
            stacklevel=3,
        )
        return im


def _upload_to_pil(
    loaded: Loaded, image_mode: str | None, orig_name: str | None
) -> PIL.Image.Image:
    """What stock gr.Image does to an uploaded file: EXIF orientation, then
    ``convert(image_mode)`` unless the upload is named as a GIF."""
    im = loaded.value
    assert isinstance(im, PIL.Image.Image)  # noqa: S101
    im = _transposed(im, loaded.path)
    if is_gif_name(orig_name):
        return im
    return conversions.convert_mode(im, image_mode)


def _exact_file(value: ImageValue, store: Store, fmt: str) -> str:
    """Path of a standard file holding ``value`` exactly: the exact PNG where a
    plain PNG reader sees the real pixels, else a TIFF (Pillow for PIL modes,
    tifffile for arrays no PIL mode can hold), deflate-compressed."""
    path = save(value, store, format=fmt)
    address = store.owns(path)
    folder = Path(path).parent
    if is_png_native(value):
        return str(folder / ("image.png" if spec(fmt).name == "png" else EXACT_ALIAS))
    target = folder / "exact.tiff"
    if not target.exists():
        with work_budget().hold(2 * conversions.nbytes(value)):
            _write_tiff(value, target, store)
    if address is not None:
        store.note_path(target, address)
    return str(target)


def _upload_stem(orig_name: str | None) -> str:
    """The name stock gives a converted upload (the upload's own stem, else
    "image"), when it is a plain file name."""
    stem = Path(orig_name).stem if orig_name else ""
    if not stem or stem.startswith(".") or len(stem.encode()) > 200:
        return "image"
    return stem


def _named_file(
    value: ImageValue, store: Store, fmt: str, orig_name: str | None
) -> str:
    """``_exact_file`` under the upload's own name, as stock names a converted
    upload (``<stem>.png``, or ``.tiff`` for values no PNG holds: never the
    upload's lossy format)."""
    exact = Path(_exact_file(value, store, fmt))
    target = exact.with_name(_upload_stem(orig_name) + exact.suffix)
    if target == exact:
        return str(exact)
    address = store.owns(exact)
    if not target.is_file():
        store.write(target, exact.read_bytes())
    if address is not None:
        store.note_path(target, address)
    return str(target)


def _write_tiff(value: ImageValue, target: Path, store: Store) -> None:
    """Write ``value`` as a TIFF (Pillow for PIL modes, tifffile for arrays no PIL
    mode can hold)."""
    buf = io.BytesIO()
    if isinstance(value, PIL.Image.Image):
        value.save(buf, "TIFF", compression="tiff_adobe_deflate")
    elif conversions.natural_mode(value) is not None:
        im = conversions.array_to_pil(value)
        im.save(buf, "TIFF", compression="tiff_adobe_deflate")
    else:
        import tifffile

        tifffile.imwrite(buf, value, compression="zlib")
    store.write(target, buf.getvalue())


def _mode_of(value: ImageValue) -> str | None:
    if isinstance(value, np.ndarray):
        return conversions.natural_mode(value)
    return value.mode


def _as_stock(
    value: ImageValue, type: ImageType, image_mode: str | None
) -> np.ndarray[Any, Any] | PIL.Image.Image:
    """A stock value (``_stock.is_stock_value``) converted as stock converts the
    image it opened: ``convert(image_mode)``, then ``np.array`` for numpy."""
    if (
        type == "numpy"
        and isinstance(value, np.ndarray)
        and image_mode in (None, _mode_of(value))
    ):
        return np.array(value, copy=True)
    im = conversions.to_pil(value, image_mode)
    return im if type == "pil" else _stock.deliver_array(im)


def _deliver_exact(
    loaded: Loaded,
    *,
    type: ImageType,
    image_mode: str | None,
    store: Store,
    format: str,
    keep_dtype: bool,
    orig_name: str | None,
) -> Out:
    value = loaded.value
    if not keep_dtype:
        value = _stock.stock_view(value)
    if type in ("pil", "numpy"):
        if keep_dtype:
            if type == "pil":
                out: ImageValue = conversions.to_pil(value, image_mode)
            else:
                out = conversions.to_numpy(value, image_mode)
        else:
            out = _as_stock(value, type, image_mode)
        if (
            value is loaded.value
            and loaded.address
            and loaded.digest
            and _same_value_kind(value, out)
        ):
            # a fresh copy of the stored value: if the app hands it back
            # unchanged, its address is known without a keyed hash
            store.identities.note(out, loaded.address, loaded.digest)
        return out
    if keep_dtype:
        if isinstance(value, np.ndarray):
            if not conversions.layout_matches(value, image_mode):
                value = conversions.to_numpy(value, image_mode)
        else:
            value = conversions.convert_mode(value, image_mode)
        return _exact_file(value, store, format)
    if image_mode in (None, _mode_of(value)):
        return _exact_file(value, store, format)
    converted = conversions.to_pil(value, image_mode)
    return _named_file(converted, store, format, orig_name)


def deliver(
    loaded: Loaded,
    *,
    type: ImageType,
    image_mode: str | None,
    store: Store,
    format: str,
    keep_dtype: bool = False,
    orig_name: str | None = None,
    stock_upload: Literal["image", "gallery"] = "image",
) -> Out:
    """The value a user function receives, as ``type``.

    Exact values: by default what stock would hand over (``_stock.py``), converted
    as stock converts the file it opened; with ``keep_dtype`` the stored value
    itself (a fresh copy) when ``image_mode`` is None or its layout matches.
    Uploads follow stock: EXIF orientation and ``image_mode`` (not for a file
    named ``.gif``) for pil/numpy; for filepath the uploaded file itself
    (byte-for-byte) unless ``image_mode`` asks for another mode, then an exact
    file under the upload's name. With ``stock_upload="gallery"`` uploads follow
    stock gr.Gallery instead: the file as Pillow opens it, nothing applied.
    ``orig_name`` is the payload's ``orig_name`` (None when it has none).
    """
    if loaded.exact:
        return _deliver_exact(
            loaded,
            type=type,
            image_mode=image_mode,
            store=store,
            format=format,
            keep_dtype=keep_dtype,
            orig_name=orig_name,
        )
    im = loaded.value
    if keep_dtype and _deep_upload(im, image_mode, stock_upload):
        if isinstance(im, PIL.Image.Image):
            im = conversions.pil_to_array(_transposed(im, loaded.path))
        elif stock_upload == "image":  # orientation applied as stock applies it
            im = depth.orient(im, loaded.orientation)
        return _deliver_deep(
            im, loaded.path, type, image_mode, store, format, orig_name, stock_upload
        )
    to_array = conversions.pil_to_array if keep_dtype else _stock.deliver_array
    assert isinstance(im, PIL.Image.Image)  # noqa: S101
    if stock_upload == "gallery":
        if type == "filepath":
            return loaded.path
        return im if type == "pil" else to_array(im)
    if type == "filepath":
        if image_mode in (None, im.mode) or is_gif_name(orig_name):
            return loaded.path
        converted = _upload_to_pil(loaded, image_mode, orig_name)
        return _named_file(converted, store, format, orig_name)
    out = _upload_to_pil(loaded, image_mode, orig_name)
    return out if type == "pil" else to_array(out)


def _deep_upload(
    im: ImageValue, image_mode: str | None, stock_upload: Literal["image", "gallery"]
) -> bool:
    """True for an upload ``_deliver_deep`` hands on (``keep_dtype``): one read as
    an array, or one in a Pillow mode deeper than 8 bits that ``image_mode`` would
    make Pillow clip (I;16 -> RGB keeps only values up to 255)."""
    if isinstance(im, np.ndarray):
        return True
    return (
        im.mode in _DEEP_MODES
        and stock_upload == "image"
        and image_mode not in (None, im.mode)
    )


def _deliver_deep(
    arr: np.ndarray[Any, Any],
    path: str,
    type: ImageType,
    image_mode: str | None,
    store: Store,
    format: str,
    orig_name: str | None,
    stock_upload: Literal["image", "gallery"],
) -> Out:
    """An upload deeper than 8 bits, read as an array (``keep_dtype``): its dtype
    kept, ``image_mode`` applied as ``conversions.to_numpy`` / ``to_pil`` apply
    it (for a gallery, no ``image_mode``)."""
    mode = None if stock_upload == "gallery" or is_gif_name(orig_name) else image_mode
    if type == "filepath":
        if conversions.layout_matches(arr, mode):
            return path
        return _named_file(conversions.to_numpy(arr, mode), store, format, orig_name)
    if type == "pil":
        return conversions.to_pil(arr, mode)
    return (
        arr
        if conversions.layout_matches(arr, mode)
        else conversions.to_numpy(arr, mode)
    )


def _same_value_kind(value: ImageValue, out: ImageValue) -> bool:
    """True when ``out`` is a copy of ``value`` with no conversion on the way."""
    if isinstance(value, np.ndarray) and isinstance(out, np.ndarray):
        return value.dtype == out.dtype and value.shape == out.shape
    if isinstance(value, PIL.Image.Image) and isinstance(out, PIL.Image.Image):
        return value.mode == out.mode and value.size == out.size
    return False
