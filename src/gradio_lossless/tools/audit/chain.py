"""The audit's chain: hop after hop through a running app, each hop measured the way
its judgement (``judge``) needs.

Hop k uploads the file hop k-1 served (hop 1: the image given), byte for byte and
under the served name, as a client chaining calls does. Once hop 1 shows the
endpoint is not an identity, every hop is called a second time with the same
upload, and its two outputs are compared.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gradio_lossless.core.errors import CorruptImageError, LimitError
from gradio_lossless.tools.audit.endpoint import AuditError, Endpoint, call, one_line
from gradio_lossless.tools.audit.fidelity import Array, compare
from gradio_lossless.tools.audit.judge import Hop, Judgement, classify, narrowed
from gradio_lossless.tools.audit.served import Served, read_served

if TYPE_CHECKING:
    from gradio_client import Client

__all__ = ["run_chain"]


def _read(path: Path, hop: int, api_name: str) -> tuple[Served, Array]:
    try:
        return read_served(path)
    except (CorruptImageError, LimitError, OSError) as exc:
        raise AuditError(
            f"hop {hop}: {api_name} served {path.name!r}, which this client cannot "
            f"read as an image: {one_line(exc)}"
        ) from exc


def _keep(path: Path, workdir: Path, hop: int) -> Path:
    """A private copy of a served file under its own name (the client may download
    the repeated call's output to the same path)."""
    folder = workdir / f"hop-{hop}"
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(path, folder / path.name))


def run_chain(
    client: Client,
    endpoint: Endpoint,
    image: Path,
    hops: int,
    *,
    original: Array,
    workdir: Path,
    on_hop: Callable[[Hop], None] | None = None,
) -> tuple[Judgement, list[Hop]]:
    """Run ``hops`` hops from ``image``; the judgement hop 1 calls for, and each hop.

    Parameters:
        client: a connected client.
        endpoint: from ``endpoint.find_endpoint``.
        image: the file uploaded for hop 1, byte for byte.
        hops: how many hops.
        original: ``image`` read exactly (what hop 1 is compared with).
        workdir: a folder for copies of the served files.
        on_hop: called after each hop.
    Raises:
        AuditError: the app raised an error, returned no image, or served a file
            this client cannot read.
    """
    current, fed = image, original
    judgement: Judgement | None = None
    results: list[Hop] = []
    for k in range(1, hops + 1):
        path = call(client, endpoint, current, hop=k)
        served, value = _read(path, k, endpoint.api_name)
        vs_original = compare(original, value, hop=k)
        if judgement is None:
            judgement = classify(Hop(k, vs_original, served))
        repeat = None
        if judgement.kind == "non-identity":
            path = _keep(path, workdir, k)
            _, again = _read(
                call(client, endpoint, current, hop=k), k, endpoint.api_name
            )
            repeat = compare(value, again, hop=k)
        hop = Hop(k, vs_original, served, narrowed(fed, value, served), repeat)
        results.append(hop)
        if on_hop is not None:
            on_hop(hop)
        current, fed = path, value
    assert judgement is not None  # noqa: S101 - hops >= 1
    return judgement, results
