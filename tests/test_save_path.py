"""A saved value crosses each layer once: it is described once, and its address,
identity header and exact-file header are computed once and handed down."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import PIL.PngImagePlugin
import pytest

from gradio_lossless.components import _save
from gradio_lossless.core import conversions, described
from gradio_lossless.core.keys import Keys
from gradio_lossless.core.types import ImageValue
from gradio_lossless.store.store import Store
from tests import exact

SAVED: dict[str, object] = {}  # the value under test (its own calls are counted)

# what save may compute about a value, and where callers look each one up
WATCHED = [
    (conversions, "identity_header"),
    (conversions, "info_to_json"),
    (conversions, "palette_fields"),
    (conversions, "natural_mode"),
    (conversions, "nbytes"),
    (described, "is_png_native"),
    (_save, "describe"),
]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the calls of every WATCHED function, and of the keyed hashes with a
    bare value (which would describe it again)."""
    counter: Counter[str] = Counter()
    SAVED.clear()

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counter[name] += 1
            if args and args[0] is SAVED.get("value"):
                counter[f"{name} of the saved value"] += 1
            return real(*args, **kwargs)

        return wrapper

    for module, name in WATCHED:
        monkeypatch.setattr(module, name, spy(name, getattr(module, name)))
    for name in ("address", "change_digest"):
        real = getattr(Keys, name)

        def keyed(self: Keys, value: Any, _real: Any = real, _n: str = name) -> Any:
            counter[_n] += 1
            if not isinstance(value, described.Described):
                counter[f"{_n} of a bare value"] += 1
            return _real(self, value)

        monkeypatch.setattr(Keys, name, keyed)
    return counter


def _with_metadata(im: PIL.Image.Image) -> PIL.Image.Image:
    info = PIL.PngImagePlugin.PngInfo()
    info.add_text("parameters", "steps: 20")
    buf = io.BytesIO()
    im.save(buf, "PNG", pnginfo=info, icc_profile=b"\0" * 200)
    out = PIL.Image.open(io.BytesIO(buf.getvalue()))
    out.load()
    return out


def _palette() -> PIL.Image.Image:
    return PIL.Image.fromarray(np.arange(64 * 48, dtype=np.uint8).reshape(48, 64) % 7)


VALUES: dict[str, Callable[[], ImageValue]] = {
    "rgb array": lambda: np.arange(48 * 64 * 3, dtype=np.uint8).reshape(48, 64, 3),
    "float32 array": lambda: np.linspace(0, 1, 48 * 64, dtype=np.float32).reshape(
        48, 64
    ),
    "PIL RGB with text and ICC": lambda: _with_metadata(
        PIL.Image.new("RGB", (64, 48), (10, 20, 30))
    ),
    "PIL P": lambda: _palette().convert("P"),
    # 7.8 MB of pixels: hashed on another core while it encodes
    "large PIL RGB": lambda: PIL.Image.effect_noise((1400, 1400), 40).convert("RGB"),
}


@pytest.mark.parametrize("fmt", ["png", "webp"])
@pytest.mark.parametrize("kind", list(VALUES))
def test_a_new_value_is_described_and_addressed_once(
    kind: str, fmt: str, tmp_path: Path, calls: Counter[str]
) -> None:
    store = Store(tmp_path, keys=exact.KEYS)
    value = SAVED["value"] = VALUES[kind]()
    calls.clear()
    path = _save.save(value, store, format=fmt)
    assert calls["describe"] == 1
    assert calls["identity_header"] == 1
    assert calls["is_png_native"] == 1
    assert calls["address"] == 1
    assert calls["change_digest"] == 1
    assert calls["address of a bare value"] == 0
    assert calls["change_digest of a bare value"] == 0
    if isinstance(value, PIL.Image.Image):
        assert calls["info_to_json"] == 1
        assert calls["palette_fields"] == 1
        assert calls["nbytes"] == 1
    else:
        # (a float preview is a new array, whose mode is its own question)
        assert calls["natural_mode of the saved value"] == 1
        assert calls["nbytes"] == 0
    # and what was computed once is what a reader checks: the file is exact
    exact_png = Path(path) if fmt == "png" else Path(path).with_name("exact.png")
    stored = exact.decode(exact_png.read_bytes())
    assert stored.exact
    assert conversions.values_equal(stored.value, value)


def test_a_known_object_costs_one_change_digest_and_no_address(
    tmp_path: Path, calls: Counter[str]
) -> None:
    store = Store(tmp_path, keys=exact.KEYS)
    value = VALUES["PIL RGB with text and ICC"]()
    first = _save.save(value, store, format="webp")
    calls.clear()
    assert _save.save(value, store, format="webp") == first
    assert calls["describe"] == 1
    assert calls["change_digest"] == 1
    assert calls["address"] == 0
    assert calls["info_to_json"] == 1
    assert calls["change_digest of a bare value"] == 0
