"""Issue 15: wrong payload shapes for ImageSlider and ImageEditor, and the
editor's canvas route (accept_blobs).

Pydantic refuses a slider of 3 or 1 items and deep nesting, for stock and ours
alike. An editor payload may list any number of layers (each a decode: stock took
35 s for 10,000 tiny ones) and a canvas blob names its layer index (stock makes a
list that long: index 20,000,000 cost 154 MB and 36 s in one 250-byte request);
ours refuses both past MAX_LAYERS, and counts the decoded size of the whole value
against GRADIO_LOSSLESS_MAX_DECODED_BYTES. Blob bytes get an upload's checks, and
blobs never submitted are kept up to that cap (stock: for ever, +116 MB for 200
blobs of 600 kB).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

from gradio_lossless.components.image_editor import MAX_LAYERS
from tests.security import craft
from tests.security.apps import digest
from tests.security.conftest import (
    DECODED_CAP,
    RSS_BOUND_MB,
    call_raw,
    editor,
    post_blob,
    upload,
)

pytestmark = pytest.mark.e2e


def _png(path: Path, value: np.ndarray) -> Path:
    PIL.Image.fromarray(value).save(path)
    return path


@pytest.fixture
def good(main, tmp_path: Path) -> dict:  # type: ignore[type-arg]
    return upload(main, _png(tmp_path / "good.png", np.full((8, 8, 4), 40, np.uint8)))


def _still_serving(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    value = np.random.default_rng(3).integers(0, 256, (6, 9, 4), dtype=np.uint8)
    file = _png(tmp_path / "after.png", value)
    got = server.client().predict(
        [handle_file(file), handle_file(file)], api_name="/digest_slider"
    )
    assert got == "\n".join(f"image {i} {digest(value)}" for i in (1, 2))


# a fine canvas image, opaque: stock flattens the background on white
FINE = np.random.default_rng(8).integers(0, 256, (10, 12, 4), dtype=np.uint8)
FINE[..., 3] = 255
FINE_PNG = craft.png_bytes(PIL.Image.fromarray(FINE))


def _fine_blobs(server) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A canvas of FINE posted as background, layer 0 and composite under a new
    id; (that id, what its submit must receive)."""
    blob_id = uuid.uuid4().hex
    for kind in ("background", "layer", "composite"):
        r = post_blob(server, "digest_editor", blob_id, kind, "0", FINE_PNG)
        assert r.status_code == 200, r.text
    line = digest(FINE)
    return blob_id, f"background {line}\nlayer 0 {line}\ncomposite {line}"


def test_slider_shapes_are_refused_as_stock_refuses_them(
    main, good, watch, tmp_path: Path
) -> None:
    deep: object = good
    for _ in range(500):
        deep = [deep]
    shapes = {
        "3 items": [good, good, good],
        "1 item": [good],
        "an item a list": [[good], good],
        "500-deep nesting": [deep, good],
        "a string": "x" * 1000,
    }
    answers = {}
    with watch(main, f"shapes/slider ({len(shapes)} payloads)") as w:
        for label, payload in shapes.items():
            ours = call_raw(main, "digest_slider", [payload])
            stock = call_raw(main, "stock_digest_slider", [payload])
            answers[label] = (ours[0], stock[0])
    # JSON nested 100,000 deep, which no JSON library here would even write
    body = '{"data": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    r = httpx.post(
        f"{main.url}gradio_api/call/digest_slider",
        content=body,
        headers={"content-type": "application/json"},
        timeout=60,
    )
    answers["100,000-deep JSON"] = (str(r.status_code), "")
    w.note(str(answers))
    assert answers.pop("100,000-deep JSON")[0] in ("400", "422", "500")
    assert all(a == ("error", "error") for a in answers.values()), answers
    _still_serving(main, tmp_path)


def test_ten_thousand_layers_are_refused_at_once(main, good, watch) -> None:
    payload = editor(good, [good] * 10_000, good)
    with watch(main, "shapes/editor with 10,000 layers") as w:
        event, text = call_raw(main, "digest_editor", [payload])
    w.note(f"{event}: {text}")
    assert (event, text) == (
        "error",
        f"ImageEditor: 10000 layers sent; at most {MAX_LAYERS}",
    )


