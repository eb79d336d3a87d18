"""Attack 2 (issue 11): computable addresses and forged or tampered exact files.

A value's folder must be a keyed hash under the server secret (64 hex digits), so
nobody can compute it or probe for it; an exact PNG from a server with another
secret, or with its pixels edited, is a plain upload that changes nothing stored.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

from tests.security import craft
from tests.security.apps import digest, sample
from tests.security.conftest import SLOTS, call_raw, send_in_slot, upload

pytestmark = pytest.mark.e2e

HEX = set("0123456789abcdef")


def served(server, api_name: str, name: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The FileData the server answers /make-like calls with (its server path)."""
    event, result = call_raw(server, api_name, [name])
    assert event == "complete", f"/{api_name} {name}: {result}\n{server.log()[-2000:]}"
    return result[0]


def folder_of(file_data: dict) -> str:  # type: ignore[type-arg]
    path = Path(file_data["path"])
    assert path.parent.parent.name == "lossless", path
    return path.parent.name


def test_value_folders_are_keyed_by_the_secret(main, replica, other, watch) -> None:
    value = sample("float32_rgb")
    old = craft.old_fingerprint(value)
    with watch(main, "addresses/folder names") as w:
        names = {
            "main (secret A)": folder_of(served(main, "make", "float32_rgb")),
            "replica (secret A)": folder_of(served(replica, "make", "float32_rgb")),
            "other (secret B)": folder_of(served(other, "make", "float32_rgb")),
        }
    a, a2, b = names.values()
    w.note(f"{names}, old fingerprint {old}")
    for who, name in names.items():
        assert len(name) == 64 and set(name) <= HEX, f"{who}: folder {name!r}"
        assert name != old, f"{who}: the folder is the unkeyed fingerprint"
    assert a == a2, "the same secret and value must give the same folder"
    assert a != b, "different secrets must give different folders"


def test_the_old_fingerprint_is_no_url(main, watch) -> None:
    """Anyone can compute the old fingerprint of a guessed image; asking for it
    must not tell whether the server holds the value."""
    png = served(main, "make", "uint8_rgb")  # served as image.png
    webp = served(main, "make_webp", "float32_rgb")  # image.webp + exact.png
    assert httpx.get(png["url"], timeout=30).status_code == 200  # the route works
    assert httpx.get(webp["url"], timeout=30).status_code == 200
    lossless = main.cache_dir / "lossless"
    answers = {}
    with watch(main, "addresses/probe old fingerprint URLs") as w:
        for name in ("uint8_rgb", "float32_rgb"):
            old = craft.old_fingerprint(sample(name))
            for file in ("image.png", "exact.png"):
                url = f"{main.url}gradio_api/file={lossless / old / file}"
                answers[f"{name}/{file}"] = httpx.get(url, timeout=30).status_code
    found = {k: v for k, v in answers.items() if v == 200}
    w.note(f"status {answers}")
    assert not found, f"old-fingerprint URLs answered 200: {found}"
    for name in ("uint8_rgb", "float32_rgb"):
        assert not (lossless / craft.old_fingerprint(sample(name))).exists()


def test_a_file_served_under_another_secret_is_a_plain_upload(
    main, replica, other, watch
) -> None:
    want = sample("float32_rgb")
    file = main.client().predict("float32_rgb", api_name="/make")
    visible = np.asarray(PIL.Image.open(file))
    assert visible.dtype == np.uint8  # the 8-bit preview a plain reader sees
    # a replica sharing the secret reads it exactly (replicas read each other)
    assert replica.client().predict(
        handle_file(file), api_name="/digest_numpy"
    ) == digest(want)
    with watch(other, "addresses/exact PNG to a server with another secret") as w:
        got = other.client().predict(handle_file(file), api_name="/digest_numpy")
    w.note(got)
    assert got == digest(visible), (
        f"a server with another secret must read the visible pixels "
        f"({digest(visible)}), got {got}"
    )


