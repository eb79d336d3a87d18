"""One hop of the demo's ping-pong, done and measured on the server.

A hop is what Gradio does for an event: the source component's ``preprocess``
turns the payload into the value the function receives, the function (``passthrough``,
the identity) returns it, and the target component's ``postprocess`` saves it and
makes the payload the browser gets. The demo's events run with Gradio's own
preprocess and postprocess turned off and make these three calls themselves, so the
time of exactly those three is known (``Cost.server_ms``, ``time.perf_counter``).
Gradio's copying of payload files into its cache around them, the queue, the
network and the browser are not in it.

A hop's cost also records what an ``<img>`` showing the output is sent
(``serving.image_load``: stock's file as it is, or the rendition or exact PNG our
middleware answers with); a rendition made for it is timed apart
(``Loaded.display_ms``): it is not part of the hop.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import gradio as gr
import numpy as np

from gradio_lossless.core.conversions import preview_uint8
from gradio_lossless.serving.image_load import Loaded
from gradio_lossless.tools.audit.fidelity import Fidelity, compare
from gradio_lossless.tools.crops import Box, choose_crop

__all__ = [
    "Cost",
    "Trail",
    "eight_bit",
    "hop",
    "passthrough",
    "run_hop",
]

Array = np.ndarray[Any, Any]
Slot = Literal["a", "b"]


def passthrough(image: Array) -> Array:
    """The demo's function: it returns what it received, so any loss is the
    components'."""
    return image


@dataclass(frozen=True)
class Cost:
    """One hop's cost.

    Parameters:
        server_ms: preprocess + function + postprocess on the server, milliseconds.
        loaded: what an ``<img>`` showing the output is sent.
    """

    server_ms: float
    loaded: Loaded


@dataclass(frozen=True)
class Trail:
    """One column's ping-pong so far.

    Parameters:
        at: the component that holds the newest image ("a" or "b").
        hops: each hop's fidelity of the received value against the original.
        costs: each hop's cost (empty for hops recorded without one).
        received: the value the function received at the last hop.
        box: the crop window shown zoomed, chosen on the first hop.
    """

    at: Slot = "a"
    hops: tuple[Fidelity, ...] = ()
    costs: tuple[Cost, ...] = ()
    received: Array | None = field(default=None, compare=False, repr=False)
    box: Box | None = None


def eight_bit(image: Array) -> Array:
    """An 8-bit RGB or RGBA view of any image array, for the crops only:
    ``preview_uint8`` (uint16: top 8 bits, floats 0..1), grey repeated to RGB,
    grey+alpha to RGBA."""
    pixels = preview_uint8(image)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    channels = pixels.shape[2]
    if channels == 1:
        return np.repeat(pixels, 3, axis=2)
    if channels == 2:
        return np.concatenate(
            [np.repeat(pixels[..., :1], 3, axis=2), pixels[..., 1:]], 2
        )
    return pixels[..., :4]


def hop(
    image: Array | None,
    trail: Trail,
    original: Array,
    *,
    source: Slot,
    cost: Cost | None = None,
) -> Trail:
    """Record one hop: ``image`` is what the function received from ``source``.

    Parameters:
        image: the received value.
        trail: the column's trail before this hop.
        original: the image the column started from.
        source: the component the value came from.
        cost: the hop's measured cost, when measured.
    Returns:
        The new trail; the image now sits in the other component.
    Raises:
        gr.Error: the source component is empty.
    """
    if image is None:
        raise gr.Error(f"Image {source.upper()} is empty: nothing to pass on.")
    fidelity = compare(original, image, hop=len(trail.hops) + 1, ssim=True)
    costs = trail.costs if cost is None else (*trail.costs, cost)
    box = trail.box if trail.box is not None else choose_crop(eight_bit(original))
    return Trail(
        "b" if source == "a" else "a", (*trail.hops, fidelity), costs, image, box
    )


def run_hop(
    source: gr.components.Component,
    target: gr.components.Component,
    payload: Any,
) -> tuple[Array | None, dict[str, Any] | None, float]:
    """Preprocess ``payload`` with ``source``, pass it through, postprocess it with
    ``target``: (the value the function received, the output payload, the time of
    those three steps in milliseconds)."""
    if payload is None:
        return None, None, math.nan
    model = source.data_model.model_validate(payload)  # type: ignore[union-attr]
    start = time.perf_counter()
    image = source.preprocess(model)
    returned = passthrough(image)
    output = target.postprocess(returned)  # type: ignore[no-untyped-call]
    took = (time.perf_counter() - start) * 1000
    return image, output.model_dump() if output is not None else None, took
