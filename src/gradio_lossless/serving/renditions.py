"""Display renditions of stored values: what an ``<img>`` of an exact PNG is sent.

**The rendition** (``display="rendition"``, the default) is a WebP at quality 80,
libwebp method 2, with the long side capped at 1920 pixels. Chosen by measurement
(``python -m benchmarks.renditions``, table in the README): on photo-like content
it is 1.03-1.05× the bytes of stock Gradio's WebP (quality 80, method 4) at
1920×1080 and 0.31-0.42× at 3840×2160, at nearly the same PSNR, and encodes 2-2.5×
faster than stock's at 1080p, 8-11× at 4K. JPEG through libjpeg-turbo encodes ten
times faster again but took 1.2-2.6× stock's bytes at 1080p; AVIF was as slow as
stock's WebP or slower. The cap is a box filter: an integer ``reduce`` (3840 →
1920), then a box resize of what is left. 1920 is a full-HD screen's width: the
image in a component, and full screen on a 1080p display, is shown without
upscaling.

**Served exact instead** when the exact PNG is at most ``SMALL_BYTES`` (32 KiB;
no rendition is made), or at most ``SMALL_RATIO`` (1.25) times the rendition's
size (flat graphics, screenshots, small images: a rendition would save little and
lose detail). The rendition is still kept, so the sizes are compared once.

**Fixed formats** (``display="webp"``, ``"jpeg"``, ``"avif"``): that format at full
resolution with Pillow's defaults, which is exactly what stock
``gr.Image(format=...)`` serves (WebP quality 80 method 4, JPEG quality 75, AVIF
quality 75 speed 6), always, whatever the sizes. ``display="exact"`` never makes one.

**Where they live**: beside the exact PNG, in the value's store folder
(``<address>/rendition.webp``, ``<address>/rendition-<format>.<ext>``), written
through the store: atomically, inside the disk budget, evicted with their value.
A component's display setting, when it is not the default, is a one-word file
``<address>/display`` written when the value is saved. It is a value's, not a
URL's: a value returned into two components with different settings is shown as
the one that returned it last says.

**Trust**: a rendition carries its value's address token (``codecs/display.py``)
like any display file. A rendition uploaded again resolves to its value only when
that token verifies under the server secret and the store holds the value;
otherwise it is a plain upload of its pixels. Its pixels are never read as a
value (a payload naming its path stands, as any file of the value's folder does,
for the value of that folder's address: what the exact PNG's own URL already
names).

Made on a value's first image load (``submit``: on a worker thread, one per CPU
up to 8; concurrent loads of one value share the work), not on the hop: an API
client that never shows the image never pays for one.
"""

from __future__ import annotations

import os
import threading
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageOps

from gradio_lossless.codecs import available, container, display, spec
from gradio_lossless.core.described import describe
from gradio_lossless.store.memory import work_budget
from gradio_lossless.store.store import Store

__all__ = [
    "CAP",
    "DISPLAYS",
    "FIXED",
    "RENDITION",
    "SMALL_BYTES",
    "SMALL_RATIO",
    "Kind",
    "Rendition",
    "check_display",
    "downscale",
    "kind_of",
    "make",
    "mark",
    "submit",
]

CAP = 1920
"""The long side of a rendition, at most (pixels)."""
SMALL_BYTES = 32 << 10
"""An exact PNG this small is sent to image loads as it is."""
SMALL_RATIO = 1.25
"""An exact PNG at most this many times its rendition's size is sent as it is."""
POLICY_NAME = "display"
_ORIENTATION = 0x0112

DISPLAYS = ("rendition", "exact", "webp", "jpeg", "avif")
_ALIASES = {"jpg": "jpeg"}


@dataclass(frozen=True)
class Kind:
    """One kind of display file.

    Parameters:
        name: "rendition", or the fixed format's name.
        codec: the codec (``codecs.spec`` name).
        options: Pillow save options (empty: Pillow's defaults, as stock).
        cap: the long side, at most; None for full resolution.
        small_exact: apply the small-image rule (``SMALL_BYTES``, ``SMALL_RATIO``).
    """

    name: str
    codec: str
    options: dict[str, object] = field(default_factory=dict)
    cap: int | None = None
    small_exact: bool = False

    @property
    def filename(self) -> str:
        ext = spec(self.codec).extension
        return (
            f"rendition.{ext}"
            if self.name == "rendition"
            else f"rendition-{self.name}.{ext}"
        )

    @property
    def media_type(self) -> str:
        return f"image/{spec(self.codec).extension}"


RENDITION = Kind("rendition", "webp", {"quality": 80, "method": 2}, CAP, True)
FIXED = {name: Kind(name, name) for name in ("webp", "jpeg", "avif")}


def check_display(value: str) -> str:
    """The canonical display setting.

    Raises:
        ValueError: naming the value and the accepted ones.
    """
    key = _ALIASES.get(str(value).lower(), str(value).lower())
    if key not in DISPLAYS:
        raise ValueError(
            f"unknown display {value!r}; expected one of {', '.join(DISPLAYS)}"
        )
    if key in FIXED and not available(key):
        raise ValueError(
            f"display {value!r} is unavailable here ({spec(key).install_hint})"
        )
    return key


def mark(store: Store, address: str, setting: str) -> None:
    """Record a value's display setting beside it (a stat and nothing more when
    it is the default and no other setting was recorded)."""
    path = store.folder(address) / POLICY_NAME
    if setting == "rendition" and not path.exists():
        return
    if _policy(path.parent) != setting:
        store.write(path, setting.encode("ascii"))


