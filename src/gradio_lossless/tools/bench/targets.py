"""The speed targets of ``gradio-lossless bench`` and how a run is judged by them.

The targets are the Speed items of the project's issues: on a 3840x2160 RGB
image, a pass-through hop at least 40 times and a modified hop at least 3 times
faster than stock ``gr.Image(format="webp")``; for 16 distinct 3840x2160 images, a
gallery's first postprocess at least 4 times and an unchanged re-postprocess at
least 20 times faster than stock ``gr.Gallery(format="webp")``. Each must also be
bit-exact, and each is judged separately on every kind of content the run
measured (``resized``, ``tiled``; see ``bench_images``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from gradio_lossless.tools.bench.gallery import GalleryResult
from gradio_lossless.tools.bench.hops import HopResult

__all__ = [
    "TARGETS",
    "TARGET_GALLERY_COUNT",
    "TARGET_SIZE",
    "TargetResult",
    "TargetSpec",
    "TargetStatus",
    "evaluate_targets",
]

TargetStatus: TypeAlias = Literal["pass", "fail", "skipped", "not measured"]

TARGET_SIZE = "3840x2160"
TARGET_GALLERY_COUNT = 16


@dataclass(frozen=True)
class TargetSpec:
    """A speed target from the issues.

    Parameters:
        name: stable identifier used in JSON.
        description: what is measured, as printed (without the content kind).
        min_ratio: required speed-up over the stock webp component (times faster).
        source: the issue item it comes from.
    """

    name: str
    description: str
    min_ratio: float
    source: str


TARGETS: tuple[TargetSpec, ...] = (
    TargetSpec(
        "image-pass-through",
        "Image 3840x2160 RGB, pass-through hop",
        40.0,
        "issue 3, item 5",
    ),
    TargetSpec(
        "image-modified", "Image 3840x2160 RGB, modified hop", 3.0, "issue 3, item 5"
    ),
    TargetSpec(
        "gallery-first",
        "Gallery 16 x 3840x2160, first postprocess",
        4.0,
        "issue 4, item 3",
    ),
    TargetSpec(
        "gallery-unchanged",
        "Gallery 16 x 3840x2160, unchanged re-postprocess",
        20.0,
        "issue 4, item 3",
    ),
)


@dataclass(frozen=True)
class TargetResult:
    """A target, on one kind of content, next to what this run measured.

    ``status`` is ``pass`` (fast enough and bit-exact), ``fail`` (too slow, not
    bit-exact, or the component raised), ``skipped`` (the
    lossless component could not run) or ``not measured`` (the options left the
    case out, e.g. ``--sizes`` without 3840x2160). ``ratio`` is times faster than
    stock webp. ``description`` ends with the content kind in brackets.
    """

    name: str
    content: str
    description: str
    min_ratio: float
    source: str
    status: TargetStatus
    ratio: float | None = None
    bit_exact: bool | None = None
    note: str | None = None


def _judge(
    spec: TargetSpec,
    content: str,
    result: HopResult | GalleryResult | None,
    missing: str,
) -> TargetResult:
    unmeasured = TargetResult(
        name=spec.name,
        content=content,
        description=f"{spec.description} ({content})",
        min_ratio=spec.min_ratio,
        source=spec.source,
        status="not measured",
        note=missing,
    )
    if result is None:
        return unmeasured
    if result.error is not None:
        return dataclasses.replace(
            unmeasured, status="fail", note="the component raised (see below)"
        )
    if not result.available:
        return dataclasses.replace(unmeasured, status="skipped", note=result.note)
    ratio = result.vs_stock_webp
    passed = ratio is not None and ratio >= spec.min_ratio and bool(result.bit_exact)
    return dataclasses.replace(
        unmeasured,
        status="pass" if passed else "fail",
        ratio=ratio,
        bit_exact=result.bit_exact,
        note=None if result.bit_exact else "not bit-exact",
    )


def evaluate_targets(
    hops: Sequence[HopResult],
    gallery: Sequence[GalleryResult],
    contents: Sequence[str],
) -> tuple[TargetResult, ...]:
    """Compare the lossless rows against the issues' targets, per content kind.

    Parameters:
        hops: image-hop results of this run.
        gallery: gallery results of this run.
        contents: the content kinds the run measured, in the order to report.
    Returns:
        For every content kind in order, one TargetResult per entry of TARGETS.
    """

    def hop(content: str, kind: str) -> HopResult | None:
        return next(
            (
                r
                for r in hops
                if r.content == content
                and r.size == TARGET_SIZE
                and r.hop == kind
                and r.contender == "lossless"
            ),
            None,
        )

    def gal(content: str, phase: str) -> GalleryResult | None:
        return next(
            (
                r
                for r in gallery
                if r.content == content
                and r.phase == phase
                and r.contender == "lossless"
                and r.size == TARGET_SIZE
                and r.count == TARGET_GALLERY_COUNT
            ),
            None,
        )

    no_size = f"{TARGET_SIZE} not in --sizes"
    no_gallery = (
        f"needs --gallery-count {TARGET_GALLERY_COUNT} --gallery-size {TARGET_SIZE}"
    )
    results: list[TargetResult] = []
    for content in contents:
        by_name = {
            "image-pass-through": (hop(content, "pass-through"), no_size),
            "image-modified": (hop(content, "modified"), no_size),
            "gallery-first": (gal(content, "first"), no_gallery),
            "gallery-unchanged": (gal(content, "unchanged"), no_gallery),
        }
        results += [_judge(spec, content, *by_name[spec.name]) for spec in TARGETS]
    return tuple(results)
