"""The lab's figures, drawn with matplotlib's Agg canvas (no display, no pyplot).

Three figures: quality against hop for every setting, size against quality after
the last hop, and per image a strip of crops showing the damage at hop 1, 10 and N.
A bit-exact hop has infinite PSNR; the plots draw it on a line marked "exact"
above every finite value.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from gradio_lossless.tools.crops import (
    ERROR_GAIN,
    CropRow,
    amplified_error,
    on_checkerboard,
)
from gradio_lossless.tools.crops import crop_strip as crops_figure
from gradio_lossless.tools.lab.hops import Run, Setting
from gradio_lossless.tools.lab.results import summarize
from gradio_lossless.tools.lab.runner import LabResult

__all__ = ["ERROR_GAIN", "crop_strip", "quality_vs_hop", "size_vs_quality", "to_png"]


def to_png(figure: Figure) -> bytes:
    """Render a figure to PNG bytes.

    Parameters:
        figure: a figure built by this module.
    Returns:
        The PNG file's bytes.
    """
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


_FORMAT_COLOURS = {
    "webp": "#1f77b4",
    "jpeg": "#ff7f0e",
    "png": "#2ca02c",
    "avif": "#d62728",
    "jxl": "#9467bd",
}
_LINES = {"codec": "-", "gradio": "--", "lossless": ":"}
_MARKERS = {"codec": "o", "gradio": "s", "lossless": "^"}


@dataclass(frozen=True)
class _Style:
    color: tuple[float, float, float]
    linestyle: str
    marker: str


def _styles(settings: Sequence[Setting]) -> dict[Setting, _Style]:
    """Colour by format, lighter for lower quality; line and marker by pipeline."""
    import matplotlib.colors

    styles: dict[Setting, _Style] = {}
    for setting in settings:
        family = [
            s
            for s in settings
            if (s.pipeline, s.format) == (setting.pipeline, setting.format)
        ]
        rank = family.index(setting)
        base = np.array(matplotlib.colors.to_rgb(_FORMAT_COLOURS[setting.format]))
        # family is in the user's quality order; spread shades from light to full
        mix = 0.55 + 0.45 * (rank + 1) / len(family) if len(family) > 1 else 1.0
        r, g, b = (float(c) for c in base * mix + (1 - mix))
        styles[setting] = _Style(
            (r, g, b), _LINES[setting.pipeline], _MARKERS[setting.pipeline]
        )
    return styles


def _exact_text(runs: Sequence[Run]) -> str:
    groups: dict[str, list[str]] = {}
    for run in runs:
        if run.setting.pipeline == "codec":
            groups.setdefault(run.setting.label, [])
        else:
            name = run.setting.label.rsplit(" ", 1)[0]
            groups.setdefault(name, []).append(run.setting.format)
    parts = [f"{k} ({', '.join(v)})" if v else k for k, v in groups.items()]
    return textwrap.fill("bit-exact at every hop: " + ", ".join(parts), 70)


def _settings(result: LabResult) -> list[Setting]:
    return list(dict.fromkeys(run.setting for run in result.runs))


def _exact_level(result: LabResult) -> float:
    finite = [
        h.fidelity.psnr
        for run in result.runs
        for h in run.hops
        if math.isfinite(h.fidelity.psnr)
    ]
    return (max(finite) if finite else 40.0) + 6.0


def _grid(count: int, width: float, height: float) -> tuple[Figure, list[Axes]]:
    columns = min(2, count)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(width * columns, height * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for extra in axes[count:]:
        extra.set_visible(False)
    return figure, axes[:count]


def _mark_exact(axis: Axes, level: float) -> None:
    axis.axhline(level, color="0.75", linewidth=0.8, linestyle=":")
    ticks = [t for t in axis.get_yticks() if t < level - 2]
    axis.set_yticks([*ticks, level], [f"{t:g}" for t in ticks] + ["exact"])


def quality_vs_hop(result: LabResult) -> Figure:
    """PSNR after each hop, one panel per image, one line per setting.

    Settings that are bit-exact at every hop would all sit on the "exact" line;
    they are listed there in words instead of drawn on top of each other.

    Parameters:
        result: a lab run.
    Returns:
        The figure.
    """
    styles = _styles(_settings(result))
    level = _exact_level(result)
    figure, axes = _grid(len(result.images), 6.0, 3.8)
    for axis, image in zip(axes, result.images, strict=True):
        runs = [r for r in result.runs if r.image == image.name and r.hops]
        exact = [r for r in runs if summarize(r).all_exact]
        for run in (r for r in runs if r not in exact):
            hops = [h.hop for h in run.hops]
            psnr = [min(h.fidelity.psnr, level) for h in run.hops]
            axis.plot(
                hops,
                psnr,
                label=run.setting.label,
                linewidth=1.6,
                markersize=3,
                markevery=max(1, len(hops) // 10),
                color=styles[run.setting].color,
                linestyle=styles[run.setting].linestyle,
                marker=styles[run.setting].marker,
            )
        if exact:
            axis.text(
                0.02,
                0.97,
                _exact_text(exact),
                transform=axis.transAxes,
                fontsize=7,
                va="top",
                color="0.25",
            )
        axis.set_title(f"{image.name} ({image.width}x{image.height} {image.mode})")
        axis.set_xlabel("hop (each re-encodes the previous hop's output)")
        axis.set_ylabel("PSNR vs original (dB)")
        axis.set_xlim(0.5, result.config.hops + 0.5)
        axis.grid(alpha=0.3)
        _mark_exact(axis, level)
    _legend(
        figure,
        axes,
        "Quality after each hop: higher is better; a falling line is generation loss",
    )
    return figure


def _legend(figure: Figure, axes: list[Axes], title: str) -> None:
    handles, labels = [], []
    for axis in axes:
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    figure.suptitle(title, fontsize=12)
    figure.legend(
        handles, labels, loc="outside lower center", ncols=min(4, len(labels))
    )


def size_vs_quality(result: LabResult) -> Figure:
    """Mean file size against PSNR after the last hop, one panel per image.

    Parameters:
        result: a lab run.
    Returns:
        The figure; points of one format at several qualities are joined.
    """
    styles = _styles(_settings(result))
    level = _exact_level(result)
    figure, axes = _grid(len(result.images), 6.0, 3.6)
    for axis, image in zip(axes, result.images, strict=True):
        runs = [r for r in result.runs if r.image == image.name and r.hops]
        for run in runs:
            s = summarize(run)
            assert s.last is not None  # noqa: S101 - runs without hops filtered above
            style = styles[run.setting]
            axis.scatter(
                s.mean_bpp,
                min(s.last.fidelity.psnr, level),
                s=48,
                color=style.color,
                marker=style.marker,
                edgecolors="0.2",
                linewidths=0.5,
                label=run.setting.label,
                zorder=3,
            )
        families: dict[tuple[str, str], list[Run]] = {}
        for run in runs:
            families.setdefault((run.setting.pipeline, run.setting.format), []).append(
                run
            )
        for family in families.values():
            if len(family) > 1:
                points = sorted(
                    (summarize(r).mean_bpp, min(r.hops[-1].fidelity.psnr, level))
                    for r in family
                )
                axis.plot(
                    *zip(*points, strict=True), color="0.6", linewidth=0.8, zorder=2
                )
        axis.set_xscale("log")
        plain = FuncFormatter(lambda value, _: f"{value:g}")
        axis.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.xaxis.set_major_formatter(plain)
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.set_title(f"{image.name}")
        axis.set_xlabel("mean file size (bits per pixel, log scale)")
        axis.set_ylabel(f"PSNR after hop {result.config.hops} (dB)")
        axis.grid(alpha=0.3, which="both")
        _mark_exact(axis, level)
    _legend(
        figure,
        axes,
        f"Size against quality after {result.config.hops} hops: "
        "up and to the left is better",
    )
    return figure


def crop_strip(result: LabResult, image_name: str) -> Figure:
    """Crops of one image at hop 1, 10 and N for every setting, plus the error.

    Parameters:
        result: a lab run.
        image_name: which image.
    Returns:
        The figure: one row per setting; columns original, each kept hop, and the
        colour error at the last kept hop amplified by :data:`ERROR_GAIN`.
    """
    runs = [r for r in result.runs if r.image == image_name]
    hops = list(result.config.crop_hops)
    titles = [
        "original",
        *[f"hop {h}" for h in hops],
        f"|error| x{ERROR_GAIN} at hop {hops[-1]}",
    ]
    top, left, height, width = result.crops[image_name]
    rows = []
    for run in runs:
        crops = dict(run.crops)
        panels, notes = [], []
        for col in range(len(titles)):
            shown, note = _panel(crops, hops, col)
            if shown is None:
                note = "not measured" if not run.hops else "failed"
            panels.append(shown)
            notes.append(note)
        rows.append(CropRow(run.setting.label, tuple(panels), tuple(notes)))
    return crops_figure(
        rows,
        titles,
        f"{image_name}: the {width}x{height} region at x={left}, y={top} that lossy "
        "WebP hurts most, enlarged without smoothing",
    )


def _panel(
    crops: dict[int, npt.NDArray[np.uint8]], hops: list[int], col: int
) -> tuple[npt.NDArray[np.uint8] | None, str]:
    original = crops[0]
    if col == 0:
        return on_checkerboard(original), ""
    if col <= len(hops):
        crop = crops.get(hops[col - 1])
        return (None, "") if crop is None else (on_checkerboard(crop), "")
    last = crops.get(hops[-1])
    if last is None:
        return None, ""
    shown, differs = amplified_error(original, last)
    return shown, "" if differs else "no error"
