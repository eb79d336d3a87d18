"""The gallery case of ``gradio-lossless bench``.

Two phases per contender, both timing ``Gallery.postprocess`` only:

* ``first``: ``count`` distinct photo-like images the component has never seen,
  on a fresh component and cache folder every repetition (each repetition's
  images are shifted by one more pixel, so no store can already hold them);
* ``unchanged``: the same list, the same objects, postprocessed again on the last
  component, as when an app re-renders a gallery nothing changed in.

Exactness is checked outside the timed region by ``preprocess``-ing the served
gallery and comparing every item with what was returned.
"""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import PIL.Image

from gradio_lossless.bench_contenders import (
    CONTENDERS,
    BenchType,
    ComponentFactory,
    cache_dir,
    compare,
    factory,
    warning_texts,
    with_ratios,
)
from gradio_lossless.bench_images import Size, format_size, photo

__all__ = ["GALLERY_PHASES", "GalleryPhase", "GalleryResult", "measure_gallery"]

GalleryPhase: TypeAlias = Literal["first", "unchanged"]
GALLERY_PHASES: tuple[GalleryPhase, ...] = ("first", "unchanged")

# Gallery images use their own variants so that no gallery item has the pixels of
# an image-hop input (a store shared with Image would otherwise get a free hit).
_VARIANT_BASE = 100

_Array: TypeAlias = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class GalleryResult:
    """One (phase, contender) cell of the gallery benchmark.

    Times are medians of the timed ``postprocess`` calls, in milliseconds.
    ``bytes_served`` is the total size of the files the gallery points at.
    ``bit_exact`` is True when ``preprocess`` of the served gallery gives back
    every item exactly; ``max_abs_diff`` is the largest per-pixel difference, in
    8-bit levels. ``vs_stock_webp`` is stock webp's median divided by this one's.
    """

    phase: GalleryPhase
    contender: str
    label: str
    size: str
    count: int
    available: bool
    note: str | None = None
    ms: float | None = None
    samples_ms: tuple[float, ...] = ()
    bytes_served: int | None = None
    bit_exact: bool | None = None
    max_abs_diff: int | None = None
    warnings: tuple[str, ...] = ()
    vs_stock_webp: float | None = None


def _check(
    component: Any, data: Any, images: Sequence[_Array]
) -> tuple[bool, int | None]:
    """Send the served gallery back through preprocess, as the browser would."""
    from gradio.components.gallery import GalleryData, GalleryImage
    from gradio.data_classes import ImageData

    payload = GalleryData(
        root=[
            GalleryImage(
                image=ImageData(path=item.image.path, orig_name=item.image.orig_name),
                caption=item.caption,
            )
            for item in data.root
        ]
    )
    received = component.preprocess(payload) or []
    if len(received) != len(images):
        return False, None
    exact, worst = True, 0
    for (value, _caption), image in zip(received, images, strict=True):
        sent: object = image
        if isinstance(value, PIL.Image.Image):
            sent = PIL.Image.fromarray(image)
        same, diff = compare(value, sent)
        if diff is None:
            return False, None
        exact, worst = exact and same, max(worst, diff)
    return exact, worst


def _served_bytes(data: Any) -> int:
    return sum(os.path.getsize(item.image.path) for item in data.root)


def _timed_postprocess(component: Any, images: list[_Array]) -> tuple[int, Any]:
    gc.collect()
    t0 = time.perf_counter_ns()
    data = component.postprocess(images)
    return time.perf_counter_ns() - t0, data


def _fields(
    samples: list[int], data: Any, check: tuple[bool, int | None]
) -> dict[str, Any]:
    return {
        "ms": round(statistics.median(samples) / 1e6, 3),
        "samples_ms": tuple(round(t / 1e6, 3) for t in samples),
        "bytes_served": _served_bytes(data),
        "bit_exact": check[0],
        "max_abs_diff": check[1],
    }


def _phases(
    build: ComponentFactory, base: Sequence[_Array], *, repeats: int, workdir: Path
) -> dict[GalleryPhase, dict[str, Any]]:
    first_ns: list[int] = []
    with contextlib.ExitStack() as keep:
        for r in range(repeats):
            images = [np.roll(img, r, axis=1) if r else img for img in base]
            with contextlib.ExitStack() as stack:
                folder = stack.enter_context(cache_dir(workdir / f"first-{r}"))
                component = build(folder)
                elapsed, data = _timed_postprocess(component, images)
                first_ns.append(elapsed)
                if r == 0:
                    first_check = _check(component, data, images)
                if r == repeats - 1:
                    first = _fields(first_ns, data, first_check)
                    keep.enter_context(stack.pop_all())  # the "unchanged" phase
        unchanged_ns: list[int] = []
        for _ in range(repeats):
            elapsed, data = _timed_postprocess(component, images)
            unchanged_ns.append(elapsed)
        unchanged_check = _check(component, data, images)
        unchanged = _fields(unchanged_ns, data, unchanged_check)
    return {"first": first, "unchanged": unchanged}


def measure_gallery(
    size: Size,
    *,
    count: int,
    type: BenchType,
    repeats: int,
    workdir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> list[GalleryResult]:
    """Time a gallery's first postprocess of new images and an unchanged one.

    Parameters:
        size: (width, height) of every item.
        count: number of distinct items (at least 1).
        type: the components' ``type``, which decides what the check compares.
        repeats: timed postprocess calls per phase (at least 1).
        workdir: scratch folder; every cache folder made in it is removed.
        progress: called with a short line before each contender.
    Returns:
        GalleryResult for phase ``first`` of every contender, then ``unchanged``.
    Raises:
        RuntimeError: a component failed; the message names which.
    """
    base = [photo(size, variant=_VARIANT_BASE + i) for i in range(count)]
    where = format_size(size)
    by_phase: dict[GalleryPhase, list[GalleryResult]] = {p: [] for p in GALLERY_PHASES}
    for contender in CONTENDERS:
        label = contender.gallery_label
        build, note = factory("gallery", contender, type=type)
        fields: dict[GalleryPhase, dict[str, Any]] = {p: {} for p in GALLERY_PHASES}
        texts: tuple[str, ...] = ()
        if build is not None:
            progress(f"gallery of {count} x {where}: {label}")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    fields = _phases(
                        build, base, repeats=repeats, workdir=workdir / contender.key
                    )
                except Exception as exc:
                    raise RuntimeError(
                        f"{label} failed on {count} images of {where}: "
                        f"{exc.__class__.__name__}: {exc}"
                    ) from exc
            texts = warning_texts(caught)
        for phase in GALLERY_PHASES:
            by_phase[phase].append(
                GalleryResult(
                    phase=phase,
                    contender=contender.key,
                    label=label,
                    size=where,
                    count=count,
                    available=build is not None,
                    note=note,
                    warnings=texts,
                    **fields[phase],
                )
            )
    return [r for phase in GALLERY_PHASES for r in with_ratios(by_phase[phase])]
