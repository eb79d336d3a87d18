"""Display files in a lossy (or 8-bit) format, each carrying its value's address.

The display renditions an ``<img>`` is sent (``serving/renditions.py``: WebP, JPEG,
AVIF) are such files; the file at a value's URL is always its exact PNG, whatever
the component's ``format``. A display file names its value with a
token in its metadata: ``gradio-lossless-v2 <address> <MAC>``, the MAC keyed under
the server secret (``keys.py``). Someone who saves the shown image and uploads
it again gets exactly the value the file was served for, and nothing else: two
values whose display pixels happen to be identical still carry different tokens,
and there is no index from display bytes to values. A file whose token does not
verify (or that lost its metadata) is a plain upload of its pixels.

Where the token goes: EXIF ImageDescription (WebP, JPEG, AVIF; the TIFF tag of
that name in TIFF), the comment
(GIF). BMP has no metadata: a BMP display file re-uploaded is a plain upload.
"""

from __future__ import annotations

import contextlib
import hmac
import io
import warnings
from collections.abc import Mapping

import PIL.Image

from gradio_lossless.codecs import available, spec
from gradio_lossless.core.errors import CodecUnavailableError
from gradio_lossless.core.keys import Keys

__all__ = ["encode_display", "read_token", "token"]

_PREFIX = "gradio-lossless-v2"
_IMAGE_DESCRIPTION = 0x010E
_EXIF_FORMATS = ("webp", "jpeg", "avif")


def token(address: str, keys: Keys) -> str:
    """The token a display file of the value at ``address`` carries."""
    tag = keys.mac([b"display-token", address.encode("ascii")])
    return f"{_PREFIX} {address} {tag.hex()}"


def read_token(im: PIL.Image.Image, keys: Keys) -> str | None:
    """The address an opened image's token names, when the token verifies."""
    candidates: list[object] = [im.info.get("comment")]
    if "exif" in im.info or im.format == "TIFF":
        with contextlib.suppress(Exception):  # a malformed EXIF carries no token
            candidates.append(im.getexif().get(_IMAGE_DESCRIPTION))
    for found in candidates:
        if isinstance(found, bytes):
            found = found.decode("ascii", "replace")
        if not isinstance(found, str) or not found.startswith(_PREFIX):
            continue
        parts = found.strip("\0 ").split(" ")
        if len(parts) == 3 and hmac.compare_digest(token(parts[1], keys), found):
            return parts[1]
    return None


def encode_display(
    im: PIL.Image.Image,
    name: str,
    stamp: str | None = None,
    options: Mapping[str, object] | None = None,
) -> bytes:
    """Encode an image for display with Pillow's defaults, as stock Gradio does
    (WebP quality 80), with ``stamp`` (a ``token``) in its metadata.

    Parameters:
        options: Pillow save options to use instead of its defaults (for example
            ``{"quality": 80, "method": 2}``; ``icc_profile`` for a colour profile).

    Raises:
        CodecUnavailableError: with the install hint when the plugin is missing.
    """
    s = spec(name)
    if not available(s.name):
        raise CodecUnavailableError(
            f"image format {s.name!r} is unavailable here ({s.install_hint})"
        )
    with warnings.catch_warnings():  # Pillow: "Palette images with Transparency..."
        warnings.simplefilter("ignore")
        if s.name == "jpeg" and im.mode not in ("L", "RGB", "CMYK"):
            im = im.convert("RGB")
        elif s.name in ("webp", "avif") and im.mode not in ("RGB", "RGBA"):
            alpha = "A" in im.getbands() or "transparency" in im.info
            im = im.convert("RGBA" if alpha else "RGB")
    kwargs: dict[str, object] = dict(options or {})
    if stamp is not None and s.name in _EXIF_FORMATS:
        exif = PIL.Image.Exif()
        exif[_IMAGE_DESCRIPTION] = stamp
        kwargs["exif"] = exif.tobytes()
    elif stamp is not None and s.name == "tiff":
        kwargs["tiffinfo"] = {_IMAGE_DESCRIPTION: stamp}
    elif stamp is not None and s.name == "gif":
        kwargs["comment"] = stamp.encode("ascii")
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im.save(buf, s.pillow_format, **kwargs)
    return buf.getvalue()
