"""Chromium via Playwright: Debian's /usr/bin/chromium, never a downloaded browser.

With CI=true a missing Chromium fails the run; elsewhere the browser tests are
skipped, with the reason, only when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

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
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright sync API)."""
    if not CHROMIUM.is_file():
        message = (
            f"Chromium not found at {CHROMIUM}; install it with "
            "`apt-get install -y chromium` (never `playwright install`)"
        )
        if in_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(f"browser tests skipped: {message}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# Fetch a URL from inside the page (same origin, same session): the answer's type,
# its Vary and its body as base64 (as an array of numbers, 2 MB take seconds).
_FETCH = """async (url) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${response.status} for ${url}`);
  const blob = await response.blob();
  const body = await new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result.split(",")[1]);
    reader.readAsDataURL(blob);
  });
  return [response.headers.get("content-type"), response.headers.get("vary"), body];
}"""


@dataclass(frozen=True)
class Fetched:
    content_type: str | None
    vary: str | None
    body: bytes


def fetch_in_page(page: Any, url: str) -> Fetched:
    """What ``fetch(url)`` in the page gets (a non-2xx answer fails)."""
    content_type, vary, body = page.evaluate(_FETCH, url)
    return Fetched(content_type, vary, base64.b64decode(body))
