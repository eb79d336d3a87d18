"""``gradio-lossless lab`` end to end: files written, exit codes, messages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import PIL.Image
import pytest

from gradio_lossless.cli import main
from gradio_lossless.tools.lab.samples import LabImage


@pytest.fixture
def images(tmp_path: Path, small: list[LabImage]) -> list[Path]:
    """Two small real images on disk: a photo crop (RGB) and the alpha crop (RGBA)."""
    paths = []
    for image in (small[0], small[3]):
        path = tmp_path / f"{image.name}.png"
        PIL.Image.fromarray(image.pixels[:64, :64]).save(path)
        paths.append(path)
    return paths


def _lab(*argv: object) -> int:
    return main(["lab", "--jobs", "1", *map(str, argv)])


def _without_times(document: dict[str, Any]) -> list[Any]:
    runs = json.loads(json.dumps(document["runs"]))
    for run in runs:
        for key in ("mean_encode_ms", "mean_decode_ms"):
            run["summary"].pop(key)
        for hop in run["hops"]:
            hop.pop("encode_ms")
            hop.pop("decode_ms")
    return runs


def test_full_run_with_bad_files(
    tmp_path: Path, images: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    missing = tmp_path / "missing.png"
    out = tmp_path / "out"
    extra = tmp_path / "extra.json"

    code = _lab(
        *images,
        junk,
        missing,
        "--formats",
        "webp,png",
        "--hops",
        "3",
        "--out",
        out,
        "--json",
        extra,
    )

    assert code == 1  # something was skipped, the run still completed
    captured = capsys.readouterr()
    assert "notes.txt: UnidentifiedImageError" in captured.err
    assert "missing.png: FileNotFoundError" in captured.err
    assert "photo (64x64 RGB): 3 hops" in captured.out
    assert "alpha (64x64 RGBA): 3 hops" in captured.out

    document = json.loads((out / "results.json").read_text())
    assert json.loads(extra.read_text()) == document
    assert document["schema"] == "gradio-lossless-lab/1"
    assert set(document) == {
        "schema",
        "versions",
        "config",
        "elapsed_s",
        "images",
        "skipped",
        "unavailable",
        "runs",
        "recommendation",
    }
    assert document["config"]["hops"] == 3
    assert document["config"]["qualities"] == {"webp": [80], "png": [None]}
    assert [s["path"] for s in document["skipped"]] == [str(junk), str(missing)]
    assert [i["name"] for i in document["images"]] == ["photo", "alpha"]
    assert [(r["image"], r["label"]) for r in document["runs"]] == [
        ("photo", "webp q80"),
        ("photo", "png"),
        ("alpha", "webp q80"),
        ("alpha", "png"),
    ]
    for run in document["runs"]:
        assert [h["hop"] for h in run["hops"]] == [1, 2, 3]
        assert set(run["hops"][0]) == {
            "hop",
            "bytes",
            "bits_per_pixel",
            "encode_ms",
            "decode_ms",
            "psnr",
            "ssim",
            "max_abs_error",
            "delta_e",
            "bit_exact",
        }
        exact = run["format"] == "png"
        assert run["summary"]["bit_exact_every_hop"] is exact
        assert all(h["bit_exact"] is exact for h in run["hops"])
        assert all((h["psnr"] is None) is exact for h in run["hops"])
        assert all(h["bits_per_pixel"] == 8 * h["bytes"] / 64**2 for h in run["hops"])

    html = (out / "report.html").read_text()
    inlined = re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]+"', html)
    # 2 plots + 2 crop strips + 2 thumbnails
    assert len(inlined) == 6
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched
    assert "What re-saving does to your images" in html
    assert "notes.txt" in html
    assert "missing.png" in html
    for name in ("quality_vs_hop", "size_vs_quality", "crops_photo", "crops_alpha"):
        assert (out / f"{name}.png").read_bytes().startswith(b"\x89PNG")

    # a rerun measures the same numbers (only the times differ)
    again = tmp_path / "again"
    assert _lab(*images, "--formats", "webp,png", "--hops", "3", "--out", again) == 0
    rerun = json.loads((again / "results.json").read_text())
    assert _without_times(rerun) == _without_times(document)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--formats", "gif"],
            "--formats: unknown format 'gif' (choose from avif, jpeg, jxl, png, webp)",
        ),
        (
            ["--quality", "png=3"],
            "--quality: png is always lossless and takes no quality",
        ),
        (["--hops", "0"], "--hops: must be at least 1, got 0"),
        (
            ["--hops", "3", "--min-psnr-after", "40@9"],
            "--min-psnr-after: hop 9 is outside this run's hops 1..3",
        ),
        (
            ["--pipeline", "browser"],
            "--pipeline: unknown pipeline 'browser' (choose "
            "from codec, gradio, or both comma-separated)",
        ),
        (["--max-bytes", "0"], "--max-bytes: must be positive, got 0"),
        (
            ["--recommend"],
            "--recommend: give at least one constraint (--max-bytes, "
            "--max-bpp, --min-psnr-after, --min-ssim-after, --max-ms, --require-exact)",
        ),
    ],
)
def test_bad_options_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _lab(*argv) == 2
    assert capsys.readouterr().err == f"gradio-lossless lab: {message}\n"


def test_argparse_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _lab("--hops", "many")
    assert exc.value.code == 2
    assert "argument --hops: invalid int value: 'many'" in capsys.readouterr().err


def test_only_unavailable_formats_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from gradio_lossless.tools.lab.formats import FORMATS, availability

    if availability(FORMATS["jxl"]).available:  # pragma: no cover
        pytest.skip("pillow-jxl-plugin is installed here")
    assert _lab("--formats", "jxl") == 2
    assert capsys.readouterr().err == (
        "gradio-lossless lab: nothing to measure: jxl: the 'pillow_jxl' plugin is "
        "not installed (pip install pillow-jxl-plugin)\n"
    )


def test_recommendation(tmp_path: Path, images: list[Path]) -> None:
    out = tmp_path / "out"
    code = _lab(
        images[0],
        "--formats",
        "webp,png",
        "--quality",
        "webp=80,webp=lossless",
        "--hops",
        "2",
        "--out",
        out,
        "--require-exact",
    )
    assert code == 0
    rec = json.loads((out / "results.json").read_text())["recommendation"]
    assert rec["constraints"]["bit_exact"] is True
    sizes = {
        r["label"]: r["summary"]["mean_bits_per_pixel"]
        for r in json.loads((out / "results.json").read_text())["runs"]
    }
    cheapest_exact = min(("png", "webp lossless"), key=sizes.__getitem__)
    assert rec["choice"]["label"] == cheapest_exact
    assert rec["choice"]["evidence"] == ["bit-exact at every hop"]
    failed = {v["label"]: v["failures"] for v in rec["cheaper_failures"]}
    assert failed["webp q80"] == ["not bit-exact from hop 1 (photo)"]
    assert cheapest_exact in (out / "report.html").read_text()


def test_gradio_pipeline(tmp_path: Path, images: list[Path]) -> None:
    out = tmp_path / "out"
    code = _lab(
        *images,
        "--pipeline",
        "codec,gradio",
        "--formats",
        "webp,jpeg",
        "--hops",
        "2",
        "--out",
        out,
    )
    assert code == 0
    runs = {
        (r["image"], r["label"]): r
        for r in json.loads((out / "results.json").read_text())["runs"]
    }
    for image in ("photo", "alpha"):
        for fmt in ("webp", "jpeg"):
            ours = runs[(image, f"gradio_lossless {fmt}")]
            assert ours["summary"]["bit_exact_every_hop"] is True
    stock = runs[("photo", "gr.Image webp")]
    assert stock["summary"]["bit_exact_every_hop"] is False
    # stock gr.Image(format="webp") is Pillow's WebP q80, byte for byte
    assert [h["bytes"] for h in stock["hops"]] == [
        h["bytes"] for h in runs[("photo", "webp q80")]["hops"]
    ]
    assert runs[("alpha", "gr.Image jpeg")]["error"] == (
        "hop 1: OSError: cannot write mode RGBA as JPEG"
    )
    assert runs[("alpha", "jpeg q75")]["error"] == (
        "not measured: jpeg cannot store the alpha channel"
    )
