"""ImageEditor, AnnotatedImage and ImageSlider hops for ``gradio-lossless bench``.

One row per (content, component, contender): server time per pass-through hop
(``preprocess`` of the payload the previous ``postprocess`` made, then
``postprocess`` of what the function returns), the bytes of every file served, and
whether every image arrived exact. The values, at one size:

* ImageEditor (``type="numpy"``, stock's RGBA mode): an opaque background photo,
  one layer (a translucent rectangle on transparency) and their composite;
* AnnotatedImage: a photo and two masks (a box and a soft disc); the function
  gets the base image's path and returns it with the same masks (what a
  pass-through app does: the masks are drawn by postprocess, as stock draws them);
* ImageSlider (``type="numpy"``): two different photos.

Bytes are counted twice: ``bytes_served``, the files the component serves for
the value (what ``gradio_client`` downloads; the AnnotatedImage base only), and
``bytes_shown``, what a browser showing the value loads, once per file: an
``<img>`` load of each shown image (``serving.image_load``: for ours the display
rendition or the exact PNG, for stock its file; AnnotatedImage's masks included),
except the ImageEditor's, whose canvas fetches the files themselves (Sec-Fetch-Dest
``empty``, so the exact PNGs for ours: the canvas edits the pixels it holds).

Exact means every image the function received equals what the previous
postprocess was given (the AnnotatedImage base: its file's pixels equal the
photo), on every hop; ``served_files_exact`` means every served image file,
decoded by plain Pillow, holds exactly those pixels.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image

from gradio_lossless.tools.bench.contenders import (
    CONTENDERS,
    Contender,
    cache_dir,
    compare,
    file_matches,
    warning_texts,
    with_ratios,
)
from gradio_lossless.tools.bench.hops import no_gc_pause
from gradio_lossless.tools.bench.images import ContentKind, Size, format_size, photo

__all__ = ["COMPONENTS", "ComponentResult", "measure_components"]

COMPONENTS: tuple[str, ...] = ("ImageEditor", "AnnotatedImage", "ImageSlider")
_MODULES = {
    "ImageEditor": "image_editor",
    "AnnotatedImage": "annotated_image",
    "ImageSlider": "imageslider",
}


@dataclass(frozen=True)
class ComponentResult:
    """One (content, component, contender) row; times are medians in ms over the
    timed hops (after one warm-up hop). ``images`` is how many images one value
    holds (served files counted in ``bytes_served``, summed)."""

    content: str
    size: str
    component: str
    contender: str
    label: str
    available: bool
    images: int = 0
    note: str | None = None
    ms: float | None = None
    preprocess_ms: float | None = None
    postprocess_ms: float | None = None
    samples_ms: tuple[float, ...] = ()
    hops: int = 0
    bytes_served: int | None = None
    bytes_shown: int | None = None
    bit_exact: bool | None = None
    served_files_exact: bool | None = None
    max_abs_diff: int | None = None
    warnings: tuple[str, ...] = ()
    vs_stock_webp: float | None = None
    error: str | None = None


def _editor_value(size: Size, content: ContentKind) -> dict[str, Any]:
    width, height = size
    opaque = np.full((height, width, 1), 255, np.uint8)
    background = np.concatenate([photo(size, variant=0, kind=content), opaque], 2)
    layer = np.zeros((height, width, 4), np.uint8)
    layer[height // 4 : height // 2, width // 4 : width // 2] = (200, 30, 60, 128)
    composite = np.asarray(
        PIL.Image.alpha_composite(
            PIL.Image.fromarray(background), PIL.Image.fromarray(layer)
        )
    )
    return {"background": background, "layers": [layer], "composite": composite}


def _masks(size: Size) -> list[tuple[Any, str]]:
    width, height = size
    y, x = np.ogrid[:height, :width]
    r = np.hypot(y - height / 2, x - width / 2) / (min(width, height) / 3)
    disc = np.clip(1 - r, 0, 1)
    box = (width // 8, height // 8, width // 3, height // 3)
    return [(box, "box"), (disc, "disc")]


class _Case:
    """One contender's pass-through chain of one component."""

    def __init__(self, name: str, build: Any, size: Size, content: ContentKind):
        self.name = name
        self.component = build
        self.masks = _masks(size)
        if name == "ImageEditor":
            self.sent: Any = _editor_value(size, content)
        elif name == "AnnotatedImage":
            self.sent = (photo(size, variant=0, kind=content), self.masks)
            self.base = self.sent[0]
        else:
            self.sent = tuple(photo(size, variant=v, kind=content) for v in (0, 1))
        self.data = self.component.postprocess(self.sent)
        self.pre_ns: list[int] = []
        self.post_ns: list[int] = []
        self.exact = True
        self.worst: int | None = 0
        self.seen: list[warnings.WarningMessage] = []

    def _payload(self) -> Any:
        from gradio.data_classes import FileData, ImageData

        d = self.data
        if self.name == "ImageEditor":
            return type(d)(
                background=FileData(path=d.background.path),
                layers=[FileData(path=f.path) for f in d.layers],
                composite=FileData(path=d.composite.path),
            )
        if self.name == "AnnotatedImage":
            return d
        return type(d)(root=tuple(ImageData(path=f.path) for f in d.root))

    def images(self) -> list[tuple[Any, Any]]:
        """(what the function got, what it should have got) for every image."""
        if self.name == "ImageEditor":
            got, sent = self.received, self.sent
            return [
                (got["background"], sent["background"]),
                *zip(got["layers"], sent["layers"], strict=False),
                (got["composite"], sent["composite"]),
            ]
        if self.name == "AnnotatedImage":
            with PIL.Image.open(self.received[0]) as im:
                return [(np.asarray(im), self.base)]
        return list(zip(self.received, self.sent, strict=True))

    def served(self) -> list[str]:
        d = self.data
        if self.name == "ImageEditor":
            return [d.background.path, *(f.path for f in d.layers), d.composite.path]
        if self.name == "AnnotatedImage":
            return [d.image.path]  # the masks: PNGs, drawn as stock draws them
        return [f.path for f in d.root]

    def shown_bytes(self) -> int:
        """What a browser showing the value loads, each file once (module docstring)."""
        from gradio_lossless.serving.image_load import image_load

        if self.name == "ImageEditor":
            return sum(os.path.getsize(f) for f in set(self.served()))
        files = self.served()
        if self.name == "AnnotatedImage":
            files += [a.image.path for a in self.data.annotations]
        return sum(image_load(f).nbytes for f in set(files))

    def step(self, *, timed: bool) -> None:
        payload = self._payload()
        with warnings.catch_warnings(record=True) as seen, no_gc_pause():
            warnings.simplefilter("always")
            t0 = time.perf_counter_ns()
            self.received = self.component.preprocess(payload)
            t1 = time.perf_counter_ns()
            out = self.received
            if self.name == "AnnotatedImage":
                out = (self.received[0], self.masks)
            t2 = time.perf_counter_ns()
            self.data = self.component.postprocess(out)
            t3 = time.perf_counter_ns()
        self.seen.extend(seen)
        if timed:
            self.pre_ns.append(t1 - t0)
            self.post_ns.append(t3 - t2)
        for got, want in self.images():
            same, diff = compare(got, want)
            self.exact = self.exact and same
            worst = self.worst
            self.worst = None if diff is None or worst is None else max(worst, diff)
        if self.name != "AnnotatedImage":
            self.sent = out

    def fields(self) -> dict[str, Any]:
        total = [a + b for a, b in zip(self.pre_ns, self.post_ns, strict=True)]
        files = self.served()
        wants = [want for _, want in self.images()]
        return {
            "images": len(files),
            "ms": round(statistics.median(total) / 1e6, 3),
            "preprocess_ms": round(statistics.median(self.pre_ns) / 1e6, 3),
            "postprocess_ms": round(statistics.median(self.post_ns) / 1e6, 3),
            "samples_ms": tuple(round(t / 1e6, 3) for t in total),
            "hops": len(total) + 1,
            "bytes_served": sum(os.path.getsize(f) for f in files),
            "bytes_shown": self.shown_bytes(),
            "bit_exact": self.exact,
            "served_files_exact": all(
                file_matches(f, w) for f, w in zip(files, wants, strict=True)
            ),
            "max_abs_diff": self.worst,
        }


