"""The exact PNG codec under a fixed test secret, for tests that encode and decode
files directly (components use their store's keys)."""

from __future__ import annotations

from gradio_lossless._types import ImageValue
from gradio_lossless.codecs import container, reader
from gradio_lossless.keys import Keys

KEYS = Keys(b"gradio-lossless test secret, 32+ bytes")


def encode(value: ImageValue, keys: Keys = KEYS) -> bytes:
    """The exact PNG of ``value``, MAC'd under ``keys``."""
    return container.encode(value, address=keys.address(value), keys=keys)


def decode(data: bytes, keys: Keys = KEYS) -> reader.Decoded:
    """``reader.decode`` under ``keys``."""
    return reader.decode(data, keys)


def inspect(data: bytes, keys: Keys = KEYS) -> reader.Inspected:
    """``reader.inspect`` under ``keys``."""
    return reader.inspect(data, keys)
