"""The server secret: where it is kept, who may share it, where it may never be."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import httpx
import pytest

from gradio_lossless.store import secret
from gradio_lossless.store.shared import FolderBackend


def _generated(state: Path, served: Path) -> bytes:
    os.environ["XDG_STATE_HOME"] = str(state)
    os.environ.pop("GRADIO_LOSSLESS_SECRET", None)
    os.environ.pop("GRADIO_LOSSLESS_SECRET_FILE", None)
    return secret.load_secret(served)


def test_a_generated_secret_is_kept_0600_in_a_0700_folder_and_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("GRADIO_LOSSLESS_SECRET", raising=False)
    monkeypatch.delenv("GRADIO_LOSSLESS_SECRET_FILE", raising=False)
    first = secret.load_secret(tmp_path / "cache")
    path = tmp_path / "state" / "gradio-lossless" / "secret"
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert secret.load_secret(tmp_path / "cache") == first  # a restart keeps it
    assert list(path.parent.iterdir()) == [path]  # no temporary file left


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        got = pool.starmap(_generated, [(tmp_path / "s", tmp_path / "c")] * 8)
    assert len(set(got)) == 1


def test_the_setting_wins_and_must_be_long_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADIO_LOSSLESS_SECRET", "x" * 32)
    assert secret.load_secret(tmp_path) == b"x" * 32
    monkeypatch.setenv("GRADIO_LOSSLESS_SECRET", "too short")
    with pytest.raises(
        ValueError, match=r"^GRADIO_LOSSLESS_SECRET must be at least 32 characters$"
    ):
        secret.load_secret(tmp_path)


def test_a_secret_file_inside_the_served_cache_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRADIO_LOSSLESS_SECRET", raising=False)
    monkeypatch.setenv("GRADIO_LOSSLESS_SECRET_FILE", str(tmp_path / "c" / "s"))
    with pytest.raises(ValueError, match="lies inside the Gradio cache folder"):
        secret.load_secret(tmp_path / "c")
    assert not (tmp_path / "c" / "s").exists()


def test_a_shared_folder_keeps_one_secret_for_every_replica(tmp_path: Path) -> None:
    a, b = FolderBackend(tmp_path), FolderBackend(tmp_path)
    first = a.secret(b"a" * 32)
    assert first == b"a" * 32 and b.secret(b"b" * 32) == first
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_why_the_secret_is_not_in_the_cache_folder(server, tmp_path: Path) -> None:
    """Gradio's /file= route serves any file under the cache folder, dotfiles too:
    a secret kept there would be anyone's who names its path."""
    import gradio as gr

    from gradio_lossless.store.store import get_store

    with gr.Blocks() as demo:
        gr.Textbox()
    cache = Path(demo.GRADIO_CACHE)
    probe = cache / ".secret-probe"
    probe.write_text("readable by anyone")
    probe.chmod(0o600)
    try:
        with server(demo) as (url, _):
            got = httpx.get(f"{url}gradio_api/file={probe}")
            assert got.status_code == 200 and got.text == "readable by anyone"
            assert get_store(cache).keys is not None
            assert not any(cache.rglob("secret"))
    finally:
        probe.unlink()


def test_an_unwritable_secret_file_warns_and_keys_with_a_process_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRADIO_LOSSLESS_SECRET", raising=False)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("GRADIO_LOSSLESS_SECRET_FILE", str(blocker / "secret"))
    with pytest.warns(RuntimeWarning, match="cannot keep its secret at"):
        first = secret.load_secret(tmp_path / "cache")
    with pytest.warns(RuntimeWarning):
        second = secret.load_secret(tmp_path / "cache")
    assert len(first) == 32 and first != second  # one of its own, each time


def test_a_shared_folder_inside_the_served_cache_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradio_lossless.store.store import get_store

    monkeypatch.setenv("GRADIO_LOSSLESS_STORE", str(tmp_path / "cache" / "shared"))
    with pytest.raises(
        ValueError,
        match=r"^GRADIO_LOSSLESS_STORE '.*/cache/shared' lies inside the Gradio cache",
    ):
        get_store(tmp_path / "cache")
    assert not (tmp_path / "cache" / "shared" / "secret").exists()
