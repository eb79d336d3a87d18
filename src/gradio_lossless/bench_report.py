"""Targets, tables and JSON for ``gradio-lossless bench``.

The targets are the Speed items of the project's issues: on a 3840x2160 RGB
image, a pass-through hop at least 20 times and a modified hop at least 3 times
faster than stock ``gr.Image(format="webp")``; for 16 distinct 3840x2160 images, a
gallery's first postprocess at least 4 times and an unchanged re-postprocess at
least 20 times faster than stock ``gr.Gallery(format="webp")``. Each must also be
bit-exact.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

from rich.console import Console
from rich.table import Table

from gradio_lossless.bench_gallery import GalleryResult
from gradio_lossless.bench_hops import HopResult

__all__ = [
    "TARGETS",
    "BenchReport",
    "TargetResult",
    "TargetSpec",
    "evaluate_targets",
    "print_report",
    "write_json",
]

TargetStatus: TypeAlias = Literal["pass", "fail", "skipped", "not measured"]

TIMES = "\u00d7"  # the multiplication sign, as in "27.3× faster"
TARGET_SIZE = "3840x2160"
TARGET_GALLERY_COUNT = 16


@dataclass(frozen=True)
class TargetSpec:
    """A speed target from the issues.

    Parameters:
        name: stable identifier used in JSON.
        description: what is measured, as printed.
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
        20.0,
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
    """A target next to what this run measured.

    ``status`` is ``pass`` (fast enough and bit-exact), ``fail`` (too slow, not
    bit-exact, or the component raised), ``skipped`` (the
    lossless component could not run) or ``not measured`` (the options left the
    case out, e.g. ``--sizes`` without 3840x2160). ``ratio`` is times faster than
    stock webp.
    """

    name: str
    description: str
    min_ratio: float
    source: str
    status: TargetStatus
    ratio: float | None = None
    bit_exact: bool | None = None
    note: str | None = None


@dataclass(frozen=True)
class BenchReport:
    """Everything one ``gradio-lossless bench`` run measured, as written by --json."""

    versions: dict[str, str]
    machine: dict[str, str | int | float | None]
    options: dict[str, object]
    hops: tuple[HopResult, ...]
    gallery: tuple[GalleryResult, ...]
    targets: tuple[TargetResult, ...]
    elapsed_s: float


