"""Shared fixtures: real Gradio servers on 127.0.0.1, driven by gradio_client."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Before gradio is imported anywhere: no analytics calls, and a private cache folder.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gl-test-cache-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest

from tests.samples import photo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(demo, **launch_kwargs) -> Iterator[tuple[str, object]]:  # type: ignore[no-untyped-def]
    """Launch ``demo`` on 127.0.0.1 in this process; yield (url, Client)."""
    from gradio_client import Client

    port = free_port()
    launch_kwargs.setdefault("show_error", True)
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        **launch_kwargs,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        # plain http on loopback: no TLS at all, and ssl_verify=False spares
        # gradio_client building an SSL context (~20 ms) for every file it moves
        client = Client(
            url,
            verbose=False,
            ssl_verify=False,
            download_files=tempfile.mkdtemp(prefix="gl-dl-"),
        )
        yield url, client
    finally:
        demo.close()


@pytest.fixture
def server() -> Callable[..., object]:
    """``with server(demo) as (url, client): ...``"""
    return serve


@pytest.fixture(scope="session")
def photo_rgb():  # type: ignore[no-untyped-def]
    return photo(96, 128)


# The slowest test files (summed durations, `scripts/test --durations=0`, Nov 2026),
# slowest first. With `--dist loadfile` a worker takes the next whole file in
# collection order as it frees up; a long file collected last (reliability/ and
# security/ sort late) runs alone while the other worker idles. Longest first
# keeps both busy to the end. The rest keep their collection order.
SLOW_FILES = (
    "tests/reliability/test_fuzz.py",
    "tests/browser/test_bench_browser.py",
    "tests/reliability/test_faults.py",
    "tests/e2e/test_replicas.py",
    "tests/security/test_shapes.py",
    "tests/browser/test_demo_browser.py",
    "tests/browser/test_renditions_browser.py",
    "tests/reliability/test_soak.py",
    "tests/browser/test_image_editor_browser.py",
    "tests/e2e/test_image_e2e.py",
    "tests/security/test_paths.py",
    "tests/e2e/test_gallery_e2e.py",
    "tests/gradio_suite/test_gradio_components.py",
    "tests/security/test_addresses.py",
    "tests/reliability/test_processes.py",
    "tests/test_memory.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
