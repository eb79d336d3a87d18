"""The folders are the layers, and dependencies point one way:

    cli -> tools -> components (+ patch) -> serving -> io -> store -> codecs -> core

Checked twice: statically (every import statement in every module, lazy ones
included) and by importing each layer in a fresh interpreter and looking at
``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import gradio_lossless

PACKAGE = Path(gradio_lossless.__file__).parent

# the rank of each top-level part of the package; an import may only point to an
# equal or lower rank
RANKS = {
    "core": 0,
    "codecs": 1,
    "store": 2,
    "io": 3,
    "serving": 4,
    "components": 5,
    "patching": 5,
    "tools": 6,
    "cli": 7,
    "__main__": 7,
    "__init__": 7,  # the public namespace: lazy re-exports of everything
}
COMPONENTS = RANKS["components"]
TOOLS = RANKS["tools"]
GRADIO = {"gradio", "gradio_client"}
TOOL_LIBRARIES = {"rich", "matplotlib", "skimage", "scipy"}


def _part(module: str) -> str:
    """'gradio_lossless.store.disk' -> 'store'; 'gradio_lossless' -> '__init__'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, nested ones too; for
    ``from X import y``, both X and X.y (y may be a module)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def test_every_module_belongs_to_a_layer() -> None:
    parts = {_part(name) for name in _modules()}
    assert parts <= set(RANKS), f"modules outside any layer: {parts - set(RANKS)}"
    assert {"core", "codecs", "store", "serving", "components", "tools"} <= parts


def test_imports_point_one_way() -> None:
    wrong = []
    for name, path in _modules().items():
        rank = RANKS[_part(name)]
        for line, target in _imports(path):
            top = target.split(".")[0]
            where = f"{path.relative_to(PACKAGE)}:{line} imports {target}"
            if top == "gradio_lossless" and "." in target:
                target_part = _part(target)
                if target_part in RANKS and RANKS[target_part] > rank:
                    wrong.append(f"{where} (a higher layer)")
            if top in GRADIO and rank < COMPONENTS:
                wrong.append(f"{where} (gradio below components/)")
            if top in TOOL_LIBRARIES and rank < TOOLS:
                wrong.append(f"{where} (a tool library outside tools/)")
    assert not wrong, "\n".join(wrong)


def _loaded_after_importing(layer: str) -> set[str]:
    """Every module loaded after importing every module of ``layer`` (a package
    part such as "store") in a fresh interpreter."""
    names = [n for n in _modules() if _part(n) == layer]
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize(
    "layer", ["core", "codecs", "store", "io", "serving", "components"]
)
def test_importing_a_layer_loads_nothing_above_it(layer: str) -> None:
    loaded = _loaded_after_importing(layer)
    tops = {m.split(".")[0] for m in loaded}
    ours = {_part(m) for m in loaded if m.startswith("gradio_lossless.")}
    above = {p for p in ours if p in RANKS and RANKS[p] > RANKS[layer]}
    assert not above, f"importing {layer}/ loaded {sorted(above)}"
    if RANKS[layer] < COMPONENTS:
        assert not tops & GRADIO, f"{layer}/ loaded {sorted(tops & GRADIO)}"
        assert not tops & TOOL_LIBRARIES, f"{layer}/ loaded {tops & TOOL_LIBRARIES}"
    else:
        # gradio itself imports rich; our components never do (statically checked
        # above), and nothing there loads plotting or image-metric libraries
        assert not tops & (TOOL_LIBRARIES - {"rich"}), sorted(tops & TOOL_LIBRARIES)


# What one tool may import from another: the modules made to be shared.
SHARED = {
    "gradio_lossless.tools.crops",  # the lab's and the demo's crop strip
    "gradio_lossless.tools.audit.fidelity",  # audit, demo, scripts
    "gradio_lossless.tools.audit.plot",
}


def test_tools_share_only_the_shared_modules() -> None:
    """A tool (tools/<tool>/) imports another tool's code only through the modules
    made to be shared; the tools stay separable."""
    wrong = []
    for name, path in _modules().items():
        parts = name.split(".")
        if _part(name) != "tools" or len(parts) < 3 or name in SHARED:
            continue  # tools/__init__.py and the shared modules themselves
        own = ".".join(parts[:3])
        for line, target in _imports(path):
            if not target.startswith("gradio_lossless.tools."):
                continue
            if target.startswith(own + ".") or target == own:
                continue
            if any(target == m or target.startswith(m + ".") for m in SHARED):
                continue
            wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {target}")
    assert not wrong, "\n".join(wrong)
