"""Where replicas share exact values when the browser is served a lossy format.

With the default lossless ``format`` nothing needs sharing: the served file carries
the exact value. With ``format="webp"`` the exact value lives beside the served file;
replicas behind a load balancer find it through a shared backend, chosen by the
``GRADIO_LOSSLESS_STORE`` setting:

    GRADIO_LOSSLESS_STORE=/mnt/shared/lossless    a folder every replica mounts
    GRADIO_LOSSLESS_STORE=redis://host:6379/0     a Redis server (pip install redis)

Keys: ``exact/<fingerprint>`` holds the exact PNG; ``file/<xxh3 of served bytes>``
holds the fingerprint a served file stands for. Values are immutable (content
addressed), so there is nothing to invalidate; size is bounded by the backend (the
folder's disk, Redis's ``maxmemory`` policy).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from gradio_lossless.errors import CodecUnavailableError, StoreWriteError

__all__ = ["FolderBackend", "RedisBackend", "SharedBackend", "from_setting"]


class SharedBackend(Protocol):
    """A key -> bytes store shared by replicas."""

    description: str

    def get(self, key: str) -> bytes | None:
        """The bytes under ``key``, or None."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (idempotent)."""


class FolderBackend:
    """A shared folder; files are written to a temporary name, then renamed.

    Parameters:
        root: the folder (created when missing).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.description = f"folder {str(self.root)!r}"

    def _path(self, key: str) -> Path:
        kind, _, name = key.partition("/")
        if kind not in ("exact", "file") or not name.isalnum():
            raise ValueError(f"bad shared-store key {key!r}")
        return self.root / kind / name

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except OSError:
            return None

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            raise StoreWriteError(
                f"cannot write to the shared store {self.description}: {exc.strerror}"
            ) from exc


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
        try:
            self._client.set(f"gradio-lossless:{key}", data, nx=True)
        except self._errors as exc:
            raise StoreWriteError(
                f"cannot write to the shared store {self.description}: {exc}"
            ) from exc


def from_setting(setting: str | None) -> SharedBackend | None:
    """The backend named by a ``GRADIO_LOSSLESS_STORE`` value (None: no sharing)."""
    if not setting:
        return None
    if setting.startswith(("redis://", "rediss://", "unix://")):
        return RedisBackend(setting)
    return FolderBackend(setting)
