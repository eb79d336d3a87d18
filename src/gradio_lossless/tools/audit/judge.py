"""How the audit judges a chain of hops: which judgement applies, and the verdict.

Three judgements, chosen from hop 1:

- **identity**: hop 1 returned the original bit-exact, so the endpoint passes images
  through, and every hop is compared with the original (any difference is a loss).
- **near-identity**: hop 1 came back in a lossy format and close to the original
  (same shape, PSNR at least ``NEAR_IDENTITY_DB``): most likely a pass-through behind
  a lossy codec. Every hop is compared with the original; the drift it shows is the
  transport's loss plus whatever small change the function itself makes.
- **non-identity**: the endpoint changes the image. Its output cannot be predicted,
  so nothing is compared with the original. Each hop is judged by what the app
  served (a lossy format; a dtype narrowed from what was fed in) and by a hop-to-hop
  check that assumes no identity: the same input is uploaded twice, and the two
  outputs must be identical.

Pure functions of what ``chain`` measured; no network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gradio_lossless.tools.audit.fidelity import Array, Fidelity
from gradio_lossless.tools.audit.served import Served

__all__ = [
    "NEAR_IDENTITY_DB",
    "Hop",
    "Judgement",
    "Verdict",
    "classify",
    "hop_problem",
    "judge",
    "narrowed",
]

NEAR_IDENTITY_DB = 25.0
"""Hop 1 served in a lossy format at this PSNR or above (and in the original's
shape) is judged a pass-through behind a lossy codec. Stock WebP (quality 80) gives
about 35 dB on the 512×512 astronaut and 30 dB on a 64×48 thumbnail of it; against
the original, a flip of it is about 7 dB, a 45° rotation 8 dB, a sepia filter 17 dB.
The threshold only picks the table and the wording: a lossy format degrades under
either judgement."""

Kind = Literal["identity", "near-identity", "non-identity"]


@dataclass(frozen=True)
class Hop:
    """What one hop showed.

    Parameters:
        hop: the hop number, from 1.
        vs_original: the output compared with the original (for a non-identity
            endpoint this is the function's change, not a loss).
        served: the file the app served.
        narrowed: "uint16 -> uint8" when the output's dtype cannot hold the dtype
            fed into this hop, else "".
        repeat: the same input uploaded again, its output compared with this one
            (non-identity judgement only; None otherwise).
    """

    hop: int
    vs_original: Fidelity
    served: Served
    narrowed: str = ""
    repeat: Fidelity | None = None


@dataclass(frozen=True)
class Judgement:
    """Which judgement the verdict comes from.

    Parameters:
        kind: "identity", "near-identity" or "non-identity".
        text: one sentence saying why, and what each hop is judged by.
    """

    kind: Kind
    text: str


@dataclass(frozen=True)
class Verdict:
    """The audit's conclusion.

    Parameters:
        exact: True for exit status 0, False for 1.
        text: the verdict sentence (no markup).
        caveat: what the audit could not check, or "".
    """

    exact: bool
    text: str
    caveat: str = ""


def narrowed(fed: Array, out: Array, served: Served) -> str:
    """ "uint16 -> uint8" when ``out``'s dtype cannot hold every value of ``fed``'s
    (numpy's safe casting), else "". A bool output is a mask the function made (no
    app narrows to bool), and an 8-bit preview read from an unverified exact file
    is not the value: neither counts."""
    if served.preview or out.dtype == np.bool_:
        return ""
    if np.can_cast(fed.dtype, out.dtype, "safe"):
        return ""
    return f"{fed.dtype} -> {out.dtype}"


def classify(first: Hop) -> Judgement:
    """The judgement for a chain, from its first hop."""
    f, served = first.vs_original, first.served
    if f.bit_exact:
        return Judgement(
            "identity",
            "identity: hop 1 returned the image unchanged, so every hop is compared "
            "with the original",
        )
    if not served.lossless and math.isfinite(f.psnr) and f.psnr >= NEAR_IDENTITY_DB:
        return Judgement(
            "near-identity",
            f"near-identity: hop 1 came back close to the original (PSNR "
            f"{f.psnr:.2f} dB) as {served.codec}, a lossy format, so every hop is "
            "compared with the original; the drift includes any change the function "
            "itself makes",
        )
    return Judgement(
        "non-identity",
        "non-identity: the endpoint changes the image, so each hop is judged by the "
        "file the app served (format, dtype) and by repeating the hop (the same "
        "input must give the same output); nothing is compared with the original",
    )


def hop_problem(judgement: Judgement, hop: Hop) -> str:
    """Why this hop fails under ``judgement``, or "" when it passes."""
    if judgement.kind != "non-identity":
        return "" if hop.vs_original.bit_exact else "changed"
    if not hop.served.lossless:
        return "lossy format"
    if hop.narrowed:
        return f"dtype narrowed: {hop.narrowed}"
    return ""


def _describe(f: Fidelity) -> str:
    if f.bit_exact:
        return "bit-exact"
    if math.isnan(f.psnr):
        return f.note
    parts = [f"PSNR {f.psnr:.2f} dB", f"max abs error {f.max_abs_error:g}"]
    return ", ".join([*parts, f.note] if f.note else parts)


def _repeat_caveat(hops: Sequence[Hop]) -> str:
    differing = [h for h in hops if h.repeat is not None and not h.repeat.bit_exact]
    if not differing:
        return ""
    first = differing[0]
    assert first.repeat is not None  # noqa: S101 - filtered above
    return (
        f"the hop-to-hop check failed: the same input gave two different outputs at "
        f"hop {first.hop} ({_describe(first.repeat)}), so the endpoint is not "
        "deterministic (or the app is not consistent); only the served files were "
        "judged"
    )


def judge(judgement: Judgement, hops: Sequence[Hop], api_name: str) -> Verdict:
    """The verdict on ``hops`` under ``judgement``."""
    last = hops[-1]
    if judgement.kind != "non-identity":
        changed = [h for h in hops if not h.vs_original.bit_exact]
        if not changed:
            return Verdict(
                True,
                f"{api_name} passed the image through {len(hops)} hops unchanged",
            )
        first = changed[0]
        token = ""
        if first.served.token:
            token = (
                f"; it serves {first.served.codec} files naming a value the server "
                "keeps exactly, but a client reading the file gets the lossy pixels"
            )
        return Verdict(
            False,
            f"{api_name} changes the image from hop {first.hop} "
            f"({_describe(first.vs_original)}); after hop {last.hop}: "
            f"{_describe(last.vs_original)}{token}",
        )
    caveat = _repeat_caveat(hops)
    lossy = [h for h in hops if not h.served.lossless]
    if lossy:
        first = lossy[0]
        token = ""
        if first.served.token:
            token = (
                "; the server keeps the exact value behind a token in the file, "
                "but a client reading the file gets the lossy pixels"
            )
        return Verdict(
            False,
            f"{api_name} serves {first.served.codec}, a lossy format, from hop "
            f"{first.hop}{token}. How much it loses cannot be "
            "measured on an endpoint that is not an identity: audit a pass-through "
            "endpoint of the same component to measure it",
            caveat,
        )
    squashed = [h for h in hops if h.narrowed]
    if squashed:
        first = squashed[0]
        return Verdict(
            False,
            f"{api_name} narrows the dtype at hop {first.hop} ({first.narrowed}): "
            "precision was dropped by the app or by the function (the audit cannot "
            "tell which)",
            caveat,
        )
    kinds = sorted({_file_kind(h.served) for h in hops})
    repeated = "" if caveat else ", and each hop gave the same output twice"
    return Verdict(
        True,
        f"{api_name} served all {len(hops)} hops as {' or '.join(kinds)}{repeated}",
        caveat,
    )


def _file_kind(served: Served) -> str:
    if served.exact_file:
        return "exact files (gradio-lossless PNG)"
    return f"{served.codec} files (a lossless format)"
