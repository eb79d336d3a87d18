"""Display renditions: bytes, encode time and loss of each candidate browser format,
against stock Gradio's WebP quality 80 (Pillow's default method 4), on photo-like
content at full resolution and with a capped long side.

    python -m benchmarks.renditions          # 3840x2160 and 1920x1080, tiled
    python -m benchmarks.renditions --content tiled,resized --repeat 5

Times are the fastest of ``--repeat`` runs in this process (the machine is shared:
the minimum is the least disturbed run), and include the downscale of capped
candidates. PSNR is against the exact pixels at the candidate's own size (for a
capped candidate: the same downscale of the exact pixels), so it measures the
codec's loss, not the downscale's. ``× stock`` is bytes over stock WebP q80's bytes
of the same image at full resolution (the issue's bound: at most 1.25×). The row
marked "(chosen)" is what ``display="rendition"`` serves
(``gradio_lossless.serving.renditions.RENDITION``), downscaled the same way.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import PIL
import PIL.features
import PIL.Image

from gradio_lossless.serving.renditions import RENDITION, downscale
from gradio_lossless.tools.bench.images import CONTENT_KINDS, photo
from gradio_lossless.tools.bench.sizes import format_size, parse_size


@dataclass(frozen=True)
class Candidate:
    name: str
    pillow_format: str
    options: dict[str, object]
    cap: int | None = None  # long side of the rendition, None: full resolution


STOCK = Candidate("webp q80 m4 (stock)", "WEBP", {"quality": 80})
CAP = RENDITION.cap
CANDIDATES = (
    STOCK,
    Candidate("webp q80 m2", "WEBP", {"quality": 80, "method": 2}),
    Candidate("webp q80 m0", "WEBP", {"quality": 80, "method": 0}),
    Candidate("avif q60 s10", "AVIF", {"quality": 60, "speed": 10}),
    Candidate("avif q75 s6 (Pillow's default)", "AVIF", {"quality": 75}),
    Candidate("jpeg q75", "JPEG", {"quality": 75}),
    Candidate("jpeg q80", "JPEG", {"quality": 80}),
    Candidate("jpeg q85", "JPEG", {"quality": 85}),
    Candidate("webp q80 m2 (chosen)", "WEBP", dict(RENDITION.options), cap=CAP),
    Candidate("webp q80 m0", "WEBP", {"quality": 80, "method": 0}, cap=CAP),
    Candidate("webp q80 m4", "WEBP", {"quality": 80}, cap=CAP),
    Candidate("jpeg q85", "JPEG", {"quality": 85}, cap=CAP),
    Candidate("jpeg q90", "JPEG", {"quality": 90}, cap=CAP),
)


def encode(im: PIL.Image.Image, c: Candidate) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        downscale(im, c.cap).save(buf, c.pillow_format, **c.options)  # type: ignore[arg-type]
    return buf.getvalue()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def fastest(fn: Callable[[], bytes], repeat: int) -> tuple[bytes, float]:
    times, data = [], b""
    for _ in range(repeat):
        start = time.perf_counter()
        data = fn()
        times.append(time.perf_counter() - start)
    return data, min(times)


def available(c: Candidate) -> bool:
    feature = {"WEBP": "webp", "AVIF": "avif", "JPEG": "jpg"}[c.pillow_format]
    return bool(PIL.features.check(feature))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3840x2160,1920x1080")
    parser.add_argument("--content", default="tiled")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    kinds = [k.strip() for k in args.content.split(",")]
    for kind in kinds:
        if kind not in CONTENT_KINDS:
            parser.error(f"unknown content {kind!r}; expected {CONTENT_KINDS}")
    print(
        f"Pillow {PIL.__version__} (libwebp {PIL.features.version('webp')}, "
        f"libavif {PIL.features.version('avif')}, libjpeg-turbo "
        f"{PIL.features.version('libjpeg_turbo')}), Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}; fastest of {args.repeat}"
    )
    print()
    print("| content | size | candidate | long side | kB | × stock | ms | PSNR dB |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for kind in kinds:
        for size in sizes:
            pixels = photo(size, kind=kind)  # type: ignore[arg-type]
            im = PIL.Image.fromarray(pixels)
            stock_bytes = 0
            for c in CANDIDATES:
                capped = c.cap is not None and max(size) > c.cap
                if c.cap is not None and not capped and "(chosen)" not in c.name:
                    continue  # the same as its full-resolution row
                if not available(c):
                    print(f"| {kind} | {format_size(size)} | {c.name} | unavailable |")
                    continue
                data, seconds = fastest(lambda c=c, im=im: encode(im, c), args.repeat)
                if c is STOCK:
                    stock_bytes = len(data)
                reference = np.asarray(downscale(im, c.cap))
                with PIL.Image.open(io.BytesIO(data)) as shown:
                    decoded = np.asarray(shown.convert("RGB"))
                print(
                    f"| {kind} | {format_size(size)} | {c.name} | "
                    f"{max(reference.shape[:2])} | {len(data) / 1000:,.1f} | "
                    f"{len(data) / stock_bytes:.2f} | {seconds * 1000:,.0f} | "
                    f"{psnr(reference, decoded):.1f} |"
                )


if __name__ == "__main__":
    main()