def _judge(
    spec: TargetSpec,
    result: HopResult | GalleryResult | None,
    missing: str,
) -> TargetResult:
    unmeasured = TargetResult(
        name=spec.name,
        description=spec.description,
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
    hops: Sequence[HopResult], gallery: Sequence[GalleryResult]
) -> tuple[TargetResult, ...]:
    """Compare the lossless rows against the issues' targets.

    Parameters:
        hops: image-hop results of this run.
        gallery: gallery results of this run.
    Returns:
        One TargetResult per entry of TARGETS, in order.
    """

    def hop(kind: str) -> HopResult | None:
        return next(
            (
                r
                for r in hops
                if r.size == TARGET_SIZE and r.hop == kind and r.contender == "lossless"
            ),
            None,
        )

    def gal(phase: str) -> GalleryResult | None:
        return next(
            (
                r
                for r in gallery
                if r.phase == phase
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
    by_name = {
        "image-pass-through": (hop("pass-through"), no_size),
        "image-modified": (hop("modified"), no_size),
        "gallery-first": (gal("first"), no_gallery),
        "gallery-unchanged": (gal("unchanged"), no_gallery),
    }
    return tuple(_judge(spec, *by_name[spec.name]) for spec in TARGETS)


def write_json(report: BenchReport, path: Path) -> None:
    """Write ``report`` as indented JSON, atomically (temporary file, then rename)."""
    text = json.dumps(dataclasses.asdict(report), indent=2) + "\n"
    path = path.resolve()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def format_bytes(n: int | None) -> str:
    """Decimal units: ``1.23 MB``."""
    if n is None:
        return "—"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n} B"


def format_ratio(ratio: float | None, *, baseline: bool) -> str:
    """``27.3× faster``, ``2.1× slower`` or ``baseline``."""
    if baseline:
        return "baseline"
    if ratio is None:
        return "—"
    if ratio >= 1:
        return f"{ratio:.1f}{TIMES} faster"
    return f"{1 / ratio:.1f}{TIMES} slower"


def _exact(result: HopResult | GalleryResult) -> str:
    if result.bit_exact is None:
        return "—"
    if result.bit_exact:
        return "[green]yes[/]"
    diff = "" if result.max_abs_diff is None else f" (max Δ {result.max_abs_diff})"
    return f"[red]no[/]{diff}"


def _yes_no(value: bool | None) -> str:
    if value is None:
        return "—"
    return "[green]yes[/]" if value else "[red]no[/]"


def _missing(result: HopResult | GalleryResult) -> str:
    return "[red]error[/]" if result.error else "[yellow]unavailable[/]"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _hop_table(hops: Sequence[HopResult]) -> Table:
    table = Table(title=f"Image hops (server ms per hop, type={hops[0].type})")
    for name, justify in (
        ("Size", "left"),
        ("Hop", "left"),
        ("Component", "left"),
        ("ms/hop", "right"),
        ("pre", "right"),
        ("post", "right"),
        ("vs stock webp", "right"),
        ("Served", "right"),
        ("Bit-exact", "left"),
        ("File exact", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    case = None
    for r in hops:
        if case is not None and (r.size, r.hop) != case:
            table.add_section()
        case = (r.size, r.hop)
        if not r.available:
            table.add_row(r.size, r.hop, r.label, _missing(r), *["—"] * 6)
            continue
        served = f"{format_bytes(r.bytes_served)} {r.served_suffix or ''}".rstrip()
        table.add_row(
            r.size,
            r.hop,
            r.label,
            _ms(r.ms),
            _ms(r.preprocess_ms),
            _ms(r.postprocess_ms),
            format_ratio(r.vs_stock_webp, baseline=r.contender == "stock-webp"),
            served,
            _exact(r),
            _yes_no(r.served_file_exact),
        )
    return table


def _gallery_table(gallery: Sequence[GalleryResult]) -> Table:
    first = gallery[0]
    table = Table(
        title=f"Gallery postprocess ({first.count} images of {first.size}, server ms)"
    )
    for name, justify in (
        ("Phase", "left"),
        ("Component", "left"),
        ("ms", "right"),
        ("vs stock webp", "right"),
        ("Served (total)", "right"),
        ("Bit-exact", "left"),
        ("Files exact", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    phase = None
    for r in gallery:
        if phase is not None and r.phase != phase:
            table.add_section()
        phase = r.phase
        if not r.available:
            table.add_row(r.phase, r.label, _missing(r), *["—"] * 4)
            continue
        table.add_row(
            r.phase,
            r.label,
            _ms(r.ms),
            format_ratio(r.vs_stock_webp, baseline=r.contender == "stock-webp"),
            format_bytes(r.bytes_served),
            _exact(r),
            _yes_no(r.served_files_exact),
        )
    return table


_STATUS_STYLE = {
    "pass": "[green]PASS[/]",
    "fail": "[red]FAIL[/]",
    "skipped": "[yellow]SKIPPED[/]",
    "not measured": "[dim]not measured[/]",
}


def _target_table(targets: Sequence[TargetResult]) -> Table:
    table = Table(title="Targets (lossless vs stock webp, same run)")
    table.add_column("Target")
    table.add_column("Required", justify="right")
    table.add_column("Measured", justify="right")
    table.add_column("Result")
    table.add_column("Note")
    for t in targets:
        measured = "—" if t.ratio is None else f"{t.ratio:.1f}{TIMES}"
        table.add_row(
            t.description,
            f"≥ {t.min_ratio:g}{TIMES} faster, bit-exact",
            measured,
            _STATUS_STYLE[t.status],
            "lossless component unavailable (see note)"
            if t.status == "skipped"
            else t.note or "",
        )
    return table


def print_report(report: BenchReport, console: Console) -> None:
    """Print the hop, gallery and target tables, then notes and warnings."""
    if report.hops:
        console.print(_hop_table(report.hops))
    if report.gallery:
        console.print(_gallery_table(report.gallery))
    console.print(_target_table(report.targets))
    results: list[HopResult | GalleryResult] = [*report.hops, *report.gallery]
    notes = sorted({f"{r.label}: {r.note}" for r in results if r.note})
    for note in notes:
        console.print(f"[yellow]note[/] {note}", highlight=False)
    for error in sorted({r.error for r in results if r.error}):
        console.print(f"[red]error[/] {error}", highlight=False)
    for r in results:
        for text in r.warnings:
            where = (
                f"{r.size} {r.hop} hop"
                if isinstance(r, HopResult)
                else f"gallery {r.phase}"
            )
            console.print(
                f"[yellow]warning[/] {r.label}, {where}: {text}", highlight=False
            )
    machine = report.machine
    load = f"load {machine['loadavg_start']} -> {machine['loadavg_end']} on "
    if machine["loadavg_start"] is None:
        load = ""
    console.print(
        f"gradio {report.versions['gradio']}, {load}{machine['cpu_count']} CPUs, "
        f"{report.elapsed_s:.0f} s. Medians, contenders interleaved; "
        "only the ratios carry over to another machine.",
        highlight=False,
    )
