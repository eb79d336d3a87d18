"""Attack 6 (issue 11): cheap uploads that fill the store.

Files written for one request are bounded relative to it (current main writes an
uncompressed TIFF: a few hundred KB of 16-bit PNG becomes 64 MB), and the shared
folder (GRADIO_LOSSLESS_STORE) stays within GRADIO_LOSSLESS_DISK_BYTES like the
local store (current main never evicts it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

from benchmarks.server_process import tree_bytes
from tests.security.apps import digest, noise
from tests.security.conftest import SHARED_DISK_BYTES

pytestmark = pytest.mark.e2e

VALUES = 20  # ~1 MB exact PNG each: 2.5 times the shared folder's limit


def gray16(height: int = 4000, width: int = 4000) -> PIL.Image.Image:
    """A 16-bit grayscale image: constant but for a 300×300 block of noise."""
    arr = np.full((height, width), 1234, np.uint16)
    rng = np.random.default_rng(8)
    arr[:300, :300] = rng.integers(0, 65536, (300, 300), dtype=np.uint16)
    return PIL.Image.fromarray(arr)


def test_a_small_16_bit_upload_writes_little_to_the_store(
    main, watch, tmp_path: Path
) -> None:
    file = tmp_path / "gray16.png"
    gray16().save(file)
    upload = file.stat().st_size
    assert upload < 400_000
    store = main.cache_dir / "lossless"
    client = main.client()
    before = tree_bytes(store)
    attack = f"store/{upload / 1000:.0f} KB 16-bit PNG into filepath image_mode=F"
    with watch(main, attack) as w:
        got = client.predict(handle_file(file), api_name="/filepath_f")
    written = tree_bytes(store) - before
    w.note(
        f"{written / 1e6:.1f} MB written under lossless/",
    )
    assert got.startswith("path "), got
    assert written < 10 * upload + (1 << 20), (
        f"a {upload} B upload wrote {written} B under {store}"
    )


def test_the_shared_folder_stays_within_the_disk_limit(replica, servers, watch) -> None:
    client = replica.client()
    with watch(replica, f"store/{VALUES} values of ~1 MB, webp, shared folder") as w:
        for seed in range(VALUES):
            last = client.predict(str(seed), api_name="/noise")
    total = tree_bytes(servers.shared)
    w.note(
        f"shared folder {total / 1e6:.1f} MB, limit {SHARED_DISK_BYTES / 1e6:.1f} MB",
    )
    assert total <= SHARED_DISK_BYTES, (
        f"{servers.shared} holds {total} B, over GRADIO_LOSSLESS_DISK_BYTES="
        f"{SHARED_DISK_BYTES}"
    )
    # bounded, not emptied: the newest value still comes back exactly
    got = client.predict(handle_file(last), api_name="/digest_webp")
    assert got == digest(noise(VALUES - 1))
