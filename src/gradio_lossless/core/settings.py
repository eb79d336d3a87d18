"""Reading the package's environment settings (one rule for all of them)."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["env_bytes", "env_flag"]

_OFF = ("0", "false", "no", "off")


def env_bytes(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    """A non-negative byte count from the environment variable ``name``.

    Parameters:
        environ: the environment to read (``os.environ`` by default; the soak reads
            a server's environment this way).
    Raises:
        ValueError: naming the variable and its value when it is not an integer.
    """
    raw = (os.environ if environ is None else environ).get(name)
    if raw is None:
        return default
    try:
        return max(0, int(raw))
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def env_flag(name: str, default: bool) -> bool:
    """A switch from the environment variable ``name``: "0", "false", "no" or "off"
    (any case) turn it off, any other value turns it on, unset gives ``default``."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() not in _OFF
