"""Content-addressed store of exact values: a byte-bounded memory LRU over files.

The files are the truth: every served file carries the exact value, authenticated
under the server secret, so a restarted server, a second process sharing the secret
or an API client that re-uploads a file gets the exact value back. The memory side
only saves decoding time.

Disk layout under ``<gradio cache>/lossless/``::

    <address>/image.<ext>     the served file: the exact PNG, named as the
                              component's ``format`` names it (stock's names)
    <address>/exact.png       a second name (hard link) of that PNG, when the
                              served name is not ``image.png``
    <address>/rendition*.*    display renditions (``serving/``), made on first use

An address is the keyed BLAKE3 of the value (``keys.py``): nobody without the
secret can compute, guess or collide one. Files are written to a temporary name and
renamed into place, so a crash never leaves a partial file under a final name. The
value folders are kept under a byte limit with least-recently-used eviction
(``disk.py``); with a served name other than ``image.png`` the exact values also go to
a backend replicas share, when one is set (``shared.py``).

Settings (environment): ``GRADIO_LOSSLESS_MEMORY_BYTES`` (default 1 GiB),
``GRADIO_LOSSLESS_DISK_BYTES`` (default 20 GiB), ``GRADIO_LOSSLESS_STORE`` (a shared
folder or ``redis://`` URL; default none), ``GRADIO_LOSSLESS_SECRET`` (``secret.py``).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gradio_lossless.core import conversions
from gradio_lossless.core.errors import StoreWriteError
from gradio_lossless.core.keys import Keys, is_address
from gradio_lossless.core.settings import env_bytes
from gradio_lossless.core.types import ImageValue
from gradio_lossless.store.disk import DiskBudget, disk_limit
from gradio_lossless.store.identity import Identities
from gradio_lossless.store.secret import load_secret, refuse_inside_served
from gradio_lossless.store.shared import FolderBackend, SharedBackend, from_setting

__all__ = [
    "DEFAULT_MEMORY_BYTES",
    "EXACT_ALIAS",
    "SERVED_PREFIX",
    "Held",
    "Store",
    "get_store",
    "memory_held",
    "owner_of",
    "same_file",
]

EXACT_ALIAS = "exact.png"
"""The exact PNG's name in a value folder whose served file is named otherwise."""
SERVED_PREFIX = "image."
"""The served file of a value folder is ``image.<ext>``."""
DEFAULT_MEMORY_BYTES = 1 << 30  # 1 GiB; GRADIO_LOSSLESS_MEMORY_BYTES overrides
_PATH_INDEX_LIMIT = 100_000


@dataclass(frozen=True)
class Held:
    """A value held in memory.

    Parameters:
        value: the value (never mutated by us; copy before handing it out).
        size: bytes counted for it (pixels, metadata, palette).
        borrowed: True when it is the very object an app function returned, kept
            by reference: the app may still change it, so ``recall`` checks it.
        digest: its change digest (``Keys.change_digest``) when it was stored.
    """

    value: ImageValue
    size: int
    borrowed: bool
    digest: bytes


def _stamp(path: str | Path) -> str | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{st.st_size}-{st.st_mtime_ns}-{st.st_ino}"


def _memory_limit() -> int:
    return env_bytes("GRADIO_LOSSLESS_MEMORY_BYTES", DEFAULT_MEMORY_BYTES)


