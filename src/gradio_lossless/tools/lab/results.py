"""The lab's JSON document and the per-run summary the table and report share.

Schema "gradio-lossless-lab/1" (documented field by field in docs/lab.md). JSON has
no infinity, so a PSNR of a bit-exact hop is written as ``null``; its
``bit_exact`` flag says why.
"""

from __future__ import annotations

import importlib.metadata
import math
from dataclasses import dataclass
from typing import Any

import PIL
import PIL.features

from gradio_lossless.tools.lab.hops import HopRecord, Run
from gradio_lossless.tools.lab.recommend import Recommendation, Verdict
from gradio_lossless.tools.lab.runner import LabResult

__all__ = ["SCHEMA", "Summary", "summarize", "to_json", "versions"]

SCHEMA = "gradio-lossless-lab/1"


@dataclass(frozen=True)
class Summary:
    """What a person wants to know about one run, in one row.

    Parameters:
        first: hop 1's record, or None if no hop completed.
        last: the last hop's record, or None.
        mean_bpp: mean bits per pixel over the hops.
        mean_encode_ms: mean encode time per hop, milliseconds.
        mean_decode_ms: mean decode time per hop, milliseconds.
        all_exact: True if every hop was bit-exact.
        first_inexact_hop: the first hop that was not bit-exact, or None.
    """

    first: HopRecord | None
    last: HopRecord | None
    mean_bpp: float
    mean_encode_ms: float
    mean_decode_ms: float
    all_exact: bool
    first_inexact_hop: int | None


def summarize(run: Run) -> Summary:
    """Condense a run into its :class:`Summary`.

    Parameters:
        run: one image through one setting.
    Returns:
        The summary; means are NaN for a run with no completed hop.
    """
    hops = run.hops
    count = len(hops) or 1
    nan = math.nan
    inexact = next((h.hop for h in hops if not h.fidelity.bit_exact), None)
    return Summary(
        first=hops[0] if hops else None,
        last=hops[-1] if hops else None,
        mean_bpp=sum(h.bits_per_pixel for h in hops) / count if hops else nan,
        mean_encode_ms=sum(h.encode_ms for h in hops) / count if hops else nan,
        mean_decode_ms=sum(h.decode_ms for h in hops) / count if hops else nan,
        all_exact=bool(hops) and inexact is None,
        first_inexact_hop=inexact,
    )


def _number(value: float) -> float | None:
    return None if math.isinf(value) or math.isnan(value) else value


def versions() -> dict[str, str | None]:
    """Versions of the libraries whose behaviour the numbers depend on.

    Returns:
        Package and codec library versions; None for what is not installed.
    """

    def package(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    found: dict[str, str | None] = {
        name: package(name)
        for name in ("gradio-lossless", "gradio", "pillow", "scikit-image", "numpy")
    }
    for codec in ("jpg", "webp", "avif", "zlib"):
        found[f"lib{codec}"] = PIL.features.version(codec)
    return found


def _hop(record: HopRecord) -> dict[str, Any]:
    f = record.fidelity
    return {
        "hop": record.hop,
        "bytes": record.bytes,
        "bits_per_pixel": record.bits_per_pixel,
        "encode_ms": round(record.encode_ms, 3),
        "decode_ms": round(record.decode_ms, 3),
        "psnr": _number(f.psnr),
        "ssim": f.ssim,
        "max_abs_error": f.max_abs_error,
        "delta_e": f.delta_e,
        "bit_exact": f.bit_exact,
    }


def _run(run: Run) -> dict[str, Any]:
    s = summarize(run)
    return {
        "image": run.image,
        "pipeline": run.setting.pipeline,
        "format": run.setting.format,
        "quality": run.setting.quality,
        "label": run.setting.label,
        "error": run.error or None,
        "completed_hops": len(run.hops),
        "summary": {
            "psnr_hop1": _number(s.first.fidelity.psnr) if s.first else None,
            "psnr_last": _number(s.last.fidelity.psnr) if s.last else None,
            "ssim_last": s.last.fidelity.ssim if s.last else None,
            "delta_e_last": s.last.fidelity.delta_e if s.last else None,
            "max_abs_error_last": s.last.fidelity.max_abs_error if s.last else None,
            "mean_bits_per_pixel": _number(s.mean_bpp),
            "mean_encode_ms": _number(s.mean_encode_ms),
            "mean_decode_ms": _number(s.mean_decode_ms),
            "bit_exact_every_hop": s.all_exact,
            "first_inexact_hop": s.first_inexact_hop,
        },
        "hops": [_hop(h) for h in run.hops],
    }


def _verdict(verdict: Verdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {
        "label": verdict.setting.label,
        "pipeline": verdict.setting.pipeline,
        "format": verdict.setting.format,
        "quality": verdict.setting.quality,
        "mean_bits_per_pixel": _number(verdict.mean_bpp),
        "mean_ms_per_hop": verdict.mean_ms,
        "meets_constraints": verdict.ok,
        "failures": list(verdict.failures),
        "evidence": list(verdict.evidence),
    }


def _recommendation(rec: Recommendation | None) -> dict[str, Any] | None:
    if rec is None:
        return None
    c = rec.constraints
    return {
        "constraints": {
            "max_bytes": c.max_bytes,
            "max_bits_per_pixel": c.max_bpp,
            "min_psnr": c.min_psnr,
            "psnr_hop": c.psnr_hop,
            "min_ssim": c.min_ssim,
            "ssim_hop": c.ssim_hop,
            "max_ms_per_hop": c.max_ms,
            "bit_exact": c.exact,
        },
        "summary": rec.summary(),
        "choice": _verdict(rec.choice),
        "near_misses": [_verdict(v) for v in rec.near_misses],
        "cheaper_failures": [_verdict(v) for v in rec.cheaper_failures],
        "settings_considered": rec.considered,
    }


def to_json(
    result: LabResult, recommendation: Recommendation | None = None
) -> dict[str, Any]:
    """Build the JSON document of a lab run.

    Parameters:
        result: what the lab measured.
        recommendation: the ``--recommend`` answer, if one was asked for.
    Returns:
        A dict ready for ``json.dump`` (no NaN or infinity inside).
    """
    config = result.config
    return {
        "schema": SCHEMA,
        "versions": versions(),
        "config": {
            "formats": list(config.formats),
            "qualities": {name: list(qs) for name, qs in config.qualities},
            "pipelines": list(config.pipelines),
            "hops": config.hops,
            "image_mode": config.image_mode,
            "workers": config.workers,
        },
        "elapsed_s": round(result.elapsed_s, 3),
        "images": [
            {
                "name": image.name,
                "source": image.source,
                "width": image.width,
                "height": image.height,
                "mode": image.mode,
                "note": image.note or None,
                "crop": dict(
                    zip(
                        ("top", "left", "height", "width"),
                        result.crops[image.name],
                        strict=True,
                    )
                ),
            }
            for image in result.images
        ],
        "skipped": [{"path": s.path, "reason": s.reason} for s in result.skipped],
        "unavailable": [
            {"name": a.name, "reason": a.reason, "install_hint": a.install_hint or None}
            for a in result.unavailable
        ],
        "runs": [_run(run) for run in result.runs],
        "recommendation": _recommendation(recommendation),
    }
