"""Make a subclass's ``__init__`` present the stock component's exact signature.

Gradio builds the browser config from ``inspect.signature(cls.__init__)`` and its
docs from ``__init__.__doc__``. Our components take ``format`` explicitly and pass
every other parameter through, so we publish the installed stock signature (stock's
defaults, ``format`` included, plus our one keyword-only ``keep_dtype`` at the end: a
superset) and docstring (with our ``format`` line and a ``keep_dtype`` line): neither
can drift from the Gradio version that is installed.
"""

from __future__ import annotations

import inspect
from typing import Any

from gradio_lossless.codecs import spec

__all__ = ["KEEP_DTYPE", "adopt", "check_arguments", "check_kwargs", "format_doc"]

KEEP_DTYPE = "keep_dtype"


def _init_of(cls: type) -> Any:
    """The ``__init__`` a component class defines itself (stock and ours both do)."""
    return vars(cls)["__init__"]


def check_kwargs(name: str, stock: type, kwargs: dict[str, Any]) -> None:
    """Raise TypeError, as Python would, for a keyword the stock class does not take."""
    accepted = inspect.signature(_init_of(stock)).parameters
    for key in kwargs:
        if key not in accepted or key in ("self", "value", "format"):
            raise TypeError(
                f"{name}.__init__() got an unexpected keyword argument {key!r}"
            )


def format_doc(subject: str, extra: str = "") -> str:
    """The ``format`` line of a component's docstring; ``subject`` names what it
    serves."""
    return (
        f"format: The format whose name the files served for {subject} take, as "
        'stock names them ("webp", the default, serves image.webp). Unlike stock, '
        "such a file always holds the exact value: a PNG whatever its name (sent as "
        "image/png), with all its metadata (with keep_dtype, also values PNG cannot "
        "hold: 16-bit colour, float, int32). Downloads, API clients and the next "
        "function get it; an <img> showing it loads what `display` says (a smaller "
        f"rendition by default).{extra}"
    )


def adopt(
    cls: type,
    stock: type,
    *,
    format_doc: str,
    keep_dtype_doc: str,
) -> None:
    """Give ``cls.__init__`` the stock signature (``format``'s default checked to
    be stock's) and docstring, with ``keep_dtype`` (keyword-only, default False)
    added at the end."""
    sig = inspect.signature(_init_of(stock))
    ours = inspect.signature(_init_of(cls)).parameters["format"].default
    if ours != sig.parameters["format"].default:
        raise TypeError(
            f"{cls.__name__}: format defaults to {ours!r}, stock's to "
            f"{sig.parameters['format'].default!r}"
        )
    params = list(sig.parameters.values())
    params.append(
        inspect.Parameter(
            KEEP_DTYPE, inspect.Parameter.KEYWORD_ONLY, default=False, annotation="bool"
        )
    )
    init = _init_of(cls)
    init.__signature__ = sig.replace(parameters=params)
    doc = _init_of(stock).__doc__ or ""
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("format:"):
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = indent + format_doc
            break
    last = max(
        (i for i, line in enumerate(lines) if ": " in line and line.startswith(" ")),
        default=len(lines) - 1,
    )
    indent = lines[last][: len(lines[last]) - len(lines[last].lstrip())]
    lines.insert(last + 1, f"{indent}{KEEP_DTYPE}: {keep_dtype_doc}")
    init.__doc__ = "\n".join(lines)


def check_arguments(
    name: str, stock: type, format: str, kwargs: dict[str, Any]
) -> None:
    """What our constructors check before handing over to stock: every keyword is
    one the stock class takes, and ``format`` is a known image format."""
    check_kwargs(name, stock, kwargs)
    try:
        spec(format)
    except ValueError as exc:
        raise ValueError(f"Invalid value for parameter `format`: {exc}") from None
