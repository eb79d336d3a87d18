"""Display renditions through a real server: an image load gets the rendition, every
other request (gradio_client, a plain GET, fetch, a navigation) the exact file, from
the same URL, with ``Vary`` on both; small images, ``display="exact"`` and
``display="webp"``; the rendition's token; the store keeps it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

from gradio_lossless.codecs import display
from gradio_lossless.core.conversions import values_equal
from gradio_lossless.serving.renditions import CAP, SMALL_BYTES, SMALL_RATIO
from gradio_lossless.store.store import owner_of
from tests.serving.apps import (
    BIG,
    FETCH,
    IMAGE_LOAD,
    NAVIGATION,
    VARY,
    big,
    hd,
    other,
    serving_app,
    stock_webp,
    with_metadata,
)
from tests.serving.conftest import Served, launched, served_path

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with launched(serving_app()) as s:
        yield s


def decode(data: bytes) -> np.ndarray:
    with PIL.Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def test_an_image_load_gets_the_rendition_everyone_else_the_exact_file(
    served: Served, tmp_path: Path
) -> None:
    (filedata,) = served.call("big")
    url = served.file_url(filedata)
    # stock's name for the default format, and the exact PNG's bytes behind it
    assert url.endswith("/image.webp")
    exact_bytes = served_path(filedata).read_bytes()
    assert exact_bytes == served_path(filedata).with_name("exact.png").read_bytes()

    shown = served.get(url, IMAGE_LOAD)
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/webp"
    assert shown.headers["vary"] == VARY
    assert shown.headers["cache-control"] == "private, no-transform"
    assert len(shown.content) <= 1.25 * len(stock_webp(big()))
    with PIL.Image.open(io.BytesIO(shown.content)) as im:
        assert im.format == "WEBP"
        assert im.size == (CAP, round(BIG[1] * CAP / BIG[0]))

    for headers in ({}, FETCH, NAVIGATION, {"accept": "*/*"}):
        r = served.get(url, headers)
        assert r.status_code == 200, headers
        assert r.headers["content-type"] == "image/png"
        assert r.headers["content-disposition"] == 'inline; filename="image.png"'
        assert r.content == exact_bytes, headers
        assert r.headers["vary"] == VARY
        assert r.headers["cache-control"] == (
            "private, no-transform, max-age=31536000, immutable"
        )
        assert r.headers["etag"] != shown.headers["etag"]

    downloaded = Path(served.client.predict(api_name="/big"))
    assert downloaded.read_bytes() == exact_bytes
    assert values_equal(decode(exact_bytes), big())

    # a Range request is never an image load: the exact bytes asked for
    part = served.get(url, {**IMAGE_LOAD, "range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.headers["content-type"] == "image/png"
    assert part.content == exact_bytes[:100]
    assert part.headers["cache-control"].endswith("max-age=31536000, immutable")
    # a rendition has no lifetime: the display setting may change it
    assert "max-age" not in served.get(url, IMAGE_LOAD).headers["cache-control"]


def test_without_fetch_metadata_accept_decides(served: Served) -> None:
    (filedata,) = served.call("hd")
    url = served.file_url(filedata)
    exact = served_path(filedata).read_bytes()
    older_browser = "image/webp,image/avif,image/*,*/*;q=0.8"  # Safari < 16.4
    assert served.get(url, {"accept": older_browser}).headers["content-type"] == (
        "image/webp"
    )
    firefox = "image/avif,image/webp,*/*"  # what Firefox sends for <img>
    assert served.get(url, {"accept": firefox}).headers["content-type"] == "image/webp"
    # a navigation or download names text/html; API clients send */* or nothing;
    # a client that takes AVIF but not WebP gets the exact file
    for accept in (NAVIGATION["accept"], "*/*", "image/png", "image/avif"):
        assert served.get(url, {"accept": accept}).content == exact, accept
    # an image load that refuses WebP gets the exact file
    refused = {**IMAGE_LOAD, "accept": "image/avif,image/webp;q=0,image/png"}
    assert served.get(url, refused).content == exact


def test_validators_never_cross_over(served: Served) -> None:
    (filedata,) = served.call("hd")
    url = served.file_url(filedata)
    shown = served.get(url, IMAGE_LOAD)
    exact = served.get(url)
    again = served.get(url, {**IMAGE_LOAD, "if-none-match": shown.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["vary"] == VARY
    assert again.content == b""
    # the exact file's validator does not revalidate the rendition, nor the reverse
    crossed = served.get(url, {**IMAGE_LOAD, "if-none-match": exact.headers["etag"]})
    assert crossed.status_code == 200
    assert crossed.content == shown.content
    reverse = served.get(url, {"if-none-match": shown.headers["etag"]})
    assert reverse.status_code == 200
    assert reverse.content == exact.content


def test_stock_sized_bytes_at_1080p(served: Served) -> None:
    (filedata,) = served.call("hd")
    shown = served.get(served.file_url(filedata), IMAGE_LOAD)
    assert shown.headers["content-type"] == "image/webp"
    assert len(shown.content) <= 1.25 * len(stock_webp(hd()))
    with PIL.Image.open(io.BytesIO(shown.content)) as im:
        assert im.size == (1920, 1080)


@pytest.mark.parametrize("name", ["small", "palette_noise"])
def test_small_or_incompressible_images_are_served_exact(
    served: Served, name: str
) -> None:
    (filedata,) = served.call(name)
    path = served_path(filedata)
    shown = served.get(served.file_url(filedata), IMAGE_LOAD)
    assert shown.headers["content-type"] == "image/png"
    assert shown.content == path.read_bytes()
    assert shown.headers["vary"] == VARY
    rendition = path.with_name("rendition.webp")
    if name == "small":
        assert path.stat().st_size <= SMALL_BYTES
        assert not rendition.exists()  # no rendition made at all
    else:
        assert path.stat().st_size > SMALL_BYTES
        assert path.stat().st_size <= SMALL_RATIO * rendition.stat().st_size


def test_display_exact_and_a_fixed_format(served: Served) -> None:
    (exact,) = served.call("exact")
    shown = served.get(served.file_url(exact), IMAGE_LOAD)
    assert shown.headers["content-type"] == "image/png"
    assert shown.content == served_path(exact).read_bytes()

    (fixed,) = served.call("fixed")
    shown = served.get(served.file_url(fixed), IMAGE_LOAD)
    assert shown.headers["content-type"] == "image/webp"
    # what stock gr.Image serves: Pillow's WebP defaults, at full resolution
    assert np.array_equal(decode(shown.content), decode(stock_webp(other(2))))
    assert served.get(served.file_url(fixed)).content == (
        served_path(fixed).read_bytes()
    )


def test_the_last_component_to_return_a_value_sets_its_display(
    served: Served,
) -> None:
    (exact,) = served.call("exact")  # display="exact"
    url = served.file_url(exact)
    assert served.get(url, IMAGE_LOAD).headers["content-type"] == "image/png"
    (default,) = served.call("same_as_exact")  # the same value, display="rendition"
    assert served_path(exact) == served_path(default)
    assert served.get(url, IMAGE_LOAD).headers["content-type"] == "image/webp"
    served.call("exact")
    assert served.get(url, IMAGE_LOAD).headers["content-type"] == "image/png"


def test_the_rendition_carries_its_token_and_lives_in_the_store(
    served: Served, tmp_path: Path
) -> None:
    (filedata,) = served.call("hd")
    path = served_path(filedata)
    shown = served.get(served.file_url(filedata), IMAGE_LOAD)
    found = owner_of(path)
    assert found is not None
    store, address = found
    with PIL.Image.open(io.BytesIO(shown.content)) as im:
        assert display.read_token(im, store.keys) == address
    rendition = store.folder(address) / "rendition.webp"
    assert rendition.read_bytes() == shown.content
    # counted in the disk budget (written through the store)
    assert store.disk._folders[address][0] >= path.stat().st_size + len(shown.content)

    # uploaded again, it resolves through its verified token to the exact value
    upload = tmp_path / "shown.webp"
    upload.write_bytes(shown.content)
    assert served.client.predict(handle_file(upload), api_name="/check") == "hd"
    # without its token it is a plain upload of its pixels
    stripped = tmp_path / "stripped.webp"
    PIL.Image.fromarray(decode(shown.content)).save(stripped, "WEBP", lossless=True)
    assert served.client.predict(handle_file(stripped), api_name="/check") == "plain"


def test_the_rendition_keeps_the_colour_profile(served: Served) -> None:
    (filedata,) = served.call("meta")
    shown = served.get(served.file_url(filedata), IMAGE_LOAD)
    with PIL.Image.open(io.BytesIO(shown.content)) as im:
        assert im.format == "WEBP"
        assert im.info["icc_profile"] == with_metadata().info["icc_profile"]


def test_the_rendition_is_turned_as_the_png_is_shown(served: Served) -> None:
    (filedata,) = served.call("oriented")
    shown = served.get(served.file_url(filedata), IMAGE_LOAD)
    with PIL.Image.open(io.BytesIO(shown.content)) as im:
        assert im.size == (900, 1600)  # turned in its pixels
        assert im.getexif().get(0x0112) is None  # and carrying no orientation
    exact = served.get(served.file_url(filedata)).content
    with PIL.Image.open(io.BytesIO(exact)) as im:
        assert im.size == (1600, 900)
        assert im.getexif()[0x0112] == 6  # the exact file keeps its EXIF


def test_a_rendition_that_cannot_be_written_leaves_the_exact_file(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    (filedata,) = served.call("fixed")  # display="webp": never served exact
    path = served_path(filedata)
    blocker = path.with_name("rendition-webp.webp")
    blocker.unlink(missing_ok=True)
    blocker.mkdir()  # the rendition's name is taken by a folder: the write fails
    try:
        with caplog.at_level(logging.WARNING, logger="gradio_lossless.serving"):
            for _ in range(3):
                shown = served.get(served.file_url(filedata), IMAGE_LOAD)
                assert shown.status_code == 200
                assert shown.headers["content-type"] == "image/png"
                assert shown.headers["vary"] == VARY
                assert shown.content == path.read_bytes()
        warned = [r.getMessage() for r in caplog.records]
        assert len(warned) == 1, warned  # once per value, not per request
        assert "serving the exact file" in warned[0]
        assert "StoreWriteError" in warned[0]
    finally:
        blocker.rmdir()


def test_gallery_items_get_renditions(served: Served) -> None:
    (items,) = served.call("gallery")
    kinds = []
    for item in items:
        url = served.file_url(item["image"])
        shown = served.get(url, IMAGE_LOAD)
        assert shown.headers["vary"] == VARY
        kinds.append(shown.headers["content-type"])
        assert served.get(url, FETCH).content == served_path(item["image"]).read_bytes()
    assert kinds == ["image/webp", "image/webp", "image/png"]  # the last is small
