"""Writing records as XML through a target schema's xml hints (mapper.formats.xml.XmlWriter)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from mapper.errors import RecordError
from mapper.formats.xml import XmlReader, XmlWriter
from mapper.schemas import Schema, load_schema
from mapper.tooling.strategies import from_schema

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data" / "xml"
SHIP = {"s": "urn:example:shipping"}
SHIPMENT_PATH = DATA / "shipment.schema.json"
SHIPMENT = load_schema(SHIPMENT_PATH)


def write(records: list[Any], schema: Schema | None = None, **options: Any) -> bytes:
    writer = XmlWriter(schema, **options)
    out = io.BytesIO()
    writer.begin(out)
    for record in records:
        writer.write(record)
    writer.end()
    return out.getvalue()


def _xml_compatible(value: Any) -> bool:
    if isinstance(value, str):
        return all(ch in "\t\n\r" or 0x20 <= ord(ch) <= 0xD7FF or 0xE000 <= ord(ch) <= 0xFFFD
                   or 0x10000 <= ord(ch) <= 0x10FFFF for ch in value)
    if isinstance(value, dict):
        return all(_xml_compatible(item) for item in value.values())
    if isinstance(value, list):
        return all(_xml_compatible(item) for item in value)
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(from_schema(SHIPMENT))
def test_round_trip_record_to_xml_to_record(record: dict[str, Any]) -> None:
    """For a record valid under a schema with xml hints, record -> XML -> record is the identity."""
    if not _xml_compatible(record):
        with pytest.raises(RecordError, match="cannot be written as XML"):
            write([record], SHIPMENT)
        return
    data = write([record], SHIPMENT)
    assert XmlReader(SHIPMENT, "/s:Shipment", SHIP).records(io.BytesIO(data), "x").__next__() == record


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(from_schema(SHIPMENT))
def test_round_trip_of_several_records_under_a_root(record: dict[str, Any]) -> None:
    if not _xml_compatible(record):
        return
    data = write([record, record], SHIPMENT, root="s:Shipments", namespaces=SHIP, pretty=False)
    back = list(XmlReader(SHIPMENT, "/s:Shipments/s:Shipment", SHIP).records(io.BytesIO(data), "x"))
    assert back == [record, record]


EXAMPLE = {
    "id": "SH-1", "priority": 2, "insured": True, "carrierRef": "DHL", "zip": "01234", "weightKg": 12.5,
    "pieces": 3, "fragile": False, "note": None, "tags": ["a", "b"],
    "lines": [{"sku": "X1", "quantity": 2, "price": {"currency": "EUR", "#text": 9.5}}],
    "customs": {"code": "8471", "origin": "DE"}, "dimensions": [1.5, 2],
}


def test_layout_follows_the_hints() -> None:
    assert write([EXAMPLE], SHIPMENT).decode() == (DATA / "shipment.expected.xml").read_text()


def test_several_records_under_a_root_element() -> None:
    data = write([{"id": "A"}, {"id": "B"}], SHIPMENT, root="s:Shipments", namespaces=SHIP, declaration=False)
    assert data.decode() == (
        '<s:Shipments xmlns:c="urn:example:carrier" xmlns:cu="urn:example:customs" xmlns:s="urn:example:shipping">\n'
        '  <s:Shipment id="A"/>\n'
        '  <s:Shipment id="B"/>\n'
        "</s:Shipments>\n")


def test_declaration_and_encoding() -> None:
    data = write([{"id": "A", "note": "Zürich €"}], SHIPMENT, encoding="ISO-8859-1", pretty=False)
    assert data.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")
    assert "Zürich &#8364;".encode("latin-1") in data
    assert next(XmlReader(SHIPMENT, "/s:Shipment", SHIP).records(io.BytesIO(data), "x"))["note"] == "Zürich €"


def test_record_element_option_and_no_schema() -> None:
    record = {"@id": "7", "name": "Ann", "tag": ["x", "y"], "empty": None, "price": {"@cur": "EUR", "#text": "3"}}
    data = write([record], record_element="Item", declaration=False, pretty=False)
    assert data == (b'<Item id="7"><name>Ann</name><tag>x</tag><tag>y</tag><empty/>'
                    b'<price cur="EUR">3</price></Item>')
    assert list(XmlReader().records(io.BytesIO(data), "x")) == [record]


def test_one_record_without_root_is_the_document_element() -> None:
    writer = XmlWriter(SHIPMENT)
    writer.begin(io.BytesIO())
    writer.write({"id": "A"})
    with pytest.raises(ValueError, match="give the writer a root"):
        writer.write({"id": "B"})
    writer.close()


@pytest.mark.parametrize("record, message", [
    ({"id": "A", "note": "bad \x00 char"}, "cannot be written as XML: All strings must be XML compatible"),
    ({"id": "A", "not a name": 1}, "cannot be written as XML: Invalid tag name"),
    ({"id": {"nested": 1}}, "cannot be written as XML: dict value {'nested': 1} where the schema expects a scalar"),
])
def test_records_xml_cannot_hold(record: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordError) as caught:
        write([record], SHIPMENT)
    assert str(caught.value.problems[0]).startswith(f"/: {message}")


def test_mapping_json_observations_to_an_xml_feed() -> None:
    from mapper.mapping import load
    mapping = load(DATA / "observation-to-station-report.yaml")
    fixtures = ROOT / "mappings/nws-observation-to-observation.fixtures"
    observations = json.loads((fixtures / "feature-collection-of-two-observations.expected.json").read_text())
    outputs = []
    writer = XmlWriter.for_mapping(mapping)
    out = io.BytesIO()
    writer.begin(out)
    for number, observation in enumerate(observations, 1):
        result = mapping.result(observation, number)
        assert result.ok, str(result.error())
        writer.write(result.output)
        outputs.append(result.output)
    writer.end()
    assert out.getvalue().decode() == (DATA / "observation-to-station-report.expected.xml").read_text()
    reader = XmlReader(mapping.target_schema, "/met:Reports/met:Report", {"met": "urn:example:met"})
    assert list(reader.records(io.BytesIO(out.getvalue()), "feed.xml")) == outputs


def test_a_writer_given_up_after_an_error_is_safe_to_collect() -> None:
    # lxml crashes the process when the collector frees an incremental writer that is still open
    # inside a reference cycle (a kept traceback makes one). Run in a child: a crash kills it.
    script = f"""
import gc, io, sys
sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
from mapper.formats.xml import XmlWriter
from mapper.schemas import load_schema
schema = load_schema({str(SHIPMENT_PATH)!r})
for number in range(600):
    writer = XmlWriter(schema)
    writer.begin(io.BytesIO())
    writer.write({{"id": "A"}})
    try:
        writer.write({{"id": "B"}})
    except ValueError as error:
        kept = {{"error": error, "writer": writer}}
        kept["self"] = kept
    if number % 50 == 0:
        gc.collect()
gc.collect()
print("collected")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "collected"), done.stderr
