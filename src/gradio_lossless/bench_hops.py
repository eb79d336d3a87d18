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
import PIL.Image
import PIL.ImageChops

from gradio_lossless.bench_contenders import (
    CONTENDERS,
    BenchType,
    cache_dir,
    compare,
    factory,
    warning_texts,
    with_ratios,
)
from gradio_lossless.bench_images import Size, format_size, photo

__all__ = ["HOP_KINDS", "HopKind", "HopResult", "measure_hops"]

HopKind: TypeAlias = Literal["pass-through", "modified"]
HOP_KINDS: tuple[HopKind, ...] = ("pass-through", "modified")


@dataclass(frozen=True)
class HopResult:
    """One (size, hop kind, contender) cell of the image-hop benchmark.

    Times are medians over the timed hops, in milliseconds. ``bit_exact`` is True
    when every hop (warm-up included) handed the function exactly the value the
    previous postprocess was given: same pixels, same dtype and shape (numpy) or
    mode and size (PIL); for a pass-through chain that also means the last value
    equals the original. ``max_abs_diff`` is the largest per-pixel difference seen
    on any hop, in 8-bit levels (None when shapes differed). ``bytes_served`` is
    the size of the last served file. ``vs_stock_webp`` is stock webp's median
    divided by this one's (above 1 means faster).
    """

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
    bit_exact: bool | None = None
    max_abs_diff: int | None = None
    warnings: tuple[str, ...] = ()
    vs_stock_webp: float | None = None


def _modify(value: object) -> object:
    """New pixels for a modified hop: the image shifted right by one pixel."""
    if isinstance(value, PIL.Image.Image):
        return PIL.ImageChops.offset(value, 1, 0)
    return np.roll(np.asarray(value), 1, axis=1)


def _ms(ns: float) -> float:
    return round(ns / 1e6, 3)


def _chain(
    component: Any, initial: object, *, hop: HopKind, repeats: int
) -> dict[str, Any]:
    """Run one chain; return the measured HopResult fields."""
    from gradio.data_classes import ImageData

    data = component.postprocess(initial)
    sent = initial
    pre_ns: list[int] = []
    post_ns: list[int] = []
    exact, worst, worst_known = True, 0, True
    for i in range(repeats + 1):  # hop 0 is the warm-up
        payload = ImageData(path=data.path, orig_name=data.orig_name)
        gc.collect()
        t0 = time.perf_counter_ns()
        value = component.preprocess(payload)
        if isinstance(value, PIL.Image.Image):
            value.load()  # PIL opens lazily; any function using the pixels decodes
        t1 = time.perf_counter_ns()
        out = _modify(value) if hop == "modified" else value
        t2 = time.perf_counter_ns()
        data = component.postprocess(out)
        t3 = time.perf_counter_ns()
        if i > 0:
            pre_ns.append(t1 - t0)
            post_ns.append(t3 - t2)
        same, diff = compare(value, sent)  # after postprocess: never timed
        exact = exact and same
        if diff is None:
            worst_known = False
        else:
            worst = max(worst, diff)
        sent = out
    total = [a + b for a, b in zip(pre_ns, post_ns, strict=True)]
    return {
        "ms": _ms(statistics.median(total)),
        "preprocess_ms": _ms(statistics.median(pre_ns)),
        "postprocess_ms": _ms(statistics.median(post_ns)),
        "samples_ms": tuple(_ms(t) for t in total),
        "hops": repeats + 1,
        "bytes_served": os.path.getsize(data.path),
        "served_suffix": Path(data.path).suffix,
        "bit_exact": exact,
        "max_abs_diff": worst if worst_known else None,
    }


def measure_hops(
    sizes: Sequence[Size],
    *,
    type: BenchType,
    repeats: int,
    workdir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> list[HopResult]:
    """Time pass-through and modified hops for every contender and size.

    Parameters:
        sizes: (width, height) of the photo-like RGB test images.
        type: the components' ``type`` (``"numpy"`` or ``"pil"``).
        repeats: timed hops per chain, after one untimed warm-up hop.
        workdir: scratch folder; each chain gets its own cache subfolder, removed
            when the chain ends.
        progress: called with a short line before each chain.
    Returns:
        One HopResult per (size, hop kind, contender), in that order.
    Raises:
        RuntimeError: a component failed; the message names which and where.
    """
    results: list[HopResult] = []
    for size in sizes:
        array = photo(size, variant=0)
        initial: object = PIL.Image.fromarray(array) if type == "pil" else array
        where = format_size(size)
        for hop in HOP_KINDS:
            row: list[HopResult] = []
            for contender in CONTENDERS:
                label = contender.image_label
                build, note = factory("image", contender, type=type)
                if build is None:
                    row.append(
                        HopResult(
                            size=where,
                            hop=hop,
                            contender=contender.key,
                            label=label,
                            type=type,
                            available=False,
                            note=note,
                        )
                    )
                    continue
                progress(f"{where} {hop} hop: {label}")
                folder = workdir / f"image-{contender.key}-{where}-{hop}"
                with cache_dir(folder), warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        fields = _chain(
                            build(folder), initial, hop=hop, repeats=repeats
                        )
                    except Exception as exc:
                        raise RuntimeError(
                            f"{label} failed on a {where} {hop} hop: "
                            f"{exc.__class__.__name__}: {exc}"
                        ) from exc
                row.append(
                    HopResult(
                        size=where,
                        hop=hop,
                        contender=contender.key,
                        label=label,
                        type=type,
                        available=True,
                        warnings=warning_texts(caught),
                        **fields,
                    )
                )
            results.extend(with_ratios(row))
    return results
