"""The public namespace: complete, sorted, and light to import."""

from __future__ import annotations

import subprocess
import sys

import gradio_lossless


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert gradio_lossless.__all__ == sorted(gradio_lossless.__all__)
    for name in gradio_lossless.__all__:
        assert getattr(gradio_lossless, name) is not None


def test_layers_below_components_never_import_gradio() -> None:
    code = (
        "import sys, gradio_lossless, gradio_lossless.cli\n"
        "from gradio_lossless import conversions, store, io, errors\n"
        "from gradio_lossless.codecs import container, fast_png\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'gradio')\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
