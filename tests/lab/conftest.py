"""Fixtures for the lab tests: small real images, so real runs stay fast."""

from __future__ import annotations

import numpy as np
import pytest

from gradio_lossless.tools.lab.samples import LabImage, default_images


@pytest.fixture(scope="session")
def defaults() -> list[LabImage]:
    """The embedded default set, built once."""
    return default_images()


@pytest.fixture(scope="session")
def small(defaults: list[LabImage]) -> list[LabImage]:
    """96x96 crops of the default set: same content and modes, far less time."""
    out = []
    for image in defaults:
        top = (image.height - 96) // 2
        left = (image.width - 96) // 2
        pixels = np.ascontiguousarray(image.pixels[top : top + 96, left : left + 96])
        out.append(LabImage(image.name, f"crop of {image.source}", pixels))
    return out


@pytest.fixture(scope="session")
def photo(defaults: list[LabImage]) -> LabImage:
    """The 512x512 astronaut, the photo of the default set."""
    return defaults[0]
