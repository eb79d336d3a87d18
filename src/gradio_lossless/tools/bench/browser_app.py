"""The app each server of ``gradio-lossless bench --browser`` runs, one per process.

``python -m gradio_lossless.tools.bench.browser_app --contender stock|lossless
--port N --sizes WxH,... --content tiled --gallery-count N --gallery-size WxH``
serves, on 127.0.0.1, stock ``gr.Image()`` / ``gr.Gallery()`` (their defaults:
returned images saved as WebP quality 80) or ``gradio_lossless.Image()`` /
``Gallery()`` (their defaults), with the same element ids, so one driver
(``browser``) clicks both:

* for every size, numbered i in ``--sizes`` order: images ``#a-i`` and ``#b-i``;
  ``#load-i`` puts the test photo in ``#a-i``; ``#ab-i`` / ``#ba-i`` run the
  pass-through hop (the function returns its input) from one into the other,
  ``#mab-i`` / ``#mba-i`` the modified hop (it returns the test photo shifted
  right by one more pixel than last time, wrapping: new pixels, the same content
  for both contenders at every hop, whatever its input); ``#clear-a-i`` /
  ``#clear-b-i`` empty one; ``#verify-a-i`` / ``#verify-b-i`` compare what the
  function receives from it with what the last load or modified hop returned
  (after pass-through hops: the test photo) and write ``exact``, ``max diff N`` or
  ``shape ...`` into ``#status`` (as ``verify N: ...``);
* the gallery ``#gallery``: ``#prepare`` makes the next ``--gallery-count``
  distinct photos on the server (untimed; writes ``ready K`` into ``#status``),
  ``#show`` returns them, ``#clear-gallery`` empties it.

Prints ``READY <url>`` on stdout once it serves and exits when its stdin closes;
``serve_contenders`` starts one per contender for the driver. Not part of the
package's API.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["CONTENDERS", "build_app", "main", "serve_contenders"]

CONTENDERS = {"stock": "stock gr.Image / gr.Gallery", "lossless": "gradio_lossless"}


def _verify(value: Any, original: Any) -> str:
    import numpy as np

    if value is None:
        return "empty"
    array = np.asarray(value)
    if array.shape != original.shape or array.dtype != original.dtype:
        return f"shape {array.shape} {array.dtype}"
    diff = int(np.max(np.abs(array.astype(np.int16) - original.astype(np.int16))))
    return "exact" if diff == 0 else f"max diff {diff}"


def _giver(value: Any, expected: list[Any], i: int) -> Any:
    def give() -> Any:
        expected[i] = value
        return value

    return give


def _verifier(expected: list[Any], i: int, counter: list[int]) -> Any:
    def verify(value: Any) -> str:
        counter[0] += 1
        return f"verify {counter[0]}: {_verify(value, expected[i])}"

    return verify


def build_app(
    contender: str,
    sizes: list[tuple[int, int]],
    content: str,
    gallery_count: int,
    gallery_size: tuple[int, int],
) -> Any:
    """The Blocks app for ``contender`` (``stock`` or ``lossless``)."""
    import gradio as gr

    from gradio_lossless.tools.bench.images import photo

    if contender == "lossless":
        import gradio_lossless as gl

        image_cls: Any = gl.Image
        gallery_cls: Any = gl.Gallery
    elif contender == "stock":
        image_cls, gallery_cls = gr.Image, gr.Gallery
    else:
        raise ValueError(f"unknown contender {contender!r}")

    originals = [photo(size, variant=0, kind=content) for size in sizes]  # type: ignore[arg-type]
    prepared: list[Any] = []
    batches = [0]
    verifies = [0]
    expected = list(originals)  # what the last load or modified hop returned

    def prepare() -> str:
        first = batches[0] * gallery_count
        prepared[:] = [
            photo(gallery_size, variant=1000 + first + k, kind=content)  # type: ignore[arg-type]
            for k in range(gallery_count)
        ]
        batches[0] += 1
        return f"ready {batches[0]}"

    def hop(image: Any) -> Any:
        return image

    shifts = [0] * len(originals)

    def modifier(i: int) -> Any:
        def modify(image: Any) -> Any:
            import numpy as np

            # new pixels every hop, made from the test photo (not from the input):
            # both sides encode the same photo-like content at every hop, where a
            # function of its input would have stock re-encode its own earlier
            # WebP generations, smoother and smaller each time
            shifts[i] += 1
            expected[i] = np.roll(originals[i], shifts[i], axis=1)
            return expected[i]

        return modify

    with gr.Blocks(title=f"bench {contender}") as demo:
        status = gr.Textbox(elem_id="status", label="status")
        for i, original in enumerate(originals):
            with gr.Row():
                a = image_cls(elem_id=f"a-{i}", label=f"A {i}")
                b = image_cls(elem_id=f"b-{i}", label=f"B {i}")
            with gr.Row():
                gr.Button("load", elem_id=f"load-{i}").click(
                    _giver(original, expected, i), None, a
                )
                gr.Button("A → B", elem_id=f"ab-{i}").click(hop, a, b)
                gr.Button("B → A", elem_id=f"ba-{i}").click(hop, b, a)
                gr.Button("A → B new", elem_id=f"mab-{i}").click(modifier(i), a, b)
                gr.Button("B → A new", elem_id=f"mba-{i}").click(modifier(i), b, a)
                for name, target in (("a", a), ("b", b)):
                    gr.Button(f"clear {name}", elem_id=f"clear-{name}-{i}").click(
                        lambda: None, None, target
                    )
                    gr.Button(f"verify {name}", elem_id=f"verify-{name}-{i}").click(
                        _verifier(expected, i, verifies), target, status
                    )
        gallery = gallery_cls(elem_id="gallery", label="gallery", columns=4)
        with gr.Row():
            gr.Button("prepare", elem_id="prepare").click(prepare, None, status)
            gr.Button("show", elem_id="show").click(
                lambda: list(prepared), None, gallery
            )
            gr.Button("clear gallery", elem_id="clear-gallery").click(
                lambda: None, None, gallery
            )
    return demo


@contextmanager
def serve_contenders(
    workdir: Path, port: int, args: list[str], progress: Callable[[str], None]
) -> Iterator[dict[str, str]]:
    """Start this module in one process per contender; yield their URLs.

    ``port``: the first contender's, the next one's is ``port + 1``; 0 picks free
    ones. Each process gets its own ``GRADIO_TEMP_DIR`` under ``workdir`` and exits
    when its stdin closes.
    """
    procs: dict[str, subprocess.Popen[str]] = {}
    urls: dict[str, str] = {}
    try:
        for offset, contender in enumerate(CONTENDERS):
            env = dict(os.environ)
            env["GRADIO_TEMP_DIR"] = str(workdir / contender)
            env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
            procs[contender] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gradio_lossless.tools.bench.browser_app",
                    "--contender",
                    contender,
                    "--port",
                    str(port + offset if port else _free_port()),
                    *args,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
                text=True,
                env=env,
            )
        for contender, proc in procs.items():
            line = proc.stdout.readline() if proc.stdout else ""
            if not line.startswith("READY "):
                raise RuntimeError(
                    f"the {contender} server did not start (exit {proc.poll()})"
                )
            urls[contender] = line.split()[1]
            progress(f"{contender} server at {urls[contender]}")
        yield urls
    finally:
        for proc in procs.values():
            if proc.stdin is not None:
                proc.stdin.close()  # the app exits when its stdin closes
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    from gradio_lossless.tools.bench.sizes import parse_size

    parser = argparse.ArgumentParser(prog="browser_app")
    parser.add_argument("--contender", choices=("stock", "lossless"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--content", default="tiled")
    parser.add_argument("--gallery-count", type=int, default=16)
    parser.add_argument("--gallery-size", default="3840x2160")
    args = parser.parse_args(argv)
    demo = build_app(
        args.contender,
        [parse_size(s) for s in args.sizes.split(",") if s.strip()],
        args.content,
        args.gallery_count,
        parse_size(args.gallery_size),
    )
    demo.queue(default_concurrency_limit=1).launch(
        server_name="127.0.0.1",
        server_port=args.port,
        prevent_thread_lock=True,
        quiet=True,
        show_error=True,
    )
    print(f"READY http://127.0.0.1:{args.port}/", flush=True)
    try:
        sys.stdin.read()  # until the driver closes our stdin (or exits)
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
