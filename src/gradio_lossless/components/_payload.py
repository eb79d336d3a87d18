"""What Image and Gallery do per item: load a payload file, hand the function its
value in the requested ``type``, and save a returned value as an exact file.

No gradio imports here except at the edge (``add_watermark`` is gradio's own, so a
watermark looks exactly as stock draws it); errors are our own and the components
turn them into ``gr.Error``.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import PIL.Image
import PIL.ImageOps

from gradio_lossless.codecs import container, display, reader, spec
from gradio_lossless.components._paths import REFUSED
from gradio_lossless.core import conversions
from gradio_lossless.core.errors import (
    EvictedReferenceError,
    UnreadablePathError,
    UnsupportedImageError,
)
from gradio_lossless.core.types import ImageType, ImageValue
from gradio_lossless.store.memory import work_budget
from gradio_lossless.store.store import Held, Store

__all__ = ["Loaded", "deliver", "load", "save", "save_returned"]

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
        fmt: the Pillow format of a plain upload ("PNG", "GIF", ...), else None.
    """

    value: ImageValue
    exact: bool
    address: str | None
    digest: bytes | None
    path: str
    fmt: str | None = None


def _read(path: Path) -> bytes:
    """The file's bytes; one message for every failure (missing, a folder, no
    permission), so the answer reveals nothing about what exists."""
    try:
        return path.read_bytes()
    except OSError:
        raise UnreadablePathError(REFUSED) from None


def _exact_sources(store: Store, address: str) -> Iterator[bytes]:
    """Where an exact PNG of a value may be: beside a lossy served file, the served
    PNG itself, then the shared backend (tried in that order, lazily)."""
    folder = store.folder(address)
    for candidate in (folder / "exact.png", folder / "image.png"):
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


def _recall(store: Store, address: str) -> Held | None:
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


def load(path: str, store: Store, *, source: str | None = None) -> Loaded:
    """Read the file a payload points at.

    Order: this process's memory (by path), the file's own headers (an exact PNG
    whose MAC verifies, or a display file whose address token verifies), memory and
    the store's files for that address, then the file itself as a plain upload.

    Parameters:
        path: the payload path (what ``type="filepath"`` hands over).
        store: the store.
        source: where to read it (the path with symlinks resolved), if not ``path``.
    Raises:
        EvictedReferenceError: the file is gone, or its exact value is.
        CorruptImageError: unreadable, truncated, not an image, or a bomb.
        LimitError: metadata or decoded size over a cap.
    """
    source = source or path
    owned = store.owns(source)
    address = store.address_of_path(source) or owned
    if address is not None:
        held = _recall(store, address)
        if held is not None:
            return _exact(held, address, path)
        if owned is not None:  # our file, but its exact value is gone
            raise _evicted(path)
    data = _read(Path(source))
    inspected = reader.inspect(data, store.keys)
    if inspected.address is not None:
        held = store.recall(inspected.address)
        if held is None and inspected.token_only:
            held = _recall(store, inspected.address)
            if held is None and store.folder(inspected.address).exists():
                raise _evicted(path)  # a display file whose exact value is gone
            # else: never stored here (another replica, no shared store): the
            # display file is an ordinary upload of its pixels, never a guess
        if held is not None:
            store.touch(inspected.address)
            store.note_path(source, inspected.address)
            return _exact(held, inspected.address, path)
    decoded = _decode(data, inspected, store)
    if decoded.exact and decoded.address is not None:
        held = store.remember(decoded.address, decoded.value)
        store.note_path(source, decoded.address)
        return _exact(held, decoded.address, path)
    im = decoded.value
    assert isinstance(im, PIL.Image.Image)  # noqa: S101 - plain decodes are PIL
    return Loaded(im, False, None, None, path, im.format)


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
    if container.is_png_native(value):
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


def _owned(value: ImageValue) -> ImageValue:
    """What the store keeps: arrays by reference (borrowed, checked on recall), PIL
    images as a private copy."""
    return value if isinstance(value, np.ndarray) else conversions.copy_value(value)


