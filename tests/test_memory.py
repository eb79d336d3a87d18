"""The work budget and handing freed memory back (gradio_lossless.store.memory)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from gradio_lossless.components._load import load
from gradio_lossless.components._save import save
from gradio_lossless.core.conversions import values_equal
from gradio_lossless.store import memory
from gradio_lossless.store.memory import WorkBudget
from gradio_lossless.store.store import Store
from tests import exact


def test_work_waits_until_enough_of_the_budget_is_free() -> None:
    budget = WorkBudget(100)
    order: list[str] = []
    a_holds, a_may_leave = threading.Event(), threading.Event()

    def a() -> None:
        with budget.hold(80):
            order.append("a in")
            a_holds.set()
            a_may_leave.wait(10)
            order.append("a out")

    def b() -> None:
        a_holds.wait(10)
        with budget.hold(50):
            order.append("b in")

    ta, tb = threading.Thread(target=a), threading.Thread(target=b)
    ta.start()
    tb.start()
    a_holds.wait(10)
    time.sleep(0.3)  # b is waiting now: 80 + 50 > 100
    assert order == ["a in"]
    assert budget.in_use == 80
    a_may_leave.set()
    ta.join(10)
    tb.join(10)
    assert order == ["a in", "a out", "b in"]
    assert budget.waits == 1
    assert budget.peak == 80
    assert budget.in_use == 0


def test_work_that_fits_beside_other_work_does_not_wait() -> None:
    budget = WorkBudget(100)
    with budget.hold(60):
        done = threading.Event()

        def small() -> None:
            with budget.hold(40):
                done.set()

        threading.Thread(target=small).start()
        assert done.wait(5)
    assert budget.waits == 0
    assert budget.peak == 100


def test_work_larger_than_the_budget_runs_alone() -> None:
    budget = WorkBudget(100)
    inside = threading.Event()
    with budget.hold(10**9):
        assert budget.in_use == 100  # counts as the whole budget

        def other() -> None:
            with budget.hold(1):
                inside.set()

        t = threading.Thread(target=other)
        t.start()
        assert not inside.wait(0.3)
    assert inside.wait(5)
    t.join(5)
    assert budget.in_use == 0


def test_nested_work_in_one_thread_does_not_deadlock() -> None:
    budget = WorkBudget(100)
    with budget.hold(80), budget.hold(80):
        assert budget.in_use == 160
    assert budget.in_use == 0


def test_a_zero_budget_never_waits() -> None:
    budget = WorkBudget(0)
    other_ran = threading.Event()

    def other() -> None:  # another thread: nesting does not spare it a wait
        with budget.hold(10**9):
            other_ran.set()

    with budget.hold(10**9):
        assert budget.in_use == 0
        threading.Thread(target=other).start()
        assert other_ran.wait(5)
    assert budget.waits == 0


def test_concurrent_saves_and_loads_stay_within_the_budget_and_exact(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight threads save and load 1920×1080 values (6 to 25 MB of work each) under a
    64 MiB budget: the work in flight never goes over it, and every value is exact."""
    budget = WorkBudget(64 << 20)
    monkeypatch.setattr(memory, "_BUDGET", budget)
    store = Store(tmp_path, keys=exact.KEYS, memory_bytes=0)  # every load decodes
    rng = np.random.default_rng(7)
    values = [
        rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8),
        rng.integers(0, 65536, (1080, 1920, 3), dtype=np.uint16),
        rng.random((1080, 1920, 3), dtype=np.float32),
        rng.integers(0, 256, (1080, 1920, 4), dtype=np.uint8),
    ] * 2

    def hop(value: np.ndarray) -> bool:
        path = save(value, store, format="png")
        return values_equal(load(path, store).value, value)

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(hop, values))
    assert 0 < budget.peak <= 64 << 20
    assert budget.waits > 0  # 8 × at least 12 MB did not fit at once
    assert budget.in_use == 0


