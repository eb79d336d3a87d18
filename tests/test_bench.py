"""``gradio-lossless bench``: structure, exactness columns and exit codes.

No timing assertions: machines are noisy, so ratios are only ever printed.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import pytest

from gradio_lossless.cli import main
from gradio_lossless.tools.bench import images as bench_images
from gradio_lossless.tools.bench import targets as bench_targets
from gradio_lossless.tools.bench.components import COMPONENTS, ComponentResult
from gradio_lossless.tools.bench.contenders import CONTENDERS
from gradio_lossless.tools.bench.gallery import GalleryResult
from gradio_lossless.tools.bench.hops import HopResult
from gradio_lossless.tools.bench.images import format_size, parse_size, photo
from gradio_lossless.tools.bench.report import format_ratio
from gradio_lossless.tools.bench.targets import TargetResult, evaluate_targets

QUICK_SIZES = ["64x64", "160x90"]
KINDS = ["resized", "tiled"]


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One ``bench --quick --json`` run shared by the structure tests."""
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    assert main(["bench", "--quick", "--json", str(out)]) == 0
    return dict(json.loads(out.read_text(encoding="utf-8")))


def _field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_json_structure(quick: dict[str, Any]) -> None:
    assert set(quick) == {
        "versions",
        "machine",
        "options",
        "hops",
        "gallery",
        "targets",
        "elapsed_s",
        "components",
    }
    assert quick["options"]["sizes"] == QUICK_SIZES
    assert quick["options"]["type"] == "numpy"
    assert quick["options"]["content"] == KINDS  # both kinds by default
    keys = [c.key for c in CONTENDERS]
    hop_cells = [
        (r["content"], r["size"], r["hop"], r["contender"]) for r in quick["hops"]
    ]
    assert hop_cells == [
        (kind, size, hop, key)
        for kind in KINDS
        for size in QUICK_SIZES
        for hop in ("pass-through", "modified")
        for key in keys
    ]
    gallery_cells = [
        (r["content"], r["phase"], r["contender"]) for r in quick["gallery"]
    ]
    assert gallery_cells == [
        (kind, phase, key)
        for kind in KINDS
        for phase in ("first", "unchanged")
        for key in keys
    ]
    for row in quick["hops"]:
        assert set(row) == _field_names(HopResult)
    for row in quick["gallery"]:
        assert set(row) == _field_names(GalleryResult)
        assert (row["size"], row["count"]) == ("160x90", 3)
    assert [(t["content"], t["name"]) for t in quick["targets"]] == [
        (kind, t.name) for kind in KINDS for t in bench_targets.TARGETS
    ]
    for target in quick["targets"]:
        assert set(target) == _field_names(TargetResult)
        assert target["status"] == "not measured"  # defined on 3840x2160 only
        assert target["description"].endswith(f" ({target['content']})")


def test_component_rows(quick: dict[str, Any]) -> None:
    """ImageEditor, AnnotatedImage and ImageSlider: one row per contender and
    content kind, at the largest --quick size; stock webp loses pixels, stock png
    and ours keep them (ours also in the files served)."""
    assert quick["options"]["component_size"] == "160x90"
    keys = [c.key for c in CONTENDERS]
    assert [
        (r["content"], r["component"], r["contender"]) for r in quick["components"]
    ] == [(kind, name, key) for kind in KINDS for name in COMPONENTS for key in keys]
    images = {"ImageEditor": 3, "AnnotatedImage": 1, "ImageSlider": 2}
    for row in quick["components"]:
        assert set(row) == _field_names(ComponentResult)
        assert row["available"] is True and row["error"] is None, row
        assert row["size"] == "160x90"
        assert row["images"] == images[row["component"]]
        assert row["hops"] == 3 and len(row["samples_ms"]) == 2
        assert row["ms"] > 0 and row["bytes_served"] > 0
        assert row["vs_stock_webp"] > 0
        assert row["warnings"] == []
        lossy = row["contender"] == "stock-webp"
        assert row["bit_exact"] is not lossy, row
        assert row["served_files_exact"] is not lossy, row
        assert (row["max_abs_diff"] > 0) is lossy
    ours = {
        (r["content"], r["component"]): r["bytes_served"]
        for r in quick["components"]
        if r["contender"] == "lossless"
    }
    webp = {
        (r["content"], r["component"]): r["bytes_served"]
        for r in quick["components"]
        if r["contender"] == "stock-webp"
    }
    assert all(ours[k] > webp[k] for k in ours)  # exact PNGs against lossy WebP


