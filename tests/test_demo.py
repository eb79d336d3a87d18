"""The demo app: its columns are really stock and really lossless, the functions
pass their input on untouched, and the values they receive are what the columns
claim, checked through gradio_client against a real server."""

from __future__ import annotations

import base64
import io
import os
import re
import runpy
from pathlib import Path

import gradio as gr
import httpx
import numpy as np
import PIL.Image
import pytest
from gradio_client import Client, handle_file

import gradio_lossless
import gradio_lossless.tools.demo.app as demo_module
from gradio_lossless.cli import build_parser, main
from gradio_lossless.components import Image
from gradio_lossless.core.conversions import values_equal
from gradio_lossless.serving.image_load import image_load
from gradio_lossless.serving.renditions import RENDITION, make
from gradio_lossless.store.store import owner_of
from gradio_lossless.tools.audit.fidelity import default_image
from gradio_lossless.tools.demo.app import Trail, build_demo, hop
from gradio_lossless.tools.demo.hop import eight_bit, passthrough, run_hop
from gradio_lossless.tools.demo.views import crop_box, crops_plot, quality_plot
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


def test_the_page_keeps_no_run_history(demo) -> None:  # type: ignore[no-untyped-def]
    """Gradio's browser run history would store both figures of every hop."""
    assert demo.get_config_file()["run_history"] is False


def _payload(path: Path) -> dict[str, object]:
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}}


