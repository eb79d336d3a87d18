"""A short soak: 8 concurrent gradio_client users hop images for 30 s through a
real server process; zero errors, every value bit-exact, and the server's RSS and
store stay under their limits (issue 7, items 1 and 2).

The limits are set low (64 MiB memory cache, 64 MiB store) so that 30 s of load
fills both and eviction runs, even on a loaded CI machine (one run there managed
112 hops: 56 MB on disk, which a 128 MiB store limit did not reach half of).
The full run is ``python -m benchmarks.soak --users 16 --seconds 300``.
"""

from __future__ import annotations

import os

import pytest

from benchmarks.soak import run_soak

pytestmark = pytest.mark.e2e

USERS = int(os.environ.get("SOAK_USERS", "8"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "30"))
MEMORY_BYTES = 64 << 20
DISK_BYTES = 64 << 20


@pytest.mark.timeout(SECONDS + 240)
def test_short_soak_is_exact_and_stays_under_its_memory_and_disk_limits() -> None:
    result = run_soak(
        users=USERS,
        seconds=SECONDS,
        server_env={
            "GRADIO_LOSSLESS_MEMORY_BYTES": str(MEMORY_BYTES),
            "GRADIO_LOSSLESS_DISK_BYTES": str(DISK_BYTES),
        },
    )
    print()
    print(result.summary())
    assert result.messages == []
    assert result.errors == 0
    assert result.inexact == 0
    assert result.hops >= USERS  # every user got through at least one hop
    assert set(result.by_endpoint) == {"numpy", "pil", "gallery"}
    # the memory cache filled up to its limit and no further
    assert result.memory_limit_bytes == MEMORY_BYTES
    assert MEMORY_BYTES * 0.75 < result.held_peak_bytes <= MEMORY_BYTES
    assert 0 < result.work_peak_bytes <= result.work_limit_bytes
    # peak RSS within idle + cache limit + work budget + 3 × value bytes in flight
    assert result.server_idle_rss_mb > 0 and result.in_flight_peak_bytes > 0
    assert result.server_peak_rss_mb <= result.rss_limit_mb
    # the store was written past its limit's low-water mark and stayed under it
    assert result.disk_limit_bytes == DISK_BYTES
    assert DISK_BYTES * 0.5 < result.store_peak_bytes <= DISK_BYTES
    assert result.ok
