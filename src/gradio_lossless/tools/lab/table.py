"""The lab's terminal output: a rich table per image, one row per setting.

Shared cell formatting lives here too, so the HTML report prints the same figures
the terminal does.
"""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from gradio_lossless.tools.lab.hops import Run
from gradio_lossless.tools.lab.results import Summary, summarize
from gradio_lossless.tools.lab.runner import LabResult

__all__ = [
    "COLUMNS",
    "COMPACT",
    "LEGEND",
    "cells",
    "error_notes",
    "exact_cell",
    "lab_tables",
    "psnr_cell",
]

COLUMNS = (
    "image",
    "setting",
    "bits/px",
    "PSNR@1",
    "PSNR@{n}",
    "SSIM@{n}",
    "ΔE@{n}",
    "max err@{n}",
    "bit-exact",
    "enc ms",
    "dec ms",
)
"""Column headers; "@{n}" means after hop n, the last hop."""


def psnr_cell(value: float) -> str:
    """PSNR as printed: "exact" for identical pixels, else dB to one decimal.

    Parameters:
        value: PSNR in dB (inf when bit-exact).
    Returns:
        The cell text.
    """
    return "exact" if math.isinf(value) else f"{value:.1f}"


def exact_cell(summary: Summary) -> str:
    """The bit-exact column: "every hop" or from which hop the pixels changed.

    Parameters:
        summary: a run's summary.
    Returns:
        The cell text.
    """
    if summary.all_exact:
        return "yes"
    return f"no (hop {summary.first_inexact_hop})"


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def cells(run: Run, note: str = "") -> list[str]:
    """One row of figures for a run, in :data:`COLUMNS` order.

    Parameters:
        run: one image through one setting.
        note: marker of the footnote holding the run's error, e.g. "[1]".
    Returns:
        The cell texts; a run with no completed hop shows "not measured" or
        "failed" and the note in the bit-exact cell.
    """
    s = summarize(run)
    if s.first is None or s.last is None:
        status = "not measured" if run.error.startswith("not measured") else "failed"
        return [run.image, run.setting.label, *["-"] * 6, f"{status} {note}", "-", "-"]
    last = s.last.fidelity
    return [
        run.image,
        run.setting.label,
        f"{s.mean_bpp:.3f}",
        psnr_cell(s.first.fidelity.psnr),
        psnr_cell(last.psnr),
        f"{last.ssim:.4f}",
        f"{last.delta_e:.2f}",
        str(last.max_abs_error),
        exact_cell(s),
        _ms(s.mean_encode_ms),
        _ms(s.mean_decode_ms),
    ]


def error_notes(result: LabResult) -> list[str]:
    """The footnotes of runs that stopped, numbered as the table marks them.

    Parameters:
        result: a lab run.
    Returns:
        "[k] image, setting: error" lines, in table order.
    """
    failed = [run for run in result.runs if run.error]
    return [
        f"[{k}] {run.image}, {run.setting.label}: {run.error}"
        for k, run in enumerate(failed, start=1)
    ]


COMPACT = ("setting", "bits/px", "PSNR@1", "PSNR@{n}", "ΔE@{n}", "bit-exact", "enc ms")
"""The columns kept when the terminal is narrower than :data:`WIDE` characters."""
WIDE = 110
LEGEND = (
    "@k: after hop k. bits/px: mean file size per pixel. PSNR in dB against the "
    "original (exact = identical pixels). SSIM 1 = identical. ΔE: mean CIEDE2000, "
    "about 1 is just noticeable. max err: largest change, 8-bit levels. bit-exact: "
    "yes = at every hop, else the first hop that changed a pixel. ms: mean per hop."
)


def lab_tables(result: LabResult, *, width: int = WIDE) -> list[Table]:
    """Build the terminal tables, one per image.

    Parameters:
        result: a lab run.
        width: the terminal's width; below :data:`WIDE` only :data:`COMPACT` columns.
    Returns:
        rich Tables: one row per setting, PSNR and bit-exact cells green when exact,
        yellow when lossy, red for runs that did not complete, marked with the
        number of their footnote (see :func:`error_notes`).
    """
    n = result.config.hops
    shown = COLUMNS[1:] if width >= WIDE else COMPACT
    keep = [COLUMNS.index(header) for header in shown]
    tables = []
    failures = 0
    for image in result.images:
        table = Table(
            title=f"{image.name} ({image.width}x{image.height} {image.mode}): "
            f"{n} hops, each re-encoding the previous one",
            title_justify="left",
            header_style="bold",
        )
        for header in shown:
            numeric = header not in ("setting", "bit-exact")
            table.add_column(
                header.format(n=n),
                justify="right" if numeric else "left",
                no_wrap=not numeric,
            )
        for run in (r for r in result.runs if r.image == image.name):
            note = ""
            if run.error:
                failures += 1
                note = f"[{failures}]"
            s = summarize(run)
            style = "red" if s.last is None else "green" if s.all_exact else "yellow"
            texts = [Text(cell) for cell in cells(run, note)]
            for index in (3, 4, 8):
                texts[index].stylize(style)
            if run.error and s.last is not None:
                texts[8] = Text(f"stopped {note}", style="red")
            table.add_row(*(texts[i] for i in keep))
        tables.append(table)
    return tables
