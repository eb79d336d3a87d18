"""Attack 4 (issue 11): metadata bombs.

A ~67 KB PNG holds 63 zTXt chunks of 1 MB of text each (within Pillow's own
limits). Current main keeps all of it, uncounted by the memory cache. Every image's
text together is capped (GRADIO_LOSSLESS_MAX_TEXT_BYTES, default 1 MiB), and so are
its ICC profile and EXIF; beyond them a gr.Error names the kind and the setting.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

from tests.security import craft
from tests.security.apps import digest
from tests.security.conftest import (
    RSS_BOUND_MB,
    SLOTS,
    error_text,
    send_in_slot,
    upload,
)

pytestmark = pytest.mark.e2e

BOMBS = 10


def _normal(tmp_path: Path, seed: int) -> tuple[Path, str]:
    value = np.random.default_rng(seed).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    path = tmp_path / f"normal{seed}.png"
    PIL.Image.fromarray(value).save(path)
    return path, digest(PIL.Image.fromarray(value))


def test_text_metadata_bombs_are_refused_and_cost_no_memory(
    main, watch, tmp_path: Path
) -> None:
    client = main.client()
    normal, want = _normal(tmp_path, 1)
    assert client.predict(handle_file(normal), api_name="/digest_pil") == want
    client.predict(handle_file(normal), api_name="/pil")  # warm the output path
    files = []
    for seed in range(BOMBS):  # distinct files: no cache can short-cut one
        files.append(tmp_path / f"bomb{seed}.png")
        files[-1].write_bytes(craft.text_bomb(seed))
    size_kb = files[0].stat().st_size / 1000

    texts: list[str | None] = []
    with watch(main, f"bombs/zTXt bombs of {size_kb:.0f} KB (63 MB text)") as w:
        for file in files:  # an image-to-image app: the image comes back
            texts.append(
                error_text(
                    lambda f=file: client.predict(handle_file(f), api_name="/pil")
                )
            )
            if w.growth_now() > RSS_BOUND_MB:
                break  # failed already: the rest would only cost time
    refused = sum(
        t is not None and "text metadata" in t and "GRADIO_LOSSLESS_MAX_TEXT_BYTES" in t
        for t in texts
    )
    w.note(f"{refused}/{len(texts)} sent refused; first answer: {texts[0]!r}")
    assert w.peak_growth < RSS_BOUND_MB, (
        f"{len(texts)} bombs sent (of {BOMBS}): {w.summary()}; answers {texts}"
    )
    assert w.end_growth < RSS_BOUND_MB, w.summary()
    assert refused == BOMBS, f"each bomb must be refused naming text metadata: {texts}"
    assert "bomb0.png" in str(texts[0])
    # and the server keeps serving
    normal, want = _normal(tmp_path, 2)
    assert client.predict(handle_file(normal), api_name="/digest_pil") == want


@pytest.mark.parametrize(
    ("kind", "setting", "build"),
    [
        ("ICC profile", "GRADIO_LOSSLESS_MAX_ICC_BYTES", craft.icc_bomb),
        ("EXIF", "GRADIO_LOSSLESS_MAX_EXIF_BYTES", craft.exif_bomb),
    ],
    ids=["icc-5MiB", "exif-2MiB"],
)
def test_an_oversized_profile_is_refused_naming_it(
    main, watch, tmp_path: Path, kind: str, setting: str, build
) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "x.png"
    file.write_bytes(build(7))
    client = main.client()
    size_kb = file.stat().st_size / 1000
    with watch(main, f"bombs/{kind} ({size_kb:.0f} KB file)") as w:
        text = error_text(lambda: client.predict(handle_file(file), api_name="/pil"))
    w.note(repr(text))
    assert text is not None and kind in text and setting in text, text
    assert "x.png" in text


@pytest.mark.parametrize("slot", list(SLOTS))
def test_a_text_bomb_in_a_new_component_is_refused_naming_it(
    main, watch, tmp_path: Path, slot: str
) -> None:
    """Issue 15: the same bomb as a slider image, an editor background or layer,
    an annotated base image: refused naming the item and the file."""
    normal, _ = _normal(tmp_path, 3)
    good = upload(main, normal)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(craft.text_bomb(20 + list(SLOTS).index(slot)))
    sent = upload(main, bomb)
    with watch(main, f"bombs/zTXt bomb as {slot}") as w:
        event, text = send_in_slot(main, slot, sent, good)
    w.note(f"{event}: {text}")
    assert event == "error", text
    assert text.startswith(f"{SLOTS[slot][1]} 'bomb.png': text metadata"), text
    assert "GRADIO_LOSSLESS_MAX_TEXT_BYTES" in text
    assert w.peak_growth < RSS_BOUND_MB, w.summary()
