"""Servers, raw HTTP calls and RSS figures for the attack tests (issue 11).

Three server processes serve ``tests.security.apps:security_app``, started in
parallel on first use (importing gradio costs most of a start):

- ``main``: secret A, default limits;
- ``other``: secret B, GRADIO_LOSSLESS_MAX_DECODED_BYTES=50000000;
- ``replica``: secret A (a replica of ``main``), GRADIO_LOSSLESS_STORE=<a shared
  folder>, GRADIO_LOSSLESS_DISK_BYTES=8 MiB.

All run with show_error=False: the texts the tests expect are gr.Error texts, which
Gradio shows anyway. Every secret is set, and the secret file and XDG state folder
point into the test's temporary folder: nothing is written to the home folder.

``watch(server, attack)`` samples a server's VmRSS while an attack runs and kills
the server when it grows past ``ABORT_MB`` (current main can take gigabytes and a
minute for one request); the next ``servers.get`` starts it again. Every watched
attack leaves its figures (RSS growth, wall time, outcome): the terminal summary
prints them and $SECURITY_REPORT, when set, receives them as JSON.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.server_process import ServerProcess, proc_status_kib

APP = "tests.security.apps:security_app"
SECRET_A = "gradio-lossless-security-tests-secret-A-0123456789"
SECRET_B = "gradio-lossless-security-tests-secret-B-9876543210"
DECODED_CAP = 50_000_000
SHARED_DISK_BYTES = 8 << 20
RSS_BOUND_MB = 150.0  # what one attack may add to a server's RSS
ABORT_MB = 1024.0  # past this growth the request is stopped and its server killed
ABORT_SECONDS = 60.0

REFUSED = (
    "cannot read this file (only files uploaded to or served by this app are read)"
)


# --- servers --------------------------------------------------------------------------


class Servers:
    """The three servers, started together in the background on first use."""

    def __init__(self, root: Path) -> None:
        self.shared = root / "shared-store"
        state = root / "state"

        def env(secret: str, name: str, **more: str) -> dict[str, str]:
            return {
                "GRADIO_LOSSLESS_SECRET": secret,
                "GRADIO_LOSSLESS_SECRET_FILE": str(state / name / "secret"),
                "XDG_STATE_HOME": str(state / name),
                **more,
            }

        self.procs = {
            "main": ServerProcess(
                APP, root / "main-cache", env=env(SECRET_A, "main"), show_error=False
            ),
            "other": ServerProcess(
                APP,
                root / "other-cache",
                env=env(
                    SECRET_B,
                    "other",
                    GRADIO_LOSSLESS_MAX_DECODED_BYTES=str(DECODED_CAP),
                ),
                show_error=False,
            ),
            "replica": ServerProcess(
                APP,
                root / "replica-cache",
                env=env(
                    SECRET_A,
                    "replica",
                    GRADIO_LOSSLESS_STORE=str(self.shared),
                    GRADIO_LOSSLESS_DISK_BYTES=str(SHARED_DISK_BYTES),
                ),
                show_error=False,
            ),
        }
        self._errors: dict[str, BaseException] = {}
        self._threads = {
            name: threading.Thread(target=self._start, args=(name,), daemon=True)
            for name in self.procs
        }
        for t in self._threads.values():
            t.start()

    def _start(self, name: str) -> None:
        try:
            self.procs[name].start(timeout=180)
        except BaseException as exc:  # re-raised by get()
            self._errors[name] = exc

    def get(self, name: str) -> ServerProcess:
        """The server, running (started again if an attack had it killed)."""
        self._threads[name].join()
        if name in self._errors:
            raise self._errors[name]
        server = self.procs[name]
        if server.proc is None or server.proc.poll() is not None:
            server.start(timeout=180)
        return server

    def stop(self) -> None:
        for t in self._threads.values():
            t.join()
        for server in self.procs.values():
            server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    pool = Servers(tmp_path_factory.mktemp("security"))
    try:
        yield pool
    finally:
        pool.stop()


@pytest.fixture
def main(servers: Servers) -> ServerProcess:
    return servers.get("main")


@pytest.fixture
def other(servers: Servers) -> ServerProcess:
    return servers.get("other")


@pytest.fixture
def replica(servers: Servers) -> ServerProcess:
    return servers.get("replica")


# --- raw HTTP -------------------------------------------------------------------------


def call_raw(
    server: ServerProcess, api_name: str, data: list[Any], timeout: float = 120
) -> tuple[str, Any]:
    """What a hostile browser does: POST the payload as is (any path, with or
    without "meta"), then read the SSE stream. Returns ("complete" | "error", data)
    where an error's data is its text (None when Gradio hides it)."""
    r = httpx.post(
        f"{server.url}gradio_api/call/{api_name}",
        json={"data": data},
        timeout=timeout,
    )
    r.raise_for_status()
    event_id = r.json()["event_id"]
    event = None
    with httpx.stream(
        "GET",
        f"{server.url}gradio_api/call/{api_name}/{event_id}",
        timeout=timeout,
    ) as response:
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = json.loads(line[5:])
                if event == "error":
                    payload = (
                        payload.get("error") if isinstance(payload, dict) else None
                    )
                return event, payload
    raise AssertionError(f"no result for /{api_name}")


