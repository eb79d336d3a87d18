"""``gradio-lossless lab``: parsing, output files and exit codes.

Exit codes: 0 when every image was measured, 1 when a file was skipped (the run
still completes and reports it), 2 for a usage error (one line on stderr). The
measuring modules are imported when the command runs, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from gradio_lossless.tools.lab.recommend import Constraints, Recommendation
    from gradio_lossless.tools.lab.runner import LabConfig, LabResult
    from gradio_lossless.tools.lab.samples import LabImage, Skipped

__all__ = ["configure", "run"]

DEFAULT_FORMATS = "webp,jpeg,png,avif"


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the lab's arguments on its subcommand parser.

    Parameters:
        parser: the ``lab`` subparser.
    """
    add = parser.add_argument
    add(
        "images",
        nargs="*",
        metavar="IMAGE",
        help="image files to measure (default: the embedded set of four)",
    )
    add(
        "--formats",
        default=DEFAULT_FORMATS,
        help=f"comma-separated: webp, jpeg, png, avif, jxl (default {DEFAULT_FORMATS})",
    )
    add(
        "--quality",
        metavar="SPEC",
        help="qualities to try: '60,80,95' for every lossy format, or per format "
        "'webp=90,webp=lossless,jpeg=85' (default: Pillow's, which gr.Image uses)",
    )
    add("--hops", type=int, default=50, metavar="N", help="hops per image (default 50)")
    add(
        "--out",
        type=Path,
        default=Path("lab-report"),
        metavar="DIR",
        help="folder for report.html, results.json and plots (default ./lab-report)",
    )
    add("--json", type=Path, metavar="FILE", help="also write the JSON document here")
    add(
        "--pipeline",
        default="codec",
        help="'codec' (Pillow encode + decode), 'gradio' (stock gr.Image next to "
        "gradio_lossless.Image, their real postprocess + preprocess) or 'codec,gradio'",
    )
    add(
        "--image-mode",
        default="RGB",
        choices=("RGB", "RGBA", "keep"),
        help="the components' image_mode under --pipeline gradio (default RGB, as "
        "gr.Image; 'keep' passes None so each image keeps its mode)",
    )
    add(
        "--jobs",
        type=int,
        default=_cores(),
        metavar="N",
        help=f"worker processes (default {_cores()}, the usable cores)",
    )
    group = parser.add_argument_group(
        "recommendation (a constraint implies --recommend)"
    )
    opt = group.add_argument
    opt(
        "--recommend",
        action="store_true",
        help="name the cheapest setting meeting every constraint on every image",
    )
    opt("--max-bytes", type=int, metavar="B", help="no file larger than B bytes")
    opt("--max-bpp", type=float, metavar="BPP", help="no file above BPP bits per pixel")
    opt(
        "--min-psnr-after",
        metavar="DB[@HOP]",
        help="PSNR at least DB dB after hop HOP (default: the last hop)",
    )
    opt(
        "--min-ssim-after",
        metavar="S[@HOP]",
        help="SSIM at least S after hop HOP (default: the last hop)",
    )
    opt(
        "--max-ms",
        type=float,
        metavar="MS",
        help="mean encode + decode time per hop at most MS milliseconds",
    )
    opt("--require-exact", action="store_true", help="bit-exact at every hop")


