"""Targets and tables of ``gradio-lossless bench --browser`` (issue 14).

Targets, lossless against stock in the same run, for the tiled content kind
first measured (each content kind is judged separately):

* a 3840x2160 hop at least 2× faster than stock throttled, and no slower than
  stock on loopback;
* the first display of 16 3840x2160 images in a gallery at least 2× faster than
  stock throttled;
* image bytes per hop at most 1.25× stock's for 3840x2160 and 1920x1080, and the
  gallery's total at most 1.25× stock's (on the throttled run, else loopback).

The hop targets are judged on both hop kinds (``pass-through``, the issue's
scenario, and ``modified``, where every hop makes a new value that must be
fetched), and a hop target also needs the lossless value to arrive exact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from gradio_lossless.tools.bench.browser import HOPS, THROTTLE, BrowserResult
from gradio_lossless.tools.bench.report import TIMES, format_bytes
from gradio_lossless.tools.bench.targets import TargetStatus

__all__ = ["BrowserTarget", "evaluate_browser_targets", "print_browser_report"]

BIG = "3840x2160"
HD = "1920x1080"
GALLERY_COUNT = 16


@dataclass(frozen=True)
class BrowserTarget:
    """One target, on one content kind, next to what this run measured.

    ``measured`` is stock's time / ours (times faster) for a time target and our
    bytes / stock's for a bytes target; ``status`` as in ``targets``.
    """

    name: str
    content: str
    description: str
    required: str
    status: TargetStatus
    measured: float | None = None
    note: str | None = None


def _find(
    rows: Sequence[BrowserResult],
    content: str,
    network: str,
    case: str,
    size: str,
    contender: str,
    count: int | None = None,
) -> BrowserResult | None:
    """The row of that case; a gallery's must show ``count`` (default 16) images."""
    count = GALLERY_COUNT if count is None else count
    return next(
        (
            r
            for r in rows
            if (r.content, r.network, r.case, r.size, r.contender)
            == (content, network, case, size, contender)
            and (case != "gallery" or r.count == count)
        ),
        None,
    )


def _judge(
    rows: Sequence[BrowserResult],
    content: str,
    network: str,
    case: str,
    size: str,
    *,
    what: str,
    limit: float,
    name: str,
    description: str,
) -> BrowserTarget:
    """``what`` is ``time`` (stock/ours ≥ limit) or ``bytes`` (ours/stock ≤ limit)."""
    required = (
        f"≥ {limit:g}{TIMES} faster" if what == "time" else f"≤ {limit:g}{TIMES} bytes"
    )
    target = BrowserTarget(
        name, content, f"{description} ({content})", required, "not measured"
    )
    ours = _find(rows, content, network, case, size, "lossless")
    stock = _find(rows, content, network, case, size, "stock")
    if ours is None or stock is None:
        return dataclasses.replace(target, note=f"{network} {case} {size} not run")
    if what == "time":
        ratio = (stock.ms or 0) / ours.ms if ours.ms else None
        ok = ratio is not None and ratio >= limit
    else:
        ratio = (ours.bytes or 0) / stock.bytes if stock.bytes else None
        ok = ratio is not None and ratio <= limit
    exact = ours.exact in (None, "exact")
    return dataclasses.replace(
        target,
        status="pass" if ok and exact else "fail",
        measured=None if ratio is None else round(ratio, 3),
        note=None if exact else f"lossless not bit-exact ({ours.exact})",
    )


def evaluate_browser_targets(
    rows: Sequence[BrowserResult], contents: Sequence[str], networks: Sequence[str]
) -> tuple[BrowserTarget, ...]:
    """Every target of issue 14, per content kind, from this run's rows."""
    bytes_network = "throttled" if "throttled" in networks else "loopback"
    targets: list[BrowserTarget] = []
    for content in contents:
        for hop in HOPS:
            targets.append(
                _judge(rows, content, "throttled", hop, BIG, what="time", limit=2.0,
                       name=f"hop-4k-throttled-{hop}",
                       description=f"{BIG} {hop} hop, throttled")
            )  # fmt: skip
            targets.append(
                _judge(rows, content, "loopback", hop, BIG, what="time", limit=1.0,
                       name=f"hop-4k-loopback-{hop}",
                       description=f"{BIG} {hop} hop, loopback")
            )  # fmt: skip
        targets.append(
            _judge(rows, content, "throttled", "gallery", BIG, what="time", limit=2.0,
                   name="gallery-4k-throttled",
                   description=f"Gallery {GALLERY_COUNT} x {BIG} first display, "
                   "throttled")
        )  # fmt: skip
        for size in (BIG, HD):
            for hop in HOPS:
                targets.append(
                    _judge(rows, content, bytes_network, hop, size, what="bytes",
                           limit=1.25, name=f"bytes-{size}-{hop}",
                           description=f"image bytes per {hop} hop, {size}")
                )  # fmt: skip
        targets.append(
            _judge(rows, content, bytes_network, "gallery", BIG, what="bytes",
                   limit=1.25, name="bytes-gallery",
                   description=f"image bytes, gallery {GALLERY_COUNT} x {BIG}")
        )  # fmt: skip
    return tuple(targets)


