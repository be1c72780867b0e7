"""``mapper drift``: what new schema versions break, on the shipped METAR scenario and schemas made to drift.

``tests/data/drift/metar.v2.schema.json`` renames ``temp_c`` to ``temperature_c``, makes
``visibility_statute_mi`` a number (it was text), narrows ``elevation_m`` to an integer, adds the sky
cover ``VV`` (which the mapping's lookup lacks) and makes ``dewpoint_c`` nullable;
``observation.v2.schema.json`` requires a new field ``flight_category``. The golden outputs beside them
are compared byte for byte: the messages are read by people.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mapper.schemas import load_schema
from mapper.tooling.drift import BREAK, NOTE, drift_of_mapping, drift_of_schemas
from mapper.tooling.drift.changes import compare, declared_at, fields

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data" / "drift"
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
METAR = "mappings/metar-to-observation.yaml"
NEW_SOURCE = "tests/data/drift/metar.v2.schema.json"
NEW_TARGET = "tests/data/drift/observation.v2.schema.json"
FORMATS = {"text": "txt", "json": "json", "github": "github.txt", "markdown": "md"}


def _mapper(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXECUTABLE, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("format_", FORMATS)
def test_the_drift_of_a_mapping_matches_its_golden_output(format_: str) -> None:
    done = _mapper("drift", METAR, "--source", NEW_SOURCE, "--target", NEW_TARGET, "--format", format_)
    assert done.stdout == (DATA / f"metar-to-observation.{FORMATS[format_]}").read_text("utf-8")
    assert done.returncode == 1
    assert done.stderr == ("mapper drift: 5 breaking changes, 2 notes\n" if format_ == "text" else "")


@pytest.mark.parametrize("format_", FORMATS)
def test_the_drift_of_a_schema_alone_matches_its_golden_output(format_: str) -> None:
    done = _mapper("drift", "schemas/weather/metar.schema.json", NEW_SOURCE, "--format", format_)
    assert done.stdout == (DATA / f"metar-schema.{FORMATS[format_]}").read_text("utf-8")
    assert done.returncode == 1


@pytest.mark.parametrize("mapping", sorted(path.name for path in (ROOT / "mappings").glob("*.yaml")))
def test_a_shipped_mapping_does_not_drift_from_its_own_schemas(mapping: str) -> None:
    drift = drift_of_mapping(ROOT / "mappings" / mapping)
    assert drift.findings == ()
    spec_schemas = drift.old
    assert drift.new == spec_schemas


def test_each_drift_lands_on_the_rule_that_reads_the_field() -> None:
    drift = drift_of_mapping(ROOT / METAR, source=ROOT / NEW_SOURCE, target=ROOT / NEW_TARGET)
    found = {(finding.kind, finding.rule, finding.severity) for finding in drift.findings}
    assert found == {
        ("M202", None, BREAK),  # the new required target field
        ("removed", "temperature_c", BREAK),
        ("nullable", "dew_point_c", NOTE),
        ("type", "visibility_m", BREAK),  # text to a number: trim_right() fails on it...
        ("M106", "visibility_m", BREAK),  # ...as mapper check now says
        ("type", "location.elevation_m", NOTE),  # narrowed: every integer was a number already
        ("enum-added", "sky[].cover", BREAK),
    }


def test_a_renamed_field_gets_a_did_you_mean() -> None:
    drift = drift_of_mapping(ROOT / METAR, source=ROOT / NEW_SOURCE)
    removed = next(finding for finding in drift.findings if finding.kind == "removed")
    assert removed.message.endswith("(did you mean 'temperature_c'?)")
    assert (removed.location.line, removed.location.column) == (22, 18)


def _schema(tmp_path: Path, name: str, properties: dict[str, object], required: list[str] = []) -> Path:
    path = tmp_path / f"{name}.schema.json"
    path.write_text(json.dumps({"type": "object", "properties": properties, "required": required}))
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"a": {"type": "string"}}, {"b": {"type": "string"}}, ["removed a", "added b"]),
        ({"FirstName": {"type": "string"}}, {"GivenName": {"type": "string"}}, ["removed FirstName -> GivenName",
                                                                                "added GivenName"]),
        ({"a": {"type": "string"}}, {"a": {"type": "integer"}}, ["type a break"]),
        ({"a": {"type": "number"}}, {"a": {"type": "integer"}}, ["type a note"]),
        ({"a": {"type": "string"}}, {"a": {"type": ["string", "null"]}}, ["nullable a"]),
        ({"a": {"type": "string", "format": "date"}}, {"a": {"type": "string", "format": "date-time"}},
         ["format a break"]),
        ({"a": {"enum": ["x"]}}, {"a": {"enum": ["x", "y"]}}, ["enum-added a"]),
        ({"a": {"enum": ["x", "y"]}}, {"a": {"enum": ["x"]}}, ["enum-removed a"]),
        ({"o": {"type": "object", "properties": {"x": {"type": "string"}}}}, {}, ["removed o"]),
        ({"l": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "string"}}}}},
         {"l": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "integer"}}}}},
         ["type l[].x break"]),
        ({"a": {"type": "string"}}, {"a": {"type": "string"}}, []),
    ],
)
def test_what_changed_between_two_schemas(tmp_path: Path, old: dict[str, object], new: dict[str, object],
                                          expected: list[str]) -> None:
    before = fields(load_schema(_schema(tmp_path, "old", old)))
    after = fields(load_schema(_schema(tmp_path, "new", new)))

    def spelled(change: object) -> str:
        assert hasattr(change, "kind")
        words = [change.kind, change.path]
        if change.renamed_to:
            words += ["->", change.renamed_to]
        if change.kind in ("type", "format"):
            words.append("break" if change.breaks_readers else "note")
        return " ".join(words)

    assert [spelled(change) for change in compare(before, after)] == expected


def test_a_field_becoming_required_is_a_note(tmp_path: Path) -> None:
    drift = drift_of_schemas(_schema(tmp_path, "old", {"a": {"type": "string"}}),
                             _schema(tmp_path, "new", {"a": {"type": "string"}}, ["a"]))
    assert [(finding.kind, finding.severity) for finding in drift.findings] == [("required", NOTE)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([METAR], "give the new schemas of the mapping (--source, --target), or an old and a new schema file"),
        ([METAR, NEW_SOURCE, "--source", NEW_SOURCE], "give a mapping with --source/--target, or two schema "
                                                      "files, not both"),
        (["nope.yaml", "--source", NEW_SOURCE], "mapping file not found: nope.yaml"),
        ([METAR, "--source", "nope.json"], "schema file not found: nope.json"),
    ],
)
def test_what_drift_refuses(args: list[str], message: str) -> None:
    done = _mapper("drift", *args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"mapper: error: {message}\n")


def test_nothing_breaks_exits_0() -> None:
    done = _mapper("drift", METAR, "--source", "schemas/weather/metar.schema.json")
    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == f"mapper drift: no change affects {METAR}\n"


def test_the_crm_scenario_against_a_contact_schema_made_to_drift() -> None:
    """``contact.v2.schema.json`` renames FirstName (GivenName: a synonym), widens Birthdate's format to a
    date-time, lets LastName be null and adds an account tier."""
    drift = drift_of_mapping(ROOT / "mappings" / "crm-contact-to-member.yaml", source=DATA / "contact.v2.schema.json")
    assert [(finding.kind, finding.rule, finding.severity) for finding in drift.findings] == [
        ("removed", "merge_fields.FNAME", BREAK),
        ("nullable", "merge_fields.LNAME", NOTE),
        ("format", "merge_fields.BIRTHDAY", BREAK),
        ("enum-added", "vip", NOTE),  # compared with a constant, looked up nowhere
    ]
    assert drift.findings[0].message.endswith("(did you mean 'GivenName'?)")


@pytest.mark.parametrize(
    ("lookup", "severity", "ending"),
    [
        ("{values: {a: A, b: B}}", BREAK, "lookup 'codes' has no entry for 'c' and no default"),
        ("{values: {a: A, b: B}, default: Z}", NOTE, "lookup 'codes' gives its default for them"),
        ("{values: {a: A, b: B, c: C}}", NOTE, "lookup 'codes' has them"),
    ],
)
def test_a_new_enum_value_breaks_only_a_lookup_that_lacks_it(tmp_path: Path, lookup: str, severity: str,
                                                             ending: str) -> None:
    _schema(tmp_path, "source", {"code": {"enum": ["a", "b"]}})
    _schema(tmp_path, "target", {"label": {"type": "string"}})
    new = _schema(tmp_path, "new", {"code": {"enum": ["a", "b", "c"]}})
    (tmp_path / "mapping.yaml").write_text(
        "mapping: codes\nsource: {schema: source.schema.json}\ntarget: {schema: target.schema.json}\n"
        f"lookups:\n  codes: {lookup}\nrules:\n  label: {{from: code, lookup: codes}}\n")
    [finding] = drift_of_mapping(tmp_path / "mapping.yaml", source=new).findings
    assert (finding.kind, finding.severity, finding.rule) == ("enum-added", severity, "label")
    assert finding.message == f"rule 'label' reads 'code', which allows new values: 'c'; {ending}"


SHIPPED_SCHEMAS = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "schemas").rglob("*.schema.json")
                         if path.name != "mapping.schema.json")


@pytest.mark.parametrize("schema", SHIPPED_SCHEMAS)
def test_a_shipped_schema_has_not_drifted_from_itself(schema: str) -> None:
    assert drift_of_schemas(ROOT / schema, ROOT / schema).findings == ()


_DOCUMENT = {
    "type": "object",
    "properties": {
        "a": {"type": "string"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}},
        "both": {"allOf": [{"properties": {"x": {"type": "string"}}}]},
    },
    "$defs": {"line": {"type": "object", "properties": {"sku/id": {"type": "string"}}}},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a", ("properties", "a")),
        ("lines[]", ("properties", "lines", "items")),
        ("lines[].sku/id", ("$defs", "line", "properties", "sku/id")),  # through a local $ref
        ("both.x", None),  # declared in an allOf: no single place to show
        ("missing", None),
    ],
)
def test_where_a_schema_document_declares_a_field(path: str, expected: tuple[str, ...] | None) -> None:
    assert declared_at(_DOCUMENT, path) == expected
