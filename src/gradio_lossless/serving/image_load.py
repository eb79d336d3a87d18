"""Which file is a value's served file, and what an ``<img>`` load of a served file
is sent: the rule the middleware answers by, callable outside a request.

``served_value`` is how the middleware recognises our files: a path that is the
served file of a store's value (``<address>/image.<ext>``, symlinks resolved) and
the same file as that value's exact PNG.

``image_load`` answers, for a file a component served, what a browser's image load
of it gets when Gradio serves the URL and the browser takes the display format
(every current browser takes WebP): for any other file, the file as it is (stock
components' files, masks); for a value's served file, the display rendition, or the
exact PNG when the display setting or the small-image rule (``renditions.make``)
says so. The demo shows these bytes per hop and the bench sums them per value. A
rendition not made yet is made here, as the browser's first load would make it;
that time is reported apart.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import PIL.Image

from gradio_lossless.serving.renditions import kind_of, submit
from gradio_lossless.store.store import SERVED_PREFIX, Store, owner_of, same_file

__all__ = ["Loaded", "image_load", "served_value"]


def served_value(named: str) -> tuple[Store, str, Path] | None:
    """(store, address, served file) when ``named`` is the served file of a store's
    value (``image.png`` itself, or a second name of the exact PNG), else None."""
    name = os.path.basename(named)
    if not name.startswith(SERVED_PREFIX):
        return None
    found = owner_of(named)
    if found is None:
        return None
    store, address = found
    served = store.folder(address) / name
    if os.path.realpath(named) != str(served):
        return None
    exact = store.exact_path(address)
    if served != exact and not same_file(served, exact):
        return None
    return store, address, served


@dataclass(frozen=True)
class Loaded:
    """What an ``<img>`` load of a served file is sent.

    Parameters:
        nbytes: the response body's size (before any HTTP compression).
        what: e.g. "WEBP rendition of the exact PNG", "exact PNG", "WEBP file".
        display_ms: time spent making the display rendition now, or None when it
            was made before (the same value was shown already) or none is made.
    """

    nbytes: int
    what: str
    display_ms: float | None = None


def image_load(path: str) -> Loaded:
    """What an ``<img>`` load of the served file at ``path`` is sent (see the module
    docstring), read from the store by address, not from the file's name."""
    found = served_value(path)
    if found is None:
        with PIL.Image.open(path) as im:
            kind = im.format or "image"
        return Loaded(os.path.getsize(path), f"{kind} file")
    store, address, served = found
    exact = served.stat().st_size
    display = kind_of(store.folder(address))
    if display is None:
        return Loaded(exact, "exact PNG (display: exact)")
    made_before = (store.folder(address) / display.filename).is_file()
    start = time.perf_counter()
    try:
        rendition = submit(store, address, display).result()
    except Exception as exc:  # the middleware sends the exact file then, too
        return Loaded(exact, f"exact PNG (no rendition: {type(exc).__name__})")
    took = None if made_before else (time.perf_counter() - start) * 1000
    if rendition is None:
        return Loaded(exact, "exact PNG (small: sent as it is)", took)
    kind = rendition.media_type.removeprefix("image/").upper()
    return Loaded(len(rendition.data), f"{kind} rendition of the exact PNG", took)
