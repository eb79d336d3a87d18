"""The audit's rules without a server: what a served file is (format, codec,
exact file verified or not), which judgement hop 1 picks, and when a dtype counts as
narrowed (issue 13 item 5)."""

from __future__ import annotations

import io
import math

import numpy as np
import PIL.Image
import pytest

from gradio_lossless.codecs import container
from gradio_lossless.core.keys import Keys
from gradio_lossless.io import machine_keys
from gradio_lossless.tools.audit.fidelity import Fidelity
from gradio_lossless.tools.audit.judge import Hop, classify, judge, narrowed
from gradio_lossless.tools.audit.served import Served, read_served
from tests.samples import photo

# --- what a served file is (no server) ---------------------------------------


def _encoded(im: PIL.Image.Image, fmt: str, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "kwargs", "lossless", "codec"),
    [
        ("PNG", {}, True, "PNG"),
        ("BMP", {}, True, "BMP"),
        ("WEBP", {}, False, "WebP (VP8, lossy)"),
        ("WEBP", {"lossless": True}, True, "WebP (VP8L, lossless)"),
        ("JPEG", {"quality": 100}, False, "JPEG (lossy)"),
        ("GIF", {}, False, "GIF (256-colour palette)"),
        (
            "TIFF",
            {"compression": "tiff_adobe_deflate"},
            True,
            "TIFF (tiff_adobe_deflate)",
        ),
        ("TIFF", {"compression": "jpeg"}, False, "TIFF (jpeg)"),
    ],
)
def test_served_formats(tmp_path, fmt, kwargs, lossless, codec):  # type: ignore[no-untyped-def]
    path = tmp_path / f"image.{fmt.lower()}"
    path.write_bytes(_encoded(PIL.Image.fromarray(photo(24, 32)), fmt, **kwargs))
    served, value = read_served(path)
    assert (served.format, served.lossless, served.codec) == (fmt, lossless, codec)
    assert (served.exact_file, served.token, served.preview) == ("", False, False)
    assert served.shape[:2] == value.shape[:2] == (24, 32)
    assert served.dtype == str(value.dtype)


def test_served_exact_png_verified_and_under_another_secret(tmp_path):  # type: ignore[no-untyped-def]
    value = np.linspace(0, 1, 24 * 32 * 3).reshape(24, 32, 3)  # float64: a preview
    keys = machine_keys()
    ours = tmp_path / "ours.png"
    ours.write_bytes(container.encode(value, keys=keys))
    served, read = read_served(ours)
    assert (served.exact_file, served.preview) == ("verified", False)
    assert (served.dtype, served.shape) == ("float64", (24, 32, 3))
    assert read.dtype == np.float64 and read.tobytes() == value.tobytes()
    assert served.describe().endswith(", exact (gradio-lossless)")

    other = Keys(b"another server's secret, 32+ bytes")
    theirs = tmp_path / "theirs.png"
    theirs.write_bytes(container.encode(value, keys=other))
    served, read = read_served(theirs)
    assert (served.exact_file, served.preview) == ("unverified", True)
    assert served.declared == "float64 24×32×3"
    assert served.dtype == "uint8" == read.dtype  # the 8-bit preview read here
    assert served.describe() == (
        f"PNG {served.nbytes / 1000:.1f} kB, exact (gradio-lossless, float64 "
        "24×32×3; another secret: 8-bit preview read)"
    )


# --- the judgement rules (no server) -----------------------------------------


def _served(codec: str = "PNG", lossless: bool = True, **kw) -> Served:  # type: ignore[no-untyped-def]
    fields = dict(
        format=codec.split()[0].upper(),
        nbytes=1000,
        lossless=lossless,
        codec=codec,
        exact_file="",
        declared="",
        preview=False,
        token=False,
        dtype="uint8",
        shape=(4, 4, 3),
    )
    return Served(**{**fields, **kw})


@pytest.mark.parametrize(
    ("fidelity", "served", "kind"),
    [
        (Fidelity(1, math.inf, 0.0, True), _served(), "identity"),
        (
            Fidelity(1, 35.6, 66.0, False),
            _served("WebP (VP8, lossy)", False),
            "near-identity",
        ),
        (
            Fidelity(1, 25.0, 90.0, False),
            _served("JPEG (lossy)", False),
            "near-identity",
        ),
        (
            Fidelity(1, 24.9, 90.0, False),
            _served("JPEG (lossy)", False),
            "non-identity",
        ),
        # a lossless file that differs: the function changed it, however little
        (Fidelity(1, 60.0, 1.0, False), _served(), "non-identity"),
        (
            Fidelity(1, math.nan, math.nan, False, note="shape"),
            _served("GIF", False),
            "non-identity",
        ),
    ],
)
def test_classify(fidelity, served, kind):  # type: ignore[no-untyped-def]
    assert classify(Hop(1, fidelity, served)).kind == kind


@pytest.mark.parametrize(
    ("fed", "out", "preview", "expected"),
    [
        (np.uint16, np.uint8, False, "uint16 -> uint8"),
        (np.float64, np.uint8, False, "float64 -> uint8"),
        (np.float64, np.float32, False, "float64 -> float32"),
        (np.uint8, np.float32, False, ""),
        (np.uint8, np.uint16, False, ""),
        (np.uint8, np.bool_, False, ""),  # a mask the function made
        (np.float64, np.uint8, True, ""),  # an 8-bit preview is not the value
    ],
)
def test_narrowed(fed, out, preview, expected):  # type: ignore[no-untyped-def]
    served = _served(preview=preview)
    assert narrowed(np.zeros(3, fed), np.zeros(3, out), served) == expected


def test_a_lossy_hop_after_exact_ones_is_named():  # type: ignore[no-untyped-def]
    same = Fidelity(1, math.inf, 0.0, True)
    hops = [
        Hop(
            1, Fidelity(1, 12.0, 200.0, False), _served(exact_file="verified"), "", same
        ),
        Hop(
            2, Fidelity(2, 11.0, 210.0, False), _served("JPEG (lossy)", False), "", same
        ),
    ]
    verdict = judge(classify(hops[0]), hops, "/x")
    assert not verdict.exact
    assert verdict.text.startswith(
        "/x serves JPEG (lossy), a lossy format, from hop 2."
    )
    assert verdict.caveat == ""
