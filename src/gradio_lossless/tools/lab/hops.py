"""Run one image through one setting for N hops and record every hop.

A hop encodes the current pixels and decodes them again; the decoded pixels are
the next hop's input, and every hop is measured against the original. This module
is the unit of parallel work: :func:`run_job` is called once per image x setting,
in a worker process, and returns a picklable :class:`Run`.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import PIL.Image

from gradio_lossless.tools.crops import Box, cut
from gradio_lossless.tools.lab.formats import FORMATS, LOSSLESS, Quality, decode, encode
from gradio_lossless.tools.lab.gradio_pipeline import COMPONENTS, Step, component_step
from gradio_lossless.tools.lab.metrics import Fidelity, Reference, measure
from gradio_lossless.tools.lab.samples import LabImage

__all__ = ["HopRecord", "Job", "Pipeline", "Run", "Setting", "run_job"]

Pipeline: TypeAlias = Literal["codec", "gradio", "lossless"]


@dataclass(frozen=True)
class Setting:
    """What an image is put through on every hop.

    Parameters:
        pipeline: "codec" (Pillow), "gradio" (gr.Image), "lossless" (gradio_lossless).
        format: format key from the codec table ("webp", "jpeg", ...).
        quality: 0-100, "lossless", or None (no knob, or a component's default).
    """

    pipeline: Pipeline
    format: str
    quality: Quality = None

    @property
    def label(self) -> str:
        """Short name: "webp q80", "png", "gr.Image webp", "gradio_lossless webp"."""
        if self.pipeline == "gradio":
            return f"gr.Image {self.format}"
        if self.pipeline == "lossless":
            return f"gradio_lossless {self.format}"
        if self.quality is None:
            return self.format
        if self.quality == LOSSLESS:
            return f"{self.format} lossless"
        return f"{self.format} q{self.quality}"

    @property
    def description(self) -> str:
        """What exactly runs: "Pillow WEBP quality=80", "gr.Image(format='webp')"."""
        if self.pipeline != "codec":
            return (
                f"{COMPONENTS[self.pipeline][2]}(type='numpy', format={self.format!r})"
            )
        spec = FORMATS[self.format]
        if self.quality is None:
            return f"Pillow {spec.pillow_format} (lossless)"
        if self.quality == LOSSLESS:
            return f"Pillow {spec.pillow_format} lossless=True"
        return f"Pillow {spec.pillow_format} quality={self.quality}"


@dataclass(frozen=True)
class HopRecord:
    """One hop of one image through one setting.

    Parameters:
        hop: 1 for the first encode/decode of the original.
        bytes: size of the encoded file (components: the file served to the browser).
        bits_per_pixel: 8 x bytes / (width x height).
        encode_ms: wall time of the encode (components: postprocess), milliseconds.
        decode_ms: wall time of the decode (components: preprocess), milliseconds.
        fidelity: this hop's decoded pixels against the original.
    """

    hop: int
    bytes: int
    bits_per_pixel: float
    encode_ms: float
    decode_ms: float
    fidelity: Fidelity


@dataclass(frozen=True, eq=False)
class Job:
    """One unit of parallel work.

    Parameters:
        index: position in the run, used to report progress.
        image: the image to measure.
        setting: what it is put through.
        hops: how many hops.
        crop: the region kept for the crop strip.
        crop_hops: the hops whose crop is kept.
        image_mode: the components' image_mode (component pipelines only).
    """

    index: int
    image: LabImage
    setting: Setting
    hops: int
    crop: Box
    crop_hops: tuple[int, ...]
    image_mode: str | None = "RGB"


@dataclass(frozen=True, eq=False)
class Run:
    """The outcome of one job.

    Parameters:
        image: the image's name.
        setting: the setting.
        hops: one record per completed hop.
        crops: (hop, pixels) for each kept crop; hop 0 is the original.
        error: why the run stopped early, or "" if it completed.
    """

    image: str
    setting: Setting
    hops: tuple[HopRecord, ...]
    crops: tuple[tuple[int, npt.NDArray[np.uint8]], ...] = field(repr=False)
    error: str = ""

    @property
    def last(self) -> HopRecord | None:
        """The last completed hop, or None if none completed."""
        return self.hops[-1] if self.hops else None


def reference_pixels(job: Job) -> npt.NDArray[np.uint8]:
    """The pixels each hop is compared with.

    For the codec pipeline this is the original. A component with an image_mode
    hands the app's function the original converted to that mode, so that
    conversion (for example RGBA to RGB dropping alpha) is the reference and only
    what the component loses beyond it counts as damage.

    Parameters:
        job: the job.
    Returns:
        HxWx3 or HxWx4 uint8 array.
    """
    pixels = job.image.pixels
    if job.setting.pipeline == "codec" or job.image_mode in (None, job.image.mode):
        return pixels
    converted = PIL.Image.fromarray(pixels).convert(job.image_mode)
    return np.asarray(converted, dtype=np.uint8)


def _codec_step(setting: Setting, mode: str) -> Step:
    spec = FORMATS[setting.format]

    def step(
        pixels: npt.NDArray[np.uint8],
    ) -> tuple[npt.NDArray[np.uint8], int, float, float]:
        start = time.perf_counter()
        data = encode(pixels, spec, setting.quality)
        middle = time.perf_counter()
        decoded = decode(data, mode=mode)
        return decoded, len(data), middle - start, time.perf_counter() - middle

    return step


# What a codec or component raises for a value it cannot take (Pillow's
# "cannot write mode RGBA as JPEG" is an OSError); the run records it and stops.
_EXPECTED = (OSError, ValueError, KeyError)


def run_job(job: Job, progress: Callable[[int, int], None] | None = None) -> Run:
    """Put one image through one setting for ``job.hops`` hops.

    Hop k's input is hop k-1's decoded output; every hop is measured against
    :func:`reference_pixels`. When a hop decodes to exactly the previous hop's
    pixels, the metrics are reused, since they are a function of those pixels.

    Parameters:
        job: what to run.
        progress: called as ``progress(job.index, hop)`` after each hop.
    Returns:
        A :class:`Run`; a codec error for this input ends it early, in ``error``.
    """
    spec = FORMATS[job.setting.format]
    crops = [(0, cut(job.image.pixels, job.crop))]
    if job.setting.pipeline == "codec" and job.image.mode == "RGBA" and not spec.alpha:
        reason = f"not measured: {spec.name} cannot store the alpha channel"
        return Run(job.image.name, job.setting, (), tuple(crops), reason)
    reference = Reference(reference_pixels(job))
    cache_dir = Path(tempfile.mkdtemp(prefix="gradio-lossless-lab-"))
    records: list[HopRecord] = []
    error = ""
    area = job.image.width * job.image.height
    try:
        if job.setting.pipeline == "codec":
            step = _codec_step(job.setting, job.image.mode)
        else:
            step = component_step(
                job.setting.pipeline,
                job.setting.format,
                image_mode=job.image_mode,
                cache_dir=cache_dir,
            )
        current = job.image.pixels
        previous: tuple[npt.NDArray[np.uint8], Fidelity] | None = None
        for hop in range(1, job.hops + 1):
            try:
                decoded, size, encode_s, decode_s = step(current)
                if previous is not None and np.array_equal(decoded, previous[0]):
                    fidelity = previous[1]
                else:
                    fidelity = measure(reference, decoded)
            except _EXPECTED as exc:
                error = f"hop {hop}: {type(exc).__name__}: {exc}"
                break
            records.append(
                HopRecord(
                    hop=hop,
                    bytes=size,
                    bits_per_pixel=8 * size / area,
                    encode_ms=1000 * encode_s,
                    decode_ms=1000 * decode_s,
                    fidelity=fidelity,
                )
            )
            if hop in job.crop_hops:
                crops.append((hop, cut(decoded, job.crop)))
            previous = (decoded, fidelity)
            current = decoded
            if progress is not None:
                progress(job.index, hop)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    return Run(job.image.name, job.setting, tuple(records), tuple(crops), error)
