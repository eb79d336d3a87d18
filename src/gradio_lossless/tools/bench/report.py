"""Tables and JSON for ``gradio-lossless bench``.

Every image-hop and gallery table covers one kind of content and says which in
its title; the targets table names the kind in every row. The targets themselves,
and how a run is judged by them, live in ``bench_targets``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.table import Table

from gradio_lossless.tools.bench.components import ComponentResult
from gradio_lossless.tools.bench.gallery import GalleryResult
from gradio_lossless.tools.bench.hops import HopResult
from gradio_lossless.tools.bench.targets import TargetResult

__all__ = [
    "BenchReport",
    "format_bytes",
    "format_ratio",
    "print_report",
    "write_json",
]

TIMES = "\u00d7"  # the multiplication sign, as in "27.3× faster"

_Row = TypeVar("_Row", HopResult, GalleryResult, ComponentResult)


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
    components: tuple[ComponentResult, ...] = ()


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


def _exact(result: HopResult | GalleryResult | ComponentResult) -> str:
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


def _missing(result: HopResult | GalleryResult | ComponentResult) -> str:
    return "[red]error[/]" if result.error else "[yellow]unavailable[/]"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _by_content(results: Sequence[_Row]) -> dict[str, list[_Row]]:
    """The rows of each content kind, kinds in the order they were measured."""
    groups: dict[str, list[_Row]] = {}
    for r in results:
        groups.setdefault(r.content, []).append(r)
    return groups


def _hop_table(hops: Sequence[HopResult]) -> Table:
    first = hops[0]
    table = Table(
        title=f"Image hops, {first.content} content "
        f"(server ms per hop, type={first.type})"
    )
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
        title=f"Gallery postprocess, {first.content} content "
        f"({first.count} images of {first.size}, server ms)"
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


def _component_table(rows: Sequence[ComponentResult]) -> Table:
    first = rows[0]
    table = Table(
        title=f"Other components, {first.content} content, {first.size} "
        "(server ms per pass-through hop)"
    )
    for name, justify in (
        ("Component", "left"),
        ("Images", "right"),
        ("ms/hop", "right"),
        ("pre", "right"),
        ("post", "right"),
        ("vs stock webp", "right"),
        ("Served (total)", "right"),
        ("Browser loads", "right"),
        ("Bit-exact", "left"),
        ("Files exact", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    component = None
    for r in rows:
        if component is not None and r.component != component:
            table.add_section()
        component = r.component
        if not r.available:
            table.add_row(r.label, "—", _missing(r), *["—"] * 7)
            continue
        table.add_row(
            r.label,
            str(r.images),
            _ms(r.ms),
            _ms(r.preprocess_ms),
            _ms(r.postprocess_ms),
            format_ratio(r.vs_stock_webp, baseline=r.contender == "stock-webp"),
            format_bytes(r.bytes_served),
            format_bytes(r.bytes_shown),
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
    content = None
    for t in targets:
        if content is not None and t.content != content:
            table.add_section()
        content = t.content
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
    for hops in _by_content(report.hops).values():
        console.print(_hop_table(hops))
    for gallery in _by_content(report.gallery).values():
        console.print(_gallery_table(gallery))
    for rows in _by_content(report.components).values():
        console.print(_component_table(rows))
    console.print(_target_table(report.targets))
    results: list[HopResult | GalleryResult | ComponentResult] = [
        *report.hops,
        *report.gallery,
        *report.components,
    ]
    notes = sorted({f"{r.label}: {r.note}" for r in results if r.note})
    for note in notes:
        console.print(f"[yellow]note[/] {note}", highlight=False)
    for error in sorted({r.error for r in results if r.error}):
        console.print(f"[red]error[/] {error}", highlight=False)
    for r in results:
        for text in r.warnings:
            if isinstance(r, HopResult):
                where = f"{r.content} {r.size} {r.hop} hop"
            elif isinstance(r, ComponentResult):
                where = f"{r.content} {r.size} hop"
            else:
                where = f"{r.content} gallery {r.phase}"
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
