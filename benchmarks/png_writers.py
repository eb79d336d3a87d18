"""PNG writers for 8-bit RGB: file size against encode speed (issue 13, item 6).

    python -m benchmarks.png_writers                      # every size and content
    python -m benchmarks.png_writers --sizes 1920x1080 --content tiled --repeats 5

Prints one markdown table: for each content, size and writer, the file's bytes (and
bytes a pixel), the encode time and Pillow's decode time of the file (what the next
hop pays), each the fastest of --repeats single-thread calls; then whether each
writer lets other Python threads run while it encodes. Every file is decoded and
compared with the source pixels first; a writer whose file is not exact is reported,
not timed. No assertions on time.

Writers (optional ones are listed as "not installed" when their package is absent;
none of them is a dependency of gradio-lossless):

* ``fpng``: what ``codecs/fast_png.py`` uses today.
* ``pillow N``: Pillow's PNG writer at ``compress_level=N`` (adaptive filters; its
  zlib is the one its wheel bundles).
* ``libpng fast``: imagecodecs' libpng at level 1, RLE strategy, Sub filter (the
  settings OpenCV uses for speed). ``pip install imagecodecs``
* ``F+LIB N``: the rows filtered with numpy by one PNG filter F (``up``, ``avg``,
  ``paeth``), then deflated by LIB at level N: ``zlib`` (the standard library),
  ``zlib-ng`` (``pip install zlib-ng``), ``isal`` (``pip install isal``),
  ``libdeflate`` (``pip install deflate``).

Content: the bench's photo-like images (``tiled``, ``resized``; see
``gradio_lossless.tools.bench.images``) and ``plot``, a matplotlib line plot: the
kind of compressible graphic where deflate's effort pays most.

GIL: a pure-Python loop runs in the main thread while a worker thread encodes the
3840x2160 tiled image once; the loop's longest pause is the longest time the writer
kept every other Python thread of the process waiting. "held" when that pause is
more than half the encode.
"""

from __future__ import annotations

import argparse
import importlib
import io
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import PIL.Image

from gradio_lossless.tools.bench.images import format_size, parse_size, photo

Array = npt.NDArray[np.uint8]
Encoder = Callable[[Array], bytes]

SIZES = ("512x512", "1920x1080", "3840x2160")
CONTENTS = ("tiled", "resized", "plot")
TIME_BUDGET_S = 4.0  # per cell: fewer repeats for slow writers


# --- a minimal PNG writer around any deflate ------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _rows(a: Array, kind: int, residual: Array) -> Array:
    height, width, channels = a.shape
    out = np.empty((height, width * channels + 1), np.uint8)
    out[:, 0] = kind
    out[:, 1:] = residual.reshape(height, width * channels)
    return out


def filter_up(a: Array) -> Array:
    """PNG filter 2 (Up) on every row: the byte minus the byte above."""
    flat = a.reshape(a.shape[0], -1)
    res = np.empty_like(flat)
    res[0] = flat[0]
    np.subtract(flat[1:], flat[:-1], out=res[1:])
    return _rows(a, 2, res)


def _neighbours(a: Array) -> tuple[npt.NDArray[np.int16], ...]:
    """Each byte and its left, up and up-left neighbours (0 outside), as int16."""
    c = a.shape[2]
    x = a.reshape(a.shape[0], -1).astype(np.int16)
    left = np.zeros_like(x)
    left[:, c:] = x[:, :-c]
    up = np.zeros_like(x)
    up[1:] = x[:-1]
    up_left = np.zeros_like(x)
    up_left[1:, c:] = x[:-1, :-c]
    return x, left, up, up_left


def filter_avg(a: Array) -> Array:
    """PNG filter 3 (Average): the byte minus the mean of left and up."""
    x, left, up, _ = _neighbours(a)
    return _rows(a, 3, (x - ((left + up) >> 1)).astype(np.uint8))


