"""``gradio-lossless bench --browser``: stock vs lossless as a browser sees them.

Two servers run as separate processes on 127.0.0.1 (``browser_app``: one serving
stock ``gr.Image()`` / ``gr.Gallery()``, one ``gradio_lossless.Image()`` /
``Gallery()``). Debian's Chromium (never a downloaded one), driven by Playwright,
opens one page on each; every network condition gets fresh pages:

* ``throttled``: DevTools network emulation (CDP
  ``Network.emulateNetworkConditions``): 50 Mbit/s down, 10 Mbit/s up, 30 ms
  latency;
* ``loopback``: no emulation.

The browser cache is disabled (CDP ``Network.setCacheDisabled``), so every image
is fetched over the (emulated) network even when a URL repeats: a pass-through hop
of an exact value names the same file again, and a cache hit would make it look
free.

**Hops**: the test photo is loaded into image A (untimed), then hops alternate A
→ B, B → A. A ``pass-through`` hop's function returns its input; a ``modified``
hop's returns it shifted by one pixel (new pixels, so a new value and URL every
hop). Before each hop the destination is emptied (untimed), so the time is from
the click (in the page, ``performance.now()``) until the destination's ``<img>``
exists, is ``complete`` and has a ``naturalWidth``: the server's work, the queue's
round trips, the image transfer and its decoding. One warm-up hop, then
``repeats`` timed ones; the two contenders alternate hop by hop. Afterwards the
destination's value is compared, on the server, with what was returned (``exact``
or ``max diff N``). A lossless pass-through hop returns the same value, whose URL
the page has already loaded: the browser shows it from the document's list of
available images without a request (0 bytes), whatever the cache setting.

**Gallery**: ``count`` distinct photos are made on the server (untimed, new ones
for every display, so nothing is cached), then the time from the click until all
``count`` thumbnails have loaded.

**Bytes**: for each request of Gradio's file route (``/gradio_api/file=``) whose
CDP resource type is ``Image``, ``encodedDataLength`` at ``Network.loadingFinished``
(what came over the wire, headers included), summed per hop / per display.
Identified by route and resource type, never by file name.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gradio_lossless.tools.bench.browser_app import CONTENDERS, serve_contenders
from gradio_lossless.tools.bench.sizes import Size, format_size

__all__ = [
    "CHROMIUM",
    "CONTENDERS",
    "HOPS",
    "NETWORKS",
    "THROTTLE",
    "BrowserResult",
    "measure_browser",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
NETWORKS = ("loopback", "throttled")
HOPS = ("pass-through", "modified")
THROTTLE = {"down_mbit": 50, "up_mbit": 10, "latency_ms": 30}
FILE_ROUTE = "/gradio_api/file="
_STATUS = "document.querySelector('#status textarea')"
TIMEOUT_MS = 180_000  # a 16-image 4K gallery, throttled, on a loaded machine

Network = Literal["loopback", "throttled"]


@dataclass(frozen=True)
class BrowserResult:
    """One contender in one case (a hop size or the gallery) on one network.

    ``ms`` and ``bytes`` are medians over the timed hops / displays (``ms_all`` and
    ``bytes_all`` list them all); ``exact`` is what the server found after the
    last hop (``exact``, ``max diff N``) or None for the gallery.
    """

    content: str
    network: str
    case: Literal["pass-through", "modified", "gallery"]
    size: str
    count: int
    contender: str
    ms: float | None = None
    bytes: int | None = None
    images: int | None = None
    ms_all: tuple[float, ...] = ()
    bytes_all: tuple[int, ...] = ()
    exact: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


class _Tracker:
    """Bytes of image loads from Gradio's file route, from CDP Network events."""

    def __init__(self, cdp: Any) -> None:
        self.pending: set[str] = set()
        self.done: dict[str, int] = {}
        self.failed: list[str] = []
        self._lock = threading.Lock()
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)

    def _sent(self, event: dict[str, Any]) -> None:
        if event.get("type") == "Image" and FILE_ROUTE in event["request"]["url"]:
            with self._lock:
                self.pending.add(event["requestId"])

    def _finished(self, event: dict[str, Any]) -> None:
        with self._lock:
            if event["requestId"] in self.pending:
                self.pending.discard(event["requestId"])
                self.done[event["requestId"]] = int(event["encodedDataLength"])

    def _failed(self, event: dict[str, Any]) -> None:
        with self._lock:
            if event["requestId"] in self.pending:
                self.pending.discard(event["requestId"])
                self.failed.append(str(event.get("errorText")))

    def reset(self) -> None:
        with self._lock:
            self.pending.clear()
            self.done.clear()
            self.failed.clear()

    def settle(self, page: Any) -> tuple[int, int]:
        """Wait (up to 10 s) for the loads seen so far; (bytes, images)."""
        deadline = time.monotonic() + 10
        while self.pending and time.monotonic() < deadline:
            page.wait_for_timeout(10)  # lets Playwright deliver the CDP events
        page.wait_for_timeout(1)
        with self._lock:
            return sum(self.done.values()), len(self.done)


