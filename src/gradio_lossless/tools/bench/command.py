"""``gradio-lossless bench``: gradio_lossless vs stock gr.Image / gr.Gallery, one run.

Measures, in the same process on the same deterministic photo-like pixels, for
each kind of content asked for with ``--content`` (``resized``: an upscaled photo;
``tiled``: photos at their native scale, side by side; see ``images.py``):

* image hops: server time per hop (``preprocess`` + ``postprocess``), bytes served
  and bit-exactness, for stock ``gr.Image(format="webp")``, stock
  ``gr.Image(format="png")`` and ``gradio_lossless.Image()``, for a pass-through
  hop (the function returns its input) and a modified hop (new pixels);
* a gallery: ``postprocess`` of N distinct images and an unchanged re-postprocess
  of the same list, for the matching Gallery components;
* ImageEditor (background, a layer, composite), AnnotatedImage (a base image and
  two masks) and ImageSlider (two images): server time per pass-through hop and
  bytes served, stock vs gradio_lossless (``components``);

then prints the ratios against stock webp next to the issues' targets, each
target judged on every content kind measured. Exit
codes: 0 done (targets are only reported), 1 with ``--check`` when a target fails
or could not run, 2 on a usage error or when a component raised (its rows say so;
the other contenders are still measured, unless ``--verbose`` asks for the
traceback).

Images come from ``images``, the contenders from ``contenders``, the measurements
from ``hops`` and ``gallery``, the targets from ``targets``, tables and JSON from
``report``; this module only parses options and wires them up, importing the rest
when it runs (so ``--help`` is instant).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from gradio_lossless.tools.bench.sizes import (
    CONTENT_KINDS,
    ContentKind,
    Size,
    format_size,
    parse_size,
)

__all__ = ["configure", "run"]

DEFAULT_SIZES = "512x512,1920x1080,3840x2160"
DEFAULT_CONTENT = ",".join(CONTENT_KINDS)
DEFAULT_REPEATS = 5
DEFAULT_GALLERY_COUNT = 16
DEFAULT_GALLERY_SIZE = "3840x2160"
DEFAULT_GALLERY_REPEATS = 3
BROWSER_SIZES = "1920x1080,3840x2160"
BROWSER_NETWORKS = "loopback,throttled"

# --quick: a few seconds, for tests and smoke checks; the targets are then
# "not measured" because they are defined on 3840x2160. Both content kinds are
# still measured (at these sizes they cost little).
QUICK = {
    "sizes": "64x64,160x90",
    "repeats": 2,
    "gallery_count": 3,
    "gallery_size": "160x90",
    "gallery_repeats": 1,
}


T = TypeVar("T")


def _comma_list(
    text: str, parse: Callable[[str], T], what: str, example: str
) -> list[T]:
    """The distinct items of a comma list, in order; empty parts are skipped.

    Raises:
        argparse.ArgumentTypeError: an item ``parse`` refuses (its ValueError's
            message), or no item at all.
    """
    items: list[T] = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            item = parse(part)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if item not in items:
            items.append(item)
    if not items:
        raise argparse.ArgumentTypeError(
            f"invalid {what} {text!r}; expected e.g. {example}"
        )
    return items


def _content_kind(part: str) -> ContentKind:
    name = part.strip()
    kind = next((k for k in CONTENT_KINDS if k == name), None)
    if kind is None:
        raise ValueError(
            f"invalid content kind {name!r}; choose from {DEFAULT_CONTENT}"
        )
    return kind


def _sizes(text: str) -> list[Size]:
    return _comma_list(text, parse_size, "sizes", DEFAULT_SIZES)


def _contents(text: str) -> list[ContentKind]:
    return _comma_list(text, _content_kind, "content", DEFAULT_CONTENT)


def _size(text: str) -> Size:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid integer {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``bench`` options to ``parser``.

    Parameters:
        parser: the ``bench`` subcommand's parser.
    """
    parser.add_argument(
        "--sizes",
        type=_sizes,
        metavar="WxH[,WxH...]",
        help=f"image-hop sizes (default {DEFAULT_SIZES})",
    )
    parser.add_argument(
        "--content",
        type=_contents,
        metavar="KIND[,KIND...]",
        help="kinds of test image, each measured and reported separately: "
        "resized (an upscaled photo), tiled (photos at native scale) "
        f"(default {DEFAULT_CONTENT}; with --browser: tiled)",
    )
    parser.add_argument(
        "--type",
        choices=("numpy", "pil"),
        default="numpy",
        help="the components' type=, i.e. what the function receives (default numpy)",
    )
    parser.add_argument(
        "--repeats",
        type=_int_at_least(1),
        metavar="N",
        help=f"timed hops per chain, after one warm-up hop (default {DEFAULT_REPEATS})",
    )
    parser.add_argument(
        "--gallery-count",
        type=_int_at_least(0),
        metavar="N",
        help="distinct gallery images; 0 skips the gallery "
        f"(default {DEFAULT_GALLERY_COUNT})",
    )
    parser.add_argument(
        "--gallery-size",
        type=_size,
        metavar="WxH",
        help=f"size of every gallery image (default {DEFAULT_GALLERY_SIZE})",
    )
    parser.add_argument(
        "--gallery-repeats",
        type=_int_at_least(1),
        metavar="N",
        help="timed postprocess calls per gallery phase "
        f"(default {DEFAULT_GALLERY_REPEATS})",
    )
    parser.add_argument(
        "--component-size",
        type=_size,
        metavar="WxH",
        help="image size of the ImageEditor, AnnotatedImage and ImageSlider hops "
        "(default: the largest of --sizes)",
    )
    parser.add_argument(
        "--no-components",
        action="store_true",
        help="skip the ImageEditor, AnnotatedImage and ImageSlider hops",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny images and few repeats (seconds); explicit options still win",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write every result as JSON"
    )
    browser = parser.add_argument_group(
        "browser mode",
        "--browser: Chromium (Playwright, /usr/bin/chromium) against two servers "
        "(stock gr.Image/gr.Gallery, gradio_lossless) in separate processes: click "
        "-> image loaded, and image bytes, per hop and for a gallery's first "
        f"display; --sizes defaults to {BROWSER_SIZES}",
    )
    browser.add_argument(
        "--browser",
        action="store_true",
        help="measure in a browser instead of server time (needs playwright)",
    )
    browser.add_argument(
        "--network",
        type=_networks,
        metavar="NAME[,NAME...]",
        help=f"loopback (no emulation), throttled (DevTools: 50 Mbit/s down, "
        f"10 up, 30 ms) (default {BROWSER_NETWORKS})",
    )
    browser.add_argument(
        "--port",
        type=_int_at_least(0),
        default=0,
        metavar="N",
        help="the servers' ports: N (stock) and N+1 (lossless); 0: free ones",
    )
    browser.add_argument(
        "--chromium",
        type=Path,
        default=Path("/usr/bin/chromium"),
        metavar="PATH",
        help="the Chromium to drive (default /usr/bin/chromium)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if a target fails or the lossless components could not run",
    )


