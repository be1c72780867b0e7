"""``mapper fuzz`` and ``mapper.tooling.fuzzing.check_mapping``: generated records against the mapping.

Every shipped mapping passes at a fixed seed (50 records each, to keep CI
time modest); small mappings with a known flaw fail with the minimal record,
the rule and the problem; the classification of rejections is a table.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mapper import load
from mapper.cli import run
from mapper.errors import Problem
from mapper.functions import EXPECTS_KINDS, Expects, FunctionSpec, ParamSpec
from mapper.runtime import ArithmeticFault
from mapper.tooling.fuzzing import MappingInconsistency, _parsed_text, check_mapping, is_stated_rejection, mapping_hints

ROOT = Path(__file__).parent.parent
SHIPPED = sorted((ROOT / "mappings").glob("*.yaml"))
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


@pytest.mark.parametrize("mapping", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_shipped_mapping_is_consistent_with_its_schemas(mapping: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    report = check_mapping(mapping.relative_to(ROOT), examples=50, seed=20261123)
    assert report.records >= 50


def _mapping(tmp_path: Path, rules: str, source: dict[str, Any], target: dict[str, Any] | None = None,
             lookups: str = "") -> Path:
    (tmp_path / "source.schema.json").write_text(json.dumps(source))
    (tmp_path / "target.schema.json").write_text(json.dumps(target or {"type": "object"}))
    path = tmp_path / "mapping.yaml"
    path.write_text("mapping: fuzzed\nsource: {schema: source.schema.json}\ntarget: {schema: target.schema.json}\n"
                    + lookups + "rules:\n" + rules)
    return path


NUMBER_SOURCE = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}


def test_an_inconsistency_is_shrunk_to_a_minimal_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # A number into a string function: the schemas allow what the function never takes.
    _mapping(tmp_path, '  label: "upper(to_string(n) || n)"\n  code: "lower(n)"\n', NUMBER_SOURCE)
    with pytest.raises(MappingInconsistency) as raised:
        check_mapping("mapping.yaml", examples=30, seed=7)
    failure = raised.value
    assert failure.record == {"n": 0}
    assert [problem.rule for problem in failure.problems] == ["code"]
    assert str(failure) == (
        "mapping 'fuzzed' (mapping.yaml): a valid source record was rejected for a reason the mapping does not state\n"
        f"  problem: {failure.problems[0]}\n"
        "  rule at fault: code at mapping.yaml:6:3\n"
        "minimal source record (valid under the source schema):\n"
        "  {\n"
        '    "n": 0\n'
        "  }\n"
        "reproduce: mapper fuzz mapping.yaml --seed 7"
    )


def test_rejections_the_mapping_states_are_counted_not_failed(tmp_path: Path) -> None:
    source = {"type": "object", "required": ["code"], "properties": {"code": {"type": "string", "maxLength": 3}}}
    lookups = "lookups:\n  codes: {values: {A: alpha}}\n"
    path = _mapping(tmp_path, "  name: {from: code, lookup: codes}\n", source, lookups=lookups)
    report = check_mapping(path, examples=40, seed=1)
    assert report.converted > 0 and report.rejected > 0
    assert report.converted + report.rejected == report.records
    assert list(report.reasons) == [("name", "<value> is not in lookup 'codes' and the lookup has no default")]


def test_strict_fails_on_any_rejection(tmp_path: Path) -> None:
    source = {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}
    path = _mapping(tmp_path, "  name: {from: code, lookup: codes}\n", source,
                    lookups="lookups:\n  codes: {values: {A: alpha}}\n")
    with pytest.raises(MappingInconsistency) as raised:
        check_mapping(path, examples=40, seed=1, strict=True)
    assert raised.value.record == {"code": ""}
    assert str(raised.value).endswith("--seed 1 --strict")


def test_a_seed_makes_runs_repeatable(tmp_path: Path) -> None:
    source = {"type": "object", "properties": {"code": {"type": "string"}, "n": {"type": "number"}}}
    path = _mapping(tmp_path, "  name: code\n  size: n\n", source)
    first, second = (check_mapping(path, examples=30, seed=99) for _ in range(2))
    assert (first.records, first.converted, first.reasons) == (second.records, second.converted, second.reasons)


def test_values_the_mapping_compares_with_are_drawn(tmp_path: Path) -> None:
    # Random text would never be 'gold'; the mapping's own constants are drawn for the path it compares.
    source = {"type": "object", "required": ["tier"], "properties": {"tier": {"type": "string"}}}
    target = {"type": "object", "required": ["vip"], "properties": {"vip": {"const": True}}}
    path = _mapping(tmp_path, "  vip: {from: \"tier == 'gold'\", when: \"tier == 'gold'\"}\n", source, target)
    report = check_mapping(path, examples=30, seed=3)
    assert report.converted > 0


_LITERALS = {"formatted": "%Y-%m-%d", "regex_match": "^[A-Z]{3}$", "separated": ";"}


@pytest.mark.parametrize("kind", sorted(EXPECTS_KINDS))
def test_every_kind_of_expected_text_is_drawn(kind: str) -> None:
    expects = Expects(kind, 1) if EXPECTS_KINDS[kind] else Expects(kind)  # type: ignore[arg-type]
    spec = FunctionSpec("reads", len, (ParamSpec(("string",), expects=expects), ParamSpec(("string",))), ("any",))
    assert _parsed_text(spec, 0, (None, _LITERALS.get(kind))), kind
    assert _parsed_text(spec, 1, (None, _LITERALS.get(kind))) == []  # the second parameter expects nothing


def _currency_name(code: str) -> str:
    return {"USD": "dollar"}.get(code, "other")


def test_a_user_functions_expected_text_is_drawn(tmp_path: Path) -> None:
    source = {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}
    path = _mapping(tmp_path, '  name: {from: "currency_name(code)"}\n', source)
    spec = FunctionSpec("currency_name", _currency_name, (ParamSpec(("string",), expects=Expects("currency")),),
                        ("string",))
    assert "USD" in mapping_hints(load(path, functions=[spec])).by_path["code"]


PROBLEMS = [
    (Problem("'X' is not in lookup 'codes' and the lookup has no default", "rule"), True),
    (Problem('parse_datetime(): cannot read "abc" with the format "%Y"', "rule"), True),
    (Problem("sort_by(): argument 1 must be an array, not null", "rule"), True),
    (Problem("cannot convert '4.5' to an integer without losing information", "rule"), True),
    (Problem("upper(): argument 1 must be a string, not 12", "rule"), False),
    (Problem("`each` needs an array, got an object", "rule"), False),
    (Problem("lookup 'codes' needs a single value, got an array", "rule"), False),
    (Problem("KeyError: 'x'", "rule"), False),
    (Problem("required property is missing", "target"), True),
    (Problem("null is not of type string", "target"), True),
    (Problem('"abc" is not a valid email', "target"), True),
    (Problem('"abc" does not match the pattern \'^[0-9]+$\'', "target"), True),
    (Problem("[1] is not of type string", "target"), False),
    (Problem("Additional properties are not allowed ('x' was unexpected)", "target"), False),
    (Problem("1 is not of type string", "source"), False),
    # Arithmetic: on a missing value or by zero it depends on the record; on text it is the mapping's fault.
    (Problem("+ needs two numbers, not the number 7 and null", "rule",
             cause=ArithmeticFault("+", (7, None), "+ needs two numbers, not the number 7 and null")), True),
    (Problem("cannot divide 7 by zero (with /)", "rule",
             cause=ArithmeticFault("/", (7, 0), "cannot divide 7 by zero (with /)")), True),
    (Problem('* needs two numbers, not the string "x" and the number 2', "rule",
             cause=ArithmeticFault("*", ("x", 2), '* needs two numbers, not the string "x" and the number 2')), False),
]


@pytest.mark.parametrize(("problem", "stated"), PROBLEMS, ids=[problem.message[:40] for problem, _ in PROBLEMS])
def test_which_rejections_the_mapping_states(problem: Problem, stated: bool) -> None:
    assert is_stated_rejection(problem) is stated


def _run(argv: list[str]) -> tuple[int, str, str]:
    stdout, stderr = io.BytesIO(), io.StringIO()
    code = run(argv, io.BytesIO(), stdout, stderr)
    return code, stdout.getvalue().decode("utf-8"), stderr.getvalue()


def test_fuzz_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _mapping(tmp_path, "  label: n\n", NUMBER_SOURCE, {"type": "object", "properties": {"label": {"type": "string"}}})
    code, out, _ = _run(["fuzz", "mapping.yaml", "--examples", "20", "--seed", "5"])
    assert (code, out) == (0, ("fuzzed: 20 generated records, 20 converted, 0 rejected as the mapping states "
                               "(seed 5)\nno inconsistency found\n"))
    _mapping(tmp_path, '  label: "lower(n)"\n', NUMBER_SOURCE)
    code, out, _ = _run(["fuzz", "mapping.yaml", "--examples", "20", "--seed", "5"])
    assert code == 1 and out.startswith("FAILED mapping 'fuzzed' (mapping.yaml): ")
    assert _run(["fuzz", "mapping.yaml", "--examples", "0"])[0] == 2


def test_users_call_it_from_their_own_pytest_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's example: one line per mapping in a user's test suite."""
    monkeypatch.chdir(ROOT)
    from mapper.tooling.fuzzing import check_mapping as fuzz  # as a user would write it

    fuzz("mappings/crm-contact-to-member.yaml", examples=20, seed=1)


