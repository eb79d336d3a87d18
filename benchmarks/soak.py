"""Soak: N concurrent gradio_client users hop images through a real server, T seconds.

    python -m benchmarks.soak --users 16 --seconds 300 --json soak.json

The server is a separate process (``benchmarks.server_process``) serving
``build_app``: gradio_lossless Image endpoints for numpy and pil and a Gallery
endpoint. Each user is a thread with its own ``gradio_client.Client``. It keeps a
chain: it uploads a value it made (an exact PNG it encoded, or a plain PNG of a uint8
array), then hops the file it downloaded back through the same endpoint, either
unchanged ("same") or modified ("roll": shifted one pixel right, a new value each
time). It knows what it sent and what the function does, so it checks every value it
downloads, read with ``gradio_lossless.read``, bit-exact against what it expects.
Sizes are mixed up to 3840×2160, weighted toward small ones.

Prints requests served, errors (with the first messages), inexact values, p50/p99
hop latency (client side: upload + queue + function + download + read), the server's
peak RSS (``VmHWM``) against its limit (idle RSS + memory cache limit + work budget +
what running functions hold, see ``run_soak``), the memory cache's and the work
budget's peaks, and the bytes on disk under ``<cache>/lossless`` against the disk
limit. Exit code 0 when every hop succeeded bit-exact and RSS and disk stayed under
their limits, 1 otherwise, 2 when the server could not start. Loopback only;
bounded by ``--seconds`` (and ``--max-hops``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image

if __package__ in (None, ""):  # run as a script: python benchmarks/soak.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.server_process import ServerProcess, proc_status_kib, tree_bytes

__all__ = ["OPS", "SoakResult", "build_app", "main", "make_value", "run_soak"]

# (height, width): weight. Most hops are small; about 1 in 20 is 4K.
SIZES: dict[tuple[int, int], int] = {
    (64, 64): 24,
    (256, 256): 24,
    (512, 512): 20,
    (720, 1280): 14,
    (1080, 1920): 10,
    (2160, 3840): 5,
}
# value kinds per endpoint, with the largest side each may take (float 4K is 100 MB)
NUMPY_KINDS = {
    "uint8_rgb": 3840,
    "uint8_rgba": 1920,
    "uint16_rgb": 1920,
    "float32_rgb": 1280,
}
PIL_KINDS = {"RGB": 3840, "RGBA": 1920, "L": 3840, "I;16": 1920, "F": 1280, "P": 1280}
GALLERY_SIDE = 512
ENDPOINTS = {"numpy": 5, "pil": 4, "gallery": 2}
HOP_TIMEOUT = 180.0


def _roll(value: Any) -> Any:
    """Shift one pixel right, wrapping around (a new value every hop)."""
    if isinstance(value, np.ndarray):
        return np.roll(value, 1, axis=1)
    # crop + paste, not ImageChops.offset: Pillow 12.3's offset reads
    # uninitialised memory for mode I;16 (its result varies from call to call)
    w, h = value.size
    out = value.copy()
    out.paste(value.crop((0, 0, w - 1, h)), (1, 0))
    out.paste(value.crop((w - 1, 0, w, h)), (0, 0))
    return out


OPS: dict[str, Callable[[Any], Any]] = {"same": lambda v: v, "roll": _roll}


def build_app() -> Any:
    """The soak app: /numpy_hop, /pil_hop (gl.Image, image_mode=None) and
    /gallery_hop (gl.Gallery, numpy), each applying ``OPS[op]``."""
    import gradio as gr

    import gradio_lossless as gl

    def hop(value: Any, op: str) -> Any:
        return OPS[op](value)

    def gallery_hop(items: list[tuple[Any, str | None]], op: str) -> list[Any]:
        return [(OPS[op](v), caption) for v, caption in items or []]

    with gr.Blocks() as demo:
        op = gr.Textbox()
        for kind in ("numpy", "pil"):
            a = gl.Image(type=kind, image_mode=None, keep_dtype=True)
            b = gl.Image(type=kind, image_mode=None, keep_dtype=True)
            gr.Button().click(hop, [a, op], b, api_name=f"{kind}_hop")
        g1, g2 = (
            gl.Gallery(type="numpy", keep_dtype=True),
            gl.Gallery(type="numpy", keep_dtype=True),
        )
        gr.Button().click(gallery_hop, [g1, op], g2, api_name="gallery_hop")
    demo.queue(default_concurrency_limit=None)
    return demo


# --- values --------------------------------------------------------------------------

_BASES: dict[tuple[int, int], np.ndarray] = {}
_BASES_LOCK = threading.Lock()


def _base(height: int, width: int) -> np.ndarray:
    """scikit-image's bundled astronaut resized to height × width, uint8 RGB."""
    with _BASES_LOCK:
        hit = _BASES.get((height, width))
        if hit is None:
            from skimage import data

            im = PIL.Image.fromarray(data.astronaut()).resize((width, height))
            hit = _BASES[(height, width)] = np.asarray(im)
        return hit