_TIMED_CLICK = """async ([button, target, count, timeout]) => {
    const ready = () => {
        const imgs = [...document.querySelectorAll(target + ' img')];
        return imgs.length >= count && imgs.every(
            (i) => i.getAttribute('src') && i.complete && i.naturalWidth > 0);
    };
    if (document.querySelectorAll(target + ' img').length) {
        throw new Error(target + ' was not emptied before the click');
    }
    const t0 = performance.now();
    document.querySelector(button).click();
    return await new Promise((resolve, reject) => {
        const tick = () => {
            const t = performance.now() - t0;
            if (ready()) resolve(t);
            else if (t > timeout) reject(new Error(target + ' did not load'));
            else setTimeout(tick, 2);
        };
        tick();
    });
}"""


class _Side:
    """One contender's page, its CDP session and its byte tracker."""

    def __init__(self, browser: Any, contender: str, url: str, network: str) -> None:
        self.contender = contender
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        if network == "throttled":
            self.cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": THROTTLE["latency_ms"],
                    "downloadThroughput": THROTTLE["down_mbit"] * 1e6 / 8,
                    "uploadThroughput": THROTTLE["up_mbit"] * 1e6 / 8,
                },
            )
        self.tracker = _Tracker(self.cdp)
        self.page.goto(url)
        self.page.wait_for_selector("#status textarea")

    def click_and_wait(self, button: str, condition: str) -> None:
        """An untimed click, then wait for ``condition`` (a JS expression)."""
        self.page.click(button)
        self.page.wait_for_function(f"() => {condition}")

    def empty(self, button: str, target: str) -> None:
        """Click ``button`` if ``target`` shows an image, and wait until it does not.

        An empty target is left alone: a clearing event still in flight could
        otherwise land after the next event's image.
        """
        if self.page.query_selector(f"{target} img") is not None:
            self.click_and_wait(button, f"!document.querySelector('{target} img')")

    def status(self) -> str:
        return str(
            self.page.evaluate("document.querySelector('#status textarea').value")
        )

    def timed(self, button: str, target: str, count: int) -> tuple[float, int, int]:
        self.tracker.reset()
        ms = self.page.evaluate(_TIMED_CLICK, [button, target, count, TIMEOUT_MS])
        size, images = self.tracker.settle(self.page)
        return float(ms), size, images

    def close(self) -> None:
        self.context.close()


def _median_row(
    base: dict[str, Any], samples: Sequence[tuple[float, int, int]]
) -> BrowserResult:
    warnings = []
    if any(images == 0 for _, _, images in samples):
        warnings.append(
            "no image request: the page already had this URL loaded (the same "
            "value), so the browser showed it without fetching"
        )
    return BrowserResult(
        **base,
        ms=round(statistics.median(s[0] for s in samples), 1),
        bytes=int(statistics.median(s[1] for s in samples)),
        images=int(statistics.median(s[2] for s in samples)),
        ms_all=tuple(round(s[0], 1) for s in samples),
        bytes_all=tuple(s[1] for s in samples),
        warnings=tuple(warnings),
    )


def _changed(prefix: str, before: str) -> str:
    """A JS condition: ``#status`` starts with ``prefix`` and is not ``before``."""
    return (
        f"(v => v.startsWith({json.dumps(prefix)}) && v !== {json.dumps(before)})"
        f"({_STATUS}.value)"
    )


def _load(sides: dict[str, _Side], i: int) -> None:
    for side in sides.values():
        side.empty(f"#clear-a-{i}", f"#a-{i}")
        side.empty(f"#clear-b-{i}", f"#b-{i}")
        side.click_and_wait(
            f"#load-{i}",
            f"(i => i && i.complete && i.naturalWidth > 0)"
            f"(document.querySelector('#a-{i} img'))",
        )


