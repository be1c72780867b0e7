"""Hostile mapping and schema files (issue 13, items 8 and 9): each is refused with one clear message
at its file, line and column, by ``mapper check`` and ``mapper convert`` alike, as a user meets them:
no internal error, no traceback, no hang, no unbounded memory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mapper.documents import MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES, parse_json, parse_yaml
from mapper.errors import MappingSyntaxError
from mapper.lexer import MAX_NESTING

EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")

SCHEMA = b'{"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}'
HEAD = b"mapping: hostile\nsource: {schema: source.schema.json}\ntarget: {schema: source.schema.json}\n"
RULES = b"rules:\n  id: id\n  name: name\n"


def _alias_bomb() -> bytes:
    """The "billion laughs" in YAML: nine levels of nine aliases, 9**9 strings from about 2 KB."""
    lines = [b'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        aliases = ", ".join([f"*{previous}"] * 9)
        lines.append(f"{name}: &{name} [{aliases}]".encode())
    return b"\n".join(lines) + b"\n"


@dataclass(frozen=True)
class Case:
    """A mapping directory: ``mapping`` is mapping.yaml, ``files`` the others; ``where`` and
    ``message`` what both commands say (a fault in an expression is placed at the fault by both)."""

    mapping: bytes
    where: str
    message: str
    files: dict[str, bytes] = field(default_factory=dict)


CASES = {
    "a YAML alias bomb": Case(HEAD + RULES + b"lookups:\n  bomb:\n    values:\n      x: 1\n" + b"x-bomb:\n"
                              + b"".join(b"  " + line + b"\n" for line in _alias_bomb().splitlines()),
                              "mapping.yaml:16:10", f"YAML aliases expand to more than {MAX_ALIAS_NODES:,} nodes"),
    "a recursive YAML alias": Case(HEAD + RULES + b"lookups: &loop\n  again: *loop\n", "mapping.yaml:8:10",
                                   "the alias *loop is recursive: it is inside its own anchor"),
    "a mapping file that is not UTF-8": Case(HEAD + b"description: caf\xe9\n" + RULES, "mapping.yaml:4:17",
                                             "not UTF-8 text: invalid continuation byte (0xe9)"),
    "a schema that is not UTF-8": Case(HEAD + RULES, "source.schema.json:1:20",
                                       "schema file does not parse: not UTF-8 text: invalid start byte (0xff)",
                                       {"source.schema.json": b'{"description": "x \xff"}'}),
    "5000 nested parentheses": Case(HEAD + RULES + b"  other: '" + b"(" * 5000 + b"name" + b")" * 5000 + b"'\n",
                                    f"mapping.yaml:7:{11 + MAX_NESTING}",
                                    f"the expression nests deeper than {MAX_NESTING} levels"),
    "a JSON literal nested 5000 deep": Case(HEAD + RULES + b"  other: '`" + b"[" * 5000 + b"]" * 5000 + b"`'\n",
                                            "mapping.yaml:7:11", f"the literal nests deeper than {MAX_NESTING} levels"),
    # The top-level object is the first level.
    "a mapping file nested 500 deep": Case(HEAD + RULES + b"x-deep: " + b"[" * 500 + b"]" * 500 + b"\n",
                                           f"mapping.yaml:7:{8 + MAX_DEPTH}",
                                           f"the document nests deeper than {MAX_DEPTH} levels"),
    # libyaml stops at 1000 levels, before mapper counts them, with a message of its own.
    "a mapping file nested 5000 deep": Case(HEAD + RULES + b"x-deep: " + b"[" * 5000 + b"]" * 5000 + b"\n",
                                            "mapping.yaml:7:1008", "invalid YAML: exceeded maximum nesting depth"),
    "a schema nested 5000 deep": Case(HEAD + RULES, f"source.schema.json:1:{11 + MAX_DEPTH}",
                                      f"schema file does not parse: the document nests deeper than {MAX_DEPTH} levels",
                                      {"source.schema.json": b'{"x-deep": ' + b"[" * 5000 + b"]" * 5000 + b"}"}),
    "a schema path at /dev/zero": Case(HEAD.replace(b"source: {schema: source.schema.json}",
                                                    b"source: {schema: /dev/zero}") + RULES,
                                       "mapping.yaml:2:18",
                                       "cannot read schema file /dev/zero: a character device, not a regular file"),
    "a schema path at a FIFO": Case(HEAD.replace(b"source: {schema: source.schema.json}",
                                                 b"source: {schema: pipe.json}") + RULES,
                                    "mapping.yaml:2:18", "cannot read schema file pipe.json: a FIFO, not a regular file"),
    "a NUL character": Case(HEAD + RULES + b"  other: na\x00me\n", "mapping.yaml:7:12",
                            "invalid YAML: the character U+0000 is not allowed"),
    "rulez: instead of rules:": Case(HEAD + RULES.replace(b"rules:", b"rulez:"), "mapping.yaml:1:1",
                                     "the mapping file needs 'rules' (found 'rulez': did you mean 'rules'?)"),
    "null where an object goes": Case(HEAD + b"rules:\n", "mapping.yaml:4:7", 'rules: null is not of type "object"'),
    "an object in a schema where a string goes": Case(
        HEAD + RULES, "source.schema.json:1:49", 'not a valid JSON Schema: {"@id": "x"} is not of type "string"',
        {"source.schema.json": b'{"type": "object", "properties": {"a": {"$ref": {"@id": "x"}}}}'}),
}


def _write(directory: Path, case: Case) -> None:
    (directory / "mapping.yaml").write_bytes(case.mapping)
    (directory / "source.schema.json").write_bytes(SCHEMA)
    (directory / "in.json").write_bytes(b'{"id": 1, "name": "Ada"}')
    for name, content in case.files.items():
        (directory / name).write_bytes(content)
    if b"pipe.json" in case.mapping:
        os.mkfifo(directory / "pipe.json")  # nobody ever writes to it: reading it would wait forever


def _run(directory: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXECUTABLE, *argv], cwd=directory, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_mapper_check_names_the_fault_and_its_place(tmp_path: Path, case: Case) -> None:
    _write(tmp_path, case)
    done = _run(tmp_path, "check", "mapping.yaml")
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(case.where + ":")]
    assert lines and case.message in lines[0], done.stdout
    assert "Traceback" not in done.stderr and "internal error" not in done.stdout + done.stderr


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_mapper_convert_refuses_with_the_same_message(tmp_path: Path, case: Case) -> None:
    _write(tmp_path, case)
    done = _run(tmp_path, "convert", "mapping.yaml", "in.json")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"mapper: error: {case.where}: {case.message}"), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_mapping_file_that_is_not_a_regular_file_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "mapping.yaml")
    done = _run(tmp_path, "convert", "mapping.yaml", "in.json")
    assert (done.returncode, done.stderr) == (
        2, "mapper: error: cannot read mapping file mapping.yaml: a FIFO, not a regular file\n")


def test_a_mapping_file_larger_than_the_limit_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "mapping.yaml").write_bytes(HEAD + RULES + b"#" * MAX_FILE_BYTES)
    done = _run(tmp_path, "convert", "mapping.yaml", "in.json")
    assert (done.returncode, done.stderr) == (
        2, f"mapper: error: cannot read mapping file mapping.yaml: larger than {MAX_FILE_BYTES >> 20} MiB\n")


# -- the limits, exactly -----------------------------------------------------------------------------


@pytest.mark.parametrize("parse", [parse_yaml, parse_json], ids=["yaml", "json"])
def test_a_document_may_nest_up_to_the_limit_and_no_deeper(parse: object) -> None:
    assert callable(parse)
    deepest = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse(deepest, "d").data == eval(deepest)  # noqa: S307 (brackets only)
    with pytest.raises(MappingSyntaxError, match=f"^d:1:{MAX_DEPTH + 1}: the document nests deeper"):
        parse("[" + deepest + "]", "d")


def test_a_strings_brackets_do_not_count_as_nesting() -> None:
    text = '{"a": "' + "[" * (2 * MAX_DEPTH) + '\\"{"}'
    assert parse_json(text, "s.json").data == {"a": "[" * (2 * MAX_DEPTH) + '"{'}


@pytest.mark.parametrize(("anchor_items", "aliases"), [(99, 101), (100, 100), (1, MAX_ALIAS_NODES)])
def test_aliases_may_add_up_to_the_budget(anchor_items: int, aliases: int) -> None:
    # An alias of a list of n scalars adds n + 1 nodes.
    nodes = (anchor_items + 1) * aliases
    text = f"a: &a [{', '.join(['x'] * anchor_items)}]\nb: [{', '.join(['*a'] * aliases)}]\n"
    if nodes <= MAX_ALIAS_NODES:
        assert len(parse_yaml(text, "m.yaml").data["b"]) == aliases
    else:
        with pytest.raises(MappingSyntaxError, match="^m.yaml:2:"):
            parse_yaml(text, "m.yaml")


def test_an_alias_inside_a_deep_place_counts_the_anchors_depth() -> None:
    half = MAX_DEPTH // 2 + 1
    text = f"a: &a {'[' * half}{']' * half}\nb: {'[' * half}*a{']' * half}\n"
    with pytest.raises(MappingSyntaxError, match=f"^m.yaml:2:{half + 4}: the document nests deeper"):
        parse_yaml(text, "m.yaml")


def test_a_shared_alias_still_loads() -> None:
    text = "base: &base {type: string}\nfields:\n  a: *base\n  b: *base\n"
    assert parse_yaml(text, "m.yaml").data["fields"] == {"a": {"type": "string"}, "b": {"type": "string"}}
