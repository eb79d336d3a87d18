"""The on-disk budget of the store: a byte limit with least-recently-used eviction.

Each value owns one folder ``<root>/<address>/``; the folder is the unit of
accounting and of eviction. Sizes and last use are kept in memory, seeded by a scan
of the folder on first use and re-scanned every ``RESCAN_SECONDS`` (other processes
may write to the same folder). Last use survives restarts as the files' mtime.

Gradio's ``delete_cache`` deletes the served ``image.<ext>`` files it tracks; a value
folder left without its served file is an orphan and is removed here with whatever
else it holds (``exact.png``, a second name of the served file; a TIFF;
renditions), once it is older than
``ORPHAN_GRACE_SECONDS`` (so a folder being written is never mistaken for one).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

from gradio_lossless.core.keys import is_address
from gradio_lossless.core.settings import env_bytes

__all__ = ["DEFAULT_DISK_BYTES", "DiskBudget", "disk_limit"]

DEFAULT_DISK_BYTES = 20 << 30  # 20 GiB; GRADIO_LOSSLESS_DISK_BYTES overrides
RESCAN_SECONDS = 30.0
ORPHAN_GRACE_SECONDS = 60.0
_LOW_WATER = 0.9  # evict down to 90 % of the limit, so eviction is not per write


def disk_limit() -> int:
    """The disk byte limit from ``GRADIO_LOSSLESS_DISK_BYTES`` (default 20 GiB)."""
    return env_bytes("GRADIO_LOSSLESS_DISK_BYTES", DEFAULT_DISK_BYTES)


class DiskBudget:
    """Byte accounting and LRU eviction of value folders under ``root``.

    Parameters:
        root: the store's folder.
        limit: the byte limit (files of all value folders together).
        orphans: remove value folders without a served ``image.*`` file (the local
            store, where Gradio's ``delete_cache`` deletes served files); False for
            a shared folder, which holds exact files only.
    """

    def __init__(self, root: Path, limit: int, *, orphans: bool = True) -> None:
        self.root = root
        self.limit = limit
        self.orphans = orphans
        self._lock = threading.Lock()
        self._folders: dict[str, list[float]] = {}  # fp -> [bytes, last use]
        self._writing: dict[str, int] = {}  # fp -> bytes reserved, write under way
        self._total = 0.0
        self._scanned_at = -1e18
        self.evicted = 0

    @property
    def total_bytes(self) -> int:
        """Bytes of value folders as last counted."""
        return int(self._total)

    def _scan(self) -> None:
        folders: dict[str, list[float]] = {}
        now = time.time()
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            entries = []
        for entry in entries:
            if not (entry.is_dir(follow_symlinks=False) and is_address(entry.name)):
                continue
            size, newest, served = 0, 0.0, False
            inodes: set[int] = set()
            try:
                for f in os.scandir(entry.path):
                    st = f.stat(follow_symlinks=False)
                    if (
                        f.name.startswith(".")
                        and now - st.st_mtime > ORPHAN_GRACE_SECONDS
                    ):
                        # a temporary file a killed writer left: never served
                        Path(f.path).unlink(missing_ok=True)
                        continue
                    served = served or f.name.startswith("image.")
                    if st.st_nlink > 1 and st.st_ino in inodes:
                        continue  # a second name of a file counted already
                    inodes.add(st.st_ino)
                    size += st.st_size
                    newest = max(newest, st.st_mtime)
            except OSError:
                continue
            if self.orphans and not served and now - newest > ORPHAN_GRACE_SECONDS:
                self._remove(entry.name)
                continue
            folders[entry.name] = [float(size), newest]
        for fp, nbytes in self._writing.items():  # partly on disk: count them whole
            folders.setdefault(fp, [0.0, now])[0] += nbytes
        self._folders = folders
        self._total = sum(v[0] for v in folders.values())
        self._scanned_at = time.monotonic()

    def _remove(self, address: str) -> None:
        shutil.rmtree(self.root / address, ignore_errors=True)

    def reserve(self, address: str, nbytes: int) -> None:
        """Account for ``nbytes`` about to be written into a value's folder, first
        evicting the least recently used folders (never this one) so that the total
        with them stays within the limit while the write runs."""
        with self._lock:
            if time.monotonic() - self._scanned_at > RESCAN_SECONDS:
                self._scan()
            if self._total + nbytes > self.limit:
                self._evict(keep=address, room=nbytes)
            entry = self._folders.setdefault(address, [0.0, 0.0])
            entry[0] += nbytes
            entry[1] = time.time()
            self._total += nbytes
            self._writing[address] = self._writing.get(address, 0) + nbytes

    def _done_writing(self, address: str, nbytes: int) -> None:
        left = self._writing.get(address, 0) - nbytes
        if left > 0:
            self._writing[address] = left
        else:
            self._writing.pop(address, None)

    def written(self, address: str, nbytes: int) -> None:
        """A reserved write finished: its bytes stay counted in the folder."""
        with self._lock:
            self._done_writing(address, nbytes)

    def release(self, address: str, nbytes: int) -> None:
        """Give back a reservation whose write failed."""
        with self._lock:
            self._done_writing(address, nbytes)
            entry = self._folders.get(address)
            if entry is not None:
                entry[0] = max(0.0, entry[0] - nbytes)
                self._total = max(0.0, self._total - nbytes)

    def touched(self, address: str) -> None:
        """Mark a value as used now (in memory; the files' mtime on eviction scans)."""
        with self._lock:
            entry = self._folders.get(address)
            if entry is not None:
                entry[1] = time.time()

    def _evict(self, keep: str, room: int) -> None:
        target = self.limit * _LOW_WATER - room
        for fp, _ in sorted(self._folders.items(), key=lambda kv: kv[1][1]):
            if self._total <= target:
                break
            if fp == keep or fp in self._writing:  # never under a write
                continue
            self._remove(fp)
            self._total -= self._folders.pop(fp)[0]
            self.evicted += 1
