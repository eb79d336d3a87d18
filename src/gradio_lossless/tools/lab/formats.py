"""The lab's codec table: which formats it can measure and how to reach them.

The table is data, in the imageio style: one frozen :class:`FormatSpec` per format,
with the Pillow format name, the quality knob, and the install command for an
optional plugin. :func:`availability` never raises for a missing plugin; it says
why the format is unavailable and how to install it.
"""

from __future__ import annotations

import importlib
import io
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import PIL.features
import PIL.Image

__all__ = [
    "FORMATS",
    "LOSSLESS",
    "Availability",
    "FormatSpec",
    "Quality",
    "availability",
    "decode",
    "encode",
]

LOSSLESS: Final = "lossless"
Quality: TypeAlias = "int | Literal['lossless'] | None"
"""An encoder setting: 0-100, the string ``"lossless"``, or None for a format
that has no quality knob (PNG)."""


@dataclass(frozen=True)
class FormatSpec:
    """One row of the codec table.

    Parameters:
        name: lowercase format key used on the command line ("webp").
        pillow_format: the name Pillow saves under ("WEBP").
        default_quality: Pillow's default (what gr.Image uses); None: no quality knob.
        has_lossless_mode: True if the encoder takes ``lossless=True``.
        alpha: True if the format stores an alpha channel.
        extension: file extension without the dot.
        plugin: module to import so Pillow can write the format, or None.
        install_hint: ready-to-paste command that makes the format available.
        extra: encoder options the lab always passes (documented in docs/lab.md).
    """

    name: str
    pillow_format: str
    default_quality: int | None
    has_lossless_mode: bool
    alpha: bool
    extension: str
    plugin: str | None = None
    install_hint: str | None = None
    extra: tuple[tuple[str, object], ...] = ()

    @property
    def lossy(self) -> bool:
        """True if the format has a quality knob (and so can lose information)."""
        return self.default_quality is not None


FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec("webp", "WEBP", 80, True, True, "webp"),
        FormatSpec("jpeg", "JPEG", 75, False, False, "jpg"),
        FormatSpec("png", "PNG", None, False, True, "png"),
        FormatSpec(
            "avif",
            "AVIF",
            75,
            False,
            True,
            "avif",
            install_hint="pip install 'pillow>=11.3'",
            # one encoder thread: the lab already runs one job per core, and a
            # single thread keeps timings comparable between formats.
            extra=(("max_threads", 1),),
        ),
        FormatSpec(
            "jxl",
            "JXL",
            90,
            True,
            True,
            "jxl",
            plugin="pillow_jxl",
            install_hint="pip install pillow-jxl-plugin",
        ),
    )
}


@dataclass(frozen=True)
class Availability:
    """Whether a format can be written here, and if not, why and how to fix it.

    Parameters:
        name: the format key, or the component's name.
        available: True if Pillow can encode and decode it in this environment.
        reason: why it is unavailable ("" when available).
        install_hint: command that makes it available ("" when available or unknown).
    """

    name: str
    available: bool
    reason: str = ""
    install_hint: str = ""


def availability(spec: FormatSpec) -> Availability:
    """Check whether Pillow can write ``spec`` here, importing its plugin if needed.

    Parameters:
        spec: the format to check.
    Returns:
        An :class:`Availability`; never raises for a missing plugin.
    """
    if spec.plugin is not None:
        try:
            importlib.import_module(spec.plugin)
        except ImportError:
            return Availability(
                spec.name,
                False,
                f"the {spec.plugin!r} plugin is not installed",
                spec.install_hint or "",
            )
    PIL.Image.init()
    # webp and avif are optional Pillow modules; the rest are always built in.
    ok = spec.pillow_format in PIL.Image.SAVE
    if spec.name in PIL.features.modules:
        ok = ok and bool(PIL.features.check_module(spec.name))
    if ok:
        return Availability(spec.name, True)
    return Availability(
        spec.name,
        False,
        f"Pillow {PIL.__version__} was built without {spec.pillow_format} support",
        spec.install_hint or "",
    )


def _save_options(spec: FormatSpec, quality: Quality) -> dict[str, object]:
    options: dict[str, object] = dict(spec.extra)
    if quality == LOSSLESS:
        options["lossless"] = True
    elif isinstance(quality, int):
        options["quality"] = quality
    return options


def encode(pixels: npt.NDArray[np.uint8], spec: FormatSpec, quality: Quality) -> bytes:
    """Encode an 8-bit RGB or RGBA array with Pillow.

    Parameters:
        pixels: HxWx3 or HxWx4 uint8 array.
        spec: the format to write.
        quality: 0-100, "lossless", or None for formats without a quality knob.
    Returns:
        The encoded file's bytes.
    """
    buffer = io.BytesIO()
    PIL.Image.fromarray(pixels).save(
        buffer, spec.pillow_format, **_save_options(spec, quality)
    )
    return buffer.getvalue()


def decode(data: bytes, *, mode: str) -> npt.NDArray[np.uint8]:
    """Decode a file's bytes with Pillow into an 8-bit array of the given mode.

    A decoder that returns no alpha channel for an RGBA original (JPEG, or an
    encoder that dropped a fully opaque alpha plane) is read as fully opaque,
    which is what Pillow's ``convert("RGBA")`` does.

    Parameters:
        data: the encoded file.
        mode: "RGB" or "RGBA", the mode of the original image.
    Returns:
        HxWx3 or HxWx4 uint8 array.
    """
    with PIL.Image.open(io.BytesIO(data)) as image:
        image.load()
        converted = image if image.mode == mode else image.convert(mode)
        return np.asarray(converted, dtype=np.uint8)
