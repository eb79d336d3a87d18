"""fpng in worker processes, so that several exact PNGs encode at once.

The fpng binding holds the GIL for its whole encode (~40-80 ms for a 3840x2160
frame), so threads cannot run two encodes at once: a gallery of new images was
encoded one at a time whatever the number of cores. Here each encode goes to one of
a few long-lived worker processes (started on first use or by ``start``), each
running the same fpng on the same pixels, so the bytes are the same as an encode in
this process.

How a request travels: each worker has a shared-memory file (a ``memfd``). The
pixels are written into it in one system call, a 20-byte request goes down the
worker's stdin, the worker maps the pixels (no copy), encodes them, writes the PNG
after them in the same file and answers its length on stdout; the PNG is read back
in one system call and the file emptied, so no memory stays held between requests.
The calling thread waits and copies with the GIL released, so this process's other
threads (hashing, writing files, serving) run meanwhile. (A first version sent the
PNG back through the pipe: under heavy load every 64 KiB pipe-full waited for the
scheduler, and it was slower than encoding in this process.)

Workers are started with ``python -c`` and import only numpy and fpng (never the
app's ``__main__``, which ``multiprocessing``'s spawn would run again). A worker that
dies is replaced; the request it held is encoded in this process instead.

Off unless ``GRADIO_LOSSLESS_PNG_WORKERS`` is set to a number of workers (1 to
``MAX_WORKERS``; unavailable on Windows, which has no ``pass_fds``). Measured on the
project's 2-core VM shared with other jobs (CPU pressure 85-95 %, load 10-28), a
worker costs more CPU than it frees: the copies to and from it add ~15-25 % to
each encode, and with no idle core to run on, two workers encoded 4 frames in
2× the time of one thread (issue 14). They can only pay where cores are idle.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from gradio_lossless.codecs._png_worker import REPLY, REQUEST
from gradio_lossless.core.settings import env_bytes

Hold = Callable[[int], contextlib.AbstractContextManager[object]]
"""Holds a byte count against a work budget for a block (``WorkBudget.hold``)."""

__all__ = [
    "MAX_WORKERS",
    "Hold",
    "WorkerError",
    "WorkerPool",
    "enabled",
    "encode",
    "pool",
    "start",
]

MAX_WORKERS = 8
# Runs _png_worker.py as a script, without the current folder or this package on
# sys.path: a worker imports numpy and fpng only.
_WORKER_CODE = (
    "import runpy, sys; del sys.path[0]; "
    "runpy.run_path(sys.argv[1], run_name='__main__')"
)
_WORKER_FILE = str(Path(__file__).with_name("_png_worker.py"))


def _shared_file() -> int:
    """A file descriptor of anonymous shared memory (a memfd, else an unlinked
    temporary file, in /dev/shm where there is one)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("gradio-lossless-png", os.MFD_CLOEXEC)
    folder = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryFile(dir=folder) as f:
        return os.dup(f.fileno())


def _write_at(fd: int, data: memoryview, offset: int) -> None:
    done = 0
    while done < len(data):
        done += os.pwrite(fd, data[done:], offset + done)


def _read_at(fd: int, length: int, offset: int) -> bytes:
    data = os.pread(fd, length, offset)
    while len(data) < length:  # a short read: the rest, once more
        more = os.pread(fd, length - len(data), offset + len(data))
        if not more:
            raise WorkerError("PNG worker's reply is shorter than it said")
        data += more
    return data


class WorkerError(RuntimeError):
    """A worker process failed (died, or answered out of protocol)."""


class _Worker:
    """One worker process and the shared memory it reads pixels from."""

    def __init__(self) -> None:
        self._fd = _shared_file()
        os.set_inheritable(self._fd, True)
        path = os.pathsep.join(p for p in sys.path if p)
        env = {**os.environ, "PYTHONPATH": path}
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER_CODE, _WORKER_FILE, str(self._fd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=(self._fd,),
            env=env,
        )
        self._stdin: IO[bytes] = self._proc.stdin  # type: ignore[assignment]
        self._stdout: IO[bytes] = self._proc.stdout  # type: ignore[assignment]

    def alive(self) -> bool:
        return self._proc.poll() is None

    def encode(self, arr: npt.NDArray[np.uint8]) -> bytes:
        height, width, channels = arr.shape
        size = arr.nbytes
        try:
            # whole-buffer system calls: the GIL is released while the kernel
            # copies, and the worker is woken twice per image, not per pipe-full
            _write_at(self._fd, memoryview(arr.data).cast("B"), 0)
            self._stdin.write(REQUEST.pack(height, width, channels, size))
            self._stdin.flush()
            head = self._stdout.read(REPLY.size)
            if len(head) != REPLY.size:
                raise WorkerError("PNG worker exited")
            (length,) = REPLY.unpack(head)
            if length == 0:
                raise WorkerError("PNG worker could not encode the image")
            return _read_at(self._fd, length, size)
        except (BrokenPipeError, ValueError, OSError) as exc:
            raise WorkerError(f"PNG worker failed: {exc}") from exc
        finally:
            os.ftruncate(self._fd, 0)  # hand the pages back now

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._stdin.close()  # the worker exits at end of input
        try:
            self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        with contextlib.suppress(OSError):
            self._stdout.close()
        with contextlib.suppress(OSError):
            os.close(self._fd)


