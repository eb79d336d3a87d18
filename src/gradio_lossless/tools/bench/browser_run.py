"""``gradio-lossless bench --browser``: wiring options to ``browser`` and its report.

Playwright is not in the ``tools`` extra: it brings a ~100 MB driver most users of
the other tools never need, and the bench drives a system Chromium anyway (it never
runs ``playwright install``). Without either, this prints what to install and
exits 2. Exit codes otherwise as the server bench's: 0 done, 1 with ``--check``
when a target fails, 2 on a usage error or when the run broke.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["INSTALL_PLAYWRIGHT", "run_browser"]

INSTALL_PLAYWRIGHT = "pip install playwright"


def _missing(chromium: Path) -> str | None:
    try:
        has_playwright = importlib.util.find_spec("playwright") is not None
    except (ImportError, ValueError):
        has_playwright = False
    if not has_playwright:
        return (
            "needs Playwright, which the tools extra does not install. Install it "
            f"with:\n\n    {INSTALL_PLAYWRIGHT}\n\n(no `playwright install`: the "
            f"bench drives the system Chromium, {chromium})"
        )
    if not chromium.is_file():
        return (
            f"Chromium not found at {chromium}; install it (Debian: "
            "`apt-get install chromium`) or pass --chromium PATH"
        )
    return None


def run_browser(args: argparse.Namespace, options: dict[str, object]) -> int:
    """Run the browser bench with the resolved ``options``; print; exit code."""
    problem = _missing(args.chromium)
    if problem:
        print(f"gradio-lossless bench --browser: {problem}", file=sys.stderr)
        return 2
    from rich.console import Console

    from gradio_lossless.tools.bench.browser import NETWORKS, measure_browser
    from gradio_lossless.tools.bench.browser_report import (
        evaluate_browser_targets,
        print_browser_report,
    )
    from gradio_lossless.tools.bench.command import _loadavg, _machine, _versions

    if args.json is not None and not args.json.resolve().parent.is_dir():
        print(
            f"gradio-lossless bench: cannot write --json {str(args.json)!r}: "
            "folder does not exist",
            file=sys.stderr,
        )
        return 2
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    err = Console(stderr=True, highlight=False)
    networks: list[str] = args.network or list(NETWORKS)
    contents: list[str] = options["content"]  # type: ignore[assignment]
    started = time.perf_counter()
    load_start = _loadavg()
    workdir = Path(tempfile.mkdtemp(prefix="gradio-lossless-bench-browser-"))
    rows = []
    try:
        for content in contents:
            rows += measure_browser(
                options["sizes"],  # type: ignore[arg-type]
                content=content,
                networks=networks,
                repeats=options["repeats"],  # type: ignore[arg-type]
                gallery_count=options["gallery_count"],  # type: ignore[arg-type]
                gallery_size=options["gallery_size"],  # type: ignore[arg-type]
                gallery_repeats=options["gallery_repeats"],  # type: ignore[arg-type]
                workdir=workdir,
                port=args.port,
                chromium=args.chromium,
                progress=lambda line: err.print(f"[dim]bench: {line}[/]"),
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    targets = evaluate_browser_targets(rows, contents, networks)
    machine = _machine(load_start)
    versions = _versions()
    elapsed = time.perf_counter() - started
    print_browser_report(
        rows,
        targets,
        out,
        f"gradio {versions['gradio']}, load {machine['loadavg_start']} -> "
        f"{machine['loadavg_end']} on {machine['cpu_count']} CPUs, {elapsed:.0f} s; "
        "medians, contenders interleaved.",
    )
    if args.json is not None:
        report = {
            "versions": versions,
            "machine": machine,
            "options": {
                "networks": networks,
                "content": contents,
                "sizes": [f"{w}x{h}" for w, h in options["sizes"]],  # type: ignore[attr-defined]
                "repeats": options["repeats"],
                "gallery_count": options["gallery_count"],
                "gallery_size": "x".join(map(str, options["gallery_size"])),  # type: ignore[call-overload]
                "gallery_repeats": options["gallery_repeats"],
            },
            "rows": [dataclasses.asdict(r) for r in rows],
            "targets": [dataclasses.asdict(t) for t in targets],
            "elapsed_s": round(elapsed, 2),
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        out.print(f"wrote {args.json}")
    if args.check:
        bad = [t for t in targets if t.status in ("fail", "skipped")]
        if bad:
            names = ", ".join(t.description for t in bad)
            print(f"gradio-lossless bench: targets not met: {names}", file=sys.stderr)
            return 1
    return 0
