"""Type aliases shared across the package (aliases only, no logic)."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import PIL.Image

__all__ = ["ImageType", "ImageValue", "PixelArray"]

ImageType: TypeAlias = Literal["numpy", "pil", "filepath"]
PixelArray: TypeAlias = npt.NDArray[np.generic]
ImageValue: TypeAlias = "PixelArray | PIL.Image.Image"
