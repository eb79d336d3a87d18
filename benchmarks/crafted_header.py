"""The issue-11 crafted header (a 354 KB PNG whose glMD claims float64 9459×9459×4
over a full-size 9459×9459 RGBA IDAT) sent to a server with default settings:
server RSS growth and time.

    python -m benchmarks.crafted_header

The MAC fails, so the file is a plain upload of its visible image (358 MB decoded,
under the default 512 MiB cap), as stock Gradio would read it.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from gradio_client import handle_file

from benchmarks.server_process import ServerProcess, proc_status_kib
from tests.security import craft

BIG = (9459, 9459, 4)


def main() -> None:
    data = craft.forged_idat_header(craft.zero_png(BIG[1], BIG[0]), "float64", BIG)
    file = Path(tempfile.mkdtemp()) / "header.png"
    file.write_bytes(data)
    with ServerProcess("tests.security.apps:security_app", tempfile.mkdtemp()) as s:
        client = s.client()
        client.predict("uint8_rgb", api_name="/make")  # warm
        base = (proc_status_kib(s.pid, "VmRSS") or 0) / 1024
        peak, stop = [base], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                rss = (proc_status_kib(s.pid, "VmRSS") or 0) / 1024
                peak[0] = max(peak[0], rss)
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        start = time.perf_counter()
        for api in ("/digest_numpy", "/numpy"):
            try:
                print(api, "->", str(client.predict(handle_file(file), api_name=api)))
            except Exception as exc:
                print(api, "error:", exc)
        seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
        end = (proc_status_kib(s.pid, "VmRSS") or 0) / 1024
    print(
        f"file {len(data) / 1000:.0f} KB; server RSS +{peak[0] - base:.0f} MB peak, "
        f"+{end - base:.0f} MB after; {seconds:.1f} s for both calls"
    )


if __name__ == "__main__":
    main()
