"""Which payload paths a component may read: Gradio's folders and the app's own.

A FileData payload sent without ``meta`` skips Gradio's own path check (it looks
only at payloads marked ``gradio.FileData``), so the component checks every path
itself before reading it, with or without ``meta``, after resolving symlinks:

* while a request is being served (Gradio has set the running Blocks), the path
  must lie inside Gradio's upload folder, the component's cache folder, Gradio's
  examples cache, the static paths, or the app's ``allowed_paths``, and outside its
  ``blocked_paths``;
* a direct call outside any request (a script, a test calling ``preprocess``)
  trusts its caller, as Gradio's own check does.

Every refusal, and every path that then cannot be read (missing, a folder, no
permission), gets the same message, so an answer reveals nothing about what
exists on the server.
"""

from __future__ import annotations

import os
from pathlib import Path

from gradio_lossless.core.errors import UnreadablePathError

__all__ = ["REFUSED", "readable"]

REFUSED = (
    "cannot read this file (only files uploaded to or served by this app are read)"
)


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(path))


def _roots(blocks: object, cache_dir: str) -> list[Path]:
    from gradio import utils
    from gradio.data_classes import _StaticFiles

    allowed = list(getattr(blocks, "allowed_paths", None) or [])
    folders = [utils.get_upload_folder(), cache_dir, str(utils.get_cache_folder())]
    return [_real(p) for p in [*folders, *allowed, *_StaticFiles.all_paths]]


def readable(path: str, cache_dir: str) -> str:
    """``path`` with symlinks resolved, when the component may read it.

    Raises:
        UnreadablePathError: with ``REFUSED``, the same for every refused path.
    """
    from gradio.context import LocalContext

    real = _real(path)
    blocks = LocalContext.blocks.get(None)
    if blocks is not None:
        blocked = [str(_real(p)).lower() for p in getattr(blocks, "blocked_paths", [])]
        text = str(real).lower()
        if any(
            text == b or text.startswith(b.rstrip(os.sep) + os.sep) for b in blocked
        ):
            raise UnreadablePathError(REFUSED)
        if not any(real.is_relative_to(root) for root in _roots(blocks, cache_dir)):
            raise UnreadablePathError(REFUSED)
    return str(real)
