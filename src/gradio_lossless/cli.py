"""The ``gradio-lossless`` command line: parsing, output and exit codes only.

Each subcommand is a tool package under ``tools/`` whose ``command`` module exposes
``configure(parser)`` and ``run(args) -> int``. Those modules import only the
standard library at module level, so building the parser (and every ``--help``)
imports no numpy, gradio or plotting library; the work is imported when a command
runs.

The tools need the ``tools`` extra (rich, matplotlib, scikit-image), which a plain
``pip install gradio-lossless`` does not bring: without it a command prints the pip
command that installs it and exits 2.

Exit codes: 0 OK, 1 degraded / something skipped, 2 usage or connection error, or
the tools extra is missing.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

__all__ = ["INSTALL_TOOLS", "main", "missing_tools"]

# subcommand -> one-line help; its code is gradio_lossless.tools.<name>.command
SUBCOMMANDS: dict[str, str] = {
    "demo": "the original bug report as a live side-by-side",
    "lab": "what each codec does to an image over N hops",
    "audit": "does a running app degrade images?",
    "bench": "us vs stock Gradio, measured in one run",
}

TOOLS_EXTRA = ("rich", "matplotlib", "skimage")
"""The modules the ``tools`` extra installs (scikit-image imports as ``skimage``)."""

INSTALL_TOOLS = "pip install 'gradio-lossless[tools]'"


def missing_tools() -> list[str]:
    """The modules of the ``tools`` extra that cannot be imported here."""
    missing = []
    for name in TOOLS_EXTRA:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a None entry in sys.modules, say
            found = False
        if not found:
            missing.append(name)
    return missing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradio-lossless",
        description="Lossless gr.Image / gr.Gallery and tools to measure image loss.",
        epilog=f"The commands need the tools extra: {INSTALL_TOOLS}",
    )
    parser.add_argument("--verbose", action="store_true", help="show tracebacks")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        command = importlib.import_module(f"gradio_lossless.tools.{name}.command")
        command.configure(sub)
        sub.set_defaults(_run=command.run)
    return parser


def _needs_tools(command: str, missing: Sequence[str]) -> int:
    print(
        f"gradio-lossless {command}: needs the tools extra "
        f"(missing: {', '.join(missing)}). Install it with:\n\n    {INSTALL_TOOLS}\n",
        file=sys.stderr,
    )
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    missing = missing_tools()
    if missing:
        return _needs_tools(args.command, missing)
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:
        root = (exc.name or "").split(".")[0]
        if root in TOOLS_EXTRA and not args.verbose:
            return _needs_tools(args.command, [root])
        if args.verbose:
            raise
        print(f"gradio-lossless {args.command}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.verbose:
            raise
        print(f"gradio-lossless {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
