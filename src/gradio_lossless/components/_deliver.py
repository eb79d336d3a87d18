"""What a user function receives: a loaded value handed over as its ``type``
(``"pil"``, ``"numpy"`` or ``"filepath"``), converted as stock converts it.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np
import PIL.Image
import PIL.ImageOps

from gradio_lossless.codecs import spec
from gradio_lossless.components._load import Loaded
from gradio_lossless.components._save import save
from gradio_lossless.core import conversions
from gradio_lossless.core.described import is_png_native
from gradio_lossless.core.types import ImageType, ImageValue
from gradio_lossless.store.memory import work_budget
from gradio_lossless.store.store import Store

__all__ = ["deliver"]

_EXIF_ORIENTATION = 274


def _upload_to_pil(loaded: Loaded, image_mode: str | None) -> PIL.Image.Image:
    """What stock gr.Image does to an uploaded file: EXIF orientation, then
    ``convert(image_mode)`` (not for GIFs)."""
    im = loaded.value
    assert isinstance(im, PIL.Image.Image)  # noqa: S101
    if im.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        try:
            im = PIL.ImageOps.exif_transpose(im)
        except Exception as exc:
            warnings.warn(
                f"failed to apply EXIF orientation to {Path(loaded.path).name!r}: "
                f"{exc}",
                stacklevel=2,
            )
    if loaded.fmt == "GIF":
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
        return str(folder / ("image.png" if spec(fmt).name == "png" else "exact.png"))
    target = folder / "exact.tiff"
    if not target.exists():
        with work_budget().hold(2 * conversions.nbytes(value)):
            _write_tiff(value, target, store)
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


def deliver(
    loaded: Loaded,
    *,
    type: ImageType,
    image_mode: str | None,
    store: Store,
    format: str,
    stock_upload: Literal["image", "gallery"] = "image",
) -> np.ndarray[Any, Any] | PIL.Image.Image | str:
    """The value a user function receives, as ``type``.

    Exact values come back identical (a fresh copy) when ``image_mode`` is None or
    already matches; otherwise they are converted exactly as stock gr.Image converts
    a lossless file. Uploads follow stock: EXIF orientation and ``image_mode`` for
    pil/numpy; for filepath the uploaded file itself (byte-for-byte) unless
    ``image_mode`` asks for another mode. With ``stock_upload="gallery"`` uploads
    follow stock gr.Gallery instead: the file as Pillow opens it, nothing applied.
    """
    if loaded.exact:
        value = loaded.value
        if type in ("pil", "numpy"):
            if type == "pil":
                out: ImageValue = conversions.to_pil(value, image_mode)
            else:
                out = conversions.to_numpy(value, image_mode)
            if loaded.address and loaded.digest and _same_value_kind(value, out):
                # a fresh copy of the stored value: if the app hands it back
                # unchanged, its address is known without a keyed hash
                store.identities.note(out, loaded.address, loaded.digest)
            return out
        if isinstance(value, np.ndarray):
            if not conversions.layout_matches(value, image_mode):
                value = conversions.to_numpy(value, image_mode)
        else:
            value = conversions.convert_mode(value, image_mode)
        return _exact_file(value, store, format)
    im = loaded.value
    assert isinstance(im, PIL.Image.Image)  # noqa: S101
    if stock_upload == "gallery":
        if type == "filepath":
            return loaded.path
        return im if type == "pil" else conversions.pil_to_array(im)
    if type == "filepath":
        if image_mode is None or image_mode == im.mode or loaded.fmt == "GIF":
            return loaded.path
        return _exact_file(conversions.convert_mode(im, image_mode), store, format)
    out = _upload_to_pil(loaded, image_mode)
    return out if type == "pil" else conversions.pil_to_array(out)


def _same_value_kind(value: ImageValue, out: ImageValue) -> bool:
    """True when ``out`` is a copy of ``value`` with no conversion on the way."""
    if isinstance(value, np.ndarray) and isinstance(out, np.ndarray):
        return value.dtype == out.dtype and value.shape == out.shape
    if isinstance(value, PIL.Image.Image) and isinstance(out, PIL.Image.Image):
        return value.mode == out.mode and value.size == out.size
    return False