_OVERLAP_FROM = 4 << 20  # hash a new value beside its encode from 4 MiB on
# threads start on first use: constructing the pool at import costs nothing
_HASHING = ThreadPoolExecutor(
    max(2, os.cpu_count() or 2), thread_name_prefix="gradio-lossless-hash"
)


def _identify(store: Store, value: ImageValue) -> tuple[str, bytes]:
    return store.keys.address(value), store.keys.change_digest(value)


def _files(store: Store, address: str, fmt: str) -> tuple[Path, Path]:
    """(served file, exact PNG) of the value at ``address``: one file for "png",
    ``image.<ext>`` beside ``exact.png`` for a display format."""
    codec = spec(fmt)
    target = store.folder(address) / f"image.{codec.extension}"
    return target, target if codec.name == "png" else target.with_name("exact.png")


def _stored(
    store: Store, value: ImageValue, address: str, digest: bytes | None, fmt: str
) -> str | None:
    """The served path when the value at ``address`` is stored already, else None."""
    target, exact = _files(store, address, fmt)
    if not (target.is_file() and exact.is_file()):
        return None
    held = store.holding(address)
    if held is None:
        borrowed = isinstance(value, np.ndarray)
        held = store.remember(address, _owned(value), borrowed=borrowed, digest=digest)
    store.identities.note(value, address, held.digest)
    store.note_path(target, address)
    store.touch(address)
    return str(target)


def save(value: ImageValue, store: Store, *, format: str) -> str:
    """Store a checked value and return the path of the file to serve.

    ``format`` "png" serves the exact PNG itself; a lossy format serves that format,
    stamped with the value's address token, and keeps the exact PNG beside it.

    The address is the keyed hash of the value, computed once here; an object the
    store already knows unchanged costs a change digest instead (``identity.py``).
    A large new value is hashed on another core while this one encodes it, so it
    costs the longer of the two, not their sum (a value already stored then wastes
    that encode).
    """
    codec = spec(format)
    known = store.identities.address_of(value)
    address, digest = known if known is not None else (None, None)
    size = conversions.nbytes(value)
    if address is None and size < _OVERLAP_FROM:
        address = store.keys.address(value)
    if address is not None and (
        served := _stored(store, value, address, digest, format)
    ):
        return served
    # Arrays are kept by reference and re-checked on recall (a copy of a fresh
    # 24 MB buffer costs ~50 ms of page faults here); PIL images are copied.
    borrowed = isinstance(value, np.ndarray)
    # the copy, the encoded bytes and a display image or raw chunk are in flight
    with work_budget().hold(2 * size):
        own = _owned(value)
        if address is None:
            pending = _HASHING.submit(_identify, store, own)
            body = container.encode_body(own)
            address, digest = pending.result()
            if served := _stored(store, value, address, digest, format):
                return served
        else:
            body = container.encode_body(own)
        target, exact = _files(store, address, format)
        parts = container.seal(body, address=address, keys=store.keys)
        store.write(exact, parts)
        if codec.name != "png":
            shown = display.encode_display(
                container.display_image(own),
                codec.name,
                display.token(address, store.keys),
            )
            store.write(target, shown)
            if store.shared is not None:
                store.share_exact(address, b"".join(parts))
    held = store.remember(address, own, borrowed=borrowed, digest=digest)
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
) -> str:
    """Save whatever a user function returned into an image output.

    Returns:
        the path to serve: the stored file for PIL images, arrays and files we
        wrote; any other file path or URL as is (Gradio copies it into its cache
        byte-for-byte).
    Raises:
        UnsupportedImageError: naming the value's type (and shape/dtype/mode).
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
        held = _recall(store, address) if address is not None else None
        if held is not None:  # a file we wrote (e.g. a filepath input handed back)
            return save(held.value, store, format=format)
        _check_image_path(value)
        return text
    checked = conversions.check_value(value)
    return save(checked, store, format=format)


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
