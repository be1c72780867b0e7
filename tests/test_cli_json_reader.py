"""The JSON reader and writer that ``mapper convert`` streams through: large documents one record at a
time, exactly the values the whole-document parser gives, and nothing JSON cannot hold written."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

import mapper.formats.json as json_format
from mapper.errors import PayloadError, PayloadSyntaxError, RecordError, TooDeepError
from mapper.formats.json import JsonReader, JsonWriter, NdjsonReader, NdjsonWriter, dumps

RECORDS: list[Any] = [
    {"i": 1, "f": 1.5, "e": -2.5e-7, "s": "h\u00e9llo \\ \"q\" \u2603 \U0001f600", "big": 123456789012345678901234567890},
    {"nested": {"list": [1, 2.25, None, True, False, {"deep": []}]}, "empty": {}},
    12345678, 3.25e10, "a string", None, True, [],
]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64])
def test_a_large_array_streams_to_the_same_records(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(json_format, "_CHUNK", chunk)
    document = json.dumps(RECORDS, ensure_ascii=False, indent=1).encode()
    reader = JsonReader(buffer_limit=1)
    assert list(reader.records(io.BytesIO(document), "x")) == RECORDS
    assert reader.document_is_record is False


@pytest.mark.parametrize("chunk", [1, 4, 64])
def test_a_dotted_records_path_streams(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(json_format, "_CHUNK", chunk)
    document = {"meta": {"items": [0], "n": "x"}, "data": {"skip": [{"a": 1}], "items": RECORDS}, "after": 1}
    reader = JsonReader("data.items", buffer_limit=1)
    assert list(reader.records(io.BytesIO(json.dumps(document).encode()), "x")) == RECORDS


@pytest.mark.parametrize(
    ("records", "document", "message"),
    [
        (None, '[1, 2,\n {"a": }]', "x:2:8: invalid JSON: Expecting value (after record 2)"),
        (None, '[1, 2] [', "x:1:8: invalid JSON: Extra data (after record 2)"),
        (None, '[1, NaN]', "x:1:5: invalid JSON: NaN is not JSON (after record 1)"),
        (None, '[1 2]', "x:1:4: invalid JSON: Expecting ',' delimiter (after record 1)"),
        ("data.items", '{"data": {"items": {}}}', "x: records expression 'data.items' does not give an array"),
        ("data.items", '{"data": 1}', "x: records expression 'data.items' does not give an array"),
    ],
)
def test_a_broken_large_document_says_where(records: str | None, document: str, message: str) -> None:
    reader = JsonReader(records, buffer_limit=1)
    with pytest.raises(PayloadError) as raised:
        list(reader.records(io.BytesIO(document.encode()), "x"))
    assert str(raised.value) == message


def test_small_documents_are_parsed_whole_with_exact_positions() -> None:
    with pytest.raises(PayloadSyntaxError) as raised:
        list(JsonReader().records(io.BytesIO(b'{"a": 1,\n "b": }'), "in.json"))
    assert str(raised.value) == "in.json:2:7: invalid JSON: Unexpected character, expected a JSON value"


def test_ndjson_keeps_big_integers_and_refuses_nan() -> None:
    stream = io.BytesIO(b'{"n": 123456789012345678901234567890}\n\n{"n": NaN}\n')
    first, second = NdjsonReader().records(stream, "x")
    assert first == {"n": 123456789012345678901234567890}
    assert isinstance(second, PayloadSyntaxError) and str(second).startswith("x:3")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_infinities_are_refused_not_written_as_null(value: float) -> None:
    with pytest.raises(RecordError, match="cannot be written as JSON"):
        dumps({"x": [1, {"y": value}], "z": None})


def test_writers_keep_key_order_and_write_utf8() -> None:
    record = {"z": 1, "a": "Ñandú ☃", "big": 2**80}
    out = io.BytesIO()
    writer = NdjsonWriter()
    writer.begin(out)
    writer.write(record)
    writer.end()
    assert out.getvalue() == '{"z":1,"a":"Ñandú ☃","big":1208925819614629174706176}\n'.encode()
    out = io.BytesIO()
    array = JsonWriter(array=True)
    array.begin(out)
    array.write({"a": [1]})
    array.write({"b": 2})
    array.end()
    assert out.getvalue() == b'[\n  {\n    "a": [\n      1\n    ]\n  },\n  {\n    "b": 2\n  }\n]\n'
    assert json.loads(out.getvalue()) == [{"a": [1]}, {"b": 2}]


def _one_large_record(items: int) -> tuple[dict[str, Any], bytes]:
    record = {"id": "r1", "lines": [{"sku": f"S{index}", "n": index, "price": 1.5, "t": "\u00e9t\u00e9 \\ \""}
                                    for index in range(items)]}
    return record, json.dumps([record, {"after": [1, 2]}], ensure_ascii=False, indent=1).encode()


@pytest.mark.parametrize("items", [500, 2_000, 8_000, 32_000])
def test_a_record_larger_than_the_window_is_parsed_in_linear_work(monkeypatch: pytest.MonkeyPatch,
                                                                   items: int) -> None:
    # A window that grew one chunk at a time re-parsed the record once per chunk: characters parsed grew
    # with the square of its size (32,000 items, 1 MB, 1 KiB chunks: about 500 MB). Now a bounded multiple.
    monkeypatch.setattr(json_format, "_CHUNK", 1024)
    record, document = _one_large_record(items)
    stream = io.BytesIO(document)
    text = json_format._Text(stream.read(1024), stream, "x")
    assert list(text.records((), None)) == [record, {"after": [1, 2]}]
    assert text.parsed <= 8 * len(document)


@pytest.mark.parametrize(("tail", "message"), [
    ('{"a": [1, 2,, 3]}]', "x:1:17: invalid JSON: Expecting value (after record 1)"),
    ('{"a": [1, NaN]}]', "x:1:5: invalid JSON: NaN is not JSON (after record 1)"),
    ('{"a": [1, 2]', "x:1:17: invalid JSON: Expecting ',' delimiter (after record 1)"),
])
def test_a_broken_large_record_says_where_as_before(monkeypatch: pytest.MonkeyPatch, tail: str, message: str) -> None:
    monkeypatch.setattr(json_format, "_CHUNK", 2)
    with pytest.raises(PayloadSyntaxError) as raised:
        list(JsonReader(buffer_limit=1).records(io.BytesIO(b"[1, " + tail.encode()), "x"))
    assert str(raised.value) == message


def test_a_large_record_keeps_big_integers_and_refuses_deep_nesting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_format, "_CHUNK", 16)
    big = {"n": 123456789012345678901234567890, "pad": ["x" * 10] * 20}
    deep = {"d": json.loads("[" * 200 + "]" * 200), "pad": ["x" * 10] * 20}
    records = list(JsonReader(buffer_limit=1).records(io.BytesIO(json.dumps([big, deep, 1]).encode()), "x"))
    assert records[0] == big and records[2] == 1
    assert isinstance(records[1], TooDeepError) and records[1].pointer.startswith("/d/0/0/")
