"""The demo app: its columns are really stock and really lossless, the functions
pass their input on untouched, and the values they receive are what the columns
claim, checked through gradio_client against a real server."""

from __future__ import annotations

import runpy
from pathlib import Path

import gradio as gr
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

import gradio_lossless.tools.demo.app as demo_module
from gradio_lossless.cli import build_parser, main
from gradio_lossless.components import Image
from gradio_lossless.core.conversions import values_equal
from gradio_lossless.tools.audit.fidelity import default_image
from gradio_lossless.tools.demo.app import Trail, build_demo, hop
from tests.samples import photo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo() -> gr.Blocks:
    return build_demo()


def by_id(demo: gr.Blocks, elem_id: str) -> gr.components.Component:
    (block,) = [
        b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id
    ]
    return block  # type: ignore[return-value]


def endpoint_fn(demo: gr.Blocks, api_name: str):  # type: ignore[no-untyped-def]
    (fn,) = [f for f in demo.fns.values() if f.api_name == api_name]
    return fn.fn


def test_default_image_is_the_bundled_astronaut() -> None:
    image = default_image()
    assert (image.shape, image.dtype) == ((512, 512, 3), np.dtype("uint8"))


def test_stock_column_is_really_stock(demo) -> None:  # type: ignore[no-untyped-def]
    for slot in ("a", "b"):
        stock = by_id(demo, f"stock-{slot}")
        ours = by_id(demo, f"lossless-{slot}")
        assert type(stock) is gr.components.image.Image
        assert (stock.type, stock.format) == ("numpy", "webp")
        assert type(ours) is Image
        assert (ours.type, ours.format) == ("numpy", "webp")  # stock's default


def test_ping_pong_functions_return_their_input(demo) -> None:  # type: ignore[no-untyped-def]
    image = photo(32, 48)
    for api_name in ("stock_a_to_b", "stock_b_to_a", "lossless_a_to_b"):
        outputs = endpoint_fn(demo, api_name)(image, Trail(), Trail(), image)
        assert outputs[0] is image
        assert outputs[1].hops[0].bit_exact


def test_hop_compares_what_was_received_with_the_original() -> None:
    original = photo(32, 48)
    received = original.copy()
    received[3, 4, 1] += 1
    trail = hop(received, Trail(), original, source="a")
    assert trail.at == "b"
    assert trail.received is received
    (fidelity,) = trail.hops
    assert (fidelity.hop, fidelity.bit_exact, fidelity.max_abs_error) == (1, False, 1.0)
    assert 0.99 < fidelity.ssim < 1  # type: ignore[operator]
    again = hop(original, trail, original, source="b")
    assert (again.at, len(again.hops), again.hops[1].bit_exact) == ("a", 2, True)


def test_hop_from_an_empty_component_is_a_user_error() -> None:
    with pytest.raises(gr.Error) as exc:
        hop(None, Trail(), photo(8, 8), source="b")
    assert exc.value.message == "Image B is empty: nothing to pass on."


@pytest.mark.e2e
def test_through_the_api_lossless_stays_exact_stock_degrades(server, tmp_path):  # type: ignore[no-untyped-def]
    """Hop like the browser does: each output file is the next input."""
    hops = 6
    with server(build_demo()) as (_, client):
        start = tmp_path / "start.png"
        PIL.Image.fromarray(default_image()).save(start)
        status = {}
        for side in ("stock", "lossless"):
            current = str(start)
            for i in range(hops):
                direction = "a_to_b" if i % 2 == 0 else "b_to_a"
                out = client.predict(
                    handle_file(current), api_name=f"/{side}_{direction}"
                )
                current, status[side] = out[0], out[1]
        with np.load(client.predict(api_name="/export")) as npz:
            received = {key: npz[key] for key in npz.files}

    original = default_image()
    assert values_equal(received["original"], original)
    assert values_equal(received["lossless"], original)
    assert not values_equal(received["stock"], original)
    assert int(received["stock_hops"]) == int(received["lossless_hops"]) == hops
    assert f'data-hops="{hops}" data-exact="true"' in status["lossless"]
    assert "✓ bit-exact" in status["lossless"]
    assert f'data-hops="{hops}" data-exact="false"' in status["stock"]
    assert "✗ not bit-exact" in status["stock"]


@pytest.mark.e2e
def test_upload_resets_original_and_counters(server, tmp_path):  # type: ignore[no-untyped-def]
    upload = photo(40, 56)
    path = tmp_path / "upload.png"
    PIL.Image.fromarray(upload).save(path)
    with server(build_demo()) as (_, client):
        client.predict(handle_file(str(path)), api_name="/lossless_a_to_b")
        outputs = client.predict(handle_file(str(path)), api_name="/reset")
        with np.load(client.predict(api_name="/export")) as npz:
            received = {key: npz[key] for key in npz.files}
    assert values_equal(received["original"], upload)
    assert int(received["stock_hops"]) == int(received["lossless_hops"]) == 0
    assert "lossless" not in received
    statuses = [o for o in outputs if isinstance(o, str) and "gl-status" in o]
    assert len(statuses) == 2
    assert all('data-hops="0"' in s for s in statuses)


def test_cli_defaults_to_localhost(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    args = build_parser().parse_args(["demo"])
    assert (args.host, args.port) == ("127.0.0.1", None)
    launched = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.update(kw))
    assert main(["demo", "--port", "8123", "--host", "0.0.0.0"]) == 0
    assert launched == {"server_name": "0.0.0.0", "server_port": 8123}


def test_demo_app_shim_builds_without_launching(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: pytest.fail("launched"))
    namespace = runpy.run_path(str(ROOT / "demo" / "app.py"))
    assert isinstance(namespace["demo"], gr.Blocks)
    assert namespace["build_demo"] is demo_module.build_demo
