"""Metrics and hop 1 against an independent Pillow + scikit-image computation."""

from __future__ import annotations

import io
import math

import numpy as np
import PIL.Image
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from gradio_lossless.tools.lab.hops import Job, Setting, run_job
from gradio_lossless.tools.lab.metrics import EXACT, Reference, measure
from gradio_lossless.tools.lab.samples import LabImage


def _job(image: LabImage, setting: Setting, hops: int) -> Job:
    return Job(0, image, setting, hops, (0, 0, 8, 8), (1,))


def test_identical_is_exact(photo: LabImage) -> None:
    assert measure(Reference(photo.pixels), photo.pixels.copy()) == EXACT
    assert math.isinf(EXACT.psnr)


def test_one_changed_value_is_not_exact(photo: LabImage) -> None:
    changed = photo.pixels.copy()
    changed[10, 20, 1] ^= 1
    fidelity = measure(Reference(photo.pixels), changed)
    assert not fidelity.bit_exact
    assert fidelity.max_abs_error == 1
    # one level off in one of 512*512*3 values: MSE = 1/786432
    assert fidelity.psnr == pytest.approx(10 * math.log10(255**2 * 786432))


@pytest.mark.parametrize(
    ("fmt", "pillow", "quality"), [("webp", "WEBP", 80), ("jpeg", "JPEG", 75)]
)
def test_hop_one_matches_independent_computation(
    photo: LabImage, fmt: str, pillow: str, quality: int
) -> None:
    run = run_job(_job(photo, Setting("codec", fmt, quality), hops=1))
    hop = run.hops[0]

    buffer = io.BytesIO()
    PIL.Image.fromarray(photo.pixels).save(buffer, pillow, quality=quality)
    decoded = np.asarray(PIL.Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    original = photo.pixels

    assert hop.bytes == len(buffer.getvalue())
    assert hop.bits_per_pixel == pytest.approx(8 * len(buffer.getvalue()) / 512**2)
    psnr = peak_signal_noise_ratio(original, decoded, data_range=255)
    assert hop.fidelity.psnr == pytest.approx(psnr, rel=1e-12)
    ssim = structural_similarity(original, decoded, channel_axis=-1, data_range=255)
    assert hop.fidelity.ssim == pytest.approx(ssim, abs=1e-5)
    delta_e = deltaE_ciede2000(rgb2lab(original), rgb2lab(decoded)).mean()
    assert hop.fidelity.delta_e == pytest.approx(delta_e, abs=1e-4)
    max_error = np.abs(original.astype(int) - decoded.astype(int)).max()
    assert hop.fidelity.max_abs_error == max_error
    assert not hop.fidelity.bit_exact


def test_published_webp_figures(photo: LabImage) -> None:
    """Issue 3 quotes 35.6 dB after 1 hop and 33.1 dB after 10 for Pillow WebP q80."""
    run = run_job(_job(photo, Setting("codec", "webp", 80), hops=10))
    assert round(run.hops[0].fidelity.psnr, 1) == 35.6
    assert round(run.hops[9].fidelity.psnr, 1) == 33.1


def test_too_small_for_ssim_is_refused() -> None:
    with pytest.raises(ValueError, match=r"image of 6x9 pixels is too small"):
        Reference(np.zeros((9, 6, 3), np.uint8))


def test_shape_mismatch_is_refused(photo: LabImage) -> None:
    with pytest.raises(
        ValueError, match=r"cannot compare an image of shape \(512, 512, 4\)"
    ):
        measure(Reference(photo.pixels), np.zeros((512, 512, 4), np.uint8))