def _networks(text: str) -> list[str]:
    def network(part: str) -> str:
        name = part.strip()
        if name not in ("loopback", "throttled"):
            raise ValueError(
                f"invalid network {name!r}; choose from {BROWSER_NETWORKS}"
            )
        return name

    return _comma_list(text, network, "network", BROWSER_NETWORKS)


def _resolve(args: argparse.Namespace) -> dict[str, object]:
    """Options after applying --quick and the defaults (explicit values win)."""
    browser = bool(getattr(args, "browser", False))
    defaults: dict[str, object] = {
        "sizes": BROWSER_SIZES if browser else DEFAULT_SIZES,
        "repeats": DEFAULT_REPEATS,
        "gallery_count": DEFAULT_GALLERY_COUNT,
        "gallery_size": DEFAULT_GALLERY_SIZE,
        "gallery_repeats": DEFAULT_GALLERY_REPEATS,
    }
    if args.quick:
        defaults.update(QUICK)
    resolved: dict[str, object] = {}
    for name, default in defaults.items():
        value = getattr(args, name)
        resolved[name] = default if value is None else value
    if isinstance(resolved["sizes"], str):
        resolved["sizes"] = _sizes(resolved["sizes"])
    if isinstance(resolved["gallery_size"], str):
        resolved["gallery_size"] = parse_size(resolved["gallery_size"])
    resolved["content"] = args.content or (
        ["tiled"] if browser else list(CONTENT_KINDS)
    )
    sizes: list[Size] = resolved["sizes"]  # type: ignore[assignment]
    resolved["component_size"] = args.component_size or max(
        sizes, key=lambda s: s[0] * s[1]
    )
    return resolved


def _versions() -> dict[str, str]:
    """The versions installed, from the packages' metadata: importing Gradio
    only to read its version costs the browser bench (whose servers are other
    processes) several seconds."""
    from importlib.metadata import version

    from gradio_lossless import __version__

    return {
        "gradio_lossless": __version__,
        "gradio": version("gradio"),
        "numpy": version("numpy"),
        "pillow": version("pillow"),
        "python": platform.python_version(),
    }


