"""The lab's HTML report: one self-contained file a newcomer can read.

Everything is inline (CSS, and the figures and thumbnails as base64 PNG), so the
file can be mailed or attached to an issue. The report explains itself: what a hop
is, what each number means, the findings in words, then the evidence.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import PIL.Image

from gradio_lossless.tools.lab.hops import Run
from gradio_lossless.tools.lab.recommend import Recommendation
from gradio_lossless.tools.lab.results import summarize, versions
from gradio_lossless.tools.lab.runner import LabResult
from gradio_lossless.tools.lab.table import COLUMNS, cells

__all__ = ["findings", "render_report"]

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222}
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd}
.lead{font-size:1.05em;color:#444}.box{background:#f4f8ff;border:1px solid #c9dcff;
padding:.8em 1.2em;border-radius:6px}.warn{background:#fff7e6;border-color:#ffd591}
table{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}
th{background:#f6f6f6}td.l,th.l{text-align:left}td.n{white-space:nowrap}
details img{max-width:820px}
.exact{background:#e8f7e8}.lossy{background:#fff6e0}.failed{background:#fde8e8}
img{max-width:100%;height:auto}figure{margin:1em 0}
figcaption{color:#555;font-size:.93em}
dt{font-weight:600;margin-top:.5em}code{background:#f2f2f2;padding:0 3px}
.thumbs{display:flex;flex-wrap:wrap;gap:1em}.thumbs div{width:240px;font-size:.9em}
"""


