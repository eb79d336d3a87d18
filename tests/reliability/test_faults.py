"""Faults (issue 7, item 3): SIGKILL in the middle of writes, a read-only cache
folder, a full disk. Each server is a separate process (benchmarks.server_process).

The read-only folder is a read-only bind mount of ``<cache>/lossless`` and the full
disk a small tmpfs mounted there (as root, chmod does not stop writes); both need
``mount`` (root with CAP_SYS_ADMIN) and are skipped, saying so, where it fails.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from gradio_client import handle_file

import gradio_lossless as gl
from gradio_lossless.core import conversions
from tests import exact
from tests.reliability.apps import modify, sample
from tests.reliability.conftest import server_for

pytestmark = pytest.mark.e2e


# --- helpers --------------------------------------------------------------------------


def call_raw(
    url: str, api_name: str, data: list[Any], timeout: float = 60
) -> tuple[str, Any]:
    """What a browser does: POST the payload as is (server paths included, nothing
    uploaded), then read the result stream. Returns ("complete" | "error", data)."""
    r = httpx.post(
        f"{url}gradio_api/call/{api_name}", json={"data": data}, timeout=timeout
    )
    r.raise_for_status()
    event_id = r.json()["event_id"]
    event = None
    with httpx.stream(
        "GET", f"{url}gradio_api/call/{api_name}/{event_id}", timeout=timeout
    ) as response:
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                return event, json.loads(line[5:])
    raise AssertionError(f"no result for {api_name}")


def file_data(path: str | Path) -> dict[str, Any]:
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}}


def check_store_files(root: Path) -> dict[str, int]:
    """Every served file under the store decodes exactly to the value at the
    address its folder is named after; returns counts (checked, leftover temporary
    files)."""
    keys = exact.server_keys()  # the server processes share this machine's secret
    checked = leftover = 0
    if not root.exists():  # killed before the first value was written
        return {"checked": 0, "leftover_temporary": 0}
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        for f in folder.iterdir():
            if f.name.startswith("."):  # a temporary name: never served
                leftover += 1
                continue
            if f.suffix != ".png":
                continue
            decoded = exact.decode(f.read_bytes(), keys)
            assert decoded.exact, f"{f} is not an exact PNG"
            assert decoded.address == folder.name, f"{f} holds another value"
            assert keys.address(decoded.value) == folder.name
            checked += 1
    return {"checked": checked, "leftover_temporary": leftover}


def mount_or_skip(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount {' '.join(args)} failed here: {done.stderr.strip()}")


def umount(path: Path) -> None:
    if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


NOBODY = (65534, 65534)
AS_NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


@contextmanager
def read_only(folder: Path, method: str) -> Iterator[None]:
    """Make ``folder`` read-only for the server: "bind-mount" (read-only for root too)
    or "chmod" (0555; only stops a server that does not run as root)."""
    if method == "chmod":
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    mount_or_skip("--bind", str(folder), str(folder))
    try:
        done = subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(folder)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"remounting {folder} read-only failed: {done.stderr.strip()}")
        yield
    finally:
        umount(folder)


# --- SIGKILL in the middle of writes --------------------------------------------------


def _big_inputs() -> list[np.ndarray]:
    """Large values whose exact PNGs are 10-25 MB (writes that take a while)."""
    rng = np.random.default_rng(3)
    photo = conversions.to_numpy(sample("uint16_rgb"))  # 96×128 uint16 RGB, noise
    tile = np.tile(photo, (12, 16, 1))  # 1152×2048
    return [
        np.tile((photo >> 8).astype(np.uint8), (22, 30, 1))[:2160, :3840],
        tile,
        (tile / 65535.0 + rng.normal(0, 0.001, tile.shape)).astype(np.float32)[
            :768, :1024
        ],
    ]


# Runs in its own process (free of this one's GIL): SIGKILLs the server as soon as
# a temporary file shows up in a value folder, i.e. while a write is under way.
_KILL_ON_WRITE = r"""
import os, signal, sys, time
root, pid, limit = sys.argv[1], int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
known = set(os.listdir(root)) if os.path.isdir(root) else set()
fresh = []
while time.monotonic() < limit:
    try:
        names = os.listdir(root)
    except OSError:
        names = []
    fresh = ([n for n in names if n not in known] + fresh)[:16]
    known.update(names)
    for folder in fresh:
        try:
            names = os.listdir(os.path.join(root, folder))
            temps = [f for f in names if f.startswith(".")]
        except OSError:
            continue
        if temps:
            os.kill(pid, signal.SIGKILL)
            print(os.path.join(folder, temps[0]))
            sys.exit(0)
