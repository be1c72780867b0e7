"""``mapper lineage``: which source paths feed which target fields, for every shipped mapping, in
every format, through the real process."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.cli import run
from mapper.documents import parse_yaml
from mapper.functions import build_function_table
from mapper.parser import parse
from mapper.tooling.lineage import lineage_of, source_pointer
from mapper.tooling.lineage_formats import FORMATS
from mapper.tooling.reads import Context, Read, Value, value_of
from tests.test_cases import _write_case

ROOT = Path(__file__).parent.parent
MAPPINGS = sorted((ROOT / "mappings").glob("*.yaml"))
CRM = ROOT / "mappings" / "crm-contact-to-member.yaml"
GOLDEN = ROOT / "tests" / "data" / "lineage"
SUFFIXES = {"mermaid": "mmd", "dot": "dot", "json": "json", "html": "html"}
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
#: Set to rewrite the golden files from the current output (then review the diff).
UPDATE = os.environ.get("MAPPER_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("path", MAPPINGS, ids=lambda path: path.stem)
def test_every_target_field_of_a_shipped_mapping_has_a_source_or_a_constant(path: Path) -> None:
    lineage = lineage_of(mapper.load(path))
    fed = {edge.target for edge in lineage.edges} | {constant.target for constant in lineage.constants}
    unfed = [field.target for field in lineage.fields if field.kind == "value" and field.target not in fed]
    assert unfed == []
    assert all(re.fullmatch(r"[^:]+\.ya?ml:[0-9]+", edge.rule) for edge in lineage.edges)


def _record_reads(expression: str, **variables: str) -> list[tuple[str, tuple[str, ...]]]:
    """The source pointers ``expression`` reads from the record, with their ``via``; each variable
    is bound to the value of its expression, read at the record."""
    record = Value(frozenset({Read("$")}))
    context = Context(record, record, build_function_table(()).specs, scopes=(record,))
    for name, bound in variables.items():
        context = context.bind(name, value_of(parse(bound), context))
    reads = value_of(parse(expression), context).reads()
    return sorted((source_pointer(read), read.via) for read in reads)


@pytest.mark.parametrize(("expression", "variables", "expected"), [
    ("FirstName", {}, [("/FirstName", ())]),
    ("Account.Name", {}, [("/Account/Name", ())]),
    ("Emails[0].Address", {}, [("/Emails/*/Address", ())]),
    ("Emails[?IsPrimary] | [0].Address", {}, [("/Emails/*/Address", ()), ("/Emails/*/IsPrimary", ())]),
    ("a[].b[].c", {}, [("/a/*/b/*/c", ())]),
    ("value | [@, translation[]][] | [?system=='x'].code", {}, [
        ("/value/code", ()), ("/value/system", ()), ("/value/translation/*/code", ()),
        ("/value/translation/*/system", ())]),
    ("a.*.b", {}, [("/a/*/b", ())]),
    ("a[0:2].b", {}, [("/a/*/b", ())]),
    ("`1`", {}, []),
    ("x == 'y' && z", {}, [("/x", ()), ("/z", ())]),
    ("c ? a : b", {}, [("/a", ()), ("/b", ()), ("/c", ())]),
    ("{k: a, l: length(b)}", {}, [("/a", ()), ("/b", ())]),
    ("$.a", {}, [("/a", ("$",))]),
    ("root().a", {}, [("/a", ("root()",))]),
    ("$lines[0]", {"lines": "split(Street, ' ')"}, [("/Street", ("$lines",))]),
    ("$c.id", {"c": "entry[?kind=='C'] | [0]"}, [("/entry/*/id", ("$c",)), ("/entry/*/kind", ("$c",))]),
    ("let $n = name in $n.first", {}, [("/name/first", ("$n",))]),
    ("lookup('countries', code)", {}, [("/code", ("lookup:countries",))]),
    ("sort_by(items, &rank)[0].name", {}, [("/items/*/name", ()), ("/items/*/rank", ())]),
    ("coalesce(a.x, b.x)", {}, [("/a/x", ()), ("/b/x", ())]),
    ("max_by(people, &age).name", {}, [("/people/*/age", ()), ("/people/*/name", ())]),
    ("map(&id, things)", {}, [("/things/*/id", ())]),
    ("parent().x", {}, []),  # at the record, nothing encloses it
])
def test_what_an_expression_reads(expression: str, variables: dict[str, str],
                                  expected: list[tuple[str, tuple[str, ...]]]) -> None:
    assert _record_reads(expression, **variables) == expected


def test_context_reads_and_lookups_are_named_in_via(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text('{"type": "object"}', encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text("""\
mapping: context
source: {schema: schema.json}
target: {schema: schema.json}
lookups:
  countries: {values: {FR: France}}
rules:
  country: {from: address.code, lookup: countries}
  lines:
    each: {order: orders, line: lines}
    rules:
      sku: sku
      order_id: $order.id
      position: index()
      customer: $.customer.id
      parent_note: parent(`1`).note
  label:
    when: flag
    from: name
