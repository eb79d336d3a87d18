"""A replica: one lossless Image endpoint serving WebP, launched as its own process.

Usage: python -m tests.e2e.replica_app PORT   (GRADIO_TEMP_DIR and
GRADIO_LOSSLESS_STORE come from the environment)
"""

from __future__ import annotations

import sys

import gradio as gr

import gradio_lossless as gl

received: list[object] = []


def hop(x: object) -> object:
    return x


with gr.Blocks() as demo:
    a = gl.Image(type="numpy", image_mode=None, format="webp", keep_dtype=True)
    b = gl.Image(type="numpy", image_mode=None, format="webp", keep_dtype=True)
    gr.Button().click(hop, a, b, api_name="hop")
    # the type of what the function received, so a test can see it from outside
    info = gr.Textbox()
    gr.Button().click(
        lambda x: f"{x.dtype} {x.shape} {x.tobytes().hex()}",
        a,
        info,
        api_name="describe",
    )

if __name__ == "__main__":
    demo.launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
