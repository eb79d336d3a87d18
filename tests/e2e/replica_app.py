"""A replica: one lossless Image endpoint, launched as its own process.

Usage: python -m tests.e2e.replica_app PORT   (GRADIO_TEMP_DIR and
GRADIO_LOSSLESS_STORE come from the environment)
"""

from __future__ import annotations

import sys
from pathlib import Path

import gradio as gr

import gradio_lossless as gl

received: list[object] = []


def hop(x: object) -> object:
    return x


with gr.Blocks() as demo:
    # shown as a full-size WebP (a display file carrying the value's token)
    a = gl.Image(type="numpy", image_mode=None, keep_dtype=True, display="webp")
    b = gl.Image(type="numpy", image_mode=None, keep_dtype=True, display="webp")
    gr.Button().click(hop, a, b, api_name="hop")
    # the type of what the function received, so a test can see it from outside
    info = gr.Textbox()
    gr.Button().click(
        lambda x: f"{x.dtype} {x.shape} {x.tobytes().hex()}",
        a,
        info,
        api_name="describe",
    )
    # the path this replica serves the value it received from (for an <img> load)
    where = gl.Image(type="filepath", image_mode=None, keep_dtype=True)
    gr.Button().click(
        lambda path: str(Path(path).with_name("image.webp")),
        where,
        info,
        api_name="where",
    )

if __name__ == "__main__":
    demo.launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
