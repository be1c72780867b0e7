"""XML that keeps every character (issue 20, item 2): each case was found on real C-CDA documents.

The documents are the shipped C-CDA fixture with one realistic change each, read through the shipped
CDA schema and, where users meet it, converted by the real ``mapper`` process.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mapper.errors import HostileInputError, PayloadError
from mapper.formats.xml import XmlReader, XmlWriter
from mapper.formats.xml_plan import to_boolean
from mapper.schemas import Schema, load_schema

ROOT = Path(__file__).parent.parent
HL7 = {"hl7": "urn:hl7-org:v3"}
MAPPING = ROOT / "mappings/ccda-encounter-to-professional-claim.yaml"
FIXTURES = ROOT / "mappings/ccda-encounter-to-professional-claim.fixtures"
OFFICE_VISIT = (FIXTURES / "office-visit-same-claim-as-fhir.input.xml").read_text()
PATIENT_FAMILY = "<family>Okafor</family>"
DIAGNOSIS_STATUS = '<statusCode code="completed"/>\n                      <value xsi:type="CD" code="59621000"'
DIAGNOSIS_OBSERVATION = ('<observation classCode="OBS" moodCode="EVN">\n                      <templateId root='
                         '"2.16.840.1.113883.10.20.22.4.4" extension="2015-08-01"/>\n                      '
                         '<id root="ab1791b0-5c71-11db-b0de-0800200c9a66"/>')


@pytest.fixture(scope="module")
def cda() -> Schema:
    return load_schema(ROOT / "schemas/cda/clinical-document.schema.json")


def edited(old: str, new: str) -> str:
    assert OFFICE_VISIT.count(old) == 1, old
    return OFFICE_VISIT.replace(old, new)


def read(xml: str, schema: Schema | None, records: str | None = "/hl7:ClinicalDocument") -> list[Any]:
    return list(XmlReader(schema, records, HL7).records(io.BytesIO(xml.encode()), "cda.xml"))


def patient_name(record: dict[str, Any]) -> dict[str, Any]:
    name: dict[str, Any] = record["recordTarget"][0]["patientRole"]["patient"]["name"][0]
    return name


def diagnosis(record: dict[str, Any]) -> dict[str, Any]:
    sections = [part["section"] for part in record["component"]["structuredBody"]["component"]]
    relationship = sections[1]["entry"][0]["encounter"]["entryRelationship"][0]
    observation: dict[str, Any] = relationship["act"]["entryRelationship"][0]["observation"]
    return observation


def convert(xml: str, tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    document = tmp_path / "cda.xml"
    document.write_text(xml)
    return subprocess.run(["mapper", "convert", str(MAPPING), str(document), *options],
                          capture_output=True, text=True, timeout=120, check=False)


# --- mixed content: the whole text, as XPath string() gives it, never truncated ---

@pytest.mark.parametrize("family, expected", [
    ("<family>BUR<b>K</b>E</family>", "BURKE"),
    ("<family><b>BURKE</b></family>", "BURKE"),
    ("<family>O'<sup>C</sup>onnor-<i>Smith</i> Jr</family>", "O'Connor-Smith Jr"),
    ("<family>Okafor<!-- legal name --></family>", "Okafor"),
])
def test_a_string_element_with_child_markup_gives_its_whole_text(cda: Schema, family: str, expected: str) -> None:
    [record] = read(edited(PATIENT_FAMILY, family), cda)
    assert patient_name(record)["family"] == expected


def test_mixed_content_reaches_the_claim_whole(tmp_path: Path) -> None:
    done = convert(edited(PATIENT_FAMILY, "<family>OKA<b>F</b>OR</family>"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["subscriber"]["lastName"] == "OKAFOR"


def test_mixed_content_in_a_typed_element_and_in_wrapped_items(tmp_path: Path) -> None:
    schema_path = tmp_path / "s.schema.json"
    schema_path.write_text(json.dumps({"type": "object", "properties": {
        "units": {"type": "integer"},
        "notes": {"type": "array", "xml": {"wrapped": True}, "items": {"type": "string", "xml": {"name": "note"}}},
    }}))
    xml = "<r><units>1<b>2</b></units><notes><note>a<i>b</i>c</note></notes></r>"
    assert read(xml, load_schema(schema_path), None) == [{"units": 12, "notes": ["abc"]}]


# --- described attributes and undescribed children never share a key ---

def test_an_undescribed_child_never_takes_a_described_attributes_key(cda: Schema) -> None:
    # CD describes the attribute code; a <code> child of statusCode is not described.
    xml = edited(DIAGNOSIS_STATUS, DIAGNOSIS_STATUS.replace('<statusCode code="completed"/>',
                                                            "<statusCode><code>completed</code></statusCode>"))
    [record] = read(xml, cda)
    assert diagnosis(record)["statusCode"] == {"hl7:code": "completed"}
    both = edited(DIAGNOSIS_STATUS, DIAGNOSIS_STATUS.replace(
        '<statusCode code="completed"/>', '<statusCode code="active"><code>completed</code></statusCode>'))
    [record] = read(both, cda)
    assert diagnosis(record)["statusCode"] == {"code": "active", "hl7:code": "completed"}


@pytest.mark.parametrize("xml, namespaces, expected", [
    # The mapping's prefix for the element's namespace, else Clark notation; {} for no namespace.
    ('<r xmlns="urn:a" code="x"><code>y</code></r>', {"a": "urn:a"}, {"code": "x", "a:code": "y"}),
    ('<r xmlns="urn:a" code="x"><code>y</code></r>', {}, {"code": "x", "{urn:a}code": "y"}),
    ('<r code="x"><code>y</code></r>', {}, {"code": "x", "{}code": "y"}),
    # A described element renamed by xml.name leaves its property's key to no undescribed element.
    ('<r><statusCode>s</statusCode><status>t</status></r>', {}, {"status": "s", "{}status": "t"}),
    ('<r><code>y</code></r>', {}, {"{}code": "y"}),
])
def test_the_key_convention(tmp_path: Path, xml: str, namespaces: dict[str, str], expected: Any) -> None:
    schema_path = tmp_path / "s.schema.json"
    schema_path.write_text(json.dumps({"type": "object", "properties": {
        "code": {"type": "string", "xml": {"attribute": True}},
        "status": {"type": "string", "xml": {"name": "statusCode"}},
    }}))
    schema = load_schema(schema_path)
    assert list(XmlReader(schema, None, namespaces).records(io.BytesIO(xml.encode()), "x.xml")) == [expected]


def test_a_collision_key_writes_back_to_the_same_element(tmp_path: Path) -> None:
    schema_path = tmp_path / "s.schema.json"
    schema_path.write_text(json.dumps({"type": "object", "xml": {"name": "r"}, "properties": {
        "code": {"type": "string", "xml": {"attribute": True}}}}))
    schema = load_schema(schema_path)
    out = io.BytesIO()
    writer = XmlWriter(schema, declaration=False, pretty=False)
    writer.begin(out)
    writer.write({"code": "x", "{}code": "y"})
    writer.end()
    assert out.getvalue() == b'<r code="x"><code>y</code></r>'
    assert list(XmlReader(schema).records(io.BytesIO(out.getvalue()), "x.xml")) == [{"code": "x", "{}code": "y"}]


# --- the document element is checked against the schema's xml hints ---

@pytest.mark.parametrize("old, new, message", [
    ('<ClinicalDocument xmlns="urn:hl7-org:v3"', '<ClinicalDocument xmlns="urn:hl7-org:v2"',
     "cda.xml:2: the document element is <ClinicalDocument> in namespace urn:hl7-org:v2, but the source "
     "schema's xml hints say <ClinicalDocument> in namespace urn:hl7-org:v3"),
    ('<ClinicalDocument xmlns="urn:hl7-org:v3"', '<ClinicalDocument',
     "cda.xml:2: the document element is <ClinicalDocument> in no namespace, but the source "
     "schema's xml hints say <ClinicalDocument> in namespace urn:hl7-org:v3"),
])
def test_a_document_element_other_than_the_schemas_is_refused(cda: Schema, old: str, new: str, message: str) -> None:
    xml = edited(old, new)
    with pytest.raises(PayloadError) as caught:
        read(xml, cda, None)
    assert str(caught.value) == message


def test_the_schemas_document_element_is_read(cda: Schema) -> None:
    assert len(read(OFFICE_VISIT, cda, None)) == 1


def test_a_renamed_document_element_is_refused(cda: Schema) -> None:
    xml = OFFICE_VISIT.replace("<ClinicalDocument ", "<Document ").replace("</ClinicalDocument>", "</Document>")
    with pytest.raises(PayloadError, match=r"^cda.xml:2: the document element is <Document> in namespace "
                                           r"urn:hl7-org:v3, but the source schema's xml hints say "
                                           r"<ClinicalDocument> in namespace urn:hl7-org:v3$"):
        read(xml, cda, None)


def test_with_records_a_wrong_namespace_is_refused_through_the_process(tmp_path: Path) -> None:
    done = convert(edited('<ClinicalDocument xmlns="urn:hl7-org:v3"', '<ClinicalDocument xmlns="urn:hl7-org:v2"'),
                   tmp_path)
    assert done.returncode != 0
    assert ("the document element is <{urn:hl7-org:v2}ClinicalDocument>, but records /hl7:ClinicalDocument "
            "starts at <hl7:ClinicalDocument>") in done.stderr
    assert "Traceback" not in done.stderr


# --- booleans: exactly XML Schema's lexical space ---

@pytest.mark.parametrize("text, expected", [
    ("true", True), ("false", False), ("1", True), ("0", False),
    (" true ", True), ("\n\tfalse\r\n", False),
    ("TRUE", "TRUE"), ("True", "True"), ("yes", "yes"), ("", ""), ("t r u e", "t r u e"),
])
def test_xsd_boolean_lexical_space(text: str, expected: Any) -> None:
    assert to_boolean(text) == expected


@pytest.mark.parametrize("value, expected", [("true", True), ("false", False), ("1", True), (" 0 ", False)])
def test_negation_indicator_is_read(cda: Schema, value: str, expected: bool) -> None:
    [record] = read(edited(DIAGNOSIS_OBSERVATION,
                           DIAGNOSIS_OBSERVATION.replace('moodCode="EVN"', f'moodCode="EVN" negationInd="{value}"')),
                    cda)
    assert diagnosis(record)["negationInd"] is expected


@pytest.mark.parametrize("value, hint", [
    ("TRUE", " (XML Schema booleans are lower case)"), ("False", " (XML Schema booleans are lower case)"),
    ("yes", ""),
])
def test_a_boolean_outside_xsd_is_refused_with_its_line(cda: Schema, value: str, hint: str) -> None:
    xml = edited(DIAGNOSIS_OBSERVATION,
                 DIAGNOSIS_OBSERVATION.replace('moodCode="EVN"', f'moodCode="EVN" negationInd="{value}"'))
    [refused] = read(xml, cda)
    assert isinstance(refused, PayloadError) and not isinstance(refused, HostileInputError)
    line = xml[:xml.index(f'negationInd="{value}"')].count("\n") + 1
    assert str(refused) == (f"cda.xml:{line}, record 1: refused XML: the attribute negationInd is {value!r}, "
                            f"not an XML Schema boolean: true, false, 1 or 0{hint}")


def test_a_boolean_element_outside_xsd_names_its_own_line(tmp_path: Path) -> None:
    schema_path = tmp_path / "s.schema.json"
    schema_path.write_text(json.dumps({"type": "object", "properties": {"active": {"type": "boolean"}}}))
    [refused] = read("<r>\n<active>TRUE</active>\n</r>", load_schema(schema_path), None)
    assert str(refused) == ("cda.xml:2: refused XML: <active> is 'TRUE', not an XML Schema boolean: "
                            "true, false, 1 or 0 (XML Schema booleans are lower case)")


def test_a_refused_boolean_is_a_reject_through_the_process(tmp_path: Path) -> None:
    xml = edited(DIAGNOSIS_OBSERVATION,
                 DIAGNOSIS_OBSERVATION.replace('moodCode="EVN"', 'moodCode="EVN" negationInd="TRUE"'))
    done = convert(xml, tmp_path)
    assert done.returncode == 1
    line = xml[:xml.index('negationInd="TRUE"')].count("\n") + 1
    assert f"cda.xml:{line}, record 1: refused XML: the attribute negationInd is 'TRUE'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_boolean_that_may_be_a_string_keeps_its_text(tmp_path: Path) -> None:
    schema_path = tmp_path / "s.schema.json"
    schema_path.write_text(json.dumps({"type": "object", "properties": {
        "flag": {"type": ["boolean", "string"]}, "count": {"type": ["boolean", "integer"]}}}))
    assert read("<r><flag>TRUE</flag><count>TRUE</count></r>", load_schema(schema_path), None) == [
        {"flag": "TRUE", "count": "TRUE"}]


# --- messages: no libxml2 advice the user cannot follow; a reject names its line ---

@pytest.mark.parametrize("xml, message", [
    (b"<a>" * 300 + b"</a>" * 300, "refused XML: Excessive depth in document: 256 nested elements at most"),
    (b"<r><a>" + b"x" * 10_000_001 + b"</a></r>",
     "refused XML: a text longer than 10,000,000 bytes, the parser's limit"),
    (b'<r><a v="' + b"x" * 10_000_001 + b'"/></r>',
     "refused XML: a text, attribute value or name longer than 10,000,000 bytes, the parser's limit"),
])
@pytest.mark.parametrize("records", [None, "/r"])
def test_libxml2_limits_in_the_users_terms(xml: bytes, message: str, records: str | None) -> None:
    with pytest.raises(HostileInputError) as caught:
        list(XmlReader(None, records).records(io.BytesIO(xml), "big.xml"))
    assert str(caught.value).split(": ", 1)[1].removesuffix(" (after record 1)") == message
    assert "XML_PARSE" not in str(caught.value)


def test_a_rejected_record_names_its_element_line(tmp_path: Path) -> None:
    feed = ROOT / "mappings/metar-to-observation.fixtures/two-stations-repeated-sky-conditions.input.xml"
    text = feed.read_text()
    second = text.index("<METAR>", text.index("<METAR>") + 1)
    broken = text[:second] + text[second:].replace("<station_id>", "<station_id>TOOLONGID", 1)
    document = tmp_path / "feed.xml"
    document.write_text(broken)
    done = subprocess.run(["mapper", "convert", str(ROOT / "mappings/metar-to-observation.yaml"), str(document),
                           "--rejects", str(tmp_path / "rejects.ndjson")], capture_output=True, text=True,
                          timeout=120, check=False)
    line = broken[:second].count("\n") + 1
    [reject] = [json.loads(row) for row in (tmp_path / "rejects.ndjson").read_text().splitlines()]
    assert (done.returncode, reject["record"], reject["line"]) == (1, 2, line), done.stderr


# --- the writer: namespaces declared once; empty arrays as docs/xml.md says ---

def test_namespaces_are_declared_once_on_the_document_element() -> None:
    from mapper.mapping import load
    mapping = load(ROOT / "tests/data/xml/observation-to-station-report.yaml")
    writer = XmlWriter.for_mapping(mapping)
    out = io.BytesIO()
    writer.begin(out)
    for station in ("KSEA", "KPDX", "KBOI"):
        writer.write({"station": station, "observedAt": "2024-01-15T17:53:00Z", "layers": [], "windSpeed": None})
    writer.end()
    text = out.getvalue().decode()
    assert text.count('xmlns:met="urn:example:met"') == 1
    assert text.splitlines()[1] == '<met:Reports xmlns:met="urn:example:met">'
    # xsi is declared where it is used, by the record that holds a nil.
    back = list(XmlReader(mapping.target_schema, "/met:Reports/met:Report", {"met": "urn:example:met"})
                .records(io.BytesIO(out.getvalue()), "out.xml"))
    assert [record["station"] for record in back] == ["KSEA", "KPDX", "KBOI"]


@pytest.mark.parametrize("wrapped, expected", [(True, {"tags": []}), (False, {})])
def test_an_empty_array_is_kept_when_wrapped(tmp_path: Path, wrapped: bool, expected: Any) -> None:
    schema_path = tmp_path / "s.schema.json"
    schema_path.write_text(json.dumps({"type": "object", "xml": {"name": "r"}, "properties": {
        "tags": {"type": "array", "xml": {"wrapped": wrapped}, "items": {"type": "string", "xml": {"name": "tag"}}}}}))
    schema = load_schema(schema_path)
    out = io.BytesIO()
    writer = XmlWriter(schema, declaration=False, pretty=False)
    writer.begin(out)
    writer.write({"tags": []})
    writer.end()
    assert out.getvalue() == (b"<r><tags/></r>" if wrapped else b"<r/>")
    # Unwrapped, XML has nothing to tell an empty list from none: docs/xml.md says to wrap or use minItems.
    assert list(XmlReader(schema).records(io.BytesIO(out.getvalue()), "x.xml")) == [expected]
