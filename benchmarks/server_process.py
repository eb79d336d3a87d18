"""A Gradio app served by a separate Python process on 127.0.0.1.

Used by the soak (``benchmarks/soak.py``) and the reliability tests: a process of its
own has its own memory, can be SIGKILLed and restarted on the same cache folder, and
its peak RSS can be read from ``/proc``.

    with ServerProcess("benchmarks.soak:build_app", cache_dir) as server:
        client = server.client()
        ...

The child runs ``python -m benchmarks.server_process --app MODULE:FUNC --port N``
with ``GRADIO_TEMP_DIR=cache_dir``; ``MODULE:FUNC`` returns a ``gr.Blocks``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["REPO", "ServerProcess", "free_port", "proc_status_kib", "tree_bytes"]

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_status_kib(pid: int, field: str) -> int | None:
    """A ``/proc/<pid>/status`` field in KiB (``VmRSS``, ``VmHWM``), or None."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def tree_bytes(root: str | Path) -> int:
    """Bytes of the regular files under ``root`` (files that vanish are skipped),
    each file once: a second name (hard link) of a file adds nothing, as on disk."""
    total = 0
    seen: set[tuple[int, int]] = set()
    stack = [str(root)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    if st.st_nlink > 1:
                        if (st.st_dev, st.st_ino) in seen:
                            continue
                        seen.add((st.st_dev, st.st_ino))
                    total += st.st_size
            except OSError:
                continue
    return total


class ServerProcess:
    """Serve ``app`` ("module:function" returning a gr.Blocks) in a child process.

    Parameters:
        app: the app factory, importable from the repository root.
        cache_dir: the child's GRADIO_TEMP_DIR (kept across ``restart``).
        env: extra environment variables for the child.
        show_error: passed to ``launch``.
        max_threads: passed to ``launch`` (Gradio's thread pool for sync functions).
        as_user: run the child as this (uid, gid) via setpriv, e.g. (65534, 65534).
        stats: have the child record its memory figures every second (``stats()``).
    """

    def __init__(
        self,
        app: str,
        cache_dir: str | Path,
        *,
        env: dict[str, str] | None = None,
        show_error: bool = True,
        max_threads: int = 64,
        as_user: tuple[int, int] | None = None,
        stats: bool = False,
    ) -> None:
        self.app = app
        self.cache_dir = Path(cache_dir)
        self.extra_env = dict(env or {})
        self.show_error = show_error
        self.max_threads = max_threads
        self.as_user = as_user
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="gl-server-", suffix=".log")[1])
        self.stats_path: Path | None = None
        if stats:
            self.stats_path = Path(
                tempfile.mkstemp(prefix="gl-server-", suffix=".jsonl")[1]
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 90.0) -> ServerProcess:
        """Start the child and wait until it answers HTTP."""
        import httpx

        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            GRADIO_TEMP_DIR=str(self.cache_dir),
            GRADIO_ANALYTICS_ENABLED="False",
            HF_HUB_OFFLINE="1",
            PYTHONPATH=os.pathsep.join(
                [str(REPO), *filter(None, [env.get("PYTHONPATH")])]
            ),
        )
        env.update(self.extra_env)
        if self.stats_path is not None:
            env["GL_SERVER_STATS"] = str(self.stats_path)
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.server_process",
            "--app",
            self.app,
            "--port",
            str(self.port),
            "--max-threads",
            str(self.max_threads),
        ]
        if not self.show_error:
            cmd.append("--hide-errors")
        if self.as_user is not None:
            uid, gid = self.as_user
            cmd = [
                "setpriv",
                f"--reuid={uid}",
                f"--regid={gid}",
                "--clear-groups",
                *cmd,
            ]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server {self.app!r} exited with {self.proc.returncode}:\n"
                    + self.log()[-4000:]
                )
            try:
                if (
                    httpx.get(self.url + "gradio_api/info", timeout=5).status_code
                    == 200
                ):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server {self.app!r} did not answer within {timeout} s")

    def stats(self) -> list[dict[str, Any]]:
        """The child's memory figures so far, one dict per second (see
        ``_record_stats``); empty unless started with ``stats=True``."""
        import json

        if self.stats_path is None:
            return []
        rows = []
        for line in self.stats_path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:  # a line being written
                continue
        return rows

    def log(self) -> str:
        """What the child printed so far."""
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the child (no cleanup runs in it) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        """Stop the child (SIGTERM, then SIGKILL after 10 s)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self) -> ServerProcess:
        """Stop (if running) and start again on the same cache folder (new port)."""
        self.stop()
        return self.start()

    def client(self, download_dir: str | Path | None = None) -> Any:
        """A gradio_client.Client for this server (plain http on loopback:
        ssl_verify=False spares building an SSL context for every file)."""
        from gradio_client import Client

        return Client(
            self.url,
            verbose=False,
            ssl_verify=False,
            download_files=str(download_dir or tempfile.mkdtemp(prefix="gl-dl-")),
        )

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)
        if self.stats_path is not None:
            self.stats_path.unlink(missing_ok=True)


def _record_stats(path: str, every: float = 1.0) -> None:
    """Append a JSON line to ``path`` every ``every`` seconds: the time, this
    process's RSS, the bytes the lossless stores hold in memory and the work budget's
    use (the soak's memory figures)."""
    import json
    import threading

    from gradio_lossless.store.memory import work_budget
    from gradio_lossless.store.store import memory_held

    def loop() -> None:
        with open(path, "a", encoding="utf-8") as out:
            while True:
                budget = work_budget()
                line = {
                    "t": time.time(),
                    "rss_kib": proc_status_kib(os.getpid(), "VmRSS"),
                    "held_bytes": memory_held(),
                    "work_bytes": budget.in_use,
                    "work_peak_bytes": budget.peak,
                    "work_waits": budget.waits,
                }
                out.write(json.dumps(line) + "\n")
                out.flush()
                time.sleep(every)

    threading.Thread(target=loop, name="gl-stats", daemon=True).start()


def _serve(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="serve a Gradio app on 127.0.0.1")
    parser.add_argument(
        "--app", required=True, help="module:function returning gr.Blocks"
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--max-threads", type=int, default=64)
    parser.add_argument("--hide-errors", action="store_true")
    args = parser.parse_args(argv)
    module, _, func = args.app.partition(":")
    demo = getattr(importlib.import_module(module), func)()
    if os.environ.get("GL_SERVER_STATS"):
        _record_stats(os.environ["GL_SERVER_STATS"])
    demo.launch(
        server_name="127.0.0.1",
        server_port=args.port,
        quiet=True,
        show_error=not args.hide_errors,
        max_threads=args.max_threads,
    )


if __name__ == "__main__":
    _serve()
