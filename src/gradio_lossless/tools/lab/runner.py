"""Plan the lab's jobs and run them in parallel across cores.

Each image x setting is one job (the hops inside a job depend on each other and
run in order). Jobs run in a ``ProcessPoolExecutor`` using the "spawn" start
method, which is safe next to threads (rich's progress bar) on every platform;
workers report each finished hop through a queue so the progress bar moves per hop.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass

from gradio_lossless.tools.crops import CROP_SIZE, Box, choose_crop
from gradio_lossless.tools.lab.formats import (
    FORMATS,
    Availability,
    Quality,
    availability,
)
from gradio_lossless.tools.lab.gradio_pipeline import (
    COMPONENTS,
    ComponentKind,
    missing_reason,
)
from gradio_lossless.tools.lab.hops import Job, Run, Setting, run_job
from gradio_lossless.tools.lab.samples import LabImage, Skipped

__all__ = ["CROP_SIZE", "LabConfig", "LabResult", "choose_crop", "plan", "run_lab"]


@dataclass(frozen=True)
class LabConfig:
    """What to measure.

    Parameters:
        formats: format keys, in the order the user gave them.
        qualities: per format, the qualities to try (see ``options.parse_qualities``).
        pipelines: "codec" and/or "gradio" (gr.Image next to gradio_lossless.Image).
        hops: hops per image and setting, at least 1.
        image_mode: the components' image_mode; None keeps each image's own mode.
        workers: worker processes; 1 runs everything in this process.
    """

    formats: tuple[str, ...]
    qualities: tuple[tuple[str, tuple[Quality, ...]], ...]
    pipelines: tuple[str, ...] = ("codec",)
    hops: int = 50
    image_mode: str | None = "RGB"
    workers: int = 1

    @property
    def crop_hops(self) -> tuple[int, ...]:
        """The hops shown in the crop strip: 1, 10 and the last, when they exist."""
        return tuple(sorted({h for h in (1, 10, self.hops) if h <= self.hops}))


@dataclass(frozen=True, eq=False)
class LabResult:
    """Everything one lab run measured.

    Parameters:
        config: what was asked for.
        images: the images measured.
        skipped: files that were not measured, with the reason.
        unavailable: formats and components that could not be used here.
        runs: one per image x setting, in plan order.
        crops: the crop box of each image, by image name.
        elapsed_s: wall time of the measurement, in seconds.
    """

    config: LabConfig
    images: tuple[LabImage, ...]
    skipped: tuple[Skipped, ...]
    unavailable: tuple[Availability, ...]
    runs: tuple[Run, ...]
    crops: dict[str, Box]
    elapsed_s: float


def plan(config: LabConfig) -> tuple[list[Setting], list[Availability]]:
    """Turn the configuration into settings, leaving out what is not installed.

    Parameters:
        config: what to measure.
    Returns:
        The settings to run, and what was left out and why.
    """
    qualities = dict(config.qualities)
    settings: list[Setting] = []
    unavailable: list[Availability] = []
    usable: list[str] = []
    for name in config.formats:
        status = availability(FORMATS[name])
        if status.available:
            usable.append(name)
        else:
            unavailable.append(status)
    if "codec" in config.pipelines:
        for name in usable:
            settings += [Setting("codec", name, q) for q in qualities[name]]
    if "gradio" in config.pipelines:
        kinds: list[ComponentKind] = []
        for kind in ("gradio", "lossless"):
            reason = missing_reason(kind)
            if reason:
                unavailable.append(Availability(COMPONENTS[kind][2], False, reason))
            else:
                kinds.append(kind)
        settings += [Setting(kind, name) for name in usable for kind in kinds]
    return settings, unavailable


# Relative cost of one hop per megapixel, to start the slow jobs first.
_COST = {"avif": 4.0, "jxl": 4.0, "png": 2.5, "webp": 2.0, "jpeg": 1.0}

_progress_queue: multiprocessing.Queue[tuple[int, int]] | None = None


def _init_worker(progress: multiprocessing.Queue[tuple[int, int]]) -> None:
    global _progress_queue
    _progress_queue = progress


def _report(index: int, hop: int) -> None:
    if _progress_queue is not None:
        _progress_queue.put((index, hop))


def _run_in_worker(job: Job) -> Run:
    return run_job(job, _report)


def _execute(
    jobs: Sequence[Job], workers: int, advance: Callable[[int], None]
) -> list[Run]:
    done = [0] * len(jobs)

    def seen(index: int, hop: int) -> None:
        if hop > done[index]:
            advance(hop - done[index])
            done[index] = hop

    if workers <= 1:
        runs = [run_job(job, seen) for job in jobs]
    else:
        context = multiprocessing.get_context("spawn")
        progress: multiprocessing.Queue[tuple[int, int]] = context.Queue()
        results: dict[int, Run] = {}
        order = sorted(
            jobs,
            key=lambda j: -j.image.pixels.size * _COST.get(j.setting.format, 2.0),
        )
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(progress,),
        ) as pool:
            pending: dict[Future[Run], Job] = {
                pool.submit(_run_in_worker, job): job for job in order
            }
            while pending:
                finished, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                while True:
                    try:
                        seen(*progress.get_nowait())
                    except queue.Empty:
                        break
                for future in finished:
                    job = pending.pop(future)
                    results[job.index] = future.result()
        runs = [results[job.index] for job in jobs]
    for job in jobs:  # runs that stopped early still complete the bar
        seen(job.index, job.hops)
    return runs


def run_lab(
    images: Sequence[LabImage],
    config: LabConfig,
    *,
    skipped: Sequence[Skipped] = (),
    on_start: Callable[[int], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> LabResult:
    """Measure every image under every available setting.

    Parameters:
        images: the images.
        config: what to measure.
        skipped: files already left out while loading, carried into the result.
        on_start: called once with the total number of hops before work starts.
        advance: called with the number of hops just finished.
    Returns:
        A :class:`LabResult`; runs are in the order image, then setting.
    """
    settings, unavailable = plan(config)
    crops = {image.name: choose_crop(image.pixels) for image in images}
    jobs = [
        Job(
            index=i,
            image=image,
            setting=setting,
            hops=config.hops,
            crop=crops[image.name],
            crop_hops=config.crop_hops,
            image_mode=config.image_mode,
        )
        for i, (image, setting) in enumerate(
            (image, setting) for image in images for setting in settings
        )
    ]
    if on_start is not None:
        on_start(sum(job.hops for job in jobs))
    start = time.perf_counter()
    runs = _execute(jobs, config.workers, advance or (lambda n: None))
    return LabResult(
        config=config,
        images=tuple(images),
        skipped=tuple(skipped),
        unavailable=tuple(unavailable),
        runs=tuple(runs),
        crops=crops,
        elapsed_s=time.perf_counter() - start,
    )
