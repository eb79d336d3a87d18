"""Objects whose address is already known: a pass-through hop without a keyed hash.

A component hands the app a fresh copy of a stored value, and an app often returns
that very object (a pass-through, a gallery re-rendered unchanged). Computing its
keyed address again (BLAKE3, ~6 ms for a 4K frame) would make such a hop cost more
than the whole hop used to. So the store remembers, for the objects it handed out
and the objects it saved, which address they had and a change digest of their
content at that moment (``keys.Keys.change_digest``, seeded XXH3, ~1 ms for 4K).
When the same object comes back with the same digest, it still holds the value at
that address.

What this trusts: only objects this process created or was given by the app
itself, never bytes a client sent; the object's address was computed with the
keyed hash over that same content (or read from a file whose MAC verified). The
digest only detects whether the app changed the object in place since. An attacker
who could make the app overwrite such an object with crafted content would have to
find an XXH3 collision under a secret seed without ever seeing a digest.

Entries are weak (an entry whose object died never matches again), bounded in
number (least recent dropped first), and checked against ``id`` reuse by a weak
reference to the very object.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable

from gradio_lossless.core.described import Described
from gradio_lossless.core.types import ImageValue

__all__ = ["Identities"]

_LIMIT = 4096


class Identities:
    """Known objects: object -> (address, change digest at that moment).

    Parameters:
        digest: the change digest function (``Keys.change_digest``).
        limit: how many objects are remembered at most (least recent dropped).
    """

    def __init__(
        self, digest: Callable[[ImageValue | Described], bytes], limit: int = _LIMIT
    ) -> None:
        self._digest = digest
        self._limit = limit
        self._lock = threading.Lock()
        self._known: OrderedDict[int, tuple[weakref.ref[ImageValue], str, bytes]] = (
            OrderedDict()
        )

    def __len__(self) -> int:
        return len(self._known)

    def note(self, obj: ImageValue, address: str, digest: bytes) -> None:
        """Remember that ``obj`` holds, right now, the value at ``address`` whose
        change digest is ``digest``."""
        key = id(obj)
        # no weakref callback: it could run inside this very lock (a collection
        # during an allocation here); a dead entry is just never matched again
        ref = weakref.ref(obj)
        with self._lock:
            self._known[key] = (ref, address, digest)
            self._known.move_to_end(key)
            while len(self._known) > self._limit:
                self._known.popitem(last=False)

    def address_of(
        self, obj: ImageValue, described: Described | None = None
    ) -> tuple[str, bytes] | None:
        """(address, digest) when ``obj`` is a known object whose content has not
        changed since it was noted, else None (costs one change digest, of
        ``described`` when the caller has described ``obj`` already)."""
        with self._lock:
            entry = self._known.get(id(obj))
        if entry is None or entry[0]() is not obj:
            return None
        _, address, digest = entry
        if self._digest(obj if described is None else described) != digest:
            return None
        return address, digest
