"""Which requests are image loads, and which paths Gradio's file route names.

**An image load** is a request a browser makes to show an image: ``<img>``,
``<picture>``, CSS ``background-image``. Browsers mark it with the fetch-metadata
header ``Sec-Fetch-Dest: image`` (Chromium 76+, Firefox 90+, Safari 16.4+). Every
other request carries another destination (``empty`` for ``fetch()``, which is also
what Gradio's gallery download uses; ``document`` or ``empty`` for the download
button's ``<a download>``) or none at all (``gradio_client``, curl, wget,
requests). So:

* ``Sec-Fetch-Dest`` present: an image load exactly when it is ``image``;
* absent (an older browser, or a proxy that strips fetch metadata): an image load
  when ``Accept`` names ``image/avif`` or ``image/webp`` and not ``text/html``.
  Browsers send such an ``Accept`` only for images (their navigations and
  downloads also name ``text/html``), API clients send ``*/*`` or nothing, and a
  client that asks for WebP by name is negotiating for it.

A rendition is sent only in a type the request's ``Accept`` takes (``accepts``).

**Gradio's file route** is ``/gradio_api/file=<path>``, for GET and HEAD
(``gradio/routes.py``; the URL every ``FileData`` gets from
``processing_utils.move_files_to_cache``). The path is read as Starlette routes it
(the request path without the app's ``root_path``, percent-decoded) and made
absolute as Gradio does (``os.path.abspath``, no symlinks resolved). The
deprecated ``/gradio_api/file/<path>`` route, and ``/file=`` URLs naming a remote
``http(s)`` URL, are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, MutableMapping
from typing import Any

__all__ = ["FILE_ROUTE", "accepts", "header", "is_image_load", "requested_file"]

FILE_ROUTE = "/gradio_api/file="
_IMAGE_TYPES = ("image/avif", "image/webp")

Scope = MutableMapping[str, Any]


def header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    """A request header's value (repeated headers joined with ", "), or None."""
    found = [v.decode("latin-1") for k, v in headers if k.lower() == name]
    return ", ".join(found) if found else None


def _route_path(scope: Scope) -> str:
    """The path the app routes on: Starlette's ``get_route_path``."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


def requested_file(scope: Scope) -> str | None:
    """The absolute path a request to Gradio's file route names (as Gradio makes
    it absolute), or None for any other request."""
    route = _route_path(scope)
    if not route.startswith(FILE_ROUTE):
        return None
    named = route[len(FILE_ROUTE) :]
    if not named or "://" in named or "\0" in named:
        return None
    return os.path.abspath(named)


def _media_ranges(accept: str) -> list[str]:
    """The media ranges an Accept header takes (those with q=0 left out)."""
    taken = []
    for item in accept.lower().split(","):
        media, *params = (p.strip() for p in item.split(";"))
        refused = any(
            p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params
        )
        if media and not refused:
            taken.append(media)
    return taken


def is_image_load(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """True when a request is a browser's image load (see the module docstring)."""
    headers = list(headers)
    dest = header(headers, b"sec-fetch-dest")
    if dest is not None:
        return dest.strip().lower() == "image"
    ranges = _media_ranges(header(headers, b"accept") or "")
    return any(t in ranges for t in _IMAGE_TYPES) and "text/html" not in ranges


def accepts(headers: Iterable[tuple[bytes, bytes]], media_type: str) -> bool:
    """True when the request's Accept takes ``media_type`` (named, ``image/*`` or
    ``*/*``; no Accept header takes anything)."""
    accept = header(headers, b"accept")
    if accept is None:
        return True
    ranges = _media_ranges(accept)
    return media_type in ranges or "image/*" in ranges or "*/*" in ranges
