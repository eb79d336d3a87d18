"""gradio_lossless.Image through a real Gradio server and gradio_client.

Each API hop downloads the served file and uploads it again, the way any API client
does; the server function checks what it receives against the original every hop.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import gradio as gr
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

import gradio_lossless as gl
from gradio_lossless.core import conversions
from tests.samples import array_values, photo, pil_values

pytestmark = pytest.mark.e2e
# 30 API hops per run keeps the suite under 10 minutes; E2E_HOPS=100 (or more)
# for a longer run. Each hop is a full upload, function call and download.
HOPS = int(os.environ.get("E2E_HOPS", "30"))


def _chain_app(originals: list[object], kind: str, component=gl.Image):  # type: ignore[no-untyped-def]
    """An endpoint with one image input/output per value that returns its inputs and
    records, per hop, which inputs were not bit-exact."""
    mismatches: list[tuple[int, int]] = []
    calls = [0]

    def hop(*values: object) -> tuple[object, ...]:
        for i, (got, want) in enumerate(zip(values, originals, strict=True)):
            if not conversions.values_equal(got, want):
                mismatches.append((calls[0], i))
        calls[0] += 1
        return values

    with gr.Blocks() as demo:
        ins = [
            component(type=kind, image_mode=None, keep_dtype=True) for _ in originals
        ]
        outs = [
            component(type=kind, image_mode=None, keep_dtype=True) for _ in originals
        ]
        gr.Button().click(hop, ins, outs, api_name="hop")
    return demo, mismatches, calls


def _serve_once(values: list[object], tmp_path: Path) -> list[str]:
    """The originals as exact files to upload for hop 1."""
    comp = gl.Image(image_mode=None, keep_dtype=True)
    return [comp.postprocess(v).path for v in values]


@pytest.mark.parametrize("kind", ["pil", "numpy"])
def test_every_mode_is_exact_after_many_api_hops(
    server, tmp_path: Path, kind: str
) -> None:
    originals: list[object] = (
        list(pil_values().values()) if kind == "pil" else list(array_values().values())
    )
    demo, mismatches, calls = _chain_app(originals, kind)
    paths = _serve_once(originals, tmp_path)
    with server(demo) as (_, client):
        for _ in range(HOPS):
            paths = list(
                client.predict(*[handle_file(p) for p in paths], api_name="/hop")
            )
    assert calls[0] == HOPS
    assert mismatches == []
    for path, original in zip(paths, originals, strict=True):
        assert conversions.values_equal(gl.read(path), original)


def test_stock_gr_image_degrades_on_the_same_chain(server) -> None:
    original = photo(128, 128)
    received: list[np.ndarray] = []

    def hop(x: np.ndarray) -> np.ndarray:
        received.append(x)
        return x

    with gr.Blocks() as demo:
        a, b = gr.Image(type="numpy"), gr.Image(type="numpy")
        gr.Button().click(hop, a, b, api_name="hop")
    path = gr.Image(format="png").postprocess(original).path  # a lossless start
    with server(demo) as (_, client):
        for _ in range(20):
            path = client.predict(handle_file(path), api_name="/hop")
    from skimage.metrics import peak_signal_noise_ratio

    assert np.array_equal(received[0], original)  # hop 1 read the lossless start
    psnr = [peak_signal_noise_ratio(original, r) for r in received[1:]]
    assert psnr[0] < 45  # one WebP generation already changed it
    assert psnr[-1] < psnr[0]  # and it keeps getting worse
    assert not np.array_equal(received[-1], original)


def test_mixed_type_chain_through_the_api(server) -> None:
    original = pil_values()["RGBA"]
    seen: dict[str, object] = {}

    def to_numpy(x: PIL.Image.Image) -> PIL.Image.Image:
        seen["pil"] = x
        return x

    def to_file(x: np.ndarray) -> np.ndarray:
        seen["numpy"] = x
        return x

    def back(x: str) -> str:
        seen["filepath"] = x
        return x

    with gr.Blocks() as demo:
        p = gl.Image(type="pil", image_mode=None)
        n = gl.Image(type="numpy", image_mode=None)
        f = gl.Image(type="filepath", image_mode=None)
        out = gl.Image(type="pil", image_mode=None)
        gr.Button().click(to_numpy, p, n, api_name="pil")
        gr.Button().click(to_file, n, f, api_name="numpy")
        gr.Button().click(back, f, out, api_name="filepath")
    path = gl.Image(image_mode=None).postprocess(original).path
    with server(demo) as (_, client):
        for _ in range(5):
            path = client.predict(handle_file(path), api_name="/pil")
            path = client.predict(handle_file(path), api_name="/numpy")
            path = client.predict(handle_file(path), api_name="/filepath")
    # metadata rides with PIL values only, so after the first numpy step the PIL
    # value is the same pixels and mode without the text chunks
    assert seen["pil"].mode == "RGBA" and seen["pil"].tobytes() == original.tobytes()
    assert np.array_equal(seen["numpy"], np.asarray(original))
    with PIL.Image.open(seen["filepath"]) as f:
        assert f.mode == "RGBA" and f.tobytes() == original.tobytes()


def test_interface_and_examples_cached_and_uncached(server, tmp_path: Path) -> None:
    original = photo(48, 64)
    example = tmp_path / "example.png"
    PIL.Image.fromarray(original).save(example)
    got: list[np.ndarray] = []

    def invert(x: np.ndarray) -> np.ndarray:
        got.append(x)
        return 255 - x

    for cache in (False, True):
        demo = gr.Interface(
            invert,
            gl.Image(type="numpy"),
            gl.Image(type="numpy"),
            examples=[[str(example)]],
            cache_examples=cache,
            api_name="predict",
        )
        with server(demo) as (_, client):
            path = client.predict(handle_file(str(example)), api_name="/predict")
        assert np.array_equal(gl.read(path), 255 - original)
        assert np.array_equal(got[-1], original)


def test_errors_reach_api_users_even_with_show_error_false(server) -> None:
    def bad(x: np.ndarray) -> np.ndarray:
        return np.zeros((2, 2, 2, 2, 2), np.uint8)

    with gr.Blocks() as demo:
        a, b = gl.Image(type="numpy"), gl.Image(type="numpy")
        gr.Button().click(bad, a, b, api_name="bad")
        gr.Button().click(lambda x: x, a, b, api_name="good")
    path = gl.Image().postprocess(photo(16, 16)).path
    with server(demo, show_error=False) as (_, client):
        with pytest.raises(AppError, match=r"unsupported shape \(2, 2, 2, 2, 2\)"):
            client.predict(handle_file(path), api_name="/bad")
        out = client.predict(handle_file(path), api_name="/good")  # still serving
    assert np.array_equal(gl.read(out), photo(16, 16))


def test_corrupt_upload_fails_alone_while_others_are_served(
    server, tmp_path: Path
) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    good_value = photo(64, 64)
    good = gl.Image().postprocess(good_value).path
    with gr.Blocks() as demo:
        a, b = gl.Image(type="numpy"), gl.Image(type="numpy")
        gr.Button().click(lambda x: x, a, b, api_name="hop", concurrency_limit=4)
    results: dict[str, object] = {}

    def run(name: str, path: str, client) -> None:  # type: ignore[no-untyped-def]
        try:
            results[name] = client.predict(handle_file(path), api_name="/hop")
        except AppError as exc:
            results[name] = exc

    with server(demo, show_error=False) as (_, client):
        threads = [
            threading.Thread(target=run, args=(f"good{i}", good, client))
            for i in range(4)
        ]
        threads.append(threading.Thread(target=run, args=("bad", str(bad), client)))
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert isinstance(results["bad"], AppError)
    assert "broken.png" in str(results["bad"])
    for i in range(4):
        assert np.array_equal(gl.read(results[f"good{i}"]), good_value)


@pytest.mark.parametrize("component", [gl.Image, gr.Image])
def test_a_path_outside_the_allowed_folders_is_refused_as_stock_refuses_it(
    server, component: type
) -> None:
    import httpx

    with gr.Blocks() as demo:
        a, b = component(type="filepath"), component(type="filepath")
        gr.Button().click(lambda x: x, a, b, api_name="hop")
    with server(demo, show_error=True) as (url, _):
        # what a hostile browser would send: a server-side path it never uploaded
        payload = {
            "data": [{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}]
        }
        event = httpx.post(f"{url}gradio_api/call/hop", json=payload).json()["event_id"]
        stream = httpx.get(f"{url}gradio_api/call/hop/{event}", timeout=60).text
    assert "event: error" in stream
    assert "not uploaded by a user" in stream or "not in the cache folder" in stream
    assert "root:" not in stream  # nothing of the file's contents
