"""Reading the package's environment settings (one rule for all of them)."""

from __future__ import annotations

import os

__all__ = ["env_bytes"]


def env_bytes(name: str, default: int) -> int:
    """A non-negative byte count from the environment variable ``name``.

    Raises:
        ValueError: naming the variable and its value when it is not an integer.
    """
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return max(0, int(raw))
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
