"""docs/lineage.md's worked examples: each ``$ mapper ...`` line of its console blocks, run from the
repository's root, prints what the page shows."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "lineage.md"
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


def _examples() -> list[tuple[str, str]]:
    examples = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text("utf-8"), re.S):
        examples += re.findall(r"^\$ (.*?)\n(.*?)(?=^\$ |\Z)", block, re.S | re.M)
    return examples


def test_both_commands_have_worked_examples() -> None:
    commands = [shlex.split(command)[1] for command, _ in _examples()]
    assert commands.count("lineage") >= 1 and commands.count("explain") >= 3


@pytest.mark.parametrize(("command", "output"), _examples(), ids=lambda value: value.split("/")[-1][:60])
def test_the_documented_example_prints_what_the_page_shows(command: str, output: str) -> None:
    words = shlex.split(command)
    assert words[0] == "mapper"
    done = subprocess.run([EXECUTABLE, *words[1:]], cwd=ROOT, capture_output=True, timeout=120)
    assert done.stderr == b""
    assert done.stdout.decode("utf-8") == output
    assert done.returncode == (1 if "\nproblems:\n" in output else 0)