@pytest.mark.parametrize("sent", ["uploads", "canvas blobs"])
def test_layers_together_over_the_decoded_cap_are_refused(
    other, watch, tmp_path: Path, sent: str
) -> None:
    """Each layer under the cap (16 MB of RGBA), four together over it (50 MB):
    stock decodes them all; ours refuses the one that crosses the cap from its
    header, before decoding it. That fourth layer is truncated: had it been
    decoded, the answer would be about its pixels, not the cap. The layers come
    as uploaded files, or as the canvas sends them (blobs by layer index). Another
    user's canvas, waiting for its submit meanwhile, arrives exact after."""
    bystander, want = _fine_blobs(other)
    data = craft.zero_png(2000, 2000, "RGBA")
    layers = [data, data, data, data[: len(data) // 2]]
    if sent == "uploads":
        files = [tmp_path / f"layer{i}.png" for i in range(4)]
        for file, layer in zip(files, layers, strict=True):
            file.write_bytes(layer)
        payload = editor(None, [upload(other, file) for file in files])
    else:
        blob_id = uuid.uuid4().hex
        for i, layer in enumerate(layers):
            r = post_blob(other, "digest_editor", blob_id, "layer", str(i), layer)
            assert r.status_code == 200, r.text
        payload = {**editor(), "id": blob_id}
    with watch(other, f"shapes/editor: 4 {sent} of 16 MB, cap {DECODED_CAP}") as w:
        event, text = call_raw(other, "digest_editor", [payload])
    w.note(f"{event}: {text}")
    assert event == "error", text
    assert text.startswith("ImageEditor value up to its layer 3 decodes to 64000000")
    assert "GRADIO_LOSSLESS_MAX_DECODED_BYTES" in text
    assert w.peak_growth < RSS_BOUND_MB, w.summary()
    assert call_raw(other, "digest_editor", [{**editor(), "id": bystander}]) == (
        "complete",
        [want],
    )


@pytest.mark.parametrize("index", ["20000000", "-5", "1e9", "0000000020000000", "x"])
def test_a_blob_layer_index_past_the_limit_is_refused(main, watch, index) -> None:
    png = craft.png_bytes(PIL.Image.fromarray(np.full((8, 8, 4), 9, np.uint8)))
    blob_id = uuid.uuid4().hex
    with watch(main, f"shapes/blob layer index {index}") as w:
        r = post_blob(main, "digest_editor", blob_id, "layer", index, png)
        event, text = call_raw(
            main, "digest_editor", [{**editor(), "id": blob_id}], timeout=60
        )
    w.note(f"HTTP {r.status_code}; then the value: {event}")
    assert r.status_code == 500, r.text  # a server function's refusal
    assert (event, text) == (
        "complete",
        ["background other NoneType\ncomposite other NoneType"],
    )
    assert w.peak_growth < 50, w.summary()  # stock: +154 MB for 20000000


def test_canvas_blobs_get_an_uploads_checks(main, watch, tmp_path: Path) -> None:
    """A blob is a file the canvas sends: a metadata bomb or a truncated PNG is
    refused naming which image; a fine blob arrives as stock reads it."""
    fine = FINE_PNG
    blobs = {
        "background": craft.text_bomb(11),
        "layer": fine[: len(fine) // 2],
        "composite": b"not an image at all",
    }
    answers = {}
    with watch(main, "shapes/canvas blobs: bomb, truncated, not an image") as w:
        for kind, data in blobs.items():
            blob_id = uuid.uuid4().hex
            for k in ("background", "layer", "composite"):  # the rest are fine
                body = data if k == kind else fine
                r = post_blob(main, "digest_editor", blob_id, k, "0", body)
                assert r.status_code == 200, r.text
            payload = {**editor(), "id": blob_id}
            answers[kind] = call_raw(main, "digest_editor", [payload])
    w.note(str({k: v[1] for k, v in answers.items()}))
    bg, layer, comp = answers["background"], answers["layer"], answers["composite"]
    assert bg[0] == "error" and bg[1].startswith("ImageEditor background: text")
    assert "GRADIO_LOSSLESS_MAX_TEXT_BYTES" in bg[1]
    assert layer == ("error", layer[1])
    assert layer[1].startswith("ImageEditor layer 0: truncated or corrupt image")
    assert comp == (
        "error",
        "ImageEditor composite: not an image file Pillow can read",
    )
    assert w.peak_growth < RSS_BOUND_MB, w.summary()
    blob_id, want = _fine_blobs(main)
    event, result = call_raw(main, "digest_editor", [{**editor(), "id": blob_id}])
    assert (event, result) == ("complete", [want])


def test_blobs_never_submitted_are_forgotten_past_the_cap(other, watch) -> None:
    """Stock keeps every blob posted under a new id until that id is submitted:
    120 MB posted in 200 ids, never submitted, stay in memory. Ours keeps at most
    GRADIO_LOSSLESS_MAX_DECODED_BYTES (50 MB on this server), dropping the oldest."""
    noise = np.random.default_rng(4).integers(0, 256, (448, 448, 3), dtype=np.uint8)
    blob = craft.png_bytes(PIL.Image.fromarray(noise))  # ~600 kB
    ids = [uuid.uuid4().hex for _ in range(200)]
    with watch(
        other, f"shapes/200 blobs of {len(blob) // 1000} kB, never submitted"
    ) as w:
        for blob_id in ids:
            r = post_blob(other, "digest_editor", blob_id, "background", "null", blob)
            assert r.status_code == 200, r.text
    w.note(w.summary())
    first = call_raw(other, "digest_editor", [{**editor(), "id": ids[0]}])
    last = call_raw(other, "digest_editor", [{**editor(), "id": ids[-1]}])
    assert first == (
        "complete",
        ["background other NoneType\ncomposite other NoneType"],
    )
    assert last[0] == "complete" and last[1][0].startswith("background numpy"), last
    assert w.end_growth < 100, w.summary()  # stock: +120 MB
