"""Where replicas share exact values when the browser is served a lossy format.

With the default lossless ``format`` nothing needs sharing: the served file carries
the exact value. With ``format="webp"`` the exact value lives beside the served file;
replicas behind a load balancer find it through a shared backend, chosen by the
``GRADIO_LOSSLESS_STORE`` setting:

    GRADIO_LOSSLESS_STORE=/mnt/shared/lossless    a folder every replica mounts
    GRADIO_LOSSLESS_STORE=redis://host:6379/0     a Redis server (pip install redis)

Keys: ``exact/<address>`` holds the exact PNG of the value at that (keyed) address.
Values are immutable (content addressed), so there is nothing to invalidate. The
backend also keeps the server secret (``secret.py``) unless
``GRADIO_LOSSLESS_SECRET`` is set, so every replica keys addresses alike.

Bounds: a shared folder is kept under ``GRADIO_LOSSLESS_DISK_BYTES`` like the local
store, least recently used values first (every replica evicts, each with its own view
of the folder, rescanned every 30 s); Redis is bounded by its own ``maxmemory`` with
an ``allkeys-lru`` policy.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from gradio_lossless.core.errors import CodecUnavailableError, StoreWriteError
from gradio_lossless.core.keys import is_address
from gradio_lossless.store.disk import DiskBudget, disk_limit
from gradio_lossless.store.secret import create_secret_file

__all__ = ["FolderBackend", "RedisBackend", "SharedBackend", "from_setting"]


class SharedBackend(Protocol):
    """A key -> bytes store shared by replicas."""

    description: str

    def get(self, key: str) -> bytes | None:
        """The bytes under ``key``, or None."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (idempotent)."""

    def secret(self, candidate: bytes) -> bytes:
        """The server secret every replica uses; ``candidate`` is stored first
        when the backend holds none."""


def _address_of(key: str) -> str:
    kind, _, name = key.partition("/")
    if kind != "exact" or not is_address(name):
        raise ValueError(f"bad shared-store key {key!r}")
    return name


class FolderBackend:
    """A shared folder: ``<root>/<address>/exact.png`` under a byte limit with
    least-recently-used eviction, and ``<root>/secret`` (mode 0600). Files are
    written to a temporary name, then renamed.

    Parameters:
        root: the folder (created when missing).
        limit: its byte limit (default: ``GRADIO_LOSSLESS_DISK_BYTES``).
    """

    def __init__(self, root: str | Path, limit: int | None = None) -> None:
        self.root = Path(root).resolve()
        self.description = f"folder {str(self.root)!r}"
        self.disk = DiskBudget(
            self.root, disk_limit() if limit is None else limit, orphans=False
        )

    def _path(self, key: str) -> Path:
        return self.root / _address_of(key) / "exact.png"

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
            os.utime(path)  # last use, for every replica's eviction scan
        except OSError:
            return None
        self.disk.touched(path.parent.name)
        return data

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return
        address = path.parent.name
        self.disk.reserve(address, len(data))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            self.disk.release(address, len(data))
            raise StoreWriteError(
                f"cannot write to the shared store {self.description}: {exc.strerror}"
            ) from exc
        self.disk.written(address, len(data))

    def secret(self, candidate: bytes) -> bytes:
        return create_secret_file(self.root / "secret", candidate)


class RedisBackend:
    """A Redis server (any version with GET/SET).

    Parameters:
        url: a ``redis://`` or ``rediss://`` URL.
    """

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise CodecUnavailableError(
                f"GRADIO_LOSSLESS_STORE={url!r} needs the redis client "
                "(pip install 'gradio-lossless[redis]')"
            ) from None
        self._client: Any = redis.Redis.from_url(url)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError,)
        self.description = f"redis {url.split('@')[-1]!r}"

    def get(self, key: str) -> bytes | None:
        try:
            data = self._client.get(f"gradio-lossless:{key}")
        except self._errors:
            return None
        return bytes(data) if data is not None else None

    def put(self, key: str, data: bytes) -> None:
        _address_of(key)
        try:
            self._client.set(f"gradio-lossless:{key}", data, nx=True)
        except self._errors as exc:
            raise StoreWriteError(
                f"cannot write to the shared store {self.description}: {exc}"
            ) from exc

    def secret(self, candidate: bytes) -> bytes:
        key = "gradio-lossless:secret"
        self._client.set(key, candidate, nx=True)
        stored = self._client.get(key)
        if stored is None or len(stored) < 32:
            raise ValueError(f"the shared store {self.description} holds no secret")
        return bytes(stored)


def from_setting(setting: str | None) -> SharedBackend | None:
    """The backend named by a ``GRADIO_LOSSLESS_STORE`` value (None: no sharing)."""
    if not setting:
        return None
    if setting.startswith(("redis://", "rediss://", "unix://")):
        return RedisBackend(setting)
    return FolderBackend(setting)