def test_trimming_hands_freed_heap_memory_back() -> None:
    """Freed blocks in the middle of glibc's heap stay in RSS until malloc_trim; after
    ``release_freed_memory`` the background thread trims and RSS falls. Run in a
    fresh interpreter so the figures are its own."""
    script = textwrap.dedent(
        """
        import ctypes, os, time
        from gradio_lossless.store import memory

        def rss_mb():
            with open(f"/proc/{os.getpid()}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024

        # 100 KB blocks stay under glibc's mmap threshold, so they live in the heap
        blocks = [bytes(100_000) for _ in range(3000)]
        kept = blocks[::50]  # pins the heap so its top cannot shrink on its own
        del blocks
        before = rss_mb()
        memory.release_freed_memory()
        deadline = time.monotonic() + 10
        while memory._TRIMMER.trims == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        print(before, rss_mb(), memory._TRIMMER.trims, len(kept))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    before, after, trims = float(out[0]), float(out[1]), int(out[2])
    assert trims == 1
    assert before > 150, before  # the freed blocks were still counted in RSS
    assert after < before / 4, (before, after)  # ~200 MB handed back


_ARENAS = textwrap.dedent(
    """
    import ctypes, sys, threading
    import gradio_lossless as gl
    from gradio_lossless.store import memory

    if sys.argv[1] == "image":
        gl.Image()
    elif sys.argv[1] == "tune":  # what gl.Image() calls, without importing Gradio
        memory.tune_allocator()
    barrier = threading.Barrier(24)

    def work():
        blocks = [bytes(200_000) for _ in range(20)]
        barrier.wait()  # all 24 threads alive, each with its own allocations

    threads = [threading.Thread(target=work) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(memory.tune_allocator(), flush=True)
    ctypes.CDLL(None).malloc_stats()  # one "Arena N:" block per arena, on stderr
    """
)


def _arenas(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", _ARENAS, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    arenas = sum(line.startswith("Arena ") for line in done.stderr.splitlines())
    return arenas, done.stdout.strip()


def test_making_a_component_caps_malloc_arenas_at_the_cpu_count() -> None:
    cap = max(2, len(os.sched_getaffinity(0)))
    tuned, second_call = _arenas("image")
    assert tuned <= cap
    assert second_call == "None"  # once per process
    untuned, _ = _arenas("none")
    assert untuned > cap  # glibc's own limit is 8 per CPU
    # the settings, through the call a component makes (one Gradio import is
    # enough: each costs seconds)
    respected, _ = _arenas("tune", env={"MALLOC_ARENA_MAX": "3"})
    assert respected == 3  # the user's setting wins
    off, _ = _arenas("tune", env={"GRADIO_LOSSLESS_TUNE_MALLOC": "0"})
    assert off > cap


def test_trimming_can_be_turned_off() -> None:
    script = (
        "from gradio_lossless.store import memory; memory.release_freed_memory(); "
        "print(memory._TRIMMER._trim is None)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"GRADIO_LOSSLESS_TUNE_MALLOC": "0", "PATH": "/usr/bin:/bin"},
    ).stdout
    assert out.strip() == "True"


def test_a_plain_upload_holds_the_budget_for_its_decoded_size(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 16-bit grey PNG of a few kB decodes to 2 bytes a pixel: the decode holds the
    file's bytes plus twice that, read from its header, not a guess of 4 bytes."""
    import PIL.Image

    budget = WorkBudget(1 << 30)
    monkeypatch.setattr(memory, "_BUDGET", budget)
    path = tmp_path / "upload.png"
    PIL.Image.new("I;16", (1500, 1000)).save(path)
    store = Store(tmp_path / "store", keys=exact.KEYS)
    loaded = load(str(path), store)
    assert not loaded.exact and loaded.value.mode == "I;16"
    assert budget.peak == path.stat().st_size + 2 * 1500 * 1000 * 2


def test_an_editor_upload_holds_the_budget_for_stocks_decode_too(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ImageEditor layer that is an upload is read as stock reads it (decode,
    mode conversion, array): that work holds three times its decoded size, more
    than our own check of the file (its bytes plus twice its pixels) does."""
    import PIL.Image
    from gradio.components.image_editor import EditorData
    from gradio.data_classes import FileData

    import gradio_lossless as gl

    budget = WorkBudget(1 << 30)
    monkeypatch.setattr(memory, "_BUDGET", budget)
    path = tmp_path / "layer.png"
    PIL.Image.new("RGBA", (1500, 1000)).save(path)
    value = gl.ImageEditor(type="numpy").preprocess(
        EditorData(background=None, layers=[FileData(path=str(path))], composite=None)
    )
    assert value is not None and value["layers"][0].shape == (1000, 1500, 4)
    assert budget.peak == 3 * 1500 * 1000 * 4
    assert budget.in_use == 0
