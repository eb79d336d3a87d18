"""Keyed hashing under the server secret: value addresses, MACs, change checks.

Three keys are derived from one server secret (``secret.py``), one per purpose, with
BLAKE3's key derivation, so no output of one purpose can stand in for another:

* ``address(value)``: the value's store address, keyed BLAKE3-256 over a versioned
  header (kind, mode or dtype, shape, palette, metadata) and the raw pixels. Equal
  values get equal addresses; nobody without the secret can compute one, so a
  folder name or URL cannot be guessed, probed or collided on purpose.
* ``mac(*parts)``: authenticates what the server wrote into a file (the exact PNG's
  header and chunks, the address token in a lossy file). A file is trusted only
  when its MAC verifies.
* ``change_digest(value)``: XXH3-128 seeded from the secret, ~7× faster than BLAKE3.
  It never decides an address. It only tells whether an object this process handed
  to (or received from) the app still holds the pixels whose address is already
  known; see ``identity.py``.

The ``blake3`` package (the BLAKE3 team's own bindings) is a hard dependency: a
fallback to another hash would give replicas with and without it different
addresses for the same value.
"""

from __future__ import annotations

import hmac
import struct
import warnings
from collections.abc import Iterable

import blake3
import xxhash

from gradio_lossless.core.described import Described, describe
from gradio_lossless.core.types import ImageValue

__all__ = ["ADDRESS_HEX", "MAC_BYTES", "Keys", "is_address"]

ADDRESS_HEX = 64
MAC_BYTES = 32
_CONTEXT = "gradio-lossless 2026-11 {}"
_THREADS_FROM = 8 << 20  # hash with every core from 8 MiB of pixels on


def is_address(name: str) -> bool:
    """True when ``name`` has the form of a value address (``ADDRESS_HEX`` lowercase
    hex digits): a value folder's name, a header's address."""
    return len(name) == ADDRESS_HEX and all(c in "0123456789abcdef" for c in name)


def _described(value: ImageValue | Described) -> Described:
    """``value`` described; a bare value's dropped-metadata warning is not repeated
    here (``describe`` on the save path gives it once)."""
    if isinstance(value, Described):
        return value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return describe(value)


class Keys:
    """The keys derived from one server secret.

    Parameters:
        secret: the server secret (32 bytes or more).
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the server secret must be at least 32 bytes")

        def derive(purpose: str) -> bytes:
            return blake3.blake3(
                secret, derive_key_context=_CONTEXT.format(purpose)
            ).digest()

        self._address_key = derive("address")
        self._mac_key = derive("mac")
        seed = derive("change")
        self._change_seed = int.from_bytes(seed[:8], "little")

    def address(self, value: ImageValue | Described) -> str:
        """The value's address: 64 lowercase hex digits.

        Parameters:
            value: a checked value, or its ``describe`` (then nothing is recomputed).
        """
        d = _described(value)
        threads = blake3.blake3.AUTO if len(d.pixels) >= _THREADS_FROM else 1
        h = blake3.blake3(key=self._address_key, max_threads=threads)
        h.update(struct.pack("<Q", len(d.identity)))
        h.update(d.identity)
        h.update(d.pixels)
        return h.hexdigest()

    def mac(self, parts: Iterable[bytes | memoryview]) -> bytes:
        """MAC (32 bytes) over ``parts``; each part is length-prefixed, so the
        split between parts is authenticated too."""
        h = blake3.blake3(key=self._mac_key, max_threads=blake3.blake3.AUTO)
        for part in parts:
            h.update(struct.pack("<Q", len(part)))
            h.update(part)
        return h.digest()

    def verify(self, tag: bytes, parts: Iterable[bytes | memoryview]) -> bool:
        """True when ``tag`` is the MAC of ``parts`` (constant-time compare)."""
        return len(tag) == MAC_BYTES and hmac.compare_digest(tag, self.mac(parts))

    def change_digest(self, value: ImageValue | Described) -> bytes:
        """A seeded XXH3-128 of the value (header and pixels): a change detector,
        never an address.

        Parameters:
            value: a checked value, or its ``describe`` (then nothing is recomputed).
        """
        d = _described(value)
        h = xxhash.xxh3_128(seed=self._change_seed)
        h.update(d.identity)
        h.update(d.pixels)
        return h.digest()
