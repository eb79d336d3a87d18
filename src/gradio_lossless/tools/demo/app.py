"""The demo app: the original bug report as a live side-by-side.

Two columns: stock ``gr.Image(type="numpy")`` (which serves every returned image as
WebP q80) and ``gradio_lossless.Image(type="numpy")``. Each column passes the image
back and forth between two components, A and B. The ping-pong functions return
their input untouched, so any loss is the components'. After every hop the demo
compares the value the function *received* with the original (PSNR, SSIM, a
bit-exact badge) and plots PSNR per hop for both columns from hop 0. Each column
shows its last hop's cost: the bytes an ``<img>`` of the output is sent and the
server time of preprocess + function + postprocess (``hop.py`` says how each is
measured). A zoomed crop strip (``tools/crops.py``, shared with the lab) shows the
window of the original where WebP q80 hurts most, what each function last received
there, and their difference amplified ×8 (``views.py``). Both figures are made once
and each hop redraws only what it changes (``figures.py``).

    gradio-lossless demo               # http://127.0.0.1:7860/
    gradio-lossless demo --port 8000 --host 0.0.0.0

It starts on scikit-image's bundled astronaut (512x512, nothing is downloaded). An
upload into "Original" (remove the current image with its X first) resets both columns
and their counters.
"Export" (API: ``/export``) returns an ``.npz`` holding the original and the value
each column's function last received, so anyone can check the claim.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.data_classes import BlocksConfigDict

from gradio_lossless.components import Image as LosslessImage
from gradio_lossless.serving.image_load import image_load
from gradio_lossless.tools.audit.fidelity import default_image
from gradio_lossless.tools.crops import Box
from gradio_lossless.tools.demo.figures import Figures
from gradio_lossless.tools.demo.hop import (
    Array,
    Cost,
    Slot,
    Trail,
    hop,
    run_hop,
)
from gradio_lossless.tools.demo.views import (
    SIDES,
    crop_box,
    export_received,
    status_html,
)

__all__ = ["Trail", "build_demo", "hop"]

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

MEASURED = """\
**How the figures are measured.** *`<img>` sent*: the size of the body the server
sends when the browser's `<img>` loads the image the hop put on the page (before any
HTTP compression): for stock `gr.Image`, the WebP file it saved; for
`gradio_lossless.Image`, the display rendition its server middleware answers image
loads with (WebP, long side at most 1920 px), or the exact PNG itself when that is
small. Downloads, the API and the next function get the exact PNG from the same URL.
*Hop*: server time of the component's preprocess (read the input file into an
array), the function, and the component's postprocess (save the output file),
measured with `time.perf_counter` around those three calls; the queue, the network
and the browser's image load are not in it, so the two columns compare the
components' own work. The rendition is made once per value, when it is first
loaded, not during the hop; its time is shown apart when it is made.
"""


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


def _column(side: str, image_cls: type[gr.Image], start: Array, box: Box) -> _Column:
    with gr.Column(variant="panel"):
        if side == "stock":
            gr.Markdown(
                '### stock `gr.Image(type="numpy")`\nserves WebP q80 (the default)'
            )
        else:
            gr.Markdown(
                '### `gradio_lossless.Image(type="numpy")`\nkeeps an exact PNG; '
                "an `<img>` is sent a display rendition (the default)"
            )
        status = gr.HTML(status_html(side, Trail(box=box)), elem_id=f"{side}-status")
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
    return _Column(side, a, b, gr.State(Trail(box=box)), status, a_to_b, b_to_a, x10)


class _DemoBlocks(gr.Blocks):
    """The demo's Blocks, with Gradio's run history off in the browser.

    Gradio 6 keeps each event's inputs and outputs in the browser's localStorage
    (up to 100 runs) and reads and rewrites that whole list at every event. A hop's
    outputs hold both figures as PNG data URLs (~150 kB), so the list soon fills the
    storage and each click spent a growing few hundred milliseconds of the page's
    main thread on it, for a history of ping-pong nobody reloads. The config tells
    the page so however the demo is launched or mounted (``launch(run_history=...)``
    is not always called); the page then also deletes runs it saved before.
    """

    def get_config_file(self) -> BlocksConfigDict:
        config = super().get_config_file()
        config["run_history"] = False
        return config


@dataclass
class _Shared:
    original: gr.State
    plot: gr.Plot
    crops: gr.Plot
    figures: Figures


def build_demo() -> gr.Blocks:
    """The side-by-side demo: stock gr.Image vs gradio_lossless.Image.

    API endpoints (for gradio_client and the tests): ``/stock_a_to_b``,
    ``/stock_b_to_a``, ``/lossless_a_to_b``, ``/lossless_b_to_a`` (one image in, the
    same image out into the other component, plus status, quality plot, button
    states and crops), ``/reset`` (a new original, or the astronaut when given none)
    and ``/export`` (the ``.npz`` of received values).
    """
    start = default_image()
    box = crop_box(start)
    figures = Figures()
    export_dir = Path(tempfile.mkdtemp(prefix="gradio-lossless-demo-"))
    demo = _DemoBlocks(title="gradio-lossless demo")
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
                figures.quality(Trail(), Trail()),
                label="Quality per hop",
                format="png",
                elem_id="quality-plot",
                scale=2,
            )
        with gr.Row():
            columns = {
                "stock": _column("stock", gr.Image, start, box),
                "lossless": _column("lossless", LosslessImage, start, box),
            }
        crops = gr.Plot(
            figures.crops(start, Trail(box=box), Trail(box=box), box),
            label="Zoomed: what each function received, and the difference",
            format="png",
            elem_id="crops-plot",
        )
        gr.Markdown(MEASURED, elem_id="measured")
        with gr.Accordion("Check it yourself", open=False):
            gr.Markdown(
                "Download the original and the value each column's function received "
                "at its last hop, as numpy arrays (`numpy.load`). The lossless one is "
                "identical to the original; the stock one is not."
            )
            export = gr.Button("Export received values (.npz)", elem_id="export")
            exported = gr.File(label="received.npz", elem_id="exported")

        shared = _Shared(original_state, plot, crops, figures)
        stock, lossless = columns["stock"], columns["lossless"]
        for col in (stock, lossless):
            _wire(col, lossless if col is stock else stock, shared)

        reset_outputs: list[Any] = [original_state, plot, crops]
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
            new_box = crop_box(new)
            fresh = Trail(box=new_box)
            values: list[Any] = [
                new,
                figures.quality(fresh, fresh),
                figures.crops(new, fresh, fresh, new_box),
            ]
            for side in SIDES:
                values += [new, None, fresh, status_html(side, fresh), *_buttons(fresh)]
            return values

        original.upload(reset, original, reset_outputs, api_name="reset")
        export.click(
            partial(export_received, folder=export_dir),
            [original_state, stock.trail, lossless.trail],
            exported,
            api_name="export",
        )
    return demo


def _wire(col: _Column, other: _Column, shared: _Shared) -> None:
    """The ping-pong events of one column.

    They run with Gradio's preprocess and postprocess off: ``hop.run_hop`` makes the
    components' own preprocess and postprocess calls around the function, timed
    (see ``hop.py``). Every output is returned as its postprocessed payload.
    """
    side = col.side
    components = {"a": col.a, "b": col.b}
    tail = [col.trail, col.status, shared.plot, col.a_to_b, col.b_to_a, shared.crops]

    def pass_on(
        payload: Any,
        trail: Trail,
        other_trail: Trail,
        orig: Array,
        *,
        source: Slot,
    ) -> tuple[Any, ...]:
        target = "b" if source == "a" else "a"
        image, output, took = run_hop(components[source], components[target], payload)
        cost = None if output is None else Cost(took, image_load(output["path"]))
        new = hop(image, trail, orig, source=source, cost=cost)
        pair = (new, other_trail) if side == "stock" else (other_trail, new)
        box = new.box if new.box is not None else crop_box(orig)
        return (
            output,
            new,
            status_html(side, new),
            shared.figures.quality(*pair).model_dump(),
            *_buttons(new),
            shared.figures.crops(orig, *pair, box).model_dump(),
        )

    def step(
        a: Any, b: Any, trail: Trail, other_trail: Trail, orig: Array
    ) -> tuple[Any, ...]:
        """One hop of the x10 chain: from whichever component holds the newest image."""
        source = trail.at
        output, *rest = pass_on(
            a if source == "a" else b, trail, other_trail, orig, source=source
        )
        if source == "a":
            return (gr.skip(), output, *rest)
        return (output, gr.skip(), *rest)

    inputs = [col.trail, other.trail, shared.original]
    col.a_to_b.click(
        partial(pass_on, source="a"),
        [col.a, *inputs],
        [col.b, *tail],
        api_name=f"{side}_a_to_b",
        preprocess=False,
        postprocess=False,
    )
    col.b_to_a.click(
        partial(pass_on, source="b"),
        [col.b, *inputs],
        [col.a, *tail],
        api_name=f"{side}_b_to_a",
        preprocess=False,
        postprocess=False,
    )
    event = col.x10.click(
        step,
        [col.a, col.b, *inputs],
        [col.a, col.b, *tail],
        api_visibility="private",
        preprocess=False,
        postprocess=False,
    )
    for _ in range(X10 - 1):
        event = event.success(
            step,
            [col.a, col.b, *inputs],
            [col.a, col.b, *tail],
            api_visibility="private",
            preprocess=False,
            postprocess=False,
        )
