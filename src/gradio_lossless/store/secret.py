"""The server secret every address and MAC is keyed with (``keys.py``).

Where it comes from, first match wins:

1. ``GRADIO_LOSSLESS_SECRET``: the secret itself (32 characters or more). Replicas
   that must read each other's exact files set the same value.
2. The shared store, when ``GRADIO_LOSSLESS_STORE`` names one: the first replica to
   start creates it there (atomically), the others read it, so replicas agree.
3. A file, ``GRADIO_LOSSLESS_SECRET_FILE`` (default
   ``$XDG_STATE_HOME/gradio-lossless/secret``, i.e. ``~/.local/state/...``): 32
   random bytes created on first start with mode 0600 in a 0700 folder, so a restart
   keeps reading the files it served. Where that file cannot be written (a
   read-only home), the process warns and keys with a secret of its own: safe, but
   files served before a restart then read as plain images.

The secret never lives inside the Gradio cache folder: Gradio's ``/file=`` route
serves every file under it, dotfiles included, to anyone who names its path, and
served URLs show that path. A secret file or shared folder placed there is refused.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import warnings
from pathlib import Path
from typing import Protocol

__all__ = ["SecretHolder", "default_secret_file", "load_secret"]

SECRET_BYTES = 32


class SecretHolder(Protocol):
    """A shared backend that can keep the secret for every replica."""

    def secret(self, candidate: bytes) -> bytes:
        """The stored secret; ``candidate`` is stored first when there is none."""


def default_secret_file() -> Path:
    """``GRADIO_LOSSLESS_SECRET_FILE``, else ``$XDG_STATE_HOME/gradio-lossless/secret``
    (``~/.local/state/gradio-lossless/secret``)."""
    explicit = os.environ.get("GRADIO_LOSSLESS_SECRET_FILE")
    if explicit:
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "gradio-lossless" / "secret"


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def refuse_inside_served(path: Path, served: Path, what: str) -> None:
    """Raise ValueError when ``path`` lies inside the served folder ``served``."""
    if _inside(path, served):
        raise ValueError(
            f"{what} {str(path)!r} lies inside the Gradio cache folder "
            f"{str(served)!r}, which Gradio serves to anyone who names a path in "
            "it; choose a place outside it"
        )


def create_secret_file(path: Path, candidate: bytes) -> bytes:
    """The secret kept at ``path``; ``candidate`` is written there first (mode 0600,
    atomically: a temporary file hard-linked into place) when there is none."""
    try:
        return _read_secret_file(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(candidate.hex().encode("ascii"))
        with contextlib.suppress(FileExistsError):  # another process won the race
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return _read_secret_file(path)


def _read_secret_file(path: Path) -> bytes:
    text = path.read_text("ascii").strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = text.encode("ascii")
    if len(secret) < SECRET_BYTES:
        raise ValueError(
            f"the secret file {str(path)!r} holds fewer than {SECRET_BYTES} bytes"
        )
    return secret


def load_secret(served: Path, shared: SecretHolder | None = None) -> bytes:
    """The server secret (see the module docstring for where it comes from).

    Parameters:
        served: the Gradio cache folder; the secret is never kept inside it.
        shared: the shared store, when replicas share one.
    Raises:
        ValueError: a secret that is too short, or a secret file inside ``served``.
    """
    explicit = os.environ.get("GRADIO_LOSSLESS_SECRET")
    if explicit is not None:
        if len(explicit) < SECRET_BYTES:
            raise ValueError(
                f"GRADIO_LOSSLESS_SECRET must be at least {SECRET_BYTES} characters"
            )
        return explicit.encode("utf-8")
    candidate = secrets.token_bytes(SECRET_BYTES)
    if shared is not None:
        return shared.secret(candidate)
    path = default_secret_file()
    refuse_inside_served(path, served, "the secret file")
    try:
        return create_secret_file(path, candidate)
    except OSError as exc:
        warnings.warn(
            f"gradio-lossless cannot keep its secret at {str(path)!r} "
            f"({exc.strerror or exc}); this process uses a secret of its own, so "
            "files it serves read as plain images after a restart. Set "
            "GRADIO_LOSSLESS_SECRET or GRADIO_LOSSLESS_SECRET_FILE.",
            RuntimeWarning,
            stacklevel=2,
        )
        return candidate
