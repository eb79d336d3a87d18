"""``gradio-lossless audit``: does a running Gradio app degrade the images it passes on?

The audit feeds one image through an endpoint of a running app again and again
with ``gradio_client``. The output of hop k becomes the input of hop k+1, the way a
client (or a ping-pong UI) chains calls. It uses the endpoint's first image input and
first image output (a ``gr.Image``, or the first image of a ``gr.Gallery``) and
compares every output with the original:

    gradio-lossless audit http://127.0.0.1:7860/ --api-name /predict --hops 20

Exit status: 0 when the image survives every hop bit-exact, 1 when it degrades, 2 on
a usage or connection error (one line on stderr; the traceback only with
``--verbose``). ``--out DIR`` writes ``audit.png`` (PSNR per hop) and
``audit.json`` (every hop).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gradio_lossless.tools.audit.fidelity import Fidelity

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
        "--out", type=Path, help="folder for audit.png (PSNR per hop) and audit.json"
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks",
    )


def run(args: argparse.Namespace) -> int:
    """Run the audit; 0 bit-exact, 1 degraded, 2 usage or connection error."""
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

    from gradio_lossless.tools.audit.endpoint import (
        AuditError,
        connect,
        find_endpoint,
        one_line,
        run_hops,
    )
    from gradio_lossless.tools.audit.fidelity import default_image, read_array

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

            def progress(fidelity: Fidelity, _: str) -> None:
                status.update(f"hop {fidelity.hop + 1} of {args.hops}")

            results = run_hops(
                client, endpoint, image, args.hops, original=original, on_hop=progress
            )
    console.print(
        f"audit {args.url.rstrip('/')} {endpoint.api_name}: {described}, "
        f"{len(results)} hops"
    )
    console.print(_table(results))
    degraded = [r for r in results if not r.bit_exact]
    if degraded:
        first, last = degraded[0], results[-1]
        console.print(
            f"[bold red]✗ degrades[/]: {endpoint.api_name} changes the image from hop "
            f"{first.hop} ({_describe(first)}); after hop {last.hop}: {_describe(last)}"
        )
    else:
        console.print(
            f"[bold green]✓ bit-exact[/]: {endpoint.api_name} passed the image through "
            f"{len(results)} hops unchanged"
        )
    if args.out is not None:
        written = _write_outputs(args.out, results, endpoint.api_name)
        console.print(f"wrote {', '.join(str(p) for p in written)}")
    return 1 if degraded else 0


def _describe(f: Fidelity) -> str:
    if f.bit_exact:
        return "bit-exact"
    parts = [f"PSNR {f.psnr:.2f} dB", f"max abs error {f.max_abs_error:g}"]
    return ", ".join([*parts, f.note] if f.note else parts)


def _rows_to_show(n: int) -> list[int]:
    if n <= 25:
        return list(range(1, n + 1))
    return sorted({*range(1, 11), *range(20, n + 1, 10), n})


def _table(results: Sequence[Fidelity]) -> Any:
    from rich.table import Table

    shown = _rows_to_show(len(results))
    caption = None
    if len(shown) < len(results):
        caption = f"{len(shown)} of {len(results)} hops shown; --out writes them all"
    table = Table(caption=caption)
    table.add_column("hop", justify="right")
    table.add_column("PSNR (dB)", justify="right")
    table.add_column("max abs error", justify="right")
    table.add_column("bit-exact", justify="center")
    for hop in shown:
        f = results[hop - 1]
        psnr = "∞" if f.psnr == math.inf else f"{f.psnr:.2f}"
        exact = (
            "[green]✓[/]"
            if f.bit_exact
            else "[red]✗[/]" + (f" {f.note}" if f.note else "")
        )
        table.add_row(str(f.hop), psnr, f"{f.max_abs_error:g}", exact)
    return table


def _write_outputs(out: Path, results: Sequence[Fidelity], api_name: str) -> list[Path]:
    from gradio_lossless.tools.audit.endpoint import AuditError
    from gradio_lossless.tools.audit.plot import (
        LOSSLESS_COLOR,
        STOCK_COLOR,
        plot_fidelity,
    )

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AuditError(f"--out {str(out)!r}: {exc.strerror}") from None
    color = LOSSLESS_COLOR if all(r.bit_exact for r in results) else STOCK_COLOR
    fig = plot_fidelity(
        {api_name: results}, title=f"audit {api_name}", colors={api_name: color}
    )
    png = out / "audit.png"
    fig.savefig(png)
    report = out / "audit.json"
    rows = [{k: _json_number(v) for k, v in asdict(r).items()} for r in results]
    report.write_text(json.dumps({"api_name": api_name, "hops": rows}, indent=2) + "\n")
    return [png, report]


def _json_number(value: Any) -> Any:
    """JSON has no inf or nan: write those as the strings "inf" and "nan"."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
