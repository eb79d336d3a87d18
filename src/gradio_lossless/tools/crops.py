"""Zoomed crops and an amplified error, shared by the lab's crop strip and the demo.

Where lossy encoding hurts an image most (``choose_crop``), that window cut out
(``cut``), shown over a checkerboard when it has alpha (``on_checkerboard``), its
colour error against the original amplified ``ERROR_GAIN`` times
(``amplified_error``), and a figure of rows of such panels enlarged without
smoothing (``crop_strip``). The figure is drawn on matplotlib's Agg canvas, imported
when a strip is drawn (not with this module).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import numpy.typing as npt
import PIL.Image

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CROP_SIZE",
    "EMPTY_FACE",
    "ERROR_GAIN",
    "NOTE_COLORS",
    "Box",
    "CropRow",
    "amplified_error",
    "choose_crop",
    "crop_strip",
    "cut",
    "on_checkerboard",
]

Pixels: TypeAlias = npt.NDArray[np.uint8]
Box: TypeAlias = tuple[int, int, int, int]
"""A crop as (top, left, height, width) in pixels."""

CROP_SIZE = 48
"""Side of the square crop, in pixels."""
ERROR_GAIN = 8
"""The error panel shows |candidate - original| times this."""
EMPTY_FACE = "0.92"
"""The face of a panel with nothing to show."""
NOTE_COLORS = {True: "white", False: "0.3"}
"""A panel's note colour: over an image (True) or over an empty panel (False)."""


def _window_argmax(energy: npt.NDArray[np.float64], side: int) -> tuple[int, int]:
    integral = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = (
        integral[side:, side:]
        - integral[:-side, side:]
        - integral[side:, :-side]
        + integral[:-side, :-side]
    )
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(top), int(left)


def _webp_q80(pixels: Pixels, mode: str) -> Pixels:
    buffer = io.BytesIO()
    PIL.Image.fromarray(pixels).save(buffer, "WEBP", quality=80)
    with PIL.Image.open(buffer) as image:
        image.load()
        return np.asarray(image if image.mode == mode else image.convert(mode))


def choose_crop(pixels: Pixels, size: int = CROP_SIZE) -> Box:
    """Pick the square window where lossy encoding visibly hurts the image most.

    The probe is one hop of Pillow WebP at quality 80 (what gr.Image does): the
    window with the largest summed colour error, weighted by alpha so damage under
    transparent pixels does not count. An image the probe does not change falls
    back to the window with the most detail (summed luminance gradient). Ties go
    to the top-left.

    Parameters:
        pixels: HxWx3 or HxWx4 uint8 array.
        size: side of the window in pixels (clipped to the image).
    Returns:
        (top, left, height, width).
    """
    height, width = pixels.shape[:2]
    side = min(size, height, width)
    mode = "RGBA" if pixels.shape[2] == 4 else "RGB"
    probe = _webp_q80(pixels, mode)
    energy = np.abs(probe[..., :3].astype(np.float64) - pixels[..., :3]).sum(axis=2)
    if not energy.any():
        luma = pixels[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        energy = np.zeros_like(luma)
        energy[:, 1:] += np.abs(np.diff(luma, axis=1))
        energy[1:, :] += np.abs(np.diff(luma, axis=0))
    if mode == "RGBA":
        energy *= pixels[..., 3] / 255
    top, left = _window_argmax(energy, side)
    return top, left, side, side


def cut(pixels: Pixels, box: Box) -> Pixels:
    """The window ``box`` of ``pixels``, as a copy."""
    top, left, height, width = box
    return pixels[top : top + height, left : left + width].copy()


def on_checkerboard(pixels: Pixels) -> Pixels:
    """RGBA over a grey checkerboard, so transparency is visible; RGB as it is."""
    if pixels.shape[2] == 3:
        return pixels
    rows = np.arange(pixels.shape[0]) // 8
    columns = np.arange(pixels.shape[1]) // 8
    board = np.where((np.add.outer(rows, columns) % 2)[..., None] == 0, 204, 153)
    alpha = pixels[..., 3:4].astype(np.float64) / 255
    return np.rint(pixels[..., :3] * alpha + board * (1 - alpha)).astype(np.uint8)


def amplified_error(original: Pixels, candidate: Pixels) -> tuple[Pixels, bool]:
    """|candidate - original| of the colour channels times ``ERROR_GAIN``, clipped
    to 255, and whether any value differs. Alpha is left out: a component's
    image_mode may drop it on purpose."""
    diff = np.abs(candidate[..., :3].astype(np.int16) - original[..., :3])
    return np.clip(diff * ERROR_GAIN, 0, 255).astype(np.uint8), bool(diff.any())


@dataclass(frozen=True)
class CropRow:
    """One row of a crop strip.

    Parameters:
        label: the row's label, left of it.
        panels: one per column, RGB uint8 (None: an empty grey panel).
        notes: one per column, a word written over the panel ("" for none).
    """

    label: str
    panels: tuple[Pixels | None, ...]
    notes: tuple[str, ...]


def crop_strip(
    rows: Sequence[CropRow],
    titles: Sequence[str],
    title: str,
    *,
    panel_inches: float = 1.5,
    label_inches: float = 1.8,
    dpi: int = 100,
) -> Figure:
    """A figure of crops enlarged without smoothing: one row per ``CropRow``, one
    column per title.

    Parameters:
        rows: the rows, each with one panel and one note per title.
        titles: the column titles, above the first row.
        title: the figure's title.
        panel_inches: the side of a panel.
        label_inches: room left of the panels for the row labels.
        dpi: dots per inch.
    Returns:
        The figure (Agg; no pyplot, safe in server threads).
    """
    from matplotlib.figure import Figure

    figure = Figure(
        figsize=(
            panel_inches * len(titles) + label_inches,
            panel_inches * len(rows) + 0.7,
        ),
        dpi=dpi,
        layout="constrained",
    )
    axes = figure.subplots(len(rows), len(titles), squeeze=False)
    figure.suptitle(title, fontsize=11)
    for index, (line, row) in enumerate(zip(axes, rows, strict=True)):
        for col, axis in enumerate(line):
            axis.set_xticks([])
            axis.set_yticks([])
            if index == 0:
                axis.set_title(titles[col], fontsize=9)
            if col == 0:
                axis.set_ylabel(
                    row.label, fontsize=8, rotation=0, ha="right", va="center"
                )
            shown = row.panels[col]
            if shown is None:
                axis.set_facecolor(EMPTY_FACE)
            else:
                axis.imshow(shown, interpolation="nearest")
            if row.notes[col]:
                axis.text(
                    0.5,
                    0.5,
                    row.notes[col],
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=NOTE_COLORS[shown is not None],
                    transform=axis.transAxes,
                )
    return figure