def test_arithmetic_on_an_optional_field_is_a_stated_rejection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = {"type": "object", "required": ["price"],
              "properties": {"price": {"type": "number"}, "quantity": {"type": "integer", "minimum": 0}}}
    path = _mapping(tmp_path, '  total: "price * quantity / quantity"\n', source)
    report = check_mapping(path, examples=60, seed=3)
    assert report.records >= 60  # a missing quantity or a zero divisor rejects the record; not an inconsistency


def test_arithmetic_on_text_is_an_inconsistency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}
    path = _mapping(tmp_path, '  doubled: "code * `2`"\n', source)
    with pytest.raises(MappingInconsistency, match="needs two numbers"):
        check_mapping(path, examples=20, seed=3)


def test_a_validated_source_with_an_ecma_pattern_passes_every_seed_through_the_process(tmp_path: Path) -> None:
    """Issue 14, item 8: `.` in a pattern drew "\\r", which jsonschema-rs (ECMA-262) refuses, so every seed failed
    with "a valid source record was rejected". The CRM mapping, its source schema given such a pattern."""
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    contact = tmp_path / "schemas" / "crm" / "contact.schema.json"
    schema = json.loads(contact.read_text("utf-8"))
    schema["properties"]["LastName"]["pattern"] = "^(Mc|O')?.*$"
    contact.write_text(json.dumps(schema), encoding="utf-8")
    (tmp_path / "mappings").mkdir()
    text = (ROOT / "mappings" / "crm-contact-to-member.yaml").read_text("utf-8")
    source = "source: {schema: ../schemas/crm/contact.schema.json, format: json}"
    assert source in text
    (tmp_path / "mappings" / "crm.yaml").write_text(text.replace(source, source.replace("}", ", validate: true}")),
                                                    encoding="utf-8")
    # 300 records: enough for the seed to draw a "\r" where the pattern's `.*` is (it did before the fix).
    done = subprocess.run([EXECUTABLE, "fuzz", "mappings/crm.yaml", "--examples", "300", "--seed", "1"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith("no inconsistency found\n")
