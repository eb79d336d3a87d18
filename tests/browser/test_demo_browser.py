"""The demo in a real browser: 20 ping-pong clicks per side.

What the page displays (the ``<img>`` bytes, fetched inside the page) and what the
server function last received (exported from the page as ``.npz``) are bit-exact
with the original on the lossless side, and not on the stock side.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import PIL.Image
import pytest

from gradio_lossless.core.conversions import values_equal
from gradio_lossless.tools.audit.fidelity import compare, default_image
from gradio_lossless.tools.demo.app import build_demo
from tests.browser.conftest import fetch_in_page
from tests.conftest import serve

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

HOPS = 20


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    with serve(build_demo()) as (url, _):
        yield url


def fetch(page: Any, url: str) -> bytes:
    return fetch_in_page(page, url).body


def displayed(page: Any, selector: str) -> np.ndarray:
    """The image an ``<img>`` shows, decoded by Pillow from the bytes it was served."""
    src = page.locator(f"{selector} img").first.get_attribute("src")
    assert src, f"no <img> src in {selector}"
    with PIL.Image.open(io.BytesIO(fetch(page, src))) as im:
        return np.asarray(im.convert("RGB"))


# The column's status shows hop n. Checked at every animation frame: Playwright's
# wait_for_selector backs off to one look every 500 ms, so it saw a hop done at
# 300 ms only at about 800 ms.
HOPS_SHOWN = """([side, n]) => {
  const status = document.querySelector(`#${side}-status .gl-status[data-hops="${n}"]`);
  return status !== null && status.checkVisibility();
}"""


def ping_pong(page: Any, side: str, hops: int) -> None:
    for i in range(hops):
        direction = "a-to-b" if i % 2 == 0 else "b-to-a"
        page.click(f"#{side}-{direction}")
        page.wait_for_function(HOPS_SHOWN, arg=[side, i + 1], polling="raf")


def test_twenty_hops_per_side(page, demo_url, artifacts):  # type: ignore[no-untyped-def]
    original = default_image()
    page.goto(demo_url)
    page.wait_for_selector("#lossless-a img")
    for side in ("stock", "lossless"):
        ping_pong(page, side, HOPS)
    # After an even number of hops the newest image is back in A.
    shown = {side: displayed(page, f"#{side}-a") for side in ("stock", "lossless")}

    page.get_by_text("Check it yourself").click()
    page.click("#export")
    link = page.wait_for_selector("#exported a[href]")
    with np.load(io.BytesIO(fetch(page, link.get_attribute("href")))) as npz:
        received = {key: npz[key] for key in npz.files}
    page.screenshot(path=str(artifacts / "demo-browser-20-hops.png"), full_page=True)

    assert values_equal(received["original"], original)
    assert int(received["stock_hops"]) == int(received["lossless_hops"]) == HOPS
    measured = {}
    for side in ("stock", "lossless"):
        for what, value in (("displayed", shown[side]), ("received", received[side])):
            fidelity = compare(original, value)
            mse = float(np.mean((value.astype(np.float64) - original) ** 2))
            measured[f"{side} {what}"] = {
                "bit_exact": fidelity.bit_exact,
                "mse": mse,
                "psnr_db": str(fidelity.psnr),
                "max_abs_error": fidelity.max_abs_error,
            }
    (artifacts / "demo-browser-20-hops.json").write_text(json.dumps(measured, indent=2))

    assert values_equal(shown["lossless"], original)
    assert values_equal(received["lossless"], original)
    assert not values_equal(shown["stock"], original)
    assert not values_equal(received["stock"], original)
    # Measured 33.5 with Pillow 12.3 here (the issue: "above 30"); the
    # bound leaves room for other libwebp builds while still meaning visible loss.
    assert measured["stock received"]["mse"] > 20
    assert measured["stock displayed"]["mse"] > 20
    assert page.locator('#lossless-status .gl-status[data-exact="true"]').count() == 1
    assert page.locator('#stock-status .gl-status[data-exact="false"]').count() == 1


# The newest Resource Timing entry of a URL, resolved against the page.
LOAD_ENTRY = """(src) => {
  const url = new URL(src, location.href).href;
  const entries = performance.getEntriesByName(url);
  if (!entries.length) return null;
  const e = entries[entries.length - 1];
  return {initiator: e.initiatorType, decoded: e.decodedBodySize};
}"""

NATURAL_SIZE = """(img) => [img.naturalWidth, img.naturalHeight]"""

RUN_HISTORY_KEYS = """() => Object.keys(localStorage).filter(
  (key) => key.startsWith("gradio:run-history")
)"""


def natural_size(page: Any, selector: str) -> list[int]:
    img = page.locator(f"{selector} img").first
    img.wait_for()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle()
    )
    return img.evaluate(NATURAL_SIZE)  # type: ignore[no-any-return]


def test_three_hops_show_bytes_time_and_crops(page, demo_url, artifacts):  # type: ignore[no-untyped-def]
    """What the page shows after three hops per side: the bytes figure of each
    column is the body the browser's own <img> load got (Resource Timing), the
    hop time is there, and the quality plot and the zoomed crops are drawn from
    the first paint on."""
    page.goto(demo_url)
    page.wait_for_selector("#lossless-a img")
    # before any hop: both plots are images already
    assert natural_size(page, "#quality-plot") == [700, 300]
    assert natural_size(page, "#crops-plot") == [790, 470]
    crops_before = page.locator("#crops-plot img").first.get_attribute("src")
    for side in ("stock", "lossless"):
        ping_pong(page, side, 3)
    page.wait_for_function(
        "(before) => document.querySelector('#crops-plot img').src !== before",
        arg=crops_before,
    )
    page.screenshot(path=str(artifacts / "demo-browser-3-hops.png"), full_page=True)
    page.screenshot(path="/tmp/dm-demo-3-hops.png", full_page=True)
    sizes = {}
    for side in ("stock", "lossless"):
        cost = page.locator(f"#{side}-status .gl-cost")
        text = cost.inner_text()
        assert " sent " in text and " ms on the server" in text, text
        shown = int(cost.get_attribute("data-bytes") or "")
        # after three hops the newest image sits in B
        natural_size(page, f"#{side}-b")
        src = page.locator(f"#{side}-b img").first.get_attribute("src")
        entry = page.evaluate(LOAD_ENTRY, src)
        assert entry is not None, f"no resource entry for {src}"
        assert entry["initiator"] == "img"
        assert entry["decoded"] == shown, (side, entry, shown)
        sizes[side] = shown
    # the lossless <img> got a rendition of about stock's size, not the 470 kB PNG
    assert sizes["lossless"] < 2 * sizes["stock"]
    assert natural_size(page, "#crops-plot") == [790, 470]
    assert "How the figures are measured" in page.locator("#measured").inner_text()
    # the x10 chain hops from whichever component holds the newest image
    page.click("#lossless-x10")
    page.wait_for_selector('#lossless-status .gl-status[data-hops="13"]')
    assert page.locator('#lossless-status .gl-status[data-exact="true"]').count() == 1
    assert "over 13" in page.locator("#lossless-status .gl-cost").inner_text()
    # no run history: the page stored none of the hops' figures
    assert page.evaluate(RUN_HISTORY_KEYS) == []
