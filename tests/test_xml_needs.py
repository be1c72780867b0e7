"""The XML reader skips what the source schema leaves open and the mapping cannot read
(mapper.formats.xml_needs), and reads everything wherever the mapping could see more."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.formats.xml import XmlReader
from mapper.formats.xml_needs import fallback_keys

ROOT = Path(__file__).parent.parent
SOURCE = {"type": "object", "xml": {"name": "r"}, "properties": {
    "id": {"type": "string", "xml": {"attribute": True}},
    "name": {"type": "string"},
}}
TARGET_PROPERTIES = {"id": {"type": "string"}, "name": {"type": "string"}, "note": {"type": "string"},
                     "count": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}},
                     "whole": {"type": "object"}}
XML = b'<r id="7" kind="k"><name>Ann</name><note lang="en">hi <b>there</b></note><narrative><p>x</p></narrative></r>'


def load(tmp_path: Path, rules: dict[str, Any], *, validate: bool = False) -> mapper.Mapping:
    (tmp_path / "s.schema.json").write_text(json.dumps(SOURCE))
    (tmp_path / "t.schema.json").write_text(json.dumps({"type": "object", "properties": TARGET_PROPERTIES}))
    source = {"schema": "s.schema.json", "format": "xml", **({"validate": True} if validate else {})}
    (tmp_path / "m.yaml").write_text(json.dumps({"mapping": "m", "source": source,
                                                 "target": {"schema": "t.schema.json"}, "rules": rules}))
    return mapper.load(tmp_path / "m.yaml")


def read(mapping: mapper.Mapping) -> Any:
    [record] = XmlReader.for_mapping(mapping).records(io.BytesIO(XML), "r.xml")
    return record


def test_only_the_undescribed_parts_a_rule_names_are_read(tmp_path: Path) -> None:
    mapping = load(tmp_path, {"id": "id", "note": "note.b"})
    assert fallback_keys(mapping) == frozenset({"id", "note", "b"})
    # Described properties are always read; of the rest, note only (narrative and @kind go unread).
    assert read(mapping) == {"id": "7", "name": "Ann", "note": {"@lang": "en", "b": "there", "#text": "hi"}}
    assert mapping.apply(read(mapping)) == {"id": "7", "note": "there"}


@pytest.mark.parametrize("rules, why", [
    ({"count": "length(@)"}, "length() counts every key"),
    ({"tags": "keys(@)"}, "keys() lists every key"),
    ({"tags": "*"}, "a wildcard reads every value"),
    ({"note": "to_string(narrative)"}, "to_string() prints every key"),
    ({"whole": "narrative"}, "an object copied whole keeps what it holds"),
])
def test_everything_is_read_where_the_mapping_could_see_more(tmp_path: Path, rules: dict[str, Any],
                                                               why: str) -> None:
    mapping = load(tmp_path, rules)
    assert fallback_keys(mapping) is None, why
    assert "narrative" in read(mapping) and read(mapping)["@kind"] == "k"


def test_everything_is_read_when_the_source_is_validated(tmp_path: Path) -> None:
    mapping = load(tmp_path, {"id": "id"}, validate=True)
    assert fallback_keys(mapping) is None
    assert "narrative" in read(mapping)


def test_a_reader_without_a_mapping_reads_everything(tmp_path: Path) -> None:
    load(tmp_path, {"id": "id"})
    reader = XmlReader(mapper.schemas.load_schema(tmp_path / "s.schema.json"))
    [record] = reader.records(io.BytesIO(XML), "r.xml")
    assert set(record) == {"id", "name", "@kind", "note", "narrative"}


def test_the_shipped_c_cda_mapping_skips_the_narrative() -> None:
    mapping = mapper.load(ROOT / "mappings/ccda-encounter-to-professional-claim.yaml")
    document = ROOT / "mappings/ccda-encounter-to-professional-claim.fixtures/office-visit-same-claim-as-fhir.input.xml"
    with document.open("rb") as stream:
        [record] = XmlReader.for_mapping(mapping).records(stream, "cda.xml")
    section = record["component"]["structuredBody"]["component"][0]["section"]
    assert "text" not in section and "typeId" not in record  # never read by a rule
    assert record["recordTarget"][0]["patientRole"]["patient"]["name"][0]["family"] == "Okafor"
