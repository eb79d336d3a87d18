"""Replicas behind a load balancer: exact values across server processes.

Two server processes, each with its own memory and its own Gradio cache folder. The
file at a value's URL is its exact PNG (named ``image.webp``, stock's name): an API
client that downloads it from one and uploads it to the other hands the function
the exact value, given the shared secret. What a browser was *shown* is a lossy
display file (``display="webp"`` here): uploaded to the other replica, it resolves
to the exact value only through a shared store, a folder or a real Redis server
(Debian's redis-server, started here on 127.0.0.1); without one it is a plain
upload of its pixels, never a guess.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import PIL.Image
import pytest
from gradio_client import Client, handle_file

from gradio_lossless.core.keys import Keys
from tests import exact
from tests.samples import array_values, photo
from tests.serving.apps import IMAGE_LOAD

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    exe = shutil.which("redis-server")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is missing in CI (scripts/test installs it)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait(port, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def _replica(store: str) -> tuple[Client, subprocess.Popen[bytes]]:
    port = _port()
    env = dict(
        os.environ,
        GRADIO_TEMP_DIR=tempfile.mkdtemp(prefix="gl-replica-"),
        XDG_STATE_HOME=tempfile.mkdtemp(prefix="gl-state-"),  # a secret file each
        GRADIO_LOSSLESS_STORE=store,
        GRADIO_ANALYTICS_ENABLED="False",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.replica_app", str(port)], cwd=ROOT, env=env
    )
    _wait(port, proc)
    client = Client(
        f"http://127.0.0.1:{port}/",
        verbose=False,
        ssl_verify=False,
        download_files=tempfile.mkdtemp(prefix="gl-dl-"),
    )
    return client, proc


def _shared_secret(store: str) -> bytes:
    """The secret the replicas keep in their shared store (they set none)."""
    if store.startswith("redis://"):
        import redis

        secret = redis.Redis.from_url(store).get("gradio-lossless:secret")
        assert secret is not None and len(secret) == 32
        return bytes(secret)
    path = Path(store) / "secret"
    assert path.stat().st_mode & 0o777 == 0o600
    return bytes.fromhex(path.read_text())


def _shown(client: Client, served: str) -> Path:
    """What a browser showing ``served`` (a file the client downloaded) was sent:
    the replica's ``<img>`` answer for the same value, saved as a file."""
    url = client.src.rstrip("/") + "/gradio_api/file=" + _server_path(client, served)
    answer = httpx.get(url, headers=IMAGE_LOAD)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/webp"
    path = Path(tempfile.mkdtemp(prefix="gl-shown-")) / "shown.webp"
    path.write_bytes(answer.content)
    return path


def _server_path(client: Client, served: str) -> str:
    """The path the replica served ``served`` from: the value folder its exact PNG
    names (``_describe`` asks the replica; no guessing from the client's copy)."""
    return client.predict(handle_file(served), api_name="/where")


def _described(client: Client, path: Path | str) -> tuple[str, bytes]:
    text = client.predict(handle_file(str(path)), api_name="/describe")
    return text.rsplit(" ", 1)[0], bytes.fromhex(text.rsplit(" ", 1)[1])


@pytest.mark.parametrize("backend", ["folder", "redis"])
def test_two_replicas_share_exact_values(
    backend: str, request: pytest.FixtureRequest
) -> None:
    store = (
        request.getfixturevalue("redis_url")
        if backend == "redis"
        else tempfile.mkdtemp(prefix="gl-shared-")
    )
    (a, pa), (b, pb) = _replica(store), _replica(store)
    try:
        keys = Keys(_shared_secret(store))  # kept in the shared store by the first
        start = Path(tempfile.mkdtemp()) / "start.png"
        for original in (photo(64, 80), array_values()["float32[24, 32, 3]"]):
            start.write_bytes(exact.encode(original, keys))
            served = a.predict(handle_file(str(start)), api_name="/hop")  # served by A
            assert served.endswith(".webp")  # stock's name; the exact PNG's bytes
            assert Path(served).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            for _ in range(3):  # A -> B -> A -> B, each time the downloaded file
                served = b.predict(handle_file(served), api_name="/hop")
                a, b = b, a
            described, data = _described(b, served)
            assert described == f"{original.dtype} {original.shape}"
            assert data == original.tobytes()
            # what a browser was shown by B (a lossy WebP carrying the value's
            # token), uploaded to A, which never saw B's copy: exact, through the
            # shared store
            shown = _shown(b, served)
            described, data = _described(a, shown)
            assert described == f"{original.dtype} {original.shape}"
            assert data == original.tobytes()
    finally:
        for p in (pa, pb):
            p.terminate()
            p.wait(20)


def test_without_a_shared_store_a_shown_image_is_a_plain_upload() -> None:
    (a, pa), (b, pb) = _replica(""), _replica("")
    try:
        start = Path(tempfile.mkdtemp()) / "start.png"
        original = photo(32, 32)
        PIL.Image.fromarray(original).save(start)
        served = a.predict(handle_file(str(start)), api_name="/hop")
        shown = _shown(a, served)
        # B never saw this value: the WebP is a plain upload there, decoded as is,
        # exactly as stock Gradio would; it is not mistaken for an exact value
        described, data = _described(b, shown)
        assert described == "uint8 (32, 32, 3)"
        assert data == np.asarray(PIL.Image.open(shown).convert("RGB")).tobytes()
        assert data != original.tobytes()
    finally:
        for p in (pa, pb):
            p.terminate()
            p.wait(20)
