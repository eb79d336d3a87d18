"""What the demo shows of its trails: each column's status (hops, PSNR, SSIM,
bit-exact, bytes loaded, hop time), the quality plot, the zoomed crops, and the
``.npz`` export of the received values."""

from __future__ import annotations

import html
import math
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from gradio_lossless.tools.audit.fidelity import Fidelity
from gradio_lossless.tools.audit.plot import LOSSLESS_COLOR, STOCK_COLOR, plot_fidelity
from gradio_lossless.tools.crops import (
    ERROR_GAIN,
    Box,
    CropRow,
    amplified_error,
    choose_crop,
    crop_strip,
    cut,
    on_checkerboard,
)
from gradio_lossless.tools.demo.hop import Array, Cost, Trail, eight_bit

__all__ = [
    "COLORS",
    "LABELS",
    "SIDES",
    "crop_box",
    "crop_rows",
    "crops_figure",
    "crops_plot",
    "export_received",
    "original_window",
    "quality_plot",
    "quality_series",
    "status_html",
]

SIDES = ("stock", "lossless")
LABELS = {"stock": "stock gr.Image", "lossless": "gradio_lossless.Image"}
COLORS = {"stock": STOCK_COLOR, "lossless": LOSSLESS_COLOR}
PANEL_INCHES = 2.0
DPI = 100

# hop 0: each column starts from the original itself
_START = Fidelity(hop=0, psnr=math.inf, max_abs_error=0.0, bit_exact=True, ssim=1.0)


def status_html(side: str, trail: Trail) -> str:
    """The hop counter, PSNR, SSIM and bit-exact badge of one column, and the
    latest hop's bytes loaded and server time."""
    n = len(trail.hops)
    counter = (
        f'<span class="gl-hops" style="font-size:1.5em;font-weight:700">{n}</span> '
        f"hop{'' if n == 1 else 's'}"
    )
    if n == 0:
        detail = "press <b>A → B</b> to pass the image on"
        exact = ""
    else:
        f = trail.hops[-1]
        psnr = "∞" if f.psnr == math.inf else f"{f.psnr:.2f} dB"
        ssim = "n/a" if f.ssim is None or math.isnan(f.ssim) else f"{f.ssim:.4f}"
        if f.bit_exact:
            badge = _badge("✓ bit-exact", "#1f7a2e")
        else:
            extra = f", {f.note}" if f.note else f", max error {f.max_abs_error:g}"
            badge = _badge(f"✗ not bit-exact{extra}", "#b3261e")
        detail = f"PSNR <b>{psnr}</b> · SSIM <b>{ssim}</b> · {badge}"
        exact = str(f.bit_exact).lower()
    cost = _cost_html(trail.costs) if trail.costs and n else ""
    return (
        f'<div class="gl-status" id="{side}-status-box" data-hops="{n}" '
        f'data-exact="{exact}" style="padding:6px 2px">{counter} · {detail}{cost}'
        "</div>"
    )


def _cost_html(costs: tuple[Cost, ...]) -> str:
    cost = costs[-1]
    loaded = cost.loaded
    mean = (
        f" (mean {sum(c.server_ms for c in costs) / len(costs):.1f} ms "
        f"over {len(costs)})"
        if len(costs) > 1
        else ""
    )
    made = (
        ""
        if loaded.display_ms is None
        else f" (made now in {loaded.display_ms:.1f} ms, not part of the hop)"
    )
    return (
        f'<div class="gl-cost" data-bytes="{loaded.nbytes}" '
        f'data-ms="{cost.server_ms:.3f}" style="margin-top:4px;font-size:0.9em">'
        f"<code>&lt;img&gt;</code> sent <b>{_size(loaded.nbytes)}</b> "
        f"({html.escape(loaded.what)}){made} · hop <b>{cost.server_ms:.1f} ms</b> "
        f"on the server{mean}</div>"
    )


def _size(nbytes: int) -> str:
    if nbytes < 10_000:
        return f"{nbytes:,} B"
    if nbytes < 10_000_000:
        return f"{nbytes / 1000:.1f} kB"
    return f"{nbytes / 1e6:.2f} MB"


def _badge(text: str, color: str) -> str:
    return (
        f'<span class="gl-badge" style="background:{color};color:white;'
        f'padding:2px 8px;border-radius:10px;white-space:nowrap">{html.escape(text)}'
        "</span>"
    )


QUALITY_TITLE = "PSNR of the value each function received (hop 0: the original)"
QUALITY_INCHES = (7.0, 3.0)


