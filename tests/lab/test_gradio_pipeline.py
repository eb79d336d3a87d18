"""--pipeline gradio: the real gr.Image and gradio_lossless.Image, hop by hop."""

from __future__ import annotations

import pytest

from gradio_lossless.tools.lab.gradio_pipeline import missing_reason
from gradio_lossless.tools.lab.hops import Job, Run, Setting, run_job
from gradio_lossless.tools.lab.runner import choose_crop
from gradio_lossless.tools.lab.samples import LabImage

FORMATS = ("webp", "jpeg", "png", "avif")


def _run(
    image: LabImage, setting: Setting, hops: int, image_mode: str | None = "RGB"
) -> Run:
    box = choose_crop(image.pixels)
    return run_job(Job(0, image, setting, hops, box, (1,), image_mode=image_mode))


def test_both_components_are_importable() -> None:
    assert missing_reason("gradio") == ""
    assert missing_reason("lossless") == ""


def test_stock_webp_hop_is_pillow_webp_q80(photo: LabImage) -> None:
    """gr.Image(format="webp") writes exactly Pillow's default WebP (quality 80)."""
    stock = _run(photo, Setting("gradio", "webp"), hops=2)
    codec = _run(photo, Setting("codec", "webp", 80), hops=2)
    assert [h.bytes for h in stock.hops] == [h.bytes for h in codec.hops]
    assert [h.fidelity for h in stock.hops] == [h.fidelity for h in codec.hops]
    assert round(stock.hops[0].fidelity.psnr, 1) == 35.6


@pytest.mark.parametrize("fmt", FORMATS)
def test_lossless_component_is_exact_at_every_hop(
    small: list[LabImage], fmt: str
) -> None:
    for image in small:
        for mode in ("RGB", None):
            run = _run(image, Setting("lossless", fmt), hops=4, image_mode=mode)
            assert run.error == "", (image.name, mode)
            assert [h.fidelity.bit_exact for h in run.hops] == [True] * 4, image.name


def test_stock_component_degrades(small: list[LabImage]) -> None:
    run = _run(small[0], Setting("gradio", "webp"), hops=3)
    assert run.error == ""
    assert not any(h.fidelity.bit_exact for h in run.hops)


def test_stock_jpeg_cannot_take_rgba(small: list[LabImage]) -> None:
    run = _run(small[3], Setting("gradio", "jpeg"), hops=3)
    assert run.hops == ()
    assert run.error == "hop 1: OSError: cannot write mode RGBA as JPEG"


def test_image_mode_rgb_reference_drops_alpha(small: list[LabImage]) -> None:
    """With image_mode="RGB" the function receives RGB; that is the reference."""
    run = _run(small[3], Setting("gradio", "png"), hops=2, image_mode="RGB")
    assert all(h.fidelity.bit_exact for h in run.hops)
    kept = _run(small[3], Setting("gradio", "png"), hops=2, image_mode=None)
    assert all(h.fidelity.bit_exact for h in kept.hops)
