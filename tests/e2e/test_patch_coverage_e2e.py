"""What ``patch()`` covers beyond gr.Image and gr.Gallery, measured through real
servers and gradio_client: images inside gr.Chatbot, update-style outputs, and
cached examples (``gr.Examples(cache_examples=True)``).

Each case runs patched and stock. Patched cases assert the exact value; stock
cases assert the loss the patch removes. The one place the patch does not reach
(the component Chatbot builds when a history comes back as input) is asserted as
documented in the README.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

import gradio_lossless as gl
from gradio_lossless.core.conversions import values_equal
from gradio_lossless.patching import STOCK_IMAGE, patch, unpatch
from tests.samples import photo

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["patched", "stock"])
def patched(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Build the app with patch() on (True) or off (False); stock again after."""
    unpatch()
    if request.param == "patched":
        patch()
    yield request.param == "patched"
    unpatch()


def _pixels(path: str) -> np.ndarray:
    """What any PNG/WebP reader sees in a served file."""
    with PIL.Image.open(path) as im:
        return np.asarray(im)


def _max_diff(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


# --- Chatbot ------------------------------------------------------------------------


def _chat_content(out: list[dict[str, Any]]) -> dict[str, Any]:
    """The first content item of the first message gradio_client returned."""
    content = out[0]["content"]
    item: dict[str, Any] = content[0] if isinstance(content, list) else content
    return item


def _is_png(path: str) -> bool:
    return Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chatbot_image_component_content(server, patched: bool) -> None:  # type: ignore[no-untyped-def]
    """gr.Image(value=...) built by the function, inside a Chatbot message: the
    served file holds the exact value under patch(), a WebP copy on stock."""
    rgb = photo(48, 64)
    rgba = np.asarray(PIL.Image.fromarray(rgb).convert("RGBA")).copy()
    rgba[::3, :, 3] = 17

    with gr.Blocks() as demo:
        chat = gr.Chatbot()
        gr.Button().click(
            lambda: [{"role": "assistant", "content": gr.Image(value=rgb)}],
            None,
            chat,
            api_name="numpy",
        )
        gr.Button().click(
            lambda: [
                {"role": "assistant", "content": gr.Image(PIL.Image.fromarray(rgba))}
            ],
            None,
            chat,
            api_name="pil",
        )
    with server(demo) as (_, client):
        served = {
            api: _chat_content(client.predict(api_name=f"/{api}"))["value"]
            for api in ("numpy", "pil")
        }
    if patched:
        # stock's name, the exact PNG's bytes
        assert all(Path(p).suffix == ".webp" for p in served.values())
        assert all(_is_png(p) for p in served.values())
        assert np.array_equal(_pixels(served["numpy"]), rgb)
        assert np.array_equal(_pixels(served["pil"]), rgba)
        assert values_equal(gl.read(served["pil"]), PIL.Image.fromarray(rgba))
    else:
        assert all(Path(p).suffix == ".webp" for p in served.values())
        assert _max_diff(_pixels(served["numpy"]), rgb) > 0
        assert _max_diff(_pixels(served["pil"]), rgba) > 0


def test_chatbot_value_built_with_the_app(server, patched: bool) -> None:  # type: ignore[no-untyped-def]
    """gr.Chatbot(value=[... gr.Image(value=...)]) built with the app: the file the
    page is given holds the exact value under patch(), a WebP copy on stock."""
    rgb = photo(30, 40)
    with gr.Blocks() as demo:
        gr.Chatbot(value=[{"role": "assistant", "content": gr.Image(value=rgb)}])
    with server(demo) as (_, client):
        (chat,) = [c for c in client.config["components"] if c["type"] == "chatbot"]
    served = chat["props"]["value"][0]["content"][0]["value"]["path"]
    if patched:
        assert Path(served).suffix == ".webp" and _is_png(served)
        assert values_equal(gl.read(served), rgb)
    else:
        assert Path(served).suffix == ".webp"
        assert _max_diff(_pixels(served), rgb) > 0


def test_chatbot_file_content_is_served_byte_for_byte(  # type: ignore[no-untyped-def]
    server, patched: bool, tmp_path: Path
) -> None:
    """A file path in a Chatbot message is never re-encoded, patched or not."""
    path = tmp_path / "reply.png"
    PIL.Image.fromarray(photo(40, 56)).save(path)

    with gr.Blocks() as demo:
        chat = gr.Chatbot()
        gr.Button().click(
            lambda: [{"role": "assistant", "content": {"path": str(path)}}],
            None,
            chat,
            api_name="reply",
        )
    with server(demo) as (_, client):
        served = _chat_content(client.predict(api_name="/reply"))["file"]
    assert Path(served).read_bytes() == path.read_bytes()


def test_chatbot_history_sent_back(server, patched: bool) -> None:  # type: ignore[no-untyped-def]
    """A history that comes back as input: the image file in it (the client
    uploads the served file again) is exact under patch(). The gr.Image that
    Chatbot builds for it is the stock class either way: Gradio looks it up by
    class name, so its value is a WebP copy (documented)."""
    rgb = photo(40, 56)
    received: list[dict[str, Any]] = []

    def look(history: list[dict[str, Any]]) -> str:
        received.append(history[0]["content"][0])
        return "ok"

    with gr.Blocks() as demo:
        chat = gr.Chatbot()
        gr.Button().click(
            lambda: [{"role": "assistant", "content": gr.Image(value=rgb)}],
            None,
            chat,
            api_name="reply",
        )
        gr.Button().click(look, chat, gr.Textbox(), api_name="look")
    with server(demo) as (_, client):
        first = _chat_content(client.predict(api_name="/reply"))["value"]
        history = [
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "component",
                        "component": "image",
                        "value": handle_file(first),
                        "constructor_args": {},
                        "props": {},
                    }
                ],
            }
        ]
        assert client.predict(history, api_name="/look") == "ok"
    (item,) = received
    uploaded = item["value"]["path"]
    instance = item["instance"]
    assert type(instance) is STOCK_IMAGE
    assert Path(instance.value["path"]).suffix == ".webp"
    assert _max_diff(_pixels(instance.value["path"]), rgb) > 0
    if patched:
        assert np.array_equal(_pixels(uploaded), rgb)
        assert values_equal(gl.read(uploaded), rgb)
    else:
        assert _max_diff(_pixels(uploaded), rgb) > 0


