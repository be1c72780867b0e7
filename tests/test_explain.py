"""``mapper explain``: one record traced rule by rule, agreeing with the engine on every shipped fixture."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
from mapper.errors import PayloadError
from mapper.tooling.explain import Explanation, FieldTrace, explain
from mapper.tooling.fixtures import find_cases, read_input
from mapper.tooling.strategies import from_schema
from tests.test_lineage import LOADING_CASES, load_case

ROOT = Path(__file__).parent.parent
CRM = ROOT / "mappings" / "crm-contact-to-member.yaml"
FIXTURES = ROOT / "mappings" / "crm-contact-to-member.fixtures"
GOLDEN = ROOT / "tests" / "data" / "lineage"
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
UPDATE = os.environ.get("MAPPER_UPDATE_GOLDEN") == "1"


def _fixture_records() -> list[tuple[str, Path, int]]:
    found = []
    for path in sorted((ROOT / "mappings").glob("*.yaml")):
        loaded = mapper.load(path)
        for case in find_cases(path):
            records, _ = read_input(loaded, case.input_path)
            found += [(case.label, case.input_path, number) for number, record in enumerate(records, 1)
                      if not isinstance(record, PayloadError)]
    return found


_MAPPINGS: dict[Path, mapper.Mapping] = {}


def _load(path: Path) -> mapper.Mapping:
    if path not in _MAPPINGS:
        _MAPPINGS[path] = mapper.load(path)
    return _MAPPINGS[path]


def _at(document: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


@pytest.mark.parametrize(("label", "input_path", "number"), _fixture_records(),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_the_trace_builds_what_the_engine_builds(label: str, input_path: Path, number: int) -> None:
    mapping_path = input_path.parent.parent / (input_path.parent.name.removesuffix(".fixtures") + ".yaml")
    loaded = _load(mapping_path)
    records, _ = read_input(loaded, input_path)
    explanation = explain(loaded, records[number - 1], number)
    assert explanation.matches
    assert explanation.output == explanation.result.output
    for trace in explanation.fields:
        if trace.written and trace.kind == "value":
            assert _at(explanation.output, trace.target) == trace.value, trace.target


@pytest.mark.parametrize("path", sorted((ROOT / "mappings").glob("*.yaml")), ids=lambda path: path.stem)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_the_trace_builds_what_the_engine_builds_for_generated_records(path: Path, data: st.DataObject) -> None:
    loaded = _load(path)
    record = data.draw(from_schema(loaded.source_schema))
    assert explain(loaded, record).matches


def _full_contact() -> Explanation:
    return explain(_load(CRM), json.loads((FIXTURES / "full-contact.input.json").read_text("utf-8")))


def _trace(explanation: Explanation, target: str, kind: str | None = None) -> FieldTrace:
    return next(trace for trace in explanation.fields if trace.target == target and kind in (None, trace.kind))


def test_a_lookup_shows_the_value_before_and_after() -> None:
    status = _trace(_full_contact(), "/status")
    assert (status.rule, status.location) == ("status", "crm-contact-to-member.yaml:19")
    assert [(reading.path, reading.value) for reading in status.reads] == [
        ("EmailStatus__c", "A"), ("HasOptedOutOfEmail", False)]
    assert [step.to_dict() for step in status.steps] == [
        {"step": "expression", "value": "A"}, {"step": "lookup", "value": "subscribed", "table": "email_status"}]
    assert (status.written, status.value) == (True, "subscribed")


def test_a_let_binding_is_traced_and_read_by_name() -> None:
    explanation = _full_contact()
    binding = _trace(explanation, "/merge_fields/ADDRESS", "binding")
    assert (binding.rule, binding.value) == ("merge_fields.ADDRESS.$lines", ["1 Market St", "Suite 400"])
    addr2 = _trace(explanation, "/merge_fields/ADDRESS/addr2")
    assert [(reading.path, reading.value, reading.via) for reading in addr2.reads] == [
        ("$lines[1]", "Suite 400", ("$lines",))]


def _mapping(tmp_path: Path, rules: str, target: dict[str, Any] | None = None) -> mapper.Mapping:
    (tmp_path / "source.json").write_text('{"type": "object"}', encoding="utf-8")
    (tmp_path / "target.json").write_text(json.dumps(target or {"type": "object"}), encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(
        "mapping: small\nsource: {schema: source.json}\ntarget: {schema: target.json}\n"
        "lookups:\n  colour: {values: {r: red}}\nrules:\n" + rules, encoding="utf-8")
    return mapper.load(tmp_path / "mapping.yaml")


_NUMBER_TARGET = {"type": "object", "properties": {"n": {"type": "integer"}}}


@pytest.mark.parametrize(("rules", "record", "target", "steps", "written", "reason"), [
    ("  n: a\n", {"a": 1}, None, [("expression", 1)], True, None),
    ("  n: a\n", {}, None, [("expression", None)], False, "null"),
    ("  n: {from: a, default: 7}\n", {}, None, [("expression", None), ("default", 7)], True, None),
    ("  n: {from: a, when: ok}\n", {"a": 1, "ok": False}, None, [], False, "`when` is false"),
    ("  n: {from: a, when: ok}\n", {"a": 1, "ok": True}, None, [("expression", 1)], True, None),
    ("  n: a\n", {"a": "42"}, _NUMBER_TARGET, [("expression", "42"), ("coercion", 42)], True, None),
    ("  n: {from: a, lookup: colour}\n", {"a": "r"}, None, [("expression", "r"), ("lookup", "red")], True, None),
    ("  n: {from: a, lookup: colour}\n", {"a": "g"}, None, [("expression", "g")], False,
     "the rule failed: 'g' is not in lookup 'colour' and the lookup has no default"),
    ("  n: {const: 3}\n", {}, None, [("constant", 3)], True, None),
    ("  n: a\n", {"a": "4.5"}, _NUMBER_TARGET, [("expression", "4.5")], False,
     "the rule failed: cannot convert '4.5' to an integer without losing information"),
])
def test_each_step_of_a_value_rule(tmp_path: Path, rules: str, record: Any, target: dict[str, Any] | None,
                                   steps: list[tuple[str, Any]], written: bool, reason: str | None) -> None:
    explanation = explain(_mapping(tmp_path, rules, target), record)
    trace = _trace(explanation, "/n")
    assert [(step.step, step.value) for step in trace.steps] == steps
    assert (trace.written, trace.reason) == (written, reason)
    assert explanation.matches


@pytest.mark.parametrize(("rules", "record", "reason"), [
    ("  o:\n    from: x\n    rules: {a: a}\n", {}, "`from` is null"),
    ("  o:\n    from: x\n    rules: {a: a}\n", {"x": {}}, "none of its fields has a value"),
    ("  o:\n    each: x\n    from: '@'\n", {}, "`each` is null"),
    ("  o:\n    each: x\n    from: '@'\n", {"x": 3}, "the rule failed: `each` needs an array, got an integer"),
])
def test_why_an_object_or_array_is_left_out(tmp_path: Path, rules: str, record: Any, reason: str) -> None:
    explanation = explain(_mapping(tmp_path, rules), record)
    assert (_trace(explanation, "/o").written, _trace(explanation, "/o").reason) == (False, reason)
    assert explanation.matches


def test_context_reads_have_their_values_where_the_rule_ran(tmp_path: Path) -> None:
    rules = ("  lines:\n    each: items\n    rules:\n      position: index()\n      owner: $.owner\n"
             "      around: parent(`1`).owner\n")
    explanation = explain(_mapping(tmp_path, rules), {"owner": "ada", "items": [{}, {}]})
    second = {trace.target: trace for trace in explanation.fields}
    assert [(reading.path, reading.value) for reading in second["/lines/1/position"].reads] == [("index()", 1)]
    assert [(reading.path, reading.value) for reading in second["/lines/1/owner"].reads] == [("$.owner", "ada")]
    assert [(reading.path, reading.value) for reading in second["/lines/1/around"].reads] == [
        ("parent(`1`).owner", "ada")]
    assert explanation.output == {"lines": [{"position": 0, "owner": "ada", "around": "ada"},
                                            {"position": 1, "owner": "ada", "around": "ada"}]}


def test_a_failing_binding_leaves_its_object_unbuilt(tmp_path: Path) -> None:
    rules = "  o:\n    let: {n: 'abs(x)'}\n    rules: {v: $n}\n"
    explanation = explain(_mapping(tmp_path, rules), {"x": "a"})
    binding = _trace(explanation, "/o", "binding")
    assert binding.reason is not None and binding.reason.startswith("the binding failed")
    assert not explanation.result.ok and explanation.matches


def test_the_json_form_has_the_documented_shape() -> None:
    document = _full_contact().to_dict()
    assert set(document) == {"mapping", "record", "ok", "output", "problems", "fields"}
    assert set(document["fields"][0]) == {"target", "rule", "location", "kind", "expression", "reads", "steps",
                                          "when", "written", "value", "reason"}
    json.dumps(document)


# -- through the real process -------------------------------------------------------------------------


def _explain(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([EXECUTABLE, "explain", *argv], input=stdin, capture_output=True, timeout=120)


def test_the_text_trace_of_a_fixture_matches_its_golden_file() -> None:
    done = _explain(str(CRM.relative_to(ROOT)), str((FIXTURES / "full-contact.input.json").relative_to(ROOT)))
    golden = GOLDEN / "full-contact.explain.txt"
    if UPDATE:
        golden.write_bytes(done.stdout)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode("utf-8") == golden.read_text("utf-8")


def test_a_rejected_record_exits_1_and_says_why() -> None:
    done = _explain(str(CRM), str(FIXTURES / "no-email-address-rejected.input.json"), "--format", "json")
    document = json.loads(done.stdout)
    assert done.returncode == 1
    assert not document["ok"] and document["problems"][0]["pointer"] == "/email_address"


def test_standard_input_and_a_format_option(tmp_path: Path) -> None:
    contact = (FIXTURES / "full-contact.input.json").read_bytes()
    done = _explain(str(CRM), "-", "--format", "json", stdin=contact)
    assert done.returncode == 0 and json.loads(done.stdout)["ok"]


def test_record_n_counts_as_rejects_counts(tmp_path: Path) -> None:
    contact = json.loads((FIXTURES / "full-contact.input.json").read_text("utf-8"))
    lines = [json.dumps(contact), "", "{not json", json.dumps({**contact, "Emails": []}), json.dumps(contact)]
    (tmp_path / "in.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    convert = subprocess.run([EXECUTABLE, "convert", str(CRM), str(tmp_path / "in.ndjson"), "-o",
                              str(tmp_path / "out.ndjson"), "--rejects", str(tmp_path / "rejects.ndjson"), "-q"],
                             capture_output=True, timeout=120)
    assert convert.returncode == 1
    numbers = [json.loads(line)["record"] for line in (tmp_path / "rejects.ndjson").read_text("utf-8").splitlines()]
    assert numbers == [2, 3]
    unreadable = _explain(str(CRM), str(tmp_path / "in.ndjson"), "--record", "2")
    assert unreadable.returncode == 3 and unreadable.stdout == b""
    assert unreadable.stderr.decode().startswith("mapper: error: ") and unreadable.stderr.count(b"\n") == 1
    rejected = _explain(str(CRM), str(tmp_path / "in.ndjson"), "--record", "3", "--format", "json")
    assert rejected.returncode == 1 and json.loads(rejected.stdout)["record"] == 3
    assert _explain(str(CRM), str(tmp_path / "in.ndjson"), "--record", "4").returncode == 0


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["missing.yaml", "x.json"], 2, "mapper: error: mapping file not found: missing.yaml\n"),
    ([str(CRM), "missing.json"], 3, "mapper: error: missing.json: No such file or directory\n"),
    ([str(CRM), str(FIXTURES / "full-contact.input.json"), "--record", "2"], 3,
     f"mapper: error: {FIXTURES / 'full-contact.input.json'}: there is no record 2: the input holds 1 record\n"),
    ([str(CRM), "x.json", "--record", "0"], 2,
     "mapper explain: argument --record: must be at least 1\n(see mapper --help)\n"),
])
def test_errors_are_one_line_with_the_exit_codes(argv: list[str], code: int, message: str) -> None:
    done = _explain(*argv)
    assert (done.returncode, done.stdout, done.stderr.decode()) == (code, b"", message)


@pytest.mark.parametrize("case_file", LOADING_CASES, ids=[path.stem for path in LOADING_CASES])
def test_the_trace_builds_what_the_engine_builds_for_every_mapping_case(case_file: Path, tmp_path: Path) -> None:
    loaded, case = load_case(case_file, tmp_path)
    explanation = explain(loaded, case["input"])
    assert explanation.matches
    assert explanation.result.output == explanation.output
