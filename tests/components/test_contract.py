"""The default contract (issue 13): whatever a function returns, the next function
receives from gradio_lossless.Image / Gallery exactly what stock gr.Image(format=
"png") / gr.Gallery(format="png") hands it in the same place. Stock is the oracle:
the same values go through the real stock components' postprocess and preprocess.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
import pytest
from gradio.components.gallery import GalleryData
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradio_lossless as gl
from gradio_lossless.patching import STOCK_GALLERY, STOCK_IMAGE
from tests.contract import (
    PNG_MODES,
    TIFF_MODES,
    TYPES,
    as_stock_means,
    assert_same,
    make_array,
    payload,
    values,
)

# longer run: CONTRACT_EXAMPLES=3000 pytest tests/components/test_contract.py
CONTRACT = settings(
    max_examples=int(os.environ.get("CONTRACT_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def stock_image(type: str, image_mode: str | None) -> Any:
    return STOCK_IMAGE(type=type, image_mode=image_mode, format="png")


def our_image(type: str, image_mode: str | None, fmt: str) -> Any:
    return gl.Image(type=type, image_mode=image_mode, format=fmt)


class Chain:
    """A value passed through components, an identity function between each two:
    what each function after the first received, the files each component
    served, and where it stopped ("post:<error>" or "pre:<error>"), if it did."""

    def __init__(self, components: list[Any], value: object) -> None:
        self.received: list[object] = []
        self.served: list[str] = []
        self.error = ""
        for src, dst in itertools.pairwise(components):
            try:
                data = src.postprocess(value)
            except (gr.Error, ValueError, TypeError, KeyError, OSError) as exc:
                self.error = f"post:{type(exc).__name__}"
                return
            self.served.append(data.path)
            try:
                value = dst.preprocess(payload(data))
            except (gr.Error, ValueError, TypeError, KeyError, OSError) as exc:
                self.error = f"pre:{type(exc).__name__}"
                return
            self.received.append(value)


def assert_deeper_file(ours: Any, stock: Chain, image_mode: str) -> None:
    """A converted filepath value in a mode PNG cannot hold (I, F, CMYK, ...): stock
    writes it as PNG, clipped (I) or not at all (an error); ours is a TIFF holding
    the conversion exactly (stock minus its lossy step)."""
    assert image_mode in TIFF_MODES and Path(ours).suffix == ".tiff", ours
    with PIL.Image.open(stock.served[0]) as source, PIL.Image.open(ours) as got:
        want = source.convert(image_mode)
        assert (got.mode, got.size) == (want.mode, want.size)
        assert got.tobytes() == want.tobytes()
    if not stock.error:  # mode I: stock's PNG holds the same values, clipped
        with PIL.Image.open(stock.received[0]) as clipped:  # type: ignore[arg-type]
            expected = np.clip(np.asarray(want, np.int64), 0, 65535)
            assert np.array_equal(np.asarray(clipped, np.int64), expected)


@CONTRACT
@given(
    value=values(),
    hops=st.lists(
        st.tuples(
            st.sampled_from(TYPES),
            st.sampled_from(PNG_MODES),
            st.sampled_from(["ours", "ours", "stock"]),
        ),
        min_size=2,
        max_size=6,
    ),
)
def test_mixed_chains_receive_what_an_all_stock_chain_does(
    value: Any, hops: list[tuple[str, str | None, str]]
) -> None:
    """Stock png -> ours -> ours -> stock ...: every function of the chain receives
    what it would in an all-stock chain."""
    stock_chain = [stock_image(t, m) for t, m, _ in hops]
    mixed = [
        our_image(t, m, "png") if who == "ours" else stock_image(t, m)
        for t, m, who in hops
    ]
    start = as_stock_means(value) if hops[0][2] == "ours" else value
    stock = Chain(stock_chain, start)
    ours = Chain(mixed, value)
    for i, (a, b) in enumerate(zip(ours.received, stock.received, strict=False)):
        assert_same(a, b, where=f"hop {i + 1} of {hops}")
    if stock.error == "post:KeyError":  # a bool array reached stock's converter:
        return  # ours goes on (0/255), stock fails
    assert len(ours.received) == len(stock.received)
    assert bool(ours.error) == bool(stock.error), (ours.error, stock.error)


@CONTRACT
@given(
    items=st.lists(
        st.tuples(values(), st.sampled_from([None, "a caption"])),
        min_size=1,
        max_size=4,
    ),
    type=st.sampled_from(TYPES),
    fmt=st.sampled_from(["png", "webp"]),
)
def test_gallery_receives_what_stock_png_hands_over(
    items: list[tuple[Any, str | None]], type: str, fmt: str
) -> None:
    value = [(v, c) if c else v for v, c in items]

    def hop(src: Any, dst: Any) -> tuple[Any, str]:
        try:
            served = src.postprocess(value)
        except (gr.Error, ValueError, TypeError, KeyError, OSError) as exc:
            return None, exc.__class__.__name__
        return dst.preprocess(GalleryData.model_validate(served.model_dump())), ""

    stock_g = STOCK_GALLERY(type=type, format="png")
    our_g = gl.Gallery(type=type, format=fmt)
    ours, our_error = hop(our_g, our_g)
    value = [(as_stock_means(v), c) if c else as_stock_means(v) for v, c in items]
    stock, stock_error = hop(stock_g, stock_g)
    if stock_error:
        assert our_error == "Error", (stock_error, our_error)
        return
    assert not our_error, our_error
    assert [c for _, c in ours] == [c for _, c in stock]
    for i, ((a, _), (b, _)) in enumerate(zip(ours, stock, strict=True)):
        if type == "filepath":  # stock's names are its content hashes: compare files
            with PIL.Image.open(a) as fa, PIL.Image.open(b) as fb:
                assert_same(fa.copy(), fb.copy(), where=f"item {i}")
        else:
            assert_same(a, b, where=f"item {i}")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (np.full((2, 2, 3), 2.5), "float values must lie in [-1, 1]"),
        (np.zeros((2, 2, 1), np.uint8), "an H×W×1 array is no PIL image"),
        (PIL.Image.new("F", (2, 2)), "PNG cannot hold mode 'F'"),
        (PIL.Image.new("CMYK", (2, 2)), "PNG cannot hold mode 'CMYK'"),
    ],
)
def test_values_stock_refuses_get_a_gr_error_naming_the_opt_in(
    value: object, fragment: str
) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - stock's own error, any kind
        STOCK_IMAGE(format="png").postprocess(value)
    with pytest.raises(gr.Error) as info:
        gl.Image().postprocess(value)
    assert fragment in info.value.message
    assert info.value.message.startswith("Image output: cannot use ")
    assert info.value.message.endswith(
        "(stock Gradio refuses it too); pass keep_dtype=True to the component to "
        "keep it exactly"
    )
    kept = gl.Image(keep_dtype=True, image_mode=None, type="numpy")
    assert kept.postprocess(value) is not None


def test_int64_is_accepted_as_stock_accepts_it() -> None:
    value = np.random.default_rng(0).integers(0, 256, (10, 20, 3))
    assert value.dtype == np.int64
    stock = Chain([stock_image("numpy", "RGB")] * 2, value).received
    ours = Chain([our_image("numpy", "RGB", "png")] * 2, value).received
    assert_same(ours[0], stock[0], where="int64")
    kept = Chain([gl.Image(type="numpy", keep_dtype=True)] * 2, value).received[0]
    assert isinstance(kept, np.ndarray)
    assert kept.dtype == np.int64 and np.array_equal(kept, value)


def test_float_sepia_output_reaches_the_next_function_as_stock_uint8() -> None:
    """Gradio's sepia_filter demo returns float64 in [0, 1]: the next function gets
    stock's uint8, so PIL.Image.fromarray works on it; metadata never mattered."""
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 256, (64, 48, 3), dtype=np.uint8)
    sepia = photo.dot(
        np.array(
            [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]
        ).T
    )
    sepia /= sepia.max()
    stock = Chain([stock_image("numpy", "RGB")] * 2, sepia).received[0]
    ours = Chain([our_image("numpy", "RGB", "png")] * 2, sepia).received[0]
    assert isinstance(ours, np.ndarray)
    assert ours.dtype == np.uint8 and ours.shape == (64, 48, 3)
    assert_same(ours, stock, where="sepia")
    PIL.Image.fromarray(ours)  # the chained step that used to crash


@pytest.mark.parametrize("span", ["unit", "signed", "wide"])
@pytest.mark.parametrize("dtype", ["uint16", "int32", "float16", "float64", "bool"])
def test_each_dtype_and_range_matches_stock(dtype: str, span: str) -> None:
    value = make_array(dtype, (5, 7, 3), span, 3)
    stock = Chain([stock_image("numpy", None)] * 2, as_stock_means(value))
    ours = Chain([our_image("numpy", None, "png")] * 2, value)
    if stock.error:
        assert ours.error == "post:Error", (stock.error, ours.error)
    else:
        assert_same(ours.received[0], stock.received[0], where=f"{dtype}/{span}")
