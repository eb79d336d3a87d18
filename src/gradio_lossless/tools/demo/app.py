"""The demo app: the original bug report as a live side-by-side.

Two columns: stock ``gr.Image(type="numpy")`` (which serves every returned image as
WebP q80) and ``gradio_lossless.Image(type="numpy")``. Each column passes the image
back and forth between two components, A and B. The ping-pong functions return
their input untouched, so any loss is the components'. After every hop the demo
compares the value the function *received* with the original (PSNR, SSIM, a
bit-exact badge) and plots PSNR per hop for both columns.

    gradio-lossless demo               # http://127.0.0.1:7860/
    gradio-lossless demo --port 8000 --host 0.0.0.0

It starts on scikit-image's bundled astronaut (512x512, nothing is downloaded). An
upload into "Original" (remove the current image with its X first) resets both columns
and their counters.
"Export" (API: ``/export``) returns an ``.npz`` holding the original and the value
each column's function last received, so anyone can check the claim.
"""

from __future__ import annotations

import html
import math
import tempfile
import uuid
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import gradio as gr
import numpy as np

from gradio_lossless.components import Image as LosslessImage
from gradio_lossless.tools.audit.fidelity import Fidelity, compare, default_image
from gradio_lossless.tools.audit.plot import LOSSLESS_COLOR, STOCK_COLOR, plot_fidelity

__all__ = ["Trail", "build_demo", "hop"]

Array = np.ndarray[Any, Any]
Slot = Literal["a", "b"]
SIDES = ("stock", "lossless")
LABELS = {"stock": "stock gr.Image", "lossless": "gradio_lossless.Image"}
COLORS = {"stock": STOCK_COLOR, "lossless": LOSSLESS_COLOR}
X10 = 10

INTRO = """\
# gradio-lossless: images that survive the round trip

Stock `gr.Image` saves every image a function returns as **lossy WebP (quality 80)**
and reads that file back when the image becomes the next input: each hop is a new
lossy generation. Below, both columns run the *same* pass-through function
(`lambda image: image`) between two image components. The left uses stock
`gr.Image(type="numpy")`, the right `gradio_lossless.Image(type="numpy")`. After each
hop the value the function **received** is compared with the original.
"""


@dataclass(frozen=True)
class Trail:
    """One column's ping-pong so far.

    Parameters:
        at: the component that holds the newest image ("a" or "b").
        hops: each hop's fidelity of the received value against the original.
        received: the value the function received at the last hop.
    """

    at: Slot = "a"
    hops: tuple[Fidelity, ...] = ()
    received: Array | None = field(default=None, compare=False, repr=False)


def hop(image: Array | None, trail: Trail, original: Array, *, source: Slot) -> Trail:
    """Record one hop: ``image`` is what the function received from ``source``.

    Parameters:
        image: the received value.
        trail: the column's trail before this hop.
        original: the image the column started from.
        source: the component the value came from.
    Returns:
        The new trail; the image now sits in the other component.
    Raises:
        gr.Error: the source component is empty.
    """
    if image is None:
        raise gr.Error(f"Image {source.upper()} is empty: nothing to pass on.")
    fidelity = compare(original, image, hop=len(trail.hops) + 1, ssim=True)
    return Trail("b" if source == "a" else "a", (*trail.hops, fidelity), image)


def status_html(side: str, trail: Trail) -> str:
    """The hop counter, PSNR, SSIM and bit-exact badge of one column."""
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
    return (
        f'<div class="gl-status" id="{side}-status-box" data-hops="{n}" '
        f'data-exact="{exact}" style="padding:6px 2px">{counter} · {detail}</div>'
    )


def _badge(text: str, color: str) -> str:
    return (
        f'<span class="gl-badge" style="background:{color};color:white;'
        f'padding:2px 8px;border-radius:10px;white-space:nowrap">{html.escape(text)}'
        "</span>"
    )


def quality_plot(stock: Trail, lossless: Trail) -> Any:
    """PSNR per hop for both columns (a matplotlib Figure for ``gr.Plot``)."""
    return plot_fidelity(
        {LABELS["stock"]: stock.hops, LABELS["lossless"]: lossless.hops},
        title="PSNR of the value each function received",
        colors={LABELS[s]: COLORS[s] for s in SIDES},
        figsize=(7.0, 3.0),
    )


def export_received(
    original: Array, stock: Trail, lossless: Trail, folder: Path
) -> str:
    """Write the original and each column's last received value to an ``.npz``.

    Keys: ``original``, ``stock`` and ``lossless`` (absent before the column's first
    hop), ``stock_hops`` and ``lossless_hops``. Arrays keep their dtype and shape.
    """
    arrays: dict[str, Array] = {"original": original}
    for name, trail in (("stock", stock), ("lossless", lossless)):
        if trail.received is not None:
            arrays[name] = trail.received
        arrays[f"{name}_hops"] = np.asarray(len(trail.hops))
    path = folder / f"received-{uuid.uuid4().hex[:12]}.npz"
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return str(path)


@dataclass
class _Column:
    side: str
    a: gr.Image
    b: gr.Image
    trail: gr.State
    status: gr.HTML
    a_to_b: gr.Button
    b_to_a: gr.Button
    x10: gr.Button


def _buttons(trail: Trail) -> tuple[Any, Any]:
    return gr.Button(interactive=trail.at == "a"), gr.Button(
        interactive=trail.at == "b"
    )


