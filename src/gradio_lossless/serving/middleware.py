"""The ASGI middleware: image loads of our exact PNGs get a rendition, everything
else the exact file, from the same URL.

For a GET or HEAD of Gradio's file route (``negotiate.requested_file``) naming the
exact PNG a store serves (``<store>/<address>/image.png``, symlinks resolved):

1. An image load (``negotiate.is_image_load``, no ``Range``) of a value whose
   display setting gives a display file in a type the request accepts: first,
   Gradio itself is asked whether it serves this URL to this request. The same
   request, as a HEAD, goes through the app (login, ``allowed_paths``,
   ``blocked_paths``, existence: all Gradio's own checks), and it must answer 200
   with the exact PNG's length. Only then is the rendition made (or read) and
   sent. A request Gradio would refuse never makes one.
2. Every other request of that file goes to Gradio untouched; its answer gets
   the two headers below, nothing else.

Both answers carry ``Vary: Sec-Fetch-Dest, Accept`` and ``Cache-Control: private,
no-transform``: a browser's cache keeps the two apart (their ETags differ too, so a
validator of one never revalidates the other), a shared cache (a CDN that ignores
``Vary``) keeps neither, and no proxy may transcode the exact file. Requests for
any other path pass through without a byte changed.

Pure ASGI; no gradio, no Starlette.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from gradio_lossless.serving.negotiate import (
    accepts,
    header,
    is_image_load,
    requested_file,
)
from gradio_lossless.serving.renditions import (
    EXACT_NAME,
    Kind,
    Rendition,
    kind_of,
    submit,
)
from gradio_lossless.store.store import Store, owner_of

__all__ = ["CACHE_CONTROL", "VARY", "Renditions"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

VARY = "Sec-Fetch-Dest, Accept"
CACHE_CONTROL = ("private", "no-transform")
_PROBE_DROPS = (b"range", b"if-range", b"if-none-match", b"if-modified-since")

log = logging.getLogger("gradio_lossless.serving")
_WARNED: set[tuple[str, str]] = set()


def _ours(scope: Scope) -> tuple[Store, str, Path] | None:
    """(store, address, exact PNG) when the request names a store's exact PNG."""
    named = requested_file(scope)
    if named is None or os.path.basename(named) != EXACT_NAME:
        return None
    found = owner_of(named)
    if found is None:
        return None
    store, address = found
    exact = store.folder(address) / EXACT_NAME
    if os.path.realpath(named) != str(exact):
        return None
    return store, address, exact


def _merged(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with our Vary and Cache-Control merged into theirs."""
    vary: list[str] = []
    control: list[str] = []
    kept = []
    for key, value in headers:
        name = key.lower()
        if name == b"vary":
            vary += [v.strip() for v in value.decode("latin-1").split(",")]
        elif name == b"cache-control":
            control += [v.strip() for v in value.decode("latin-1").split(",")]
        else:
            kept.append((key, value))
    for token in VARY.split(", "):
        if token.lower() not in (v.lower() for v in vary):
            vary.append(token)
    control = [c for c in control if c and c.lower() != "public"]
    control += [c for c in CACHE_CONTROL if c not in (v.lower() for v in control)]
    kept.append((b"vary", ", ".join(v for v in vary if v).encode("latin-1")))
    kept.append((b"cache-control", ", ".join(control).encode("latin-1")))
    return kept


def _marked(send: Send) -> Send:
    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message)
            message["headers"] = _merged(list(message.get("headers", [])))
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
        store, address, exact = target
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
                and await self._gradio_serves(scope, exact)
            ):
                rendition = await self._rendition(store, address, kind)
                if rendition is not None:
                    await _send_rendition(rendition, headers, send)
                    return
        await self.app(scope, receive, _marked(send))

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
