"""The demo's two figures as ``gr.Plot`` payloads, drawn cheaply hop after hop.

Building both matplotlib figures anew at every hop and letting ``gr.Plot`` save
them cost about 0.3 s a hop: each figure made, its constrained layout worked out,
and everything drawn twice (``savefig`` draws once to lay out, once to render).
Here each figure is made once and kept, and a hop draws it once:

* the quality plot (``QualityPlot``): one ``FidelityChart`` whose series, limits
  and ticks are set again, then the figure is drawn (its constrained layout
  included), which is what ``views.quality_plot`` draws;
* the crops (``CropsPlot``, one per original window): what no hop changes (the
  titles and the original's panels) is drawn once into a background; a hop
  restores it and draws only the received and difference panels, their frames
  and notes and the row labels (Agg blitting), the same pixels as drawing
  ``views.crops_plot``'s figure whole.

The PNG is encoded from the drawn canvas (opaque, so RGB). All sessions share the
figures, one lock each; ``Figures`` keeps the crops of the last few windows.
"""

from __future__ import annotations

import base64
import io
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import PIL.Image
from gradio.components.plot import PlotData

from gradio_lossless.tools.audit.plot import FidelityChart
from gradio_lossless.tools.crops import EMPTY_FACE, NOTE_COLORS, Box, CropRow
from gradio_lossless.tools.demo.hop import Array, Trail
from gradio_lossless.tools.demo.views import (
    COLORS,
    DPI,
    LABELS,
    QUALITY_INCHES,
    QUALITY_TITLE,
    SIDES,
    crop_rows,
    crops_figure,
    original_window,
    quality_series,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CropsPlot", "Figures", "QualityPlot", "png_payload"]

PNG_LEVEL = 1
"""zlib level of the PNGs: 1 encodes these 1.5-1.7x faster than Pillow's 6, and
the files are at most ~8% larger."""
CROPS_KEPT = 4
"""How many originals' crops figures ``Figures`` keeps drawn."""


def png_payload(figure: Figure) -> PlotData:
    """The drawn canvas of ``figure`` as what ``gr.Plot`` sends for a matplotlib
    figure: a PNG data URL."""
    width, height = figure.canvas.get_width_height(physical=True)
    rgba = PIL.Image.frombuffer(
        "RGBA",
        (width, height),
        figure.canvas.buffer_rgba(),  # type: ignore[attr-defined]
        "raw",
        "RGBA",
        0,
        1,
    )
    buffer = io.BytesIO()
    rgba.convert("RGB").save(buffer, "PNG", compress_level=PNG_LEVEL)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return PlotData(type="matplotlib", plot=f"data:image/png;base64,{data}")


class QualityPlot:
    """The quality plot (``views.quality_plot``), made once and redrawn.

    Each hop sets the chart's series, puts the axes back where a new figure has
    them and lets the constrained layout place them (the ticks it picks depend on
    where the axes are, so that start matters); then it is drawn once.
    """

    def __init__(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=QUALITY_INCHES, dpi=DPI, layout="constrained")
        FigureCanvasAgg(self.figure)
        self._chart = FidelityChart(
            self.figure.subplots(),
            [LABELS[s] for s in SIDES],
            title=QUALITY_TITLE,
            colors={LABELS[s]: COLORS[s] for s in SIDES},
        )
        self._lock = threading.Lock()

    def payload(self, stock: Trail, lossless: Trail) -> PlotData:
        """The plot of these trails."""
        with self._lock:
            self._chart.show(quality_series(stock, lossless))
            axes = self._chart.axes
            spec = axes.get_subplotspec()
            if spec is not None:  # back where a new figure has it
                axes.set_subplotspec(spec)
            self.figure.canvas.draw()
            return png_payload(self.figure)


class _Panel:
    """One panel that hops change: its face, image, frame and note."""

    def __init__(self, axes: Any) -> None:
        self.axes = axes
        self.face = axes.patch.get_facecolor()
        (self.image,) = axes.images
        (self.note,) = axes.texts
        self.artists = [axes.patch, self.image, *axes.spines.values(), self.note]

    def show(self, pixels: Array | None, note: str) -> None:
        """Draw ``pixels`` (None: an empty panel) and ``note`` over the background,
        in the order the axes draw them (face, image, frame, text)."""
        self.axes.patch.set_facecolor(self.face if pixels is not None else EMPTY_FACE)
        self.image.set_visible(pixels is not None)
        if pixels is not None:
            self.image.set_data(pixels)
        self.note.set_text(note)
        self.note.set_color(NOTE_COLORS[pixels is not None])
        for artist in self.artists:
            self.axes.draw_artist(artist)


class CropsPlot:
    """The crops figure (``views.crops_plot``) of one original's window ``box``.

    The first column (the original's window) is the same in every row and at every
    hop: it is part of the background. The other two columns and the row labels are
    drawn at each hop. A panel with nothing to show (the received value changed
    size) keeps the frame of an image panel.

    Parameters:
        original: the image the columns start from.
        box: the window, (top, left, height, width).
    """

    STATIC_COLUMNS = 1

    def __init__(self, original: Array, box: Box) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.box = box
        start = Trail(box=box)
        rows = [
            # every panel an image and every changing one a note, to be set later
            CropRow(r.label, r.panels, ("",) * self.STATIC_COLUMNS + (" ",) * 2)
            for r in crop_rows(original, start, start, box)
        ]
        self.figure = crops_figure(rows, box)
        self._canvas = FigureCanvasAgg(self.figure)
        self.figure.canvas.draw()  # works the constrained layout out, once
        self.figure.set_layout_engine("none")
        columns = len(rows[0].panels)
        axes = self.figure.axes
        grid = [axes[i : i + columns] for i in range(0, len(axes), columns)]
        self._labels = [(line[0], line[0].yaxis.label) for line in grid]
        self._panels = [
            [_Panel(axes) for axes in line[self.STATIC_COLUMNS :]] for line in grid
        ]
        changing = [
            *(label for _, label in self._labels),
            *(artist for panel in self._all() for artist in panel.artists),
        ]
        for artist in changing:
            artist.set_visible(False)
        self.figure.canvas.draw()
        self._background = self._canvas.copy_from_bbox(  # type: ignore[no-untyped-call]
            self.figure.bbox
        )
        for artist in changing:
            artist.set_visible(True)
        self._lock = threading.Lock()

    def _all(self) -> list[_Panel]:
        return [panel for line in self._panels for panel in line]

    def payload(self, original: Array, stock: Trail, lossless: Trail) -> PlotData:
        """The crops of these trails."""
        rows = crop_rows(original, stock, lossless, self.box)
        with self._lock:
            self._canvas.restore_region(self._background)  # type: ignore[no-untyped-call]
            lines = zip(self._labels, self._panels, rows, strict=True)
            for (axes, label), panels, row in lines:
                label.set_text(row.label)
                axes.draw_artist(label)
                cells = zip(
                    row.panels[self.STATIC_COLUMNS :],
                    row.notes[self.STATIC_COLUMNS :],
                    strict=True,
                )
                for panel, (pixels, note) in zip(panels, cells, strict=True):
                    panel.show(pixels, note)
            return png_payload(self.figure)


class Figures:
    """The demo's figures for every session: one quality plot, and the crops
    figures of the last ``CROPS_KEPT`` original windows (uploads make new ones)."""

    def __init__(self) -> None:
        self._quality = QualityPlot()
        self._crops: OrderedDict[tuple[Box, bytes], CropsPlot] = OrderedDict()
        self._lock = threading.Lock()

    def quality(self, stock: Trail, lossless: Trail) -> PlotData:
        """The quality plot of these trails."""
        return self._quality.payload(stock, lossless)

    def crops(
        self, original: Array, stock: Trail, lossless: Trail, box: Box
    ) -> PlotData:
        """The crops figure of these trails, in ``original``'s window ``box``."""
        # all a crops figure's background depends on
        key = (box, original_window(original, box).tobytes())
        with self._lock:
            plot = self._crops.pop(key, None)
            if plot is None:
                plot = CropsPlot(original, box)
            self._crops[key] = plot
            while len(self._crops) > CROPS_KEPT:
                self._crops.popitem(last=False)
        return plot.payload(original, stock, lossless)
