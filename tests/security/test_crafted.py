"""Attack 5 (issue 11): crafted exact-PNG headers, and the decoded-size cap.

A glMD header is the client's word. Current main believes it: a ~350 KB file whose
header claims float64 9459×9459×4 with pixels "in the IDAT" (a 9459×9459 RGBA of
zeros, with the fingerprint anyone can compute) is turned into a 2.9 GB float64
array and more. A header without this server's MAC is a plain upload, checked
before any allocation: the function gets the visible pixels, and a visible image
over GRADIO_LOSSLESS_MAX_DECODED_BYTES (estimated from its headers) is refused.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

from tests.samples import photo
from tests.security import craft
from tests.security.apps import digest
from tests.security.conftest import (
    DECODED_CAP,
    RSS_BOUND_MB,
    SLOTS,
    error_text,
    send_in_slot,
    upload,
)

pytestmark = pytest.mark.e2e

BIG = (9459, 9459, 4)  # 89.5 Mpx: just under Pillow's decompression-bomb limit


def small_visible() -> bytes:
    return craft.png_bytes(PIL.Image.fromarray(photo(48, 64)).convert("RGBA"))


def test_the_issue_header_over_a_full_size_idat_costs_no_memory(
    other, watch, tmp_path: Path
) -> None:
    """The issue's file: float64 9459×9459×4 claimed, a 9459×9459 RGBA of zeros
    in the IDAT, the old fingerprint valid. Sent to the server whose decoded-size
    cap is 50 MB: the visible image (358 MB decoded) is over it, so the only
    answer is the cap's error, before anything is decoded."""
    data = craft.forged_idat_header(craft.zero_png(BIG[1], BIG[0]), "float64", BIG)
    file = tmp_path / "header.png"
    file.write_bytes(data)
    client = other.client()
    client.predict("uint8_rgb", api_name="/make")  # warm
    attack = f"crafted/float64 {BIG} header, full IDAT ({len(data) / 1000:.0f} KB)"
    with watch(other, attack) as w:
        text = error_text(
            lambda: client.predict(handle_file(file), api_name="/digest_numpy")
        )
    w.note(repr(text))
    assert text is not None and "GRADIO_LOSSLESS_MAX_DECODED_BYTES" in text, text
    assert w.peak_growth < RSS_BOUND_MB, w.summary()


FORGED = {
    "float64 9459x9459x4 idat over 48x64": lambda: craft.forged_idat_header(
        small_visible(), "float64", BIG
    ),
    "float64 2048x2048x4 raw zeros": lambda: craft.forged_raw_header(
        small_visible(), "float64", (2048, 2048, 4)
    ),
}


@pytest.mark.parametrize("label", list(FORGED))
def test_a_forged_header_is_a_plain_upload(
    main, watch, tmp_path: Path, label: str
) -> None:
    """A header over a small visible image, claiming a huge array (in the IDAT, or
    in a glRW zlib bomb of 134 MB of zeros with a valid old fingerprint): the
    function gets the small visible image."""
    data = FORGED[label]()
    file = tmp_path / "forged.png"
    file.write_bytes(data)
    visible = np.asarray(PIL.Image.open(io.BytesIO(data)))
    client = main.client()
    client.predict("uint8_rgb", api_name="/make")  # warm
    with watch(main, f"crafted/{label} ({len(data) / 1000:.0f} KB)") as w:
        got = client.predict(handle_file(file), api_name="/digest_numpy")
    w.note(got)
    assert got == digest(visible), f"want the visible {digest(visible)}, got {got}"
    assert w.peak_growth < RSS_BOUND_MB, w.summary()


@pytest.mark.parametrize("component", ["image", "gallery"])
def test_an_upload_over_the_decoded_size_cap_is_refused(
    other, watch, tmp_path: Path, component: str
) -> None:
    file = tmp_path / "big.png"
    file.write_bytes(craft.zero_png(5000, 4000, "RGBA"))  # 80 MB decoded, ~80 KB
    client = other.client()
    attack = f"crafted/5000x4000 RGBA to {component}, cap {DECODED_CAP}"
    with watch(other, attack) as w:
        if component == "image":
            text = error_text(
                lambda: client.predict(handle_file(file), api_name="/digest_pil")
            )
        else:
            items = [{"image": handle_file(file), "caption": None}]
            text = error_text(lambda: client.predict(items, api_name="/digest_gallery"))
    w.note(repr(text))
    assert text is not None and "GRADIO_LOSSLESS_MAX_DECODED_BYTES" in text, text
    assert "big.png" in text
    assert w.peak_growth < RSS_BOUND_MB, w.summary()


@pytest.mark.parametrize("slot", list(SLOTS))
def test_an_oversize_or_truncated_file_in_a_new_component_is_refused(
    other, watch, tmp_path: Path, slot: str
) -> None:
    """Issue 15: an image over the decoded-size cap, and a truncated PNG, as a
    slider image, an editor background or layer, an annotated base image."""
    good_file = tmp_path / "good.png"
    PIL.Image.fromarray(photo(8, 8)).save(good_file)
    good = upload(other, good_file)
    big = tmp_path / "big.png"
    big.write_bytes(craft.zero_png(5000, 4000, "RGBA"))  # 80 MB decoded
    whole = craft.png_bytes(PIL.Image.fromarray(photo(48, 64)))
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole[: len(whole) // 2])
    with watch(other, f"crafted/5000x4000 RGBA and a truncated PNG as {slot}") as w:
        over = send_in_slot(other, slot, upload(other, big), good)
        truncated = send_in_slot(other, slot, upload(other, cut), good)
    w.note(f"{over[1]} / {truncated[1]}")
    what = SLOTS[slot][1]
    assert over[0] == "error" and over[1].startswith(f"{what} 'big.png': "), over
    assert "GRADIO_LOSSLESS_MAX_DECODED_BYTES" in over[1]
    assert truncated[0] == "error", truncated
    assert truncated[1].startswith(f"{what} 'cut.png': truncated or corrupt image")
    assert w.peak_growth < RSS_BOUND_MB, w.summary()
