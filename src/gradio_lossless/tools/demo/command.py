"""``gradio-lossless demo``: the original bug report as a live side-by-side
(``app.py``), served until interrupted.

    gradio-lossless demo               # http://127.0.0.1:7860/
    gradio-lossless demo --port 8000 --host 0.0.0.0
"""

from __future__ import annotations

import argparse

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the demo's arguments to its subcommand parser."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help="port (default: Gradio's, 7860 or next)"
    )


def run(args: argparse.Namespace) -> int:
    """Launch the demo and serve until interrupted."""
    from gradio_lossless.tools.demo.app import build_demo

    build_demo().launch(server_name=args.host, server_port=args.port)
    return 0
