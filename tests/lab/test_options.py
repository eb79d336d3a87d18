"""Option parsing: accepted spellings and the exact messages for bad values."""

from __future__ import annotations

import pytest

from gradio_lossless.tools.lab.formats import FORMATS, availability
from gradio_lossless.tools.lab.options import (
    parse_formats,
    parse_pipelines,
    parse_qualities,
    parse_threshold,
)

ALL = ("webp", "jpeg", "png", "avif")


def test_formats() -> None:
    assert parse_formats("WebP, jpg,png,webp") == ("webp", "jpeg", "png")
    with pytest.raises(ValueError, match=r"^--formats") as exc:
        parse_formats("webp,gif")
    assert str(exc.value) == (
        "--formats: unknown format 'gif' (choose from avif, jpeg, jxl, png, webp)"
    )


def test_default_qualities_are_pillows() -> None:
    assert parse_qualities(None, ALL) == (
        ("webp", (80,)),
        ("jpeg", (75,)),
        ("png", (None,)),
        ("avif", (75,)),
    )


def test_shared_and_per_format_qualities() -> None:
    got = dict(parse_qualities("60,95,lossless,jpeg=90", ALL))
    assert got == {
        "webp": (60, 95, "lossless"),
        "jpeg": (90,),
        "png": (None,),
        "avif": (60, 95),
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("high", "--quality: invalid quality 'high' (expected 0-100 or 'lossless')"),
        ("101", "--quality: quality 101 is out of range (expected 0-100)"),
        ("png=50", "--quality: png is always lossless and takes no quality"),
        ("jpeg=lossless", "--quality: jpeg has no lossless mode"),
        (
            "jxl=80",
            "--quality: 'jxl=80' names format 'jxl', which is not in --formats "
            "(webp, jpeg, png, avif)",
        ),
    ],
)
def test_bad_qualities(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"^--quality: ") as exc:
        parse_qualities(spec, ALL)
    assert str(exc.value) == message


def test_pipelines() -> None:
    assert parse_pipelines("gradio,codec") == ("codec", "gradio")
    with pytest.raises(ValueError, match=r"^--pipeline: unknown pipeline 'browser'"):
        parse_pipelines("browser")


def test_thresholds() -> None:
    assert parse_threshold("40", "--min-psnr-after", hops=50) == (40.0, 50)
    assert parse_threshold("38.5@10", "--min-psnr-after", hops=50) == (38.5, 10)
    with pytest.raises(ValueError, match=r"^--min-psnr-after") as exc:
        parse_threshold("40@60", "--min-psnr-after", hops=50)
    assert str(exc.value) == "--min-psnr-after: hop 60 is outside this run's hops 1..50"


def test_missing_plugin_is_reported_with_install_hint() -> None:
    status = availability(FORMATS["jxl"])
    if status.available:  # pragma: no cover - only where the plugin is installed
        pytest.skip("pillow-jxl-plugin is installed here")
    assert status.reason == "the 'pillow_jxl' plugin is not installed"
    assert status.install_hint == "pip install pillow-jxl-plugin"


def test_builtin_formats_are_available() -> None:
    for name in ("webp", "jpeg", "png", "avif"):
        assert availability(FORMATS[name]).available, name
