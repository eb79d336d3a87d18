"""The store's bounds: memory LRU, disk budget with LRU eviction, delete_cache."""

from __future__ import annotations

import os
import time
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from gradio.data_classes import ImageData

import gradio_lossless as gl
from benchmarks.server_process import tree_bytes
from gradio_lossless.components._load import load
from gradio_lossless.components._save import save
from gradio_lossless.core.errors import EvictedReferenceError, StoreWriteError
from gradio_lossless.serving import renditions
from gradio_lossless.store import disk
from gradio_lossless.store.store import Store
from tests import exact
from tests.samples import photo


def values(n: int, size: int = 64) -> list[np.ndarray]:
    base = photo(size, size)
    return [np.roll(base, i, axis=1) for i in range(n)]


def test_memory_cache_stays_under_its_byte_limit(tmp_path: Path) -> None:
    store = Store(tmp_path, keys=exact.KEYS, memory_bytes=5 * 64 * 64 * 3)
    for v in values(20):
        save(v, store, format="png")
        assert store.held_bytes <= store.memory_bytes
    assert store.held_bytes > 0


def test_a_reader_never_sees_the_memory_count_past_its_limit(tmp_path: Path) -> None:
    """``held_bytes`` is read without the lock (the soak's sampler does): room is
    made before a value is counted, so no moment shows more than the limit. A tiny
    thread switch interval makes a reader between two lines likely."""
    import sys
    import threading

    limit = 5 * 64 * 64 * 3
    store = Store(tmp_path, keys=exact.KEYS, memory_bytes=limit)
    value = np.zeros((64, 64, 3), np.uint8)
    seen: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            seen.append(store.held_bytes)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    reader = threading.Thread(target=sample)
    reader.start()
    try:
        for i in range(3000):
            store.remember(f"a{i}", value, digest=b"-", size=value.nbytes)
    finally:
        done.set()
        reader.join()
        sys.setswitchinterval(interval)
    assert len(seen) > 100
    assert max(seen) == limit


def test_disk_budget_evicts_least_recently_used_folders(tmp_path: Path) -> None:
    store = Store(tmp_path, keys=exact.KEYS, disk_bytes=200_000)
    paths = [save(v, store, format="png") for v in values(30)]
    total = sum(f.stat().st_size for f in tmp_path.rglob("*") if f.is_file())
    assert total <= 200_000
    assert store.disk.evicted > 0
    assert Path(paths[-1]).exists()  # the newest survives
    assert not Path(paths[0]).exists()  # the oldest went first


