"""Saving a value a user function returned: its exact PNG in the
store, under its address, computed once.

No gradio imports here except at the edge (``add_watermark`` is gradio's own, so a
watermark looks exactly as stock draws it).
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image

from gradio_lossless.codecs import container, spec
from gradio_lossless.components._load import recall
from gradio_lossless.components._stock import stock_value
from gradio_lossless.core import conversions
from gradio_lossless.core.described import Described, describe
from gradio_lossless.core.errors import UnsupportedImageError
from gradio_lossless.core.types import ImageValue
from gradio_lossless.store.memory import work_budget
from gradio_lossless.store.store import EXACT_ALIAS, Held, Store, same_file

__all__ = ["save", "save_returned"]


def _owned(described: Described) -> Described:
    """What the store keeps: arrays by reference (borrowed, checked on recall), PIL
    images as a private copy (same pixels and metadata, so the same facts)."""
    value = described.value
    if isinstance(value, np.ndarray):
        return described
    return dataclasses.replace(described, value=conversions.copy_value(value))


_OVERLAP_FROM = 4 << 20  # hash a new value beside its encode from 4 MiB on
# threads start on first use: constructing the pool at import costs nothing
_HASHING = ThreadPoolExecutor(
    max(2, os.cpu_count() or 2), thread_name_prefix="gradio-lossless-hash"
)


def _identify(store: Store, described: Described) -> tuple[str, bytes]:
    return store.keys.address(described), store.keys.change_digest(described)


def _files(store: Store, address: str, fmt: str) -> tuple[Path, Path]:
    """(served file, exact PNG) of the value at ``address``: one file,
    ``image.png``, for "png"; for another format the served ``image.<ext>`` (the
    name stock gives that format's file) is a second name of the exact PNG
    ``exact.png``, so its bytes are exact whatever it is called."""
    codec = spec(fmt)
    target = store.folder(address) / f"image.{codec.extension}"
    return target, target if codec.name == "png" else target.with_name(EXACT_ALIAS)


def _stored(
    store: Store, described: Described, address: str, digest: bytes | None, fmt: str
) -> str | None:
    """The served path when the value at ``address`` is stored already, else None."""
    target, exact = _files(store, address, fmt)
    if not exact.is_file():
        return None
    if target != exact and not same_file(target, exact):
        store.link(exact, target)
    held = store.holding(address)
    if held is None:
        held = _remember(store, address, _owned(described), digest)
    store.identities.note(described.value, address, held.digest)
    store.note_path(target, address)
    store.touch(address)
    return str(target)


def _remember(store: Store, address: str, own: Described, digest: bytes | None) -> Held:
    return store.remember(
        address,
        own.value,
        # Arrays are kept by reference and re-checked on recall (a copy of a fresh
        # 24 MB buffer costs ~50 ms of page faults here); PIL images are copied.
        borrowed=isinstance(own.value, np.ndarray),
        digest=store.keys.change_digest(own) if digest is None else digest,
        size=own.nbytes,
    )


def save(value: ImageValue, store: Store, *, format: str) -> str:
    """Store a checked value and return the path of the file to serve.

    The served file is always the exact PNG; ``format`` only names it as stock
    names that format's file (``image.webp``: a second name of ``exact.png``).
    What an ``<img>`` shows is the display setting's (``serving/``).

    The value is described once (``core.described``): its identity header, exact
    file header, pixel bytes and size are handed down to the keys, the store and
    the container, never recomputed. The address is the keyed hash of that, computed
    once here; an object the store already knows unchanged costs a change digest
    instead (``identity.py``). A large new value is hashed on another core while
    this one encodes it, so it costs the longer of the two, not their sum (a value
    already stored then wastes that encode).
    """
    described = describe(value)
    known = store.identities.address_of(value, described)
    address, digest = known if known is not None else (None, None)
    if address is None and described.nbytes < _OVERLAP_FROM:
        address = store.keys.address(described)
    if address is not None and (
        served := _stored(store, described, address, digest, format)
    ):
        return served
    # the copy, the encoded bytes and a display image or raw chunk are in flight
    with work_budget().hold(2 * described.nbytes):
        own = _owned(described)
        if address is None:
            pending = _HASHING.submit(_identify, store, described)
            body = container.encode_body(own)
            address, digest = pending.result()
            if served := _stored(store, described, address, digest, format):
                return served
        else:
            body = container.encode_body(own)
        target, exact = _files(store, address, format)
        parts = container.seal(body, address=address, keys=store.keys)
        store.write(exact, parts)
        if target != exact:
            store.link(exact, target)
        if store.shared is not None:  # for a shown image uploaded to a replica
            store.share_exact(address, b"".join(parts))
    held = _remember(store, address, own, digest)
    store.identities.note(value, address, held.digest)
    store.note_path(target, address)
    store.note_path(exact, address)
    return str(target)


def save_returned(
    value: object,
    store: Store,
    *,
    format: str,
    watermark: Any = None,
    keep_dtype: bool = False,
) -> str:
    """Save whatever a user function returned into an image output: by default
    the value stock's PNG would hold (``_stock.stock_value``: 8 bits, stock's
    modes), with ``keep_dtype`` the value itself.

    Returns:
        the path to serve: the stored file for PIL images, arrays and files we
        wrote; any other file path or URL as is (Gradio copies it into its cache
        byte-for-byte).
    Raises:
        UnsupportedImageError: naming the value's type (and shape/dtype/mode), or
            a value stock refuses too (without ``keep_dtype``).
        CorruptImageError: a path that is not a readable image.
    """
    if watermark is not None and getattr(watermark, "watermark", None) is not None:
        from gradio.image_utils import add_watermark

        if isinstance(value, (str, Path)):
            _check_image_path(value)
            value = add_watermark(value, watermark)
        else:
            value = add_watermark(conversions.check_value(value), watermark)
    if isinstance(value, (str, Path)):
        text = str(value)
        if text.startswith(("http://", "https://")):
            return text
        address = store.address_of_path(text) or store.owns(text)
        held = recall(store, address) if address is not None else None
        if held is not None:  # a file we wrote (e.g. a filepath input handed back)
            return save(_contract(held.value, keep_dtype), store, format=format)
        _check_image_path(value)
        return text
    checked = conversions.check_value(value)
    return save(_contract(checked, keep_dtype), store, format=format)


def _contract(value: ImageValue, keep_dtype: bool) -> ImageValue:
    return value if keep_dtype else stock_value(value)


def _check_image_path(value: str | Path) -> None:
    path = Path(value)
    if not path.is_file():
        raise UnsupportedImageError(
            f"cannot use {conversions.describe(str(value))} as an image: no such file"
        )
    try:
        with PIL.Image.open(path) as im:
            im.size  # noqa: B018 - header parsed
    except (PIL.UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UnsupportedImageError(
            f"cannot use {conversions.describe(str(value))} as an image: "
            "not an image file Pillow can read"
        ) from None
