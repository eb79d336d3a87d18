"""A pytest plugin for the run of Gradio's own tests under the patch:
``pytest -p tests.gradio_suite.patch_plugin ...``.

It calls ``gradio_lossless.patch()`` before any conftest or test module is imported,
as an app would before building its interface, and names what ``gr.Image`` and
``gr.Gallery`` are in the header, so the caller can tell the patch was on.
"""

from __future__ import annotations

from typing import Any


def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    import gradio_lossless

    gradio_lossless.patch()


def pytest_report_header(config: Any) -> str:
    import gradio as gr

    return (
        "gradio-lossless patch(): "
        f"gr.Image is {gr.Image.__module__}.{gr.Image.__qualname__}, "
        f"gr.Gallery is {gr.Gallery.__module__}.{gr.Gallery.__qualname__}"
    )
