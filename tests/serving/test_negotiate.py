"""Which requests are image loads, and which paths the file route names (pure
functions: the request headers real clients send, and ASGI scopes as uvicorn and
Starlette's Mount make them)."""

from __future__ import annotations

import pytest

from gradio_lossless.serving.middleware import _merged
from gradio_lossless.serving.negotiate import accepts, is_image_load, requested_file
from tests.serving.apps import FETCH, IMAGE_LOAD, NAVIGATION


def h(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v.encode()) for k, v in headers.items()]


GRADIO_CLIENT = {"accept": "*/*", "user-agent": "python-httpx/0.28.1"}
CURL = {"accept": "*/*", "user-agent": "curl/8.5.0"}
FIREFOX_IMAGE = {"sec-fetch-dest": "image", "accept": "image/avif,image/webp,*/*"}
SAFARI_15_IMAGE = {"accept": "image/webp,image/avif,image/jxl,image/*,*/*;q=0.8"}
OLD_NAVIGATION = {"accept": NAVIGATION["accept"]}  # no fetch metadata: a download


@pytest.mark.parametrize(
    ("headers", "image_load"),
    [
        (IMAGE_LOAD, True),
        (FIREFOX_IMAGE, True),
        (SAFARI_15_IMAGE, True),
        (FETCH, False),
        (NAVIGATION, False),
        (OLD_NAVIGATION, False),
        (GRADIO_CLIENT, False),
        (CURL, False),
        ({}, False),
        # fetch metadata wins over Accept: a fetch() that asks for images by name
        ({**FETCH, "accept": "image/webp"}, False),
        ({"sec-fetch-dest": "IMAGE", "accept": "*/*"}, True),
        ({"accept": "image/webp;q=0, image/png"}, False),
    ],
)
def test_image_loads(headers: dict[str, str], image_load: bool) -> None:
    assert is_image_load(h(headers)) is image_load


def test_accepts() -> None:
    assert accepts(h(IMAGE_LOAD), "image/webp")
    assert accepts(h({}), "image/webp")
    assert accepts(h({"accept": "image/*"}), "image/webp")
    assert not accepts(h({"accept": "image/avif,image/png"}), "image/webp")
    assert not accepts(h({"accept": "image/webp;q=0,image/png"}), "image/webp")


def scope(path: str, root_path: str = "") -> dict[str, object]:
    return {"type": "http", "path": path, "root_path": root_path}


def test_requested_file() -> None:
    assert requested_file(scope("/gradio_api/file=/tmp/x/image.png")) == (
        "/tmp/x/image.png"
    )
    # mounted at /sub: Starlette keeps the full path and sets root_path
    assert requested_file(scope("/sub/gradio_api/file=/tmp/x/image.png", "/sub")) == (
        "/tmp/x/image.png"
    )
    # made absolute as Gradio does: os.path.abspath, no symlinks resolved
    assert requested_file(scope("/gradio_api/file=/tmp/a/../b/image.png")) == (
        "/tmp/b/image.png"
    )
    for other in (
        "/gradio_api/file/tmp/x/image.png",  # the deprecated route: left alone
        "/gradio_api/file=https://example.com/image.png",  # a remote URL
        "/gradio_api/file=",
        "/gradio_api/upload",
        "/file=/tmp/x/image.png",
    ):
        assert requested_file(scope(other)) is None, other


def test_vary_and_cache_control_merge_with_what_is_there() -> None:
    merged = dict(
        _merged(
            [
                (b"vary", b"Origin, accept"),
                (b"cache-control", b"public, max-age=60"),
                (b"content-type", b"image/png"),
            ]
        )
    )
    assert merged[b"vary"] == b"Origin, accept, Sec-Fetch-Dest"
    assert merged[b"cache-control"] == b"max-age=60, private, no-transform"
    assert merged[b"content-type"] == b"image/png"


def test_the_exact_file_is_kept_unless_the_app_forbids_it() -> None:
    kept = dict(_merged([(b"cache-control", b"public, max-age=60")], exact=True))
    assert kept[b"cache-control"] == (
        b"private, no-transform, max-age=31536000, immutable"
    )
    for forbidding in (b"no-store", b"no-cache"):
        merged = dict(_merged([(b"cache-control", forbidding)], exact=True))
        assert merged[b"cache-control"] == forbidding + b", private, no-transform"
