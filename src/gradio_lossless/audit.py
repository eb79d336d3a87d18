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

This module also holds the fidelity measure and the PSNR-per-hop plot that the
demo and ``scripts/make_figures.py`` share.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import PIL.Image

if TYPE_CHECKING:
    from gradio_client import Client
    from matplotlib.figure import Figure

__all__ = [
    "AuditError",
    "Endpoint",
    "Fidelity",
    "compare",
    "configure",
    "connect",
    "default_image",
    "find_endpoint",
    "plot_fidelity",
    "run",
    "run_hops",
    "to_array",
]

Array = npt.NDArray[Any]

# The same colours wherever stock and lossless are drawn side by side.
STOCK_COLOR = "#d1495b"
LOSSLESS_COLOR = "#2e933c"


class AuditError(Exception):
    """Why the audit could not run: bad arguments, no connection, unusable endpoint."""


# --- fidelity -----------------------------------------------------------------------


@dataclass(frozen=True)
class Fidelity:
    """One hop's output compared with the original.

    Parameters:
        hop: the hop number, from 1.
        psnr: peak signal-to-noise ratio in dB, peak = the dtype's range; inf if exact.
        max_abs_error: largest absolute difference, in the image's units (uint8 levels).
        bit_exact: True when dtype, shape and every value are identical.
        ssim: mean structural similarity (1.0 means identical), when asked for.
        note: what changed besides the values, e.g. "shape (4, 4, 3) -> (4, 4, 4)".

    When the shapes differ nothing can be compared: psnr, max_abs_error (and ssim)
    are nan.
    """

    hop: int
    psnr: float
    max_abs_error: float
    bit_exact: bool
    ssim: float | None = None
    note: str = ""


def _data_range(original: Array) -> float:
    if original.dtype == np.bool_:
        return 1.0
    if np.issubdtype(original.dtype, np.integer):
        info = np.iinfo(original.dtype)
        return float(info.max) - float(min(info.min, 0))
    span = (
        float(np.nanmax(original)) - float(np.nanmin(original)) if original.size else 0
    )
    return span if span > 0 else 1.0


def compare(
    original: Array, candidate: Array, *, hop: int = 0, ssim: bool = False
) -> Fidelity:
    """Compare a hop's output with the original, bit for bit and by PSNR (and SSIM).

    Parameters:
        original: the image fed into hop 1, as an array.
        candidate: the image after ``hop`` hops, as an array.
        hop: the hop number recorded in the result.
        ssim: also compute SSIM (``skimage.metrics.structural_similarity``; slower).
    Returns:
        A :class:`Fidelity`. PSNR comes from ``skimage.metrics.peak_signal_noise_ratio``
        with the original dtype's full range as peak (255 for uint8).
    """
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    if original.shape != candidate.shape:
        note = f"shape {original.shape} -> {candidate.shape}"
        return Fidelity(
            hop, math.nan, math.nan, False, math.nan if ssim else None, note
        )
    note = (
        ""
        if original.dtype == candidate.dtype
        else (f"dtype {original.dtype} -> {candidate.dtype}")
    )
    if not note and original.tobytes() == candidate.tobytes():
        return Fidelity(hop, math.inf, 0.0, True, 1.0 if ssim else None)
    a = original.astype(np.float64)
    b = candidate.astype(np.float64)
    peak = _data_range(original)
    max_err = float(np.nanmax(np.abs(a - b))) if a.size else 0.0
    psnr = (
        math.inf
        if max_err == 0
        else float(peak_signal_noise_ratio(a, b, data_range=peak))
    )
    quality = None
    if ssim:
        channel_axis = -1 if a.ndim == 3 else None
        win = min(7, *a.shape[:2])
        win -= 1 - win % 2  # odd, as skimage requires
        quality = (
            float(
                structural_similarity(
                    a, b, data_range=peak, channel_axis=channel_axis, win_size=win
                )
            )
            if win >= 3
            else math.nan
        )
    return Fidelity(hop, psnr, max_err, False, quality, note)


def to_array(value: PIL.Image.Image | Array) -> Array:
    """An image value as an array for :func:`compare`: arrays as they are, PIL images
    as ``numpy.asarray`` gives them (palette images expanded to RGB/RGBA first)."""
    if isinstance(value, np.ndarray):
        return value
    if value.mode == "P":
        value = value.convert("RGBA" if "transparency" in value.info else "RGB")
    return np.asarray(value)


