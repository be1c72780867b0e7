"""The JSON Schema of the mapping-file format: valid, shipped, and true to the mappings we ship."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from mapper.documents import load_document
from mapper.mapping_file import mapping_file_schema

ROOT = Path(__file__).parent.parent
MAPPINGS = sorted((ROOT / "mappings").glob("*.yaml"))


def test_the_format_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(mapping_file_schema())


def test_the_schema_in_schemas_is_the_one_the_package_uses() -> None:
    shipped = json.loads((ROOT / "schemas" / "mapping.schema.json").read_text("utf-8"))
    assert shipped == mapping_file_schema()


@pytest.mark.parametrize("path", MAPPINGS, ids=[path.name for path in MAPPINGS])
def test_every_shipped_mapping_follows_the_format(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(mapping_file_schema())
    assert list(validator.iter_errors(load_document(path).data)) == []


@pytest.mark.parametrize(
    "rules",
    [
        {"message": {"from": "sender", "to": "recipient"}},        # rule keys and field names mixed
        {"status": {"lookup": "status"}},                         # a lookup needs from / each
        {"status": {"from": ""}},                                 # empty expression
        {"tags": {"each": "labels", "rules": {}}},                # an object with no fields
        {"x": 5},                                                 # a bare number is no rule
    ],
)
def test_editors_see_the_same_mistakes_the_loader_refuses(rules: dict[str, object]) -> None:
    document = {"mapping": "m", "source": {"schema": "s.json"}, "target": {"schema": "t.json"}, "rules": rules}
    assert not jsonschema.Draft202012Validator(mapping_file_schema()).is_valid(document)
