"""gradio-lossless audit against real apps on 127.0.0.1: stock degrades (exit 1),
lossless survives (exit 0), usage and connection errors exit 2 with one line."""

from __future__ import annotations

import json
import math

import gradio as gr
import numpy as np
import PIL.Image
import pytest

from gradio_lossless.cli import main
from gradio_lossless.components import Gallery, Image
from gradio_lossless.tools.audit.fidelity import Fidelity, compare
from gradio_lossless.tools.audit.plot import plot_fidelity
from tests.conftest import free_port
from tests.samples import photo

pytestmark = pytest.mark.e2e


def passthrough(image):  # type: ignore[no-untyped-def]
    return image


@pytest.fixture(scope="module")
def app():  # type: ignore[no-untyped-def]
    """One app, two pass-through endpoints: stock gr.Image and ours."""
    from tests.conftest import serve

    with gr.Blocks() as demo:
        stock_in, stock_out = gr.Image(type="numpy"), gr.Image(type="numpy")
        ours_in, ours_out = Image(type="numpy"), Image(type="numpy")
        prompt = gr.Textbox()
        strength = gr.Slider(0, 1, value=0.5)
        gr.Button().click(passthrough, stock_in, stock_out, api_name="stock")
        gr.Button().click(passthrough, ours_in, ours_out, api_name="lossless")
        gr.Button().click(
            lambda image, text: (text, image),
            [ours_in, prompt],
            [prompt, ours_out],
            api_name="needs_prompt",
        )
        gr.Button().click(
            lambda image, _: image, [ours_in, strength], ours_out, api_name="strength"
        )
        gr.Button().click(lambda text: text, prompt, prompt, api_name="text_only")
        stock_gallery, our_gallery = gr.Gallery(type="numpy"), Gallery(type="numpy")
        gr.Button().click(passthrough, stock_gallery, stock_gallery, api_name="sg")
        gr.Button().click(passthrough, our_gallery, our_gallery, api_name="lg")
    with serve(demo) as (url, _):
        yield url


def audit(*args: str) -> int:
    return main(["audit", *args])


def test_stock_app_degrades_exit_1(app, capsys, tmp_path):  # type: ignore[no-untyped-def]
    code = audit(app, "--api-name", "/stock", "--hops", "3", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "judgement: near-identity: hop 1 came back close to the original (PSNR 35."
    ) in out
    assert "✗ degrades: /stock changes the image from hop 1 (PSNR 35." in out
    report = json.loads((tmp_path / "audit.json").read_text())
    assert report["judgement"]["kind"] == "near-identity"
    assert report["verdict"]["exact"] is False
    assert [h["hop"] for h in report["hops"]] == [1, 2, 3]
    assert {h["served"]["codec"] for h in report["hops"]} == {"WebP (VP8, lossy)"}
    assert all(h["repeat"] is None for h in report["hops"])  # compared, not repeated
    assert not any(h["bit_exact"] for h in report["hops"])
    psnrs = [h["psnr"] for h in report["hops"]]
    assert 30 < psnrs[2] < psnrs[0] < 40  # each hop a new lossy generation
    with PIL.Image.open(tmp_path / "audit.png") as plot:
        assert plot.format == "PNG"
        assert plot.width > 300


def test_lossless_app_survives_exit_0(app, capsys):  # type: ignore[no-untyped-def]
    assert audit(app, "--api-name", "lossless", "--hops", "4") == 0
    out = capsys.readouterr().out
    assert (
        "judgement: identity: hop 1 returned the image unchanged, so every hop is "
        "compared with the original"
    ) in out
    assert "✓ bit-exact: /lossless passed the image through 4 hops unchanged" in out
    assert out.count("∞") == 4


@pytest.mark.parametrize(("api_name", "code"), [("/sg", 1), ("/lg", 0)])
def test_galleries_first_image_is_followed(app, capsys, api_name, code):  # type: ignore[no-untyped-def]
    assert audit(app, "--api-name", api_name, "--hops", "2") == code
    verdict = "✗ degrades" if code else "✓ bit-exact"
    assert verdict in capsys.readouterr().out