class WorkerPool:
    """Up to ``size`` worker processes, each encoding one image at a time.

    Parameters:
        size: the most workers alive at once (at least 1).
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._count = 0
        self._closed = False
        self.encoded = 0
        self.failures = 0
        self.hold: Hold = lambda nbytes: contextlib.nullcontext()

    def start(self) -> None:
        """Start every worker now (their interpreters start in the background)."""
        with self._cond:
            while not self._closed and self._count < self.size:
                self._idle.append(_Worker())
                self._count += 1
            self._cond.notify_all()

    @contextlib.contextmanager
    def _worker(self) -> Iterator[_Worker]:
        with self._cond:
            while not self._idle and self._count >= self.size and not self._closed:
                self._cond.wait()
            if self._closed:
                raise WorkerError("the PNG worker pool is closed")
            worker = self._idle.pop() if self._idle else None
            if worker is None:
                self._count += 1
        if worker is not None and not worker.alive():
            worker.close()  # died while idle: start its replacement
            worker = None
        if worker is None:
            try:
                worker = _Worker()
            except BaseException:
                with self._cond:
                    self._count -= 1
                    self._cond.notify()
                raise
        healthy = False
        try:
            yield worker
            healthy = True
        finally:
            if not healthy or not worker.alive():
                worker.close()
            with self._cond:
                if healthy and worker.alive() and not self._closed:
                    self._idle.append(worker)
                else:
                    self._count -= 1
                self._cond.notify()

    def encode(self, arr: npt.NDArray[np.uint8]) -> bytes:
        """fpng's PNG of a C-contiguous uint8 H×W×3 or H×W×4 array, encoded by a
        worker.

        Raises:
            WorkerError: the worker failed (it is replaced on the next request).
        """
        try:
            # the copy in shared memory is this request's own, beside what its
            # caller holds for the encode (fpng's buffers are the worker's now)
            with self.hold(arr.nbytes), self._worker() as worker:
                png = worker.encode(arr)
        except (WorkerError, OSError) as exc:
            with self._cond:
                self.failures += 1
            raise WorkerError(str(exc)) from exc
        with self._cond:
            self.encoded += 1
        return png

    def close(self) -> None:
        """Stop every idle worker; busy ones stop when their request ends."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._cond.notify_all()
        for worker in idle:
            worker.close()


_POOL: WorkerPool | None = None
_POOL_PID = 0
_POOL_LOCK = threading.Lock()


def _size() -> int:
    return max(0, min(MAX_WORKERS, env_bytes("GRADIO_LOSSLESS_PNG_WORKERS", 0)))


def enabled() -> bool:
    """True when encodes go to worker processes: POSIX, and
    ``GRADIO_LOSSLESS_PNG_WORKERS`` set to 1 or more."""
    return os.name == "posix" and _size() > 0


def pool() -> WorkerPool | None:
    """This process's pool (a new one after a fork), or None when disabled."""
    global _POOL, _POOL_PID
    if not enabled():
        return None
    with _POOL_LOCK:
        if _POOL is None or os.getpid() != _POOL_PID:
            _POOL, _POOL_PID = WorkerPool(_size()), os.getpid()
            atexit.register(_POOL.close)
        return _POOL


def start(hold: Hold | None = None) -> None:
    """Start the workers now, so that the first encodes do not wait for them.

    Parameters:
        hold: counts the bytes of each request's pixel copy in shared memory
            against a work budget (``store.memory.WorkBudget.hold``) while it is in
            flight.
    """
    workers = pool()
    if workers is not None:
        if hold is not None:
            workers.hold = hold
        workers.start()


def encode(arr: npt.NDArray[np.uint8]) -> bytes | None:
    """fpng's PNG of ``arr`` from a worker, or None when workers are off or one
    failed (the caller then encodes in this process)."""
    workers = pool()
    if workers is None:
        return None
    try:
        return workers.encode(np.ascontiguousarray(arr))
    except WorkerError:
        return None
