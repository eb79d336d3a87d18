"""One image value through a component: the exact preprocess and postprocess that
Image uses, shared with the components that carry images inside larger values
(ImageSlider's two, ImageEditor's background, layers and composite).

``what`` names the value in error messages ("Image", "ImageSlider image 1", ...).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, cast

import gradio as gr
import numpy as np
import PIL.Image
from gradio import image_utils
from gradio.data_classes import Base64ImageData, ImageData

from gradio_lossless.components import _display
from gradio_lossless.components._deliver import deliver
from gradio_lossless.components._load import load
from gradio_lossless.components._paths import readable
from gradio_lossless.components._save import save_returned
from gradio_lossless.core.errors import LosslessError
from gradio_lossless.store.store import get_store

__all__ = ["Delivered", "postprocess_one", "preprocess_one"]

Delivered = np.ndarray[Any, Any] | PIL.Image.Image | str | None


def preprocess_one(
    payload: ImageData | None,
    *,
    cache_dir: str,
    type: Any,
    image_mode: Any,
    format: str,
    keep_dtype: bool,
    what: str = "Image",
) -> Delivered:
    """What the user function receives for one image payload: the exact value (see
    gradio_lossless.Image.preprocess); data URLs and SVGs as stock reads them."""
    if payload is None:
        return None
    stock_kwargs = {
        "cache_dir": cache_dir,
        "format": format,
        "image_mode": image_mode,
        "type": type,
    }
    if payload.url and payload.url.startswith("data:"):
        try:
            return cast(
                Delivered, image_utils.preprocess_image(payload, **stock_kwargs)
            )
        except (OSError, ValueError, SyntaxError) as exc:
            # PIL.UnidentifiedImageError is an OSError; binascii.Error a ValueError
            raise gr.Error(
                f"{what} data URL: not an image Pillow can read ({_type_name(exc)})"
            ) from exc
    name = payload.orig_name or (Path(payload.path).name if payload.path else "")
    if payload.path is None:
        raise gr.Error(f"{what} payload has no file path.")
    try:
        source = readable(payload.path, cache_dir)
        if name.lower().endswith(".svg"):
            return cast(
                Delivered, image_utils.preprocess_image(payload, **stock_kwargs)
            )
        store = get_store(cache_dir)
        loaded = load(payload.path, store, source=source, deep=keep_dtype)
        return deliver(
            loaded,
            type=type,
            image_mode=image_mode,
            store=store,
            format=format,
            keep_dtype=keep_dtype,
            orig_name=payload.orig_name,
        )
    except LosslessError as exc:
        raise gr.Error(html.escape(f"{what} {name!r}: {exc}", quote=False)) from exc


def postprocess_one(
    value: Any,
    *,
    cache_dir: str,
    format: str,
    keep_dtype: bool,
    display: str,
    watermark: Any = None,
    what: str = "Image",
) -> ImageData | Base64ImageData | None:
    """The payload for one returned image: a file carrying the exact value."""
    if value is None:
        return None
    if isinstance(value, str) and value.lower().endswith(".svg"):
        return image_utils.postprocess_image(
            value, watermark=watermark, cache_dir=cache_dir, format=format
        )
    store = get_store(cache_dir)
    try:
        path = save_returned(
            value, store, format=format, watermark=watermark, keep_dtype=keep_dtype
        )
        _display.after_save(store, path, display)
    except LosslessError as exc:
        raise gr.Error(html.escape(f"{what} output: {exc}", quote=False)) from exc
    orig_name = Path(path).name if Path(path).exists() else None
    return ImageData(path=path, orig_name=orig_name)


def _type_name(exc: BaseException) -> str:
    return type(exc).__name__
