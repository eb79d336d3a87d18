"""Read any image file, recovering the exact value from files gradio-lossless wrote."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gradio_lossless.codecs import reader
from gradio_lossless.core.keys import Keys
from gradio_lossless.core.types import ImageValue
from gradio_lossless.store.store import get_store

__all__ = ["machine_keys", "read"]


def _upload_folder() -> str:
    """Gradio's upload and cache folder (``gradio.utils.get_upload_folder``)."""
    return os.environ.get("GRADIO_TEMP_DIR") or str(
        (Path(tempfile.gettempdir()) / "gradio").resolve()
    )


def machine_keys() -> Keys:
    """The keys of this machine's servers (the same secret setting, shared store or
    secret file): what ``read`` verifies files with."""
    return get_store(_upload_folder()).keys


def read(path: str | Path) -> ImageValue:
    """Read an image file exactly.

    For an exact PNG served by gradio-lossless this is the value the function
    returned (PIL image with mode and metadata, or numpy array with dtype and shape),
    even where the PNG's visible pixels are an 8-bit preview (float, int32, 16-bit
    colour), when it was served under this machine's server secret (the same
    ``GRADIO_LOSSLESS_SECRET``, shared store or secret file). Any other file is
    decoded by Pillow.

    Parameters:
        path: the file to read.
    Returns:
        a PIL image or a numpy array.
    Raises:
        CorruptImageError: truncated, corrupt or non-image data.
    """
    return reader.decode(Path(path).read_bytes(), machine_keys()).value
