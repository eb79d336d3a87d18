"""Fuzz the preprocess path of gl.Image and gl.Gallery (issue 7, item 5).

Hostile files of every supported format (PNG, JPEG, WebP, GIF, BMP, TIFF and our
exact PNG), truncated, corrupted, with huge declared dimensions, exact PNGs with
mangled ``glMD``/``glRW`` chunks (whose MAC then fails: read as plain PNGs), the
same mangled chunks resealed with the server secret (the trusted parser must still
end every malformed structure in a clear error), exact PNGs made under another
secret, non-images, and malformed payloads. Every case
must end in ``gr.Error`` or a correct value: the exact value the file carries, or
what Pillow decodes from it. Never another exception, never a hang (a per-example
deadline), never a read of any file but the given one and the store's own.

The number of cases tried is printed in the terminal summary. Longer run:
``FUZZ_EXAMPLES=20000 pytest tests/reliability/test_fuzz.py`` (per test).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import os
import re
import shutil
import sys
import tempfile
import threading
import warnings
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
import PIL.ImageOps
import pytest
from gradio.components.gallery import GalleryData, GalleryImage
from gradio.data_classes import ImageData
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradio_lossless as gl
from gradio_lossless.codecs import depth, reader
from gradio_lossless.components import _stock
from gradio_lossless.core import conversions
from gradio_lossless.core.errors import (
    CodecUnavailableError,
    CorruptImageError,
    LimitError,
)
from tests import exact
from tests.reliability.fuzz_inputs import Case, cases

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2500"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=10),  # a hang shows up as DeadlineExceeded
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
# read by tests/reliability/conftest.py::pytest_terminal_summary
COUNTS: Counter[str] = Counter()

WORK = Path(tempfile.mkdtemp(prefix="gl-fuzz-"))
atexit.register(shutil.rmtree, WORK, True)
IMAGES = {
    (t, m, k): gl.Image(type=t, image_mode=m, keep_dtype=k)
    for t in ("numpy", "pil", "filepath")
    for m in (None, "RGB", "L", "RGBA")
    for k in (False, True)
}
GALLERIES = {
    (t, k): gl.Gallery(type=t, keep_dtype=k)
    for t in ("numpy", "pil", "filepath")
    for k in (False, True)
}
STORE_ROOT = Path(IMAGES["numpy", None, False]._lossless_store().root)
# where imports and their data live (Pillow loads format plugins lazily)
PYTHON_DIRS = (
    *(str(Path(p).resolve()) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}),
    "/usr/lib",
    "/usr/share",
)


# --- reads outside the given file -----------------------------------------------------

_WATCH = threading.local()
_OUTSIDE: list[str] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    allowed = getattr(_WATCH, "allowed", None)
    if allowed is None or event != "open" or not isinstance(args[0], (str, Path)):
        return
    path = os.path.realpath(args[0])
    if path in allowed or path.startswith(str(STORE_ROOT)):
        return
    if path.startswith(str(WORK)) or not path.startswith(PYTHON_DIRS):
        _OUTSIDE.append(path)


sys.addaudithook(_audit)


def watched(fn: Any, allowed: set[str]) -> Any:
    """Run ``fn`` as a server would: warnings (Pillow's "Corrupt EXIF data", ...)
    are shown, not raised as the suite's ``filterwarnings = error`` would; counted."""
    _WATCH.allowed = {os.path.realpath(p) for p in allowed}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            return fn()
    finally:
        _WATCH.allowed = None
        COUNTS["warnings shown"] += len(caught)


# --- the oracle -----------------------------------------------------------------------


def plain_decode(data: bytes, *, orient: bool) -> PIL.Image.Image | None:
    """What Pillow makes of the bytes (None when it cannot): the other correct value."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as in watched(): shown, not raised
        try:
            im = reader.open_plain(data)
        except CorruptImageError:
            return None
        if orient and im.getexif().get(274, 1) != 1:
            try:
                im = PIL.ImageOps.exif_transpose(im)
            except Exception:
                return None
        return im


def deep_decode(data: bytes, *, orient: bool) -> Any:
    """The full-depth array ``keep_dtype`` reads from a deep PNG or TIFF, or None."""
    try:
        found = depth.decode_deep(data)
    except (CorruptImageError, LimitError, CodecUnavailableError):
        return None
    if found is None:
        return None
    arr, turn = found
    return depth.orient(arr, turn) if orient else arr


def _converter(type: str, keep: bool) -> Any:
    """How a component of that kind hands a candidate value over."""
    if keep:
        return conversions.to_numpy if type == "numpy" else conversions.to_pil
    if type == "numpy":  # stock: np.array of the image it opened
        return lambda c, _: np.array(c) if isinstance(c, PIL.Image.Image) else c
    return conversions.to_pil


def check_value(
    got: Any,
    case: Case,
    type: str,
    image_mode: str | None,
    path: Path,
    gallery: bool,
    keep: bool,
) -> str:
    """Raise AssertionError unless ``got`` is a correct value for the case."""
    if type == "filepath":
        assert isinstance(got, str), type(got)
        assert got == str(path) or got.startswith(str(STORE_ROOT)), got
        assert Path(got).is_file()
        return "value"
    assert isinstance(got, np.ndarray if type == "numpy" else PIL.Image.Image), type(
        got
    )
    if image_mode is not None:  # converted as stock converts: only the type is checked
        return "value"
    if case.label.endswith("/resealed"):  # a header only the secret's holder makes
        return "value"
    original = case.original
    if original is not None and not keep:  # what stock would have handed on
        original = _stock.stock_view(original)
    candidates = []
    if original is not None:
        candidates.append(original)
    plain = plain_decode(case.data, orient=not gallery)
    if plain is not None:
        candidates.append(plain)
    deep = deep_decode(case.data, orient=not gallery) if keep else None
    if deep is not None:
        candidates.append(deep)
    convert = _converter(type, keep)
    ok = any(conversions.values_equal(got, convert(c, None)) for c in candidates)
    assert ok, (
        f"{case.label}: got {conversions.describe(got)}, neither the exact value nor "
        "Pillow's (or the full-depth) decode of the file"
    )
    if original is not None and not case.mutated:
        assert conversions.values_equal(got, convert(original, None)), case.label
        return "exact value"
    return "value"


def run(case: Case, component: Any, *, gallery: bool, name: str) -> None:
    # content-addressed, as Gradio's upload cache is (the store trusts a path it
    # has seen to keep its content: see test_findings.py)
    path = (
        WORK
        / hashlib.sha256(case.data).hexdigest()[:32]
        / (f"upload{Path(name).suffix or '.png'}")
    )
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(case.data)
    neighbour = WORK / "secret.png"
    neighbour.write_bytes(b"never read")
    if gallery:
        payload: Any = GalleryData(
            root=[
                GalleryImage(
                    image=ImageData(path=str(path), orig_name=name), caption="c"
                )
            ]
        )
    else:
        payload = ImageData(path=str(path), orig_name=name)
    before = len(_OUTSIDE)
    try:
        out = watched(lambda: component.preprocess(payload), {str(path)})
    except gr.Error as exc:
        message = exc.message
        outcome = "gr.Error"
    else:
        if gallery:
            assert isinstance(out, list) and len(out) == 1 and out[0][1] == "c", out
            out = out[0][0]
        outcome = check_value(
            out,
            case,
            component.type,
            None if gallery else component.image_mode,
            path,
            gallery,
            component.lossless_keep_dtype,
        )
    if outcome == "gr.Error":
        assert isinstance(message, str) and message, "an empty gr.Error"
    assert _OUTSIDE[before:] == [], f"read outside the given file: {_OUTSIDE[before:]}"
    if not case.mutated:
        assert outcome != "gr.Error", f"an intact {case.label} file was refused"
    if case.label.startswith("bomb/"):
        assert outcome == "gr.Error", f"{case.label} was accepted"
        assert re.search(r"over the limit of \d+ bytes \(GRADIO_LOSSLESS_MAX_", message)
    family = case.label.split("/")[0]
    COUNTS["cases"] += 1
    COUNTS[f"{'gallery' if gallery else 'image'} {outcome}"] += 1
    COUNTS[f"family {family}"] += 1


NAMES = st.sampled_from(
    [
        "image.png",
        "image.png",
        "photo.jpg",
        "a<b>&'c.webp",
        "x.gif",
        "weird name.TIFF",
        "noext",
    ]
)


@pytest.mark.timeout(600)
@FUZZ
@given(
    case=cases(),
    type=st.sampled_from(["numpy", "pil", "filepath"]),
    image_mode=st.sampled_from([None, None, "RGB", "L", "RGBA"]),
    name=NAMES,
    keep=st.booleans(),
)
def test_image_preprocess_gives_gr_error_or_a_correct_value(
    case: Case, type: str, image_mode: str | None, name: str, keep: bool
) -> None:
    run(case, IMAGES[type, image_mode, keep], gallery=False, name=name)


@pytest.mark.timeout(600)
@FUZZ
@given(
    case=cases(),
    type=st.sampled_from(["numpy", "pil", "filepath"]),
    name=NAMES,
    keep=st.booleans(),
)
def test_gallery_preprocess_gives_gr_error_or_a_correct_value(
    case: Case, type: str, name: str, keep: bool
) -> None:
    run(case, GALLERIES[type, keep], gallery=True, name=name)


_PNG_B64 = base64.b64encode(exact.encode(np.zeros((2, 2, 3), np.uint8))).decode()
MALFORMED = st.sampled_from(
    [
        {"path": None},
        {"path": ""},
        {"path": "DIR"},
        {"path": "MISSING"},
        {"path": "DIR", "orig_name": "x.png"},
        {"path": "FILE", "orig_name": ""},
        {"path": "FILE", "orig_name": "<script>alert(1)</script>.png"},
        {"path": "FILE", "orig_name": "../../etc/passwd"},
        {"path": "FILE", "mime_type": "video/mp4"},
        {"path": "FILE", "url": "http://127.0.0.1:9/nothing.png"},
        {"path": None, "url": "data:image/png;base64,AAAA"},
        {"path": "FILE", "url": "data:,"},
        {"path": None, "url": "data:image/png;base64," + _PNG_B64},
    ]
)


@pytest.mark.timeout(300)
@settings(FUZZ, max_examples=min(EXAMPLES, 200))
@given(
    fields=MALFORMED,
    type=st.sampled_from(["numpy", "pil", "filepath"]),
    gallery=st.booleans(),
    content=st.sampled_from(
        [b"", b"junk", exact.encode(np.zeros((2, 2, 3), np.uint8))]
    ),
)
def test_malformed_payloads_give_gr_error_or_a_value(
    fields: dict[str, Any], type: str, gallery: bool, content: bytes
) -> None:
    f = WORK / "payload-file"
    f.write_bytes(content)
    (WORK / "a-folder").mkdir(exist_ok=True)
    path = {
        "DIR": str(WORK / "a-folder"),
        "MISSING": str(WORK / "missing.png"),
        "FILE": str(f),
    }.get(fields["path"], fields["path"])
    data = ImageData(**{**fields, "path": path})
    component = GALLERIES[type, False] if gallery else IMAGES[type, None, False]
    payload = GalleryData(root=[GalleryImage(image=data)]) if gallery else data
    try:
        out = watched(
            lambda: component.preprocess(payload), {str(f), str(WORK / "a-folder")}
        )
    except gr.Error as exc:
        message = exc.message
        COUNTS["malformed gr.Error"] += 1
        assert isinstance(message, str) and message, "an empty gr.Error"
    else:
        COUNTS["malformed value"] += 1
        assert out is None or isinstance(out, (list, str, np.ndarray, PIL.Image.Image))
    COUNTS["cases"] += 1


def test_the_read_watch_sees_a_read_of_another_file() -> None:
    given, other = WORK / "given.png", WORK / "other.png"
    given.write_bytes(b"a")
    other.write_bytes(b"b")
    before = len(_OUTSIDE)
    watched(lambda: (given.read_bytes(), other.read_bytes()), {str(given)})
    assert _OUTSIDE[before:] == [os.path.realpath(other)]
    del _OUTSIDE[before:]