def _png(data: bytes, alt: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def _thumbnail(pixels: npt.NDArray[np.uint8], alt: str) -> str:
    image = PIL.Image.fromarray(pixels)
    image.thumbnail((240, 240))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return _png(buffer.getvalue(), alt)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _dB(value: float) -> str:
    return "exact" if math.isinf(value) else f"{value:.1f} dB"


def findings(result: LabResult) -> list[str]:
    """The main results in plain sentences, most important first.

    Parameters:
        result: a lab run.
    Returns:
        Plain-text sentences (not escaped).
    """
    n = result.config.hops
    out: list[str] = []
    by_setting: dict[str, list[Run]] = {}
    for run in result.runs:
        by_setting.setdefault(run.setting.label, []).append(run)
    exact = [
        label
        for label, runs in by_setting.items()
        if all(r.hops and not r.error and summarize(r).all_exact for r in runs)
    ]
    if exact:
        out.append(
            f"Bit-exact at every one of the {n} hops, on every image: "
            f"{', '.join(exact)}. Nothing is lost, however often the image is re-saved."
        )
    lossy = [r for r in result.runs if r.hops and not summarize(r).all_exact]
    if lossy:
        worst = max(
            lossy,
            key=lambda r: r.hops[0].fidelity.psnr - r.hops[-1].fidelity.psnr,
        )
        first, last = worst.hops[0].fidelity.psnr, worst.hops[-1].fidelity.psnr
        if n > 1 and first - last > 0.05:
            out.append(
                f"Damage accumulates: {worst.setting.label} on {worst.image} gives "
                f"{_dB(first)} after hop 1 but {_dB(last)} after hop {len(worst.hops)}"
                f" ({first - last:.1f} dB lost by re-saving alone)."
            )
    for image in result.images:
        runs = [r for r in lossy if r.image == image.name]
        if len(runs) >= 2:
            ranked = sorted(runs, key=lambda r: r.hops[-1].fidelity.psnr)
            lo, hi = ranked[0], ranked[-1]
            out.append(
                f"{image.name}: after hop {n}, the best lossy setting is "
                f"{hi.setting.label} ({_dB(hi.hops[-1].fidelity.psnr)}), the worst "
                f"{lo.setting.label} ({_dB(lo.hops[-1].fidelity.psnr)})."
            )
    for image in result.images:
        stock = _find(result.runs, image.name, "gr.Image webp")
        ours = _find(result.runs, image.name, "gradio_lossless webp")
        if stock and stock.hops and ours and ours.hops:
            s, o = summarize(stock), summarize(ours)
            if s.first is None or s.last is None:
                continue
            verdict = "bit-exact at every hop" if o.all_exact else "NOT bit-exact"
            out.append(
                f"Gradio's default, gr.Image(format='webp'), on {image.name}: "
                f"{_dB(s.first.fidelity.psnr)} after 1 hop, {_dB(s.last.fidelity.psnr)}"
                f" after {len(stock.hops)}. gradio_lossless.Image(format='webp') is "
                f"{verdict} and serves {o.mean_bpp:.2f} bits/pixel "
                f"(stock: {s.mean_bpp:.2f})."
            )
            break
    for run in result.runs:
        if run.error and not run.error.startswith("not measured"):
            out.append(f"{run.setting.label} failed on {run.image}: {run.error}.")
    return out


def _find(runs: Sequence[Run], image: str, label: str) -> Run | None:
    return next(
        (r for r in runs if r.image == image and r.setting.label == label), None
    )


def _table(result: LabResult, image: str) -> str:
    n = result.config.hops
    head = "".join(
        f'<th class="{"l" if i < 2 or i == 8 else ""}">{_esc(h.format(n=n))}</th>'
        for i, h in enumerate(COLUMNS)
        if i != 0
    )
    rows = []
    for run in (r for r in result.runs if r.image == image):
        s = summarize(run)
        css = "failed" if s.last is None else "exact" if s.all_exact else "lossy"
        row = cells(run)[1:]
        if run.error:
            row[7] = ("stopped: " if s.last else "") + run.error
        tds = "".join(
            f'<td class="{"l n" if i == 0 else "l" if i == 7 else ""}">{_esc(c)}</td>'
            for i, c in enumerate(row)
        )
        rows.append(
            f'<tr class="{css}" title="{html.escape(run.setting.description)}">'
            f"{tds}</tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _recommendation(rec: Recommendation) -> str:
    css = "box" if rec.choice else "box warn"
    parts = [f'<div class="{css}"><h3>Recommendation</h3><p>{_esc(rec.summary())}</p>']
    if rec.near_misses:
        items = "".join(
            f"<li><b>{_esc(v.setting.label)}</b> ({v.mean_bpp:.3g} bits/pixel): "
            f"{_esc('; '.join(v.failures))}</li>"
            for v in rec.near_misses
        )
        parts.append(f"<p>Came close but missed:</p><ul>{items}</ul>")
    parts.append("</div>")
    return "".join(parts)


_GLOSSARY = """
<dl>
<dt>hop</dt><dd>One save-and-load: the image is encoded in the format and decoded
again. Hop 2 starts from what hop 1 decoded, and so on, which is what happens when an
app passes an image from one step to the next and each step re-saves it. Every hop is
compared with the <em>original</em>, so the numbers show the damage accumulated.</dd>
<dt>PSNR (dB)</dt><dd>Peak signal-to-noise ratio over all channels: higher is better.
"exact" means the pixels are identical (PSNR is infinite). Above about 40 dB
differences are hard to see; below 30 dB they are usually visible.</dd>
<dt>SSIM</dt><dd>Structural similarity, 0 to 1; 1 means identical structure.</dd>
<dt>&Delta;E</dt><dd>Mean CIEDE2000 colour difference per pixel: about 1 is just
noticeable side by side, above 2 to 3 clearly visible.</dd>
<dt>max err</dt><dd>The largest change of any channel of any pixel, in 8-bit levels
(0 to 255).</dd>
<dt>bits/px</dt><dd>File size per pixel, mean over all hops: 24 would be an
uncompressed RGB image. Lower is cheaper to store and send.</dd>
<dt>bit-exact</dt><dd>"yes" if every pixel value is identical after every hop;
otherwise the first hop that changed one.</dd>
<dt>enc / dec ms</dt><dd>Mean time to encode and to decode one hop on this machine
(for components: postprocess and preprocess). Compare them with each other, not with
other machines.</dd>
</dl>
"""


def _notes(result: LabResult) -> list[str]:
    notes = [
        "Metrics come from scikit-image (peak_signal_noise_ratio, "
        "structural_similarity, deltaE_ciede2000 on rgb2lab) and codecs from Pillow; "
        "reruns give the same quality numbers, only the times vary."
    ]
    if any(image.mode == "RGBA" for image in result.images):
        notes.append(
            "RGBA images are compared on all four channels. Lossy WebP throws away "
            "the colour of fully transparent pixels (Pillow's exact=False), which is "
            "invisible on screen but changes the array an app receives, so it counts "
            "as error here. JPEG cannot store alpha and is not measured on RGBA images."
        )
    if "gradio" in result.config.pipelines:
        mode = result.config.image_mode
        notes.append(
            "gr.Image and gradio_lossless rows call the installed components' real "
            "postprocess (saving the returned array as the file served to the browser)"
            " and preprocess (loading it for the next function), built as "
            f"Image(type='numpy', format=..., image_mode={mode!r}). Their reference is "
            "the original converted to that image_mode, since that conversion is what "
            "the app asked for. bits/px counts the served file; gradio_lossless keeps "
            "the exact value beside a lossy preview, which is not counted. Each hop "
            "is a pass-through (the function returns what it received), so "
            "gradio_lossless re-serves the value it already stored, which is why its "
            "hops after the first take almost no time."
        )
    for item in result.unavailable:
        hint = f" Install with: {item.install_hint}" if item.install_hint else ""
        notes.append(f"Not measured: {item.name}: {item.reason}.{hint}")
    for skipped in result.skipped:
        notes.append(f"Skipped file {skipped.path}: {skipped.reason}.")
    return notes


def render_report(
    result: LabResult,
    figures: dict[str, bytes],
    *,
    recommendation: Recommendation | None = None,
    command: str = "",
) -> str:
    """Render the self-contained HTML report.

    Parameters:
        result: a lab run.
        figures: PNG bytes: "quality_vs_hop", "size_vs_quality", "crops_<image>".
        recommendation: the ``--recommend`` answer, if any.
        command: the command line that produced the run, shown for reruns.
    Returns:
        The HTML document as a string.
    """
    n = result.config.hops
    settings = list(dict.fromkeys(r.setting.label for r in result.runs))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Generation-loss lab report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>What re-saving does to your images</h1>",
        f"<p class='lead'>Each of {len(result.images)} images was put through "
        f"{len(settings)} settings for {n} hops. A hop saves the image and loads it "
        "back, and the next hop starts from what was loaded: what happens when an app "
        "passes an image from step to step. Every hop is compared with the original. "
        "Lossless settings should stay <b>exact</b>; lossy ones lose a little on the "
        "first hop and, often, more on every hop after it.</p>",
        "<h2>Findings</h2><ul>",
        *[f"<li>{_esc(text)}</li>" for text in findings(result)],
        "</ul>",
    ]
    if recommendation is not None:
        parts.append(_recommendation(recommendation))
    parts += [
        "<h2>Quality against hop</h2><figure>",
        _png(figures["quality_vs_hop"], "PSNR after each hop"),
        "<figcaption>One panel per image, one line per setting. A flat line means the "
        "format stops losing after the first hop; a falling line means every re-save "
        "loses more. Settings exact at every hop sit on the top line, named in the "
        "panel.</figcaption></figure>",
        "<h2>Size against quality</h2><figure>",
        _png(figures["size_vs_quality"], "file size against PSNR"),
        f"<figcaption>Mean file size (x, log scale) against quality after hop {n} "
        "(y). Up and to the left is better: small files that keep quality. Qualities "
        "of one format are joined by a grey line.</figcaption></figure>",
        "<h2>The numbers</h2>",
        "<p>One table per image; green rows are bit-exact at every hop, amber rows "
        "lossy, red rows could not run. Hover a row for the exact encoder call.</p>",
    ]
    for image in result.images:
        parts += [f"<h3>{_esc(image.name)}</h3>", _table(result, image.name)]
    parts.append("<h2>What the damage looks like</h2>")
    parts.append(
        "<p>The square of each image where lossy WebP (gr.Image's default) does the "
        "most damage, enlarged without smoothing, "
        f"after hops {', '.join(map(str, result.config.crop_hops))}; the last column "
        "is the colour error at the last of them, amplified 8 times "
        "(black = no change).</p>"
    )
    for image in result.images:
        key = f"crops_{image.name}"
        if key in figures:
            parts += [
                f"<details open><summary>{_esc(image.name)}</summary>",
                _png(figures[key], f"crops of {image.name}"),
                "</details>",
            ]
    parts += ["<h2>How to read the numbers</h2>", _GLOSSARY, "<h2>Notes</h2><ul>"]
    parts += [f"<li>{_esc(note)}</li>" for note in _notes(result)]
    parts += ["</ul><h2>Images measured</h2><div class='thumbs'>"]
    for image in result.images:
        extra = f"; {image.note}" if image.note else ""
        parts.append(
            f"<div>{_thumbnail(image.pixels, image.name)}<br><b>{_esc(image.name)}</b>"
            f" {image.width}x{image.height} {image.mode}<br>"
            f"{_esc(image.source + extra)}</div>"
        )
    parts.append("</div><h2>Run</h2><ul>")
    if command:
        parts.append(f"<li>Command: <code>{_esc(command)}</code></li>")
    parts.append(
        f"<li>{len(result.runs)} runs x {n} hops in {result.elapsed_s:.1f} s on "
        f"{result.config.workers} worker process(es).</li>"
    )
    found = ", ".join(f"{k} {v}" for k, v in versions().items() if v)
    parts.append(f"<li>Versions: {_esc(found)}.</li></ul></body></html>")
    return "\n".join(parts)