""", encoding="utf-8")
    lineage = lineage_of(mapper.load(tmp_path / "mapping.yaml"))
    edges = {(edge.source, edge.target, edge.via) for edge in lineage.edges}
    assert {
        ("/address/code", "/country", ("lookup:countries",)),
        ("/orders", "/lines", ()),
        ("/orders/*/lines", "/lines", ()),
        ("/orders/*/lines/*/sku", "/lines/*/sku", ()),
        ("/orders/*/id", "/lines/*/order_id", ("$order",)),
        ("/orders/*/lines/*", "/lines/*/position", ("index()",)),
        ("/customer/id", "/lines/*/customer", ("$",)),
        ("/note", "/lines/*/parent_note", ("parent(1)",)),
        ("/flag", "/label", ("when",)),
        ("/name", "/label", ()),
    } <= edges


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format_matches_its_golden_file(fmt: str) -> None:
    text = FORMATS[fmt](lineage_of(mapper.load(CRM)))
    golden = GOLDEN / f"crm-contact-to-member.{SUFFIXES[fmt]}"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_the_json_form_has_the_documented_shape() -> None:
    document = json.loads(FORMATS["json"](lineage_of(mapper.load(CRM))))
    assert set(document) == {"mapping", "file", "fields", "edges", "constants"}
    assert document["mapping"] == "crm-contact-to-member"
    assert {"source": "/EmailStatus__c", "target": "/status", "rule": "crm-contact-to-member.yaml:19",
            "via": ["lookup:email_status"]} in document["edges"]
    assert {"target": "/email_type", "rule": "crm-contact-to-member.yaml:23", "value": "html"} in document["constants"]
    assert {"target": "/merge_fields/ADDRESS", "rule": "crm-contact-to-member.yaml:30", "kind": "object"} \
        in document["fields"]


def test_the_html_page_loads_nothing() -> None:
    page = FORMATS["html"](lineage_of(mapper.load(CRM)))
    assert page.startswith("<!DOCTYPE html>")
    assert "http" not in page and "<script" not in page and "<link" not in page


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("path", MAPPINGS, ids=lambda path: path.stem)
def test_graphviz_reads_the_dot_output(path: Path) -> None:
    dot = FORMATS["dot"](lineage_of(mapper.load(path)))
    done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert b"<svg" in done.stdout


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_command_prints_each_format(fmt: str) -> None:
    done = subprocess.run([EXECUTABLE, "lineage", str(CRM), "--format", fmt], capture_output=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode("utf-8") == (GOLDEN / f"crm-contact-to-member.{SUFFIXES[fmt]}").read_text("utf-8")


def test_mermaid_is_the_default_format() -> None:
    done = subprocess.run([EXECUTABLE, "lineage", str(CRM)], capture_output=True, timeout=120)
    assert done.stdout.startswith(b"flowchart LR\n")


@pytest.mark.parametrize(("argv", "message"), [
    (["lineage", "missing.yaml"], "mapper: error: mapping file not found: missing.yaml\n"),
    (["lineage", str(CRM), "--format", "png"], "mapper lineage: argument --format: invalid choice: 'png' "
                                               "(choose from 'mermaid', 'dot', 'json', 'html')\n"
                                               "(see mapper --help)\n"),
])
def test_errors_are_one_line_with_exit_code_2(argv: list[str], message: str) -> None:
    done = subprocess.run([EXECUTABLE, *argv], capture_output=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr.decode()) == (2, b"", message)


def test_a_broken_mapping_is_reported_where_it_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text('{"type": "object"}', encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text("mapping: m\nsource: {schema: schema.json}\n"
                                           "target: {schema: schema.json}\nrules:\n  a: 'b[?'\n", encoding="utf-8")
    stderr = _Text()
    code = run(["lineage", str(tmp_path / "mapping.yaml")], None, _Bytes(), stderr)  # type: ignore[arg-type]
    assert code == 2
    # As every command reports it: the place, the message, the expression with a caret under the fault.
    assert stderr.text.startswith(f"mapper: error: {tmp_path / 'mapping.yaml'}:5:") and "Traceback" not in stderr.text


class _Bytes:
    def write(self, data: bytes) -> int:
        return len(data)


class _Text:
    def __init__(self) -> None:
        self.text = ""

    def write(self, data: str) -> int:
        self.text += data
        return len(data)


def _case(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = parse_yaml(path.read_text(encoding="utf-8"), path.name).data
    return data


#: The behaviour cases of tests/cases whose mapping loads (each flattening, context functions, coercion...).
LOADING_CASES = [path for path in sorted((ROOT / "tests" / "cases").glob("*.yaml")) if "error" not in _case(path)]


def load_case(case_file: Path, directory: Path) -> tuple[mapper.Mapping, dict[str, Any]]:
    """The mapping of a behaviour case, written out in ``directory``, and the case."""
    case = _case(case_file)
    _write_case(case, directory)
    return mapper.load(directory / "mapping.yaml"), case


@pytest.mark.parametrize("case_file", LOADING_CASES, ids=[path.stem for path in LOADING_CASES])
def test_every_target_field_of_a_mapping_case_has_a_source_or_a_constant(case_file: Path, tmp_path: Path) -> None:
    lineage = lineage_of(load_case(case_file, tmp_path)[0])
    fed = {edge.target for edge in lineage.edges} | {constant.target for constant in lineage.constants}
    assert [field.target for field in lineage.fields if field.kind == "value" and field.target not in fed] == []
