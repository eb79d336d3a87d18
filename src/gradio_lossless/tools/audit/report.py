"""The audit's report: the console table and verdict, and ``--out``'s audit.json and
audit.png."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradio_lossless.tools.audit.judge import Hop, Judgement, Verdict, hop_problem
from gradio_lossless.tools.audit.served import Served

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from gradio_lossless.tools.audit.fidelity import Fidelity

__all__ = ["print_report", "write_outputs"]


def _rows_to_show(n: int) -> list[int]:
    if n <= 25:
        return list(range(1, n + 1))
    return sorted({*range(1, 11), *range(20, n + 1, 10), n})


def _psnr(f: Fidelity) -> str:
    if math.isnan(f.psnr):
        return "—"
    return "∞" if f.psnr == math.inf else f"{f.psnr:.2f}"


def _shape(served: Served) -> str:
    return f"{'×'.join(map(str, served.shape))} {served.dtype}"


def _table(judgement: Judgement, hops: Sequence[Hop]) -> Table:
    from rich.table import Table

    shown = _rows_to_show(len(hops))
    caption = None
    if len(shown) < len(hops):
        caption = f"{len(shown)} of {len(hops)} hops shown; --out writes them all"
    table = Table(caption=caption)
    table.add_column("hop", justify="right")
    if judgement.kind == "non-identity":
        for name in ("served", "output", "same twice", "judged"):
            table.add_column(name, justify="center" if " " in name else "left")
    else:
        table.add_column("PSNR (dB)", justify="right")
        table.add_column("max abs error", justify="right")
        table.add_column("bit-exact", justify="center")
        table.add_column("served")
    for n in shown:
        h = hops[n - 1]
        if judgement.kind == "non-identity":
            assert h.repeat is not None  # noqa: S101 - chain repeats these hops
            twice = (
                "[green]✓[/]"
                if h.repeat.bit_exact
                else f"[red]✗[/] {_psnr(h.repeat)} dB"
            )
            problem = hop_problem(judgement, h)
            judged = f"[red]✗[/] {problem}" if problem else "[green]✓[/]"
            out = _shape(h.served)
            table.add_row(str(h.hop), h.served.describe(), out, twice, judged)
        else:
            f = h.vs_original
            exact = (
                "[green]✓[/]"
                if f.bit_exact
                else "[red]✗[/]" + (f" {f.note}" if f.note else "")
            )
            err = "—" if math.isnan(f.max_abs_error) else f"{f.max_abs_error:g}"
            table.add_row(str(h.hop), _psnr(f), err, exact, h.served.describe())
    return table


def print_report(
    console: Console,
    judgement: Judgement,
    hops: Sequence[Hop],
    verdict: Verdict,
) -> None:
    """The judgement line, the table, the verdict and its caveat."""
    console.print(f"judgement: {judgement.text}", soft_wrap=True, highlight=False)
    console.print(_table(judgement, hops))
    if verdict.exact:
        mark = "✓ bit-exact" if judgement.kind == "identity" else "✓ exact"
        console.print(f"[bold green]{mark}[/]: {verdict.text}", soft_wrap=True)
    else:
        console.print(f"[bold red]✗ degrades[/]: {verdict.text}", soft_wrap=True)
    if verdict.caveat:
        console.print(f"[yellow]! {verdict.caveat}[/]", soft_wrap=True)


def _json_number(value: Any) -> Any:
    """JSON has no inf or nan: write those as the strings "inf" and "nan"."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _fidelity(f: Fidelity) -> dict[str, Any]:
    return {k: _json_number(v) for k, v in asdict(f).items()}


def _hop_json(judgement: Judgement, h: Hop) -> dict[str, Any]:
    s = h.served
    served = {
        "format": s.format,
        "bytes": s.nbytes,
        "lossless": s.lossless,
        "codec": s.codec,
        "exact_file": s.exact_file,
        "declared": s.declared,
        "preview": s.preview,
        "token": s.token,
        "dtype": s.dtype,
        "shape": list(s.shape),
    }
    return {
        **_fidelity(h.vs_original),
        "problem": hop_problem(judgement, h),
        "served": served,
        "narrowed": h.narrowed,
        "repeat": None if h.repeat is None else _fidelity(h.repeat),
    }


def write_outputs(
    out: Path,
    api_name: str,
    judgement: Judgement,
    hops: Sequence[Hop],
    verdict: Verdict,
) -> list[Path]:
    """Write ``out/audit.png`` (PSNR against the original per hop) and
    ``out/audit.json`` (the judgement, the verdict and every hop); their paths.

    Raises:
        AuditError: ``out`` cannot be created.
    """
    from gradio_lossless.tools.audit.endpoint import AuditError
    from gradio_lossless.tools.audit.plot import (
        LOSSLESS_COLOR,
        STOCK_COLOR,
        plot_fidelity,
    )

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AuditError(f"--out {str(out)!r}: {exc.strerror}") from None
    color = LOSSLESS_COLOR if verdict.exact else STOCK_COLOR
    title = f"audit {api_name}"
    if judgement.kind == "non-identity":
        title += " (not an identity: the function's change, not a loss)"
    fig = plot_fidelity(
        {api_name: [h.vs_original for h in hops]},
        title=title,
        colors={api_name: color},
    )
    png = out / "audit.png"
    fig.savefig(png)
    report = out / "audit.json"
    document = {
        "api_name": api_name,
        "judgement": {"kind": judgement.kind, "text": judgement.text},
        "verdict": {
            "exact": verdict.exact,
            "text": verdict.text,
            "caveat": verdict.caveat,
        },
        "hops": [_hop_json(judgement, h) for h in hops],
    }
    report.write_text(json.dumps(document, indent=2) + "\n")
    return [png, report]
