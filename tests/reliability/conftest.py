"""Fixtures for the reliability tests: servers in separate processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.server_process import ServerProcess

APP = "tests.reliability.apps:reliability_app"


@pytest.fixture(scope="module")
def two_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two processes serving ``reliability_app``, each with its own GRADIO_TEMP_DIR."""
    a = ServerProcess(APP, tmp_path_factory.mktemp("cache-a"))
    b = ServerProcess(APP, tmp_path_factory.mktemp("cache-b"))
    with a, b:
        yield a, b


def server_for(cache_dir: Path, **kwargs: object) -> ServerProcess:
    """A (not yet started) process serving ``reliability_app`` on ``cache_dir``."""
    return ServerProcess(APP, cache_dir, **kwargs)  # type: ignore[arg-type]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many fuzz cases were tried (and write them to $FUZZ_REPORT)."""
    import json
    import os
    import sys

    fuzz = sys.modules.get("tests.reliability.test_fuzz")
    counts = getattr(fuzz, "COUNTS", None)
    if not counts:
        return
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()) if k != "cases")
    terminalreporter.write_line(f"fuzz: {counts['cases']} cases tried ({detail})")
    report = os.environ.get("FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps(dict(counts), indent=2, sort_keys=True))
