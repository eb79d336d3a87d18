"""Driving a running app's endpoint with ``gradio_client``, hop after hop."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradio_lossless.tools.audit.fidelity import Array, Fidelity, compare, read_array

if TYPE_CHECKING:
    from gradio_client import Client

__all__ = [
    "AuditError",
    "Endpoint",
    "call",
    "connect",
    "find_endpoint",
    "one_line",
    "run_hops",
]


class AuditError(Exception):
    """Why the audit could not run: bad arguments, no connection, unusable endpoint."""


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
        raise AuditError(f"cannot connect to {url}: {one_line(exc)}") from exc


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


def _unwrap(value: Any) -> Any:
    """The value of an update-style output (``gr.Image(value=...)`` or
    ``gr.update(value=...)`` returned by the function): gradio_client gives it as
    ``{"__type__": "update", "value": ..., <other properties>}``."""
    if isinstance(value, dict) and value.get("__type__") == "update":
        return value.get("value")
    return value


def call(client: Client, endpoint: Endpoint, image: str | Path, *, hop: int) -> Path:
    """Upload ``image`` (byte for byte) to ``endpoint`` once; the path of the image
    file it served (downloaded by the client).

    Update-style outputs are unwrapped; for a gallery, its first image is used.

    Raises:
        AuditError: the app raised an error or returned no image file.
    """
    from gradio_client import handle_file

    args = list(endpoint.arguments)
    upload = handle_file(str(image))
    if endpoint.input_kind == "gallery":
        upload = [{"image": upload, "caption": None}]
    args[endpoint.image_input] = upload
    try:
        result = client.predict(*args, api_name=endpoint.api_name)
    except Exception as exc:
        raise AuditError(
            f"hop {hop}: {endpoint.api_name} failed: {one_line(exc)}"
        ) from exc
    raw = result[endpoint.image_output] if endpoint.outputs > 1 else result
    output = _unwrap(raw)
    if output is None and raw is not None:
        raise AuditError(
            f"hop {hop}: {endpoint.api_name} returned an update without an image "
            "value (only properties)"
        )
    if endpoint.output_kind == "gallery":
        first = (output or [None])[0]
        output = _unwrap(first.get("image") if isinstance(first, dict) else first)
    if isinstance(output, dict):  # an image the client did not download
        output = output.get("path")
    if not output or not Path(str(output)).is_file():
        raise AuditError(f"hop {hop}: {endpoint.api_name} returned no image file")
    return Path(str(output))


def run_hops(
    client: Client,
    endpoint: Endpoint,
    image: str | Path,
    hops: int,
    *,
    original: Array | None = None,
    on_hop: Callable[[Fidelity, str], None] | None = None,
) -> list[Fidelity]:
    """Feed ``image`` through ``endpoint`` ``hops`` times, output k into hop k+1, and
    compare every output with the original (what a pass-through endpoint is
    measured by; the audit's judgements are in ``chain``).

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
    reference = read_array(image) if original is None else original
    current = str(image)
    results: list[Fidelity] = []
    for hop in range(1, hops + 1):
        current = str(call(client, endpoint, current, hop=hop))
        fidelity = compare(reference, read_array(current), hop=hop)
        results.append(fidelity)
        if on_hop is not None:
            on_hop(fidelity, current)
    return results


def one_line(exc: BaseException) -> str:
    """The first line of an exception's text (its type's name when it has none)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