def _builder(name: str, contender: Contender) -> Callable[[Path], Any]:
    if contender.lossless:
        module = importlib.import_module(f"gradio_lossless.components.{_MODULES[name]}")
        cls = getattr(module, name)
    else:
        import gradio as gr

        cls = getattr(gr, name)
    kwargs: dict[str, Any] = {} if name == "AnnotatedImage" else {"type": "numpy"}
    if contender.format is not None:
        kwargs["format"] = contender.format

    def build(cache: Path) -> Any:
        component = cls(**kwargs)
        component.GRADIO_CACHE = str(cache)
        return component

    return build


def _label(name: str, contender: Contender) -> str:
    if contender.lossless:
        return f"gradio_lossless.{name}()"
    return f"gr.{name}(format={contender.format!r})"


def _start(
    name: str,
    contender: Contender,
    folder: Path,
    stack: contextlib.ExitStack,
    size: Size,
    content: ContentKind,
) -> _Case:
    stack.enter_context(cache_dir(folder))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        case = _Case(name, _builder(name, contender)(folder), size, content)
    case.seen.extend(seen)
    return case


def _measure_one(
    name: str,
    size: Size,
    content: ContentKind,
    repeats: int,
    workdir: Path,
    strict: bool,
) -> list[ComponentResult]:
    where = format_size(size)
    rows: dict[str, ComponentResult] = {}
    cases: dict[str, _Case] = {}

    def fail(key: str, exc: Exception) -> None:
        error = (
            f"{rows[key].label} failed on a {content} {where} hop: "
            f"{exc.__class__.__name__}: {exc}"
        )
        if strict:
            raise RuntimeError(error) from exc
        rows[key] = replace(rows[key], error=error)
        cases.pop(key, None)

    with contextlib.ExitStack() as stack:
        for contender in CONTENDERS:
            key = contender.key
            label = _label(name, contender)
            rows[key] = ComponentResult(content, where, name, key, label, False)
            folder = workdir / f"{name}-{key}-{content}-{where}"
            try:
                cases[key] = _start(name, contender, folder, stack, size, content)
            except Exception as exc:
                fail(key, exc)
        for r in range(repeats + 1):  # round 0 is the warm-up
            keys = list(cases)
            first = r % len(keys) if keys else 0
            for key in keys[first:] + keys[:first]:
                try:
                    cases[key].step(timed=r > 0)
                except Exception as exc:
                    fail(key, exc)
        for key, case in cases.items():
            rows[key] = replace(
                rows[key],
                available=True,
                warnings=warning_texts(case.seen),
                **case.fields(),
            )
    return with_ratios(list(rows.values()))


def measure_components(
    size: Size,
    *,
    content: ContentKind,
    repeats: int,
    workdir: Path,
    strict: bool = False,
    progress: Callable[[str], None] = lambda _: None,
    components: Sequence[str] = COMPONENTS,
) -> list[ComponentResult]:
    """Time pass-through hops of each component for every contender: the
    contenders' chains of one component interleaved hop by hop, a warm-up hop
    then ``repeats`` timed ones, as ``hops.measure_hops`` runs them.

    Raises:
        RuntimeError: with ``strict``, a component raised.
    """
    results: list[ComponentResult] = []
    for name in components:
        progress(f"{content} {format_size(size)} {name} hops")
        results += _measure_one(name, size, content, repeats, workdir, strict)
    return results