def _column(side: str, image_cls: type[gr.Image], start: Array) -> _Column:
    with gr.Column(variant="panel"):
        if side == "stock":
            gr.Markdown(
                '### stock `gr.Image(type="numpy")`\nserves WebP q80 (the default)'
            )
        else:
            gr.Markdown(
                '### `gradio_lossless.Image(type="numpy")`\nserves an exact PNG '
                "(the default)"
            )
        status = gr.HTML(status_html(side, Trail()), elem_id=f"{side}-status")
        with gr.Row():
            a = image_cls(
                value=start,
                type="numpy",
                label="A",
                interactive=False,
                elem_id=f"{side}-a",
            )
            b = image_cls(
                type="numpy", label="B", interactive=False, elem_id=f"{side}-b"
            )
        with gr.Row():
            a_to_b = gr.Button("A → B", elem_id=f"{side}-a-to-b", variant="primary")
            b_to_a = gr.Button("B → A", elem_id=f"{side}-b-to-a", interactive=False)
            x10 = gr.Button(f"×{X10} hops", elem_id=f"{side}-x10")
    return _Column(side, a, b, gr.State(Trail()), status, a_to_b, b_to_a, x10)


def build_demo() -> gr.Blocks:
    """The side-by-side demo: stock gr.Image vs gradio_lossless.Image.

    API endpoints (for gradio_client and the tests): ``/stock_a_to_b``,
    ``/stock_b_to_a``, ``/lossless_a_to_b``, ``/lossless_b_to_a`` (one image in, the
    same image out into the other component, plus status, plot and button states),
    ``/reset`` (a new original, or the astronaut when given none) and ``/export``
    (the ``.npz`` of received values).
    """
    start = default_image()
    export_dir = Path(tempfile.mkdtemp(prefix="gradio-lossless-demo-"))
    demo = gr.Blocks(title="gradio-lossless demo")
    with demo:
        gr.Markdown(INTRO)
        original_state = gr.State(start)
        with gr.Row(equal_height=True):
            original = LosslessImage(
                value=start,
                type="numpy",
                label="Original: remove it (X) to upload your own",
                sources=["upload", "clipboard"],
                elem_id="original",
                scale=1,
            )
            plot = gr.Plot(
                quality_plot(Trail(), Trail()),
                label="Quality per hop",
                format="png",
                elem_id="quality-plot",
                scale=2,
            )
        with gr.Row():
            columns = {
                "stock": _column("stock", gr.Image, start),
                "lossless": _column("lossless", LosslessImage, start),
            }
        with gr.Accordion("Check it yourself", open=False):
            gr.Markdown(
                "Download the original and the value each column's function received "
                "at its last hop, as numpy arrays (`numpy.load`). The lossless one is "
                "identical to the original; the stock one is not."
            )
            export = gr.Button("Export received values (.npz)", elem_id="export")
            exported = gr.File(label="received.npz", elem_id="exported")

        stock, lossless = columns["stock"], columns["lossless"]
        for col in (stock, lossless):
            other = lossless if col is stock else stock
            _wire(col, other, original_state, plot)

        reset_outputs: list[Any] = [original_state, plot]
        for col in (stock, lossless):
            reset_outputs += [
                col.a,
                col.b,
                col.trail,
                col.status,
                col.a_to_b,
                col.b_to_a,
            ]

        def reset(image: Array | None) -> list[Any]:
            new = start if image is None else image
            values: list[Any] = [new, quality_plot(Trail(), Trail())]
            for side in SIDES:
                values += [
                    new,
                    None,
                    Trail(),
                    status_html(side, Trail()),
                    *_buttons(Trail()),
                ]
            return values

        original.upload(reset, original, reset_outputs, api_name="reset")
        export.click(
            partial(export_received, folder=export_dir),
            [original_state, stock.trail, lossless.trail],
            exported,
            api_name="export",
        )
    return demo


def _wire(col: _Column, other: _Column, original: gr.State, plot: gr.Plot) -> None:
    """The ping-pong events of one column."""
    side = col.side
    tail = [col.trail, col.status, plot, col.a_to_b, col.b_to_a]

    def pass_on(
        image: Array | None,
        trail: Trail,
        other_trail: Trail,
        orig: Array,
        *,
        source: Slot,
    ) -> tuple[Any, ...]:
        # The function returns exactly what it received; the loss is the components'.
        new = hop(image, trail, orig, source=source)
        plots = (new, other_trail) if side == "stock" else (other_trail, new)
        return (
            image,
            new,
            status_html(side, new),
            quality_plot(*plots),
            *_buttons(new),
        )

    def step(
        a: Array | None, b: Array | None, trail: Trail, other_trail: Trail, orig: Array
    ) -> tuple[Any, ...]:
        """One hop of the x10 chain: from whichever component holds the newest image."""
        source = trail.at
        image, *rest = pass_on(
            a if source == "a" else b, trail, other_trail, orig, source=source
        )
        if source == "a":
            return (gr.skip(), image, *rest)
        return (image, gr.skip(), *rest)

    shared = [col.trail, other.trail, original]
    col.a_to_b.click(
        partial(pass_on, source="a"),
        [col.a, *shared],
        [col.b, *tail],
        api_name=f"{side}_a_to_b",
    )
    col.b_to_a.click(
        partial(pass_on, source="b"),
        [col.b, *shared],
        [col.a, *tail],
        api_name=f"{side}_b_to_a",
    )
    event = col.x10.click(
        step, [col.a, col.b, *shared], [col.a, col.b, *tail], api_visibility="private"
    )
    for _ in range(X10 - 1):
        event = event.success(
            step,
            [col.a, col.b, *shared],
            [col.a, col.b, *tail],
            api_visibility="private",
        )


# --- command line -------------------------------------------------------------------
