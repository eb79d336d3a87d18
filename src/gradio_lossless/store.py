"""Content-addressed store of exact values: a byte-bounded memory LRU over files.

The files are the truth: every served file (or its ``exact.png`` sibling when the
served format is lossy) carries the exact value, so a restarted server, a second
process or an API client that re-uploads a file gets the exact value back. The
memory side only saves decoding time.

Disk layout under ``<gradio cache>/lossless/``::

    <fingerprint>/image.<ext>     the file the browser is served
    <fingerprint>/exact.png       the exact PNG, when image.<ext> is lossy
    by-file/<xxh3 of file bytes>  the fingerprint a served file's bytes stand for

Files are written to a temporary name and renamed into place, so a crash never
leaves a partial file under a final name. The value folders are kept under a byte
limit with least-recently-used eviction (``disk.py``); with a lossy served format the
exact values can also go to a backend replicas share (``shared.py``).

Settings (environment): ``GRADIO_LOSSLESS_MEMORY_BYTES`` (default 1 GiB),
``GRADIO_LOSSLESS_DISK_BYTES`` (default 20 GiB), ``GRADIO_LOSSLESS_STORE`` (a shared
folder or ``redis://`` URL; default none).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import xxhash

from gradio_lossless import conversions
from gradio_lossless._types import ImageValue
from gradio_lossless.disk import DiskBudget, disk_limit
from gradio_lossless.errors import StoreWriteError
from gradio_lossless.settings import env_bytes
from gradio_lossless.shared import SharedBackend, from_setting

__all__ = ["DEFAULT_MEMORY_BYTES", "Store", "file_digest", "get_store", "memory_held"]

DEFAULT_MEMORY_BYTES = 1 << 30  # 1 GiB; GRADIO_LOSSLESS_MEMORY_BYTES overrides
_PATH_INDEX_LIMIT = 100_000


def file_digest(data: bytes) -> str:
    """xxh3-128 of a file's bytes (32 hex digits)."""
    return xxhash.xxh3_128_hexdigest(data)


def _stamp(path: str | Path) -> str | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{st.st_size}-{st.st_mtime_ns}-{st.st_ino}"


def _memory_limit() -> int:
    return env_bytes("GRADIO_LOSSLESS_MEMORY_BYTES", DEFAULT_MEMORY_BYTES)