# --- update-style outputs -------------------------------------------------------


def test_update_style_outputs(server, patched: bool) -> None:  # type: ignore[no-untyped-def]
    """A function that returns gr.Image(value=...) / gr.Gallery(value=[...]) (an
    update) into an image output: exact under patch()."""
    rgb = photo(36, 52)

    with gr.Blocks() as demo:
        image = gr.Image()
        gallery = gr.Gallery()
        gr.Button().click(lambda: gr.Image(value=rgb), None, image, api_name="image")
        gr.Button().click(
            lambda: gr.Gallery(value=[rgb]), None, gallery, api_name="gallery"
        )
    with server(demo) as (_, client):
        image = client.predict(api_name="/image")
        gallery = client.predict(api_name="/gallery")
    # gradio_client hands an update back as the update itself
    assert image["__type__"] == gallery["__type__"] == "update"
    image_file = image["value"]
    gallery_file = gallery["value"][0]["image"]
    if patched:
        assert values_equal(gl.read(image_file), rgb)
        assert values_equal(gl.read(gallery_file), rgb)
    else:
        assert _max_diff(_pixels(image_file), rgb) > 0
        assert _max_diff(_pixels(gallery_file), rgb) > 0


# --- cached examples ------------------------------------------------------------


@pytest.mark.parametrize("cache_mode", ["eager", "lazy"])
def test_cached_examples(  # type: ignore[no-untyped-def]
    server, patched: bool, cache_mode: str, tmp_path: Path, monkeypatch
) -> None:
    """gr.Examples(cache_examples=True): the cached output a client loads is the
    value the function returned while caching (exact under patch(), a WebP copy on
    stock), and it stays exact for the next hop."""
    monkeypatch.setenv("GRADIO_EXAMPLES_CACHE", str(tmp_path / "cache"))
    example = tmp_path / "example.png"
    PIL.Image.fromarray(photo(44, 60)).save(example)
    returned: list[np.ndarray] = []
    received: list[np.ndarray] = []

    def flip(x: np.ndarray) -> np.ndarray:
        received.append(x)
        returned.append(np.ascontiguousarray(x[:, ::-1]))
        return returned[-1]

    with gr.Blocks() as demo:
        inp = gr.Image(type="numpy")
        out = gr.Image(type="numpy")
        gr.Button().click(flip, inp, out, api_name="flip")
        gr.Examples(
            [[str(example)]],
            inputs=[inp],
            outputs=[out],
            fn=flip,
            cache_examples=True,
            cache_mode=cache_mode,  # type: ignore[arg-type]
        )
    with server(demo) as (_, client):
        cached = client.predict(0, api_name="/load_example")
        assert len(returned) == 1  # computed once, while caching
        client.predict(handle_file(cached), api_name="/flip")
    (stored,) = (tmp_path / "cache").rglob("image.*")
    if patched:
        assert values_equal(gl.read(cached), returned[0])
        assert stored.read_bytes() == Path(cached).read_bytes()
        assert values_equal(received[1], returned[0])  # the next hop
    else:
        assert stored.suffix == ".webp"
        assert _max_diff(_pixels(cached), returned[0]) > 0
        assert _max_diff(received[1], returned[0]) > 0
