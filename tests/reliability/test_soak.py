"""A short soak: 8 concurrent gradio_client users hop images for 30 s through a
real server process; zero errors, every value bit-exact (issue 7, item 1).

The full run is ``python -m benchmarks.soak --users 16 --seconds 300``.
"""

from __future__ import annotations

import os

import pytest

from benchmarks.soak import run_soak

pytestmark = pytest.mark.e2e

USERS = int(os.environ.get("SOAK_USERS", "8"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "30"))


@pytest.mark.timeout(SECONDS + 240)
def test_short_soak_has_zero_errors_and_every_value_is_bit_exact() -> None:
    result = run_soak(users=USERS, seconds=SECONDS)
    print()
    print(result.summary())
    assert result.messages == []
    assert result.errors == 0
    assert result.inexact == 0
    assert result.hops >= USERS  # every user got through at least one hop
    assert set(result.by_endpoint) == {"numpy", "pil", "gallery"}
    assert result.store_bytes > 0
