"""Attack 1 (issue 11): a FileData payload without "meta" naming a server path.

Gradio checks only payloads whose meta says "gradio.FileData"; without it the path
reaches the component. Every path outside Gradio's upload and cache folders (after
resolving symlinks), missing, a folder or not an image must get one and the same
text, so no answer tells what exists; the file's content never comes back.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import httpx
import numpy as np
import PIL.Image
import pytest
from gradio_client import handle_file

from tests.security.apps import digest
from tests.security.conftest import REFUSED, call_raw, editor, upload

pytestmark = pytest.mark.e2e

NAME = "secret.png"  # the basename of every path tried, so the texts can be equal
SECRET_TEXT = "root:x:0:0:root:/root:/bin/bash\n"


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Server paths a client must not learn anything about, by case."""
    root = tmp_path_factory.mktemp("outside")
    cases = {k: root / k / NAME for k in ("real", "missing", "folder", "text")}
    for path in cases.values():
        path.parent.mkdir()
    secret = np.random.default_rng(99).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    PIL.Image.fromarray(secret).save(cases["real"])
    cases["folder"].mkdir()
    cases["text"].write_text(SECRET_TEXT)
    return cases


def attack_paths(cache_dir: Path, outside: dict[str, Path]) -> dict[str, str]:
    """Every path tried: the outside cases, a symlink inside the server's upload
    folder pointing at the real file outside, a ../ walk out of the cache, and a
    missing file and a folder inside the cache folder."""
    link_dir = cache_dir / hashlib.sha256(b"planted").hexdigest()[:40]
    link_dir.mkdir(parents=True, exist_ok=True)
    link = link_dir / NAME
    if not link.is_symlink():
        link.symlink_to(outside["real"])
    walk = os.path.join(str(cache_dir), os.path.relpath(outside["real"], cache_dir))
    assert ".." in walk and Path(walk).resolve() == outside["real"].resolve()
    # inside the cache folder too, a missing file and a folder answer the same
    missing_inside = cache_dir / hashlib.sha256(b"missing").hexdigest()[:40] / NAME
    folder_inside = cache_dir / hashlib.sha256(b"folder").hexdigest()[:40] / NAME
    folder_inside.mkdir(parents=True, exist_ok=True)
    paths = {k: str(v) for k, v in outside.items()}
    paths.update(
        symlink_in_upload_folder=str(link),
        dotdot_from_cache=walk,
        missing_in_cache=str(missing_inside),
        folder_in_cache=str(folder_inside),
    )
    return paths


def served_back(result: list, secret: Path) -> str:  # type: ignore[type-arg]
    """For a call that completed: what came back, and whether it is the secret."""
    items = result[0] if isinstance(result[0], list) else [result[0]]
    want = np.asarray(PIL.Image.open(secret))
    out = []
    for item in items:
        url = (item.get("image") or item)["url"]
        data = httpx.get(url, timeout=30).content
        got = np.asarray(PIL.Image.open(io.BytesIO(data)))
        same = "the secret's pixels, exact" if np.array_equal(got, want) else "other"
        out.append(f"served {len(data)} bytes ({same}) at {url}")
    return "; ".join(out)


@pytest.mark.parametrize("component", ["image", "gallery"])
def test_a_path_without_meta_gets_one_text_whatever_is_there(
    main, outside, watch, tmp_path: Path, component: str
) -> None:
    paths = attack_paths(main.cache_dir, outside)
    if component == "image":
        api, want = "pil", f"Image '{NAME}': {REFUSED}"
    else:
        api, want = "gallery", f"Gallery item 1 ('{NAME}'): {REFUSED}"
        fine = tmp_path / "fine.png"
        PIL.Image.fromarray(np.full((8, 8, 3), 40, np.uint8)).save(fine)
        first = {"image": upload(main, fine), "caption": None}

    answers: dict[str, str] = {}
    with watch(main, f"paths/{component} ({len(paths)} payloads)") as w:
        for case, path in paths.items():
            payload = {"path": path}  # no "meta": Gradio's own check skips it
            data = [payload] if component == "image" else [[first, {"image": payload}]]
            event, result = call_raw(main, api, data)
            if event == "error":
                answers[case] = f"error: {result}"
                assert SECRET_TEXT.strip() not in str(result)
            else:
                answers[case] = f"complete: {served_back(result, outside['real'])}"
    leaked = [c for c, a in answers.items() if a.startswith("complete")]
    w.note(
        f"read and served back: {', '.join(leaked)}" if leaked else "all refused",
    )
    report = "\n".join(f"  {case}: {answer}" for case, answer in answers.items())
    assert all(a == f"error: {want}" for a in answers.values()), (
        f"every path must get exactly {want!r}; got:\n{report}"
    )


