"""The ASGI middleware: image loads of our exact PNGs get a rendition, everything
else the exact file, from the same URL.

For a GET or HEAD of Gradio's file route (``negotiate.requested_file``) naming the
file a store serves for a value (``<store>/<address>/image.<ext>``, symlinks
resolved), which is always its exact PNG, named as the component's ``format``
names it (``image.webp`` by default, as stock names its WebP):

1. An image load (``negotiate.is_image_load``, no ``Range``) of a value whose
   display setting gives a display file in a type the request accepts: first,
   Gradio itself is asked whether it serves this URL to this request. The same
   request, as a HEAD, goes through the app (login, ``allowed_paths``,
   ``blocked_paths``, existence: all Gradio's own checks), and it must answer 200
   with the exact PNG's length. Only then is the rendition made (or read) and
   sent. A request Gradio would refuse never makes one.
2. Every other request of that file goes to Gradio untouched; its answer gets
   the two headers below and, when the file is named other than ``.png``, the
   exact PNG's type and name (``Content-Type: image/png``, ``Content-Disposition:
   inline; filename="image.png"``: a download button saves ``image.png``).

Both answers carry ``Vary: Sec-Fetch-Dest, Accept`` and ``Cache-Control: private,
no-transform``: a browser's cache keeps the two apart (their ETags differ too, so a
validator of one never revalidates the other), a shared cache (a CDN that ignores
``Vary``) keeps neither, and no proxy may transcode the exact file. A successful
answer with the exact file also carries ``max-age=31536000, immutable``
(``IMMUTABLE``): a store folder is named by its value's content, so the exact bytes
at that URL never change (an evicted value's URL answers 404; the same value saved
again is the same bytes). A browser then fetches a value once: the ImageEditor's
canvas asks for its background three times per load, and would otherwise move the
exact PNG three times. Renditions keep no lifetime: which display file a value gets
follows the component that returned it last. Requests for any other path pass
through without a byte changed.

Pure ASGI; no gradio, no Starlette.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from gradio_lossless.serving.image_load import served_value
from gradio_lossless.serving.negotiate import (
    accepts,
    header,
    is_image_load,
    requested_file,
)
from gradio_lossless.serving.renditions import (
    Kind,
    Rendition,
    kind_of,
    submit,
)
from gradio_lossless.store.store import Store

__all__ = ["CACHE_CONTROL", "IMMUTABLE", "VARY", "Renditions"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

VARY = "Sec-Fetch-Dest, Accept"
CACHE_CONTROL = ("private", "no-transform")
IMMUTABLE = ("max-age=31536000", "immutable")
_NOT_STORED = ("no-store", "no-cache")
_PROBE_DROPS = (b"range", b"if-range", b"if-none-match", b"if-modified-since")

log = logging.getLogger("gradio_lossless.serving")
_WARNED: set[tuple[str, str]] = set()


def _ours(scope: Scope) -> tuple[Store, str, Path] | None:
    """(store, address, served file) when the request names a value's served file
    (``image_load.served_value``)."""
    named = requested_file(scope)
    return None if named is None else served_value(named)


def _merged(
    headers: list[tuple[bytes, bytes]],
    png_name: str | None = None,
    *,
    exact: bool = False,
) -> list[tuple[bytes, bytes]]:
    """``headers`` with our Vary and Cache-Control merged into theirs; with
    ``png_name``, the type and file name of the exact PNG a differently named
    file holds (``Content-Type: image/png``, ``filename="<png_name>"``); with
    ``exact``, the exact file's lifetime (``IMMUTABLE``) unless theirs forbids
    keeping it."""
    vary: list[str] = []
    control: list[str] = []
    kept = []
    for key, value in headers:
        name = key.lower()
        if name == b"vary":
            vary += [v.strip() for v in value.decode("latin-1").split(",")]
        elif name == b"cache-control":
            control += [v.strip() for v in value.decode("latin-1").split(",")]
        elif png_name is not None and name == b"content-type":
            kept.append((key, b"image/png"))
        elif png_name is not None and name == b"content-disposition":
            kind = value.decode("latin-1").split(";")[0].strip() or "inline"
            kept.append((key, f'{kind}; filename="{png_name}"'.encode("latin-1")))
        else:
            kept.append((key, value))
    for token in VARY.split(", "):
        if token.lower() not in (v.lower() for v in vary):
            vary.append(token)
    control = [c for c in control if c and c.lower() != "public"]
    control += [c for c in CACHE_CONTROL if c not in (v.lower() for v in control)]
    if exact and not any(c.lower() in _NOT_STORED for c in control):
        control = [c for c in control if not c.lower().startswith("max-age")]
        control += IMMUTABLE
    kept.append((b"vary", ", ".join(v for v in vary if v).encode("latin-1")))
    kept.append((b"cache-control", ", ".join(control).encode("latin-1")))
    return kept


def _marked(send: Send, png_name: str | None) -> Send:
    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message)
            headers = list(message.get("headers", []))
            ok = 200 <= message.get("status", 500) < 300
            message["headers"] = _merged(headers, png_name if ok else None, exact=ok)
        await send(message)

    return marked


def _matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


async def _send_rendition(
    rendition: Rendition, request_headers: list[tuple[bytes, bytes]], send: Send
) -> None:
    headers = [
        (b"etag", rendition.etag.encode("latin-1")),
        (b"last-modified", rendition.last_modified.encode("latin-1")),
    ]
    if _matches(header(request_headers, b"if-none-match"), rendition.etag):
        status, body = 304, b""
    else:
        status, body = 200, rendition.data
        headers += [
            (b"content-type", rendition.media_type.encode("latin-1")),
            (b"content-length", str(len(body)).encode("latin-1")),
            (
                b"content-disposition",
                f'inline; filename="{rendition.filename}"'.encode("latin-1"),
            ),
            (b"x-content-type-options", b"nosniff"),
        ]
    await send(
        {"type": "http.response.start", "status": status, "headers": _merged(headers)}
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


class Renditions:
    """ASGI middleware answering image loads of stored exact PNGs with renditions.

    Parameters:
        app: the ASGI app it wraps (Gradio's routes).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        target = _ours(scope)
        if target is None:
            await self.app(scope, receive, send)
            return
        store, address, served = target
        headers = list(scope.get("headers", []))
        if (
            scope["method"] == "GET"
            and is_image_load(headers)
            and header(headers, b"range") is None
        ):
            kind = kind_of(store.folder(address))
            if (
                kind is not None
                and accepts(headers, kind.media_type)
                and await self._gradio_serves(scope, served)
            ):
                rendition = await self._rendition(store, address, kind)
                if rendition is not None:
                    await _send_rendition(rendition, headers, send)
                    return
        png_name = None if served.suffix == ".png" else served.stem + ".png"
        await self.app(scope, receive, _marked(send, png_name))

    async def _gradio_serves(self, scope: Scope, exact: Path) -> bool:
        """True when Gradio answers this request, made as a HEAD without range or
        validators, with 200 and the exact PNG's length."""
        probe = dict(scope)
        probe["method"] = "HEAD"
        probe["headers"] = [
            (k, v) for k, v in scope.get("headers", []) if k.lower() not in _PROBE_DROPS
        ]
        answer: dict[str, Any] = {}
        asked = False

        async def receive() -> Message:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # no disconnect: cancelled when done
            raise AssertionError("unreachable")  # pragma: no cover

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["length"] = header(message.get("headers", []), b"content-length")

        try:
            await self.app(probe, receive, send)
            size = exact.stat().st_size
        except Exception:
            log.debug("file route probe failed", exc_info=True)
            return False
        return answer.get("status") == 200 and answer.get("length") == str(size)

    async def _rendition(
        self, store: Store, address: str, kind: Kind
    ) -> Rendition | None:
        try:
            return await asyncio.shield(
                asyncio.wrap_future(submit(store, address, kind))
            )
        except Exception as exc:
            key = (address, kind.name)
            if key not in _WARNED and len(_WARNED) < 1000:  # once per value, bounded
                _WARNED.add(key)
                log.warning(
                    "gradio-lossless: no %s for %s… (%s: %s); serving the exact file",
                    kind.name,
                    address[:12],
                    type(exc).__name__,
                    exc,
                )
            return None
