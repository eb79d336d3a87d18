"""An app for the audit, launched as its own process (another server secret than
the test process): gradio_lossless.Image endpoints for a sepia filter (float64
output) and a pass-through.

Usage: python -m tests.audit_app PORT   (GRADIO_TEMP_DIR, XDG_STATE_HOME and
GRADIO_LOSSLESS_SECRET come from the environment)
"""

from __future__ import annotations

import sys

import gradio as gr
import numpy as np

import gradio_lossless as gl

SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])


def sepia(image: np.ndarray) -> np.ndarray:
    """Gradio's sepia_filter demo: a float64 image in [0, 1]."""
    out = image.dot(SEPIA.T)
    out /= out.max()
    return out


with gr.Blocks() as demo:
    a, b = gl.Image(type="numpy"), gl.Image(type="numpy")
    gr.Button().click(sepia, a, b, api_name="sepia")
    gr.Button().click(lambda x: x, a, b, api_name="passthrough")

if __name__ == "__main__":
    demo.launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
