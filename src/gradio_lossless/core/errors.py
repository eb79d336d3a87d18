"""Exceptions raised by gradio-lossless.

    LosslessError                       base of everything we raise on purpose
    ├── UnsupportedImageError (ValueError)   a value we cannot represent exactly
    ├── CorruptImageError (ValueError)       a file that does not decode
    ├── LimitError (ValueError)              a file over a size cap (metadata, pixels)
    ├── UnreadablePathError (LookupError)    a payload path refused or unreadable
    ├── EvictedReferenceError (LookupError)  a reference whose exact value is gone
    ├── CodecUnavailableError (ImportError)  an optional codec that is not installed
    └── StoreWriteError (OSError)            the store could not write (disk full...)

Inner layers raise these; only the component boundary turns them into ``gr.Error``.
"""

from __future__ import annotations

__all__ = [
    "CodecUnavailableError",
    "CorruptImageError",
    "EvictedReferenceError",
    "LimitError",
    "LosslessError",
    "StoreWriteError",
    "UnreadablePathError",
    "UnsupportedImageError",
]


class LosslessError(Exception):
    """Base class of every error gradio-lossless raises on purpose."""


class UnsupportedImageError(LosslessError, ValueError):
    """A value that is not an image we can carry exactly (type, dtype, shape, mode)."""


class CorruptImageError(LosslessError, ValueError):
    """A file that is truncated, corrupt, not an image, or a decompression bomb."""


class LimitError(LosslessError, ValueError):
    """A client file over one of the documented caps (metadata, decoded size)."""


class UnreadablePathError(LosslessError, LookupError):
    """A payload path outside the folders the app may read, or one that cannot be
    read; one message for every case, so it reveals nothing about the path."""


class EvictedReferenceError(LosslessError, LookupError):
    """A reference whose exact value is no longer in the store."""


class CodecUnavailableError(LosslessError, ImportError):
    """An optional codec whose backend is not installed."""


class StoreWriteError(LosslessError, OSError):
    """The store could not write a file (full disk, read-only folder, ...)."""
