"""A `let:` binding written as a rule (`{each: ..., rules: ...}`): built once, read as `$name` by the
rules below, understood by load, convert, check, lineage and explain."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mapper
from mapper.errors import MappingError

ROOT = Path(__file__).resolve().parent.parent
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
SOURCE = {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
    "sku": {"type": "string"}, "price": {"type": "number"}, "quantity": {"type": "integer"}}}}}}
TARGET = {"type": "object", "properties": {
    "lines": {"type": "array", "items": {"type": "object", "properties": {
        "sku": {"type": "string"}, "net": {"type": "number"}}}},
    "total": {"type": "number"}, "count": {"type": "integer"}}}
LET = """\
let:
  lines:
    each: items
    rules:
      sku: sku
      net: "multiply(price, quantity)"
"""
RULES = """\
rules:
  lines: $lines
  total: "sum($lines[].net)"
  count: "length($lines)"
"""


def _write(tmp_path: Path, let: str = LET, rules: str = RULES) -> Path:
    (tmp_path / "source.schema.json").write_text(json.dumps(SOURCE), encoding="utf-8")
    (tmp_path / "target.schema.json").write_text(json.dumps(TARGET), encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("mapping: built\nsource: {schema: source.schema.json}\ntarget: {schema: target.schema.json}\n"
                       + let + rules, encoding="utf-8")
    return mapping


def _mapper(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXECUTABLE, *args], cwd=cwd, capture_output=True, text=True,
                          check=False)


@pytest.mark.parametrize(("items", "output"), [
    ([{"sku": "A-1", "price": 10.5, "quantity": 2}, {"sku": "B-2", "price": 4, "quantity": 3}],
     {"lines": [{"sku": "A-1", "net": 21.0}, {"sku": "B-2", "net": 12}], "total": 33.0, "count": 2}),
    ([], {"lines": [], "total": 0, "count": 0}),
])
def test_the_built_value_is_written_and_read(tmp_path: Path, items: list[object], output: object) -> None:
    assert mapper.load(_write(tmp_path)).apply({"items": items}) == output


def test_a_bound_value_is_computed_once(tmp_path: Path) -> None:
    """The generated code builds the lines once: one call of multiply() per item."""
    source = mapper.load(_write(tmp_path)).compiled.module.source
    assert source.count("build_lines__item(") == 2  # its definition and the one call


@pytest.mark.parametrize(("record", "problem"), [
    ({"items": [{"sku": "A", "price": "x", "quantity": 1}]},
     ("/$lines/0/net", "$lines[].net", 9)),
    ({"items": 5}, ("", "$lines", 5)),
])
def test_a_reject_names_the_rule_inside_the_binding(tmp_path: Path, record: object,
                                                    problem: tuple[str, str, int]) -> None:
    result = mapper.load(_write(tmp_path)).result(record)
    assert not result.ok
    first = result.problems[0]
    assert (first.pointer, first.rule, first.rule_location.line if first.rule_location else None) == problem


@pytest.mark.parametrize(("let", "message", "line"), [
    ("let:\n  lines:\n    each: items\n    when: items\n    rules: {sku: sku}\n",
     "$lines is built once for every rule that reads it: it cannot have `when`", 7),
    ("let:\n  lines:\n    from: items\n",
     "$lines: a binding written as a rule builds an array (`each`) or an object", 5),
])
def test_a_binding_that_builds_nothing_is_refused_where_written(tmp_path: Path, let: str, message: str,
                                                                line: int) -> None:
    with pytest.raises(MappingError) as raised:
        mapper.load(_write(tmp_path, let, "rules:\n  count: \"length($lines)\"\n"))
    assert message in str(raised.value)
    assert raised.value.location is not None and raised.value.location.line == line


def test_check_types_the_built_value_and_warns_when_unread(tmp_path: Path) -> None:
    mapping = _write(tmp_path, LET + "  unused:\n    rules: {a: sku}\n",
                     "rules:\n  lines: $lines\n  total: \"sum($lines[].sku)\"\n")
    checked = _mapper("check", mapping.name, cwd=tmp_path)
    assert checked.returncode == 1
    assert "mapping.yaml:10:3: W403 warning: $unused is read by no rule" in checked.stdout
    assert "mapping.yaml:14:11: M106 error: sum() argument 1 must be an array of numbers, but it is always an " \
           "array of strings" in checked.stdout


def test_lineage_and_explain_follow_the_built_value(tmp_path: Path) -> None:
    mapping = _write(tmp_path)
    (tmp_path / "in.json").write_text('{"items": [{"sku": "A-1", "price": 10.5, "quantity": 2}]}', encoding="utf-8")
    lineage = _mapper("lineage", mapping.name, cwd=tmp_path)
    assert lineage.returncode == 0
    assert 's1["/items/*/price"]' in lineage.stdout and 's1 -->|"$lines"| t1' in lineage.stdout
    explained = _mapper("explain", mapping.name, "in.json", cwd=tmp_path)
    assert explained.returncode == 0
    assert "/$lines/0/net  $lines[].net  (mapping.yaml:9)" in explained.stdout


def test_the_clinical_benchmark_mapping_builds_its_lines_once() -> None:
    mapping = ROOT / "benchmarks" / "mappings" / "patient-to-claim.yaml"
    checked = _mapper("check", str(mapping), cwd=ROOT)
    assert checked.returncode == 0, checked.stdout
    assert mapper.load(mapping).compiled.module.source.count("func_to_minor_units(") == 1


@pytest.mark.parametrize(("rules", "output", "scopes"), [
    # index() in an item's own rules reads the builder's position: no Scope is built.
    ("rules:\n  lines:\n    each: items\n    rules: {n: index(), sku: sku}\n",
     {"lines": [{"n": 0, "sku": "A"}, {"n": 1, "sku": "B"}]}, False),
    # In a nested object of an item (or a sort key), only a Scope knows the position.
    ("rules:\n  lines:\n    each: items\n    rules:\n      inner: {n: index()}\n",
     {"lines": [{"inner": {"n": 0}}, {"inner": {"n": 1}}]}, True),
    ("rules:\n  lines:\n    each: items\n    rules: {n: index(), top: $.name}\n",
     {"lines": [{"n": 0, "top": "x"}, {"n": 1, "top": "x"}]}, True),
])
def test_index_alone_needs_no_scope(tmp_path: Path, rules: str, output: object, scopes: bool) -> None:
    mapping = mapper.load(_write(tmp_path, "", rules))
    assert mapping.apply({"name": "x", "items": [{"sku": "A"}, {"sku": "B"}]}) == output
    assert mapping.compiled.uses_scope is scopes
