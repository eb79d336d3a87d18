"""Gradio's own component tests, from the sdist of the installed Gradio.

The sdist is fetched from the package registry with pip at test time (never kept in
this repository), and the few files the tests need are unpacked into a folder that
is the root of a pytest run: ``test/`` as in Gradio's repository (its conftest, the
test modules, ``test/test_files``) and Gradio's ``pyproject.toml`` for its pytest
settings. Two things the tests expect from Gradio's repository are not in the sdist,
and are added to that folder, never to Gradio's files:

- ``client/python/test/media_data.py``: ``test_image.py`` reads
  ``media_data.BASE64_IMAGE``, which in Gradio's repository is the data URL of
  ``test/test_files/bus.png``; here it is made from the sdist's own ``bus.png``.
- ``test/test_files/{foo,bar,baz,qux}.png``: ``test_gallery`` hands ``postprocess``
  these paths; stock never opens them, while gradio-lossless refuses a returned path
  that does not exist (its one deliberate difference), so they are made as 1x1 PNGs.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import PIL.Image

# ImageSlider has no test module in the sdist (test_slider.py is gr.Slider's)
TEST_MODULES = (
    "test/components/test_image.py",
    "test/components/test_gallery.py",
    "test/components/test_image_editor.py",
    "test/components/test_annotated_image.py",
)
# what those modules import or read, besides test/test_files/
SUPPORT_FILES = (
    "pyproject.toml",
    "test/__init__.py",
    "test/conftest.py",
    "test/components/__init__.py",
)
MISSING_GALLERY_FILES = ("foo.png", "bar.png", "baz.png", "qux.png")


class RegistryError(RuntimeError):
    """pip could not fetch the sdist (registry unreachable, version not there...)."""


def fetch_sdist(version: str, cache: Path, timeout: float = 420) -> Path:
    """``gradio-<version>.tar.gz`` in ``cache``, fetched with pip if not there yet."""
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"gradio-{version}.tar.gz"
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory(prefix="gradio-sdist-", dir=cache) as tmp:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--no-binary",
            ":all:",
            "--no-deps",
            "--dest",
            tmp,
            f"gradio=={version}",
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise RegistryError(f"{' '.join(command)} took over {timeout} s") from exc
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            raise RegistryError(
                f"{' '.join(command)} exited {done.returncode}:\n{tail}"
            )
        found = list(Path(tmp).glob("gradio-*.tar.gz"))
        if len(found) != 1:
            raise RegistryError(f"pip download left {found}, not one sdist")
        os.replace(found[0], target)  # whole or absent: never a partial file
    return target


def _wanted(relative: PurePosixPath) -> bool:
    name = relative.as_posix()
    return (
        name in TEST_MODULES
        or name in SUPPORT_FILES
        or (name.startswith("test/test_files/"))
    )


def unpack(sdist: Path, root: Path) -> None:
    """Write the files the tests need from ``sdist`` under ``root``."""
    with tarfile.open(sdist, "r:gz") as tar:
        for member in tar:
            parts = PurePosixPath(member.name).parts
            if not member.isfile() or len(parts) < 2:
                continue
            relative = PurePosixPath(*parts[1:])  # without gradio-<version>/
            if ".." in relative.parts or not _wanted(relative):
                continue
            destination = root.joinpath(*relative.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            with source, destination.open("wb") as out:
                shutil.copyfileobj(source, out)
    missing = [f for f in TEST_MODULES + SUPPORT_FILES if not (root / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{sdist.name} has no {', '.join(missing)}")


def add_what_the_sdist_lacks(root: Path) -> None:
    """The media_data module and the gallery files (see the module docstring)."""
    files = root / "test" / "test_files"
    for name in MISSING_GALLERY_FILES:
        path = files / name
        if not path.exists():
            PIL.Image.new("RGB", (1, 1), (10, 20, 30)).save(path)
    bus = base64.b64encode((files / "bus.png").read_bytes()).decode("ascii")
    media_data = root / "client" / "python" / "test" / "media_data.py"
    media_data.parent.mkdir(parents=True, exist_ok=True)
    media_data.write_text(
        '"""Stand-in for client/python/test/media_data.py of Gradio\'s repository, '
        'which no package ships."""\n\n'
        f"BASE64_IMAGE = {'data:image/png;base64,' + bus!r}\n"
    )


def prepare(sdist: Path, root: Path) -> Path:
    """A folder under ``root`` ready for ``pytest test/components/...``."""
    unpack(sdist, root)
    add_what_the_sdist_lacks(root)
    return root
