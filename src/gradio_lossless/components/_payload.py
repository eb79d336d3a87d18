"""What Image and Gallery do per item: load a payload file, hand the function its
value in the requested ``type``, and save a returned value as an exact file.

No gradio imports here except at the edge (``add_watermark`` is gradio's own, so a
watermark looks exactly as stock draws it); errors are our own and the components
turn them into ``gr.Error``.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import PIL.Image
import PIL.ImageOps

from gradio_lossless import conversions
from gradio_lossless._types import ImageType, ImageValue
from gradio_lossless.codecs import container, encode_display, spec
from gradio_lossless.errors import (
    CorruptImageError,
    EvictedReferenceError,
    UnsupportedImageError,
)
from gradio_lossless.memory import work_budget
from gradio_lossless.store import Store, file_digest

__all__ = ["Loaded", "deliver", "load", "save", "save_returned"]

_EXIF_ORIENTATION = 274


@dataclass(frozen=True)
class Loaded:
    """A payload file, read.

    Parameters:
        value: the image (shared with the store when exact: never mutate).
        exact: True when the file carried (or stood for) an exact value we stored.
        fingerprint: that value's fingerprint, when exact.
        path: the payload path.
        fmt: the Pillow format of a plain upload ("PNG", "GIF", ...), else None.
    """

    value: ImageValue
    exact: bool
    fingerprint: str | None
    path: str
    fmt: str | None = None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise EvictedReferenceError(
            f"image file {path.name!r} no longer exists (it was deleted or evicted)"
        ) from None
    except IsADirectoryError:
        raise CorruptImageError(f"{path.name!r} is a folder, not an image") from None
    except OSError as exc:
        raise CorruptImageError(f"cannot read {path.name!r}: {exc.strerror}") from None


def _exact_sources(store: Store, fingerprint: str) -> Iterator[bytes]:
    """Where an exact PNG of a value may be: beside a lossy served file, the served
    PNG itself, then the shared backend (tried in that order, lazily)."""
    folder = store.folder(fingerprint)
    for candidate in (folder / "exact.png", folder / "image.png"):
        try:
            yield candidate.read_bytes()
        except OSError:
            continue
    shared = store.shared_exact(fingerprint)
    if shared is not None:
        yield shared


def _decode(data: bytes) -> container.Decoded:
    """``container.decode`` within the work budget: the file's bytes plus up to two
    pixel buffers (decoded, converted) are in flight while it runs."""
    with work_budget().hold(len(data) + 2 * container.decoded_bytes(data)):
        return container.decode(data)


def _exact_from_disk(store: Store, fingerprint: str) -> ImageValue | None:
    for data in _exact_sources(store, fingerprint):
        decoded = _decode(data)
        if decoded.exact and decoded.fingerprint == fingerprint:
            return decoded.value
    return None


def _recall(store: Store, fp: str) -> ImageValue | None:
    value = store.recall(fp)
    if value is None:
        value = _exact_from_disk(store, fp)
        if value is not None:
            store.remember(fp, value)
    if value is not None:
        store.touch(fp)
    return value


def _evicted(path: str) -> EvictedReferenceError:
    return EvictedReferenceError(
        f"the exact value behind {Path(path).name!r} is no longer stored (it was "
        "evicted or deleted); upload the original image again"
    )


def load(path: str, store: Store) -> Loaded:
    """Read the file a payload points at.

    Order: this process's memory (by path, then by the bytes' digest), the store's
    files on disk, then the file itself (an exact PNG verifies itself; anything else
    is a plain upload decoded by Pillow).

    Raises:
        EvictedReferenceError: the file is gone.
        CorruptImageError: unreadable, truncated, not an image, or a bomb.
    """
    owned = store.owns(path)
    fp = store.fingerprint_of_path(path) or owned
    if fp is not None:
        value = _recall(store, fp)
        if value is not None:
            return Loaded(value, True, fp, path)
        if owned is not None:  # our file, but its exact value is gone
            raise _evicted(path)
    data = _read(Path(path))
    fp = store.fingerprint_of_file(file_digest(data))
    if fp is not None:
        value = _recall(store, fp)
        if value is not None:
            store.note_path(path, fp)
            return Loaded(value, True, fp, path)
        if not data.startswith(container.PNG_SIGNATURE):
            raise _evicted(path)  # a lossy file whose exact value is gone
    decoded = _decode(data)
    if decoded.exact and decoded.fingerprint is not None:
        store.remember(decoded.fingerprint, decoded.value)
        store.note_path(path, decoded.fingerprint)
        return Loaded(decoded.value, True, decoded.fingerprint, path)
    im = decoded.value
    assert isinstance(im, PIL.Image.Image)  # noqa: S101 - plain decodes are PIL
    return Loaded(im, False, None, path, im.format)


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
    tifffile for arrays no PIL mode can hold)."""
    path = save(value, store, format=fmt)
    fp = store.owns(path)
    folder = Path(path).parent
    if container.is_png_native(value):
        return str(folder / ("image.png" if spec(fmt).name == "png" else "exact.png"))
    target = folder / "exact.tiff"
    if not target.exists():
        with work_budget().hold(2 * conversions.nbytes(value)):
            _write_tiff(value, target, store)
    if fp is not None:
        store.note_path(target, fp)
    return str(target)