def make_value(endpoint: str, kind: str, size: tuple[int, int], seed: int) -> Any:
    """A photo-like value of ``kind`` (NUMPY_KINDS or PIL_KINDS key), varied by seed."""
    rng = np.random.default_rng(seed)
    rgb = (_base(*size) + np.uint8(seed % 251)).astype(np.uint8)
    if endpoint in ("numpy", "gallery"):
        if kind == "uint8_rgb":
            return rgb
        if kind == "uint8_rgba":
            alpha = rng.integers(0, 256, size, dtype=np.uint8)
            return np.dstack([rgb, alpha])
        if kind == "uint16_rgb":
            return (rgb.astype(np.uint16) << 8) | rng.integers(
                0, 256, rgb.shape, np.uint16
            )
        if kind == "float32_rgb":
            noise = rng.normal(0, 0.01, rgb.shape)
            return (rgb / 255.0 + noise).astype(np.float32)
        raise ValueError(f"unknown numpy kind {kind!r}")
    im = PIL.Image.fromarray(rgb)
    if kind == "RGBA":
        im = im.convert("RGBA")
    elif kind == "L":
        im = im.convert("L")
    elif kind == "P":
        im = im.convert("P", palette=PIL.Image.Palette.ADAPTIVE, colors=64)
    elif kind == "I;16":
        im = PIL.Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16) * 257)
    elif kind == "F":
        im = PIL.Image.fromarray(np.asarray(im.convert("L"), np.float32) / 255.0)
    elif kind != "RGB":
        raise ValueError(f"unknown PIL kind {kind!r}")
    im.info["parameters"] = f"soak seed {seed}, kind {kind}"
    im.info["dpi"] = (300.0, 300.0)
    return im


def _write_upload(value: Any, folder: Path, name: str, plain: bool) -> Path:
    """The file a user uploads: a plain PNG (uint8 arrays only) or an exact PNG."""
    from gradio_lossless.codecs import container
    from gradio_lossless.io import machine_keys

    path = folder / f"{name}.png"
    if plain:
        PIL.Image.fromarray(value).save(path, compress_level=1)
    else:  # as the server (same machine, same secret) served it
        keys = machine_keys()
        path.write_bytes(container.encode(value, keys=keys))
    return path


# --- users ---------------------------------------------------------------------------