def upload(server: ServerProcess, path: Path) -> dict[str, Any]:
    """Upload a file as a browser does; the FileData payload for it (with meta)."""
    with open(path, "rb") as f:
        r = httpx.post(
            f"{server.url}gradio_api/upload",
            files={"files": (path.name, f)},
            timeout=60,
        )
    r.raise_for_status()
    return {
        "path": r.json()[0],
        "orig_name": path.name,
        "meta": {"_type": "gradio.FileData"},
    }


def error_text(call: Any) -> str | None:
    """The message of the exception ``call()`` raises (None when it returns)."""
    try:
        call()
    except Exception as exc:
        return str(exc)
    return None


# --- RSS figures ----------------------------------------------------------------------


def rss_mb(server: ServerProcess) -> float:
    return (proc_status_kib(server.pid, "VmRSS") or 0) / 1024


@dataclass
class Figure:
    test: str
    attack: str
    rss_peak_mb: float
    rss_end_mb: float
    seconds: float
    outcome: str = ""


FIGURES: list[Figure] = []


class Watch:
    """Sample ``server``'s VmRSS every 20 ms while the block runs; kill the
    server when it grows by more than ``abort_mb`` or the block outlasts
    ``abort_seconds`` (the block then fails saying so). On exit the figures go to
    FIGURES; ``note`` adds the outcome."""

    def __init__(
        self,
        server: ServerProcess,
        attack: str,
        test: str = "",
        abort_mb: float = ABORT_MB,
        abort_seconds: float = ABORT_SECONDS,
    ) -> None:
        self.server = server
        self.attack = attack
        self.test = test
        self.abort_mb = abort_mb
        self.abort_seconds = abort_seconds
        self.before = self.peak = self.after = 0.0
        self.seconds = 0.0
        self.killed: str | None = None
        self.figure: Figure | None = None
        self._done = threading.Event()

    @property
    def peak_growth(self) -> float:
        return self.peak - self.before

    @property
    def end_growth(self) -> float:
        return self.after - self.before

    def growth_now(self) -> float:
        return max(self.peak, rss_mb(self.server)) - self.before

    def _sample(self) -> None:
        pid = self.server.pid
        while not self._done.wait(0.02):
            now = (proc_status_kib(pid, "VmRSS") or 0) / 1024
            self.peak = max(self.peak, now)
            late = time.monotonic() - self._t0 > self.abort_seconds
            if self.peak - self.before > self.abort_mb or late:
                self.killed = (
                    f"server RSS grew by {self.peak - self.before:.0f} MB within "
                    f"{time.monotonic() - self._t0:.1f} s; killed it"
                )
                self.server.kill()
                return

    def __enter__(self) -> Watch:
        self.before = self.peak = rss_mb(self.server)
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.seconds = time.monotonic() - self._t0
        self._done.set()
        self._thread.join()
        if self.killed is None:
            self.after = rss_mb(self.server)
            self.peak = max(self.peak, self.after)
        else:
            self.after = self.peak
        self.figure = Figure(
            self.test,
            self.attack,
            round(self.peak_growth, 1),
            round(self.end_growth, 1),
            round(self.seconds, 3),
            f"KILLED: {self.killed}" if self.killed else "",
        )
        FIGURES.append(self.figure)
        if self.killed is not None:
            raise AssertionError(self.killed)

    def note(self, outcome: str) -> None:
        """What the attack got (kept with the figures)."""
        assert self.figure is not None
        self.figure.outcome = outcome

    def summary(self) -> str:
        return (
            f"RSS +{self.peak_growth:.0f} MB at peak, +{self.end_growth:.0f} MB "
            f"after, {self.seconds:.2f} s"
        )


