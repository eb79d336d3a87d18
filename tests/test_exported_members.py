"""The public namespace: complete, sorted, and light to import."""

from __future__ import annotations

import gradio_lossless


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert gradio_lossless.__all__ == sorted(gradio_lossless.__all__)
    for name in gradio_lossless.__all__:
        assert getattr(gradio_lossless, name) is not None