def test_after_the_path_attacks_a_normal_upload_is_still_exact(
    main, outside, tmp_path: Path
) -> None:
    paths = attack_paths(main.cache_dir, outside)
    for path in paths.values():
        call_raw(main, "pil", [{"path": path}])
    value = np.random.default_rng(5).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    file = tmp_path / "normal.png"
    PIL.Image.fromarray(value).save(file)
    client = main.client()
    assert client.predict(handle_file(file), api_name="/digest_pil") == digest(
        PIL.Image.fromarray(value)
    )
    served = client.predict(handle_file(file), api_name="/pil")
    assert np.array_equal(np.asarray(PIL.Image.open(served)), value)
    items = [{"image": handle_file(file), "caption": None}]
    assert client.predict(items, api_name="/digest_gallery") == digest(
        PIL.Image.fromarray(value)
    )


# --- ImageSlider, ImageEditor, AnnotatedImage (issue 15) -----------------------------


@pytest.mark.parametrize("slot", [1, 2])
def test_a_slider_path_without_meta_gets_one_text_whatever_is_there(
    main, outside, watch, tmp_path: Path, slot: int
) -> None:
    """SliderData takes FileData without "meta": stock gr.ImageSlider reads any
    server path it is sent (the secret's pixels reach the function); ours refuses
    every one with the same text."""
    paths = attack_paths(main.cache_dir, outside)
    fine = tmp_path / "fine.png"
    PIL.Image.fromarray(np.full((8, 8, 3), 40, np.uint8)).save(fine)
    good = upload(main, fine)
    want = f"ImageSlider image {slot} '{NAME}': {REFUSED}"
    secret = digest(np.asarray(PIL.Image.open(outside["real"])))

    def pair(path: str) -> list:  # type: ignore[type-arg]
        items = [good, good]
        items[slot - 1] = {"path": path}
        return [items]

    stock = call_raw(main, "stock_digest_slider", pair(str(outside["real"])))
    answers: dict[str, str] = {}
    with watch(main, f"paths/slider image {slot} ({len(paths)} payloads)") as w:
        for case, path in paths.items():
            event, result = call_raw(main, "digest_slider", pair(path))
            answers[case] = f"{event}: {result}"
            assert secret not in str(result)
    stock_read = stock[0] == "complete" and secret in stock[1][0]
    w.note(f"ours: all refused; stock read the secret: {stock_read}")
    report = "\n".join(f"  {case}: {answer}" for case, answer in answers.items())
    assert all(a == f"error: {want}" for a in answers.values()), (
        f"every path must get exactly {want!r}; got:\n{report}"
    )


EDITOR_SLOTS = {
    "background": lambda bad, good: editor(bad, [good], good),
    "layer": lambda bad, good: editor(good, [good, bad], good),
    "composite": lambda bad, good: editor(good, [], bad),
}
ANNOTATED_SLOTS = {
    "base": lambda bad, good: {"image": bad, "annotations": []},
    "mask": lambda bad, good: {
        "image": good,
        "annotations": [{"image": bad, "label": "x"}],
    },
}


@pytest.mark.parametrize("meta", [False, True], ids=["no-meta", "meta"])
def test_editor_and_annotated_paths_are_refused_before_the_component(
    main, outside, watch, tmp_path: Path, meta: bool
) -> None:
    """EditorData and AnnotatedImageData insist on "meta", and with it Gradio
    refuses every path it did not upload or serve (stock and ours: the same hidden
    error). A missing file or a folder inside the cache folder passes Gradio's
    check: stock fails reading it (hidden), ours refuses it with the one text."""
    paths = attack_paths(main.cache_dir, outside)
    fine = tmp_path / "fine.png"
    PIL.Image.fromarray(np.full((8, 8, 4), 40, np.uint8)).save(fine)
    good = upload(main, fine)
    cases = [
        (api, slot, build)
        for api, slots in (("editor", EDITOR_SLOTS), ("annotated", ANNOTATED_SLOTS))
        for slot, build in slots.items()
    ]
    answers: dict[str, tuple[str, str]] = {}
    ok: dict[str, set[str]] = {}
    with watch(main, f"paths/editor+annotated, meta={meta}") as w:
        for api, slot, build in cases:
            what = "AnnotatedImage base image" if api == "annotated" else ""
            what = what or f"ImageEditor {slot}"
            if slot == "layer":
                what = "ImageEditor layer 1"
            ours_ok = {"error: None", f"error: {what} '{NAME}': {REFUSED}"}
            for case, path in paths.items():
                bad = {"path": path, **({"meta": good["meta"]} if meta else {})}
                ours = call_raw(main, f"digest_{api}", [build(bad, good)])
                stock = call_raw(main, f"stock_digest_{api}", [build(bad, good)])
                key = f"{api} {slot} {case}"
                answers[key] = (f"{ours[0]}: {ours[1]}", f"{stock[0]}: {stock[1]}")
                ok[key] = ours_ok
    named = sum(a[0] != "error: None" for a in answers.values())
    w.note(f"{len(answers)} payloads all refused ({named} by ours, named)")
    wrong = {
        k: v for k, v in answers.items() if v[0] not in ok[k] or v[1] != "error: None"
    }
    assert not wrong, f"(ours, stock) must both be refusals: {wrong}"
