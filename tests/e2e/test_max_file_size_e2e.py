"""``launch(max_file_size=...)`` and API chains, through a real server.

Gradio's own demo ``image_mod_default_image`` (rotate 45 degrees, a 256x256 JPEG,
``max_file_size="70kb"``): an API client uploads each output as the next input.
Stock serves a ~13 kB WebP; an exact PNG of a 256x256 photo is ~120 kB, so the
second upload is refused, by gradio_client before it sends a byte and by the
server's upload route (413) before any component code runs. The remedies the
README gives are checked here: a limit sized for exact PNGs, or ``format="webp"``
on the output (small display files, exact values on the same server).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import httpx
import PIL.Image
import pytest
from gradio.media import get_image
from gradio_client import handle_file

import gradio_lossless as gl
from gradio_lossless.core.conversions import values_equal
from gradio_lossless.patching import patch, unpatch

pytestmark = pytest.mark.e2e

LIMIT = "70kb"  # the demo's
LIMIT_BYTES = 70 * 1024
HOPS = 3


@pytest.fixture
def patched() -> Iterator[None]:
    patch()
    yield
    unpatch()


def _image_mod_demo(output: gr.Image | str = "image") -> tuple[gr.Interface, list]:  # type: ignore[type-arg]
    """Gradio's image_mod_default_image demo; records (received, returned)."""
    calls: list[tuple[PIL.Image.Image, PIL.Image.Image]] = []

    def image_mod(image: PIL.Image.Image) -> PIL.Image.Image:
        rotated = image.rotate(45)
        calls.append((image, rotated))
        return rotated

    demo = gr.Interface(
        image_mod,
        gr.Image(type="pil", value=get_image("cheetah1.jpg")),
        output,
        api_name="predict",
    )
    return demo, calls


def _chain(client, hops: int = HOPS) -> list[str]:  # type: ignore[no-untyped-def]
    path = get_image("cheetah1.jpg")
    served = []
    for _ in range(hops):
        path = client.predict(handle_file(path), api_name="/predict")
        served.append(path)
    return served


def test_stock_chain_fits_the_limit(server) -> None:  # type: ignore[no-untyped-def]
    demo, calls = _image_mod_demo()
    with server(demo, max_file_size=LIMIT) as (_, client):
        served = _chain(client)
    assert len(calls) == HOPS
    assert all(Path(p).suffix == ".webp" for p in served)
    assert all(Path(p).stat().st_size < LIMIT_BYTES for p in served)


def test_patched_chain_is_refused_at_hop_2(server, patched: None) -> None:  # type: ignore[no-untyped-def]
    demo, calls = _image_mod_demo()
    with server(demo, max_file_size=LIMIT) as (url, client):
        (first,) = _chain(client, hops=1)
        size = Path(first).stat().st_size
        assert size > LIMIT_BYTES  # the exact PNG of a 256x256 photo
        # gradio_client refuses before sending anything
        refused = f"exceeds the maximum file size of {LIMIT_BYTES} bytes"
        with pytest.raises(ValueError, match=refused):
            client.predict(handle_file(first), api_name="/predict")
        # a client that sends it anyway: Gradio's upload route answers 413 while
        # reading the body, before any component code runs
        with open(first, "rb") as f:
            response = httpx.post(
                f"{url}gradio_api/upload", files=[("files", ("image.png", f))]
            )
        assert response.status_code == 413
        assert response.text == (
            f"File size exceeded maximum allowed size of {LIMIT_BYTES} bytes."
        )
    assert len(calls) == 1


def test_a_limit_sized_for_exact_pngs_lets_the_chain_run(server, patched: None) -> None:  # type: ignore[no-untyped-def]
    """The README's bound for 8-bit values: width x height x channels bytes, +1 %,
    +1 kB (an exact PNG of pure noise measures raw + 0.3 %)."""
    width, height, channels = 256, 256, 3
    bound = int(width * height * channels * 1.01) + 1024
    demo, calls = _image_mod_demo()
    with server(demo, max_file_size=bound) as (_, client):
        served = _chain(client)
    assert all(Path(p).stat().st_size <= bound for p in served)
    assert len(calls) == HOPS
    for (_, returned), (received, _) in itertools.pairwise(calls):
        assert values_equal(received, returned)
    assert values_equal(gl.read(served[-1]), calls[-1][1])