def test_ping_pong_functions_return_their_input(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    image = photo(32, 48)
    path = tmp_path / "in.png"
    PIL.Image.fromarray(image).save(path)
    assert passthrough(image) is image
    for api_name in ("stock_a_to_b", "stock_b_to_a", "lossless_a_to_b"):
        outputs = endpoint_fn(demo, api_name)(_payload(path), Trail(), Trail(), image)
        # a PNG upload reaches the function exactly, on both sides
        assert values_equal(outputs[1].received, image)
        assert outputs[1].hops[0].bit_exact
        served_at = outputs[0]["path"]
        if api_name.startswith("stock"):
            with PIL.Image.open(served_at) as im:
                assert im.format == "WEBP"
                assert not values_equal(np.asarray(im.convert("RGB")), image)
        else:  # by address, whatever the served file is called
            store, address = owner_of(served_at)  # type: ignore[misc]
            exact = store.exact_path(address)
            assert values_equal(gradio_lossless.read(exact), image)


def test_run_hop_times_preprocess_function_postprocess(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    image = photo(24, 40)
    path = tmp_path / "in.png"
    PIL.Image.fromarray(image).save(path)
    received, output, took = run_hop(
        by_id(demo, "lossless-a"), by_id(demo, "lossless-b"), _payload(path)
    )
    assert values_equal(received, image)
    assert output is not None and Path(output["path"]).is_file()
    assert took > 0
    assert run_hop(by_id(demo, "stock-a"), by_id(demo, "stock-b"), None)[:2] == (
        None,
        None,
    )


def test_image_load_is_what_the_server_sends_an_img(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    image = default_image()
    path = tmp_path / "in.png"
    PIL.Image.fromarray(image).save(path)
    _, stock_out, _ = run_hop(
        by_id(demo, "stock-a"), by_id(demo, "stock-b"), _payload(path)
    )
    _, ours_out, _ = run_hop(
        by_id(demo, "lossless-a"), by_id(demo, "lossless-b"), _payload(path)
    )
    assert stock_out is not None and ours_out is not None
    stock = image_load(stock_out["path"])
    assert (stock.nbytes, stock.what) == (
        os.path.getsize(stock_out["path"]),
        "WEBP file",
    )
    ours = image_load(ours_out["path"])
    store, address = owner_of(ours_out["path"])  # type: ignore[misc]
    rendition = make(store, address, RENDITION)
    assert rendition is not None  # the astronaut's PNG is far above 1.25x its WebP
    exact = store.exact_path(address)
    assert ours.nbytes == len(rendition.data) < exact.stat().st_size
    assert ours.what == "WEBP rendition of the exact PNG"
    again = image_load(ours_out["path"])
    assert (again.nbytes, again.display_ms) == (ours.nbytes, None)  # made once


def test_quality_plot_has_both_series_at_hop_0() -> None:
    (axis,) = quality_plot(Trail(), Trail()).axes
    lines = {line.get_label(): line for line in axis.get_lines()}
    ceiling = axis.get_yticks()[-1]
    assert axis.get_yticklabels()[-1].get_text() == "∞"
    for label in ("stock gr.Image", "gradio_lossless.Image"):
        assert list(lines[label].get_xdata()) == [0]
        assert list(lines[label].get_ydata()) == [ceiling]
    low, high = axis.get_xlim()
    assert low < 0 < high


def test_crops_plot_shows_the_window_and_the_amplified_difference() -> None:
    original = photo(64, 80)
    box = crop_box(original)
    top, left, height, width = box
    assert (height, width) == (48, 48)
    assert 0 <= top <= 64 - 48 and 0 <= left <= 80 - 48
    damaged = original.copy()
    damaged[top + 5, left + 7] = np.clip(
        damaged[top + 5, left + 7].astype(int) + 3, 0, 255
    )
    stock = hop(damaged, Trail(box=box), original, source="a")
    ours = hop(original.copy(), Trail(box=box), original, source="a")
    figure = crops_plot(original, stock, ours, box)
    assert figure.get_size_inches() * figure.dpi == pytest.approx((790, 470))
    panels = [axis.images[0].get_array() for axis in figure.axes]
    crop = original[top : top + 48, left : left + 48]
    diff = np.abs(damaged[top : top + 48, left : left + 48].astype(int) - crop)
    expected = [
        crop,
        damaged[top : top + 48, left : left + 48],
        (diff * 8).astype(np.uint8),
        crop,
        crop,
        np.zeros_like(crop),
    ]
    for shown, want in zip(panels, expected, strict=True):
        assert shown.shape == (48, 48, 3)
        np.testing.assert_array_equal(shown, want)
    assert (diff * 8).max() == 24
    notes = [[t.get_text() for t in axis.texts] for axis in figure.axes]
    assert notes[2] == [] and notes[5] == ["no error"]


def test_crops_before_any_hop_show_the_original_unchanged() -> None:
    original = photo(50, 60)
    box = crop_box(original)
    figure = crops_plot(original, Trail(box=box), Trail(box=box), box)
    errors = [
        figure.axes[2].images[0].get_array(),
        figure.axes[5].images[0].get_array(),
    ]
    assert all(not e.any() for e in errors)


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


def test_crops_of_any_image_value_are_8_bit_views() -> None:
    grey16 = (np.arange(40 * 56).reshape(40, 56) * 29).astype(np.uint16)
    la = np.stack([grey16 >> 8, np.full_like(grey16, 200)], axis=2).astype(np.uint8)
    floats = np.linspace(0, 1, 40 * 56 * 3).reshape(40, 56, 3)
    assert eight_bit(grey16).shape == (40, 56, 3)
    np.testing.assert_array_equal(eight_bit(grey16)[..., 1], grey16 >> 8)
    np.testing.assert_array_equal(eight_bit(la)[..., 3], 200)
    assert eight_bit(floats).dtype == np.uint8
    # a 16-bit grey original against what stock makes of it (8-bit RGB)
    box = crop_box(grey16)
    stock = hop(eight_bit(grey16), Trail(box=box), grey16, source="a")
    figure = crops_plot(grey16, stock, Trail(box=box), box)
    assert [len(axis.images) for axis in figure.axes] == [1] * 6


# what Chromium sends for an <img> load
IMAGE_LOAD = {
    "Sec-Fetch-Dest": "image",
    "Accept": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
}
CROPS_PNG_SIZE = (790, 470)


def _png_of(plot: dict[str, str]) -> PIL.Image.Image:
    assert plot["type"] == "matplotlib"
    head, data = plot["plot"].split(",", 1)
    assert head == "data:image/png;base64"
    return PIL.Image.open(io.BytesIO(base64.b64decode(data)))


@pytest.mark.e2e
def test_bytes_shown_are_what_an_img_load_is_sent(server, tmp_path):  # type: ignore[no-untyped-def]
    """Each hop's "<img> sent" figure against the body the server really sends an
    image load of the output; the crops and the plot exist before and after."""
    hops = 3
    start = tmp_path / "start.png"
    PIL.Image.fromarray(default_image()).save(start)
    figures: dict[str, list[int]] = {}
    with server(build_demo()) as (url, _):
        client = Client(url, verbose=False, ssl_verify=False, download_files=False)
        config = httpx.get(f"{url}config").json()
        initial = {
            c["props"].get("elem_id"): c["props"].get("value")
            for c in config["components"]
        }
        with _png_of(initial["quality-plot"]) as im:
            assert im.size == (700, 300)
        with _png_of(initial["crops-plot"]) as im:
            assert im.size == CROPS_PNG_SIZE
        for side in ("stock", "lossless"):
            current = str(start)
            for i in range(hops):
                direction = "a_to_b" if i % 2 == 0 else "b_to_a"
                image, status, plot, crops = client.predict(
                    handle_file(current), api_name=f"/{side}_{direction}"
                )
                found = re.search(r'data-bytes="(\d+)" data-ms="([\d.]+)"', status)
                assert found, status
                nbytes = int(found.group(1))
                figures.setdefault(side, []).append(nbytes)
                shown = httpx.get(image["url"], headers=IMAGE_LOAD)
                plain = httpx.get(image["url"])
                assert shown.status_code == plain.status_code == 200
                assert len(shown.content) == nbytes
                assert shown.content[:4] + shown.content[8:12] == b"RIFFWEBP"
                if side == "stock":
                    assert shown.content == plain.content  # the saved WebP itself
                    assert "WEBP file" in status
                else:
                    # the exact PNG to everything but an <img>, a rendition to it
                    assert plain.content[:8] == b"\x89PNG\r\n\x1a\n"
                    assert len(plain.content) > 4 * nbytes
                    assert "WEBP rendition of the exact PNG" in status
                with _png_of(plot) as im:
                    assert im.size == (700, 300)
                with _png_of(crops) as im:
                    assert im.size == CROPS_PNG_SIZE
                current = image["path"]
        with np.load(client.predict(api_name="/export")["path"]) as npz:
            exported = {key: npz[key] for key in npz.files}
    for side in ("stock", "lossless"):
        assert exported[f"{side}_bytes"].tolist() == figures[side]
        assert len(exported[f"{side}_server_ms"]) == hops
    top, left, height, width = exported["crop_box"].tolist()
    assert (height, width) == (48, 48)
    assert 0 <= top <= 512 - 48 and 0 <= left <= 512 - 48
    # one value, one rendition: the lossless column's image loads all get it
    assert len(set(figures["lossless"])) == 1


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
