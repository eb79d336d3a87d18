"""The generation-loss lab: what each codec does to an image over many hops.

``gradio-lossless lab`` (see :mod:`gradio_lossless.tools.lab.command`) is the front
door. Modules, in the order data flows through them:

    samples   the images (embedded default set, or the user's files)
    formats   the codec table (Pillow formats, plugins, install hints)
    options   command-line values -> checked configuration
    metrics   PSNR, SSIM, max error, CIEDE2000 via scikit-image
    hops      one image x one setting x N hops (codec or component)
    gradio_pipeline  one hop through the real gr.Image / gradio_lossless.Image
    runner    plan the jobs and run them on all cores
    recommend the cheapest setting meeting the user's constraints
    results   the JSON document
    table     the terminal table
    plots     matplotlib figures
    report    the self-contained HTML report
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gradio_lossless.tools.lab.runner import LabConfig, LabResult, run_lab
    from gradio_lossless.tools.lab.samples import LabImage, default_images, load_images

__all__ = [
    "LabConfig",
    "LabImage",
    "LabResult",
    "default_images",
    "load_images",
    "run_lab",
]

# Imported on first use: the CLI imports lab.command for every subcommand, and
# the measuring modules pull in scikit-image.
_HOMES = {
    "LabConfig": "runner",
    "LabResult": "runner",
    "run_lab": "runner",
    "LabImage": "samples",
    "default_images": "samples",
    "load_images": "samples",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_HOMES[name]}")
    return getattr(module, name)
