"""AnnotatedImage's masks are stock's own files: for every kind of annotation the
mask PNG gradio_lossless.AnnotatedImage writes has the same bytes and path as the
one stock gr.AnnotatedImage writes, whether our 8-bit drawing made it (``fast``)
or stock's own code did because the case rests on more than plain arithmetic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import pytest

import gradio_lossless as gl
from gradio_lossless.components import _masks
from gradio_lossless.patching import STOCK_ANNOTATED_IMAGE
from tests.samples import photo

H, W = 48, 64
RNG = np.random.default_rng(7)


def _soft(dtype: str) -> np.ndarray[Any, Any]:
    mask = RNG.random((H, W))
    mask[mask < 0.4] = 0
    return mask.astype(dtype)


def _ints(dtype: str, values: tuple[int, ...]) -> np.ndarray[Any, Any]:
    return RNG.choice(np.array(values), size=(H, W)).astype(dtype)


# (id, annotations, color_map, drawn by us)
CASES: list[tuple[str, list[tuple[Any, str]], dict[str, str] | None, bool]] = [
    ("box", [((4, 5, 30, 40), "a")], None, True),
    ("box as list, numpy ints", [([np.int64(2), 3, np.int32(20), 9], "a")], None, True),
    ("box negative", [((-10, 5, 30, -4), "a")], None, True),
    ("box past the edges", [((0, 0, 1000, 1000), "a")], None, True),
    ("box inverted", [((30, 40, 4, 5), "a")], None, True),
    ("box thinner than its border", [((10, 10, 12, 11), "a")], None, True),
    ("float64 0-1", [(_soft("float64"), "a")], None, True),
    ("float32 0-1", [(_soft("float32"), "a")], None, True),
    ("float16 0-1", [(_soft("float16"), "a")], None, True),
    ("bool", [(_soft("float64") > 0.5, "a")], None, True),
    ("uint8 0/1", [(_ints("uint8", (0, 1)), "a")], None, True),
    ("uint8 0/255 (wraps in stock)", [(_ints("uint8", (0, 255)), "a")], None, True),
    ("uint8 any", [(_ints("uint8", (0, 3, 77, 128, 255)), "a")], None, True),
    ("int64 0/1", [(_ints("int64", (0, 1)), "a")], None, True),
    ("int64 0/2", [(_ints("int64", (0, 2)), "a")], None, False),
    ("float above 1", [(_soft("float64") * 3, "a")], None, False),
    ("float negative", [(_soft("float64") - 0.5, "a")], None, False),
    ("float NaN", [(np.where(_soft("float64") > 0.5, np.nan, 0.2), "a")], None, False),
    ("row mask stock broadcasts", [(_soft("float64")[:1], "a")], None, False),
    (
        "colour",
        [((4, 5, 30, 40), "a"), (_soft("float64"), "b")],
        {"a": "#00ff80", "b": "1234AB"},
        True,
    ),
    ("label not in colour map", [((4, 5, 30, 40), "x")], {"a": "#00ff80"}, True),
    ("short colour", [((4, 5, 30, 40), "a")], {"a": "#fff"}, False),
    (
        "two masks, one stock's",
        [((4, 5, 30, 40), "a"), (_soft("float64") * 3, "b")],
        None,
        False,
    ),
    ("no annotations", [], None, True),
]


def _bases(tmp_path: Path) -> dict[str, Any]:
    rgb = photo(H, W)
    path = tmp_path / "base.png"
    PIL.Image.fromarray(rgb).save(path)
    return {
        "numpy": rgb,
        "numpy gray": rgb[..., 0].copy(),
        "pil rgba": PIL.Image.fromarray(rgb).convert("RGBA"),
        "path": str(path),
    }


def _masks_of(result: Any) -> list[tuple[str, bytes, str]]:
    return [
        (a.image.path, Path(a.image.path).read_bytes(), a.label)
        for a in result.annotations
    ]


# stock's own float64-to-8-bit cast warns on a NaN mask (which stock itself draws)
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("base_kind", ["numpy", "numpy gray", "pil rgba", "path"])
@pytest.mark.parametrize(
    ("annotations", "color_map", "fast"),
    [pytest.param(a, c, f, id=i) for i, a, c, f in CASES],
)
def test_masks_are_stocks_own_files(
    tmp_path: Path,
    base_kind: str,
    annotations: list[tuple[Any, str]],
    color_map: dict[str, str] | None,
    fast: bool,
) -> None:
    base = _bases(tmp_path)[base_kind]
    assert (_masks.draw(annotations, H, W, color_map) is not None) is fast
    stock = STOCK_ANNOTATED_IMAGE(color_map=color_map).postprocess((base, annotations))
    ours = gl.AnnotatedImage(color_map=color_map).postprocess((base, annotations))
    assert stock is not None and ours is not None
    assert _masks_of(ours) == _masks_of(stock)
    for path, _, _ in _masks_of(ours):
        with PIL.Image.open(path) as im:
            assert im.mode == "RGBA" and im.size == (W, H)
    with PIL.Image.open(ours.image.path) as got:
        if base_kind == "path":
            assert ours.image.path == base
        else:
            want = np.asarray(base)
            assert np.array_equal(np.asarray(got), want)


def test_drawn_pixels_follow_the_documented_rules() -> None:
    """A box is half transparent (alpha 127) inside a 3-pixel opaque border; a 0-1
    mask's alpha is mask × 255; the label's colour where the mask is above 0."""
    soft = np.zeros((H, W))
    soft[1, 1], soft[2, 2] = 0.5, 1.0
    drawn = _masks.draw(
        [((10, 10, 30, 20), "box"), (soft, "soft")], H, W, {"box": "#102030"}
    )
    assert drawn is not None
    (box, _), (mask, _) = drawn
    assert tuple(box[10, 10]) == (16, 32, 48, 255)  # border
    assert tuple(box[15, 20]) == (16, 32, 48, 127)  # inside
    assert tuple(box[15, 9]) == (0, 0, 0, 0) and tuple(box[20, 20]) == (0, 0, 0, 0)
    assert tuple(box[19, 29]) == (16, 32, 48, 255)  # last row and column: border
    assert tuple(mask[1, 1]) == (255, 0, 0, 127) and tuple(mask[2, 2]) == (
        255,
        0,
        0,
        255,
    )
    assert tuple(mask[0, 0]) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("base", "annotations"),
    [
        (Path("/nonexistent/base.png"), []),
        (np.zeros((H, W, 3), np.uint8), [(np.zeros((H + 1, W)), "a")]),
        (np.zeros((H, W, 3), np.uint8), [(np.zeros((H, W), np.int8), "a")]),
        (np.zeros((H, W, 3), np.uint8), [((4.0, 5, 30, 40), "a")]),
    ],
    ids=["Path object", "mask of another shape", "int8 mask", "float box corners"],
)
def test_what_stock_refuses_we_refuse_with_its_error(
    base: Any, annotations: Any
) -> None:
    with pytest.raises((ValueError, TypeError, OverflowError)) as stock:
        STOCK_ANNOTATED_IMAGE().postprocess((base, annotations))
    with pytest.raises((ValueError, TypeError, OverflowError)) as ours:
        gl.AnnotatedImage().postprocess((base, annotations))
    assert type(ours.value) is type(stock.value)
    assert str(ours.value) == str(stock.value)
