"""PSNR per hop as a matplotlib figure (the audit's ``--out``, the demo's plot)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from gradio_lossless.tools.audit.fidelity import Fidelity

__all__ = ["LOSSLESS_COLOR", "STOCK_COLOR", "plot_fidelity"]

# The same colours wherever stock and lossless are drawn side by side.
STOCK_COLOR = "#d1495b"
LOSSLESS_COLOR = "#2e933c"


def plot_fidelity(
    series: Mapping[str, Sequence[Fidelity]],
    *,
    title: str = "Quality per hop",
    colors: Mapping[str, str] | None = None,
    figsize: tuple[float, float] = (6.4, 3.4),
    dpi: int = 100,
) -> Figure:
    """PSNR per hop, one line per series; bit-exact hops (PSNR = ∞) are drawn on a
    ceiling line labelled "∞ bit-exact" above every finite value.

    Parameters:
        series: label -> that series' hops, in order.
        title: the figure title.
        colors: label -> matplotlib colour; defaults cycle.
        figsize: inches.
        dpi: dots per inch.
    Returns:
        A ``matplotlib.figure.Figure`` (Agg; no pyplot, safe in server threads).
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    ax = fig.subplots()
    finite = [f.psnr for hops in series.values() for f in hops if math.isfinite(f.psnr)]
    top = max([*finite, 40.0])
    ceiling = math.ceil((top + 6) / 5) * 5
    floor = math.floor((min([*finite, top]) - 4) / 5) * 5
    any_exact = False
    for i, (label, hops) in enumerate(series.items()):
        if not hops:
            ax.plot([], [], label=label, color=(colors or {}).get(label, f"C{i}"))
            continue
        xs = [f.hop for f in hops]
        ys = [ceiling if f.psnr == math.inf else f.psnr for f in hops]
        any_exact = any_exact or any(f.psnr == math.inf for f in hops)
        ax.plot(
            xs,
            ys,
            label=label,
            color=(colors or {}).get(label, f"C{i}"),
            marker="o" if len(xs) <= 30 else None,
            markersize=3,
            linewidth=2,
        )
    ax.set_ylim(max(floor, 0), ceiling + 3)
    ax.set_xlabel("hop")
    ax.set_ylabel("PSNR vs original (dB)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if any_exact:
        ax.axhline(ceiling, color="0.6", linestyle=":", linewidth=1)
        ticks = [t for t in ax.get_yticks() if max(floor, 0) <= t < ceiling - 2]
        ax.set_yticks([*ticks, ceiling], [f"{t:g}" for t in ticks] + ["∞"])
        ax.annotate(
            "bit-exact (PSNR = ∞)",
            xy=(0.01, ceiling),
            xycoords=("axes fraction", "data"),
            xytext=(0, 4),
            textcoords="offset points",
            fontsize=8,
            color="0.35",
        )
    numbers = [f.hop for hops in series.values() for f in hops]
    ax.set_xlim(min([*numbers, 1]) - 0.5, max([*numbers, 1]) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.legend(loc="lower left", fontsize=8)
    return fig
