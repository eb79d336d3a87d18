"""``gradio-lossless bench --browser``, small and short: every row is there, image
bytes are counted, the lossless value arrives exact and stock's does not, the
targets (defined on 3840x2160) are "not measured", and the exit codes. No timing
is asserted: the times are only printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradio_lossless.tools.bench.browser_run import INSTALL_PLAYWRIGHT
from tests.browser.conftest import CHROMIUM, in_ci

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SIZES = ["64x64", "96x64"]
GALLERY = 2


def _bench(*argv: str, code: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"{code}from gradio_lossless.cli import main\n"
            f"raise SystemExit(main({list(argv)!r}))\n",
        ],
        capture_output=True,
        text=True,
        timeout=540,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
    )


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    if not CHROMIUM.is_file():
        message = f"Chromium not found at {CHROMIUM}"
        if in_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    return CHROMIUM


def test_a_short_browser_bench_measures_every_case(
    chromium_path: Path, tmp_path: Path
) -> None:
    report = tmp_path / "bench.json"
    result = _bench(
        "bench",
        "--browser",
        "--check",
        "--sizes",
        ",".join(SIZES),
        "--repeats",
        "1",
        "--gallery-count",
        str(GALLERY),
        "--gallery-size",
        "64x64",
        "--gallery-repeats",
        "1",
        "--chromium",
        str(chromium_path),
        "--json",
        str(report),
    )
    # every target is defined on 3840x2160, so none is judged: --check passes
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(report.read_text())
    rows = {
        (r["network"], r["case"], r["size"], r["contender"]): r for r in data["rows"]
    }
    cases = [(c, s) for s in SIZES for c in ("pass-through", "modified")]
    cases.append(("gallery", "64x64"))
    expected = {
        (network, case, size, contender)
        for network in ("loopback", "throttled")
        for case, size in cases
        for contender in ("stock", "lossless")
    }
    assert set(rows) == expected
    for (_, case, _, contender), row in rows.items():
        assert row["content"] == "tiled"
        assert len(row["ms_all"]) == 1
        assert row["ms"] > 0
        if case == "gallery":
            assert row["count"] == GALLERY
            assert row["images"] == GALLERY
            assert row["bytes"] > 0
            assert row["exact"] is None
        elif contender == "stock":
            assert row["images"] == 1
            assert row["bytes"] > 0
            assert row["exact"].startswith("max diff ")  # WebP q80: lossy
        else:
            assert row["exact"] == "exact"
            if case == "modified":  # a new value each hop: its image is fetched
                assert row["images"] == 1
                assert row["bytes"] > 0
            else:  # the same value, whose URL the page already shows
                assert row["images"] == 0
                assert row["bytes"] == 0
    assert data["targets"]
    assert {t["status"] for t in data["targets"]} == {"not measured"}
    assert "Targets (issue 14" in result.stdout
    assert "DevTools emulation, 50 Mbit/s down, 10 Mbit/s up, 30 ms" in " ".join(
        result.stdout.split()
    )


def test_without_playwright_it_says_what_to_install_and_exits_2() -> None:
    hide = "import sys\nsys.modules['playwright'] = None\n"
    result = _bench("bench", "--browser", "--quick", code=hide)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "needs Playwright" in result.stderr
    assert INSTALL_PLAYWRIGHT in result.stderr


def test_a_missing_chromium_is_named_and_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "no-chromium"
    result = _bench("bench", "--browser", "--quick", "--chromium", str(missing))
    assert result.returncode == 2
    assert f"Chromium not found at {missing}" in result.stderr
