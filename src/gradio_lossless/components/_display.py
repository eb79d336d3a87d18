"""What the browser's ``<img>`` gets: the ``display`` setting, and the hook that
puts the serving layer (``serving/``) on Gradio's apps.

**The hook.** Starlette builds an app's middleware stack on its first request and
refuses middleware after that, and Gradio makes its app inside ``Blocks.launch``,
``gr.mount_gradio_app``, ``Blocks.__exit__`` and ``Blocks.queue``, all through the
one static method ``gradio.routes.App.create_app``. So the first lossless component
made in a process wraps that method, once (``install``, idempotent and
thread-safe): every app created from then on gets ``serving.Renditions`` as its
innermost middleware (inside Gradio's CORS and Brotli layers, so their headers
apply to renditions as to any file). It is the one place every way of serving an
app goes through, it needs no user code, and it changes no route: the middleware
passes every request that is not an image load of a stored exact PNG through
untouched. An app made before any lossless component existed, or one already
serving, is left alone (its images are served exact, as before): add the
middleware yourself with ``add_renditions(app)`` before it starts.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

from gradio_lossless.serving.middleware import Renditions
from gradio_lossless.serving.renditions import check_display, mark
from gradio_lossless.store.store import SERVED_PREFIX, Store

__all__ = [
    "DEFAULT_DISPLAY",
    "add_renditions",
    "after_save",
    "install",
    "setting",
]

DEFAULT_DISPLAY = "rendition"
_MARK = "_gradio_lossless_renditions"
_lock = threading.Lock()


def add_renditions(app: Any) -> bool:
    """Make ``app`` (a Starlette or FastAPI app, such as Gradio's) answer image
    loads of stored exact PNGs with renditions. Idempotent.

    Returns:
        False when the app has already started serving (too late to add it).
    """
    from starlette.middleware import Middleware

    if getattr(app, "middleware_stack", None) is not None:
        return False
    if any(getattr(m, "cls", None) is Renditions for m in app.user_middleware):
        return True
    app.user_middleware.append(Middleware(Renditions))
    return True


def install() -> None:
    """Wrap ``gradio.routes.App.create_app`` once, so every Gradio app made from
    now on serves renditions (see the module docstring)."""
    from gradio.routes import App

    with _lock:
        original = App.__dict__["create_app"]
        func = original.__func__ if isinstance(original, staticmethod) else original
        if getattr(func, _MARK, False):
            return

        @functools.wraps(func)
        def create_app(*args: Any, **kwargs: Any) -> Any:
            app = func(*args, **kwargs)
            add_renditions(app)
            return app

        setattr(create_app, _MARK, True)
        App.create_app = staticmethod(create_app)  # type: ignore[method-assign]


def setting(display: str) -> str:
    """The canonical ``display`` setting.

    Raises:
        ValueError: as Gradio words an invalid parameter.
    """
    try:
        return check_display(display)
    except ValueError as exc:
        raise ValueError(f"Invalid value for parameter `display`: {exc}") from None


def after_save(store: Store, path: str, display: str) -> None:
    """Record the display setting of a value just saved at ``path``."""
    if not Path(path).name.startswith(SERVED_PREFIX):
        return
    address = store.owns(path)
    if address is not None:
        mark(store, address, display)
