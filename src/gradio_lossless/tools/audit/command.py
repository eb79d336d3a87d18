"""``gradio-lossless audit``: does a running Gradio app degrade the images it passes on?

The audit feeds one image through an endpoint of a running app again and again
with ``gradio_client``. The output of hop k becomes the input of hop k+1, the way a
client (or a ping-pong UI) chains calls. It uses the endpoint's first image input and
first image output (a ``gr.Image``, or the first image of a ``gr.Gallery``; an
update such as ``gr.Image(value=...)`` is unwrapped):

    gradio-lossless audit http://127.0.0.1:7860/ --api-name /predict --hops 20

Hop 1 picks the judgement (``judge``): an identity is compared with the original at
every hop; an endpoint that changes the image (a flip, a filter) is judged by the
files the app served (a lossy format, a narrowed dtype) and by calling every hop
twice with the same upload. The report names the judgement it used.

Exit status: 0 when the audit finds the image kept exactly, 1 when it degrades, 2 on
a usage or connection error (one line on stderr; the traceback only with
``--verbose``). ``--out DIR`` writes ``audit.png`` (PSNR against the original per
hop) and ``audit.json`` (the judgement, the verdict and every hop).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

__all__ = ["configure", "run"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the audit's arguments to its subcommand parser."""
    parser.add_argument("url", help="the running app, e.g. http://127.0.0.1:7860/")
    parser.add_argument(
        "--api-name", required=True, help="the endpoint to audit, e.g. /predict"
    )
    parser.add_argument(
        "--image",
        type=Path,
        help="image to feed in (default: the embedded 512x512 astronaut)",
    )
    parser.add_argument("--hops", type=_positive, required=True, help="how many hops")
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for audit.png (PSNR per hop) and audit.json (every hop)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks",
    )


def run(args: argparse.Namespace) -> int:
    """Run the audit; 0 exact, 1 degraded, 2 usage or connection error."""
    from gradio_lossless.tools.audit.endpoint import AuditError

    try:
        return _audit(args)
    except AuditError as exc:
        if getattr(args, "verbose", False):
            raise
        print(f"gradio-lossless audit: {exc}", file=sys.stderr)
        return 2


def _audit(args: argparse.Namespace) -> int:
    import PIL.Image
    from rich.console import Console

    from gradio_lossless.tools.audit.chain import run_chain
    from gradio_lossless.tools.audit.endpoint import (
        AuditError,
        connect,
        find_endpoint,
        one_line,
    )
    from gradio_lossless.tools.audit.fidelity import default_image, read_array
    from gradio_lossless.tools.audit.judge import Hop, judge
    from gradio_lossless.tools.audit.report import print_report, write_outputs

    console = Console()
    with tempfile.TemporaryDirectory(prefix="gl-audit-") as tmp:
        if args.image is None:
            image = Path(tmp) / "astronaut.png"
            PIL.Image.fromarray(default_image()).save(image)
            described = "the embedded astronaut (512x512 RGB)"
        else:
            image = args.image
            described = str(image)
        try:
            original = read_array(image)
        except FileNotFoundError:
            raise AuditError(f"--image {str(image)!r}: no such file") from None
        except (OSError, ValueError) as exc:
            raise AuditError(f"--image {str(image)!r}: {one_line(exc)}") from exc
        client = connect(args.url, download_dir=Path(tmp) / "downloads")
        endpoint = find_endpoint(client, args.api_name)
        with console.status(f"hop 1 of {args.hops}") as status:

            def progress(hop: Hop) -> None:
                status.update(f"hop {hop.hop + 1} of {args.hops}")

            judgement, hops = run_chain(
                client,
                endpoint,
                Path(image),
                args.hops,
                original=original,
                workdir=Path(tmp) / "served",
                on_hop=progress,
            )
    verdict = judge(judgement, hops, endpoint.api_name)
    console.print(
        f"audit {args.url.rstrip('/')} {endpoint.api_name}: {described}, "
        f"{len(hops)} hops",
        soft_wrap=True,
    )
    print_report(console, judgement, hops, verdict)
    if args.out is not None:
        written = write_outputs(args.out, endpoint.api_name, judgement, hops, verdict)
        console.print(f"wrote {', '.join(str(p) for p in written)}", soft_wrap=True)
    return 0 if verdict.exact else 1