def filter_paeth(a: Array) -> Array:
    """PNG filter 4 (Paeth): the byte minus Paeth's predictor."""
    x, left, up, up_left = _neighbours(a)
    pa = np.abs(up - up_left)
    pb = np.abs(left - up_left)
    pc = np.abs(left + up - 2 * up_left)
    pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, up_left))
    return _rows(a, 4, (x - pred).astype(np.uint8))


FILTERS: dict[str, Callable[[Array], Array]] = {
    "up": filter_up,
    "avg": filter_avg,
    "paeth": filter_paeth,
}


def filtered_png(deflate: Callable[[bytes], bytes], filt: str) -> Encoder:
    def encode(a: Array) -> bytes:
        height, width, channels = a.shape
        ihdr = struct.pack(
            ">IIBBBBB", width, height, 8, 2 if channels == 3 else 6, 0, 0, 0
        )
        idat = deflate(FILTERS[filt](a).tobytes())
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", idat)
            + _chunk(b"IEND", b"")
        )

    return encode


# --- the writers --------------------------------------------------------------------


def _pillow(level: int) -> Encoder:
    def encode(a: Array) -> bytes:
        buf = io.BytesIO()
        PIL.Image.fromarray(a).save(buf, "PNG", compress_level=level)
        return buf.getvalue()

    return encode


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


# (filter, deflate library and level): the cheap filters with the fast libraries,
# and the best filter with the stronger ones
COMBOS = (
    ("up", "zlib", 1),
    ("up", "zlib-ng", 2),
    ("up", "isal", 1),
    ("avg", "isal", 1),
    ("avg", "isal", 3),
    ("avg", "libdeflate", 1),
    ("paeth", "isal", 1),
    ("paeth", "libdeflate", 6),
)


def _deflater(lib: str, level: int) -> Callable[[bytes], bytes] | str:
    """A zlib-stream compressor from ``lib`` at ``level``, or why it is missing."""
    if lib == "zlib":
        return lambda data: zlib.compress(data, level)
    module, package, name = {
        "zlib-ng": ("zlib_ng.zlib_ng", "zlib-ng", "compress"),
        "isal": ("isal.isal_zlib", "isal", "compress"),
        "libdeflate": ("deflate", "deflate", "zlib_compress"),
    }[lib]
    found = _optional(module)
    if found is None:
        return f"not installed (pip install {package})"
    compress = getattr(found, name)
    return lambda data: bytes(compress(data, level))


def writers() -> dict[str, Encoder | str]:
    """Name -> encoder, or -> why it is missing."""
    out: dict[str, Encoder | str] = {}
    fpng = _optional("fpng")
    out["fpng"] = (
        (lambda a: bytes(fpng.from_ndarray(a))) if fpng else "not installed (fpng)"
    )
    for level in (1, 6, 9):
        out[f"pillow {level}"] = _pillow(level)
    ic = _optional("imagecodecs")
    out["libpng fast"] = (
        (lambda a: bytes(ic.png_encode(a, level=1, strategy=3, filter=16)))
        if ic
        else "not installed (pip install imagecodecs)"
    )
    for filt, lib, level in COMBOS:
        deflate = _deflater(lib, level)
        name = f"{filt}+{lib} {level}"
        out[name] = deflate if isinstance(deflate, str) else filtered_png(deflate, filt)
    return out


# --- content --------------------------------------------------------------------


def plot(size: tuple[int, int]) -> Array:
    """A matplotlib line plot of ``size``, RGB."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width, height = size
    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
    ax = fig.add_subplot(111)
    x = np.linspace(0, 10, 2000)
    for k in range(5):
        ax.plot(x, np.sin(x * (k + 1)) + k, lw=1.5)
    ax.set_title("five sines")
    ax.grid(True)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    plt.close(fig)
    return np.ascontiguousarray(rgba[..., :3])


def content(kind: str, size: tuple[int, int]) -> Array:
    return plot(size) if kind == "plot" else photo(size, kind=kind)


# --- measuring ------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    content: str
    size: str
    writer: str
    nbytes: int
    bytes_per_pixel: float
    encode_ms: float
    decode_ms: float


def _timed(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` calls, in seconds (fewer calls once TIME_BUDGET_S
    is spent): on a shared machine the fastest call is the closest to the writer's
    own cost."""
    times: list[float] = []
    spent = 0.0
    while len(times) < repeats and (spent < TIME_BUDGET_S or not times):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return min(times)