def _constraints(args: argparse.Namespace) -> Constraints | None:
    from gradio_lossless.tools.lab.options import parse_threshold
    from gradio_lossless.tools.lab.recommend import Constraints

    psnr: tuple[float | None, int | None] = (None, None)
    ssim: tuple[float | None, int | None] = (None, None)
    if args.min_psnr_after is not None:
        psnr = parse_threshold(args.min_psnr_after, "--min-psnr-after", hops=args.hops)
    if args.min_ssim_after is not None:
        ssim = parse_threshold(args.min_ssim_after, "--min-ssim-after", hops=args.hops)
    for name in ("max_bytes", "max_bpp", "max_ms"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            option = "--" + name.replace("_", "-")
            raise ValueError(f"{option}: must be positive, got {value!r}")
    constraints = Constraints(
        max_bytes=args.max_bytes,
        max_bpp=args.max_bpp,
        min_psnr=psnr[0],
        psnr_hop=psnr[1],
        min_ssim=ssim[0],
        ssim_hop=ssim[1],
        max_ms=args.max_ms,
        exact=args.require_exact,
    )
    if constraints.empty:
        if args.recommend:
            raise ValueError(
                "--recommend: give at least one constraint (--max-bytes, --max-bpp, "
                "--min-psnr-after, --min-ssim-after, --max-ms, --require-exact)"
            )
        return None
    return constraints


def _config(args: argparse.Namespace) -> LabConfig:
    from gradio_lossless.tools.lab.options import (
        parse_formats,
        parse_pipelines,
        parse_qualities,
    )
    from gradio_lossless.tools.lab.runner import LabConfig

    if args.hops < 1:
        raise ValueError(f"--hops: must be at least 1, got {args.hops}")
    if args.jobs < 1:
        raise ValueError(f"--jobs: must be at least 1, got {args.jobs}")
    formats = parse_formats(args.formats)
    return LabConfig(
        formats=formats,
        qualities=parse_qualities(args.quality, formats),
        pipelines=parse_pipelines(args.pipeline),
        hops=args.hops,
        image_mode=None if args.image_mode == "keep" else args.image_mode,
        workers=args.jobs,
    )


def _command_line(args: argparse.Namespace, config: LabConfig) -> str:
    words = [
        "gradio-lossless",
        "lab",
        *args.images,
        "--formats",
        ",".join(config.formats),
    ]
    if args.quality:
        words += ["--quality", args.quality]
    words += ["--hops", str(config.hops), "--pipeline", ",".join(config.pipelines)]
    if "gradio" in config.pipelines:
        words += ["--image-mode", args.image_mode]
    for option in (
        "max_bytes",
        "max_bpp",
        "min_psnr_after",
        "min_ssim_after",
        "max_ms",
    ):
        if getattr(args, option) is not None:
            words += ["--" + option.replace("_", "-"), str(getattr(args, option))]
    if args.require_exact:
        words.append("--require-exact")
    return shlex.join(words)


def _write(path: Path, data: bytes) -> None:
    """Write a file atomically: a temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def _write_outputs(
    args: argparse.Namespace,
    result: LabResult,
    recommendation: Recommendation | None,
    command: str,
) -> list[Path]:
    from gradio_lossless.tools.lab import plots
    from gradio_lossless.tools.lab.report import render_report
    from gradio_lossless.tools.lab.results import to_json

    out: Path = args.out
    document = json.dumps(to_json(result, recommendation), indent=1, allow_nan=False)
    written = [out / "results.json"]
    _write(written[0], document.encode("utf-8"))
    if args.json is not None:
        _write(args.json, document.encode("utf-8"))
        written.append(args.json)
    figures = {
        "quality_vs_hop": plots.to_png(plots.quality_vs_hop(result)),
        "size_vs_quality": plots.to_png(plots.size_vs_quality(result)),
    }
    for image in result.images:
        figures[f"crops_{image.name}"] = plots.to_png(
            plots.crop_strip(result, image.name)
        )
    for name, data in figures.items():
        path = out / f"{_safe(name)}.png"
        _write(path, data)
        written.append(path)
    html = render_report(
        result, figures, recommendation=recommendation, command=command
    )
    _write(out / "report.html", html.encode("utf-8"))
    written.insert(0, out / "report.html")
    return written


def _measure(
    images: list[LabImage],
    config: LabConfig,
    skipped: list[Skipped],
    console: Console,
) -> LabResult:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from gradio_lossless.tools.lab.runner import run_lab

    with Progress(
        TextColumn("[bold]lab[/] hops"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("hops", total=None)
        return run_lab(
            images,
            config,
            skipped=skipped,
            on_start=lambda total: progress.update(task, total=total),
            advance=lambda count: progress.advance(task, count),
        )


def run(args: argparse.Namespace) -> int:
    """Run the lab as the command line asked.

    Parameters:
        args: the parsed arguments of the ``lab`` subcommand.
    Returns:
        0 if every image was measured, 1 if a file was skipped, 2 for a usage error.
    """
    from rich.console import Console

    err = Console(stderr=True)
    try:
        config = _config(args)
        constraints = _constraints(args)
    except ValueError as exc:
        print(f"gradio-lossless lab: {exc}", file=sys.stderr)
        return 2

    from gradio_lossless.tools.lab.runner import plan
    from gradio_lossless.tools.lab.samples import default_images, load_images

    settings, unavailable = plan(config)
    if not settings:
        reasons = "; ".join(
            f"{a.name}: {a.reason}" + (f" ({a.install_hint})" if a.install_hint else "")
            for a in unavailable
        )
        print(f"gradio-lossless lab: nothing to measure: {reasons}", file=sys.stderr)
        return 2
    if args.images:
        images, skipped = load_images(args.images)
    else:
        images, skipped = default_images(), []
    for item in skipped:  # plain lines: a long path must not be wrapped
        print(f"skipped {item.path}: {item.reason}", file=sys.stderr)
    if not images:
        print(
            f"gradio-lossless lab: none of the {len(skipped)} files could be read",
            file=sys.stderr,
        )
        return 1
    result = _measure(images, config, skipped, err)

    from gradio_lossless.tools.lab.recommend import recommend
    from gradio_lossless.tools.lab.table import LEGEND, error_notes, lab_tables

    recommendation = recommend(result.runs, constraints) if constraints else None
    command = _command_line(args, config)
    written = _write_outputs(args, result, recommendation, command)

    # piped output has no width; print the full table rather than rich's 80 columns
    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    out = Console(width=140) if wide else Console()
    for table in lab_tables(result, width=out.width):
        out.print(table)
    out.print(LEGEND, highlight=False, markup=False, style="dim")
    for note in error_notes(result):
        out.print(note, highlight=False, markup=False)
    for missing in result.unavailable:
        hint = f" - install: {missing.install_hint}" if missing.install_hint else ""
        out.print(
            f"unavailable: {missing.name}: {missing.reason}{hint}",
            highlight=False,
            markup=False,
        )
    if recommendation is not None:
        style = "bold green" if recommendation.choice else "bold red"
        out.print(f"[{style}]recommendation:[/] ", end="")
        out.print(recommendation.summary(), highlight=False, markup=False)
        for verdict in recommendation.near_misses:
            out.print(
                f"  near miss: {verdict.setting.label} "
                f"({verdict.mean_bpp:.3g} bits/pixel): {'; '.join(verdict.failures)}",
                highlight=False,
                markup=False,
            )
    out.print(
        f"{len(result.runs)} runs x {config.hops} hops in {result.elapsed_s:.1f} s "
        f"on {config.workers} worker(s); report: {written[0]}",
        highlight=False,
    )
    for item in skipped:
        out.print(f"skipped {item.path}: {item.reason}", highlight=False, markup=False)
    return 1 if skipped else 0
