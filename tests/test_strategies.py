"""JSON Schema -> hypothesis strategies (mapper/tooling/strategies.py).

Every example drawn must be valid under the schema, by the reference
validator with formats checked: for every schema shipped in schemas/ and used
by the tests, and for a table of schemas, one per keyword we generate for.
Where a schema offers choices (anyOf branches, optional properties, enum
values), the table also checks each choice is drawn at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from mapper.errors import SchemaError
from mapper.schemas import Schema, load_schema
from mapper.tooling.strategies import MAX_INTEGER, from_schema

ROOT = Path(__file__).parent.parent
SCHEMA_FILES = sorted(
    path for folder in ("schemas", "tests/data/schemas", "tests/data/check/schemas")
    for path in (ROOT / folder).rglob("*.schema.json") if path.name != "mapping.schema.json"
)
QUICK = settings(max_examples=25, database=None, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much, HealthCheck.large_base_example])


def _load(path: Path) -> Schema | None:
    try:
        return load_schema(path)
    except SchemaError:
        return None  # the deliberately broken schemas of tests/data


def _assert_all_valid(schema: Schema, examples: int = 25) -> None:
    validator = schema.validator(check_formats=True)

    @settings(QUICK, max_examples=examples)
    @given(from_schema(schema))
    def valid(instance: Any) -> None:
        errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(instance)]
        assert errors == [], json.dumps(instance, ensure_ascii=False)[:500]

    valid()


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=[str(path.relative_to(ROOT)) for path in SCHEMA_FILES])
def test_every_example_is_valid_under_each_schema_file(path: Path) -> None:
    schema = _load(path)
    if schema is None:
        pytest.skip("not a loadable schema (a deliberately broken one)")
    _assert_all_valid(schema)


def _schema(tmp_path: Path, contents: dict[str, Any], name: str = "schema") -> Schema:
    path = tmp_path / f"{name}.schema.json"
    path.write_text(json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", **contents}))
    return load_schema(path)


Check = Callable[[Any], bool]

# (name, schema, predicates that some example must satisfy)
KEYWORD_CASES: list[tuple[str, dict[str, Any], list[Check]]] = [
    ("type-list", {"type": ["string", "integer", "null"]},
     [lambda v: isinstance(v, str), lambda v: isinstance(v, int), lambda v: v is None]),
    ("enum", {"enum": ["a", 1, None, [1]]}, [lambda v: v == "a", lambda v: v == [1], lambda v: v is None]),
    ("const", {"const": {"k": "v"}}, [lambda v: v == {"k": "v"}]),
    ("string-lengths", {"type": "string", "minLength": 3, "maxLength": 5}, [lambda v: len(v) == 5]),
    ("pattern", {"type": "string", "pattern": "^[A-Z]{2}-\\d{3}$"}, [lambda v: v[0] != "A"]),
    ("pattern-unanchored-with-length", {"type": "string", "pattern": "ab", "maxLength": 4}, [lambda v: "ab" in v]),
    ("integer-range", {"type": "integer", "minimum": -3, "exclusiveMaximum": 4},
     [lambda v: v == -3, lambda v: v == 3]),
    ("multiple-of", {"type": "integer", "multipleOf": 5, "minimum": 1, "maximum": 30}, [lambda v: v == 30]),
    ("number-exclusive", {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
     [lambda v: isinstance(v, float) and 0 < v < 1]),
    ("decimal-multiple", {"type": "number", "multipleOf": 0.25, "minimum": 0, "maximum": 2}, [lambda v: v == 1.75]),
    ("formats", {"type": "object", "required": ["d", "dt", "t", "e", "u", "id", "ip"], "properties": {
        "d": {"type": "string", "format": "date"}, "dt": {"type": "string", "format": "date-time"},
        "t": {"type": "string", "format": "time"}, "e": {"type": "string", "format": "email"},
        "u": {"type": "string", "format": "uri"}, "id": {"type": "string", "format": "uuid"},
        "ip": {"type": "string", "format": "ipv4"}}}, [lambda v: v["dt"].endswith("Z")]),
    ("format-and-pattern", {"type": "string", "format": "date-time", "pattern": "Z$"}, [lambda v: "T" in v]),
    ("format-and-anchored-pattern", {"type": "string", "format": "uri",
                                     "pattern": "^https://api\\.weather\\.gov/stations/[A-Z0-9]{3,5}$"},
     [lambda v: v.startswith("https://api.weather.gov/stations/")]),
    ("array-bounds-unique", {"type": "array", "items": {"enum": [1, 2, 3, 4]}, "minItems": 2, "maxItems": 3,
                             "uniqueItems": True}, [lambda v: len(v) == 3]),
    ("prefix-items", {"type": "array", "prefixItems": [{"type": "number"}, {"type": "string"}], "minItems": 2,
                      "items": {"type": "boolean"}}, [lambda v: len(v) > 2]),
    ("object-required-optional", {"type": "object", "required": ["a"], "additionalProperties": False,
                                  "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}},
     [lambda v: "b" in v, lambda v: "b" not in v]),
    ("map", {"type": "object", "additionalProperties": {"type": "integer"}, "propertyNames": {"maxLength": 3}},
     [lambda v: len(v) >= 2]),
    ("pattern-properties", {"type": "object", "patternProperties": {"^x-[a-z]+$": {"type": "boolean"}},
                            "additionalProperties": False}, [lambda v: len(v) >= 1]),
    ("ref-and-allof", {"$defs": {"base": {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "integer", "minimum": 0}}}},
        "allOf": [{"$ref": "#/$defs/base"}, {"required": ["name"], "properties": {"name": {"type": "string"},
                                                                              "id": {"maximum": 10}}}]},
     [lambda v: v["id"] == 10]),
    ("ref-with-unevaluated", {"$defs": {"p": {"type": "object", "properties": {"x": {"type": "string"}}}},
                              "$ref": "#/$defs/p", "properties": {"y": {"type": "integer"}},
                              "unevaluatedProperties": False}, [lambda v: {"x", "y"} <= set(v)]),
    ("anyof", {"anyOf": [{"type": "null"}, {"type": "object", "required": ["k"], "properties": {
        "k": {"const": 1}}}]}, [lambda v: v is None, lambda v: v == {"k": 1}]),
    ("oneof", {"oneOf": [{"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 3}],
               "minimum": 0, "maximum": 20}, [lambda v: v == 3, lambda v: v == 4]),
    ("if-then-else", {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": ["a", "b"]}},
                      "if": {"properties": {"kind": {"const": "a"}}},
                      "then": {"required": ["x"], "properties": {"x": {"type": "string"}}},
                      "else": {"required": ["y"], "properties": {"y": {"type": "integer"}}}},
     [lambda v: v["kind"] == "a", lambda v: v["kind"] == "b"]),
    ("not", {"type": "string", "enum": ["a", "b", "c"], "not": {"const": "b"}}, [lambda v: v == "c"]),
    ("not-general", {"type": "integer", "minimum": 0, "maximum": 9, "not": {"multipleOf": 2}},
     [lambda v: v == 9]),
    ("recursive", {"$defs": {"node": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node"}, [lambda v: any("children" in child for child in v.get("children", []))]),
    ("anything", {}, [lambda v: isinstance(v, list), lambda v: isinstance(v, dict)]),
    ("unbounded-integers-stay-json-safe", {"type": "integer"}, [lambda v: v > 2**40]),
    ("false-branch-pruned", {"anyOf": [False, {"type": "boolean"}]}, [lambda v: v is True]),
]


@pytest.mark.parametrize(("name", "contents", "sought"), KEYWORD_CASES, ids=[case[0] for case in KEYWORD_CASES])
def test_keyword(tmp_path: Path, name: str, contents: dict[str, Any], sought: list[Check]) -> None:
    schema = _schema(tmp_path, contents)
    _assert_all_valid(schema, examples=60)
    strategy = from_schema(schema)
    for check in sought:
        find(strategy, check, settings=settings(QUICK, max_examples=2000))


def test_integers_stay_within_what_json_parsers_keep(tmp_path: Path) -> None:
    schema = _schema(tmp_path, {"type": "integer"})

    @settings(QUICK, max_examples=100)
    @given(from_schema(schema))
    def bounded(value: int) -> None:
        assert abs(value) <= MAX_INTEGER

    bounded()


def test_an_unsatisfiable_schema_draws_nothing(tmp_path: Path) -> None:
    schema = _schema(tmp_path, {"type": "integer", "minimum": 5, "maximum": 1})
    assert from_schema(schema).is_empty


def test_draft7_tuple_items(tmp_path: Path) -> None:
    path = tmp_path / "d7.schema.json"
    path.write_text(json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "array",
                                "items": [{"type": "string"}, {"type": "integer"}], "minItems": 2,
                                "additionalItems": False}))
    _assert_all_valid(load_schema(path), examples=40)


def test_strategies_compose_with_other_strategies(tmp_path: Path) -> None:
    schema = _schema(tmp_path, {"type": "string", "maxLength": 2})
    pairs = st.tuples(from_schema(schema), st.integers())
    assert isinstance(find(pairs, lambda pair: True, settings=QUICK), tuple)


# -- patterns in the validator's dialect (ECMA-262, as jsonschema-rs reads them) --------------------------

ECMA_PATTERNS = ["^(ab)?.*$", "^.{1,4}$", r"^\d+\.\d$", r"^\w+$", "a.b", "^[.x]+$", r"^\\.$"]


@pytest.mark.parametrize("pattern", ECMA_PATTERNS)
def test_strings_match_their_pattern_as_jsonschema_rs_reads_it(tmp_path: Path, pattern: str) -> None:
    """Python's `.` matches "\\r" and U+2028, ECMA-262's does not: jsonschema-rs would refuse such a string."""
    schema = _schema(tmp_path, {"type": "string", "pattern": pattern})
    judge = jsonschema_rs.validator_for(schema.contents)

    @settings(QUICK, max_examples=150)
    @given(from_schema(schema))
    def matches(text: str) -> None:
        assert judge.is_valid(text), repr(text)

    matches()


@pytest.mark.parametrize("name_schema", [{"patternProperties": {"^x.$": {"type": "integer"}},
                                          "additionalProperties": False},
                                         {"propertyNames": {"pattern": "^.{1,3}$"}, "additionalProperties": True}])
def test_property_names_match_their_pattern_as_jsonschema_rs_reads_it(tmp_path: Path,
                                                                      name_schema: dict[str, Any]) -> None:
    schema = _schema(tmp_path, {"type": "object", **name_schema})
    judge = jsonschema_rs.validator_for(schema.contents)

    @settings(QUICK, max_examples=100)
    @given(from_schema(schema))
    def valid(value: dict[str, Any]) -> None:
        assert judge.is_valid(value), repr(value)

    valid()


# -- shrinking: a minimal example carries nothing the condition does not need --------------------------------

CONTACT = {"type": "object", "required": ["id"], "properties": {
    "id": {"type": "integer"},
    "name": {"type": "string"},
    "telecom": {"type": "array", "items": {"type": "object", "properties": {
        "system": {"enum": ["phone", "email"]}, "value": {"type": "string"}}}},
    "extension": {"type": "array"},
    "meta": {"type": "object", "additionalProperties": {"type": "string"}},
}}
SHRINK_CASES = [
    ("no-optional-member", lambda record: record["id"] > 5, {"id": 6}),
    ("one-item-among-items", lambda record: any(item.get("system") == "email" for item in record.get("telecom", [])),
     {"id": 0, "telecom": [{"system": "email"}]}),
    ("an-array-without-items-schema", lambda record: True in record.get("extension", []),
     {"id": 0, "extension": [True]}),
    ("one-entry-of-a-map", lambda record: any(record.get("meta", {}).values()), {"id": 0, "meta": {"0": "0"}}),
]


@pytest.mark.parametrize(("name", "condition", "minimal"), SHRINK_CASES, ids=[case[0] for case in SHRINK_CASES])
def test_examples_shrink_to_what_the_condition_needs(tmp_path: Path, name: str, condition: Check,
                                                     minimal: dict[str, Any]) -> None:
    strategy = from_schema(_schema(tmp_path, CONTACT))
    assert find(strategy, condition, settings=settings(QUICK, max_examples=2000)) == minimal