class Store:
    """Exact values by address, in memory (LRU, byte-bounded) and on disk.

    Parameters:
        root: folder for the files (created on first write).
        keys: the server's keys (addresses, MACs, change digests).
        memory_bytes: byte limit of the in-memory cache (0 disables it).
        disk_bytes: byte limit of the value folders on disk.
        shared: a backend replicas share, for exact values behind lossy files.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        keys: Keys,
        memory_bytes: int | None = None,
        disk_bytes: int | None = None,
        shared: SharedBackend | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.keys = keys
        self.identities = Identities(keys.change_digest)
        self.memory_bytes = _memory_limit() if memory_bytes is None else memory_bytes
        self.disk = DiskBudget(
            self.root, disk_limit() if disk_bytes is None else disk_bytes
        )
        self.shared = shared
        self._lock = threading.Lock()
        self._values: OrderedDict[str, Held] = OrderedDict()
        self._held = 0
        self._by_path: OrderedDict[str, str] = OrderedDict()

    # -- memory ------------------------------------------------------------------

    def remember(
        self,
        address: str,
        value: ImageValue,
        *,
        borrowed: bool = False,
        digest: bytes | None = None,
        size: int | None = None,
    ) -> Held:
        """Keep ``value`` in memory, unless memory already holds the value at
        ``address`` (then that one stays: nothing replaces a held value, except a
        private copy replacing a borrowed one).

        Parameters:
            address: the value's address.
            value: the value; never mutated by us.
            borrowed: True when the app that returned it still holds a reference
                and may change it: ``recall`` then re-checks its change digest
                instead of us copying it up front.
            digest: its change digest, if already computed.
            size: its ``conversions.nbytes``, if already computed.
        Returns:
            what memory holds for ``address`` now (or would, when it does not fit).
        """
        with self._lock:
            old = self._values.get(address)
            if old is not None and (borrowed or not old.borrowed):
                self._values.move_to_end(address)
                return old
        if digest is None:
            digest = self.keys.change_digest(value)
        held = Held(
            value, conversions.nbytes(value) if size is None else size, borrowed, digest
        )
        if held.size > self.memory_bytes:
            return held
        with self._lock:
            old = self._values.pop(address, None)
            if old is not None:
                self._held -= old.size
            # room first, then the value: the count never passes the limit, even
            # for a reader of ``held_bytes`` between two of these lines
            while self._values and self._held + held.size > self.memory_bytes:
                _, dropped = self._values.popitem(last=False)
                self._held -= dropped.size
            self._values[address] = held
            self._held += held.size
        return held

    def recall(self, address: str) -> Held | None:
        """What memory holds for an address (copy the value before handing it to
        user code), or None. A borrowed value the app changed since is dropped."""
        with self._lock:
            hit = self._values.get(address)
            if hit is None:
                return None
            self._values.move_to_end(address)
        if hit.borrowed and self.keys.change_digest(hit.value) != hit.digest:
            with self._lock:  # its owner changed it after returning it
                if self._values.get(address) is hit:
                    del self._values[address]
                    self._held -= hit.size
            return None
        return hit

    def holding(self, address: str) -> Held | None:
        """What memory holds for an address, unchecked (a presence test)."""
        with self._lock:
            return self._values.get(address)

    def forget(self) -> None:
        """Drop everything held in memory (what a restart does); files stay."""
        with self._lock:
            self._values.clear()
            self._by_path.clear()
            self._held = 0

    @property
    def held_bytes(self) -> int:
        """Bytes of values currently held in memory."""
        return self._held

    def _index(self, table: OrderedDict[str, str], key: str, address: str) -> None:
        with self._lock:
            table[key] = address
            table.move_to_end(key)
            while len(table) > _PATH_INDEX_LIMIT:
                table.popitem(last=False)

    def note_path(self, path: str | Path, address: str) -> None:
        """Record that the file at ``path`` holds the value at ``address``, with
        the file's size and mtime, so a file later rewritten in place is not
        mistaken for the value it used to hold."""
        stamp = _stamp(path)
        if stamp is not None:
            self._index(self._by_path, str(path), f"{address}:{stamp}")

    def address_of_path(self, path: str | Path) -> str | None:
        """The address recorded for a file path, if the file is unchanged."""
        with self._lock:
            hit = self._by_path.get(str(path))
        if hit is None:
            return None
        address, _, stamp = hit.partition(":")
        return address if _stamp(path) == stamp else None

    # -- disk --------------------------------------------------------------------

    def folder(self, address: str) -> Path:
        """The folder of a value's files."""
        return self.root / address

    def exact_path(self, address: str) -> Path:
        """The exact PNG of the value at ``address`` (``exact.png`` when it has one,
        else ``image.png``; it may not exist)."""
        folder = self.folder(address)
        alias = folder / EXACT_ALIAS
        return alias if alias.is_file() else folder / "image.png"

    def owns(self, path: str | Path) -> str | None:
        """The address when ``path`` is one of this store's value files."""
        p = Path(path)
        try:
            rel = p.resolve().relative_to(self.root)
        except (ValueError, OSError):
            return None
        parts = rel.parts
        if len(parts) == 2 and is_address(parts[0]):
            return parts[0]
        return None

    def write(self, path: Path, data: bytes | Sequence[bytes | memoryview]) -> None:
        """Write ``data`` (bytes, or the parts of a file) at ``path`` atomically
        (temporary name, then rename), with room made for it in the disk budget
        first.

        Raises:
            StoreWriteError: the folder is full, read-only or otherwise unwritable.
        """
        parts = [data] if isinstance(data, bytes) else data
        size = sum(len(p) for p in parts)
        address = self.owns(path)
        if address is not None:
            self.disk.reserve(address, size)
        try:
            self._write(path, parts)
        except BaseException:
            if address is not None:
                self.disk.release(address, size)
            raise
        if address is not None:
            self.disk.written(address, size)

    @staticmethod
    def _write(path: Path, parts: Sequence[bytes | memoryview]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        except OSError as exc:
            raise StoreWriteError(
                f"cannot write {path.name!r} to the cache folder: {exc.strerror}"
            ) from exc
        try:
            with os.fdopen(fd, "wb") as f:
                f.writelines(parts)
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StoreWriteError(
                f"cannot write {path.name!r} to the cache folder: {exc.strerror}"
            ) from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def link(self, source: Path, target: Path) -> None:
        """Give the file at ``source`` a second name, ``target``, in the same value
        folder: a hard link (no bytes written or counted), made under a temporary
        name and renamed into place; a copy where the file system has no hard links.

        Raises:
            StoreWriteError: the folder is full, read-only or otherwise unwritable.
        """
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            os.link(source, tmp)
            os.replace(tmp, target)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            self.write(target, source.read_bytes())

    def touch(self, address: str) -> None:
        """Mark a value as just used (for least-recently-used eviction)."""
        self.disk.touched(address)

    def share_exact(self, address: str, data: bytes) -> None:
        """Put an exact PNG in the shared backend (no-op without one)."""
        if self.shared is not None:
            self.shared.put(f"exact/{address}", data)

    def shared_exact(self, address: str) -> bytes | None:
        """An exact PNG from the shared backend, or None."""
        return self.shared.get(f"exact/{address}") if self.shared is not None else None


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when ``a`` and ``b`` are one file (hard links), or both exist with the
    same size (``Store.link`` copied where the file system has no hard links)."""
    try:
        return os.path.samefile(a, b) or os.stat(a).st_size == os.stat(b).st_size
    except OSError:
        return False


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def get_store(cache_dir: str | Path) -> Store:
    """The process-wide store for a Gradio cache folder (``<cache_dir>/lossless``)."""
    served = Path(cache_dir).resolve()
    root = str(served / "lossless")
    with _STORES_LOCK:
        store = _STORES.get(root)
        if store is None:
            shared = from_setting(os.environ.get("GRADIO_LOSSLESS_STORE"))
            if isinstance(shared, FolderBackend):
                refuse_inside_served(shared.root, served, "GRADIO_LOSSLESS_STORE")
            keys = Keys(load_secret(served, shared))
            store = _STORES[root] = Store(root, keys=keys, shared=shared)
        return store


def memory_held() -> int:
    """Bytes of values held in memory by all of this process's stores together."""
    with _STORES_LOCK:
        stores = list(_STORES.values())
    return sum(store.held_bytes for store in stores)


def owner_of(path: str | Path) -> tuple[Store, str] | None:
    """(store, address) when ``path`` is a value file of one of this process's
    stores (``Store.owns``), else None."""
    with _STORES_LOCK:
        stores = list(_STORES.values())
    for store in stores:
        address = store.owns(path)
        if address is not None:
            return store, address
    return None