sys.exit(1)
"""


def test_sigkill_during_writes_leaves_no_partial_file_and_values_stay_exact() -> None:
    work = Path(tempfile.mkdtemp(prefix="gl-kill-"))
    server = server_for(work / "cache")
    root = work / "cache" / "lossless"
    inputs = _big_inputs()
    uploads = []
    for i, value in enumerate(inputs):
        path = work / f"in{i}.png"
        path.write_bytes(exact.encode(value, exact.server_keys()))
        uploads.append(path)
    # (downloaded copy, expected fingerprint, expected address)
    served: list[tuple[str, str, str]] = []
    lock = threading.Lock()
    rounds: list[dict[str, Any]] = []
    try:
        server.start()
        # 4 clients post big images the function modifies (new files every request).
        # Round 1 kills at a random moment; later rounds at a random moment too, but
        # only once a write is seen under way; stop after a kill that hit a write.
        for round_ in range(5):
            stop = threading.Event()

            def user(
                u: int, url: str, stop: threading.Event = stop, r: int = round_
            ) -> None:
                from gradio_client import Client

                client = Client(
                    url,
                    verbose=False,
                    ssl_verify=False,
                    download_files=str(work / f"dl{u}"),
                )
                k = 10_000 * r + 1000 * u
                while not stop.is_set():
                    k += 1
                    src = u % len(inputs)
                    try:
                        out = client.submit(
                            handle_file(uploads[src]), str(k), api_name="/modify"
                        ).result(60)
                    except Exception:  # the server was killed
                        return
                    keep = work / "served" / f"{k}.png"
                    keep.parent.mkdir(exist_ok=True)
                    shutil.copyfile(out, keep)
                    Path(out).unlink()
                    value = modify(inputs[src], str(k))
                    want = conversions.fingerprint(value)
                    address = exact.server_keys().address(value)
                    with lock:
                        served.append((str(keep), want, address))

            before = len(served)
            threads = [
                threading.Thread(target=user, args=(u, server.url)) for u in range(4)
            ]
            for t in threads:
                t.start()
            # let requests flow first (on a loaded machine the clients take a
            # while to connect), then kill at a random moment
            deadline = time.monotonic() + 90
            while len(served) <= before and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(random.uniform(0.2, 2.0))
            hit = None
            if round_ > 0:
                watcher = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        _KILL_ON_WRITE,
                        str(root),
                        str(server.pid),
                        "20",
                    ],
                    capture_output=True,
                    text=True,
                )
                hit = watcher.stdout.strip() or None
            server.kill()  # SIGKILL (a no-op if the watcher already did it)
            stop.set()
            for t in threads:
                t.join(90)
            assert not any(t.is_alive() for t in threads)
            counts: dict[str, Any] = {
                "killed_during_write": hit,
                **check_store_files(root),
            }
            rounds.append(counts)
            server.start()  # same GRADIO_TEMP_DIR, new process
            if counts["leftover_temporary"] and served:  # a write was hit, and
                break  # values served before a kill can be checked
        print(f"\nkill rounds: {rounds}; {len(served)} values served before the kills")
        assert served, "no request finished before a kill"
        assert any(r["leftover_temporary"] for r in rounds), "no kill hit a write"

        client = server.client()
        for path, want, address in random.sample(served, min(12, len(served))):
            # the downloaded file, uploaded again through the restarted server
            assert (
                client.predict(handle_file(path), api_name="/fingerprint_numpy") == want
            )
            assert conversions.fingerprint(gl.read(path)) == want
            # the server's own path, sent back as a browser would (no upload)
            stored = root / address / "image.png"
            event, data = call_raw(server.url, "fingerprint_numpy", [file_data(stored)])
            assert (event, data) == ("complete", [want])
        # and it keeps writing new values; the store's files are all still whole
        out = client.predict(handle_file(uploads[0]), "7", api_name="/modify")
        assert conversions.values_equal(gl.read(out), modify(inputs[0], "7"))
        check_store_files(root)
    finally:
        server.stop()
        server.log_path.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)


# --- read-only cache folder -----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "strerror"),
    # a second variant (chmod 0555, server run as nobody via setpriv) cannot run on
    # these machines: Python lives under /root (0700), so nobody cannot import
    # gradio; it is left out rather than counted as a skip
    [("bind-mount", "Read-only file system")],
)
def test_read_only_cache_gives_a_clear_error_and_stored_values_still_serve(
    method: str, strerror: str
) -> None:
    work = Path(tempfile.mkdtemp(prefix="gl-ro-"))
    as_user = None
    if method == "chmod":  # as root chmod stops nothing: serve as nobody
        if os.geteuid() != 0 or shutil.which("setpriv") is None:
            pytest.skip("running the server as nobody needs root and setpriv")
        probe = subprocess.run(
            [*AS_NOBODY, sys.executable, "-c", "import gradio"],
            capture_output=True,
            text=True,
        )
        if probe.returncode != 0:
            last = (probe.stderr.strip().splitlines() or ["?"])[-1]
            pytest.skip(
                f"user nobody cannot import gradio from {sys.executable} ({last}): "
                "the Python installation is not readable by other users"
            )
        as_user = NOBODY
        work.chmod(0o755)
        (work / "cache").mkdir()
        os.chown(work / "cache", *NOBODY)
    try:
        with server_for(work / "cache", show_error=False, as_user=as_user) as server:
            client = server.client()
            want = sample("float32_rgb")
            served = client.predict("float32_rgb", api_name="/make")
            store = work / "cache" / "lossless"
            fp = conversions.fingerprint(want)
            address = exact.server_keys().address(want)
            with read_only(store, method):
                # a new value needs a write: a clear error, per request
                for k in ("1", "2"):
                    with pytest.raises(Exception, match="cannot write") as info:
                        client.predict(handle_file(served), k, api_name="/modify")
                    assert strerror in str(info.value)
                print(f"\nread-only cache ({method}), the user sees: {info.value}")
                # what is already stored still serves: pass-through and by path
                back = client.predict(handle_file(served), api_name="/numpy")
                assert conversions.values_equal(gl.read(back), want)
                event, data = call_raw(
                    server.url,
                    "fingerprint_numpy",
                    [file_data(store / address / "image.png")],
                )
                assert (event, data) == ("complete", [fp])
            # writable again: serving new values resumes
            out = client.predict(handle_file(served), "3", api_name="/modify")
            assert conversions.values_equal(gl.read(out), modify(want, "3"))
            assert check_store_files(store)["leftover_temporary"] == 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- full disk ------------------------------------------------------------------------


def test_full_disk_gives_a_clear_error_and_serving_resumes_when_space_frees() -> None:
    work = Path(tempfile.mkdtemp(prefix="gl-full-"))
    store = work / "cache" / "lossless"
    store.mkdir(parents=True)
    mount_or_skip("-t", "tmpfs", "-o", "size=48m", "tmpfs", str(store))
    try:
        with server_for(work / "cache", show_error=False) as server:
            client = server.client()
            want = sample("float32_rgb")
            served = client.predict("float32_rgb", api_name="/make")
            big = _big_inputs()[1]  # 1152×2048 uint16 RGB: a ~9 MB exact PNG
            big_file = work / "big.png"
            big_file.write_bytes(exact.encode(big, exact.server_keys()))
            # fill the disk, leaving less than one big file
            filler = store / "filler"
            free = shutil.disk_usage(store).free
            filler.write_bytes(b"\0" * (free - (1 << 20)))
            for k in ("1", "2"):
                with pytest.raises(Exception, match="cannot write") as info:
                    client.predict(handle_file(big_file), k, api_name="/modify")
                assert "No space left on device" in str(info.value)
            print(f"\nfull disk, the user sees: {info.value}")
            # what is already stored still serves
            back = client.predict(handle_file(served), api_name="/numpy")
            assert conversions.values_equal(gl.read(back), want)
            # space frees: serving new values resumes, and nothing partial was left
            filler.unlink()
            out = client.predict(handle_file(big_file), "3", api_name="/modify")
            assert conversions.values_equal(gl.read(out), modify(big, "3"))
            counts = check_store_files(store)
            assert counts["leftover_temporary"] == 0  # failed writes cleaned up
            assert counts["checked"] == 2  # the float32 sample and the last big one
    finally:
        umount(store)
        shutil.rmtree(work, ignore_errors=True)
