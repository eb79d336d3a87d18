"""The components ``gradio-lossless bench`` compares, and what every case shares.

Three contenders, always in this order: stock ``format="webp"`` (Gradio's default
and the baseline of every ratio), stock ``format="png"`` (stock made lossless) and
gradio_lossless with its default format. The gradio_lossless classes are
imported lazily; when they cannot be imported their rows say why instead of
crashing the run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import shutil
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias, TypeVar

import numpy as np
import PIL.Image

__all__ = [
    "BASELINE",
    "CONTENDERS",
    "BenchType",
    "ComponentFactory",
    "Contender",
    "cache_dir",
    "compare",
    "factory",
    "file_matches",
    "warning_texts",
    "with_ratios",
]

BenchType: TypeAlias = Literal["numpy", "pil"]
ComponentKind: TypeAlias = Literal["image", "gallery"]
ComponentFactory: TypeAlias = Callable[[Path], Any]


@dataclass(frozen=True)
class Contender:
    """One component configuration under test.

    Parameters:
        key: stable identifier used in JSON: stock-webp, stock-png or lossless.
        image_label: how the Image variant is shown in tables.
        gallery_label: how the Gallery variant is shown in tables.
        format: the ``format=`` passed to the constructor, or None for the default.
        lossless: True for gradio_lossless components, False for stock Gradio.
    """

    key: str
    image_label: str
    gallery_label: str
    format: str | None
    lossless: bool

    def label(self, kind: ComponentKind) -> str:
        """The table label of the Image or Gallery variant."""
        return self.image_label if kind == "image" else self.gallery_label


CONTENDERS: tuple[Contender, ...] = (
    Contender(
        key="stock-webp",
        image_label="gr.Image(format='webp')",
        gallery_label="gr.Gallery(format='webp')",
        format="webp",
        lossless=False,
    ),
    Contender(
        key="stock-png",
        image_label="gr.Image(format='png')",
        gallery_label="gr.Gallery(format='png')",
        format="png",
        lossless=False,
    ),
    Contender(
        key="lossless",
        image_label="gradio_lossless.Image()",
        gallery_label="gradio_lossless.Gallery()",
        format=None,
        lossless=True,
    ),
)
BASELINE = "stock-webp"
"""Every ratio is the baseline's median time divided by the row's."""


def _lossless_class(kind: ComponentKind) -> tuple[type | None, str | None]:
    module_name = f"gradio_lossless.components.{kind}"
    class_name = kind.capitalize()
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return None, f"unavailable: cannot import {module_name} ({exc})"
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        return None, f"unavailable: {module_name} has no class {class_name}"
    return cls, None


def factory(
    kind: ComponentKind, contender: Contender, *, type: BenchType
) -> tuple[ComponentFactory | None, str | None]:
    """A function that builds the contender's component on a given cache folder.

    Parameters:
        kind: ``"image"`` or ``"gallery"``.
        contender: which configuration.
        type: the component's ``type=``.
    Returns:
        (factory, None), or (None, why it is unavailable) when the gradio_lossless
        class cannot be imported.
    """
    if contender.lossless:
        cls, note = _lossless_class(kind)
        if cls is None:
            return None, note
    else:
        import gradio as gr

        cls = gr.Image if kind == "image" else gr.Gallery
    kwargs: dict[str, Any] = {"type": type}
    if contender.format is not None:
        kwargs["format"] = contender.format
    component_cls = cls

    def build(cache: Path) -> Any:
        with _environ("GRADIO_TEMP_DIR", str(cache)):
            component = component_cls(**kwargs)
        component.GRADIO_CACHE = str(cache)
        return component

    return build, None


@contextlib.contextmanager
def _environ(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


@contextlib.contextmanager
def cache_dir(path: Path) -> Iterator[Path]:
    """A cache folder for one case, with GRADIO_TEMP_DIR pointing at it; removed
    afterwards so that a full run never holds more than one case's files."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        with _environ("GRADIO_TEMP_DIR", str(path)):
            yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def compare(received: object, sent: object) -> tuple[bool, int | None]:
    """Is ``received`` exactly ``sent``?

    Parameters:
        received: what preprocess handed the function.
        sent: what the previous postprocess was given (numpy array or PIL image).
    Returns:
        (exact, max abs pixel difference, or None if the shapes differ). Exact
        means same pixels and same dtype and shape (numpy) or mode, size and
        palette (PIL).
    """
    if isinstance(sent, PIL.Image.Image):
        same_kind = (
            isinstance(received, PIL.Image.Image)
            and received.mode == sent.mode
            and received.size == sent.size
            and received.getpalette() == sent.getpalette()
        )
    else:
        same_kind = (
            isinstance(received, np.ndarray)
            and isinstance(sent, np.ndarray)
            and received.dtype == sent.dtype
            and received.shape == sent.shape
        )
    a, b = np.asarray(received), np.asarray(sent)
    if a.shape != b.shape:
        return False, None
    if np.array_equal(a, b):
        return same_kind, 0
    return False, int(np.abs(a.astype(np.int64) - b.astype(np.int64)).max())


def file_matches(path: str, sent: object) -> bool:
    """Does the served file, decoded by plain Pillow, hold exactly ``sent``?

    This is what an API client or a restarted server gets: it does not go through
    any component's memory. Compares pixels and, for numpy, dtype and shape.

    Parameters:
        path: the served file.
        sent: the value the function returned (numpy array or PIL image).
    Returns:
        True when the decoded pixels equal the value's.
    """
    try:
        with PIL.Image.open(path) as img:
            decoded = np.asarray(img)
    except (OSError, ValueError):
        return False
    expected = np.asarray(sent)
    return decoded.dtype == expected.dtype and np.array_equal(decoded, expected)


def warning_texts(caught: Sequence[warnings.WarningMessage]) -> tuple[str, ...]:
    """Distinct ``Category: message`` lines of the recorded warnings."""
    return tuple(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))


T = TypeVar("T", bound=Any)


def with_ratios(row: list[T]) -> list[T]:
    """Fill ``vs_stock_webp`` on results that share one case.

    Parameters:
        row: results of one case (same size and hop, or same gallery phase).
    Returns:
        The same results, each with ``vs_stock_webp`` = baseline ms / its ms.
    """
    base = next((r.ms for r in row if r.contender == BASELINE and r.ms), None)
    if base is None:
        return row
    return [
        dataclasses.replace(r, vs_stock_webp=base / r.ms) if r.ms else r for r in row
    ]
