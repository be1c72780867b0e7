"""Schema loading: drafts, $ref across files, load-time errors with file, line and column."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import jsonschema
import pytest

from mapper.errors import SchemaError
from mapper.schemas import load_schema

DATA = Path(__file__).parent / "data" / "schemas"


def test_refs_across_files_resolve_relative_to_the_schema() -> None:
    schema = load_schema(DATA / "patient.schema.json")
    root = schema.root
    home = root.property("home")
    assert home is not None and home.required() == {"street"}
    country = home.property("country")
    assert country is not None and country.types() == {"string"}
    visits = root.property("visits")
    assert visits is not None and visits.items() is not None
    assert root.property_names() == ["id", "age", "home", "visits", "status", "weight"]
    assert [error.message for error in schema.validator().iter_errors({"id": "p", "home": {"street": "x", "country": "usa"}})] \
        == ["'usa' does not match '^[A-Z]{2}$'"]


@pytest.mark.parametrize(
    ("field", "types"),
    [("id", {"string"}), ("age", {"integer", "null"}), ("status", {"string"}), ("weight", {"number"}), ("nope", None)],
)
def test_types_follow_type_enum_ref_and_allof(field: str, types: set[str] | None) -> None:
    node = load_schema(DATA / "patient.schema.json").root.property(field)
    assert (node.types() if node is not None else None) == types


def test_draft_07_is_read_as_draft_07_and_follows_refs_into_2020_12_files() -> None:
    schema = load_schema(DATA / "draft7.schema.json")
    assert schema.validator_class is jsonschema.Draft7Validator
    patient = schema.root.property("patient")
    assert patient is not None and patient.property("home") is not None
    errors = list(schema.validator().iter_errors({"patient": {"id": 1}, "code": 5}))
    assert sorted(error.message for error in errors) == ["1 is not of type 'string'", "5 is not of type 'string'"]


def test_a_loaded_schema_pickles() -> None:
    schema = pickle.loads(pickle.dumps(load_schema(DATA / "patient.schema.json")))
    assert not schema.validator().is_valid({"id": "p", "home": {}})


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("dangling-ref.schema.json", "dangling-ref.schema.json:4:19: $ref '#/$defs/nowhere' does not resolve"),
        ("remote-ref.schema.json", "remote-ref.schema.json:4:19: $ref 'https://elsewhere.test/thing.json' points "
                                   "outside the local schema files (mapper never fetches schemas)"),
        ("missing-file-ref.schema.json", "missing-file-ref.schema.json:4:19: schema file not found: "),
        ("broken.schema.json", "broken.schema.json:3:1: schema file does not parse: invalid JSON: "
                               "Expecting property name enclosed in double quotes"),
        ("absent.schema.json", "schema file not found: "),
    ],
)
def test_schema_errors_say_where(file: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    with pytest.raises(SchemaError) as raised:
        load_schema(file)
    assert str(raised.value).startswith(message)


def test_a_meta_schema_mapper_does_not_ship_is_never_fetched(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import jsonschema_rs

    def no_network(document: object) -> bool:
        raise AssertionError("jsonschema-rs would fetch the unknown meta-schema")

    monkeypatch.setattr(jsonschema_rs.meta, "is_valid", no_network)
    path = tmp_path / "custom.schema.json"
    path.write_text('{"$schema": "https://schemas.example/custom-dialect", "type": "object"}')
    assert load_schema(path).contents["type"] == "object"


@pytest.mark.parametrize("declared", [None, "https://json-schema.org/draft/2020-12/schema",
                                      "http://json-schema.org/draft-07/schema#"])
def test_a_broken_schema_is_explained_whichever_validator_saw_it_first(tmp_path: Path, declared: str | None) -> None:
    path = tmp_path / "broken.schema.json"
    path.write_text(json.dumps({**({"$schema": declared} if declared else {}), "type": "nope"}))
    with pytest.raises(SchemaError, match="not a valid JSON Schema"):
        load_schema(path)


#: $ref forms mapper resolves itself (no ``referencing`` at load): (schema, ref to follow, the types it reaches).
LOCAL_REFS = [
    ({"$defs": {"a/b": {"type": "string"}}}, "#/$defs/a~1b", {"string"}),
    ({"$defs": {"t~": {"type": "integer"}}}, "#/$defs/t~0", {"integer"}),
    ({"$defs": {"x": {"$anchor": "code", "type": "boolean"}}}, "#code", {"boolean"}),
    ({"prefixItems": [{"type": "string"}, {"type": "array"}]}, "#/prefixItems/1", {"array"}),
]


@pytest.mark.parametrize(("schema", "ref", "types"), LOCAL_REFS)
def test_local_refs_resolve_without_referencing(tmp_path: Path, schema: dict[str, object], ref: str,
                                                 types: set[str]) -> None:
    file = tmp_path / "local.schema.json"
    file.write_text(json.dumps({**schema, "properties": {"field": {"$ref": ref}}}), encoding="utf-8")
    field = load_schema(file).root.property("field")
    assert field is not None and field.types() == types
    # The reference validator, built from referencing, agrees on the same $ref.
    assert field.resolved().schema == load_schema(file).root.resolver.lookup(ref).contents

