"""Image hops for ``gradio-lossless bench``.

A hop is what a Gradio worker does when an output image comes back as the next
input: ``preprocess`` of the payload the browser sends (the served file's path),
the function, then ``postprocess`` of what the function returned. Server time per
hop is preprocess + postprocess; the function itself is not timed.

A chain starts with an untimed ``postprocess(initial)``, then runs one warm-up
hop and ``repeats`` timed hops. In a pass-through chain the function returns its
input; in a modified chain it returns the input shifted right by one pixel (new
pixels every hop, computed outside the timed region).
"""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import PIL.Image
import PIL.ImageChops

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
from gradio_lossless.tools.bench.images import ContentKind, Size, format_size, photo

__all__ = ["HOP_KINDS", "HopKind", "HopResult", "measure_hops", "no_gc_pause"]

HopKind: TypeAlias = Literal["pass-through", "modified"]
HOP_KINDS: tuple[HopKind, ...] = ("pass-through", "modified")


@dataclass(frozen=True)
class HopResult:
    """One (content, size, hop kind, contender) cell of the image-hop benchmark.

    Times are medians over the timed hops, in milliseconds. ``bit_exact`` is True
    when every hop (warm-up included) handed the function exactly the value the
    previous postprocess was given: same pixels, same dtype and shape (numpy) or
    mode and size (PIL); for a pass-through chain that also means the last value
    equals the original. ``max_abs_diff`` is the largest per-pixel difference seen
    on any hop, in 8-bit levels (None when shapes differed). ``bytes_served`` is
    the size of the last served file; ``served_file_exact`` says whether that file,
    decoded by plain Pillow, holds exactly the last returned value (what an API
    client or another server process gets). ``vs_stock_webp`` is stock webp's median
    divided by this one's (above 1 means faster). ``error`` is set, and
    ``available`` False, when the component raised during the chain. ``content``
    is the kind of test image (``resized`` or ``tiled``, see ``bench_images``).
    """

    content: str
    size: str
    hop: HopKind
    contender: str
    label: str
    type: str
    available: bool
    note: str | None = None
    ms: float | None = None
    preprocess_ms: float | None = None
    postprocess_ms: float | None = None
    samples_ms: tuple[float, ...] = ()
    hops: int = 0
    bytes_served: int | None = None
    served_suffix: str | None = None
    served_file_exact: bool | None = None
    bit_exact: bool | None = None
    max_abs_diff: int | None = None
    warnings: tuple[str, ...] = ()
    vs_stock_webp: float | None = None
    error: str | None = None


def _modify(value: object) -> object:
    """New pixels for a modified hop: the image shifted right by one pixel."""
    if isinstance(value, PIL.Image.Image):
        return PIL.ImageChops.offset(value, 1, 0)
    return np.roll(np.asarray(value), 1, axis=1)


@contextlib.contextmanager
def no_gc_pause() -> Iterator[None]:
    """No garbage-collection pause inside a timed block: the young generations are
    collected before it (cheap, unlike a full collection of a large heap, ~0.1 s
    under pytest) and the collector is off while it runs."""
    gc.collect(1)
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _ms(ns: float) -> float:
    return round(ns / 1e6, 3)


class _Chain:
    """One contender's hop chain; hops are run one at a time, interleaved."""

    def __init__(
        self,
        label: str,
        build: ComponentFactory,
        folder: Path,
        initial: object,
        hop: HopKind,
    ) -> None:
        self.label = label
        self.hop = hop
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self._component = build(folder)
            self._data = self._component.postprocess(initial)
        self.warnings: list[warnings.WarningMessage] = list(caught)
        self._sent = initial
        self.pre_ns: list[int] = []
        self.post_ns: list[int] = []
        self.exact = True
        self.worst: int | None = 0

    def step(self, *, timed: bool) -> None:
        """One hop: preprocess the served file, the function, postprocess."""
        from gradio.data_classes import ImageData

        component = self._component
        payload = ImageData(path=self._data.path, orig_name=self._data.orig_name)
        with warnings.catch_warnings(record=True) as caught, no_gc_pause():
            warnings.simplefilter("always")
            t0 = time.perf_counter_ns()
            value = component.preprocess(payload)
            if isinstance(value, PIL.Image.Image):
                value.load()  # PIL opens lazily; a function using the pixels decodes
            t1 = time.perf_counter_ns()
            out = _modify(value) if self.hop == "modified" else value
            t2 = time.perf_counter_ns()
            self._data = component.postprocess(out)
            t3 = time.perf_counter_ns()
        self.warnings.extend(caught)
        if timed:
            self.pre_ns.append(t1 - t0)
            self.post_ns.append(t3 - t2)
        same, diff = compare(value, self._sent)  # after postprocess: never timed
        self.exact = self.exact and same
        self.worst = (
            None if diff is None or self.worst is None else max(self.worst, diff)
        )
        self._sent = out

    def fields(self) -> dict[str, Any]:
        """The measured HopResult fields."""
        total = [a + b for a, b in zip(self.pre_ns, self.post_ns, strict=True)]
        return {
            "ms": _ms(statistics.median(total)),
            "preprocess_ms": _ms(statistics.median(self.pre_ns)),
            "postprocess_ms": _ms(statistics.median(self.post_ns)),
            "samples_ms": tuple(_ms(t) for t in total),
            "hops": len(total) + 1,
            "bytes_served": os.path.getsize(self._data.path),
            "served_suffix": Path(self._data.path).suffix,
            "served_file_exact": file_matches(self._data.path, self._sent),
            "bit_exact": self.exact,
            "max_abs_diff": self.worst,
            "warnings": warning_texts(self.warnings),
        }