def _decode(data: bytes) -> Array:
    with PIL.Image.open(io.BytesIO(data)) as im:
        return np.asarray(im)


def measure(kind: str, a: Array, name: str, enc: Encoder, repeats: int) -> Cell | str:
    size = (a.shape[1], a.shape[0])
    data = enc(a)  # also the warm-up
    if not np.array_equal(_decode(data), a):
        return "NOT EXACT"
    encode_s = _timed(lambda: enc(a), repeats)
    decode_s = _timed(lambda: _decode(data), repeats)
    pixels = size[0] * size[1]
    return Cell(
        kind,
        format_size(size),
        name,
        len(data),
        len(data) / pixels,
        encode_s * 1e3,
        decode_s * 1e3,
    )


def longest_stall(enc: Encoder, a: Array) -> tuple[float, float]:
    """(longest pause of a pure-Python loop in the main thread, encode time), in
    seconds, while ``enc`` runs once in a worker thread. A writer that holds the
    GIL stalls the loop for its whole encode; one that releases it, for at most
    about the interpreter's switch interval (5 ms)."""
    done = threading.Event()
    took = [0.0]

    def work() -> None:
        start = time.perf_counter()
        enc(a)
        took[0] = time.perf_counter() - start
        done.set()

    worker = threading.Thread(target=work)
    last = time.perf_counter()
    worst = 0.0
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        worst = max(worst, now - last)
        last = now
    worker.join()
    return worst, took[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--content", default=",".join(CONTENTS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--writers", default="", help="comma-separated names (default: all)"
    )
    args = parser.parse_args(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    kinds = args.content.split(",")
    chosen = set(filter(None, args.writers.split(",")))
    all_writers = {n: w for n, w in writers().items() if not chosen or n in chosen}

    print(
        "| content | size | writer | bytes | B/px | vs fpng | encode ms | vs fpng "
        "| decode ms |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for kind in kinds:
        for size in sizes:
            base: Cell | None = None
            a = content(kind, size)
            for name, enc in all_writers.items():
                if isinstance(enc, str):
                    continue
                cell = measure(kind, a, name, enc, args.repeats)
                if isinstance(cell, str):
                    print(
                        f"| {kind} | {format_size(size)} | {name} | {cell} | | | | | |"
                    )
                    continue
                base = cell if name == "fpng" else base
                size_vs = f"{cell.nbytes / base.nbytes - 1:+.1%}" if base else ""
                time_vs = f"{cell.encode_ms / base.encode_ms:.1f}×" if base else ""
                row = [kind, cell.size, name, f"{cell.nbytes:,}"]
                row += [f"{cell.bytes_per_pixel:.2f}", size_vs]
                row += [f"{cell.encode_ms:,.1f}", time_vs, f"{cell.decode_ms:,.1f}"]
                print("| " + " | ".join(row) + " |", flush=True)

    print()
    print("| writer | longest stall of a Python thread | encode, 3840x2160 | GIL |")
    print("|---|---:|---:|---|")
    sample = content("tiled", (3840, 2160))
    for name, enc in all_writers.items():
        if isinstance(enc, str):
            print(f"| {name} | | | {enc} |")
            continue
        stall, took = longest_stall(enc, sample)
        held = "held" if stall > 0.5 * took else "released"
        row = [name, f"{stall * 1e3:,.1f} ms", f"{took * 1e3:,.1f} ms", held]
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
