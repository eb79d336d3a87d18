"""The app the security tests serve in separate processes (benchmarks.server_process).

Every image component is a gradio_lossless one. The ``digest_*`` endpoints return
``digest(value)`` of exactly what the function received, so a test can compare it
with ``digest`` of what it expected, computed in the test process.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image

import gradio_lossless as gl

__all__ = [
    "digest",
    "digest_annotated",
    "digest_editor",
    "digest_slider",
    "noise",
    "sample",
    "security_app",
]


def digest(value: Any) -> str:
    """What a function received, as text: kind, PIL mode, dtype, shape and the
    sha256 of the pixel bytes (a list of gallery items: one line each)."""
    if isinstance(value, list):
        return "\n".join(digest(item) for item in value)
    if isinstance(value, tuple):  # a gallery item: (image, caption)
        return digest(value[0])
    if isinstance(value, str):
        with open(value, "rb") as f:
            data = f.read()
        return f"path {os.path.basename(value)} {hashlib.sha256(data).hexdigest()}"
    if isinstance(value, PIL.Image.Image):
        kind, mode, arr = "pil", value.mode, np.asarray(value)
    elif isinstance(value, np.ndarray):
        kind, mode, arr = "numpy", "-", value
    else:
        return f"other {type(value).__name__}"
    h = hashlib.sha256(f"{arr.dtype.str}|{arr.shape}|".encode())
    h.update(np.ascontiguousarray(arr).view(np.uint8).reshape(-1).data)
    return f"{kind} {mode} {arr.dtype}{list(arr.shape)} {h.hexdigest()}"


def digest_editor(value: Any) -> str:
    """An ImageEditor value: one line for the background, each layer, composite."""
    if value is None:
        return "None"
    layers = [f"layer {i} {digest(v)}" for i, v in enumerate(value["layers"])]
    return "\n".join(
        [
            f"background {digest(value['background'])}",
            *layers,
            f"composite {digest(value['composite'])}",
        ]
    )


def digest_slider(value: Any) -> str:
    """An ImageSlider value: one line per image."""
    if value is None:
        return "None"
    return "\n".join(f"image {i} {digest(v)}" for i, v in enumerate(value, 1))


def digest_annotated(value: Any) -> str:
    """An AnnotatedImage value: the base path, then each (mask path, label)."""
    if value is None:
        return "None"
    base, annotations = value
    masks = [f"mask {label} {digest(path)}" for path, label in annotations]
    return "\n".join([f"base {digest(base)}", *masks])


def sample(name: str) -> np.ndarray:
    """The values /make and /make_webp return, by name."""
    rng = np.random.default_rng(5)
    if name == "float32_rgb":
        return rng.random((48, 64, 3), dtype=np.float32)
    if name == "uint16_rgb":
        return rng.integers(0, 65536, (48, 64, 3), dtype=np.uint16)
    if name == "uint8_rgb":
        return rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    raise ValueError(f"unknown sample {name!r}")


def noise(seed: int, side: int = 600) -> np.ndarray:
    """A side×side RGB uint8 noise image (PNG cannot compress it: ~1 MB a file)."""
    rng = np.random.default_rng(int(seed))
    return rng.integers(0, 256, (side, side, 3), dtype=np.uint8)


def security_app() -> gr.Blocks:
    """Pass-through endpoints (image in, the same image out) and ``digest_*``
    endpoints for each component the tests attack, all with ``keep_dtype=True``
    (float and 16-bit values exact: the raw-chunk path an attacker targets):

    - /pil, /digest_pil: gl.Image(type="pil")
    - /numpy, /digest_numpy: gl.Image(type="numpy", image_mode=None)
    - /webp (numpy in, numpy out shown as a full-size WebP), /digest_webp:
      gl.Image(format="webp", type="numpy", image_mode=None, display="webp")
    - /gallery, /digest_gallery: gl.Gallery(type="pil")
    - /filepath_f: gl.Image(type="filepath", image_mode="F") -> its digest
    - /make, /make_webp: a named sample() value out (named image.png or .webp)
    - /noise: noise(seed) out, named image.webp
    - /editor, /digest_editor: gl.ImageEditor(type="numpy", image_mode=None);
      /stock_digest_editor: the same with stock gr.ImageEditor
    - /slider, /digest_slider: gl.ImageSlider(type="numpy", image_mode=None);
      /stock_digest_slider: stock gr.ImageSlider
    - /slider_webp, /digest_slider_webp, /editor_webp, /digest_editor_webp: the
      same shown as full-size WebPs (display="webp")
    - /annotated (the base back with one box), /digest_annotated:
      gl.AnnotatedImage; /stock_digest_annotated: stock gr.AnnotatedImage
    """
    with gr.Blocks() as demo:
        text = gr.Textbox()
        pil_out = gl.Image(type="pil", keep_dtype=True)
        numpy_out = gl.Image(type="numpy", image_mode=None, keep_dtype=True)
        webp_out = gl.Image(
            format="webp",
            type="numpy",
            image_mode=None,
            keep_dtype=True,
            display="webp",
        )
        gallery_out = gl.Gallery(type="pil", keep_dtype=True)

        pil_in = gl.Image(type="pil", keep_dtype=True)
        gr.Button().click(lambda v: v, pil_in, pil_out, api_name="pil")
        gr.Button().click(digest, pil_in, text, api_name="digest_pil")

        numpy_in = gl.Image(type="numpy", image_mode=None, keep_dtype=True)
        gr.Button().click(lambda v: v, numpy_in, numpy_out, api_name="numpy")
        gr.Button().click(digest, numpy_in, text, api_name="digest_numpy")

        webp_in = gl.Image(
            format="webp",
            type="numpy",
            image_mode=None,
            keep_dtype=True,
            display="webp",
        )
        gr.Button().click(lambda v: v, webp_in, webp_out, api_name="webp")
        gr.Button().click(digest, webp_in, text, api_name="digest_webp")

        gallery_in = gl.Gallery(type="pil", keep_dtype=True)
        gr.Button().click(
            lambda items: [im for im, _ in items or []],
            gallery_in,
            gallery_out,
            api_name="gallery",
        )
        gr.Button().click(digest, gallery_in, text, api_name="digest_gallery")

        float_in = gl.Image(type="filepath", image_mode="F", keep_dtype=True)
        gr.Button().click(digest, float_in, text, api_name="filepath_f")

        name = gr.Textbox()
        gr.Button().click(sample, name, numpy_out, api_name="make")
        gr.Button().click(sample, name, webp_out, api_name="make_webp")
        gr.Button().click(noise, name, webp_out, api_name="noise")

        editor_in = gl.ImageEditor(type="numpy", image_mode=None, keep_dtype=True)
        editor_out = gl.ImageEditor(type="numpy", image_mode=None, keep_dtype=True)
        gr.Button().click(lambda v: v, editor_in, editor_out, api_name="editor")
        gr.Button().click(digest_editor, editor_in, text, api_name="digest_editor")
        stock_editor = gr.ImageEditor(type="numpy", image_mode=None)
        gr.Button().click(
            digest_editor, stock_editor, text, api_name="stock_digest_editor"
        )

        slider_in = gl.ImageSlider(type="numpy", image_mode=None, keep_dtype=True)
        slider_out = gl.ImageSlider(type="numpy", image_mode=None, keep_dtype=True)
        gr.Button().click(lambda v: v, slider_in, slider_out, api_name="slider")
        gr.Button().click(digest_slider, slider_in, text, api_name="digest_slider")
        webp_slider_in = gl.ImageSlider(
            format="webp",
            type="numpy",
            image_mode=None,
            keep_dtype=True,
            display="webp",
        )
        webp_slider_out = gl.ImageSlider(
            format="webp",
            type="numpy",
            image_mode=None,
            keep_dtype=True,
            display="webp",
        )
        gr.Button().click(
            lambda v: v, webp_slider_in, webp_slider_out, api_name="slider_webp"
        )
        gr.Button().click(
            digest_slider, webp_slider_in, text, api_name="digest_slider_webp"
        )
        webp_editor_in = gl.ImageEditor(
            format="webp",
            type="numpy",
            image_mode=None,
            keep_dtype=True,
            display="webp",
        )
        webp_editor_out = gl.ImageEditor(
            format="webp",
            type="numpy",
            image_mode=None,
            keep_dtype=True,
            display="webp",
        )
        gr.Button().click(
            lambda v: v, webp_editor_in, webp_editor_out, api_name="editor_webp"
        )
        gr.Button().click(
            digest_editor, webp_editor_in, text, api_name="digest_editor_webp"
        )
        stock_slider = gr.ImageSlider(type="numpy", image_mode=None)
        gr.Button().click(
            digest_slider, stock_slider, text, api_name="stock_digest_slider"
        )

        annotated_in = gl.AnnotatedImage(keep_dtype=True)
        annotated_out = gl.AnnotatedImage(keep_dtype=True)
        gr.Button().click(
            lambda v: (v[0], [((0, 0, 4, 4), "box")]),
            annotated_in,
            annotated_out,
            api_name="annotated",
        )
        gr.Button().click(
            digest_annotated, annotated_in, text, api_name="digest_annotated"
        )
        stock_annotated = gr.AnnotatedImage()
        gr.Button().click(
            digest_annotated, stock_annotated, text, api_name="stock_digest_annotated"
        )
    demo.queue(default_concurrency_limit=None)
    return demo