class InFlight:
    """Bytes of the values users have sent and not yet got back, and their peak."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def add(self, nbytes: int) -> None:
        with self._lock:
            self.now += nbytes
            self.peak = max(self.peak, self.now)


@dataclass
class UserStats:
    hops: int = 0
    errors: int = 0
    inexact: int = 0
    latencies: list[float] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    by_endpoint: dict[str, int] = field(default_factory=dict)
    bytes_moved: int = 0


def _pick_size(rng: random.Random, max_side: int) -> tuple[int, int]:
    sizes = [s for s in SIZES if max(s) <= max_side]
    return rng.choices(sizes, weights=[SIZES[s] for s in sizes])[0]


def _user(
    index: int,
    url: str,
    deadline: float,
    max_hops: int | None,
    work: Path,
    stats: UserStats,
    inflight: InFlight,
) -> None:
    from gradio_client import Client, handle_file

    import gradio_lossless as gl
    from gradio_lossless.core.conversions import nbytes, values_equal

    rng = random.Random(1000 + index)
    folder = work / f"user{index}"
    folder.mkdir(parents=True)
    try:
        client = Client(
            url, verbose=False, ssl_verify=False, download_files=str(folder / "dl")
        )
    except Exception as exc:  # a user that cannot connect is an error too
        stats.errors += 1
        stats.messages.append(f"user {index} connect: {type(exc).__name__}: {exc}")
        return
    chain: dict[str, Any] | None = None
    seed = index * 1_000_000

    def drop(paths: list[str], keep: list[str]) -> None:
        for p in set(paths) - set(keep):
            Path(p).unlink(missing_ok=True)

    while time.monotonic() < deadline and (max_hops is None or stats.hops < max_hops):
        if chain is None or rng.random() < 0.15:
            if chain is not None:
                drop(chain["files"], [])
            endpoint = rng.choices(list(ENDPOINTS), weights=list(ENDPOINTS.values()))[0]
            seed += 1
            if endpoint == "gallery":
                count = rng.randint(2, 4)
                values = [
                    make_value(
                        "gallery",
                        rng.choice(list(NUMPY_KINDS)),
                        _pick_size(rng, GALLERY_SIDE),
                        seed * 10 + i,
                    )
                    for i in range(count)
                ]
                captions = [
                    None if i % 2 else f"item {i} of chain {seed}" for i in range(count)
                ]
                files = [
                    str(_write_upload(v, folder, f"up{seed}_{i}", plain=False))
                    for i, v in enumerate(values)
                ]
            else:
                kinds = NUMPY_KINDS if endpoint == "numpy" else PIL_KINDS
                kind = rng.choice(list(kinds))
                value = make_value(endpoint, kind, _pick_size(rng, kinds[kind]), seed)
                plain = (
                    endpoint == "numpy"
                    and kind.startswith("uint8")
                    and rng.random() < 0.3
                )
                values, captions = [value], [None]
                files = [str(_write_upload(value, folder, f"up{seed}", plain))]
            chain = {
                "endpoint": endpoint,
                "values": values,
                "captions": captions,
                "files": files,
            }
        endpoint = chain["endpoint"]
        op = rng.choice(["same", "roll", "roll"])
        started = time.perf_counter()
        sent = sum(nbytes(v) for v in chain["values"])
        inflight.add(sent)
        try:
            if endpoint == "gallery":
                payload = [
                    {"image": handle_file(f), "caption": c}
                    for f, c in zip(chain["files"], chain["captions"], strict=True)
                ]
                out = client.submit(payload, op, api_name="/gallery_hop").result(
                    HOP_TIMEOUT
                )
                got_files = [x["image"] for x in out]
                got_captions = [x["caption"] for x in out]
            else:
                out = client.submit(
                    handle_file(chain["files"][0]), op, api_name=f"/{endpoint}_hop"
                ).result(HOP_TIMEOUT)
                got_files, got_captions = [out], [None]
            expected = [OPS[op](v) for v in chain["values"]]
            exact = got_captions == chain["captions"] and all(
                values_equal(gl.read(f), e)
                for f, e in zip(got_files, expected, strict=True)
            )
        except Exception as exc:  # every failure is counted and reported
            inflight.add(-sent)
            stats.errors += 1
            if len(stats.messages) < 10:
                stats.messages.append(
                    f"user {index} {endpoint}: {type(exc).__name__}: {exc}"
                )
            drop(chain["files"], [])
            chain = None
            continue
        inflight.add(-sent)
        stats.latencies.append(time.perf_counter() - started)
        stats.hops += 1
        stats.by_endpoint[endpoint] = stats.by_endpoint.get(endpoint, 0) + 1
        stats.bytes_moved += sum(os.path.getsize(f) for f in got_files)
        if not exact:
            stats.inexact += 1
            if len(stats.messages) < 10:
                stats.messages.append(
                    f"user {index} {endpoint} {op}: value not bit-exact"
                )
            drop(chain["files"], got_files)
            chain = None
            continue
        drop(chain["files"], got_files)
        chain["files"], chain["values"] = got_files, expected


# --- the run -------------------------------------------------------------------------


IN_FLIGHT_FACTOR = 3  # a running hop holds its input, its output and one temporary


@dataclass
class SoakResult:
    users: int
    seconds: float
    elapsed: float
    hops: int
    errors: int
    inexact: int
    hops_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    by_endpoint: dict[str, int]
    client_mb_downloaded: float
    server_idle_rss_mb: float
    server_peak_rss_mb: float
    server_final_rss_mb: float
    rss_by_quarter_mb: list[float]
    memory_limit_bytes: int
    work_limit_bytes: int
    disk_limit_bytes: int
    held_peak_bytes: int
    work_peak_bytes: int
    work_waits: int
    in_flight_peak_bytes: int
    rss_limit_mb: float
    store_bytes: int
    store_peak_bytes: int
    store_files: int
    cache_bytes: int
    server_env: dict[str, str]
    messages: list[str]

    @property
    def rss_ok(self) -> bool:
        return self.server_peak_rss_mb <= self.rss_limit_mb

    @property
    def disk_ok(self) -> bool:
        return self.store_peak_bytes <= self.disk_limit_bytes

    @property
    def ok(self) -> bool:
        return (
            self.errors == 0
            and self.inexact == 0
            and self.hops > 0
            and self.rss_ok
            and self.disk_ok
        )

    def summary(self) -> str:
        mb = 1 << 20
        env = sorted(self.server_env.items())
        limits = ", ".join(f"{k}={v}" for k, v in env) or "default limits"
        quarters = " / ".join(f"{x:.0f}" for x in self.rss_by_quarter_mb)
        return "\n".join(
            [
                f"soak: {self.users} users for {self.elapsed:.0f} s ({limits})",
                f"  requests served   {self.hops}  ({self.hops_per_second:.1f}/s; "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.by_endpoint.items()))
                + ")",
                f"  errors            {self.errors}",
                f"  inexact values    {self.inexact}",
                f"  hop latency       p50 {self.p50_ms:.0f} ms, "
                f"p99 {self.p99_ms:.0f} ms, max {self.max_ms:.0f} ms",
                f"  downloaded        {self.client_mb_downloaded:.0f} MB",
                f"  server RSS        peak {self.server_peak_rss_mb:.0f} MB "
                f"{'<=' if self.rss_ok else '>'} limit {self.rss_limit_mb:.0f} MB "
                f"(idle {self.server_idle_rss_mb:.0f} + memory cache "
                f"{self.memory_limit_bytes / mb:.0f} + work "
                f"{self.work_limit_bytes / mb:.0f} + {IN_FLIGHT_FACTOR} × peak in "
                f"flight {self.in_flight_peak_bytes / mb:.0f}); "
                f"final {self.server_final_rss_mb:.0f} MB",
                f"  RSS by quarter    {quarters} MB",
                f"  memory cache      peak {self.held_peak_bytes / mb:.0f} MB held; "
                f"work peak {self.work_peak_bytes / mb:.0f} MB, "
                f"{self.work_waits} waits",
                f"  store on disk     {self.store_bytes / mb:.0f} MB in "
                f"{self.store_files} files (peak {self.store_peak_bytes / mb:.0f} MB "
                f"{'<=' if self.disk_ok else '>'} limit "
                f"{self.disk_limit_bytes / mb:.0f} MB); "
                f"whole Gradio cache {self.cache_bytes / mb:.0f} MB",
                *(f"  ! {m}" for m in self.messages),
                "  verdict           "
                + (
                    "OK: zero errors, every value bit-exact, RSS and disk under "
                    "their limits"
                    if self.ok
                    else "FAILED"
                ),
            ]
        )


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def _quarters(rows: list[dict[str, Any]]) -> list[float]:
    """The highest RSS (MB) sampled in each quarter of the run."""
    rss = [r["rss_kib"] / 1024 for r in rows if r.get("rss_kib")]
    return [float(q.max()) for q in np.array_split(np.array(rss), 4) if q.size]


def run_soak(
    *,
    users: int = 16,
    seconds: float = 300.0,
    max_hops: int | None = None,
    server_env: dict[str, str] | None = None,
    workdir: str | Path | None = None,
    keep: bool = False,
) -> SoakResult:
    """Serve ``build_app`` in a child process and run the users against it.

    Parameters:
        users: concurrent clients (threads, each its own gradio_client.Client).
        seconds: how long users start new hops (a hop in flight may finish later,
            within HOP_TIMEOUT).
        max_hops: stop each user after this many successful hops (None: no limit).
        server_env: extra environment for the server (GRADIO_LOSSLESS_* limits).
        workdir: folder for the server cache and the users' files (a temporary one
            by default, removed afterwards unless ``keep``).
    Returns:
        the figures, as a SoakResult. Its RSS limit is the server's idle RSS plus
        the memory cache limit, the work budget and IN_FLIGHT_FACTOR times the
        most value bytes users had in flight at once (what running functions hold:
        their input, their output and one temporary).
    """
    from gradio_lossless.core.settings import env_bytes
    from gradio_lossless.store.disk import DEFAULT_DISK_BYTES
    from gradio_lossless.store.memory import DEFAULT_WORK_BYTES
    from gradio_lossless.store.store import DEFAULT_MEMORY_BYTES

    work = Path(workdir or tempfile.mkdtemp(prefix="gl-soak-"))
    cache = work / "cache"
    server_env = dict(server_env or {})
    peak_store = [0]
    stop = threading.Event()
    stats = [UserStats() for _ in range(users)]
    inflight = InFlight()
    try:
        with ServerProcess(
            "benchmarks.soak:build_app", cache, env=server_env, stats=True
        ) as server:
            idle_rss = proc_status_kib(server.pid, "VmRSS") or 0

            def sample() -> None:
                while not stop.wait(0.5):
                    peak_store[0] = max(peak_store[0], tree_bytes(cache / "lossless"))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.monotonic()
            deadline = started + seconds
            threads = [
                threading.Thread(
                    target=_user,
                    args=(
                        i,
                        server.url,
                        deadline,
                        max_hops,
                        work / "users",
                        stats[i],
                        inflight,
                    ),
                    name=f"soak-user-{i}",
                )
                for i in range(users)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - started
            stop.set()
            sampler.join()
            peak_rss = proc_status_kib(server.pid, "VmHWM") or 0
            final_rss = proc_status_kib(server.pid, "VmRSS") or 0
            rows = server.stats()
        store_bytes = tree_bytes(cache / "lossless")
        store_files = sum(len(files) for _, _, files in os.walk(cache / "lossless"))
        cache_bytes = tree_bytes(cache)
    finally:
        stop.set()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    latencies = sorted(x for s in stats for x in s.latencies)
    by_endpoint: dict[str, int] = {}
    for s in stats:
        for k, v in s.by_endpoint.items():
            by_endpoint[k] = by_endpoint.get(k, 0) + v
    hops = sum(s.hops for s in stats)
    server_environ = {**os.environ, **server_env}  # what the server reads
    memory_limit = env_bytes(
        "GRADIO_LOSSLESS_MEMORY_BYTES", DEFAULT_MEMORY_BYTES, server_environ
    )
    work_limit = env_bytes(
        "GRADIO_LOSSLESS_WORK_BYTES", DEFAULT_WORK_BYTES, server_environ
    )
    mb = 1 << 20
    return SoakResult(
        users=users,
        seconds=seconds,
        elapsed=elapsed,
        hops=hops,
        errors=sum(s.errors for s in stats),
        inexact=sum(s.inexact for s in stats),
        hops_per_second=hops / elapsed if elapsed else 0.0,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        max_ms=(latencies[-1] * 1000) if latencies else 0.0,
        by_endpoint=by_endpoint,
        client_mb_downloaded=sum(s.bytes_moved for s in stats) / mb,
        server_idle_rss_mb=idle_rss / 1024,
        server_peak_rss_mb=peak_rss / 1024,
        server_final_rss_mb=final_rss / 1024,
        rss_by_quarter_mb=_quarters(rows),
        memory_limit_bytes=memory_limit,
        work_limit_bytes=work_limit,
        disk_limit_bytes=env_bytes(
            "GRADIO_LOSSLESS_DISK_BYTES", DEFAULT_DISK_BYTES, server_environ
        ),
        held_peak_bytes=max((r.get("held_bytes", 0) for r in rows), default=0),
        work_peak_bytes=max((r.get("work_peak_bytes", 0) for r in rows), default=0),
        work_waits=max((r.get("work_waits", 0) for r in rows), default=0),
        in_flight_peak_bytes=inflight.peak,
        rss_limit_mb=idle_rss / 1024
        + (memory_limit + work_limit + IN_FLIGHT_FACTOR * inflight.peak) / mb,
        store_bytes=store_bytes,
        store_peak_bytes=max(peak_store[0], store_bytes),
        store_files=store_files,
        cache_bytes=cache_bytes,
        server_env=server_env,
        messages=[m for s in stats for m in s.messages][:20],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soak",
        description="Concurrent gradio_client users hopping images through a real "
        "server; exit 1 on any error or inexact value.",
    )
    parser.add_argument("--users", type=int, default=16, help="concurrent users (16)")
    parser.add_argument("--seconds", type=float, default=300.0, help="duration (300)")
    parser.add_argument("--max-hops", type=int, default=None, help="per-user hop cap")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument(
        "--memory-bytes", type=int, help="server GRADIO_LOSSLESS_MEMORY_BYTES"
    )
    parser.add_argument(
        "--disk-bytes", type=int, help="server GRADIO_LOSSLESS_DISK_BYTES"
    )
    parser.add_argument(
        "--work-bytes", type=int, help="server GRADIO_LOSSLESS_WORK_BYTES"
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the server cache in DIR")
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds <= 0:
        parser.error("--users and --seconds must be positive")
    env = {}
    if args.memory_bytes is not None:
        env["GRADIO_LOSSLESS_MEMORY_BYTES"] = str(args.memory_bytes)
    if args.disk_bytes is not None:
        env["GRADIO_LOSSLESS_DISK_BYTES"] = str(args.disk_bytes)
    if args.work_bytes is not None:
        env["GRADIO_LOSSLESS_WORK_BYTES"] = str(args.work_bytes)
    try:
        result = run_soak(
            users=args.users,
            seconds=args.seconds,
            max_hops=args.max_hops,
            server_env=env,
            workdir=args.keep,
            keep=args.keep is not None,
        )
    except RuntimeError as exc:
        print(f"soak: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    **asdict(result),
                    "ok": result.ok,
                    "rss_ok": result.rss_ok,
                    "disk_ok": result.disk_ok,
                },
                indent=2,
            )
        )
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