def test_concurrent_writers_never_take_the_store_past_its_limit(
    tmp_path: Path,
) -> None:
    """Room is made before a write, so eight threads writing at once never put more
    bytes on disk (temporary files included) than the limit; a sampler checks."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    limit = 2_000_000
    store = Store(tmp_path, keys=exact.KEYS, memory_bytes=0, disk_bytes=limit)
    rng = np.random.default_rng(3)
    noise = [rng.integers(0, 256, (160, 160, 3), dtype=np.uint8) for _ in range(80)]
    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_bytes(tmp_path))

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            paths = list(pool.map(lambda v: save(v, store, format="png"), noise))
    finally:
        stop.set()
        sampler.join()
    assert store.disk.evicted > 0  # 80 × ~77 kB went through a 2 MB store
    assert 0 < peak[0] <= limit
    assert Path(paths[-1]).exists()


def test_a_folder_being_written_stays_counted_through_a_rescan_and_is_never_evicted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(disk, "RESCAN_SECONDS", 0.0)  # every reserve rescans
    writing, old, new = "a" * 64, "c" * 64, "e" * 64
    (tmp_path / old).mkdir()
    (tmp_path / old / "image.png").write_bytes(bytes(300))
    os.utime(tmp_path / old / "image.png", (1, 1))  # least recently used
    budget = disk.DiskBudget(tmp_path, limit=1000)
    budget.reserve(writing, 600)  # a write under way: 100 bytes of it on disk so far
    (tmp_path / writing).mkdir()
    (tmp_path / writing / ".image.png.part").write_bytes(bytes(100))
    budget.reserve(new, 300)  # rescans, then must make room
    assert not (tmp_path / old).exists()  # the least recently used folder went
    assert (tmp_path / writing).exists()  # the one being written did not
    assert budget.total_bytes == 100 + 600 + 300  # reservation counted whole
    budget.written(writing, 600)
    budget.reserve("f" * 64, 950)  # a finished write is an ordinary folder again
    assert not (tmp_path / writing).exists()


def test_a_recently_used_value_survives_eviction(tmp_path: Path) -> None:
    store = Store(tmp_path, keys=exact.KEYS, disk_bytes=150_000)
    vs = values(40)
    first = save(vs[0], store, format="png")
    for v in vs[1:]:
        save(v, store, format="png")
        store.touch(store.owns(first))  # keeps being used
    assert Path(first).exists()


def test_an_evicted_reference_gets_a_clear_error_never_another_image(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path, keys=exact.KEYS, memory_bytes=0, disk_bytes=10**9)
    served = save(values(1)[0], store, format="webp")
    address = store.owns(served)
    assert address is not None
    # a display file carrying the value's token: what an <img> of it was sent
    shown = renditions.make(store, address, renditions.FIXED["webp"])
    assert shown is not None and shown.data[8:12] == b"WEBP"
    for name in ("exact.png", "image.webp"):  # the exact value is gone
        (Path(served).parent / name).unlink()
    with pytest.raises(EvictedReferenceError, match="no longer stored"):
        load(served, store)
    copy = tmp_path / "reupload.webp"  # someone uploading the image they were shown
    copy.write_bytes(shown.data)
    with pytest.raises(EvictedReferenceError, match="upload the original image again"):
        load(str(copy), store)


def test_through_the_component_eviction_is_a_gr_error() -> None:
    comp = gl.Image(type="numpy", format="webp")
    data = comp.postprocess(values(1, 48)[0])
    assert Path(data.path).name == "image.webp"
    for name in ("exact.png", "image.webp"):
        (Path(data.path).parent / name).unlink()
    from gradio_lossless.store.store import get_store

    get_store(comp.GRADIO_CACHE).forget()
    with pytest.raises(gr.Error) as info:
        comp.preprocess(ImageData(path=data.path, orig_name="image.webp"))
    assert "no longer stored" in info.value.message


def test_folders_left_by_gradio_delete_cache_are_cleaned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path, keys=exact.KEYS, disk_bytes=10**9)
    served = Path(save(values(1)[0], store, format="webp"))
    served.unlink()  # what delete_cache does to the file it tracks
    old = time.time() - 3600
    for f in served.parent.iterdir():
        os.utime(f, (old, old))
    monkeypatch.setattr(disk, "RESCAN_SECONDS", 0.0)
    save(values(2)[1], store, format="png")  # any write triggers the rescan
    assert not served.parent.exists()


def test_an_unwritable_cache_folder_is_a_clear_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    store = Store(blocker / "lossless", keys=exact.KEYS)
    with pytest.raises(
        StoreWriteError,
        match=r"cannot write 'image\.png' to the cache folder: Not a directory",
    ):
        save(values(1)[0], store, format="png")


def test_gradio_delete_cache_removes_our_files_too(
    server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(disk, "RESCAN_SECONDS", 0.0)
    monkeypatch.setattr(disk, "ORPHAN_GRACE_SECONDS", 1.0)
    from gradio_client import handle_file

    with gr.Blocks(delete_cache=(1, 1)) as demo:
        a = gl.Image(type="numpy", format="webp")
        b = gl.Image(type="numpy", format="webp")
        gr.Button().click(lambda x: np.roll(x, 1, axis=0), a, b, api_name="hop")
    start = Path(gl.Image().postprocess(values(1, 40)[0]).path)
    from gradio_lossless.store.store import get_store

    store = get_store(a.GRADIO_CACHE)
    before = set(store.root.glob("*/image.webp"))
    with server(demo) as (_, client):
        client.predict(handle_file(str(start)), api_name="/hop")
        served = list(set(store.root.glob("*/image.webp")) - before)
        assert served
        deadline = time.time() + 90  # a bound on the wait, not a timing: loaded CI
        while any(p.exists() for p in served) and time.time() < deadline:
            time.sleep(0.5)  # Gradio's delete_cache runs every second
        assert not any(p.exists() for p in served)
        assert all((p.parent / "exact.png").exists() for p in served)  # left behind
        # any write sweeps orphans (a value never stored, so it is written)
        fresh = np.random.default_rng().integers(0, 256, (8, 8, 3), dtype=np.uint8)
        save(fresh, store, format="png")
    for p in served:
        assert not (p.parent / "exact.png").exists()


def test_temporary_files_left_by_a_killed_writer_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path, keys=exact.KEYS, disk_bytes=10**9)
    served = Path(save(values(1)[0], store, format="png"))
    leftover = served.parent / ".image.png.abc123"
    leftover.write_bytes(b"half a file")
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    monkeypatch.setattr(disk, "RESCAN_SECONDS", 0.0)
    save(values(2)[1], store, format="png")
    assert not leftover.exists()
    assert served.exists()


def test_a_served_name_other_than_png_is_a_second_name_counted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path, keys=exact.KEYS, disk_bytes=10**9)
    served = Path(save(values(1)[0], store, format="webp"))
    exact_png = served.with_name("exact.png")
    assert served.name == "image.webp" and os.path.samefile(served, exact_png)
    assert served.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    monkeypatch.setattr(disk, "RESCAN_SECONDS", 0.0)
    store.disk.reserve(store.owns(served) or "", 0)  # rescans the folder
    assert store.disk.total_bytes == exact_png.stat().st_size  # not twice
    # the served name deleted (Gradio's delete_cache) and saved again: a new link
    served.unlink()
    assert save(values(1)[0], store, format="webp") == str(served)
    assert os.path.samefile(served, exact_png)
    # a file under the served name that is not the exact PNG (a store written by
    # an older version, which served a lossy WebP there) is replaced by the link
    served.unlink()
    served.write_bytes(b"RIFF\0\0\0\0WEBPVP8 not the exact file")
    assert save(values(1)[0], store, format="webp") == str(served)
    assert os.path.samefile(served, exact_png)
