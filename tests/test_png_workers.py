"""PNG encodes in worker processes (codecs/png_workers.py): the same bytes as fpng in
this process, several at once, and a worker that dies costs nothing but its
replacement."""

from __future__ import annotations

import io
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import fpng
import numpy as np
import PIL.Image
import pytest

import gradio_lossless as gl
from gradio_lossless.codecs import fast_png, png_workers
from gradio_lossless.store.memory import WorkBudget
from tests.samples import photo


@pytest.fixture
def workers() -> Iterator[png_workers.WorkerPool]:
    pool = png_workers.WorkerPool(2)
    yield pool
    pool.close()


def _decoded(png: bytes) -> np.ndarray:
    with PIL.Image.open(io.BytesIO(png)) as im:
        return np.asarray(im)


@pytest.mark.parametrize(
    "shape", [(1, 1, 3), (48, 64, 3), (37, 101, 4), (720, 1280, 3), (600, 700, 4)]
)
def test_a_worker_writes_the_bytes_fpng_writes_here(
    workers: png_workers.WorkerPool, shape: tuple[int, int, int]
) -> None:
    rng = np.random.default_rng(sum(shape))
    arr = photo(shape[0], shape[1])
    if shape[2] == 4:
        alpha = rng.integers(0, 256, shape[:2], dtype=np.uint8)
        arr = np.dstack([arr, alpha])
    png = workers.encode(arr)
    assert png == bytes(fpng.from_ndarray(arr))
    assert np.array_equal(_decoded(png), arr)


def test_a_strided_view_is_encoded_as_its_pixels(
    workers: png_workers.WorkerPool,
) -> None:
    arr = photo(200, 300)[:, ::2]
    png = workers.encode(np.ascontiguousarray(arr))
    assert np.array_equal(_decoded(png), arr)


def test_threads_encode_at_once_through_the_workers(
    workers: png_workers.WorkerPool,
) -> None:
    images = [np.roll(photo(480, 640), i, axis=1) for i in range(6)]
    out: dict[int, bytes] = {}

    def run(i: int) -> None:
        out[i] = workers.encode(images[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(images))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(out[i] == bytes(fpng.from_ndarray(images[i])) for i in out)
    assert len(out) == len(images)
    assert workers.encoded == len(images)
    assert workers.failures == 0


def test_a_worker_that_died_idle_is_replaced(
    workers: png_workers.WorkerPool,
) -> None:
    arr = photo(48, 64)
    workers.start()
    for worker in workers._idle:
        os.kill(worker._proc.pid, signal.SIGKILL)
        worker._proc.wait()
    assert workers.encode(arr) == bytes(fpng.from_ndarray(arr))
    assert workers.failures == 0


def test_a_worker_that_dies_mid_request_leaves_the_encode_to_the_caller(
    workers: png_workers.WorkerPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    arr = photo(48, 64)
    real = png_workers._Worker.encode

    def dying(self: png_workers._Worker, pixels: np.ndarray) -> bytes:
        os.kill(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        return real(self, pixels)

    monkeypatch.setattr(png_workers._Worker, "encode", dying)
    with pytest.raises(png_workers.WorkerError, match="PNG worker"):
        workers.encode(arr)
    assert workers.failures == 1
    monkeypatch.setattr(png_workers, "pool", lambda: workers)
    assert png_workers.encode(arr) is None
    monkeypatch.setattr(png_workers._Worker, "encode", real)
    assert workers.encode(arr) == bytes(fpng.from_ndarray(arr))


def test_a_closed_pool_refuses_and_the_caller_encodes_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = png_workers.WorkerPool(1)
    pool.close()
    with pytest.raises(png_workers.WorkerError):
        pool.encode(photo(48, 64))
    monkeypatch.setattr(png_workers, "pool", lambda: pool)
    assert png_workers.encode(photo(48, 64)) is None


def test_large_encodes_go_to_workers_only_inside_in_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[tuple[int, ...]] = []

    def spy(arr: np.ndarray) -> bytes | None:
        sent.append(arr.shape)
        return None  # as when a worker failed: encoded here instead

    monkeypatch.setattr(png_workers, "encode", spy)
    monkeypatch.setenv("GRADIO_LOSSLESS_PNG_WORKERS", "2")
    large = photo(512, 1024)  # 1.5 MiB of pixels
    small = photo(48, 64)
    assert fast_png.encode_array(large) == bytes(fpng.from_ndarray(large))
    assert sent == []
    with fast_png.in_workers():
        assert fast_png.encode_array(large) == bytes(fpng.from_ndarray(large))
        assert fast_png.encode_array(small) == bytes(fpng.from_ndarray(small))
        im = PIL.Image.fromarray(large)
        assert np.array_equal(_decoded(fast_png.encode(im)), large)
    assert sent == [large.shape, large.shape]
    assert fast_png.encode_array(large) == bytes(fpng.from_ndarray(large))
    assert len(sent) == 2
    monkeypatch.delenv("GRADIO_LOSSLESS_PNG_WORKERS")  # off: never asked
    with fast_png.in_workers():
        assert fast_png.encode_array(large) == bytes(fpng.from_ndarray(large))
        assert np.array_equal(_decoded(fast_png.encode(im)), large)
    assert len(sent) == 2


@pytest.mark.parametrize("setting", [None, "0"])
def test_workers_are_off_unless_asked_for(
    monkeypatch: pytest.MonkeyPatch, setting: str | None
) -> None:
    if setting is None:
        monkeypatch.delenv("GRADIO_LOSSLESS_PNG_WORKERS", raising=False)
    else:
        monkeypatch.setenv("GRADIO_LOSSLESS_PNG_WORKERS", setting)
    assert not png_workers.enabled()
    assert png_workers.pool() is None
    assert png_workers.encode(photo(48, 64)) is None


def test_a_gallery_with_workers_serves_the_exact_values(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GRADIO_LOSSLESS_PNG_WORKERS", "2")
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    gallery = gl.Gallery(type="numpy")
    workers = png_workers.pool()
    assert workers is not None
    before = workers.encoded
    images = [np.roll(photo(512, 1024), i, axis=1) for i in range(3)]
    data = gallery.postprocess(images)
    assert workers.encoded - before == len(images)
    for item, image in zip(data.root, images, strict=True):
        with PIL.Image.open(item.image.path) as im:
            assert np.array_equal(np.asarray(im), image)
    received = gallery.preprocess(data)
    assert received is not None
    assert all(
        np.array_equal(value, image)
        for (value, _), image in zip(received, images, strict=True)
    )


def test_each_request_holds_its_pixel_copy_against_the_work_budget(
    workers: png_workers.WorkerPool,
) -> None:
    budget = WorkBudget(64 << 20)
    workers.hold = budget.hold
    seen: list[int] = []
    real = png_workers._Worker.encode

    def watch(self: png_workers._Worker, pixels: np.ndarray) -> bytes:
        seen.append(budget.in_use)
        return real(self, pixels)

    arr = photo(480, 640)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(png_workers._Worker, "encode", watch)
        workers.encode(arr)
    assert seen == [arr.nbytes]
    assert budget.in_use == 0
