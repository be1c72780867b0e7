"""The documentation's examples run: each example in docs/mapping-format.md is
written out as files and its output checked, each in docs/authoring.md run as a
command; the README's commands exist."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import mapper

ROOT = Path(__file__).parent.parent
EXAMPLE_BLOCK = re.compile(r"<!-- example: (\S+) (\S+) -->\n```\w*\n(.*?)```", re.S)


def _examples(doc: Path) -> dict[str, dict[str, str]]:
    examples: dict[str, dict[str, str]] = defaultdict(dict)
    for name, file, body in EXAMPLE_BLOCK.findall(doc.read_text(encoding="utf-8")):
        examples[name][file] = body
    return dict(examples)


FORMAT_EXAMPLES = _examples(ROOT / "docs" / "mapping-format.md")


def test_the_format_doc_has_an_example_per_capability() -> None:
    assert {"nested", "defaults", "lookups", "when", "each", "scoped", "functions", "let", "flatten"} <= set(FORMAT_EXAMPLES)


@pytest.mark.parametrize("name", sorted(FORMAT_EXAMPLES))
def test_format_doc_example_runs(name: str, tmp_path: Path) -> None:
    files = FORMAT_EXAMPLES[name]
    for schema in ("source.schema.json", "target.schema.json"):
        files.setdefault(schema, '{"type": "object"}')
    for file, body in files.items():
        (tmp_path / file).write_text(body, encoding="utf-8")
    mapping = mapper.load(tmp_path / "mapping.yaml")
    output = mapping.apply(json.loads(files["input.json"]))
    assert output == json.loads(files["output.json"])


def test_readme_starts_with_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", readme, re.S)
    assert "mapper convert" in commands[0] and "pip install" in commands[0]
    assert "pytest" in commands[1] and "pip install" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = commands[1].strip().splitlines()[-1].split("&&")[-1].strip()
    assert test_command in ci


AUTHORING_EXAMPLES = _examples(ROOT / "docs" / "authoring.md")
MAPPER = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


def test_the_authoring_doc_has_an_example_per_feature() -> None:
    assert list(AUTHORING_EXAMPLES) == ["drift", "chain", "let", "submapping"]


@pytest.mark.parametrize("name", list(AUTHORING_EXAMPLES))
def test_authoring_doc_example_prints_what_it_says(name: str, tmp_path: Path) -> None:
    """Each example's files (and those of the examples before it) written out, its command run as a process."""
    names = list(AUTHORING_EXAMPLES)
    for earlier in names[: names.index(name) + 1]:
        for file, body in AUTHORING_EXAMPLES[earlier].items():
            if file not in ("command", "stdout"):
                (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / file).write_text(body, encoding="utf-8")
    command = shlex.split(AUTHORING_EXAMPLES[name]["command"])
    assert command[0] == "mapper"
    done = subprocess.run([MAPPER, *command[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.stdout == AUTHORING_EXAMPLES[name]["stdout"], done.stderr
