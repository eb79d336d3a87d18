"""Attack 3 (issue 11): two values whose WebP bytes are identical.

The file at a value's URL is its exact PNG, but what an ``<img>`` is shown is a
lossy display file (here ``display="webp"``: stock's own WebP, full size), which
cannot carry the exact value. Someone who saves the shown image and uploads it again
must get the value it was shown for: mapping display bytes to the value saved last
would hand one of two users whose images encode to the same WebP the other's exact
value. Each must get its own; WebP bytes that carry no token of this server (here,
encoded by the client itself) are a plain upload.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

from tests.samples import photo
from tests.security import craft
from tests.security.apps import digest
from tests.serving.apps import IMAGE_LOAD

pytestmark = pytest.mark.e2e


def test_identical_webp_bytes_resolve_to_each_users_own_value(
    main, watch, tmp_path: Path
) -> None:
    one = photo(128, 128)
    two = craft.webp_twin(one)  # 10 flipped low bits
    assert not np.array_equal(one, two)
    # the precondition, or this test proves nothing: stock-style WebP encoding
    # of the two values is byte-identical
    assert craft.stock_webp(one) == craft.stock_webp(two)
    files = []
    for i, value in enumerate((one, two)):
        files.append(tmp_path / f"user{i + 1}.png")
        PIL.Image.fromarray(value).save(files[-1])
    user1, user2 = _client(main), _client(main)

    with watch(main, "lossy/identical WebP bytes, two users") as w:
        shown = []
        for i, (user, file) in enumerate(((user1, files[0]), (user2, files[1]))):
            out = user.predict(handle_file(file), api_name="/webp")
            # what the user's browser was shown: the <img> load of that URL
            answer = httpx.get(out["url"], headers=IMAGE_LOAD)
            assert answer.status_code == 200, answer.text
            shown.append(tmp_path / f"shown{i + 1}.webp")
            shown[-1].write_bytes(answer.content)
        got1 = user1.predict(handle_file(shown[0]), api_name="/digest_webp")
        got2 = user2.predict(handle_file(shown[1]), api_name="/digest_webp")
    pixels = [np.asarray(PIL.Image.open(p)) for p in shown]
    same = np.array_equal(*pixels)
    w.note(
        f"user 1 got {'its own' if got1 == digest(one) else 'NOT its own'} value, "
        f"user 2 {'its own' if got2 == digest(two) else 'NOT its own'}; "
        f"shown pixels identical: {same}",
    )
    for path in shown:
        data = path.read_bytes()
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert same  # the precondition: what the two were shown is the same image
    assert got1 == digest(one), f"user 1 re-uploaded its WebP and got {got1}"
    assert got2 == digest(two), f"user 2 re-uploaded its WebP and got {got2}"


def _client(main):
    from gradio_client import Client

    return Client(main.url, verbose=False, ssl_verify=False, download_files=False)


def test_webp_bytes_without_a_token_are_a_plain_upload(
    main, watch, tmp_path: Path
) -> None:
    """A third user who was never served anything encodes the same WebP bytes
    itself: a plain upload, the decoded WebP pixels, never a stored exact value."""
    one = photo(128, 128)
    two = craft.webp_twin(one)
    main.client().predict(
        handle_file(_png(tmp_path / "two.png", two)), api_name="/webp"
    )
    own = tmp_path / "own.webp"
    own.write_bytes(craft.stock_webp(one))
    visible = np.asarray(PIL.Image.open(io.BytesIO(own.read_bytes())))
    with watch(main, "lossy/client-encoded WebP bytes") as w:
        got = main.client().predict(handle_file(own), api_name="/digest_webp")
    w.note(got)
    assert got == digest(visible), (
        f"client-made WebP must be read as its pixels ({digest(visible)}), "
        f"got {got} (the stored value: {digest(two)})"
    )


def _png(path: Path, value: np.ndarray) -> Path:
    PIL.Image.fromarray(value).save(path)
    return path


@pytest.mark.parametrize("component", ["slider", "editor"])
def test_identical_webp_bytes_in_a_new_component_resolve_to_each_users_own(
    main, watch, tmp_path: Path, component: str
) -> None:
    """Issue 15: the same two users, through an ImageSlider (second image) and an
    ImageEditor (layer 0) shown as WebP: each uploads what it was shown."""
    one = photo(128, 128)
    two = craft.webp_twin(one)
    assert craft.stock_webp(one) == craft.stock_webp(two)
    users = [_client(main), _client(main)]
    other = _png(tmp_path / "other.png", photo(32, 32))
    got, shown = [], []
    with watch(main, f"lossy/identical WebP bytes, two users, {component}") as w:
        for i, value in enumerate((one, two)):
            file = handle_file(_png(tmp_path / f"user{i + 1}.png", value))
            if component == "slider":
                out = users[i].predict(
                    [handle_file(other), file], api_name="/slider_webp"
                )
                served = out[1]
            else:
                out = users[i].predict(
                    {"background": None, "layers": [file], "composite": None},
                    api_name="/editor_webp",
                )
                served = out["layers"][0]
            answer = httpx.get(served["url"], headers=IMAGE_LOAD)
            assert answer.status_code == 200, answer.text
            shown.append(tmp_path / f"shown{i + 1}.webp")
            shown[-1].write_bytes(answer.content)
            payload: object = (
                [handle_file(other), handle_file(shown[-1])]
                if component == "slider"
                else {
                    "background": None,
                    "layers": [handle_file(shown[-1])],
                    "composite": None,
                }
            )
            got.append(users[i].predict(payload, api_name=f"/digest_{component}_webp"))
    pixels = [np.asarray(PIL.Image.open(f)) for f in shown]
    same = np.array_equal(*pixels)
    w.note(f"shown pixels identical: {same}; got {got}")
    for data in (f.read_bytes() for f in shown):
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert same  # the precondition: the two were shown the same image
    for value, text in zip((one, two), got, strict=True):
        assert digest(value) in text, (digest(value), text)
        assert digest(two if value is one else one) not in text
