"""Fidelity of a decoded image against its original, via scikit-image.

No metric is hand-written: PSNR and SSIM come from ``skimage.metrics``, colour
difference from ``skimage.color.deltaE_ciede2000`` on ``skimage.color.rgb2lab``.
Only the maximum absolute error and the bit-exact flag are plain numpy.

Every metric runs on all channels the image has (RGB, or RGBA including alpha),
except CIEDE2000, which is defined on colour and uses RGB only. SSIM and
CIEDE2000 are computed in float32 (half the time of scikit-image's float64
default; the two agree to about 1e-6, far below the printed precision).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

__all__ = ["MIN_SIDE", "Fidelity", "Reference", "measure"]

MIN_SIDE = 7
"""The smallest width or height SSIM's default 7x7 window accepts, in pixels."""


@dataclass(frozen=True)
class Fidelity:
    """How close a decoded image is to the original.

    Parameters:
        psnr: peak signal-to-noise ratio over all channels, dB; inf when bit-exact.
        ssim: mean structural similarity, 1.0 means identical.
        max_abs_error: largest difference of any channel of any pixel, 8-bit levels.
        delta_e: mean CIEDE2000 colour difference (about 1 is just noticeable).
        bit_exact: True if every value of every pixel is identical.
    """

    psnr: float
    ssim: float
    max_abs_error: int
    delta_e: float
    bit_exact: bool


EXACT = Fidelity(psnr=math.inf, ssim=1.0, max_abs_error=0, delta_e=0.0, bit_exact=True)


class Reference:
    """An original image with the parts of its metrics that never change precomputed.

    Parameters:
        pixels: HxWx3 or HxWx4 uint8 array, at least 7x7.
    """

    def __init__(self, pixels: npt.NDArray[np.uint8]) -> None:
        if (
            pixels.dtype != np.uint8
            or pixels.ndim != 3
            or pixels.shape[2] not in (3, 4)
        ):
            raise ValueError(
                f"expected an HxWx3 or HxWx4 uint8 array, got shape {pixels.shape} "
                f"dtype {pixels.dtype}"
            )
        if min(pixels.shape[:2]) < MIN_SIDE:
            raise ValueError(
                f"image of {pixels.shape[1]}x{pixels.shape[0]} pixels is too small: "
                f"SSIM needs at least {MIN_SIDE}x{MIN_SIDE}"
            )
        self.pixels = pixels
        self._float = pixels.astype(np.float32)
        self._lab = _lab(pixels)


def _lab(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    rgb = pixels[..., :3].astype(np.float32) / np.float32(255)
    return rgb2lab(rgb).astype(np.float32, copy=False)  # type: ignore[no-any-return]


def measure(reference: Reference, candidate: npt.NDArray[np.uint8]) -> Fidelity:
    """Compare a decoded image with the original.

    Parameters:
        reference: the original, see :class:`Reference`.
        candidate: the decoded image, same shape and dtype as the original.
    Returns:
        A :class:`Fidelity`; exactly :data:`EXACT` when the arrays are identical.
    Raises:
        ValueError: if the shapes or dtypes differ.
    """
    original = reference.pixels
    if candidate.shape != original.shape or candidate.dtype != original.dtype:
        raise ValueError(
            f"cannot compare an image of shape {candidate.shape} dtype "
            f"{candidate.dtype} with an original of shape {original.shape} dtype "
            f"{original.dtype}"
        )
    if np.array_equal(candidate, original):
        return EXACT
    diff = np.abs(candidate.astype(np.int16) - original.astype(np.int16))
    return Fidelity(
        psnr=float(peak_signal_noise_ratio(original, candidate, data_range=255)),
        ssim=float(
            structural_similarity(
                reference._float,
                candidate.astype(np.float32),
                data_range=255,
                channel_axis=-1,
            )
        ),
        max_abs_error=int(diff.max()),
        delta_e=float(
            deltaE_ciede2000(reference._lab, _lab(candidate)).mean(dtype=np.float64)
        ),
        bit_exact=False,
    )