def _loadavg() -> float | None:
    """The 1-minute load average, or None where the platform has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _machine(load_start: float | None) -> dict[str, str | int | float | None]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "loadavg_start": load_start,
        "loadavg_end": _loadavg(),
    }


def run(args: argparse.Namespace) -> int:
    """Run the benchmark described by ``args``, print it, optionally write JSON.

    Parameters:
        args: parsed options from :func:`configure`.
    Returns:
        0 when done; 1 with ``--check`` if a target failed or was skipped; 2 when
        the JSON file cannot be written or a component raised (the tables and
        JSON still show everything else).
    """
    options = _resolve(args)
    if args.browser:
        from gradio_lossless.tools.bench.browser_run import run_browser

        return run_browser(args, options)
    from rich.console import Console

    from gradio_lossless.tools.bench.components import (
        ComponentResult,
        measure_components,
    )
    from gradio_lossless.tools.bench.gallery import GalleryResult, measure_gallery
    from gradio_lossless.tools.bench.hops import HopResult, measure_hops
    from gradio_lossless.tools.bench.report import BenchReport, print_report, write_json
    from gradio_lossless.tools.bench.targets import evaluate_targets

    sizes: list[Size] = options["sizes"]  # type: ignore[assignment]
    gallery_size: Size = options["gallery_size"]  # type: ignore[assignment]
    gallery_count: int = options["gallery_count"]  # type: ignore[assignment]
    component_size: Size = options["component_size"]  # type: ignore[assignment]
    contents: list[ContentKind] = options["content"]  # type: ignore[assignment]
    if args.json is not None and not args.json.resolve().parent.is_dir():
        print(
            f"gradio-lossless bench: cannot write --json {str(args.json)!r}: "
            "folder does not exist",
            file=sys.stderr,
        )
        return 2

    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    err = Console(stderr=True, highlight=False)

    def progress(line: str) -> None:
        err.print(f"[dim]bench: {line}[/]")

    # --verbose (the top-level flag): a component that raises stops the run with a
    # traceback; otherwise its rows show the error and the others carry on.
    strict = bool(getattr(args, "verbose", False))
    started = time.perf_counter()
    load_start = _loadavg()
    workdir = Path(tempfile.mkdtemp(prefix="gradio-lossless-bench-"))
    old_temp = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(workdir)  # before gradio is first imported
    try:
        hops: list[HopResult] = []
        for content in contents:
            hops += measure_hops(
                sizes,
                content=content,
                type=args.type,
                repeats=options["repeats"],  # type: ignore[arg-type]
                workdir=workdir,
                strict=strict,
                progress=progress,
            )
        gallery: list[GalleryResult] = []
        for content in contents if gallery_count else []:
            gallery += measure_gallery(
                gallery_size,
                content=content,
                count=gallery_count,
                type=args.type,
                repeats=options["gallery_repeats"],  # type: ignore[arg-type]
                workdir=workdir,
                strict=strict,
                progress=progress,
            )
        components: list[ComponentResult] = []
        for content in [] if args.no_components else contents:
            components += measure_components(
                component_size,
                content=content,
                repeats=options["repeats"],  # type: ignore[arg-type]
                workdir=workdir,
                strict=strict,
                progress=progress,
            )
        versions = _versions()
    finally:
        if old_temp is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = old_temp
        shutil.rmtree(workdir, ignore_errors=True)

    report = BenchReport(
        versions=versions,
        machine=_machine(load_start),
        options={
            "content": list(contents),
            "sizes": [format_size(s) for s in sizes],
            "type": args.type,
            "repeats": options["repeats"],
            "gallery_count": gallery_count,
            "gallery_size": format_size(gallery_size),
            "gallery_repeats": options["gallery_repeats"],
            "component_size": None
            if args.no_components
            else format_size(component_size),
            "quick": args.quick,
        },
        hops=tuple(hops),
        gallery=tuple(gallery),
        components=tuple(components),
        targets=evaluate_targets(hops, gallery, contents),
        elapsed_s=round(time.perf_counter() - started, 2),
    )
    print_report(report, out)
    if args.json is not None:
        write_json(report, args.json)
        out.print(f"wrote {args.json}", highlight=False)
    failed = [r.error for r in report.hops if r.error]
    failed += [r.error for r in report.gallery if r.error]
    failed += [r.error for r in report.components if r.error]
    if failed:
        print(
            f"gradio-lossless bench: {len(failed)} measurements failed because a "
            "component raised (rerun with --verbose for the traceback)",
            file=sys.stderr,
        )
        return 2
    if args.check:
        bad = [t for t in report.targets if t.status in ("fail", "skipped")]
        if bad:
            names = ", ".join(f"{t.name} on {t.content} ({t.status})" for t in bad)
            print(f"gradio-lossless bench: targets not met: {names}", file=sys.stderr)
            return 1
    return 0
