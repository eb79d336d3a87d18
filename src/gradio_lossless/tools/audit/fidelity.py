"""How far an image moved from the original: bit-exact, PSNR, SSIM.

Shared by the audit, the demo and ``scripts/make_figures.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import PIL.Image

__all__ = ["Array", "Fidelity", "compare", "default_image", "read_array", "to_array"]

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class Fidelity:
    """One hop's output compared with the original.

    Parameters:
        hop: the hop number, from 1.
        psnr: peak signal-to-noise ratio in dB, peak = the dtype's range; inf if exact.
        max_abs_error: largest absolute difference, in the image's units (uint8
            levels); on the 0-1 scale when the dtype changed (see :func:`compare`).
        bit_exact: True when dtype, shape and every value are identical.
        ssim: mean structural similarity (1.0 means identical), when asked for.
        note: what changed besides the values, e.g. "shape (4, 4, 3) -> (4, 4, 4)".

    When the shapes differ nothing can be compared: psnr, max_abs_error (and ssim)
    are nan.
    """

    hop: int
    psnr: float
    max_abs_error: float
    bit_exact: bool
    ssim: float | None = None
    note: str = ""


def _data_range(original: Array) -> float:
    if original.dtype == np.bool_:
        return 1.0
    if np.issubdtype(original.dtype, np.integer):
        info = np.iinfo(original.dtype)
        return float(info.max) - float(min(info.min, 0))
    span = (
        float(np.nanmax(original)) - float(np.nanmin(original)) if original.size else 0
    )
    return span if span > 0 else 1.0


def _unit_scale(image: Array) -> npt.NDArray[np.float64]:
    """An image on a 0-1 scale: integers divided by their dtype's largest value
    (uint8 255 and uint16 65535 both become 1.0), floats and bools as they are."""
    out = image.astype(np.float64)
    if np.issubdtype(image.dtype, np.integer):
        out /= float(np.iinfo(image.dtype).max)
    return out


def compare(
    original: Array, candidate: Array, *, hop: int = 0, ssim: bool = False
) -> Fidelity:
    """Compare a hop's output with the original, bit for bit and by PSNR (and SSIM).

    Parameters:
        original: the image fed into hop 1, as an array.
        candidate: the image after ``hop`` hops, as an array.
        hop: the hop number recorded in the result.
        ssim: also compute SSIM (``skimage.metrics.structural_similarity``; slower).
    Returns:
        A :class:`Fidelity`. PSNR comes from ``skimage.metrics.peak_signal_noise_ratio``
        with the original dtype's full range as peak (255 for uint8). When the dtype
        changed, both images are first put on their dtype's 0-1 scale (integers
        divided by the dtype's largest value; floats as they are) and the peak is 1,
        so uint8 255 and uint16 65535 and float 1.0 compare equal; the result is
        never bit-exact and its note names the change.
    """
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    if original.shape != candidate.shape:
        note = f"shape {original.shape} -> {candidate.shape}"
        return Fidelity(
            hop, math.nan, math.nan, False, math.nan if ssim else None, note
        )
    if original.dtype == candidate.dtype:
        if original.tobytes() == candidate.tobytes():
            return Fidelity(hop, math.inf, 0.0, True, 1.0 if ssim else None)
        note = ""
        a = original.astype(np.float64)
        b = candidate.astype(np.float64)
        peak = _data_range(original)
    else:  # compare on each dtype's own 0-1 scale (255 = 65535 = 1.0)
        note = f"dtype {original.dtype} -> {candidate.dtype}"
        a, b, peak = _unit_scale(original), _unit_scale(candidate), 1.0
    max_err = float(np.nanmax(np.abs(a - b))) if a.size else 0.0
    psnr = (
        math.inf
        if max_err == 0
        else float(peak_signal_noise_ratio(a, b, data_range=peak))
    )
    quality = None
    if ssim:
        channel_axis = -1 if a.ndim == 3 else None
        win = min(7, *a.shape[:2])
        win -= 1 - win % 2  # odd, as skimage requires
        quality = (
            float(
                structural_similarity(
                    a, b, data_range=peak, channel_axis=channel_axis, win_size=win
                )
            )
            if win >= 3
            else math.nan
        )
    return Fidelity(hop, psnr, max_err, False, quality, note)


def to_array(value: PIL.Image.Image | Array) -> Array:
    """An image value as an array for :func:`compare`: arrays as they are, PIL images
    as ``numpy.asarray`` gives them (palette images expanded to RGB/RGBA first)."""
    if isinstance(value, np.ndarray):
        return value
    if value.mode == "P":
        value = value.convert("RGBA" if "transparency" in value.info else "RGB")
    return np.asarray(value)


def read_array(path: str | Path) -> Array:
    """Read an image file as an array, exactly (our own files give back the exact
    value the app returned, including 16-bit and float arrays)."""
    from gradio_lossless.io import read

    return to_array(read(path))


def default_image() -> npt.NDArray[np.uint8]:
    """The embedded default: scikit-image's astronaut, 512x512 RGB uint8 (bundled
    with scikit-image, nothing is downloaded)."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut())
