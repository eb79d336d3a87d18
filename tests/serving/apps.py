"""The app the serving tests run, the values it returns, and the requests they send
(headers as Debian's Chromium 156 sends them; the browser test checks the image
load's against the real one).
"""

from __future__ import annotations

import functools
import io
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
import PIL.PngImagePlugin

import gradio_lossless as gl
from gradio_lossless.core import conversions
from gradio_lossless.tools.bench.images import photo

# What Chromium sends for an <img>, for fetch() (Gradio's gallery download) and for
# a navigation or an <a download> click.
IMAGE_LOAD = {
    "sec-fetch-dest": "image",
    "sec-fetch-mode": "no-cors",
    "sec-fetch-site": "same-origin",
    "accept": "image/jxl,image/avif,image/webp,image/apng,image/svg+xml,image/*,"
    "*/*;q=0.8",
}
FETCH = {
    "sec-fetch-dest": "empty",
    "sec-fetch-mode": "cors",
    "sec-fetch-site": "same-origin",
    "accept": "*/*",
}
NAVIGATION = {
    "sec-fetch-dest": "document",
    "sec-fetch-mode": "navigate",
    "sec-fetch-site": "same-origin",
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
    "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
}
VARY = "Sec-Fetch-Dest, Accept"

BIG = (2400, 1350)  # over the 1920 cap, not an integer multiple of it
PARAMETERS = "a lighthouse at dusk, steps 30, seed 7"


@functools.cache
def big() -> np.ndarray[Any, Any]:
    """A photo-like RGB array of BIG (tiled photos, mild noise)."""
    arr = photo(BIG, kind="tiled")
    arr.flags.writeable = False
    return arr


@functools.cache
def hd() -> np.ndarray[Any, Any]:
    arr = photo((1920, 1080), kind="tiled")
    arr.flags.writeable = False
    return arr


@functools.cache
def other(variant: int) -> np.ndarray[Any, Any]:
    """Another photo-like RGB array of BIG."""
    arr = photo(BIG, kind="tiled", variant=variant)
    arr.flags.writeable = False
    return arr


@functools.cache
def _with_metadata() -> PIL.Image.Image:
    from PIL import ImageCms

    im = PIL.Image.fromarray(photo((1280, 720), kind="tiled", variant=3))
    im.info["parameters"] = PARAMETERS
    # made once: a profile records when it was made
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    im.info["icc_profile"] = profile.tobytes()
    return im


def with_metadata() -> PIL.Image.Image:
    """A 1280×720 photo with a PNG text chunk and an ICC profile (sRGB)."""
    return _with_metadata().copy()


def oriented() -> PIL.Image.Image:
    """A 1600×900 photo whose EXIF says "rotate 90° clockwise to show"
    (orientation 6): browsers show its PNG 900×1600."""
    im = PIL.Image.fromarray(photo((1600, 900), kind="tiled", variant=8))
    exif = PIL.Image.Exif()
    exif[0x0112] = 6
    im.info["exif"] = exif.tobytes()
    return im


def small() -> np.ndarray[Any, Any]:
    """A 48×64 photo: its PNG is under 32 KiB."""
    return np.ascontiguousarray(photo((64, 48), kind="resized"))


def palette_noise() -> np.ndarray[Any, Any]:
    """Random pixels from four colours, 512×512: a PNG over 32 KiB that a lossy
    WebP cannot beat by 1.25×."""
    rng = np.random.default_rng(5)
    colours = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [255, 255, 255]], np.uint8)
    return colours[rng.integers(0, 4, (512, 512))]


VALUES = {
    "big": big,
    "hd": hd,
    "small": small,
    "palette_noise": palette_noise,
}


def serving_app(**blocks_kwargs: Any) -> gr.Blocks:
    """Endpoints returning each value into lossless outputs with each display
    setting, a gallery, and ``/check``: whether an uploaded file is read back as
    exactly one of the values (its name) or as something else ("plain")."""

    def check(value: np.ndarray[Any, Any]) -> str:
        for name, make in VALUES.items():
            if conversions.values_equal(value, make()):
                return name
        return "plain"

    with gr.Blocks(**blocks_kwargs) as demo:
        out = gl.Image(type="numpy")
        exact = gl.Image(type="numpy", display="exact")
        fixed = gl.Image(type="numpy", display="webp")
        meta = gl.Image(type="pil", image_mode=None)
        gallery = gl.Gallery(type="numpy")
        for name, make in VALUES.items():
            gr.Button(name).click(make, None, out, api_name=name)
        gr.Button("exact").click(lambda: other(1), None, exact, api_name="exact")
        gr.Button("again").click(lambda: other(1), None, out, api_name="same_as_exact")
        gr.Button("fixed").click(lambda: other(2), None, fixed, api_name="fixed")
        gr.Button("meta").click(with_metadata, None, meta, api_name="meta")
        gr.Button("oriented").click(oriented, None, meta, api_name="oriented")
        gr.Button("gallery").click(
            lambda: [big(), hd(), small()], None, gallery, api_name="gallery"
        )
        upload = gl.Image(type="numpy", image_mode=None)
        verdict = gr.Textbox()
        gr.Button("check").click(check, upload, verdict, api_name="check")
    return demo


def stock_webp(arr: np.ndarray[Any, Any]) -> bytes:
    """What stock gr.Image serves for ``arr``: Pillow's WebP defaults (q80)."""
    buf = io.BytesIO()
    PIL.Image.fromarray(arr).save(buf, "WEBP")
    return buf.getvalue()


def text_chunks(data: bytes) -> dict[str, str]:
    with PIL.Image.open(io.BytesIO(data)) as im:
        assert isinstance(im, PIL.PngImagePlugin.PngImageFile)
        return dict(im.text)
