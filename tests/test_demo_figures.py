"""The demo's figures as sent after each hop (``tools/demo/figures.py``): drawn once
and updated, they are pixel for pixel what ``views.quality_plot`` and
``views.crops_plot`` draw as new figures, hop after hop, in any order, from any
number of threads."""

from __future__ import annotations

import base64
import io
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import PIL.Image

from gradio_lossless.tools.audit.fidelity import Fidelity
from gradio_lossless.tools.demo.figures import CROPS_KEPT, Figures
from gradio_lossless.tools.demo.hop import Trail, hop
from gradio_lossless.tools.demo.views import crop_box, crops_plot, quality_plot
from tests.samples import array_values, photo


def sent(payload) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The pixels of a gr.Plot payload, as the browser decodes them."""
    assert payload.type == "matplotlib"
    head, data = payload.plot.split(",", 1)
    assert head == "data:image/png;base64"
    with PIL.Image.open(io.BytesIO(base64.b64decode(data))) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB"))


def drawn(figure) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The pixels of a new figure as gr.Plot would send it (savefig)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    buffer.seek(0)
    with PIL.Image.open(buffer) as im:
        return np.asarray(im.convert("RGB"))


def _hops(psnrs: list[float]) -> Trail:
    return Trail(
        hops=tuple(
            Fidelity(i, p, 0.0 if p == math.inf else 2.0, p == math.inf, 1.0)
            for i, p in enumerate(psnrs, start=1)
        )
    )


INF = math.inf
# (stock, lossless) PSNRs per hop, in the order they are drawn: first hops,
# lossy and exact ones, a floor that moves, more than 30 hops (no markers), an
# upload that starts both over, one column far ahead of the other
QUALITY_STATES = [
    ([], []),
    ([37.9], []),
    ([37.9, 36.8], [INF]),
    ([37.9, 36.8, 33.0, 24.5], [INF, INF, INF]),
    ([38.0 - 0.1 * i for i in range(34)], [INF] * 5),
    ([], []),
    ([42.0], [INF] * 12),
    ([31.0, 61.5], [55.0]),  # no hop exact: no ∞ tick
]


def test_quality_plot_sent_is_what_quality_plot_draws() -> None:
    figures = Figures()
    for stock, lossless in QUALITY_STATES:
        trails = (_hops(stock), _hops(lossless))
        shown = sent(figures.quality(*trails))
        assert shown.shape == (300, 700, 3)
        np.testing.assert_array_equal(shown, drawn(quality_plot(*trails)))


def _crop_states(original: np.ndarray) -> list[tuple[Trail, Trail]]:
    box = crop_box(original)
    top, left = box[:2]
    damaged = original.copy()
    damaged[top + 3, left + 4] //= 2
    stock = lossless = Trail(box=box)
    states = [(stock, lossless)]
    for received in (damaged, original):
        stock = hop(received, stock, original, source=stock.at)
        states.append((stock, lossless))
        lossless = hop(original.copy(), lossless, original, source=lossless.at)
        states.append((stock, lossless))
    return states


def test_crops_sent_are_what_crops_plot_draws() -> None:
    """Two originals (RGBA, shown over the checkerboard; 16-bit grey), their hops
    interleaved, so each figure is drawn again after the other. (RGB: below.)"""
    values = array_values(56, 72)
    originals = [values["uint8[56, 72, 4]"], values["uint16[56, 72]"]]
    sequences = [_crop_states(o) for o in originals]
    figures = Figures()
    for step in range(len(sequences[0])):
        for original, states in zip(originals, sequences, strict=True):
            stock, lossless = states[step]
            box = stock.box
            assert box is not None
            shown = sent(figures.crops(original, stock, lossless, box))
            assert shown.shape == (470, 790, 3)
            expected = drawn(crops_plot(original, stock, lossless, box))
            np.testing.assert_array_equal(shown, expected)


def test_crops_of_more_originals_than_kept_are_drawn_anew() -> None:
    figures = Figures()
    originals = [photo(40 + i, 60) for i in range(CROPS_KEPT + 1)]
    for original in originals:
        box = crop_box(original)
        figures.crops(original, Trail(box=box), Trail(box=box), box)
    first = originals[0]  # no longer kept
    box = crop_box(first)
    stock = hop(first[::-1].copy(), Trail(box=box), first, source="a")
    shown = sent(figures.crops(first, stock, Trail(box=box), box))
    np.testing.assert_array_equal(
        shown, drawn(crops_plot(first, stock, Trail(box=box), box))
    )


def test_a_value_of_another_size_leaves_its_panels_empty() -> None:
    """The one case drawn apart from crops_plot: the empty panels keep the size of
    an image panel; everything around them is the same."""
    original = photo(30, 40)
    box = crop_box(original)
    stock = hop(original[:20].copy(), Trail(box=box), original, source="a")
    figures = Figures()
    shown = sent(figures.crops(original, stock, Trail(box=box), box))
    figure = crops_plot(original, stock, Trail(box=box), box)
    expected = drawn(figure)
    height = expected.shape[0]
    outside = np.ones(expected.shape[:2], dtype=bool)
    for axes in figure.axes[1:3]:  # the stock row's received and difference panels
        x0, y0, x1, y1 = axes.get_window_extent().extents
        outside[
            int(height - y1) - 2 : int(height - y0) + 3, int(x0) - 2 : int(x1) + 3
        ] = False
        panel = shown[
            int(height - y1) + 3 : int(height - y0) - 3, int(x0) + 3 : int(x1) - 3
        ]
        grey = np.all(panel == 235, axis=2)  # the empty face, 0.92
        assert grey.mean() > 0.8
    np.testing.assert_array_equal(shown[outside], expected[outside])


def test_figures_are_shared_by_threads() -> None:
    states = [(_hops(s), _hops(lo)) for s, lo in QUALITY_STATES[1:5]]
    alone = Figures()
    expected = [alone.quality(*t).plot for t in states]
    figures = Figures()
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda t: figures.quality(*t).plot, states * 3))
    assert got == expected * 3