def _hops(
    sides: dict[str, _Side], i: int, repeats: int, hop: str
) -> dict[str, tuple[list[tuple[float, int, int]], str]]:
    """A chain of ``hop`` hops from the image in A: one warm-up, ``repeats`` timed.

    Leaves the last destination holding the value (A after an even count).
    """
    prefix = "m" if hop == "modified" else ""
    samples: dict[str, list[tuple[float, int, int]]] = {c: [] for c in sides}
    last = "a"
    for k in range(1 + repeats):
        src, dst = ("a", "b") if k % 2 == 0 else ("b", "a")
        order = list(sides) if k % 2 == 0 else list(sides)[::-1]
        for contender in order:
            side = sides[contender]
            side.empty(f"#clear-{dst}-{i}", f"#{dst}-{i}")
            sample = side.timed(f"#{prefix}{src}{dst}-{i}", f"#{dst}-{i}", 1)
            if k:  # the first hop is the warm-up
                samples[contender].append(sample)
        last = dst
    if last == "b":  # one more (untimed) hop, so the next chain starts from A
        for side in sides.values():
            side.empty(f"#clear-a-{i}", f"#a-{i}")
            side.timed(f"#{prefix}ba-{i}", f"#a-{i}", 1)
        last = "a"
    verdicts = {}
    for contender, side in sides.items():
        side.click_and_wait(f"#verify-{last}-{i}", _changed("verify", side.status()))
        verdicts[contender] = side.status().partition(": ")[2]
    return {c: (samples[c], verdicts[c]) for c in sides}


def _gallery(
    sides: dict[str, _Side], count: int, repeats: int
) -> dict[str, list[tuple[float, int, int]]]:
    samples: dict[str, list[tuple[float, int, int]]] = {c: [] for c in sides}
    for k in range(1 + repeats):
        order = list(sides) if k % 2 == 0 else list(sides)[::-1]
        for contender in order:
            side = sides[contender]
            side.empty("#clear-gallery", "#gallery")
            side.click_and_wait("#prepare", _changed("ready", side.status()))
            sample = side.timed("#show", "#gallery", count)
            if k:
                samples[contender].append(sample)
    return samples


def measure_browser(
    sizes: Sequence[Size],
    *,
    content: str,
    networks: Sequence[str],
    repeats: int,
    gallery_count: int,
    gallery_size: Size,
    gallery_repeats: int,
    workdir: Path,
    port: int,
    chromium: Path,
    progress: Callable[[str], None],
) -> list[BrowserResult]:
    """Run every case on every network for both contenders; one row each."""
    from playwright.sync_api import sync_playwright

    args = [
        "--sizes",
        ",".join(format_size(s) for s in sizes) or "0x0",
        "--content",
        content,
        "--gallery-count",
        str(max(gallery_count, 1)),
        "--gallery-size",
        format_size(gallery_size),
    ]
    results: list[BrowserResult] = []
    with (
        serve_contenders(workdir, port, args, progress) as urls,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        try:
            for network in networks:
                sides = {c: _Side(browser, c, urls[c], network) for c in CONTENDERS}
                try:
                    results += _measure_network(
                        sides, sizes, content, network, repeats, progress
                    )
                    if gallery_count:
                        progress(
                            f"{network}: gallery {gallery_count} x "
                            f"{format_size(gallery_size)}"
                        )
                        base = {
                            "content": content,
                            "network": network,
                            "case": "gallery",
                            "size": format_size(gallery_size),
                            "count": gallery_count,
                        }
                        for c, s in _gallery(
                            sides, gallery_count, gallery_repeats
                        ).items():
                            results.append(_median_row({**base, "contender": c}, s))
                finally:
                    for side in sides.values():
                        side.close()
        finally:
            browser.close()
    return results


def _measure_network(
    sides: dict[str, _Side],
    sizes: Sequence[Size],
    content: str,
    network: str,
    repeats: int,
    progress: Callable[[str], None],
) -> list[BrowserResult]:
    results = []
    for i, size in enumerate(sizes):
        _load(sides, i)
        for hop in HOPS:
            progress(f"{network}: {hop} hops of {format_size(size)}")
            base = {
                "content": content,
                "network": network,
                "case": hop,
                "size": format_size(size),
                "count": 1,
            }
            for c, (samples, verdict) in _hops(sides, i, repeats, hop).items():
                row = _median_row({**base, "contender": c}, samples)
                results.append(dataclasses.replace(row, exact=verdict))
    return results
