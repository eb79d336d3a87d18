"""How much memory image work may take beyond the cache.

Two things keep a busy server's RSS bounded, next to the byte-limited memory cache
(``store.py``):

* ``WorkBudget``: a byte budget for the buffers of decoding and encoding that are in
  flight at once (file bytes, decoded pixels, encoded bytes). A request whose work
  would go over it waits until enough work has finished; one piece of work larger
  than the whole budget runs alone. ``GRADIO_LOSSLESS_WORK_BYTES`` sets it (default
  256 MiB; 0 turns it off).
* Keeping glibc's allocator from hoarding freed image buffers. glibc keeps freed
  image-sized buffers inside its arenas (up to 8 per CPU), where they fragment:
  under 16 concurrent users RSS grew ~1 GB past the cache and kept growing. So,
  once per process (``tune_allocator``, called when a component is made), arenas
  are capped at the number of CPUs, and after large work a background thread calls
  ``malloc_trim(0)``, at most once per ``TRIM_INTERVAL`` seconds, which hands freed
  pages back to the OS. Measured in the soak (16 users, 60 s, 256 MiB cache): peak
  RSS 1,037 MB with the trim alone, 768 MB with the arena cap too, same throughput.
  ``GRADIO_LOSSLESS_TUNE_MALLOC=0`` turns both off; ``MALLOC_ARENA_MAX`` set by you
  wins; nothing happens where the C library is not glibc (musl, macOS, Windows).
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from gradio_lossless.core.settings import env_bytes, env_flag

__all__ = [
    "DEFAULT_WORK_BYTES",
    "TRIM_AFTER_BYTES",
    "TRIM_INTERVAL",
    "WorkBudget",
    "release_freed_memory",
    "tune_allocator",
    "work_budget",
]

DEFAULT_WORK_BYTES = 256 << 20  # 256 MiB; GRADIO_LOSSLESS_WORK_BYTES overrides
TRIM_AFTER_BYTES = 8 << 20  # work of this size or more asks for a trim
TRIM_INTERVAL = 1.0  # seconds between two trims, at least


class WorkBudget:
    """A byte-weighted semaphore for image work in flight.

    Parameters:
        limit: bytes of work allowed at once (0: no limit).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._cond = threading.Condition()
        self._in_use = 0
        self._local = threading.local()
        self.peak = 0
        self.waits = 0

    @property
    def in_use(self) -> int:
        """Bytes of work held right now."""
        return self._in_use

    @contextmanager
    def hold(self, nbytes: int) -> Iterator[None]:
        """Hold ``nbytes`` of the budget for the block, waiting for room first.

        A thread that already holds part of the budget does not wait again (so
        nested work cannot deadlock); work larger than the budget counts as the
        whole budget, so it runs alone.
        """
        weight = max(0, min(int(nbytes), self.limit))
        nested = getattr(self._local, "depth", 0)

        def fits() -> bool:
            return not self._in_use or self._in_use + weight <= self.limit

        with self._cond:
            if nested == 0 and not fits():
                self.waits += 1
                self._cond.wait_for(fits)
            self._in_use += weight
            self.peak = max(self.peak, self._in_use)
        self._local.depth = nested + 1
        try:
            yield
        finally:
            self._local.depth = nested
            with self._cond:
                self._in_use -= weight
                self._cond.notify_all()
            if nbytes >= TRIM_AFTER_BYTES:
                release_freed_memory()


_BUDGET: WorkBudget | None = None
_BUDGET_LOCK = threading.Lock()


def work_budget() -> WorkBudget:
    """The process-wide budget, sized by ``GRADIO_LOSSLESS_WORK_BYTES`` on first use."""
    global _BUDGET
    with _BUDGET_LOCK:
        if _BUDGET is None:
            _BUDGET = WorkBudget(
                env_bytes("GRADIO_LOSSLESS_WORK_BYTES", DEFAULT_WORK_BYTES)
            )
        return _BUDGET


_M_ARENA_MAX = -8  # glibc's mallopt parameter number


def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc and tuning is not turned off, else None."""
    if not env_flag("GRADIO_LOSSLESS_TUNE_MALLOC", True):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):  # musl, macOS, Windows
        return None
    return libc


_TUNED = False
_TUNED_LOCK = threading.Lock()


def tune_allocator() -> int | None:
    """Cap glibc's malloc arenas at the number of CPUs this process may use (glibc
    allows 8 per CPU), once per process, unless ``MALLOC_ARENA_MAX`` or
    ``GLIBC_TUNABLES`` already chose, or ``GRADIO_LOSSLESS_TUNE_MALLOC=0``.

    Returns:
        the cap set, or None when nothing was changed.
    """
    global _TUNED
    with _TUNED_LOCK:
        if _TUNED:
            return None
        _TUNED = True
    if "MALLOC_ARENA_MAX" in os.environ or "arena_max" in os.environ.get(
        "GLIBC_TUNABLES", ""
    ):
        return None
    libc = _glibc()
    if libc is None:
        return None
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    cap = max(2, cpus)
    return cap if libc.mallopt(_M_ARENA_MAX, cap) == 1 else None


class _Trimmer:
    """One daemon thread that trims when asked, at most once per TRIM_INTERVAL."""

    def __init__(self) -> None:
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._started = False
        self._trim: Callable[[int], int] | None = None
        self.trims = 0

    def request(self) -> None:
        with self._lock:
            if not self._started:
                self._started = True
                libc = _glibc()
                self._trim = None if libc is None else libc.malloc_trim
                if self._trim is not None:
                    threading.Thread(
                        target=self._loop, name="gradio-lossless-trim", daemon=True
                    ).start()
        if self._trim is not None:
            self._wanted.set()

    def _loop(self) -> None:
        trim = self._trim
        assert trim is not None  # noqa: S101 - started only with one
        while True:
            self._wanted.wait()
            self._wanted.clear()
            trim(0)
            self.trims += 1
            time.sleep(TRIM_INTERVAL)


_TRIMMER = _Trimmer()


def release_freed_memory() -> None:
    """Ask the background thread to hand freed memory back to the OS (glibc's
    ``malloc_trim``); returns at once."""
    _TRIMMER.request()
