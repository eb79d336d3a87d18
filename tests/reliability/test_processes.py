"""Two server processes, separate memory and separate cache folders: an image one
serves, downloaded and uploaded again by an API client to the other, arrives exact
(issue 7, item 4). Nothing is shared between them but the file the client carries
and the machine's server secret (the default secret file both processes read)."""

from __future__ import annotations

import pytest
from gradio_client import handle_file

import gradio_lossless as gl
from gradio_lossless.core import conversions
from tests import exact
from tests.reliability.apps import sample

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("name", "kind"),
    [("float32_rgb", "numpy"), ("uint16_rgb", "numpy"), ("pil_rgba", "pil")],
)
def test_a_value_served_by_one_process_arrives_exact_at_another(
    two_servers, name: str, kind: str
) -> None:
    a, b = two_servers
    assert a.pid != b.pid and a.cache_dir != b.cache_dir
    want = sample(name)
    client_a, client_b = a.client(), b.client()

    served = client_a.predict(name, api_name="/make")  # a file A wrote, downloaded
    assert conversions.values_equal(gl.read(served), want)
    address = exact.server_keys().address(want)
    assert not any(b.cache_dir.glob(f"lossless/{address}"))

    # B's function receives exactly A's value ...
    got = client_b.predict(handle_file(served), api_name=f"/fingerprint_{kind}")
    assert got == conversions.fingerprint(want)
    # ... and serves it back exactly, from its own cache folder
    back = client_b.predict(handle_file(served), api_name=f"/{kind}")
    assert conversions.values_equal(gl.read(back), want)
    assert any(b.cache_dir.glob(f"lossless/{address}/image.webp"))  # the default
    # and the trip back to A is exact too
    again = client_a.predict(handle_file(back), api_name=f"/fingerprint_{kind}")
    assert again == conversions.fingerprint(want)


def test_pil_metadata_travels_between_processes(two_servers) -> None:
    a, b = two_servers
    want = sample("pil_rgba")
    served = a.client().predict("pil_rgba", api_name="/make")
    back = gl.read(b.client().predict(handle_file(served), api_name="/pil"))
    assert back.mode == "RGBA"
    assert back.info["parameters"] == want.info["parameters"]
    assert back.info["dpi"] == (300.0, 299.5)
    assert conversions.values_equal(back, want)
