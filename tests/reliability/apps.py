"""Apps the reliability tests serve in separate processes (benchmarks.server_process).

Each returns a gr.Blocks; every endpoint uses gradio_lossless components.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np

import gradio_lossless as gl
from gradio_lossless.core import conversions
from tests.samples import array_values, pil_values


def sample(name: str) -> Any:
    """The values the tests send between processes, by name."""
    if name == "float32_rgb":
        return array_values(96, 128)["float32[96, 128, 3]"]
    if name == "uint16_rgb":
        return array_values(96, 128)["uint16[96, 128, 3]"]
    if name == "pil_rgba":
        return pil_values(96, 128)["RGBA"]
    raise ValueError(f"unknown sample {name!r}")


def modify(arr: np.ndarray, k: str) -> np.ndarray:
    """A new value from ``arr`` (what the fault test's clients expect back)."""
    return np.roll(arr, int(k or 1), axis=1)


def reliability_app() -> gr.Blocks:
    """/make (name -> a sample value), /numpy and /pil (pass-through, image_mode=None),
    /fingerprint_numpy and /fingerprint_pil (the value's fingerprint as text, so a
    test sees exactly what the function received), /modify (numpy, roll by k)."""

    def make(name: str) -> Any:
        return sample(name)

    def fingerprint(value: Any) -> str:
        return conversions.fingerprint(value)

    with gr.Blocks() as demo:
        name = gr.Textbox()
        text = gr.Textbox()
        out_numpy = gl.Image(type="numpy", image_mode=None, keep_dtype=True)
        out_pil = gl.Image(type="pil", image_mode=None, keep_dtype=True)
        gr.Button().click(make, name, out_numpy, api_name="make")
        for kind, out in (("numpy", out_numpy), ("pil", out_pil)):
            inp = gl.Image(type=kind, image_mode=None, keep_dtype=True)
            gr.Button().click(lambda v: v, inp, out, api_name=kind)
            gr.Button().click(fingerprint, inp, text, api_name=f"fingerprint_{kind}")
        big = gl.Image(type="numpy", image_mode=None, keep_dtype=True)
        gr.Button().click(modify, [big, name], out_numpy, api_name="modify")
    demo.queue(default_concurrency_limit=None)
    return demo