@pytest.fixture
def watch(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """``with watch(server, attack) as w: ...`` then ``w.note(outcome)``."""

    def make(server: ServerProcess, attack: str, **kwargs: Any) -> Watch:
        return Watch(server, attack, request.node.name, **kwargs)

    return make


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    write = terminalreporter.write_line
    write("security attacks: server RSS growth (peak / after) and wall time")
    for f in FIGURES:
        write(
            f"  {f.attack:<44} +{f.rss_peak_mb:>7.0f} / +{f.rss_end_mb:>7.0f} MB"
            f" {f.seconds:>7.2f} s  {f.outcome}"
        )
    report = os.environ.get("SECURITY_REPORT")
    if report:
        Path(report).write_text(json.dumps([asdict(f) for f in FIGURES], indent=2))


# --- the new components' payloads ----------------------------------------------------


def editor(
    background: Any = None, layers: list[Any] | None = None, composite: Any = None
) -> dict[str, Any]:
    """An ImageEditor payload (EditorData) of the given FileData dicts."""
    return {
        "background": background,
        "layers": layers or [],
        "composite": composite,
        "id": None,
    }


def input_of(server: ServerProcess, api_name: str) -> int:
    """The component id of the first input of the endpoint ``api_name``."""
    return _input_of(server.url, api_name)


@functools.cache
def _input_of(url: str, api_name: str) -> int:
    # once per server and endpoint: the app's config is the same after a restart
    config = httpx.get(f"{url}config", timeout=30).json()
    for dep in config["dependencies"]:
        if dep.get("api_name") == api_name:
            return int(dep["inputs"][0])
    raise AssertionError(f"no endpoint {api_name}")


def post_blob(
    server: ServerProcess,
    api_name: str,
    blob_id: str,
    kind: str,
    index: str,
    data: bytes,
) -> httpx.Response:
    """What the editor's canvas does: send one image to the component's
    accept_blobs server function (background, a layer by index, composite)."""
    return httpx.post(
        f"{server.url}gradio_api/component_server",
        data={
            "session_hash": "attacker",
            "component_id": str(input_of(server, api_name)),
            "fn_name": "accept_blobs",
            "type": kind,
            "index": index,
            "id": blob_id,
        },
        files={"file": ("blob", data)},
        timeout=120,
    )


# where a file goes in each new component's payload, and the name its errors give
SLOTS = {
    "slider image 2": ("digest_slider", "ImageSlider image 2"),
    "editor background": ("digest_editor", "ImageEditor background"),
    "editor layer 0": ("digest_editor", "ImageEditor layer 0"),
    "annotated base": ("digest_annotated", "AnnotatedImage base image"),
}


def send_in_slot(
    server: ServerProcess, slot: str, file: dict[str, Any], good: dict[str, Any]
) -> tuple[str, Any]:
    """Call the slot's digest endpoint with ``file`` in that slot (``good``, an
    ordinary upload, wherever the payload needs another image)."""
    api, _ = SLOTS[slot]
    payload: Any
    if slot == "slider image 2":
        payload = [good, file]
    elif slot == "editor background":
        payload = editor(file, [], None)
    elif slot == "editor layer 0":
        payload = editor(None, [file], None)
    else:
        payload = {"image": file, "annotations": []}
    return call_raw(server, api, [payload])