def quality_series(stock: Trail, lossless: Trail) -> dict[str, tuple[Fidelity, ...]]:
    """Each column's hops from hop 0 (the original, exact), by label."""
    return {
        LABELS["stock"]: (_START, *stock.hops),
        LABELS["lossless"]: (_START, *lossless.hops),
    }


def quality_plot(stock: Trail, lossless: Trail) -> Any:
    """PSNR per hop for both columns from hop 0 (the original, exact), so the plot
    has both series before the first hop (a matplotlib Figure for ``gr.Plot``)."""
    return plot_fidelity(
        quality_series(stock, lossless),
        title=QUALITY_TITLE,
        colors={LABELS[s]: COLORS[s] for s in SIDES},
        figsize=QUALITY_INCHES,
        dpi=DPI,
    )


def crop_box(original: Array) -> Box:
    """The window of the original the crops show: where one WebP q80 hop (what
    stock gr.Image does) hurts it most."""
    return choose_crop(eight_bit(original))


def original_window(original: Array, box: Box) -> Array:
    """The first panel of every crops row: the original's window, 8-bit RGB."""
    return on_checkerboard(eight_bit(cut(original, box)))


def _row(side: str, trail: Trail, original: Array, box: Box) -> CropRow:
    n = len(trail.hops)
    label = f"{LABELS[side]}\nhop {n}"
    received = trail.received
    if received is not None and received.shape[:2] != original.shape[:2]:
        note = f"size changed to {received.shape[1]}x{received.shape[0]}"
        return CropRow(
            label, (original_window(original, box), None, None), ("", note, "")
        )
    # 8-bit views of the window only (eight_bit works pixel by pixel)
    reference = eight_bit(cut(original, box))
    shown = reference if received is None else eight_bit(cut(received, box))
    error, differs = amplified_error(reference, shown)
    return CropRow(
        label,
        (on_checkerboard(reference), on_checkerboard(shown), error),
        ("", "", "" if differs else "no error"),
    )


def crop_rows(
    original: Array, stock: Trail, lossless: Trail, box: Box
) -> list[CropRow]:
    """The rows of the crops figure: per column, the window of the original, of the
    value its function last received, and their difference amplified."""
    return [
        _row("stock", stock, original, box),
        _row("lossless", lossless, original, box),
    ]


def crops_figure(rows: list[CropRow], box: Box) -> Any:
    """The crops figure of these rows (see ``crops_plot``)."""
    top, left, height, width = box
    zoom = PANEL_INCHES * DPI / max(height, width)
    return crop_strip(
        rows,
        ["original", "received at the last hop", f"|difference| ×{ERROR_GAIN}"],
        f"{width}×{height} px at x={left}, y={top}, where WebP q80 hurts this "
        f"image most,\nenlarged about ×{zoom:.0f} without smoothing",
        panel_inches=PANEL_INCHES,
        label_inches=1.9,
        dpi=DPI,
    )


def crops_plot(original: Array, stock: Trail, lossless: Trail, box: Box) -> Any:
    """The crop window of the original, of each column's last received value, and
    their difference amplified ``ERROR_GAIN`` times, enlarged without smoothing."""
    return crops_figure(crop_rows(original, stock, lossless, box), box)


def export_received(
    original: Array, stock: Trail, lossless: Trail, folder: Path
) -> str:
    """Write the original and each column's last received value to an ``.npz``.

    Keys: ``original``, ``stock`` and ``lossless`` (absent before the column's first
    hop), ``stock_hops`` and ``lossless_hops``, ``crop_box`` (top, left, height,
    width of the zoomed window), and per column ``<side>_bytes`` and
    ``<side>_server_ms`` (one entry per measured hop). Arrays keep their dtype and
    shape.
    """
    arrays: dict[str, Array] = {"original": original}
    for name, trail in (("stock", stock), ("lossless", lossless)):
        if trail.received is not None:
            arrays[name] = trail.received
        arrays[f"{name}_hops"] = np.asarray(len(trail.hops))
        arrays[f"{name}_bytes"] = np.asarray(
            [c.loaded.nbytes for c in trail.costs], dtype=np.int64
        )
        arrays[f"{name}_server_ms"] = np.asarray(
            [c.server_ms for c in trail.costs], dtype=np.float64
        )
    box = stock.box or lossless.box
    if box is not None:
        arrays["crop_box"] = np.asarray(box, dtype=np.int64)
    path = folder / f"received-{uuid.uuid4().hex[:12]}.npz"
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return str(path)
