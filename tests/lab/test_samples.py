"""The embedded default set and loading the user's files."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from gradio_lossless.tools.lab.samples import default_images, load_images


def test_default_set_is_built_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the default set must not touch the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    images = default_images()
    assert [(i.name, i.mode, i.width, i.height) for i in images] == [
        ("photo", "RGB", 512, 512),
        ("line-art", "RGB", 384, 256),
        ("gradient", "RGB", 384, 256),
        ("alpha", "RGBA", 451, 300),
    ]


def test_default_set_is_deterministic() -> None:
    first, second = default_images(), default_images()
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a.pixels, b.pixels)


def test_alpha_sample_has_transparent_soft_and_opaque_pixels() -> None:
    alpha = default_images()[3].pixels[..., 3]
    assert (alpha == 0).any()
    assert ((alpha > 0) & (alpha < 255)).any()
    assert (alpha == 255).any()


def test_line_art_has_one_pixel_lines() -> None:
    art = default_images()[1].pixels
    assert (art[150, 12:372] == 0).all()  # a black 1-px line
    assert (art[149, 12:372] == 255).all()
    assert (art[151, 12:372] == 255).all()


def test_unreadable_files_are_skipped_by_name(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    PIL.Image.fromarray(np.full((16, 16, 3), 7, np.uint8)).save(good)
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(good.read_bytes()[:40])
    tiny = tmp_path / "tiny.png"
    PIL.Image.new("RGB", (4, 4)).save(tiny)
    missing = tmp_path / "missing.png"

    images, skipped = load_images([good, text, truncated, tmp_path, missing, tiny])

    assert [i.name for i in images] == ["good"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert set(reasons) == {
        "notes.txt",
        "cut.png",
        tmp_path.name,
        "missing.png",
        "tiny.png",
    }
    assert reasons["notes.txt"].startswith("UnidentifiedImageError: cannot identify")
    assert reasons["missing.png"] == "FileNotFoundError: No such file or directory"
    assert reasons["tiny.png"] == "4x4 pixels is smaller than the 7x7 SSIM needs"


def test_modes_are_normalised_with_a_note(tmp_path: Path) -> None:
    grey16 = tmp_path / "deep.png"
    PIL.Image.fromarray(np.full((8, 8), 0x1234, np.uint16)).save(grey16)
    palette = tmp_path / "pal.png"
    im = PIL.Image.new("P", (8, 8))
    im.info["transparency"] = 0
    im.save(palette, transparency=0)
    same = tmp_path / "sub" / "deep.png"
    same.parent.mkdir()
    PIL.Image.new("LA", (8, 8)).save(same)

    images, skipped = load_images([grey16, palette, same])

    assert skipped == []
    deep, pal, deep2 = images
    assert deep.mode == "RGB"
    assert (deep.pixels == 0x12).all()
    assert "top 8 bits" in deep.note
    assert pal.mode == "RGBA"
    assert deep2.name == "deep-2"  # names stay unique
    assert deep2.mode == "RGBA"
