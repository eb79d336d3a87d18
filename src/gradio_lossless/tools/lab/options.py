"""Parse the lab's command-line values into checked configuration.

Each parser raises ``ValueError`` with a one-line message naming the option, the
bad value and what is accepted; the command turns that into exit code 2.
"""

from __future__ import annotations

import math

from gradio_lossless.tools.lab.formats import FORMATS, LOSSLESS, Quality

__all__ = ["parse_formats", "parse_pipelines", "parse_qualities", "parse_threshold"]

PIPELINES = ("codec", "gradio")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_formats(text: str) -> tuple[str, ...]:
    """Parse ``--formats``, e.g. "webp,jpeg,png,avif".

    Parameters:
        text: comma-separated format keys.
    Returns:
        The keys, lowercased, duplicates removed, order kept.
    Raises:
        ValueError: for an unknown or empty list.
    """
    names: list[str] = []
    for raw in _split(text):
        name = raw.lower()
        if name == "jpg":
            name = "jpeg"
        if name not in FORMATS:
            choices = ", ".join(sorted(FORMATS))
            raise ValueError(
                f"--formats: unknown format {raw!r} (choose from {choices})"
            )
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError(f"--formats: no format given in {text!r}")
    return tuple(names)


def parse_pipelines(text: str) -> tuple[str, ...]:
    """Parse ``--pipeline``, e.g. "gradio" or "codec,gradio".

    Parameters:
        text: comma-separated pipeline names.
    Returns:
        The names in canonical order.
    Raises:
        ValueError: for an unknown or empty list.
    """
    names = {name.lower() for name in _split(text)}
    unknown = sorted(names - set(PIPELINES))
    if unknown or not names:
        raise ValueError(
            f"--pipeline: unknown pipeline {(unknown or [text])[0]!r} "
            f"(choose from {', '.join(PIPELINES)}, or both comma-separated)"
        )
    return tuple(name for name in PIPELINES if name in names)


def _quality(raw: str, option: str) -> Quality:
    if raw.lower() == LOSSLESS:
        return LOSSLESS
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(
            f"{option}: invalid quality {raw!r} (expected 0-100 or 'lossless')"
        ) from None
    if not 0 <= value <= 100:
        raise ValueError(f"{option}: quality {value} is out of range (expected 0-100)")
    return value


def parse_qualities(
    text: str | None, formats: tuple[str, ...]
) -> tuple[tuple[str, tuple[Quality, ...]], ...]:
    """Parse ``--quality`` into the settings to try for each format.

    Entries are comma-separated. A bare entry ("80", "lossless") applies to every
    lossy format that accepts it; "FORMAT=Q" ("webp=90", "webp=lossless") applies
    to that format only and replaces the bare entries for it. A lossy format with
    no entry uses Pillow's default quality, which is what gr.Image uses; PNG has
    no quality knob and is always lossless.

    Parameters:
        text: the option's value, or None when not given.
        formats: the formats being measured.
    Returns:
        (format, qualities) pairs in the order of ``formats``.
    Raises:
        ValueError: malformed entry, unknown format, quality for PNG, bad lossless.
    """
    option = "--quality"
    shared: list[Quality] = []
    own: dict[str, list[Quality]] = {}
    for entry in _split(text or ""):
        if "=" in entry:
            name, _, raw = (part.strip() for part in entry.partition("="))
            name = "jpeg" if name.lower() == "jpg" else name.lower()
            if name not in formats:
                raise ValueError(
                    f"{option}: {entry!r} names format {name!r}, which is not in "
                    f"--formats ({', '.join(formats)})"
                )
            spec = FORMATS[name]
            quality = _quality(raw, option)
            if not spec.lossy:
                raise ValueError(
                    f"{option}: {name} is always lossless and takes no quality"
                )
            if quality == LOSSLESS and not spec.has_lossless_mode:
                raise ValueError(f"{option}: {name} has no lossless mode")
            own.setdefault(name, []).append(quality)
        else:
            shared.append(_quality(entry, option))
    if LOSSLESS in shared and not any(FORMATS[n].has_lossless_mode for n in formats):
        raise ValueError(
            f"{option}: 'lossless' applies to none of {', '.join(formats)} "
            "(webp and jxl have a lossless mode)"
        )
    result = []
    for name in formats:
        spec = FORMATS[name]
        if not spec.lossy:
            chosen: list[Quality] = [None]
        elif name in own:
            chosen = own[name]
        else:
            usable = [q for q in shared if q != LOSSLESS or spec.has_lossless_mode]
            chosen = usable or [spec.default_quality]
        result.append((name, tuple(dict.fromkeys(chosen))))
    return tuple(result)


def parse_threshold(text: str, option: str, *, hops: int) -> tuple[float, int]:
    """Parse a quality threshold "VALUE" or "VALUE@HOP", e.g. "40" or "40@10".

    Parameters:
        text: the option's value.
        option: the option's name, for messages.
        hops: the run's hop count; the default hop and the upper bound.
    Returns:
        (value, hop); the hop defaults to the last one.
    Raises:
        ValueError: for a malformed value or a hop outside 1..hops.
    """
    raw_value, _, raw_hop = text.partition("@")
    try:
        value = float(raw_value)
        hop = int(raw_hop) if raw_hop else hops
    except ValueError:
        raise ValueError(
            f"{option}: invalid value {text!r} (expected a number, optionally @HOP, "
            "e.g. 40 or 40@10)"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"{option}: {text!r} is not a finite number")
    if not 1 <= hop <= hops:
        raise ValueError(f"{option}: hop {hop} is outside this run's hops 1..{hops}")
    return value, hop
