"""Reading XML through a source schema (mapper.formats.xml.XmlReader), see docs/xml.md."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from mapper.errors import PayloadError, PayloadSyntaxError
from mapper.formats.xml import XmlReader
from mapper.schemas import Schema, load_schema

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data" / "xml"
HL7 = {"hl7": "urn:hl7-org:v3"}
CCDA_INPUT = ROOT / "mappings/ccda-encounter-to-professional-claim.fixtures/office-visit-same-claim-as-fhir.input.xml"
METAR_FIXTURES = ROOT / "mappings/metar-to-observation.fixtures"


@pytest.fixture(scope="module")
def cda() -> Schema:
    return load_schema(ROOT / "schemas/cda/clinical-document.schema.json")


@pytest.fixture(scope="module")
def metar() -> Schema:
    return load_schema(ROOT / "schemas/weather/metar.schema.json")


def read(xml: str | bytes, schema: Schema | None = None, records: str | None = None,
         namespaces: dict[str, str] | None = None) -> list[Any]:
    data = xml.encode() if isinstance(xml, str) else xml
    return list(XmlReader(schema, records, namespaces).records(io.BytesIO(data), "test.xml"))


def schema_file(tmp_path: Path, schema: dict[str, Any]) -> Schema:
    path = tmp_path / "s.schema.json"
    path.write_text(json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}))
    return load_schema(path)


# --- the shipped sample documents become records valid under their schemas ---

def test_clinical_document_is_one_record_valid_under_its_schema(cda: Schema) -> None:
    [record] = read(CCDA_INPUT.read_bytes(), cda, "/hl7:ClinicalDocument", HL7)
    assert list(cda.validator().iter_errors(record)) == []
    patient = record["recordTarget"][0]["patientRole"]
    assert patient["patient"]["name"] == [{"use": "L", "given": ["Adaeze", "Chioma"], "family": "Okafor"}]
    assert patient["addr"][0]["postalCode"] == "62704-1234"
    sections = [part["section"] for part in record["component"]["structuredBody"]["component"]]
    assert [section["code"]["code"] for section in sections] == ["48768-6", "46240-8", "47519-4"]
    procedure = sections[2]["entry"][0]["procedure"]
    # bill:charge, in its own namespace, with typed attributes
    assert procedure["charge"] == {"value": 185.0, "currency": "USD", "units": 1}
    diagnosis = sections[1]["entry"][0]["encounter"]["entryRelationship"][0]
    assert diagnosis["sequenceNumber"] == {"value": 2}
    value = diagnosis["act"]["entryRelationship"][0]["observation"]["value"]
    assert value["type"] == "CD"  # xsi:type, matched by namespace URI
    assert value["translation"] == [{"code": "I10", "codeSystem": "2.16.840.1.113883.6.90",
                                     "displayName": "Essential (primary) hypertension"}]


def test_parts_the_schema_leaves_open_fall_back_to_the_xmltodict_convention(cda: Schema) -> None:
    [record] = read(CCDA_INPUT.read_bytes(), cda, "/hl7:ClinicalDocument", HL7)
    assert record["typeId"] == {"@root": "2.16.840.1.113883.1.3", "@extension": "POCD_HD000040"}
    assert record["author"]["assignedAuthor"]["assignedPerson"] == {"name": {"given": "Lin", "family": "Chen"}}
    section = record["component"]["structuredBody"]["component"][0]["section"]
    assert section["text"] == {"paragraph": "Aetna Open Access PPO, member W123456789, group 884201."}


@pytest.mark.parametrize("name, count", [
    ("two-stations-repeated-sky-conditions", 2),
    ("single-sky-condition-variable-wind-fog", 1),
    ("no-reports-for-the-station", 0),
])
def test_weather_feed_records_are_valid_under_the_metar_schema(metar: Schema, name: str, count: int) -> None:
    records = read((METAR_FIXTURES / f"{name}.input.xml").read_bytes(), metar, "/response/data/METAR")
    assert len(records) == count
    validator = metar.validator()
    for record in records:
        assert list(validator.iter_errors(record)) == []


def test_weather_feed_values_are_typed_by_the_schema(metar: Schema) -> None:
    first, second = read((METAR_FIXTURES / "two-stations-repeated-sky-conditions.input.xml").read_bytes(),
                         metar, "/response/data/METAR")
    assert first["temp_c"] == 2.8 and first["wind_speed_kt"] == 8 and first["elevation_m"] == 130
    assert first["wind_dir_degrees"] == "360"  # a string in the schema stays a string
    assert first["visibility_statute_mi"] == "10+"
    assert first["sky_condition"] == [{"sky_cover": "FEW", "cloud_base_ft_agl": 3500},
                                      {"sky_cover": "BKN", "cloud_base_ft_agl": 25000}]
    assert "wind_gust_kt" not in first and second["wind_gust_kt"] == 29
    [single] = read((METAR_FIXTURES / "single-sky-condition-variable-wind-fog.input.xml").read_bytes(),
                    metar, "/response/data/METAR")
    assert single["sky_condition"] == [{"sky_cover": "OVX", "cloud_base_ft_agl": 100}]  # one item, still a list


# --- the conventions, as a table: schema, XML, record ---

SCHEMA_CASES: list[tuple[str, dict[str, Any], str, Any]] = [
    ("array of one is a list", {"properties": {"a": {"type": "array", "items": {"type": "integer"}}}},
     "<r><a>1</a></r>", {"a": [1]}),
    ("array of none is no key", {"properties": {"a": {"type": "array", "items": {"type": "integer"}}}},
     "<r/>", {}),
    ("zip code stays a string", {"properties": {"zip": {"type": "string"}}},
     "<r><zip>01234</zip></r>", {"zip": "01234"}),
    ("integer, number, boolean", {"properties": {"i": {"type": "integer"}, "n": {"type": "number"},
                                                  "b": {"type": "boolean"}, "c": {"type": "boolean"}}},
     "<r><i> 42 </i><n>-1.5e3</n><b>true</b><c>0</c></r>", {"i": 42, "n": -1500.0, "b": True, "c": False}),
    ("number that is whole stays an int", {"properties": {"n": {"type": "number"}}},
     "<r><n>130</n></r>", {"n": 130}),
    ("text that does not convert is kept for the validator", {"properties": {"i": {"type": "integer"}}},
     "<r><i>twelve</i></r>", {"i": "twelve"}),
    ("not a number: nan stays text", {"properties": {"n": {"type": "number"}}},
     "<r><n>NaN</n></r>", {"n": "NaN"}),
    ("empty string element", {"properties": {"s": {"type": "string"}}}, "<r><s/></r>", {"s": ""}),
    ("empty integer element is no key", {"properties": {"i": {"type": "integer"}}}, "<r><i></i></r>", {}),
    ("empty nullable integer is null", {"properties": {"i": {"type": ["integer", "null"]}}},
     "<r><i/></r>", {"i": None}),
    ("empty object element", {"properties": {"o": {"type": "object"}}}, "<r><o/></r>", {"o": {}}),
    ("nil on nullable string is null", {"properties": {"s": {"type": ["string", "null"]}}},
     '<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s xsi:nil="true"/></r>', {"s": None}),
    ("nil on non-nullable is no key", {"properties": {"s": {"type": "string"}, "o": {"type": "object"}}},
     '<r xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><s i:nil="true"/><o i:nil="1"/></r>', {}),
    ("attribute, renamed, typed", {"properties": {
        "n": {"type": "integer", "xml": {"attribute": True, "name": "count"}}}},
     '<r count="3"/>', {"n": 3}),
    ("namespaced attribute by URI, not prefix", {"properties": {
        "t": {"type": "string", "xml": {"attribute": True, "namespace": "urn:t", "prefix": "t"}}}},
     '<r xmlns:other="urn:t" other:t="yes" t="no"/>', {"t": "yes", "@t": "no"}),
    ("element renamed", {"properties": {"given": {"type": "string", "xml": {"name": "GivenName"}}}},
     "<r><GivenName>Ann</GivenName></r>", {"given": "Ann"}),
    ("unwrapped list named by items", {"properties": {
        "lines": {"type": "array", "items": {"type": "string", "xml": {"name": "line"}}}}},
     "<r><line>a</line><line>b</line></r>", {"lines": ["a", "b"]}),
    ("wrapped list", {"properties": {
        "lines": {"type": "array", "xml": {"name": "Lines", "wrapped": True},
                  "items": {"type": "string", "xml": {"name": "Line"}}}}},
     "<r><Lines><Line>a</Line><Line>b</Line></Lines></r>", {"lines": ["a", "b"]}),
    ("wrapped list, empty", {"properties": {
        "lines": {"type": "array", "xml": {"wrapped": True}, "items": {"type": "string"}}}},
     "<r><lines/></r>", {"lines": []}),
    ("text beside attributes goes to #text", {"properties": {"price": {"type": "object", "properties": {
        "currency": {"type": "string", "xml": {"attribute": True}}, "#text": {"type": "number"}}}}},
     '<r><price currency="EUR">9.50</price></r>', {"price": {"currency": "EUR", "#text": 9.5}}),
    ("text property chosen with x-text", {"properties": {"price": {"type": "object", "properties": {
        "amount": {"type": "number", "xml": {"x-text": True}}}}}},
     "<r><price>9.50</price></r>", {"price": {"amount": 9.5}}),
    ("undeclared text of an object", {"properties": {"o": {"type": "object"}}},
     '<r><o a="1">hi</o></r>', {"o": {"@a": "1", "#text": "hi"}}),
    ("attributes of a scalar element are ignored", {"properties": {"t": {"type": "number"}}},
     '<r><t unit="C">2.5</t></r>', {"t": 2.5}),
    ("undeclared repeated element becomes a list", {"properties": {}},
     "<r><x>1</x><x>2</x><y/></r>", {"x": ["1", "2"], "y": None}),
    ("comments and processing instructions are skipped", {"properties": {"a": {"type": "integer"}}},
     "<r><!-- c --><?pi x?><a>1</a></r>", {"a": 1}),
    ("CDATA is text", {"properties": {"a": {"type": "string"}}},
     "<r><a><![CDATA[<b>&]]></a></r>", {"a": "<b>&"}),
    ("string text kept verbatim", {"properties": {"a": {"type": "string"}}},
     "<r><a>  two  spaces </a></r>", {"a": "  two  spaces "}),
]


@pytest.mark.parametrize("name, schema, xml, expected", SCHEMA_CASES, ids=[case[0] for case in SCHEMA_CASES])
def test_schema_conventions(tmp_path: Path, name: str, schema: dict[str, Any], xml: str, expected: Any) -> None:
    [record] = read(xml, schema_file(tmp_path, {"type": "object", **schema}))
    assert record == expected


@pytest.mark.parametrize("xml, expected", [
    # Children inherit the namespace of their parent element unless xml.namespace says otherwise.
    ('<x:r xmlns:x="urn:a"><x:b>1</x:b></x:r>', {"b": 1}),
    ('<r xmlns="urn:a"><b>1</b></r>', {"b": 1}),
    # The same local name in another namespace is not the property: it falls back, named by the
    # mapping's prefix for that URI (o), never by the document's (y); no namespace keeps the local name.
    ('<x:r xmlns:x="urn:a" xmlns:y="urn:other"><x:b>1</x:b><y:b>2</y:b></x:r>', {"b": 1, "o:b": "2"}),
    # In no namespace: a fallback string, never under the key of the described property b.
    ('<x:r xmlns:x="urn:a"><b>3</b></x:r>', {"{}b": "3"}),
    ('<r xmlns="urn:a" xmlns:q="urn:c"><q:c>4</q:c></r>', {"c": 4}),
    ('<r xmlns="urn:a" xmlns:q="urn:unknown"><q:d>5</q:d></r>', {"{urn:unknown}d": "5"}),
])
def test_namespaces_match_by_uri(tmp_path: Path, xml: str, expected: Any) -> None:
    schema = schema_file(tmp_path, {"type": "object", "xml": {"namespace": "urn:a"}, "properties": {
        "b": {"type": "integer"},
        "c": {"type": "integer", "xml": {"namespace": "urn:c", "prefix": "cc"}},
    }})
    [record] = read(xml, schema, namespaces={"o": "urn:other"})
    assert record == expected


@pytest.mark.parametrize("xml, expected", [
    ("<r/>", None),
    ("<r>  text  </r>", "text"),
    ('<r a="1"/>', {"@a": "1"}),
    ('<r a="1">t</r>', {"@a": "1", "#text": "t"}),
    ("<r><a>1</a><a>2</a><b><c/></b></r>", {"a": ["1", "2"], "b": {"c": None}}),
    ("<r>one <b>x</b> two</r>", {"b": "x", "#text": "onetwo"}),
    ('<r xmlns="urn:a" xmlns:z="urn:z"><z:a z:b="1">2</z:a></r>', {"{urn:z}a": {"@{urn:z}b": "1", "#text": "2"}}),
    ('<r xmlns:x="http://www.w3.org/2001/XMLSchema-instance" x:type="T"/>', {"@xsi:type": "T"}),
])
def test_without_a_schema_the_xmltodict_convention(xml: str, expected: Any) -> None:
    assert read(xml) == [expected]


# --- where the records are ---

def test_records_path_streams_each_record_element(metar: Schema) -> None:
    xml = "<response><data>" + "".join(
        f"<METAR><raw_text>R{n}</raw_text><station_id>K{n:03d}</station_id><observation_time>t</observation_time>"
        "</METAR>" for n in range(5)) + "</data></response>"
    records = read(xml, metar, "/response/data/METAR")
    assert [record["station_id"] for record in records] == ["K000", "K001", "K002", "K003", "K004"]


def test_only_elements_at_the_path_are_records() -> None:
    xml = "<a><b><c>1</c><x><c>nested</c></x></b><c>elsewhere</c><b><c>2</c></b></a>"
    assert read(xml, None, "/a/b/c") == ["1", "2"]


def test_namespaced_path_matches_by_uri_not_prefix() -> None:
    xml = '<p:Export xmlns:p="urn:e"><p:Patient id="1"/><Patient id="no-namespace"/><p:Patient id="2"/></p:Export>'
    assert read(xml, None, "/e:Export/e:Patient", {"e": "urn:e"}) == [{"@id": "1"}, {"@id": "2"}]


def test_records_path_naming_the_document_element_gives_one_record(cda: Schema) -> None:
    assert len(read(CCDA_INPUT.read_bytes(), cda, "/hl7:ClinicalDocument", HL7)) == 1


def test_wrong_document_element_is_reported() -> None:
    with pytest.raises(PayloadError, match=r"the document element is <other>, but records /a/b starts at <a>"):
        read("<other><b/></other>", None, "/a/b")


@pytest.mark.parametrize("records, message", [
    ("a/b", "absolute path"),
    ("/a//b", "absolute path"),
    ("/x:a", "prefix 'x'"),
])
def test_bad_records_path(records: str, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        XmlReader(None, records)


def test_for_mapping_uses_the_source_side() -> None:
    from mapper.mapping import load
    mapping = load(ROOT / "mappings/metar-to-observation.yaml")
    reader = XmlReader.for_mapping(mapping)
    with open(METAR_FIXTURES / "two-stations-repeated-sky-conditions.input.xml", "rb") as stream:
        assert len(list(reader.records(stream, "feed.xml"))) == 2


# --- mappings from XML to JSON ---

def test_mapping_a_weather_feed_to_json_observations() -> None:
    from mapper.mapping import load
    mapping = load(ROOT / "mappings/metar-to-observation.yaml")
    with open(METAR_FIXTURES / "two-stations-repeated-sky-conditions.input.xml", "rb") as stream:
        results = [mapping.result(record, number)
                   for number, record in enumerate(XmlReader.for_mapping(mapping).records(stream, "feed"), 1)]
    assert all(result.ok for result in results), [str(result.error()) for result in results if not result.ok]
    seattle = results[0].output
    assert seattle["station_id"] == "KSEA" and seattle["temperature_c"] == 2.8
    assert seattle["sky"] == [{"cover": "few", "base_m": 1067}, {"cover": "broken", "base_m": 7620}]


def test_mapping_a_clinical_document_to_a_json_claim() -> None:
    from mapper.mapping import load
    mapping = load(ROOT / "mappings/ccda-encounter-to-professional-claim.yaml")
    with open(CCDA_INPUT, "rb") as stream:
        [record] = XmlReader.for_mapping(mapping).records(stream, "cda.xml")
    # What the XML reader decides (lists, typed numbers, namespaced bill:charge, attributes) shows in the
    # claim; the whole claim is compared in tests/test_scenarios.py against the shipped fixture.
    output = mapping.result(record, 1).output
    assert output["tradingPartnerServiceId"] == "60054"
    claim = output["claimInformation"]
    assert claim["patientControlNumber"] == "ENC-2024-000481"
    assert [line["professionalService"]["procedureCode"] for line in claim["serviceLines"]] == ["99214", "83036"]


# --- malformed documents ---

def test_malformed_stream_keeps_the_records_before_the_fault() -> None:
    xml = "<a>\n<b>1</b>\n<b>2</b>\n<b>3</c>\n</a>"
    reader = XmlReader(None, "/a/b")
    seen: list[Any] = []
    with pytest.raises(PayloadSyntaxError) as caught:
        for record in reader.records(io.BytesIO(xml.encode()), "feed.xml"):
            seen.append(record)
    assert seen == ["1", "2"]
    assert (caught.value.line, caught.value.column) == (4, 9)
    assert str(caught.value) == ("feed.xml:4:9: malformed XML: Opening and ending tag mismatch: b line 4 and c"
                                 " (after record 2)")


@pytest.mark.parametrize("xml, message", [
    (b"", "feed.xml:1:1: malformed XML: Document is empty"),
    (b"hello", "feed.xml:1:1: malformed XML: Start tag expected, '<' not found"),
    (b"<a><b>1</b>", "feed.xml:1:12: malformed XML: Premature end of data in tag a line 1"),
    (b"<a>\xff</a>", "feed.xml:1:4: malformed XML: Invalid bytes in character encoding"),
    (b"<a>&undefined;</a>", "feed.xml:1:15: malformed XML: Entity 'undefined' not defined"),
])
@pytest.mark.parametrize("records", [None, "/a"])
def test_malformed_documents(xml: bytes, message: str, records: str | None) -> None:
    with pytest.raises(PayloadSyntaxError) as caught:
        list(XmlReader(None, records).records(io.BytesIO(xml), "feed.xml"))
    assert str(caught.value) == message


def test_encoding_from_the_declaration() -> None:
    xml = '<?xml version="1.0" encoding="ISO-8859-1"?><r><city>Zürich</city></r>'.encode("latin-1")
    assert read(xml) == [{"city": "Zürich"}]
