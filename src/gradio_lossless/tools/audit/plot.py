"""PSNR per hop as a matplotlib figure (the audit's ``--out``, the demo's plot).

``plot_fidelity`` draws a figure once. ``FidelityChart`` is the same chart kept on
its axes, so a figure redrawn after every hop (the demo's) is made once and only
gets its series, limits and ticks set again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from gradio_lossless.tools.audit.fidelity import Fidelity

__all__ = ["LOSSLESS_COLOR", "STOCK_COLOR", "FidelityChart", "plot_fidelity"]

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

    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    chart = FidelityChart(fig.subplots(), list(series), title=title, colors=colors)
    chart.show(series)
    return fig


class FidelityChart:
    """The chart of ``plot_fidelity`` on one axes, for series that change.

    Made once with its labels (one line each, in this order); ``show`` then sets
    the lines' data, the limits, the ticks, the ceiling line and the legend for new
    series. Not thread-safe: one caller at a time.

    Parameters:
        ax: the axes to draw on (empty).
        labels: the series' labels.
        title: the axes' title.
        colors: label -> matplotlib colour; defaults cycle.
    """

    def __init__(
        self,
        ax: Axes,
        labels: Sequence[str],
        *,
        title: str,
        colors: Mapping[str, str] | None = None,
    ) -> None:
        from matplotlib.ticker import MaxNLocator

        self.axes = ax
        self._lines = {
            label: ax.plot(
                [], [], label=label, color=(colors or {}).get(label, f"C{i}")
            )[0]
            for i, label in enumerate(labels)
        }
        ax.set_xlabel("hop")
        ax.set_ylabel("PSNR vs original (dB)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        self._ceiling = ax.axhline(
            0, color="0.6", linestyle=":", linewidth=1, visible=False
        )
        self._exact_note = ax.annotate(
            "bit-exact (PSNR = ∞)",
            xy=(0.01, 0),
            xycoords=("axes fraction", "data"),
            xytext=(0, 4),
            textcoords="offset points",
            fontsize=8,
            color="0.35",
            visible=False,
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))

    def show(self, series: Mapping[str, Sequence[Fidelity]]) -> None:
        """Draw these series (one per label given when made, any order).

        Raises:
            KeyError: a label the chart was not made with.
        """
        from matplotlib import rcParams
        from matplotlib.ticker import AutoLocator, ScalarFormatter

        ax = self.axes
        finite = [
            f.psnr for hops in series.values() for f in hops if math.isfinite(f.psnr)
        ]
        top = max([*finite, 40.0])
        ceiling = math.ceil((top + 6) / 5) * 5
        floor = math.floor((min([*finite, top]) - 4) / 5) * 5
        any_exact = False
        for label, hops in series.items():
            line = self._lines[label]
            if not hops:  # drawn as matplotlib's default line, for the legend
                line.set_data([], [])
                line.set_linewidth(rcParams["lines.linewidth"])
                line.set_marker(rcParams["lines.marker"])
                line.set_markersize(rcParams["lines.markersize"])
                continue
            any_exact = any_exact or any(f.psnr == math.inf for f in hops)
            line.set_data(
                [f.hop for f in hops],
                [ceiling if f.psnr == math.inf else f.psnr for f in hops],
            )
            line.set_linewidth(2)
            line.set_marker("o" if len(hops) <= 30 else rcParams["lines.marker"])
            line.set_markersize(3)
        # back to the default ticks: the ceiling's "∞" fixes them until then
        ax.yaxis.set_major_locator(AutoLocator())
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.set_ylim(max(floor, 0), ceiling + 3)
        self._ceiling.set_visible(any_exact)
        self._exact_note.set_visible(any_exact)
        if any_exact:
            self._ceiling.set_ydata([ceiling, ceiling])
            ticks = [t for t in ax.get_yticks() if max(floor, 0) <= t < ceiling - 2]
            ax.set_yticks([*ticks, ceiling], [f"{t:g}" for t in ticks] + ["∞"])
            self._exact_note.xy = (0.01, ceiling)
        numbers = [f.hop for hops in series.values() for f in hops]
        ax.set_xlim(min([*numbers, 1]) - 0.5, max([*numbers, 1]) + 0.5)
        ax.legend(loc="lower left", fontsize=8)