@pytest.mark.parametrize("name", ["float32_rgb", "uint8_rgb"])
def test_tampered_pixels_are_a_plain_upload_and_change_nothing(
    main, watch, tmp_path: Path, name: str
) -> None:
    want = sample(name)
    user1, user2 = main.client(), main.client()
    mine = user1.predict(name, api_name="/make")
    original = Path(mine).read_bytes()
    shown = np.asarray(PIL.Image.open(io.BytesIO(original)))
    forged = craft.replace_pixels(original, PIL.Image.fromarray(255 - shown))
    kinds = [k for k, _ in craft.chunks(forged)]
    assert b"glMD" in kinds  # the exact header is kept, only the pixels differ
    tampered = tmp_path / "tampered.png"
    tampered.write_bytes(forged)
    visible = np.asarray(PIL.Image.open(tampered))
    assert np.array_equal(visible, 255 - shown)

    with watch(main, f"addresses/tampered IDAT ({name})") as w:
        user2.predict(handle_file(tampered), api_name="/numpy")  # stored, served
        got = user2.predict(handle_file(tampered), api_name="/digest_numpy")
    w.note(got)
    assert got == digest(visible), (
        f"edited pixels must be a plain upload ({digest(visible)}), got {got}"
    )
    # user 1's value is untouched: its own file still hops exactly
    assert user1.predict(handle_file(mine), api_name="/digest_numpy") == digest(want)
    again = user1.predict(handle_file(mine), api_name="/numpy")
    assert user1.predict(handle_file(again), api_name="/digest_numpy") == digest(want)


@pytest.mark.parametrize("slot", list(SLOTS))
def test_forged_and_tampered_files_in_a_new_component(
    main, watch, tmp_path: Path, slot: str
) -> None:
    """Issue 15, as a slider image, an editor background or layer, an annotated
    base: a store address nobody was served (a made-up folder, or a served file's
    name in it) and a served exact PNG with its pixels edited. The made-up
    address reads nothing; the edited file is a plain upload of its pixels; the
    owner's value is untouched."""
    good_file = tmp_path / "good.png"
    PIL.Image.fromarray(np.full((8, 8, 3), 40, np.uint8)).save(good_file)
    good = upload(main, good_file)
    mine = main.client().predict("uint8_rgb", api_name="/make")  # user 1's value
    served_name = Path(mine).name
    forged = main.cache_dir / "lossless" / ("ab" * 32) / served_name
    original = Path(mine).read_bytes()
    shown = np.asarray(PIL.Image.open(io.BytesIO(original)))
    tampered = tmp_path / "tampered.png"
    tampered.write_bytes(
        craft.replace_pixels(original, PIL.Image.fromarray(255 - shown))
    )
    what = SLOTS[slot][1]
    meta = good["meta"]
    with watch(main, f"addresses/forged address, tampered PNG as {slot}") as w:
        made_up = send_in_slot(main, slot, {"path": str(forged), "meta": meta}, good)
        edited = send_in_slot(main, slot, upload(main, tampered), good)
    w.note(f"{made_up} / {edited}")
    assert made_up[0] == "error", made_up
    # a path inside the cache folder passes Gradio's check; ours answers as for
    # an evicted value: nothing tells a made-up address from a real one
    assert made_up[1] == (
        f"{what} {served_name!r}: the exact value behind {served_name!r} is no "
        "longer stored (it was evicted or deleted); upload the original image again"
    )
    visible = 255 - shown
    assert edited[0] == "complete", edited
    if slot == "annotated base":  # a file path: fetch what /annotated serves of it
        payload = {"image": upload(main, tampered), "annotations": []}
        event, result = call_raw(main, "annotated", [payload])
        assert event == "complete", result
        data = httpx.get(result[0]["image"]["url"], timeout=30).content
        assert np.array_equal(np.asarray(PIL.Image.open(io.BytesIO(data))), visible)
    else:
        assert digest(visible) in edited[1][0], (digest(visible), edited)
    # user 1's own file still reads exactly
    assert main.client().predict(handle_file(mine), api_name="/digest_numpy") == (
        digest(sample("uint8_rgb"))
    )