def _rows_table(rows: Sequence[BrowserResult]) -> Table:
    first = rows[0]
    table = Table(
        title=f"Browser, {first.content} content: click → image loaded "
        "(median ms), image bytes over the wire"
    )
    for name, justify in (
        ("Network", "left"),
        ("Case", "left"),
        ("Size", "left"),
        ("Component", "left"),
        ("ms", "right"),
        ("vs stock", "right"),
        ("Image bytes", "right"),
        ("vs stock", "right"),
        ("Requests", "right"),
        ("Value", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    key = None
    for r in rows:
        if key is not None and (r.network, r.case, r.size) != key:
            table.add_section()
        key = (r.network, r.case, r.size)
        stock = _find(rows, r.content, r.network, r.case, r.size, "stock", r.count)
        speed = bytes_ratio = "baseline"
        if r.contender != "stock":
            speed = bytes_ratio = "—"
            if stock and stock.ms and r.ms:
                ratio = stock.ms / r.ms
                speed = (
                    f"{ratio:.1f}{TIMES} faster"
                    if ratio >= 1
                    else f"{1 / ratio:.1f}{TIMES} slower"
                )
            if stock and stock.bytes and r.bytes is not None:
                bytes_ratio = f"{r.bytes / stock.bytes:.2f}{TIMES}"
        case = r.case if r.case != "gallery" else f"gallery ×{r.count}"
        exact = r.exact or "—"
        table.add_row(
            r.network,
            case,
            r.size,
            "gradio_lossless" if r.contender == "lossless" else "stock gr",
            f"{r.ms:,.0f}" if r.ms is not None else "—",
            speed,
            format_bytes(r.bytes),
            bytes_ratio,
            str(r.images),
            f"[green]{exact}[/]" if exact == "exact" else exact,
        )
    return table


_STATUS = {
    "pass": "[green]PASS[/]",
    "fail": "[red]FAIL[/]",
    "skipped": "[yellow]SKIPPED[/]",
    "not measured": "[dim]not measured[/]",
}


def _targets_table(targets: Sequence[BrowserTarget]) -> Table:
    table = Table(title="Targets (issue 14; lossless vs stock, same run)")
    for name in ("Target", "Required", "Measured", "Result", "Note"):
        table.add_column(name, justify="right" if name == "Measured" else "left")
    for t in targets:
        table.add_row(
            t.description,
            t.required,
            "—" if t.measured is None else f"{t.measured:.2f}{TIMES}",
            _STATUS[t.status],
            t.note or "",
        )
    return table


def print_browser_report(
    rows: Sequence[BrowserResult],
    targets: Sequence[BrowserTarget],
    console: Console,
    footer: str,
) -> None:
    """The per-content tables, the targets, the notes and ``footer``."""
    by_content: dict[str, list[BrowserResult]] = {}
    for r in rows:
        by_content.setdefault(r.content, []).append(r)
    for group in by_content.values():
        console.print(_rows_table(group))
    console.print(_targets_table(targets))
    for note in sorted(
        {f"{r.contender} {r.case}: {w}" for r in rows for w in r.warnings}
    ):
        console.print(f"[yellow]note[/] {note}", highlight=False)
    console.print(
        f"throttled = DevTools emulation, {THROTTLE['down_mbit']} Mbit/s down, "
        f"{THROTTLE['up_mbit']} Mbit/s up, {THROTTLE['latency_ms']} ms latency; "
        "browser cache disabled; bytes = CDP encodedDataLength of image loads of "
        "/gradio_api/file= (headers included). " + footer,
        highlight=False,
    )
