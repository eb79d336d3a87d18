"""Reading the file a payload points at: this process's memory, the file's own
verified headers, the store's files for that address, else the plain upload.

Errors are our own; the components turn them into ``gr.Error``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import PIL.Image

from gradio_lossless.codecs import depth, reader
from gradio_lossless.components._paths import REFUSED
from gradio_lossless.core.errors import EvictedReferenceError, UnreadablePathError
from gradio_lossless.core.types import ImageValue, PixelArray
from gradio_lossless.store.memory import work_budget
from gradio_lossless.store.store import EXACT_ALIAS, Held, Store

__all__ = ["Loaded", "load", "recall"]

_EXIF_ORIENTATION = 274


@dataclass(frozen=True)
class Loaded:
    """A payload file, read.

    Parameters:
        value: the image (shared with the store when exact: never mutate).
        exact: True when the file carried (or stood for) an exact value we stored.
        address: that value's address, when exact.
        digest: that value's change digest, when exact.
        path: the payload path.
        fmt: the format of a plain upload ("PNG", "GIF", ...), else None.
        orientation: the EXIF/TIFF orientation of an upload read as an array (its
            pixels as stored; gr.Image turns them, gr.Gallery does not).

    A plain upload's value is a PIL image, or with ``deep`` an array for a file
    Pillow would truncate (``codecs/depth.py``).
    """

    value: ImageValue
    exact: bool
    address: str | None
    digest: bytes | None
    path: str
    fmt: str | None = None
    orientation: int = 1


def _read(path: Path) -> bytes:
    """The file's bytes; one message for every failure (missing, a folder, no
    permission), so the answer reveals nothing about what exists."""
    try:
        return path.read_bytes()
    except OSError:
        raise UnreadablePathError(REFUSED) from None


def _exact_sources(store: Store, address: str) -> Iterator[bytes]:
    """Where an exact PNG of a value may be: ``exact.png`` (the served file's
    other name, when it is not called ``image.png``), ``image.png``, then the shared
    backend (tried in that order, lazily)."""
    folder = store.folder(address)
    for candidate in (folder / EXACT_ALIAS, folder / "image.png"):
        try:
            yield candidate.read_bytes()
        except OSError:
            continue
    shared = store.shared_exact(address)
    if shared is not None:
        yield shared


def _decode(data: bytes, inspected: reader.Inspected, store: Store) -> reader.Decoded:
    """``reader.materialize`` within the work budget: the file's bytes plus up to
    two pixel buffers (decoded, converted) are in flight while it runs."""
    with work_budget().hold(len(data) + 2 * inspected.pixel_bytes):
        return reader.materialize(data, inspected, store.keys)


def _exact_from_disk(store: Store, address: str) -> ImageValue | None:
    for data in _exact_sources(store, address):
        inspected = reader.inspect(data, store.keys)
        if inspected.header is not None and inspected.address == address:
            return _decode(data, inspected, store).value
    return None


def recall(store: Store, address: str) -> Held | None:
    held = store.recall(address)
    if held is None:
        value = _exact_from_disk(store, address)
        if value is not None:
            held = store.remember(address, value)
    if held is not None:
        store.touch(address)
    return held


def _evicted(path: str) -> EvictedReferenceError:
    return EvictedReferenceError(
        f"the exact value behind {Path(path).name!r} is no longer stored (it was "
        "evicted or deleted); upload the original image again"
    )


def _exact(held: Held, address: str, path: str) -> Loaded:
    return Loaded(held.value, True, address, held.digest, path)


def _deep(data: bytes, budget: int) -> tuple[PixelArray, int] | None:
    with work_budget().hold(len(data) + budget):
        return depth.decode_deep(data)


def load(
    path: str,
    store: Store,
    *,
    source: str | None = None,
    deep: bool = False,
    before_decode: Callable[[int], None] | None = None,
) -> Loaded:
    """Read the file a payload points at.

    Order: this process's memory (by path), the file's own headers (an exact PNG
    whose MAC verifies, or a display file whose address token verifies), memory and
    the store's files for that address, then the file itself as a plain upload.

    Parameters:
        path: the payload path (what ``type="filepath"`` hands over).
        store: the store.
        source: where to read it (the path with symlinks resolved), if not ``path``.
        deep: read 16-bit colour PNGs and deep TIFFs at full depth, as arrays
            (``keep_dtype``); otherwise as stock reads them (Pillow).
        before_decode: called with the bytes the file's own pixels decode to
            (from its header) before they are decoded; raise to refuse the file
            there. Not called for a value recalled from memory or the store, nor
            for a deep TIFF (``deep``: read before its header is inspected).
    Raises:
        CodecUnavailableError: ``deep`` and the decoder such a file needs is absent.
        EvictedReferenceError: the file is gone, or its exact value is.
        CorruptImageError: unreadable, truncated, not an image, or a bomb.
        LimitError: metadata or decoded size over a cap.
    """
    source = source or path
    owned = store.owns(source)
    address = store.address_of_path(source) or owned
    if address is not None:
        held = recall(store, address)
        if held is not None:
            return _exact(held, address, path)
        if owned is not None:  # our file, but its exact value is gone
            raise _evicted(path)
    data = _read(Path(source))
    if deep and depth.deep_kind(data) == "tiff":  # before Pillow, which may refuse
        deep_tiff = _deep(data, 0)
        if deep_tiff is not None:
            arr, turn = deep_tiff
            return Loaded(arr, False, None, None, path, "TIFF", turn)
    inspected = reader.inspect(data, store.keys)
    if inspected.address is not None:
        held = store.recall(inspected.address)
        if held is None and inspected.token_only:
            held = recall(store, inspected.address)
            if held is None and store.folder(inspected.address).exists():
                raise _evicted(path)  # a display file whose exact value is gone
            # else: never stored here (another replica, no shared store): the
            # display file is an ordinary upload of its pixels, never a guess
        if held is not None:
            store.touch(inspected.address)
            store.note_path(source, inspected.address)
            return _exact(held, inspected.address, path)
    if before_decode is not None:
        before_decode(inspected.pixel_bytes)
    if deep and inspected.header is None and depth.deep_kind(data) == "png":
        deep_png = _deep(data, 4 * inspected.pixel_bytes)
        if deep_png is not None:
            assert inspected.plain is not None  # noqa: S101 - a plain PNG
            turn = inspected.plain.getexif().get(_EXIF_ORIENTATION, 1)
            return Loaded(deep_png[0], False, None, None, path, "PNG", turn)
    decoded = _decode(data, inspected, store)
    if decoded.exact and decoded.address is not None:
        held = store.remember(decoded.address, decoded.value)
        store.note_path(source, decoded.address)
        return _exact(held, decoded.address, path)
    im = decoded.value
    assert isinstance(im, PIL.Image.Image)  # noqa: S101 - plain decodes are PIL
    return Loaded(im, False, None, None, path, im.format)
