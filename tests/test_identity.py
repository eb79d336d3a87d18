"""A pass-through hop costs a change digest, not a keyed hash, and never serves a
stale value when the app changed the object it was handed (identity.py)."""

from __future__ import annotations

import gc

import numpy as np
import PIL.Image
from gradio.data_classes import ImageData

import gradio_lossless as gl
from gradio_lossless.store.identity import Identities
from gradio_lossless.store.store import get_store
from tests import exact
from tests.samples import photo


def test_a_noted_object_is_known_until_it_changes() -> None:
    ids = Identities(exact.KEYS.change_digest)
    arr = photo(16, 24)
    ids.note(arr, "a" * 64, exact.KEYS.change_digest(arr))
    assert ids.address_of(arr) == ("a" * 64, exact.KEYS.change_digest(arr))
    assert ids.address_of(arr.copy()) is None  # equal content, another object
    arr[0, 0, 0] ^= 1
    assert ids.address_of(arr) is None


def test_a_dead_object_never_matches_a_new_one_with_its_id() -> None:
    ids = Identities(exact.KEYS.change_digest)
    arr = photo(8, 8)
    ids.note(arr, "b" * 64, exact.KEYS.change_digest(arr))
    key = id(arr)
    del arr
    gc.collect()
    for _ in range(200):  # try to get the freed id back
        other = photo(8, 8)
        if id(other) == key:
            assert ids.address_of(other) is None
            return
        del other


def test_the_known_objects_are_bounded() -> None:
    ids = Identities(exact.KEYS.change_digest, limit=10)
    keep = [np.zeros((2, 2), np.uint8) + i for i in range(50)]
    for i, arr in enumerate(keep):
        ids.note(arr, f"{i:064x}", b"")
    assert len(ids) == 10


def _served(component: gl.Image, value: object) -> str:
    return component.postprocess(value).path  # type: ignore[union-attr]


def test_a_pass_through_keeps_its_address_and_an_in_place_edit_gets_a_new_one() -> None:
    c = gl.Image(type="numpy", image_mode=None)
    first = _served(c, photo(32, 48))
    got = c.preprocess(ImageData(path=first))
    assert _served(c, got) == first  # handed back unchanged: the same file
    got[3, 4, 1] ^= 0x80  # the app edits the array it was handed, in place
    second = _served(c, got)
    assert second != first
    assert np.array_equal(gl.read(second), got)
    assert not np.array_equal(gl.read(first), got)


def test_a_returned_array_changed_later_is_never_served_for_its_old_address() -> None:
    c = gl.Image(type="numpy", image_mode=None)
    buffer = photo(32, 48)
    want = buffer.copy()
    path = _served(c, buffer)  # kept by reference (borrowed) in memory
    buffer[:] = 0  # an app reusing one global buffer for its next output
    got = c.preprocess(ImageData(path=path))
    assert np.array_equal(got, want)  # the borrowed copy was dropped, not served
    assert get_store(c.GRADIO_CACHE).keys.address(want) in path


def test_a_pil_value_edited_in_place_is_a_new_value() -> None:
    c = gl.Image(type="pil", image_mode=None)
    first = _served(c, PIL.Image.fromarray(photo(16, 16)))
    got = c.preprocess(ImageData(path=first))
    assert _served(c, got) == first
    got.putpixel((0, 0), (1, 2, 3))
    second = _served(c, got)
    assert second != first and gl.read(second).getpixel((0, 0)) == (1, 2, 3)
