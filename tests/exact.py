"""The exact PNG codec under a fixed test secret, for tests that encode and decode
files directly (components use their store's keys)."""

from __future__ import annotations

from gradio_lossless.codecs import container, reader
from gradio_lossless.core.keys import Keys
from gradio_lossless.core.types import ImageValue

KEYS = Keys(b"gradio-lossless test secret, 32+ bytes")


def encode(value: ImageValue, keys: Keys = KEYS) -> bytes:
    """The exact PNG of ``value``, MAC'd under ``keys``."""
    return container.encode(value, keys=keys)


def decode(data: bytes, keys: Keys = KEYS) -> reader.Decoded:
    """``reader.decode`` under ``keys``."""
    return reader.decode(data, keys)


def inspect(data: bytes, keys: Keys = KEYS) -> reader.Inspected:
    """``reader.inspect`` under ``keys``."""
    return reader.inspect(data, keys)


def server_keys() -> Keys:
    """The keys every component of this test process, and every server process it
    starts, uses (one secret a machine, ``gradio_lossless.io.machine_keys``)."""
    from gradio_lossless.io import machine_keys

    return machine_keys()


def reseal(data: bytes, keys: Keys) -> bytes:
    """``data`` with its glMD chunk's MAC recomputed under ``keys`` for whatever
    header and chunks it holds now: a file only the secret's holder could make."""
    import struct
    import zlib

    chunks = container.read_chunks(data)
    meta = [(s, n) for k, s, n in chunks if k == container.META_CHUNK]
    if len(meta) != 1 or meta[0][1] < 32:
        return data
    start, length = meta[0]
    header_json = data[start + 32 : start + length]
    tag = keys.mac(container.mac_parts(header_json, data))
    body = tag + header_json
    chunk = (
        struct.pack(">I", len(body))
        + container.META_CHUNK
        + body
        + struct.pack(">I", zlib.crc32(container.META_CHUNK + body))
    )
    return data[: start - 8] + chunk + data[start + length + 4 :]
