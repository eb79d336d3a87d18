"""Real servers for the serving tests, in the three ways an app is served:
``demo.launch()``, ``gr.mount_gradio_app`` under uvicorn, and SSR
(``launch(ssr_mode=True)``: Node in front, Python behind it).

SSR needs Node (``node`` on PATH or ``GRADIO_NODE_PATH``). With CI=true a missing
Node fails the SSR test; elsewhere it is skipped with that reason.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

import httpx
import pytest

from tests.browser.conftest import in_ci
from tests.conftest import free_port, serve


@dataclass
class Served:
    """A running app: its public URL (ending in "/"), a gradio_client, and the
    Gradio app (``gradio.routes.App``) that serves it."""

    url: str
    client: Any
    app: Any

    def call(self, api_name: str, data: list[Any] | None = None) -> Any:
        """Call an endpoint as a browser does (POST, then the SSE stream); the
        output data, FileData dicts with their URLs."""
        r = httpx.post(
            f"{self.url}gradio_api/call/{api_name}",
            json={"data": data or []},
            timeout=120,
        )
        r.raise_for_status()
        event_id = r.json()["event_id"]
        event = None
        with httpx.stream(
            "GET", f"{self.url}gradio_api/call/{api_name}/{event_id}", timeout=120
        ) as response:
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    assert event == "complete", line
                    return json.loads(line[5:])
        raise AssertionError(f"no result for /{api_name}")

    def file_url(self, filedata: dict[str, Any]) -> str:
        """The absolute URL of a FileData (as the browser resolves it)."""
        return urljoin(self.url, filedata["url"])

    def get(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.get(url, headers=headers or {}, timeout=120)


def served_path(filedata: dict[str, Any]) -> Path:
    """The server path a FileData's URL names."""
    return Path(unquote(filedata["url"].split("file=", 1)[1]))


@contextmanager
def launched(demo: Any, **kwargs: Any) -> Iterator[Served]:
    with serve(demo, **kwargs) as (url, client):
        yield Served(url, client, demo.server_app)


@contextmanager
def mounted(demo: Any, path: str = "/sub") -> Iterator[Served]:
    """``gr.mount_gradio_app(FastAPI(), demo, path)`` served by uvicorn."""
    import gradio as gr
    import uvicorn
    from fastapi import FastAPI
    from gradio_client import Client

    app = gr.mount_gradio_app(FastAPI(), demo, path=path)
    (gradio_app,) = [r.app for r in app.routes if getattr(r, "path", None) == path]
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, (
            "uvicorn did not start"
        )
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}{path}/"
    try:
        yield Served(url, Client(url, verbose=False, ssl_verify=False), gradio_app)
    finally:
        server.should_exit = True
        thread.join(30)


def need_node() -> None:
    given = os.environ.get("GRADIO_NODE_PATH")
    if (given and Path(given).is_file()) or shutil.which("node"):
        return
    message = (
        "SSR needs Node 20 or later: `python scripts/fetch_node.py` fetches one "
        "from the npm registry (scripts/test sets GRADIO_NODE_PATH to it); "
        "Gradio's documented switch is demo.launch(ssr_mode=True)"
    )
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@contextmanager
def deployed(mode: str, demo: Any) -> Iterator[Served]:
    """The app served one way: "launch", "mount" or "ssr"."""
    if mode == "launch":
        with launched(demo) as s:
            yield s
    elif mode == "mount":
        with mounted(demo) as s:
            yield s
    elif mode == "ssr":
        need_node()
        try:
            with launched(demo, ssr_mode=True) as s:
                assert demo._node_is_proxy, "SSR did not start: Node is not in front"
                yield s
        finally:
            # demo.close() leaves Gradio's Node server running (it is stopped only
            # by the signal handlers Gradio installs): stop it with the app
            node = getattr(demo, "node_process", None)
            if node is not None:
                node.terminate()
                node.wait(timeout=30)
    else:
        raise ValueError(mode)
