"""The ``gradio-lossless`` command line: parsing, output and exit codes only.

Each subcommand lives in its own module, which exposes ``configure(parser)`` and
``run(args) -> int``; this module only wires them together.

Exit codes: 0 OK, 1 degraded / something skipped, 2 usage or connection error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main"]

# subcommand -> (module, one-line help). Imported lazily so `--help` stays fast.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("gradio_lossless.demo", "the original bug report as a live side-by-side"),
    "lab": (
        "gradio_lossless.lab.command",
        "what each codec does to an image over N hops",
    ),
    "audit": ("gradio_lossless.audit", "does a running app degrade images?"),
    "bench": ("gradio_lossless.bench", "us vs stock Gradio, measured in one run"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradio-lossless",
        description="Lossless gr.Image / gr.Gallery and tools to measure image loss.",
    )
    parser.add_argument("--verbose", action="store_true", help="show tracebacks")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            sub.set_defaults(_missing=module_name)
            continue
        module.configure(sub)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if getattr(args, "_missing", None):
        print(
            f"gradio-lossless: '{args.command}' is not available yet", file=sys.stderr
        )
        return 2
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        print(f"gradio-lossless {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