def test_component_rows_count_what_a_browser_loads(quick: dict[str, Any]) -> None:
    """``bytes_shown``: stock's files as they are, the ImageEditor canvas's files as
    they are, our shown images as renditions or exact PNGs (never more than the
    files); AnnotatedImage adds its masks, the same files for every contender."""
    rows = {
        (r["content"], r["component"], r["contender"]): r for r in quick["components"]
    }
    for (content, component, contender), row in rows.items():
        shown, served = row["bytes_shown"], row["bytes_served"]
        if component == "AnnotatedImage":
            stock = rows[content, component, "stock-webp"]
            masks = stock["bytes_shown"] - stock["bytes_served"]
            assert masks > 0
            if contender == "lossless":
                assert 0 < shown - masks <= served, row
            else:
                assert shown - served == masks, row
        elif contender == "lossless" and component == "ImageSlider":
            assert 0 < shown <= served, row
        else:
            assert shown == served, row


def test_component_size_and_skip_options(tmp_path: Path) -> None:
    out = tmp_path / "components.json"
    argv = ["bench", "--content", "tiled", "--sizes", "16x16", "--repeats", "1"]
    argv += ["--gallery-count", "0", "--component-size", "40x24", "--json", str(out)]
    assert main(argv) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {r["size"] for r in data["components"]} == {"40x24"}
    assert data["options"]["component_size"] == "40x24"
    assert main([*argv[:-2], "--no-components", "--json", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["components"] == []
    assert data["options"]["component_size"] is None


def test_content_kinds_have_different_pixels(quick: dict[str, Any]) -> None:
    """Same size, same contender, different content: the served bytes differ."""
    served = {
        (r["content"], r["size"], r["hop"]): r["bytes_served"]
        for r in quick["hops"]
        if r["contender"] == "stock-png"
    }
    for size in QUICK_SIZES:
        for hop in ("pass-through", "modified"):
            assert served["resized", size, hop] != served["tiled", size, hop]


def _rows(quick: dict[str, Any], contender: str) -> list[dict[str, Any]]:
    return [r for r in quick["hops"] + quick["gallery"] if r["contender"] == contender]


def test_stock_rows_measured(quick: dict[str, Any]) -> None:
    for key in ("stock-webp", "stock-png"):
        for row in _rows(quick, key):
            assert row["available"] is True
            assert row["ms"] > 0
            assert row["bytes_served"] > 0
            assert row["warnings"] == []
    for row in quick["hops"]:
        if row["available"]:
            assert len(row["samples_ms"]) == 2  # --quick: 2 timed hops
            assert row["hops"] == 3  # plus the warm-up
    baseline = _rows(quick, "stock-webp")
    assert all(r["vs_stock_webp"] == 1.0 for r in baseline)


def test_stock_webp_is_not_bit_exact(quick: dict[str, Any]) -> None:
    for row in _rows(quick, "stock-webp"):
        assert row["bit_exact"] is False
        assert row["max_abs_diff"] > 0
        assert row.get("served_file_exact", row.get("served_files_exact")) is False
    assert {
        r["served_suffix"] for r in quick["hops"] if r["contender"] == "stock-webp"
    } == {".webp"}


def test_stock_png_is_bit_exact(quick: dict[str, Any]) -> None:
    for row in _rows(quick, "stock-png"):
        assert row["bit_exact"] is True
        assert row["max_abs_diff"] == 0
        assert row.get("served_file_exact", row.get("served_files_exact")) is True


def test_lossless_rows_are_bit_exact_or_say_why_not(quick: dict[str, Any]) -> None:
    for row in _rows(quick, "lossless"):
        if row["available"]:
            assert row["bit_exact"] is True, row
            assert row["max_abs_diff"] == 0
            # the default format serves a file that holds the exact value
            assert row.get("served_file_exact", row.get("served_files_exact")) is True
            assert row["vs_stock_webp"] > 0
        else:
            assert row["note"].startswith("unavailable: cannot import ")
            assert row["ms"] is None


def test_table_printed(
    quick: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["bench", "--sizes", "32x32", "--repeats", "1", "--gallery-count", "0"])
        == 0
    )
    out = capsys.readouterr().out
    assert "Image hops, resized content" in out
    assert "Image hops, tiled content" in out
    assert out.index("Image hops, resized content") < out.index("tiled content")
    assert "gr.Image(format='webp')" in out
    assert "baseline" in out
    assert "Targets" in out
    assert "pass-through hop (resized)" in out
    assert "pass-through hop (tiled)" in out
    assert "≥ 40× faster, bit-exact" in out
    assert "Gallery postprocess" not in out  # --gallery-count 0 skips it
    assert "Other components, resized content, 32x32" in out
    assert "gradio_lossless.ImageEditor()" in out
    assert "gr.AnnotatedImage(format='webp')" in out


def test_content_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tiled.json"
    argv = ["bench", "--content", "tiled", "--sizes", "32x24", "--repeats", "1"]
    argv += ["--gallery-count", "1", "--gallery-size", "24x16"]
    argv += ["--gallery-repeats", "1", "--json", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "Image hops, tiled content" in printed
    assert "Gallery postprocess, tiled content (1 images of 24x16" in printed
    assert "resized" not in printed
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["options"]["content"] == ["tiled"]
    rows = data["hops"] + data["gallery"]
    assert len(data["hops"]) == 2 * len(CONTENDERS)
    assert len(data["gallery"]) == 2 * len(CONTENDERS)
    assert {r["content"] for r in rows} == {"tiled"}
    assert [t["content"] for t in data["targets"]] == ["tiled"] * len(
        bench_targets.TARGETS
    )


def test_content_option_keeps_order_and_drops_repeats(tmp_path: Path) -> None:
    out = tmp_path / "order.json"
    argv = ["bench", "--content", "tiled, resized,tiled", "--sizes", "16x16"]
    argv += ["--repeats", "1", "--gallery-count", "0", "--json", str(out)]
    assert main(argv) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["options"]["content"] == ["tiled", "resized"]
    kinds = [r["content"] for r in data["hops"]]
    assert kinds == ["tiled"] * (len(kinds) // 2) + ["resized"] * (len(kinds) // 2)
    assert data["targets"][0]["description"].endswith("(tiled)")
    assert data["targets"][-1]["description"].endswith("(resized)")


def test_pil_type(tmp_path: Path) -> None:
    out = tmp_path / "pil.json"
    argv = ["bench", "--type", "pil", "--sizes", "48x32", "--repeats", "1"]
    argv += ["--content", "tiled"]  # the quick run covers both kinds with numpy
    argv += [
        "--gallery-count",
        "2",
        "--gallery-size",
        "40x30",
        "--gallery-repeats",
        "1",
    ]
    assert main([*argv, "--json", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["options"]["type"] == "pil"
    by_key = {(r["content"], r["hop"], r["contender"]): r for r in data["hops"]}
    assert len(by_key) == len(data["hops"])
    assert by_key["tiled", "pass-through", "stock-webp"]["bit_exact"] is False
    assert by_key["tiled", "modified", "stock-png"]["bit_exact"] is True
    for row in data["hops"] + data["gallery"]:
        if row["contender"] == "lossless" and row["available"]:
            assert row["bit_exact"] is True, row


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sizes", "12xab"], "invalid size '12xab'; expected WIDTHxHEIGHT"),
        (["--sizes", ","], "invalid sizes ','"),
        (["--sizes", "0x10"], "each side must be between 1 and 16384"),
        (["--repeats", "0"], "must be at least 1, got 0"),
        (["--repeats", "two"], "invalid integer 'two'"),
        (["--gallery-count", "-1"], "must be at least 0, got -1"),
        (["--gallery-size", "big"], "invalid size 'big'"),
        (["--type", "filepath"], "invalid choice: 'filepath'"),
        (
            ["--content", "resized,upscaled"],
            "invalid content kind 'upscaled'; choose from resized,tiled",
        ),
        (["--content", " , "], "invalid content ' , '"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_options_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bench", *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_json_into_missing_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nope" / "out.json"
    assert main(["bench", "--quick", "--json", str(target)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"gradio-lossless bench: cannot write --json {str(target)!r}: "
        "folder does not exist\n"
    )


class _BrokenImage:
    """Serves like stock gr.Image, then raises on the first preprocess."""

    def __init__(self, **kwargs: Any) -> None:
        import gradio as gr

        self._inner = gr.Image(**kwargs)

    def postprocess(self, value: Any) -> Any:
        return self._inner.postprocess(value)

    def preprocess(self, payload: Any) -> Any:
        raise ValueError("boom")


class _BrokenGallery:
    def __init__(self, **kwargs: Any) -> None:
        pass

    def postprocess(self, value: Any) -> Any:
        raise ValueError("boom")


@pytest.fixture
def broken_lossless(monkeypatch: pytest.MonkeyPatch) -> None:
    import gradio_lossless.tools.bench.contenders as contenders

    classes = {"image": _BrokenImage, "gallery": _BrokenGallery}
    monkeypatch.setattr(
        contenders, "_lossless_class", lambda kind: (classes[kind], None)
    )


TINY = ["--sizes", "16x16", "--repeats", "1", "--gallery-count", "1"]
TINY += ["--gallery-size", "16x16", "--gallery-repeats", "1"]


@pytest.mark.usefixtures("broken_lossless")
def test_component_error_is_reported_and_others_still_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "broken.json"
    assert main(["bench", *TINY, "--json", str(out)]) == 2
    captured = capsys.readouterr()
    assert "error" in captured.out
    assert captured.err.endswith(
        "gradio-lossless bench: 8 measurements failed because a component raised "
        "(rerun with --verbose for the traceback)\n"
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    for row in data["hops"] + data["gallery"]:
        if row["contender"] == "lossless":
            assert row["available"] is False
            assert row["error"].endswith("ValueError: boom")
            assert row["ms"] is None
        else:
            assert row["available"] is True
            assert row["error"] is None
    assert data["hops"][2]["error"] == (
        "gradio_lossless.Image() failed on a resized 16x16 pass-through hop: "
        "ValueError: boom"
    )
    assert data["hops"][-1]["error"] == (
        "gradio_lossless.Image() failed on a tiled 16x16 modified hop: ValueError: boom"
    )
    assert data["gallery"][-1]["error"] == (
        "gradio_lossless.Gallery() failed on 1 tiled images (first postprocess): "
        "ValueError: boom"
    )


@pytest.mark.usefixtures("broken_lossless")
def test_component_error_with_verbose_raises() -> None:
    with pytest.raises(
        RuntimeError, match=r"Image\(\) failed on a resized 16x16 pass-through"
    ):
        main(["--verbose", "bench", *TINY])


def _target(status: str) -> TargetResult:
    return TargetResult(
        name="image-modified",
        content="tiled",
        description="Image 3840x2160 RGB, modified hop (tiled)",
        min_ratio=3.0,
        source="issue 3, item 5",
        status=status,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("status", "code"), [("pass", 0), ("fail", 1), ("skipped", 1)])
def test_check_exit_code(
    status: str,
    code: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the command imports its work when it runs, so the targets module is patched
    monkeypatch.setattr(
        bench_targets,
        "evaluate_targets",
        lambda hops, gallery, contents: (_target(status),),
    )
    argv = ["bench", "--sizes", "16x16", "--repeats", "1", "--gallery-count", "0"]
    argv += ["--content", "tiled"]
    assert main([*argv, "--check"]) == code
    err = capsys.readouterr().err
    if code:
        assert f"targets not met: image-modified on tiled ({status})" in err
    assert main(argv) == 0  # without --check, targets are only reported


def _hop(
    contender: str, ratio: float | None, exact: bool, available: bool = True
) -> HopResult:
    return HopResult(
        content="tiled",
        size="3840x2160",
        hop="modified",
        contender=contender,
        label=contender,
        type="numpy",
        available=available,
        note=None if available else "unavailable: cannot import x",
        ms=None if ratio is None else 100 / ratio,
        bit_exact=exact if available else None,
        vs_stock_webp=ratio,
    )


@pytest.mark.parametrize(
    ("ratio", "exact", "available", "status"),
    [
        (3.5, True, True, "pass"),
        (2.9, True, True, "fail"),
        (50.0, False, True, "fail"),  # fast but lossy does not count
        (None, None, False, "skipped"),
    ],
)
def test_evaluate_targets(
    ratio: float | None, exact: bool, available: bool, status: str
) -> None:
    hops = [_hop("stock-webp", 1.0, False), _hop("lossless", ratio, exact, available)]
    results = evaluate_targets(hops, [], ["resized", "tiled"])
    assert len(results) == 2 * len(bench_targets.TARGETS)
    targets = {(t.content, t.name): t for t in results}
    tiled = targets["tiled", "image-modified"]
    assert tiled.status == status
    assert tiled.ratio == ratio
    assert tiled.description == "Image 3840x2160 RGB, modified hop (tiled)"
    # the rows are tiled: the resized target is not measured, not judged on them
    assert targets["resized", "image-modified"].status == "not measured"
    assert targets["resized", "image-modified"].ratio is None
    assert targets["tiled", "image-pass-through"].status == "not measured"
    assert targets["tiled", "gallery-first"].note == (
        "needs --gallery-count 16 --gallery-size 3840x2160"
    )


def test_pass_through_target_is_40x() -> None:
    specs = {t.name: t.min_ratio for t in bench_targets.TARGETS}
    assert specs == {
        "image-pass-through": 40.0,
        "image-modified": 3.0,
        "gallery-first": 4.0,
        "gallery-unchanged": 20.0,
    }
    hops = [_hop("stock-webp", 1.0, False), _hop("lossless", 39.0, True)]
    hops = [dataclasses.replace(h, hop="pass-through") for h in hops]
    (result,) = [
        t for t in evaluate_targets(hops, [], ["tiled"]) if t.status != "not measured"
    ]
    assert (result.name, result.status) == ("image-pass-through", "fail")


def test_format_ratio() -> None:
    assert format_ratio(27.34, baseline=False) == "27.3\u00d7 faster"
    assert format_ratio(0.5, baseline=False) == "2.0\u00d7 slower"
    assert format_ratio(1.0, baseline=True) == "baseline"
    assert format_ratio(None, baseline=False) == "\u2014"


def test_parse_size() -> None:
    assert parse_size("3840x2160") == (3840, 2160)
    assert parse_size(" 16 X 9 ") == (16, 9)
    assert format_size(parse_size("512x512")) == "512x512"
    with pytest.raises(
        ValueError, match=r"^invalid size '3840'; expected WIDTHxHEIGHT"
    ):
        parse_size("3840")


def test_photo_is_deterministic_and_distinct() -> None:
    a = photo((40, 30), variant=0)
    assert a.shape == (30, 40, 3)
    assert a.dtype == np.uint8
    assert np.array_equal(a, photo((40, 30), variant=0))
    variants = [photo((40, 30), variant=v).tobytes() for v in range(4)]
    assert len(set(variants)) == 4
    assert 10 < a.std() < 120  # a photo, not a flat field or pure noise


def test_tiled_photo_is_deterministic_and_distinct() -> None:
    a = photo((700, 400), variant=0, kind="tiled")
    assert a.shape == (400, 700, 3)
    assert a.dtype == np.uint8
    assert np.array_equal(a, photo((700, 400), variant=0, kind="tiled"))
    variants = [photo((700, 400), variant=v, kind="tiled") for v in range(4)]
    assert len({v.tobytes() for v in variants}) == 4
    # not just different noise: the layouts differ
    assert np.abs(variants[0].astype(int) - variants[1]).mean() > 20
    assert not np.array_equal(a, photo((700, 400), variant=0, kind="resized"))
    assert 10 < a.std() < 120
    with pytest.raises(ValueError, match="unknown content kind 'upscaled'"):
        photo((8, 8), kind="upscaled")  # type: ignore[arg-type]


def _packed(array: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    rgb = array.reshape(-1, 3).astype(np.int32)
    return np.asarray((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2])


def test_tiled_photo_is_at_native_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the noise, every pixel is a bundled photo's pixel: nothing is
    interpolated, as resizing would."""
    monkeypatch.setattr(bench_images, "NOISE_SIGMA", 0.0)
    sources = np.concatenate(
        [
            _packed(bench_images._source_array(name))
            for name in bench_images._TILE_SOURCES
        ]
    )
    tiled = photo((1000, 700), variant=3, kind="tiled")
    assert np.isin(_packed(tiled), sources).all()
    resized = photo((1000, 700), variant=3, kind="resized")
    assert not np.isin(_packed(resized), sources).all()


def _png_bytes_per_pixel(array: np.ndarray[Any, Any]) -> float:
    buffer = io.BytesIO()
    PIL.Image.fromarray(array).save(buffer, format="PNG", compress_level=1)
    return len(buffer.getvalue()) / (array.shape[0] * array.shape[1])


def test_tiled_photo_compresses_worse_than_resized() -> None:
    size = (1280, 720)
    resized = _png_bytes_per_pixel(photo(size, kind="resized"))
    tiled = _png_bytes_per_pixel(photo(size, kind="tiled"))
    assert tiled > 1.1 * resized