def _failure(label: str, where: str, exc: Exception) -> str:
    return f"{label} failed on {where}: {exc.__class__.__name__}: {exc}"


def _run_case(
    chains: Sequence[_Chain], *, repeats: int, where: str, strict: bool
) -> dict[str, str]:
    """Warm up every chain, then time ``repeats`` hops of each, round-robin with a
    rotating start so that load changes on a busy machine hit all contenders.

    Returns:
        label -> error message for chains whose component raised (they stop there);
        with ``strict`` the first such error is raised instead.
    """
    errors: dict[str, str] = {}
    for r in range(repeats + 1):  # round 0 is the warm-up
        start = r % len(chains)
        for chain in [*chains[start:], *chains[:start]]:
            if chain.label in errors:
                continue
            try:
                chain.step(timed=r > 0)
            except Exception as exc:
                errors[chain.label] = _failure(chain.label, where, exc)
                if strict:
                    raise RuntimeError(errors[chain.label]) from exc
    return errors


def measure_hops(
    sizes: Sequence[Size],
    *,
    content: ContentKind,
    type: BenchType,
    repeats: int,
    workdir: Path,
    strict: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> list[HopResult]:
    """Time pass-through and modified hops for every contender and size.

    The contenders' chains of one case run interleaved, hop by hop.

    Parameters:
        sizes: (width, height) of the photo-like RGB test images.
        content: which kind of test image (see ``bench_images.photo``).
        type: the components' ``type`` (``"numpy"`` or ``"pil"``).
        repeats: timed hops per chain, after one untimed warm-up hop.
        workdir: scratch folder; each chain gets its own cache subfolder, removed
            when the case ends.
        strict: raise when a component raises, instead of recording the error in
            its row and carrying on with the other contenders.
        progress: called with a short line before each case.
    Returns:
        One HopResult per (size, hop kind, contender), in that order.
    Raises:
        RuntimeError: with ``strict``, a component raised; the message names which
            and where.
    """
    results: list[HopResult] = []
    for size in sizes:
        array = photo(size, variant=0, kind=content)
        initial: object = PIL.Image.fromarray(array) if type == "pil" else array
        where = format_size(size)
        for hop in HOP_KINDS:
            progress(f"{content} {where} {hop} hops")
            rows: dict[str, HopResult] = {}
            chains: dict[str, _Chain] = {}
            with contextlib.ExitStack() as stack:
                for contender in CONTENDERS:
                    label = contender.image_label
                    rows[contender.key] = HopResult(
                        content=content,
                        size=where,
                        hop=hop,
                        contender=contender.key,
                        label=label,
                        type=type,
                        available=False,
                    )
                    build, note = factory("image", contender, type=type)
                    if build is None:
                        rows[contender.key] = replace(rows[contender.key], note=note)
                        continue
                    folder = workdir / f"image-{contender.key}-{content}-{where}-{hop}"
                    stack.enter_context(cache_dir(folder))
                    try:
                        chains[contender.key] = _Chain(
                            label, build, folder, initial, hop
                        )
                    except Exception as exc:
                        error = _failure(
                            label, f"{content} {where} {hop} (first postprocess)", exc
                        )
                        if strict:
                            raise RuntimeError(error) from exc
                        rows[contender.key] = replace(rows[contender.key], error=error)
                errors = _run_case(
                    list(chains.values()),
                    repeats=repeats,
                    where=f"a {content} {where} {hop} hop",
                    strict=strict,
                )
                for key, chain in chains.items():
                    if chain.label in errors:
                        rows[key] = replace(rows[key], error=errors[chain.label])
                    else:
                        rows[key] = replace(rows[key], available=True, **chain.fields())
            results.extend(with_ratios(list(rows.values())))
    return results
