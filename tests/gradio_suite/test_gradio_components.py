"""Gradio's own tests of the components this package replaces (test_image.py,
test_gallery.py, test_image_editor.py and test_annotated_image.py, from the sdist of
the installed Gradio; it has none for ImageSlider) pass under
``gradio_lossless.patch()`` wherever they pass on stock Gradio.

Both runs are pytest subprocesses in the same unpacked folder (see sdist.py); the
patched one adds ``-p tests.gradio_suite.patch_plugin``. Outcomes are compared per
test from each run's JUnit XML. The sdist comes from the package registry: if it
cannot be had, this fails with CI=true and is skipped elsewhere, with the reason.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import gradio
import pytest

from tests.gradio_suite import sdist

REPO = Path(__file__).resolve().parents[2]
PLUGIN = "tests.gradio_suite.patch_plugin"
RUN_TIMEOUT = 240  # seconds for each pytest run; each takes ~10 s here


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def gradio_sdist(request: pytest.FixtureRequest) -> Path:
    """The sdist of the installed Gradio, fetched once and kept in pytest's cache."""
    cache = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
    folder = (
        cache.mkdir("gradio-sdist")
        if cache is not None
        else request.getfixturevalue("tmp_path_factory").mktemp("gradio-sdist")
    )
    try:
        return sdist.fetch_sdist(gradio.__version__, Path(folder))
    except sdist.RegistryError as exc:
        message = f"cannot fetch the gradio {gradio.__version__} sdist: {exc}"
        if in_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)


@dataclass
class Run:
    returncode: int
    outcomes: dict[str, tuple[str, str]]  # test id -> (outcome, message)
    output: str
    seconds: float


def run_gradio_tests(root: Path, *, patched: bool, name: str) -> Run:
    junit = root.parent / f"{name}.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        *sdist.TEST_MODULES,
        "-p",
        "no:cacheprovider",
        f"--basetemp={root.parent / f'{name}-tmp'}",
        f"--junitxml={junit}",
        "-rfE",
    ]
    if patched:
        command[3:3] = ["-p", PLUGIN]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # this checkout's source and this test package (for the plugin) come first
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "src"), str(REPO), *filter(None, [env.get("PYTHONPATH")])]
    )
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    env["HF_HUB_OFFLINE"] = "1"
    start = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    seconds = time.perf_counter() - start
    output = done.stdout + done.stderr
    outcomes = read_junit(junit) if junit.is_file() else {}
    return Run(done.returncode, outcomes, output, seconds)


def read_junit(path: Path) -> dict[str, tuple[str, str]]:
    """Per test: "passed", "skipped" or "failed" (a failure or an error in setup,
    call or teardown), with the first line of the reason."""
    rank = {"passed": 0, "skipped": 1, "failed": 2}
    outcomes: dict[str, tuple[str, str]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        key = f"{case.get('classname')}::{case.get('name')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                found = "skipped" if child.tag == "skipped" else "failed"
                if rank[found] > rank[outcome]:
                    text = child.get("message") or child.text or child.tag
                    outcome, message = found, text.strip().splitlines()[0][:300]
        if key not in outcomes or rank[outcome] > rank[outcomes[key][0]]:
            outcomes[key] = (outcome, message)
    return outcomes


def describe(run: Run) -> str:
    lines = [
        f"  {key}: {outcome} {message}"
        for key, (outcome, message) in sorted(run.outcomes.items())
    ]
    return "\n".join(lines) or "  (no test ran)"


def test_gradio_component_tests_pass_under_patch(
    gradio_sdist: Path, tmp_path: Path
) -> None:
    root = sdist.prepare(gradio_sdist, tmp_path / "gradio")
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    # side by side: each run is mostly one process importing Gradio (~8 s of CPU)
    with ThreadPoolExecutor(2) as pool:
        stock_run = pool.submit(run_gradio_tests, root, patched=False, name="stock")
        patched_run = pool.submit(run_gradio_tests, root, patched=True, name="patched")
        stock, patched = stock_run.result(), patched_run.result()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime)
    summary = (
        f"Gradio {gradio.__version__} component tests "
        f"(both runs: {cpu_seconds:.1f} s of CPU)\n"
        f"stock (exit {stock.returncode}, {stock.seconds:.1f} s):\n{describe(stock)}\n"
        f"patched (exit {patched.returncode}, {patched.seconds:.1f} s):\n"
        f"{describe(patched)}"
    )
    print(summary)

    # a run that collected nothing (exit 5) or broke (2-4) compares nothing
    for run in (stock, patched):
        assert run.returncode in (0, 1), f"{summary}\n\n{run.output[-4000:]}"
    assert "patch(): gr.Image is gradio_lossless." in patched.output, patched.output
    assert "gr.Gallery is gradio_lossless." in patched.output, patched.output
    assert "gradio-lossless patch()" not in stock.output
    passed_on_stock = sorted(k for k, (o, _) in stock.outcomes.items() if o == "passed")
    for module in sdist.TEST_MODULES:
        dotted = module.removesuffix(".py").replace("/", ".")
        assert any(k.startswith(dotted + ".") for k in passed_on_stock), (
            f"no test of {module} passed on stock Gradio\n{summary}\n\n"
            f"{stock.output[-4000:]}"
        )
    assert set(patched.outcomes) == set(stock.outcomes), summary
    regressed = [k for k in passed_on_stock if patched.outcomes[k][0] != "passed"]
    assert not regressed, (
        f"{len(regressed)} of the {len(passed_on_stock)} tests that pass on stock "
        f"fail under patch(): {', '.join(regressed)}\n{summary}\n\n"
        f"{patched.output[-6000:]}"
    )
