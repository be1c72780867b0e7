"""One walker of schema structure: the compiler and the checker find the same schema for a field.

The compiler asks ``SchemaNode.property`` (coercion, required, key order) and
the checker asks ``shapes.find_properties``; for every way a schema can
describe a property, both must find the same subschemas, in the same order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.documents import parse_yaml
from mapper.schemas import Schema, SchemaNode
from mapper.tooling.check import check_file
from mapper.tooling.check.shapes import find_properties, is_open, matches_pattern_property, property_names

IF_THEN_CASE = Path(__file__).parent / "cases" / "coercion-follows-if-then.yaml"

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
PARCEL = {"properties": {"kind": {"const": "parcel"}}}


def root(contents: Any) -> SchemaNode:
    uri = "file:///walk/target.schema.json"
    return Schema(uri=uri, path="/walk/target.schema.json", contents=contents, documents={uri: contents}).root


#: (schema, property name, the subschemas that may describe it, in order)
PROPERTIES: dict[str, tuple[dict[str, Any], str, list[Any]]] = {
    "plain": ({"properties": {"a": INTEGER}}, "a", [INTEGER]),
    "undeclared": ({"properties": {"a": INTEGER}}, "b", []),
    "ref to the object": ({"$ref": "#/$defs/thing", "$defs": {"thing": {"properties": {"a": STRING}}}}, "a",
                          [STRING]),
    "ref to the property": ({"properties": {"a": {"$ref": "#/$defs/n"}}, "$defs": {"n": NUMBER}}, "a", [NUMBER]),
    "ref with siblings": ({"$ref": "#/$defs/thing", "properties": {"b": STRING},
                           "$defs": {"thing": {"properties": {"a": INTEGER}}}}, "a", [INTEGER]),
    "allOf": ({"allOf": [{"properties": {"b": STRING}}, {"properties": {"a": INTEGER}}]}, "a", [INTEGER]),
    "allOf: properties before an earlier pattern": (
        {"allOf": [{"patternProperties": {"^a": STRING}}, {"properties": {"a": INTEGER}}]}, "a", [INTEGER]),
    "anyOf": ({"anyOf": [{"properties": {"a": STRING}}, {"properties": {"a": INTEGER}}]}, "a", [STRING, INTEGER]),
    "oneOf through a ref": ({"oneOf": [{"$ref": "#/$defs/x"}, {"properties": {"b": STRING}}],
                             "$defs": {"x": {"properties": {"a": NUMBER}}}}, "a", [NUMBER]),
    "own declaration before branches": (
        {"properties": {"a": NUMBER}, "anyOf": [{"properties": {"a": INTEGER}}]}, "a", [NUMBER]),
    "if/then only": ({"if": PARCEL, "then": {"properties": {"a": INTEGER}}}, "a", [INTEGER]),
    "if/then/else": ({"if": PARCEL, "then": {"properties": {"a": INTEGER}}, "else": {"properties": {"a": STRING}}},
                     "a", [INTEGER, STRING]),
    "if/then inside allOf": ({"allOf": [{"if": PARCEL, "then": {"properties": {"a": NUMBER}}}]}, "a", [NUMBER]),
    "anyOf, then if": ({"anyOf": [{"properties": {"a": STRING}}], "if": PARCEL,
                        "then": {"properties": {"a": INTEGER}}}, "a", [STRING, INTEGER]),
    "patternProperties": ({"patternProperties": {"^x-": STRING, "rank$": INTEGER}}, "x-rank", [STRING]),
    "patternProperties, no match": ({"patternProperties": {"^x-": STRING}}, "rank", []),
    "additionalProperties schema": ({"properties": {"a": STRING}, "additionalProperties": NUMBER}, "b", [NUMBER]),
    "additionalProperties false": ({"properties": {"a": STRING}, "additionalProperties": False}, "b", []),
    "a branch before additionalProperties": (
        {"additionalProperties": NUMBER, "anyOf": [{"properties": {"a": STRING}}]}, "a", [STRING]),
    "a pattern before additionalProperties": (
        {"patternProperties": {"^a": INTEGER}, "additionalProperties": NUMBER}, "a", [INTEGER]),
}


def _contents(nodes: list[SchemaNode]) -> list[Any]:
    return [node.resolved().schema for node in nodes]


@pytest.mark.parametrize(("schema", "name", "expected"), PROPERTIES.values(), ids=PROPERTIES.keys())
def test_the_compiler_and_the_checker_find_the_same_schemas_for_a_property(
        schema: dict[str, Any], name: str, expected: list[Any]) -> None:
    node = root(schema)
    assert _contents(node.property_schemas(name)) == expected
    assert _contents(find_properties(node, name)) == expected
    found = node.property(name)
    assert (found.resolved().schema if found is not None else None) == (expected[0] if expected else None)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("parcel", [INTEGER]), ("letter", [STRING]), (None, [INTEGER, STRING])],
)
def test_a_known_discriminator_leaves_only_its_branch(kind: str | None, expected: list[Any]) -> None:
    node = root({"if": PARCEL, "then": {"properties": {"a": INTEGER}}, "else": {"properties": {"a": STRING}}})
    branches = node.conditional_branches({"kind": kind} if kind is not None else None)
    assert _contents(find_properties(node, "a", tuple(branches))) == expected


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"items": INTEGER}, INTEGER),
        ({"$ref": "#/$defs/list", "$defs": {"list": {"items": STRING}}}, STRING),
        ({"allOf": [{"type": "array"}, {"items": NUMBER}]}, NUMBER),
        ({"anyOf": [{"items": STRING}, {"items": INTEGER}]}, STRING),
        ({"if": {"minItems": 2}, "then": {"items": INTEGER}}, INTEGER),
        ({"type": "array"}, None),
    ],
)
def test_the_items_follow_the_same_keywords(schema: dict[str, Any], expected: Any) -> None:
    items = root(schema).items()
    assert (items.resolved().schema if items is not None else None) == expected


def test_property_names_come_in_schema_order_branches_included() -> None:
    node = root({
        "properties": {"kind": STRING},
        "allOf": [{"properties": {"id": STRING}}],
        "anyOf": [{"properties": {"email": STRING}}, {"properties": {"phone": STRING}}],
        "if": PARCEL, "then": {"properties": {"weight": NUMBER, "kind": STRING}},
    })
    assert node.property_names() == property_names(node) == ["kind", "id", "email", "phone", "weight"]


def test_only_what_every_instance_must_have_is_required() -> None:
    node = root({"required": ["kind"], "allOf": [{"required": ["id"]}], "if": PARCEL, "then": {"required": ["w"]}})
    assert node.required() == {"kind", "id"}


@pytest.mark.parametrize(
    ("schema", "name", "open_", "by_pattern"),
    [
        ({"type": "object"}, "a", True, False),
        ({"properties": {"a": STRING}}, "b", False, False),
        ({"if": PARCEL, "then": {"additionalProperties": True}}, "b", True, False),
        ({"allOf": [{"patternProperties": {"^x-": STRING}}]}, "x-a", False, True),
    ],
)
def test_open_objects_and_patterns(schema: dict[str, Any], name: str, open_: bool, by_pattern: bool) -> None:
    node = root(schema)
    assert is_open(node) is open_
    assert matches_pattern_property(node, name) is by_pattern


@pytest.mark.parametrize(
    ("rule", "diagnostics"),
    [
        ("weight: weight", []),
        ("weight: {const: heavy}",
         ["mapping.yaml:7:3: M205 error: its constant \"heavy\" is invalid for the target: cannot read 'heavy' as a number"]),
    ],
)
def test_the_checker_holds_a_rule_against_the_schema_the_compiler_converts_to(
        rule: str, diagnostics: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The field declared under if/then (see the case file): converted by the compiler, checked by the checker."""
    case = parse_yaml(IF_THEN_CASE.read_text(encoding="utf-8"), IF_THEN_CASE.name).data
    (tmp_path / "mapping.yaml").write_text(case["mapping"].replace("weight: weight", rule), encoding="utf-8")
    (tmp_path / "source.schema.json").write_text(json.dumps({"type": "object"}), encoding="utf-8")
    (tmp_path / "target.schema.json").write_text(json.dumps(case["target_schema"]), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert [str(diagnostic) for diagnostic in check_file("mapping.yaml")] == diagnostics
    if not diagnostics:
        assert mapper.load("mapping.yaml").result(case["input"]).output == case["output"]