class Store:
    """Exact values by fingerprint, in memory (LRU, byte-bounded) and on disk.

    Parameters:
        root: folder for the files (created on first write).
        memory_bytes: byte limit of the in-memory cache (0 disables it).
        disk_bytes: byte limit of the value folders on disk.
        shared: a backend replicas share, for exact values behind lossy files.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        memory_bytes: int | None = None,
        disk_bytes: int | None = None,
        shared: SharedBackend | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.memory_bytes = _memory_limit() if memory_bytes is None else memory_bytes
        self.disk = DiskBudget(
            self.root, disk_limit() if disk_bytes is None else disk_bytes
        )
        self.shared = shared
        self._lock = threading.Lock()
        self._values: OrderedDict[str, tuple[ImageValue, int, bool]] = OrderedDict()
        self._held = 0
        self._by_path: OrderedDict[str, str] = OrderedDict()
        self._by_file: OrderedDict[str, str] = OrderedDict()

    # -- memory ------------------------------------------------------------------

    def remember(
        self, fingerprint: str, value: ImageValue, *, shared: bool = False
    ) -> None:
        """Keep ``value`` in memory.

        Parameters:
            fingerprint: the value's fingerprint.
            value: the value; never mutated by us.
            shared: True when someone else (a user function that returned it) still
                holds a reference and may mutate it: ``recall`` then re-checks the
                fingerprint (xxh3, ~1 ms per 24 MB) instead of us copying it up front.
        """
        size = conversions.nbytes(value)
        if size > self.memory_bytes:
            return
        with self._lock:
            old = self._values.pop(fingerprint, None)
            if old is not None:
                self._held -= old[1]
            self._values[fingerprint] = (value, size, shared)
            self._held += size
            while self._held > self.memory_bytes and self._values:
                _, (_, dropped, _) = self._values.popitem(last=False)
                self._held -= dropped

    def recall(self, fingerprint: str) -> ImageValue | None:
        """The value held in memory for a fingerprint (shared: copy before handing
        it to user code), or None."""
        with self._lock:
            hit = self._values.get(fingerprint)
            if hit is None:
                return None
            self._values.move_to_end(fingerprint)
        value, _, shared = hit
        if shared and conversions.fingerprint(value) != fingerprint:
            with self._lock:  # its owner changed it after returning it
                if self._values.get(fingerprint) is hit:
                    del self._values[fingerprint]
                    self._held -= hit[1]
            return None
        return value

    def forget(self) -> None:
        """Drop everything held in memory (what a restart does); files stay."""
        with self._lock:
            self._values.clear()
            self._by_path.clear()
            self._by_file.clear()
            self._held = 0

    @property
    def held_bytes(self) -> int:
        """Bytes of values currently held in memory."""
        return self._held

    def _index(self, table: OrderedDict[str, str], key: str, fingerprint: str) -> None:
        with self._lock:
            table[key] = fingerprint
            table.move_to_end(key)
            while len(table) > _PATH_INDEX_LIMIT:
                table.popitem(last=False)

    def note_path(self, path: str | Path, fingerprint: str) -> None:
        """Record that the file at ``path`` holds the value ``fingerprint``, with
        the file's size and mtime, so a file later rewritten in place is not
        mistaken for the value it used to hold."""
        stamp = _stamp(path)
        if stamp is not None:
            self._index(self._by_path, str(path), f"{fingerprint}:{stamp}")

    def fingerprint_of_path(self, path: str | Path) -> str | None:
        """The fingerprint recorded for a file path, if the file is unchanged."""
        with self._lock:
            hit = self._by_path.get(str(path))
        if hit is None:
            return None
        fingerprint, _, stamp = hit.partition(":")
        return fingerprint if _stamp(path) == stamp else None

    # -- disk --------------------------------------------------------------------

    def folder(self, fingerprint: str) -> Path:
        """The folder of a value's files."""
        return self.root / fingerprint

    def owns(self, path: str | Path) -> str | None:
        """The fingerprint when ``path`` is one of this store's value files."""
        p = Path(path)
        try:
            rel = p.resolve().relative_to(self.root)
        except (ValueError, OSError):
            return None
        parts = rel.parts
        if len(parts) == 2 and len(parts[0]) == 32 and parts[0] != "by-file":
            return parts[0]
        return None

    def write(self, path: Path, data: bytes) -> None:
        """Write ``data`` at ``path`` atomically (temporary name, then rename), with
        room made for it in the disk budget first.

        Raises:
            StoreWriteError: the folder is full, read-only or otherwise unwritable.
        """
        fp = self.owns(path)
        if fp is not None:
            self.disk.reserve(fp, len(data))
        try:
            self._write(path, data)
        except BaseException:
            if fp is not None:
                self.disk.release(fp, len(data))
            raise
        if fp is not None:
            self.disk.written(fp, len(data))

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        except OSError as exc:
            raise StoreWriteError(
                f"cannot write {path.name!r} to the cache folder: {exc.strerror}"
            ) from exc
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StoreWriteError(
                f"cannot write {path.name!r} to the cache folder: {exc.strerror}"
            ) from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def touch(self, fingerprint: str) -> None:
        """Mark a value as just used (for least-recently-used eviction)."""
        self.disk.touched(fingerprint)

    def note_file(self, digest: str, fingerprint: str, *, persist: bool) -> None:
        """Record that a file whose bytes hash to ``digest`` stands for
        ``fingerprint`` (on disk and in the shared backend too when ``persist``:
        lossy served files, whose bytes do not carry the value)."""
        self._index(self._by_file, digest, fingerprint)
        if persist:
            self.write(self.root / "by-file" / digest, fingerprint.encode("ascii"))
            if self.shared is not None:
                self.shared.put(f"file/{digest}", fingerprint.encode("ascii"))

    def fingerprint_of_file(self, digest: str) -> str | None:
        """The fingerprint a file's bytes stand for: memory, disk index, shared."""
        with self._lock:
            hit = self._by_file.get(digest)
        if hit is not None:
            return hit
        try:
            text = (self.root / "by-file" / digest).read_text("ascii").strip()
        except (OSError, UnicodeDecodeError):
            raw = self.shared.get(f"file/{digest}") if self.shared is not None else None
            text = raw.decode("ascii", "replace").strip() if raw else ""
        return text if len(text) == 32 and text.isalnum() else None

    def share_exact(self, fingerprint: str, data: bytes) -> None:
        """Put an exact PNG in the shared backend (no-op without one)."""
        if self.shared is not None:
            self.shared.put(f"exact/{fingerprint}", data)

    def shared_exact(self, fingerprint: str) -> bytes | None:
        """An exact PNG from the shared backend, or None."""
        return (
            self.shared.get(f"exact/{fingerprint}") if self.shared is not None else None
        )


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def get_store(cache_dir: str | Path) -> Store:
    """The process-wide store for a Gradio cache folder (``<cache_dir>/lossless``)."""
    root = str(Path(cache_dir).resolve() / "lossless")
    with _STORES_LOCK:
        store = _STORES.get(root)
        if store is None:
            shared = from_setting(os.environ.get("GRADIO_LOSSLESS_STORE"))
            store = _STORES[root] = Store(root, shared=shared)
        return store


def memory_held() -> int:
    """Bytes of values held in memory by all of this process's stores together."""
    with _STORES_LOCK:
        stores = list(_STORES.values())
    return sum(store.held_bytes for store in stores)
