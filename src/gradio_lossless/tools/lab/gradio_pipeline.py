"""Replay what a Gradio image component does to a value on each hop.

One hop is what happens between two event handlers of an app: the first returns
an array, the component's real ``postprocess`` writes it to Gradio's cache as the
file the browser is served, and on the next event the component's real
``preprocess`` reads that file back into the array the second handler receives.
Nothing here models the codec; it calls the installed Gradio's own code, for the
stock ``gr.Image`` and for ``gradio_lossless.Image``, which has the same interface.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["COMPONENTS", "ComponentKind", "Step", "component_step", "missing_reason"]

ComponentKind: TypeAlias = Literal["gradio", "lossless"]
Step: TypeAlias = Callable[
    [npt.NDArray[np.uint8]], tuple[npt.NDArray[np.uint8], int, float, float]
]
"""One hop: pixels in; pixels out, bytes written, encode seconds, decode seconds."""

# kind -> (module, class name, how the report names it)
COMPONENTS: dict[str, tuple[str, str, str]] = {
    "gradio": ("gradio", "Image", "gr.Image"),
    "lossless": ("gradio_lossless.components.image", "Image", "gradio_lossless.Image"),
}


def _component_class(kind: ComponentKind) -> Any:
    module_name, class_name, _ = COMPONENTS[kind]
    return getattr(importlib.import_module(module_name), class_name)


def missing_reason(kind: ComponentKind) -> str:
    """Say why a component cannot be replayed here, or "" if it can.

    Parameters:
        kind: "gradio" for stock gr.Image, "lossless" for gradio_lossless.Image.
    Returns:
        One line naming the missing module, or "".
    """
    module_name, class_name, shown = COMPONENTS[kind]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = " (pip install 'gradio>=6,<7')" if kind == "gradio" else ""
        return f"{shown} is not importable: {exc}{hint}"
    if not hasattr(module, class_name):
        return f"{shown} is not importable: {module_name} has no {class_name}"
    return ""


@contextmanager
def _gradio_cache(folder: Path) -> Iterator[None]:
    # gr.Image reads GRADIO_TEMP_DIR when it is built (Block.__init__), so the
    # files of a replay go to the job's own folder and never into the user's cache.
    previous = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = previous


def component_step(
    kind: ComponentKind,
    format: str,
    *,
    image_mode: str | None,
    cache_dir: Path,
) -> Step:
    """Build one hop through a real image component.

    The component is constructed as ``Image(type="numpy", format=format,
    image_mode=image_mode)``; everything else keeps Gradio's defaults.

    Parameters:
        kind: "gradio" for stock gr.Image, "lossless" for gradio_lossless.Image.
        format: the component's ``format`` argument ("webp", "png", ...).
        image_mode: the component's ``image_mode``; None keeps the file's mode.
        cache_dir: folder used as GRADIO_TEMP_DIR for the files the component writes.
    Returns:
        A step, postprocess then preprocess, counting the bytes of the served file.
    """
    from gradio.data_classes import ImageData

    with _gradio_cache(cache_dir):
        component = _component_class(kind)(
            type="numpy", format=format, image_mode=image_mode, render=False
        )

    def step(
        pixels: npt.NDArray[np.uint8],
    ) -> tuple[npt.NDArray[np.uint8], int, float, float]:
        start = time.perf_counter()
        served = component.postprocess(pixels)
        middle = time.perf_counter()
        if served is None or served.path is None:
            raise ValueError(f"{COMPONENTS[kind][2]}.postprocess returned {served!r}")
        payload = ImageData(path=served.path, orig_name=served.orig_name)
        value = component.preprocess(payload)
        end = time.perf_counter()
        if not isinstance(value, np.ndarray):
            raise ValueError(
                f"{COMPONENTS[kind][2]}.preprocess returned {type(value).__name__}, "
                "expected a numpy array"
            )
        size = os.path.getsize(served.path)
        return value, size, middle - start, end - middle

    return step
