"""The recommendation: cheapest qualifying setting, why, and the near misses."""

from __future__ import annotations

import math

from gradio_lossless.tools.lab.hops import HopRecord, Run, Setting
from gradio_lossless.tools.lab.metrics import EXACT, Fidelity
from gradio_lossless.tools.lab.recommend import Constraints, recommend


def _run(image: str, setting: Setting, psnrs: list[float], size: int) -> Run:
    hops = tuple(
        HopRecord(
            hop=k,
            bytes=size,
            bits_per_pixel=8 * size / 10_000,
            encode_ms=1.0,
            decode_ms=1.0,
            fidelity=EXACT
            if math.isinf(p)
            else Fidelity(p, 0.9, 10, 1.0, bit_exact=False),
        )
        for k, p in enumerate(psnrs, start=1)
    )
    return Run(image, setting, hops, ())


WEBP60 = Setting("codec", "webp", 60)
WEBP90 = Setting("codec", "webp", 90)
PNG = Setting("codec", "png")
JPEG = Setting("codec", "jpeg", 90)
INF = math.inf


def _runs() -> list[Run]:
    return [
        _run("a", WEBP60, [36, 33, 30], 1000),
        _run("b", WEBP60, [40, 38, 37], 1000),
        _run("a", WEBP90, [42, 41, 40.5], 3000),
        _run("b", WEBP90, [45, 44, 44], 3000),
        _run("a", PNG, [INF, INF, INF], 20000),
        _run("b", PNG, [INF, INF, INF], 20000),
        _run("a", JPEG, [41, 40, 39.8], 2000),
        Run("b", JPEG, (), (), "not measured: jpeg cannot store the alpha channel"),
    ]


def test_cheapest_setting_meeting_every_constraint_on_every_image() -> None:
    rec = recommend(_runs(), Constraints(min_psnr=39.5, psnr_hop=3, max_bytes=10_000))
    assert rec.choice is not None
    assert rec.choice.setting == WEBP90
    assert rec.choice.evidence == (
        "largest file 3,000 B (a) <= 10,000 B",
        "PSNR after hop 3 40.5 dB (a) >= 39.5 dB",
    )
    # JPEG is cheaper and good enough on "a", but could not handle "b"
    cheaper = {v.setting: v.failures for v in rec.cheaper_failures}
    assert cheaper[JPEG] == ("b: not measured: jpeg cannot store the alpha channel",)
    assert cheaper[WEBP60] == ("PSNR after hop 3 30 dB (a) < 39.5 dB",)
    assert rec.considered == 4
    assert rec.summary().startswith("webp q90 is the cheapest of 4 settings meeting")


def test_near_misses_are_ranked_by_how_far_they_missed() -> None:
    rec = recommend(_runs(), Constraints(min_psnr=41, psnr_hop=3))
    # webp q90 misses by 0.5 dB, webp q60 by 11 dB; png qualifies
    assert rec.choice is not None
    assert rec.choice.setting == PNG
    assert [v.setting for v in rec.near_misses][:2] == [WEBP90, WEBP60]


def test_no_setting_qualifies() -> None:
    rec = recommend(_runs(), Constraints(exact=True, max_bytes=5000))
    assert rec.choice is None
    assert rec.summary().startswith("No setting of the 4 measured meets:")
    assert rec.near_misses


def test_exact_constraint_names_first_changed_hop() -> None:
    rec = recommend(_runs(), Constraints(exact=True))
    assert rec.choice is not None
    assert rec.choice.setting == PNG
    failures = {v.setting: v.failures for v in rec.cheaper_failures}
    assert failures[WEBP90] == ("not bit-exact from hop 1 (a)",)
