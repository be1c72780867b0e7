"""The JSON Schema of the mapping-file format: valid, shipped, and true to the mappings we ship."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import jsonschema_rs
import pytest

from mapper.documents import load_document
from mapper.mapping_file import mapping_file_schema

ROOT = Path(__file__).parent.parent
MAPPINGS = sorted((ROOT / "mappings").glob("*.yaml"))
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


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
    # The loader decides with jsonschema-rs, which must agree.
    assert not jsonschema_rs.validator_for(mapping_file_schema()).is_valid(document)


def test_the_schema_has_a_stable_id_named_in_the_docs() -> None:
    schema_id = mapping_file_schema()["$id"]
    assert schema_id == "https://mapper.dev/schemas/mapping-0.1.json"
    assert f"`{schema_id}`" in (ROOT / "docs" / "mapping-format.md").read_text("utf-8")


def _properties_without_description(schema: object, path: str = "") -> list[str]:
    """Every property of the schema (nested too) that editors would offer without a word of help."""
    found: list[str] = []
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            if isinstance(sub, dict) and "description" not in sub:
                found.append(f"{path}/{name}")
        for key, sub in schema.items():
            found.extend(_properties_without_description(sub, f"{path}/{key}"))
    elif isinstance(schema, list):
        for index, sub in enumerate(schema):
            found.extend(_properties_without_description(sub, f"{path}/{index}"))
    return found


def test_every_key_editors_complete_has_a_description() -> None:
    assert _properties_without_description(mapping_file_schema()) == []


@pytest.mark.parametrize(("other", "value"), [("from", "y"), ("each", "items"), ("rules", {"a": "a"}),
                                             ("lookup", "kind"), ("default", 0)])
def test_editors_refuse_const_beside_a_source(other: str, value: object) -> None:
    document = {"mapping": "m", "source": {"schema": "s.json"}, "target": {"schema": "t.json"},
                "rules": {"tag": {"const": "x", other: value}}}
    for validator in (jsonschema.Draft202012Validator(mapping_file_schema()),
                      jsonschema_rs.validator_for(mapping_file_schema())):
        assert not validator.is_valid(document)
        assert validator.is_valid({**document, "rules": {"tag": {"const": "x", "when": "flag"}}})


def test_mapper_schema_prints_the_shipped_schema_through_the_process(tmp_path: Path) -> None:
    """As a project outside this repository sets its editor up: `mapper schema > .vscode/mapping.schema.json`."""
    printed = subprocess.run([EXECUTABLE, "schema"], capture_output=True, cwd=tmp_path, timeout=60, check=True)
    assert printed.stderr == b""
    assert printed.stdout == (ROOT / "schemas" / "mapping.schema.json").read_bytes()
    copy = tmp_path / ".vscode" / "mapping.schema.json"
    copy.parent.mkdir()
    copy.write_bytes(printed.stdout)
    mapping = load_document(ROOT / "mappings" / "crm-contact-to-member.yaml").data
    assert jsonschema.Draft202012Validator(json.loads(copy.read_text("utf-8"))).is_valid(mapping)
