"""The command line: every ``--help`` imports none of the tools' work, and a tool
run without the ``tools`` extra says how to install it and exits 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gradio_lossless.cli import INSTALL_TOOLS, SUBCOMMANDS

HEAVY = {"gradio", "gradio_client", "numpy", "PIL", "rich", "matplotlib", "skimage"}


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("command", ["", *SUBCOMMANDS])
def test_help_imports_nothing_heavy(command: str) -> None:
    argv = [command, "--help"] if command else ["--help"]
    result = _run(
        "import json, sys\n"
        "from gradio_lossless.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules})\n"
        "print(json.dumps({'code': code, 'loaded': loaded}))\n"
    )
    *help_lines, last = result.stdout.splitlines()
    outcome = json.loads(last)
    assert outcome["code"] == 0, result.stderr
    assert not HEAVY & set(outcome["loaded"]), sorted(HEAVY & set(outcome["loaded"]))
    text = "\n".join(help_lines)
    assert text.startswith(f"usage: gradio-lossless {command}".rstrip())
    if not command:
        assert INSTALL_TOOLS in " ".join(text.split())


# the tools extra, made unimportable the way a missing package is: the import
# system raises ModuleNotFoundError for a name mapped to None in sys.modules
WITHOUT_TOOLS = (
    "import sys\nfor name in ('rich', 'matplotlib', 'skimage'):\n"
    "    sys.modules[name] = None\n"
)


@pytest.mark.parametrize(
    "argv",
    [
        ["demo"],
        ["lab", "--hops", "1"],
        ["audit", "http://127.0.0.1:9/", "--api-name", "/p", "--hops", "1"],
        ["bench", "--quick"],
    ],
    ids=lambda argv: argv[0],
)
def test_a_tool_without_its_extra_prints_the_pip_command_and_exits_2(
    argv: list[str],
) -> None:
    result = _run(
        WITHOUT_TOOLS + "from gradio_lossless.cli import main\n"
        f"raise SystemExit(main({argv!r}))\n"
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        f"gradio-lossless {argv[0]}: needs the tools extra (missing: rich, "
        f"matplotlib, skimage). Install it with:\n\n    {INSTALL_TOOLS}\n\n"
    )


def test_a_tool_library_missing_mid_run_gets_the_same_answer() -> None:
    """If find_spec sees the extra but an import of it still fails later (a
    broken install), the command names it and gives the pip command."""
    result = _run(
        "import sys\n"
        "from gradio_lossless import cli\n"
        "cli.missing_tools = lambda: []  # as if find_spec had seen it\n"
        "sys.modules['skimage'] = None\n"
        "raise SystemExit(cli.main(['bench', '--quick']))\n"
    )
    assert result.returncode == 2, result.stderr
    assert "needs the tools extra (missing: skimage)" in result.stderr
    assert INSTALL_TOOLS in result.stderr
