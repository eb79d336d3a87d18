"""The images the lab measures: the embedded default set, or the user's files.

The default set is built on the spot, nothing is fetched: a photo
(``skimage.data.astronaut``, bundled with scikit-image), text and line art and a
smooth gradient (both drawn here with numpy and Pillow's built-in bitmap font, so
they are identical on every machine), and a photo with a soft alpha cut-out
(``skimage.data.chelsea`` plus a generated alpha channel).

Every image becomes an 8-bit RGB or RGBA array. Files that cannot be read are
returned as :class:`Skipped` with the reason, never raised.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont
import PIL.ImageOps
import skimage.data

from gradio_lossless.tools.lab.metrics import MIN_SIDE

__all__ = ["LabImage", "Skipped", "default_images", "load_images"]

_UNREADABLE = (
    OSError,  # missing, directory, permission, unidentified, truncated
    ValueError,
    SyntaxError,  # some Pillow plugins report a broken header this way
    EOFError,
    struct.error,
    PIL.Image.DecompressionBombError,
)


@dataclass(frozen=True, eq=False)
class LabImage:
    """An image to measure.

    Parameters:
        name: short unique name used in tables, plots and file names.
        source: where it came from (a path, or the embedded recipe).
        pixels: HxWx3 or HxWx4 uint8 array.
        note: conversions applied on load ("" if none).
    """

    name: str
    source: str
    pixels: npt.NDArray[np.uint8] = field(repr=False)
    note: str = ""

    @property
    def mode(self) -> str:
        """ "RGB" or "RGBA"."""
        return "RGBA" if self.pixels.shape[2] == 4 else "RGB"

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.pixels.shape[0])


@dataclass(frozen=True)
class Skipped:
    """A file that was not measured.

    Parameters:
        path: the path as the user gave it.
        reason: one line saying why.
    """

    path: str
    reason: str


def _line_art() -> npt.NDArray[np.uint8]:
    font = PIL.ImageFont.load_default_imagefont()
    small = PIL.Image.new("RGB", (192, 128), "white")
    draw = PIL.ImageDraw.Draw(small)
    draw.text((6, 4), "Generation loss lab 0123456789", fill="black", font=font)
    draw.text((6, 18), "The quick brown fox jumps", fill=(40, 40, 40), font=font)
    draw.rectangle((0, 34, 191, 52), fill=(20, 40, 200))
    draw.text((6, 38), "red on blue: chroma loss", fill=(230, 20, 20), font=font)
    draw.text((6, 58), "thin lines, checkers, hatching:", fill="black", font=font)
    big = np.array(small.resize((384, 256), PIL.Image.Resampling.NEAREST))
    # 1-pixel details drawn at full resolution, where codecs hurt them most
    for i, colour in enumerate([(0, 0, 0), (255, 0, 0), (0, 160, 0), (0, 0, 255)]):
        big[150 + 6 * i, 12:372] = colour
    big[182:214, 12:76] = 255 * ((np.indices((32, 64)).sum(axis=0) % 2)[..., None])
    yy, xx = np.indices((64, 120))
    hatch = ((xx + yy) % 5 == 0) | ((xx - yy) % 7 == 0)
    big[182:246, 96:216][hatch] = (200, 0, 160)
    big[182:246, 236:372] = (250, 250, 250)
    big[182:246:4, 236:372] = (0, 90, 200)
    return big


def _gradient() -> npt.NDArray[np.uint8]:
    height, width = 256, 384
    y = np.linspace(0.0, 1.0, height)[:, None, None]
    x = np.linspace(0.0, 1.0, width)[None, :, None]
    top = np.array([18, 32, 92]) * (1 - x) + np.array([40, 120, 190]) * x
    bottom = np.array([250, 170, 90]) * (1 - x) + np.array([200, 80, 120]) * x
    return np.rint(top * (1 - y) + bottom * y).astype(np.uint8)


def _alpha_cutout() -> npt.NDArray[np.uint8]:
    rgb = skimage.data.chelsea()
    height, width = rgb.shape[:2]
    yy, xx = np.indices((height, width), dtype=np.float64)
    radius = np.hypot(
        (xx - width / 2) / (width * 0.42), (yy - height / 2) / (height * 0.42)
    )
    alpha = np.clip((1.15 - radius) / 0.3, 0.0, 1.0) * 255
    alpha[20:60, 20:120] = 0  # a hard-edged transparent window
    return np.dstack([rgb, np.rint(alpha).astype(np.uint8)])


def default_images() -> list[LabImage]:
    """Build the embedded default set; nothing is read from the network.

    Returns:
        photo (RGB), text and line art (RGB), gradient (RGB), photo with alpha (RGBA).
    """
    astronaut = skimage.data.astronaut()
    return [
        LabImage("photo", "skimage.data.astronaut() (bundled)", astronaut),
        LabImage("line-art", "generated: Pillow bitmap font, 1-px lines", _line_art()),
        LabImage("gradient", "generated: two-axis linear gradient", _gradient()),
        LabImage(
            "alpha",
            "skimage.data.chelsea() (bundled) + generated soft alpha",
            _alpha_cutout(),
        ),
    ]


def _has_alpha(image: PIL.Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )


def _to_array(image: PIL.Image.Image) -> tuple[npt.NDArray[np.uint8], str]:
    notes = []
    frames = getattr(image, "n_frames", 1)
    if frames > 1:
        notes.append(f"first of {frames} frames")
    image = PIL.ImageOps.exif_transpose(image)
    mode = "RGBA" if _has_alpha(image) else "RGB"
    if image.mode.startswith("I;16"):
        grey = (np.asarray(image).astype(np.uint16) >> 8).astype(np.uint8)
        image = PIL.Image.fromarray(grey)
        notes.append("16-bit values reduced to their top 8 bits")
    if image.mode != mode:
        notes.append(f"converted {image.mode} to {mode}")
        image = image.convert(mode)
    return np.array(image, dtype=np.uint8), "; ".join(notes)


def _unique(stem: str, taken: set[str]) -> str:
    name, n = stem, 2
    while name in taken:
        name, n = f"{stem}-{n}", n + 1
    taken.add(name)
    return name


def load_images(paths: Iterable[str | Path]) -> tuple[list[LabImage], list[Skipped]]:
    """Read the user's image files, skipping (not raising on) the ones that fail.

    Parameters:
        paths: files to read; order is kept.
    Returns:
        The images that loaded, and a :class:`Skipped` for each file that did not.
    """
    images: list[LabImage] = []
    skipped: list[Skipped] = []
    taken: set[str] = set()
    for path in paths:
        path = Path(path)
        try:
            with PIL.Image.open(path) as image:
                image.load()
                pixels, note = _to_array(image)
        except _UNREADABLE as exc:
            reason = (
                exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            )
            skipped.append(Skipped(str(path), f"{type(exc).__name__}: {reason}"))
            continue
        if min(pixels.shape[:2]) < MIN_SIDE:
            skipped.append(
                Skipped(
                    str(path),
                    f"{pixels.shape[1]}x{pixels.shape[0]} pixels is smaller than "
                    f"the {MIN_SIDE}x{MIN_SIDE} SSIM needs",
                )
            )
            continue
        images.append(LabImage(_unique(path.stem, taken), str(path), pixels, note))
    return images, skipped
