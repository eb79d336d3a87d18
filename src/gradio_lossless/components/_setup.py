"""What every lossless component does around stock's ``__init__``: the same steps
for Image, Gallery, ImageEditor, AnnotatedImage and ImageSlider."""

from __future__ import annotations

from typing import Any

from gradio_lossless.components import _display, _signature
from gradio_lossless.store.memory import tune_allocator
from gradio_lossless.store.store import get_store

__all__ = ["after_stock_init", "before_stock_init"]


def before_stock_init(
    component: Any,
    stock: type,
    format: str,
    kwargs: dict[str, Any],
    *,
    keep_dtype: bool,
    display: str,
) -> None:
    """Check the arguments (as stock would name a bad one), keep our two settings
    and hook the app: before stock's ``__init__`` runs."""
    _signature.check_arguments(type(component).__name__, stock, format, kwargs)
    # not named keep_dtype: Gradio would send that attribute to the browser
    component.lossless_keep_dtype = bool(keep_dtype)
    component.lossless_display = _display.setting(display)
    _display.install()  # serve renditions to <img> (_display.py)
    tune_allocator()  # before the server's threads allocate (memory.py)


def after_stock_init(component: Any) -> None:
    """Open the store now, so the secret is read (or made) here, not mid-request.

    Inside an event listener Gradio runs only the outermost ``__init__`` (the
    object is an update, or Chatbot content it builds again from its constructor
    arguments), so the stock part may not have run: no store to open yet.
    """
    if hasattr(component, "GRADIO_CACHE"):
        get_store(component.GRADIO_CACHE)