def test_user_image_and_other_inputs_with_defaults(app, capsys, tmp_path):  # type: ignore[no-untyped-def]
    """--image is uploaded byte-for-byte; a second input with a default is filled."""
    path = tmp_path / "small.png"
    PIL.Image.fromarray(photo(40, 56)).save(path)
    assert (
        audit(app, "--api-name", "/strength", "--image", str(path), "--hops", "2") == 0
    )
    assert f"{path}, 2 hops" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--api-name", "/nope", "--hops", "1"],
            "gradio-lossless audit: no endpoint '/nope' in this app; its endpoints: "
            "/lg, /lossless, /needs_prompt, /sg, /stock, /strength, /text_only",
        ),
        (
            ["--api-name", "/text_only", "--hops", "1"],
            "gradio-lossless audit: endpoint '/text_only' has no image input",
        ),
        (
            ["--api-name", "/stock", "--hops", "1", "--image", "/no/such.png"],
            "gradio-lossless audit: --image '/no/such.png': no such file",
        ),
    ],
)
def test_usage_errors_exit_2(app, capsys, args, message):  # type: ignore[no-untyped-def]
    assert audit(app, *args) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == message
    assert "Traceback" not in captured.err


def test_required_input_without_default_exit_2(app, capsys):  # type: ignore[no-untyped-def]
    """An endpoint with a required non-image input cannot be audited: say which."""
    assert audit(app, "--api-name", "/needs_prompt", "--hops", "1") == 2
    assert "needs a value for 'text'" in capsys.readouterr().err


def test_bad_url_exit_2_one_line(capsys):  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{free_port()}/"
    assert audit(url, "--api-name", "/predict", "--hops", "1") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gradio-lossless audit: cannot connect to {url}: ")
    assert err.count("\n") == 1


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_raises_instead(where):  # type: ignore[no-untyped-def]
    """--verbose (before or after the subcommand) shows the traceback."""
    from gradio_lossless.tools.audit.endpoint import AuditError

    args = ["audit", f"http://127.0.0.1:{free_port()}/", "--api-name", "/p"]
    args += ["--hops", "1"]
    args = ["--verbose", *args] if where == "before" else [*args, "--verbose"]
    with pytest.raises(AuditError, match="cannot connect to"):
        main(args)


def test_not_a_url_exit_2(capsys):  # type: ignore[no-untyped-def]
    assert audit("example.com", "--api-name", "/p", "--hops", "1") == 2
    assert capsys.readouterr().err == (
        "gradio-lossless audit: URL must start with http:// or https://, "
        "got 'example.com'\n"
    )


@pytest.mark.parametrize("hops", ["0", "x"])
def test_bad_hops_is_a_usage_error(hops, capsys):  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exc:
        audit("http://127.0.0.1:1/", "--api-name", "/p", "--hops", hops)
    assert exc.value.code == 2
    assert "--hops" in capsys.readouterr().err


def test_compare() -> None:
    a = photo(16, 16)
    assert compare(a, a.copy(), hop=3) == Fidelity(3, math.inf, 0.0, True)
    b = a.copy()
    b[0, 0, 0] ^= 1
    f = compare(a, b, ssim=True)
    assert (f.bit_exact, f.max_abs_error) == (False, 1.0)
    assert f.psnr == pytest.approx(10 * math.log10(255**2 / (1 / a.size)))
    assert 0.99 < f.ssim < 1.0  # type: ignore[operator]
    g = compare(a, np.dstack([a, a[..., :1]]))
    assert (g.bit_exact, g.note) == (False, "shape (16, 16, 3) -> (16, 16, 4)")
    assert math.isnan(g.psnr)
    # a dtype change compares each image on its dtype's 0-1 scale, not against the
    # original's peak (uint8 x against float32 x / 255 was "5.21 dB", issue 13)
    h = compare(a, a.astype(np.float32) / 255)
    assert (h.bit_exact, h.note) == (False, "dtype uint8 -> float32")
    assert h.max_abs_error < 1e-7 and h.psnr > 140
    wide = a.astype(np.uint16) * 257  # the same levels on 16 bits
    assert compare(wide, a).max_abs_error == 0.0
    assert compare(wide, a).note == "dtype uint16 -> uint8"
    assert math.isinf(compare(wide, a).psnr)
    squashed = compare(wide + 100, a)  # 16-bit detail the 8-bit copy lost
    assert squashed.max_abs_error == pytest.approx(100 / 65535)


def test_plot_draws_exact_hops_on_the_infinity_line() -> None:
    exact = [Fidelity(i, math.inf, 0.0, True) for i in (1, 2)]
    lossy = [Fidelity(1, 35.6, 66.0, False), Fidelity(2, 34.8, 70.0, False)]
    fig = plot_fidelity({"lossy": lossy, "exact": exact})
    ax = fig.axes[0]
    lossy_line, exact_line = ax.get_lines()[:2]
    assert list(lossy_line.get_ydata()) == [35.6, 34.8]
    ceiling = exact_line.get_ydata()[0]
    assert ceiling > 35.6
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "∞"