def _policy(folder: Path) -> str:
    try:
        word = (folder / POLICY_NAME).read_bytes()[:16].decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return "rendition"
    return word if word in DISPLAYS else "rendition"


def kind_of(folder: Path) -> Kind | None:
    """The kind of display file a value folder's image loads get, or None when
    they get the exact file (``display="exact"``)."""
    policy = _policy(folder)
    if policy == "exact":
        return None
    return FIXED.get(policy, RENDITION)


@dataclass(frozen=True)
class Rendition:
    """A display file, ready to send."""

    data: bytes
    media_type: str
    etag: str
    last_modified: str
    filename: str


def _eight_bit(im: PIL.Image.Image) -> PIL.Image.Image:
    """The image as RGB or RGBA, as a browser shows its PNG (16-bit: the top 8
    bits; a palette with transparency: RGBA)."""
    if im.mode in ("RGB", "RGBA"):
        return im
    if im.mode.startswith("I;16") or im.mode == "I":
        arr = np.asarray(im).astype(np.int64)
        top = (np.clip(arr, 0, 65535) >> 8).astype(np.uint8)
        return PIL.Image.fromarray(top, "L").convert("RGB")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if im.mode in ("LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            return im.convert("RGBA")
        return im.convert("RGB")


def downscale(im: PIL.Image.Image, cap: int | None) -> PIL.Image.Image:
    """The image with its long side at most ``cap``: ``reduce`` by the largest
    integer factor that stays at or above the cap, then a box resize for the rest."""
    long = max(im.size)
    if cap is None or long <= cap:
        return im
    factor = long // cap
    if factor >= 2:
        im = im.reduce(factor)
        long = max(im.size)
    if long > cap:
        w, h = im.size
        size = (max(1, round(w * cap / long)), max(1, round(h * cap / long)))
        im = im.resize(size, PIL.Image.Resampling.BOX)
    return im


def _shown(store: Store, address: str, exact: Path) -> PIL.Image.Image:
    """What the browser would show for the exact PNG: from the value in memory,
    else the PNG's own pixels."""
    held = store.recall(address)
    if held is not None:
        return container.display_image(describe(held.value))
    with warnings.catch_warnings():  # our own file: a large value is no bomb
        warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
        with PIL.Image.open(exact) as im:
            im.load()
            return im


def _upright(im: PIL.Image.Image) -> PIL.Image.Image:
    """The image turned as its EXIF orientation says. Browsers turn a PNG by its
    eXIf orientation (Chromium does) but not every WebP by its EXIF, so the
    rendition is turned in its pixels and carries no orientation."""
    try:
        orientation = im.getexif().get(_ORIENTATION, 1)
    except Exception:  # a malformed EXIF: browsers ignore it too
        return im
    if orientation in range(2, 9):
        return PIL.ImageOps.exif_transpose(im)
    return im


def _encode(store: Store, address: str, exact: Path, kind: Kind) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
        with PIL.Image.open(exact) as header:  # reads the header only
            width, height = header.size
    held = store.holding(address)
    value_bytes = held.size if held is not None else 4 * width * height
    # the value's copy or decode, then up to three 8-bit images at once
    with work_budget().hold(value_bytes + 3 * 4 * width * height):
        im = _shown(store, address, exact)
        icc = im.info.get("icc_profile")
        shown = downscale(_eight_bit(_upright(im)), kind.cap)
        options = dict(kind.options)
        if icc:
            options["icc_profile"] = icc
        return display.encode_display(
            shown, kind.codec, display.token(address, store.keys), options
        )


def _etag(kind: Kind, st: os.stat_result) -> str:
    return f'"gl-{kind.name}-{st.st_size:x}-{st.st_mtime_ns:x}"'


def make(store: Store, address: str, kind: Kind) -> Rendition | None:
    """The display file image loads of the value at ``address`` get, made and
    stored on first use; None when they get the exact file instead.

    Blocking: runs in a worker thread. Raises what the store and codecs raise
    (``StoreWriteError``, ``CodecUnavailableError``, ``OSError``).
    """
    folder = store.folder(address)
    exact = store.exact_path(address)
    try:
        exact_size = exact.stat().st_size
    except OSError:
        return None
    if kind.small_exact and exact_size <= SMALL_BYTES:
        return None
    target = folder / kind.filename
    if not target.is_file():
        store.write(target, _encode(store, address, exact, kind))
    data = target.read_bytes()
    st = target.stat()
    store.touch(address)
    if kind.small_exact and exact_size <= SMALL_RATIO * len(data):
        return None
    return Rendition(
        data,
        kind.media_type,
        _etag(kind, st),
        formatdate(st.st_mtime, usegmt=True),
        f"image.{spec(kind.codec).extension}",
    )


_WORKERS = ThreadPoolExecutor(
    max(1, min(8, os.cpu_count() or 1)), thread_name_prefix="gradio-lossless-rendition"
)


_PENDING: dict[tuple[str, str], Future[Rendition | None]] = {}
_PENDING_LOCK = threading.RLock()  # a done future's callback runs inline


def _done(key: tuple[str, str], future: Future[Rendition | None]) -> None:
    with _PENDING_LOCK:
        if _PENDING.get(key) is future:
            del _PENDING[key]


def submit(store: Store, address: str, kind: Kind) -> Future[Rendition | None]:
    """``make`` on the renditions' worker threads (at most one per CPU). Requests
    for a rendition already being made share that work."""
    key = (str(store.folder(address)), kind.name)
    with _PENDING_LOCK:
        future = _PENDING.get(key)
        if future is None:
            future = _PENDING[key] = _WORKERS.submit(make, store, address, kind)
            future.add_done_callback(lambda f: _done(key, f))
    return future