def _write_tiff(value: ImageValue, target: Path, store: Store) -> None:
    """Write ``value`` as a TIFF (Pillow for PIL modes, tifffile for arrays no PIL
    mode can hold)."""
    buf = io.BytesIO()
    if isinstance(value, PIL.Image.Image):
        value.save(buf, "TIFF")
    elif conversions.natural_mode(value) is not None:
        conversions.array_to_pil(value).save(buf, "TIFF")
    else:
        import tifffile

        tifffile.imwrite(buf, value)
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
        if type == "pil":
            return conversions.to_pil(value, image_mode)
        if type == "numpy":
            return conversions.to_numpy(value, image_mode)
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


def _owned(value: ImageValue) -> ImageValue:
    """What the store keeps: arrays by reference, PIL images as a private copy."""
    return value if isinstance(value, np.ndarray) else conversions.copy_value(value)


def save(value: ImageValue, store: Store, *, format: str) -> str:
    """Store a checked value and return the path of the file to serve.

    ``format`` "png" serves the exact PNG itself; a lossy format serves that format
    and keeps the exact PNG beside it. A value already stored costs one fingerprint.
    """
    codec = spec(format)
    fp = conversions.fingerprint(value)
    folder = store.folder(fp)
    target = folder / f"image.{codec.extension}"
    exact = target if codec.name == "png" else folder / "exact.png"
    # Arrays are kept by reference and re-verified on recall (a copy of a fresh
    # 24 MB buffer costs ~50 ms of page faults here); PIL images are copied, and
    # only when memory does not hold the value already.
    shared = isinstance(value, np.ndarray)
    if target.is_file() and exact.is_file():
        if shared or store.recall(fp) is None:
            store.remember(fp, _owned(value), shared=shared)
        store.note_path(target, fp)
        store.touch(fp)
        return str(target)
    # the copy, the encoded bytes and a display image or raw chunk are in flight
    with work_budget().hold(2 * conversions.nbytes(value)):
        own = _owned(value)
        data = container.encode(own, fingerprint=fp)
        store.write(exact, data)
        store.note_file(file_digest(data), fp, persist=False)
        if codec.name != "png":
            display = container.display_image(own)
            shown = encode_display(display, codec.name)
            store.write(target, shown)
            store.share_exact(fp, data)
            store.note_file(file_digest(shown), fp, persist=True)
    store.remember(fp, own, shared=shared)
    store.note_path(target, fp)
    store.note_path(exact, fp)
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
        fp = store.fingerprint_of_path(text) or store.owns(text)
        own = _recall(store, fp) if fp is not None else None
        if own is not None:  # a file we wrote (e.g. a filepath input handed back)
            return save(own, store, format=format)
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
