"""Name the cheapest setting that meets the user's constraints, and say why.

Cost is size: the mean bits per pixel over every image and hop (ties go to the
faster setting). A setting qualifies only if it meets every constraint on every
image; a setting that could not handle an image (JPEG and alpha, say) does not
qualify. Settings that failed are ranked by how far they missed, so the report
can name the near misses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gradio_lossless.tools.lab.hops import Run, Setting

__all__ = ["Constraints", "Recommendation", "Verdict", "recommend"]


@dataclass(frozen=True)
class Constraints:
    """What a recommended setting must satisfy on every image.

    Parameters:
        max_bytes: largest file any hop may write, in bytes.
        max_bpp: largest file any hop may write, in bits per pixel.
        min_psnr: lowest PSNR allowed at ``psnr_hop``, in dB.
        psnr_hop: the hop ``min_psnr`` applies to.
        min_ssim: lowest SSIM allowed at ``ssim_hop``.
        ssim_hop: the hop ``min_ssim`` applies to.
        max_ms: largest mean encode + decode time per hop, in milliseconds.
        exact: every hop must be bit-exact.
    """

    max_bytes: int | None = None
    max_bpp: float | None = None
    min_psnr: float | None = None
    psnr_hop: int | None = None
    min_ssim: float | None = None
    ssim_hop: int | None = None
    max_ms: float | None = None
    exact: bool = False

    def describe(self) -> list[str]:
        """The constraints as short phrases, e.g. "PSNR >= 40 dB after hop 50"."""
        parts = []
        if self.max_bytes is not None:
            parts.append(f"every file <= {self.max_bytes:,} bytes")
        if self.max_bpp is not None:
            parts.append(f"every file <= {self.max_bpp:g} bits/pixel")
        if self.min_psnr is not None:
            parts.append(f"PSNR >= {self.min_psnr:g} dB after hop {self.psnr_hop}")
        if self.min_ssim is not None:
            parts.append(f"SSIM >= {self.min_ssim:g} after hop {self.ssim_hop}")
        if self.max_ms is not None:
            parts.append(f"encode + decode <= {self.max_ms:g} ms per hop")
        if self.exact:
            parts.append("bit-exact at every hop")
        return parts

    @property
    def empty(self) -> bool:
        """True if no constraint is set."""
        return not self.describe()


@dataclass(frozen=True)
class Verdict:
    """How one setting fared against the constraints.

    Parameters:
        setting: the setting.
        mean_bpp: its cost, mean bits per pixel over all images and hops.
        mean_ms: mean encode + decode time per hop over all images, milliseconds.
        failures: one phrase per unmet constraint, naming the image and the figure.
        evidence: one phrase per met constraint, with the worst figure over images.
        shortfall: how far it missed, as a fraction of the limit (0 if it qualifies).
    """

    setting: Setting
    mean_bpp: float
    mean_ms: float
    failures: tuple[str, ...]
    evidence: tuple[str, ...]
    shortfall: float

    @property
    def ok(self) -> bool:
        """True if every constraint holds on every image."""
        return not self.failures


@dataclass(frozen=True)
class Recommendation:
    """The answer to ``--recommend``.

    Parameters:
        constraints: what was asked.
        choice: the cheapest qualifying setting, or None if none qualifies.
        near_misses: the failed settings that came closest (at most three).
        cheaper_failures: failed settings cheaper than the choice (at most three).
        considered: how many settings were judged.
    """

    constraints: Constraints
    choice: Verdict | None
    near_misses: tuple[Verdict, ...]
    cheaper_failures: tuple[Verdict, ...]
    considered: int

    def summary(self) -> str:
        """One paragraph saying what is recommended and why."""
        asked = "; ".join(self.constraints.describe())
        if self.choice is None:
            closest = self.near_misses[0] if self.near_misses else None
            text = f"No setting of the {self.considered} measured meets: {asked}."
            if closest is not None:
                text += (
                    f" Closest: {closest.setting.label} "
                    f"({'; '.join(closest.failures)})."
                )
            return text
        choice = self.choice
        text = (
            f"{choice.setting.label} is the cheapest of {self.considered} settings "
            f"meeting {asked}: {choice.mean_bpp:.3g} bits/pixel on average, "
            f"{choice.mean_ms:.3g} ms per hop. Worst case over the images: "
            f"{'; '.join(choice.evidence)}."
        )
        if self.cheaper_failures:
            cheaper = "; ".join(
                f"{v.setting.label} ({v.failures[0]})" for v in self.cheaper_failures
            )
            text += f" Cheaper settings miss: {cheaper}."
        return text


def _hop(run: Run, hop: int) -> float | None:
    return run.hops[hop - 1].fidelity.psnr if len(run.hops) >= hop else None


def _judge(setting: Setting, runs: Sequence[Run], c: Constraints) -> Verdict:
    failures: list[str] = []
    evidence: list[str] = []
    misses: list[float] = []
    records = [h for r in runs for h in r.hops]
    for run in runs:
        if run.error:
            failures.append(f"{run.image}: {run.error}")
            misses.append(math.inf)

    def check(
        name: str,
        values: list[tuple[float, str]],
        limit: float,
        low: bool,
        unit: str,
        fmt: str,
    ) -> None:
        if not values:
            return
        pick = min if low else max  # the first image wins a tie
        worst, where = pick(values, key=lambda value: value[0])
        bad = worst < limit if low else worst > limit
        figure = "exact" if math.isinf(worst) else f"{worst:{fmt}}{unit}"
        shown = f"{name} {figure} ({where})"
        if bad:
            sign = "<" if low else ">"
            failures.append(f"{shown} {sign} {limit:{fmt}}{unit}")
            misses.append(abs(worst - limit) / max(abs(limit), 1e-9))
        else:
            evidence.append(f"{shown} {'>=' if low else '<='} {limit:{fmt}}{unit}")

    ok_runs = [r for r in runs if r.hops]
    if c.max_bytes is not None:
        values = [(float(max(h.bytes for h in r.hops)), r.image) for r in ok_runs]
        check("largest file", values, c.max_bytes, False, " B", ",.0f")
    if c.max_bpp is not None:
        values = [(max(h.bits_per_pixel for h in r.hops), r.image) for r in ok_runs]
        check("largest file", values, c.max_bpp, False, " bits/pixel", ".3g")
    if c.min_psnr is not None and c.psnr_hop is not None:
        hop = c.psnr_hop
        values = [(p, r.image) for r in ok_runs if (p := _hop(r, hop)) is not None]
        check(f"PSNR after hop {hop}", values, c.min_psnr, True, " dB", ".4g")
    if c.min_ssim is not None and c.ssim_hop is not None:
        hop = c.ssim_hop
        values = [
            (r.hops[hop - 1].fidelity.ssim, r.image)
            for r in ok_runs
            if len(r.hops) >= hop
        ]
        check(f"SSIM after hop {hop}", values, c.min_ssim, True, "", ".4f")
    mean_ms = (
        sum(h.encode_ms + h.decode_ms for h in records) / len(records)
        if records
        else 0.0
    )
    if c.max_ms is not None:
        values = [
            (sum(h.encode_ms + h.decode_ms for h in r.hops) / len(r.hops), r.image)
            for r in ok_runs
        ]
        check("encode + decode", values, c.max_ms, False, " ms", ".3g")
    if c.exact:
        inexact = [
            (r.image, next(h.hop for h in r.hops if not h.fidelity.bit_exact))
            for r in ok_runs
            if not all(h.fidelity.bit_exact for h in r.hops)
        ]
        if inexact:
            image, hop = inexact[0]
            failures.append(f"not bit-exact from hop {hop} ({image})")
            misses.append(1.0)
        else:
            evidence.append("bit-exact at every hop")
    mean_bpp = (
        sum(h.bits_per_pixel for h in records) / len(records) if records else math.inf
    )
    return Verdict(
        setting=setting,
        mean_bpp=mean_bpp,
        mean_ms=mean_ms,
        failures=tuple(failures),
        evidence=tuple(evidence),
        shortfall=max(misses, default=0.0),
    )


def recommend(runs: Sequence[Run], constraints: Constraints) -> Recommendation:
    """Judge every setting measured and pick the cheapest that meets the constraints.

    Parameters:
        runs: every run of the lab, all images and settings.
        constraints: what the setting must satisfy on every image.
    Returns:
        A :class:`Recommendation` with the choice (or None) and the near misses.
    """
    by_setting: dict[Setting, list[Run]] = {}
    for run in runs:
        by_setting.setdefault(run.setting, []).append(run)
    verdicts = [_judge(s, rs, constraints) for s, rs in by_setting.items()]
    cost = sorted(verdicts, key=lambda v: (v.mean_bpp, v.mean_ms, v.setting.label))
    qualifying = [v for v in cost if v.ok]
    choice = qualifying[0] if qualifying else None
    failed = [v for v in cost if not v.ok]
    near = sorted(failed, key=lambda v: (v.shortfall, v.mean_bpp))[:3]
    cheaper = [v for v in failed if choice is not None and v.mean_bpp < choice.mean_bpp]
    return Recommendation(
        constraints=constraints,
        choice=choice,
        near_misses=tuple(near),
        cheaper_failures=tuple(cheaper[-3:][::-1]),
        considered=len(verdicts),
    )