def read_array(path: str | Path) -> Array:
    """Read an image file as an array, exactly (our own files give back the exact
    value the app returned, including 16-bit and float arrays)."""
    from gradio_lossless.io import read

    return to_array(read(path))


def default_image() -> npt.NDArray[np.uint8]:
    """The embedded default: scikit-image's astronaut, 512x512 RGB uint8 (bundled
    with scikit-image, nothing is downloaded)."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


# --- plot ---------------------------------------------------------------------------


def plot_fidelity(
    series: Mapping[str, Sequence[Fidelity]],
    *,
    title: str = "Quality per hop",
    colors: Mapping[str, str] | None = None,
    figsize: tuple[float, float] = (6.4, 3.4),
    dpi: int = 100,
) -> Figure:
    """PSNR per hop, one line per series; bit-exact hops (PSNR = ∞) are drawn on a
    ceiling line labelled "∞ bit-exact" above every finite value.

    Parameters:
        series: label -> that series' hops, in order.
        title: the figure title.
        colors: label -> matplotlib colour; defaults cycle.
        figsize: inches.
        dpi: dots per inch.
    Returns:
        A ``matplotlib.figure.Figure`` (Agg; no pyplot, safe in server threads).
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    ax = fig.subplots()
    finite = [f.psnr for hops in series.values() for f in hops if math.isfinite(f.psnr)]
    top = max([*finite, 40.0])
    ceiling = math.ceil((top + 6) / 5) * 5
    floor = math.floor((min([*finite, top]) - 4) / 5) * 5
    any_exact = False
    for i, (label, hops) in enumerate(series.items()):
        if not hops:
            ax.plot([], [], label=label, color=(colors or {}).get(label, f"C{i}"))
            continue
        xs = [f.hop for f in hops]
        ys = [ceiling if f.psnr == math.inf else f.psnr for f in hops]
        any_exact = any_exact or any(f.psnr == math.inf for f in hops)
        ax.plot(
            xs,
            ys,
            label=label,
            color=(colors or {}).get(label, f"C{i}"),
            marker="o" if len(xs) <= 30 else None,
            markersize=3,
            linewidth=2,
        )
    ax.set_ylim(max(floor, 0), ceiling + 3)
    ax.set_xlabel("hop")
    ax.set_ylabel("PSNR vs original (dB)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if any_exact:
        ax.axhline(ceiling, color="0.6", linestyle=":", linewidth=1)
        ticks = [t for t in ax.get_yticks() if max(floor, 0) <= t < ceiling - 2]
        ax.set_yticks([*ticks, ceiling], [f"{t:g}" for t in ticks] + ["∞"])
        ax.annotate(
            "bit-exact (PSNR = ∞)",
            xy=(0.01, ceiling),
            xycoords=("axes fraction", "data"),
            xytext=(0, 4),
            textcoords="offset points",
            fontsize=8,
            color="0.35",
        )
    hops_max = max((len(h) for h in series.values()), default=0)
    ax.set_xlim(0.5, max(hops_max, 1) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.legend(loc="lower left", fontsize=8)
    return fig


# --- driving an app -----------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """The parts of an endpoint the audit uses.

    Parameters:
        api_name: e.g. "/predict".
        image_input: index of the first image parameter (Image or Gallery).
        arguments: the value for every parameter (defaults; None at ``image_input``).
        image_output: index of the first image return value (Image or Gallery).
        outputs: how many values the endpoint returns.
        input_kind: "image" or "gallery" (a gallery gets a one-image list).
        output_kind: "image" or "gallery" (the gallery's first image is used).
    """

    api_name: str
    image_input: int
    arguments: tuple[Any, ...]
    image_output: int
    outputs: int
    input_kind: str = "image"
    output_kind: str = "image"


def connect(url: str, *, download_dir: str | Path) -> Client:
    """A ``gradio_client.Client`` for ``url``.

    Raises:
        AuditError: the URL is not http(s) or the app cannot be reached.
    """
    if not url.startswith(("http://", "https://")):
        raise AuditError(f"URL must start with http:// or https://, got {url!r}")
    from gradio_client import Client

    try:
        return Client(url, verbose=False, download_files=str(download_dir))
    except Exception as exc:
        raise AuditError(f"cannot connect to {url}: {_one_line(exc)}") from exc


IMAGE_COMPONENTS = ("image", "gallery")


def _kind(spec: Mapping[str, Any]) -> str:
    return str(spec.get("component", "")).lower()


def find_endpoint(client: Client, api_name: str) -> Endpoint:
    """Find ``api_name`` and its first image input and output (an Image, or a
    Gallery, whose first image is followed).

    Raises:
        AuditError: no such endpoint, no image input or output, or another input
            without a default (the audit cannot invent a prompt).
    """
    name = api_name if api_name.startswith("/") else f"/{api_name}"
    info = client.view_api(print_info=False, return_format="dict")
    endpoints: dict[str, Any] = info["named_endpoints"]
    if name not in endpoints:
        known = ", ".join(sorted(endpoints)) or "none"
        raise AuditError(f"no endpoint {name!r} in this app; its endpoints: {known}")
    endpoint = endpoints[name]
    params: list[dict[str, Any]] = endpoint["parameters"]
    returns: list[dict[str, Any]] = endpoint["returns"]
    image_in = next(
        (i for i, p in enumerate(params) if _kind(p) in IMAGE_COMPONENTS), None
    )
    image_out = next(
        (i for i, r in enumerate(returns) if _kind(r) in IMAGE_COMPONENTS), None
    )
    if image_in is None:
        raise AuditError(f"endpoint {name!r} has no image input")
    if image_out is None:
        raise AuditError(f"endpoint {name!r} returns no image")
    arguments: list[Any] = []
    for i, param in enumerate(params):
        if i == image_in:
            arguments.append(None)
        elif param.get("parameter_has_default"):
            arguments.append(param.get("parameter_default"))
        else:
            label = param.get("parameter_name") or param.get("label") or f"#{i}"
            raise AuditError(
                f"endpoint {name!r} needs a value for {label!r} "
                f"({param.get('component')}), which the audit cannot supply; "
                "give it a default in the app"
            )
    return Endpoint(
        name,
        image_in,
        tuple(arguments),
        image_out,
        len(returns),
        _kind(params[image_in]),
        _kind(returns[image_out]),
    )


def run_hops(
    client: Client,
    endpoint: Endpoint,
    image: str | Path,
    hops: int,
    *,
    original: Array | None = None,
    on_hop: Callable[[Fidelity, str], None] | None = None,
) -> list[Fidelity]:
    """Feed ``image`` through ``endpoint`` ``hops`` times, output k into hop k+1.

    Parameters:
        client: a connected client (see :func:`connect`).
        endpoint: from :func:`find_endpoint`.
        image: the file uploaded for hop 1, byte for byte.
        hops: how many hops.
        original: what to compare with; default: ``image`` read exactly.
        on_hop: called with each hop's fidelity and the path of its output file.
    Returns:
        One :class:`Fidelity` per hop.
    Raises:
        AuditError: the app raised an error or returned no image.
    """
    from gradio_client import handle_file

    reference = read_array(image) if original is None else original
    current = str(image)
    results: list[Fidelity] = []
    for hop in range(1, hops + 1):
        args = list(endpoint.arguments)
        upload = handle_file(current)
        if endpoint.input_kind == "gallery":
            upload = [{"image": upload, "caption": None}]
        args[endpoint.image_input] = upload
        try:
            result = client.predict(*args, api_name=endpoint.api_name)
        except Exception as exc:
            raise AuditError(
                f"hop {hop}: {endpoint.api_name} failed: {_one_line(exc)}"
            ) from exc
        output = result[endpoint.image_output] if endpoint.outputs > 1 else result
        if endpoint.output_kind == "gallery":
            output = (output or [{}])[0].get("image")
        if isinstance(output, dict):  # an image the client did not download
            output = output.get("path")
        if not output or not Path(str(output)).is_file():
            raise AuditError(f"hop {hop}: {endpoint.api_name} returned no image file")
        current = str(output)
        fidelity = compare(reference, read_array(current), hop=hop)
        results.append(fidelity)
        if on_hop is not None:
            on_hop(fidelity, current)
    return results


# --- command line -------------------------------------------------------------------


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
    try:
        return _audit(args)
    except AuditError as exc:
        if getattr(args, "verbose", False):
            raise
        print(f"gradio-lossless audit: {exc}", file=sys.stderr)
        return 2


def _audit(args: argparse.Namespace) -> int:
    from rich.console import Console

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
            raise AuditError(f"--image {str(image)!r}: {_one_line(exc)}") from exc
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


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
