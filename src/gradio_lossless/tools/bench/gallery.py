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

from gradio_lossless.tools.bench.contenders import (
    CONTENDERS,
    BenchType,
    ComponentFactory,
    cache_dir,
    compare,
    factory,
    file_matches,
    warning_texts,
    with_ratios,
)
from gradio_lossless.tools.bench.hops import no_gc_pause
from gradio_lossless.tools.bench.images import ContentKind, Size, format_size, photo

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
    ``bytes_served`` is the total size of the files the gallery points at;
    ``served_files_exact`` says whether every one of them, decoded by plain Pillow,
    holds exactly the returned item (what an API client gets).
    ``bit_exact`` is True when ``preprocess`` of the served gallery gives back
    every item exactly; ``max_abs_diff`` is the largest per-pixel difference, in
    8-bit levels. ``vs_stock_webp`` is stock webp's median divided by this one's.
    ``error`` is set, and ``available`` False, when the component raised.
    ``content`` is the kind of test image (``resized`` or ``tiled``).
    """

    content: str
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
    served_files_exact: bool | None = None
    bit_exact: bool | None = None
    max_abs_diff: int | None = None
    warnings: tuple[str, ...] = ()
    vs_stock_webp: float | None = None
    error: str | None = None


def _files_exact(data: Any, images: Sequence[_Array]) -> bool:
    """Does every served file, decoded by plain Pillow, hold its item exactly?"""
    items = data.root
    return len(items) == len(images) and all(
        file_matches(item.image.path, image)
        for item, image in zip(items, images, strict=True)
    )


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


def _fields(
    samples: list[int], served: int, check: tuple[bool, int | None], files: bool
) -> dict[str, Any]:
    return {
        "ms": round(statistics.median(samples) / 1e6, 3),
        "samples_ms": tuple(round(t / 1e6, 3) for t in samples),
        "bytes_served": served,
        "bit_exact": check[0],
        "max_abs_diff": check[1],
        "served_files_exact": files,
    }


class _GalleryRun:
    """One contender's gallery measurements; calls are interleaved across
    contenders so that load changes on a busy machine hit all of them."""

    def __init__(
        self, label: str, build: ComponentFactory, workdir: Path, content: str
    ) -> None:
        self.label = label
        self._content = content
        self._build = build
        self._workdir = workdir
        self._cache = contextlib.ExitStack()  # the current repetition's cache folder
        self._component: Any = None
        self._data: Any = None
        self._ns: dict[GalleryPhase, list[int]] = {p: [] for p in GALLERY_PHASES}
        self._checks: dict[GalleryPhase, tuple[bool, int | None]] = {}
        self._files: dict[GalleryPhase, bool] = {}
        self._bytes: dict[GalleryPhase, int] = {}
        self._warnings: list[warnings.WarningMessage] = []
        self.error: str | None = None

    def _postprocess(
        self, phase: GalleryPhase, images: list[_Array], *, check: bool
    ) -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if phase == "first":
                self._cache.close()  # the previous repetition's files
                folder = self._cache.enter_context(
                    cache_dir(self._workdir / f"first-{len(self._ns['first'])}")
                )
                self._component = self._build(folder)
            with no_gc_pause():
                t0 = time.perf_counter_ns()
                self._data = self._component.postprocess(images)
                self._ns[phase].append(time.perf_counter_ns() - t0)
            if check:
                self._checks[phase] = _check(self._component, self._data, images)
                self._files[phase] = _files_exact(self._data, images)
        self._warnings.extend(caught)
        self._bytes[phase] = _served_bytes(self._data)

    def step(
        self, phase: GalleryPhase, images: list[_Array], *, check: bool, strict: bool
    ) -> None:
        """One timed postprocess; ``first`` starts on a fresh component and cache.

        A component that raises is recorded in ``error`` and not run again; with
        ``strict`` the error is raised instead.
        """
        if self.error is not None:
            return
        try:
            self._postprocess(phase, images, check=check)
        except Exception as exc:
            self.error = (
                f"{self.label} failed on {len(images)} {self._content} images "
                f"({phase} postprocess): "
                f"{exc.__class__.__name__}: {exc}"
            )
            if strict:
                raise RuntimeError(self.error) from exc

    def fields(self, phase: GalleryPhase) -> dict[str, Any]:
        """The measured GalleryResult fields of one phase."""
        return {
            **_fields(
                self._ns[phase],
                self._bytes[phase],
                self._checks[phase],
                self._files[phase],
            ),
            "warnings": warning_texts(self._warnings),
        }

    def close(self) -> None:
        self._cache.close()


def measure_gallery(
    size: Size,
    *,
    content: ContentKind,
    count: int,
    type: BenchType,
    repeats: int,
    workdir: Path,
    strict: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> list[GalleryResult]:
    """Time a gallery's first postprocess of new images and an unchanged one.

    Contenders run interleaved: repetition r of the ``first`` phase runs for every
    contender before repetition r + 1, then likewise for ``unchanged``.

    Parameters:
        size: (width, height) of every item.
        content: which kind of test image (see ``bench_images.photo``).
        count: number of distinct items (at least 1).
        type: the components' ``type``, which decides what the check compares.
        repeats: timed postprocess calls per phase (at least 1).
        workdir: scratch folder; every cache folder made in it is removed.
        strict: raise when a component raises, instead of recording the error in
            its rows and carrying on with the other contenders.
        progress: called with a short line before each phase.
    Returns:
        GalleryResult for phase ``first`` of every contender, then ``unchanged``.
    Raises:
        RuntimeError: with ``strict``, a component raised; the message names which.
    """
    base = [photo(size, variant=_VARIANT_BASE + i, kind=content) for i in range(count)]
    where = format_size(size)
    notes: dict[str, str | None] = {}
    runs: dict[str, _GalleryRun] = {}
    for contender in CONTENDERS:
        build, notes[contender.key] = factory("gallery", contender, type=type)
        if build is not None:
            folder = workdir / f"gallery-{contender.key}-{content}"
            runs[contender.key] = _GalleryRun(
                contender.gallery_label, build, folder, content
            )
    order = list(runs.values())
    with contextlib.ExitStack() as stack:
        for run in order:
            stack.callback(run.close)
        images = list(base)
        for phase in GALLERY_PHASES:
            progress(f"{content} gallery of {count} x {where}: {phase} postprocess")
            for r in range(repeats):
                if phase == "first":
                    # New pixels every repetition, so no store already holds them.
                    images = [np.roll(img, r, axis=1) if r else img for img in base]
                for run in order[r % len(order) :] + order[: r % len(order)]:
                    run.step(phase, images, check=r == repeats - 1, strict=strict)
        results: list[GalleryResult] = []
        for phase in GALLERY_PHASES:
            row = []
            for contender in CONTENDERS:
                measured = runs.get(contender.key)
                ok = measured is not None and measured.error is None
                row.append(
                    GalleryResult(
                        content=content,
                        phase=phase,
                        contender=contender.key,
                        label=contender.gallery_label,
                        size=where,
                        count=count,
                        available=ok,
                        note=notes[contender.key],
                        error=None if measured is None else measured.error,
                        **(measured.fields(phase) if measured and ok else {}),
                    )
                )
            results.extend(with_ratios(row))
    return results
