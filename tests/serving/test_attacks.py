"""A header never widens what the server serves, nor what it encodes.

Only the exact PNGs of the store get renditions, and only when Gradio itself would
serve the URL to this request (login, ``blocked_paths``, existence); every other
path, with any headers, gets exactly what it gets without them. A refused request
makes no rendition (no encode, no file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import PIL.Image
import pytest

import gradio_lossless as gl
from gradio_lossless.store.store import get_store
from gradio_lossless.tools.bench.images import photo
from tests.conftest import free_port
from tests.serving.apps import IMAGE_LOAD, serving_app
from tests.serving.conftest import Served, launched, served_path

pytestmark = pytest.mark.e2e


def file_url(served: Served, path: Path | str) -> str:
    """The file route's URL for ``path``, its ".." segments sent as they are
    (percent-encoded, so the client does not resolve them)."""
    return f"{served.url}gradio_api/file={quote(str(path)).replace('..', '%2E%2E')}"


def untouched(served: Served, url: str) -> httpx.Response:
    """GET ``url`` as an image load and as a plain request; assert both answers are
    the same (status, type, bytes) and carry none of the rendition headers."""
    shown = served.get(url, IMAGE_LOAD)
    plain = served.get(url)
    assert shown.status_code == plain.status_code, url
    assert shown.headers.get("content-type") == plain.headers.get("content-type")
    assert shown.content == plain.content
    for r in (shown, plain):
        assert "vary" not in r.headers, url
        assert r.headers.get("cache-control") is None
    return shown


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An allowed folder laid out like the store: <64 hex digits>/image.png."""
    root = tmp_path_factory.mktemp("allowed")
    folder = root / hashlib.sha256(b"not ours").hexdigest()
    folder.mkdir()
    PIL.Image.fromarray(photo((1600, 900), kind="tiled")).save(folder / "image.png")
    return root


@pytest.fixture(scope="module")
def served(outside: Path) -> Iterator[Served]:
    with launched(serving_app(), allowed_paths=[str(outside)]) as s:
        yield s


def test_files_outside_the_store_are_never_touched(
    served: Served, outside: Path, tmp_path: Path
) -> None:
    (look_alike,) = outside.glob("*/image.png")
    r = untouched(served, file_url(served, look_alike))
    assert r.status_code == 200
    assert r.content == look_alike.read_bytes()
    assert sorted(p.name for p in look_alike.parent.iterdir()) == ["image.png"]

    # an upload named image.png, in Gradio's upload folder
    upload = tmp_path / "image.png"
    PIL.Image.fromarray(photo((1600, 900), kind="tiled", variant=4)).save(upload)
    with upload.open("rb") as f:
        sent = httpx.post(f"{served.url}gradio_api/upload", files={"files": f})
    (uploaded,) = sent.json()
    assert untouched(served, file_url(served, uploaded)).content == upload.read_bytes()

    # a text file in the upload folder: never transcoded, whatever the headers say
    note = tmp_path / "note.txt"
    note.write_text("not an image\n")
    with note.open("rb") as f:
        (text,) = httpx.post(
            f"{served.url}gradio_api/upload", files={"files": f}
        ).json()
    assert untouched(served, file_url(served, text)).content == b"not an image\n"


def test_paths_gradio_refuses_stay_refused(served: Served, tmp_path: Path) -> None:
    store = get_store(gl.Image().GRADIO_CACHE)
    secret = tmp_path / "secret.png"  # a real image Gradio does not serve
    PIL.Image.fromarray(photo((1600, 900), kind="tiled", variant=5)).save(secret)
    missing = store.root / ("0" * 64) / "image.png"  # an address nobody stored
    walk = f"{store.root}/../../../../../../../..{secret}"
    for path in (secret, "/etc/passwd", missing, walk):
        shown = served.get(file_url(served, path), IMAGE_LOAD)
        plain = served.get(file_url(served, path))
        assert shown.status_code == plain.status_code == 403, path
        assert shown.content == plain.content
    assert not missing.parent.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.png"]


def test_other_files_of_a_value_folder_are_plain_files(served: Served) -> None:
    (filedata,) = served.call("hd")
    path = served_path(filedata)
    served.get(served.file_url(filedata), IMAGE_LOAD)  # makes rendition.webp
    rendition = path.with_name("rendition.webp")
    assert untouched(served, file_url(served, rendition)).content == (
        rendition.read_bytes()
    )


def test_only_get_is_answered_with_a_rendition(served: Served) -> None:
    (filedata,) = served.call("hd")
    url = served.file_url(filedata)
    size = served_path(filedata).stat().st_size
    head = httpx.head(url, headers=IMAGE_LOAD)
    assert head.status_code == 200
    assert head.headers["content-type"] == "image/png"
    assert head.headers["content-length"] == str(size)
    post = httpx.post(url, headers=IMAGE_LOAD)
    assert post.status_code == httpx.post(url).status_code == 405


# a value folder before any rendition: the served exact PNG under its two names
EXACT_ONLY = ["exact.png", "image.webp"]


def _stored(arr: np.ndarray) -> Path:
    """Save a value into the store outside any request; the served file's path
    (``image.webp``, the default format's name: the exact PNG)."""
    data = gl.Image(type="numpy").postprocess(arr)
    assert data is not None and data.path is not None
    return Path(data.path)


def test_blocked_paths_are_refused_before_anything_is_encoded() -> None:
    value = photo((1600, 900), kind="tiled", variant=6)
    path = _stored(value)
    with launched(serving_app(), blocked_paths=[str(path.parent)]) as served:
        url = file_url(served, path)
        shown = served.get(url, IMAGE_LOAD)
        plain = served.get(url)
        assert shown.status_code == plain.status_code == 403
        assert shown.content == plain.content
    assert sorted(p.name for p in path.parent.iterdir()) == EXACT_ONLY


def test_login_is_checked_before_anything_is_encoded() -> None:
    value = photo((1600, 900), kind="tiled", variant=7)
    path = _stored(value)
    demo = serving_app()
    port = free_port()
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        auth=("user", "pass"),
    )
    try:
        served = Served(f"http://127.0.0.1:{port}/", None, demo.server_app)
        url = file_url(served, path)
        shown = served.get(url, IMAGE_LOAD)
        assert shown.status_code == served.get(url).status_code == 401
        assert sorted(p.name for p in path.parent.iterdir()) == EXACT_ONLY
        with httpx.Client() as browser:
            browser.post(
                f"{served.url}login", data={"username": "user", "password": "pass"}
            )
            logged_in = browser.get(url, headers=IMAGE_LOAD)
            exact = browser.get(url)
        assert logged_in.status_code == 200
        assert logged_in.headers["content-type"] == "image/webp"
        assert exact.content == path.read_bytes()
    finally:
        demo.close()
