"""Make the README figures from a real run: stock gr.Image vs gradio_lossless.Image.

    PYTHONPATH=src python scripts/make_figures.py            # or after pip install -e .
    PYTHONPATH=src python scripts/make_figures.py --hops 50 --out docs/img

It serves one app on 127.0.0.1 with two pass-through endpoints (stock
``gr.Image(type="numpy")`` and ``gradio_lossless.Image(type="numpy")``), feeds the
bundled astronaut through each ``--hops`` times with gradio_client (the audit's own
machinery: the output file of hop k is the input of hop k+1) and writes:

- ``before-after.png``: the original, the stock output and the lossless output
  after the last hop, each with a zoomed crop of the region where the stock output
  differs most (chosen from the data, not by hand);
- ``quality-per-hop.png``: PSNR against the original per hop, both columns.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
import numpy as np
import PIL.Image

from gradio_lossless.components import Image
from gradio_lossless.tools.audit.endpoint import connect, find_endpoint, run_hops
from gradio_lossless.tools.audit.fidelity import Fidelity, default_image, read_array
from gradio_lossless.tools.audit.plot import LOSSLESS_COLOR, STOCK_COLOR, plot_fidelity

ROOT = Path(__file__).resolve().parents[1]
CROP = 64  # side of the zoomed crop, in image pixels
SIDES = {"stock": "stock gr.Image", "lossless": "gradio_lossless.Image"}


def serve_app() -> tuple[gr.Blocks, str]:
    with gr.Blocks() as demo:
        stock_in, stock_out = gr.Image(type="numpy"), gr.Image(type="numpy")
        ours_in, ours_out = Image(type="numpy"), Image(type="numpy")
        gr.Button().click(lambda x: x, stock_in, stock_out, api_name="stock")
        gr.Button().click(lambda x: x, ours_in, ours_out, api_name="lossless")
    _, url, _ = demo.launch(
        server_name="127.0.0.1", prevent_thread_lock=True, quiet=True
    )
    return demo, url


def hop_both(url: str, hops: int, tmp: Path) -> dict[str, tuple[list[Fidelity], Any]]:
    """Per side: every hop's fidelity and the image after the last hop."""
    start = tmp / "astronaut.png"
    PIL.Image.fromarray(default_image()).save(start)
    client = connect(url, download_dir=tmp / "downloads")
    results = {}
    for side in SIDES:
        last: list[str] = []
        fidelity = run_hops(
            client,
            find_endpoint(client, f"/{side}"),
            start,
            hops,
            on_hop=lambda _, path, last=last: last.append(path),
        )
        results[side] = (fidelity, read_array(last[-1]))
        print(f"{side}: after hop {hops}: {fidelity[-1]}", file=sys.stderr)
    return results


def worst_region(original: Any, degraded: Any, size: int) -> tuple[int, int]:
    """Top-left corner of the size x size window with the largest squared error."""
    err = ((degraded.astype(np.float64) - original) ** 2).sum(axis=2)
    windows = np.lib.stride_tricks.sliding_window_view(err, (size, size))[::4, ::4]
    y, x = np.unravel_index(np.argmax(windows.sum(axis=(2, 3))), windows.shape[:2])
    return int(y) * 4, int(x) * 4


def before_after(original: Any, results: dict[str, Any], hops: int, path: Path) -> None:
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    stock = results["stock"][1]
    y, x = worst_region(original, stock, CROP)
    panels = [
        ("original", original, None),
        (f"stock gr.Image, {hops} hops", stock, results["stock"][0][-1]),
        (
            f"gradio_lossless.Image, {hops} hops",
            results["lossless"][1],
            results["lossless"][0][-1],
        ),
    ]
    fig = Figure(figsize=(9.0, 6.3), dpi=100, layout="constrained")
    axes = fig.subplots(2, 3, height_ratios=[1, 1])
    for col, (title, image, fidelity) in enumerate(panels):
        top, bottom = axes[0][col], axes[1][col]
        top.imshow(image, interpolation="lanczos")
        top.add_patch(Rectangle((x, y), CROP, CROP, fill=False, color="yellow", lw=1.5))
        top.set_title(title, fontsize=11)
        bottom.imshow(image[y : y + CROP, x : x + CROP], interpolation="nearest")
        if fidelity is None:
            caption = f"{CROP}x{CROP} px zoom (largest stock error)"
        elif fidelity.bit_exact:
            caption = "bit-exact (PSNR ∞)"
        else:
            caption = (
                f"PSNR {fidelity.psnr:.1f} dB, max error {fidelity.max_abs_error:g}"
            )
        color = {None: "black", True: LOSSLESS_COLOR, False: STOCK_COLOR}[
            None if fidelity is None else fidelity.bit_exact
        ]
        bottom.set_title(caption, fontsize=10, color=color)
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(
        f"The same pass-through function, {hops} hops: output of hop k is input of "
        "hop k+1",
        fontsize=11,
    )
    fig.savefig(path, dpi=100)


def quality_plot(results: dict[str, Any], path: Path) -> None:
    fig = plot_fidelity(
        {SIDES[s]: results[s][0] for s in SIDES},
        title="PSNR vs the original after each hop (512x512 photo)",
        colors={SIDES["stock"]: STOCK_COLOR, SIDES["lossless"]: LOSSLESS_COLOR},
        figsize=(7.0, 3.4),
    )
    ax = fig.axes[0]
    stock = results["stock"][0]
    for f in (stock[0], stock[-1]):
        ax.annotate(
            f"{f.psnr:.1f} dB",
            xy=(f.hop, f.psnr),
            xytext=(0, 8),
            textcoords="offset points",
            ha="left" if f.hop == 1 else "right",
            fontsize=8,
            color=STOCK_COLOR,
        )
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hops", type=int, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    demo, url = serve_app()
    try:
        with tempfile.TemporaryDirectory(prefix="gl-figures-") as tmp:
            results = hop_both(url, args.hops, Path(tmp))
    finally:
        demo.close()
    written = [args.out / "before-after.png", args.out / "quality-per-hop.png"]
    before_after(default_image(), results, args.hops, written[0])
    quality_plot(results, written[1])
    for path in written:
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
