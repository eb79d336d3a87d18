"""Real hop chains: lossless stays exact, lossy loses, reruns repeat."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradio_lossless.tools.lab.hops import Job, Run, Setting, run_job
from gradio_lossless.tools.lab.runner import LabConfig, choose_crop, run_lab
from gradio_lossless.tools.lab.samples import LabImage


def _run(image: LabImage, setting: Setting, hops: int) -> Run:
    return run_job(Job(0, image, setting, hops, choose_crop(image.pixels), (1, hops)))


def _figures(run: Run) -> list[tuple[object, ...]]:
    """Everything a rerun must repeat (times excluded)."""
    return [(h.hop, h.bytes, h.fidelity) for h in run.hops]


@pytest.mark.parametrize(
    "setting", [Setting("codec", "png"), Setting("codec", "webp", "lossless")]
)
def test_lossless_settings_are_bit_exact_at_every_hop(
    small: list[LabImage], setting: Setting
) -> None:
    for image in small:
        run = _run(image, setting, hops=6)
        assert run.error == ""
        assert len(run.hops) == 6
        assert all(h.fidelity.bit_exact for h in run.hops), image.name
        assert all(math.isinf(h.fidelity.psnr) for h in run.hops)
        # the kept crops are the original's
        crops = dict(run.crops)
        assert (crops[6] == crops[0][..., : crops[6].shape[2]]).all()


@pytest.mark.parametrize(
    "setting", [Setting("codec", "webp", 80), Setting("codec", "avif", 75)]
)
def test_lossy_settings_lose_from_hop_one(
    small: list[LabImage], setting: Setting
) -> None:
    run = _run(small[0], setting, hops=4)
    assert not run.hops[0].fidelity.bit_exact
    assert 20 < run.hops[0].fidelity.psnr < 60
    assert run.hops[-1].fidelity.psnr <= run.hops[0].fidelity.psnr + 0.5


def test_rerun_gives_the_same_numbers(small: list[LabImage]) -> None:
    for setting in (Setting("codec", "webp", 80), Setting("codec", "avif", 60)):
        first = _run(small[3], setting, hops=3)
        second = _run(small[3], setting, hops=3)
        assert _figures(first) == _figures(second)


def test_jpeg_is_not_measured_on_alpha(small: list[LabImage]) -> None:
    alpha = small[3]
    assert alpha.mode == "RGBA"
    run = _run(alpha, Setting("codec", "jpeg", 75), hops=3)
    assert run.hops == ()
    assert run.error == "not measured: jpeg cannot store the alpha channel"


def test_jpeg_reaches_a_fixed_point(photo: LabImage) -> None:
    """JPEG q75 stops changing the astronaut after some hops; metrics then repeat."""
    run = _run(photo, Setting("codec", "jpeg", 75), hops=20)
    assert run.hops[-1].fidelity == run.hops[-2].fidelity
    assert not run.hops[-1].fidelity.bit_exact


def test_parallel_run_matches_serial_run(small: list[LabImage]) -> None:
    config = LabConfig(
        formats=("webp", "png"),
        qualities=(("webp", (80,)), ("png", (None,))),
        hops=3,
        workers=1,
    )
    serial = run_lab(small[:2], config)
    parallel = run_lab(
        small[:2],
        LabConfig(config.formats, config.qualities, hops=3, workers=2),
    )
    assert [(r.image, r.setting) for r in serial.runs] == [
        (r.image, r.setting) for r in parallel.runs
    ]
    assert [_figures(r) for r in serial.runs] == [_figures(r) for r in parallel.runs]


def test_progress_reports_every_hop(small: list[LabImage]) -> None:
    config = LabConfig(
        formats=("jpeg", "png"),
        qualities=(("jpeg", (75,)), ("png", (None,))),
        hops=4,
    )
    totals: list[int] = []
    steps: list[int] = []
    result = run_lab(small, config, on_start=totals.append, advance=steps.append)
    # 4 images x 2 settings x 4 hops; jpeg on the RGBA image is not measured but
    # still completes the bar
    assert totals == [32]
    assert sum(steps) == 32
    assert len(result.runs) == 8


def test_crop_goes_where_lossy_encoding_hurts() -> None:
    flat = np.full((256, 256, 3), 128, np.uint8)
    rng = np.random.default_rng(5)
    flat[100:148, 60:108] = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
    top, left, height, width = choose_crop(flat)
    assert (height, width) == (48, 48)
    assert abs(top - 100) <= 8
    assert abs(left - 60) <= 8


def test_crop_ignores_damage_under_transparent_pixels() -> None:
    rng = np.random.default_rng(6)
    pixels = rng.integers(0, 256, (128, 128, 4), dtype=np.uint8)
    pixels[..., 3] = 0
    pixels[64:, 64:, 3] = 255  # only the bottom-right quarter is visible
    top, left, _, _ = choose_crop(pixels)
    assert top >= 56
    assert left >= 56
