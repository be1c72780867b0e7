"""The CSV and TSV writer: columns in the target schema's order, objects flattened, arrays refused as rejects,
RFC 4180 quoting; and ``mapper convert --to csv`` as a user meets it."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mapper.errors import RecordError
from mapper.formats import writer
from mapper.formats.csv_read import CsvDialect
from mapper.formats.csv_write import CsvWriter, columns_of
from mapper.schemas import load_schema

ROOT = Path(__file__).parent.parent
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
FIXTURES = ROOT / "mappings" / "crm-export-csv-to-member.fixtures"
SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "object", "properties": {"family": {"type": "string"}, "given": {"type": "string"}}},
        "amount": {"type": "number"},
        "count": {"type": "integer"},
        "paid": {"type": "boolean"},
        "note": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "extra": {"type": "object"},
    },
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("schema") / "out.schema.json"
    path.write_text(json.dumps(SCHEMA), encoding="utf-8")
    return load_schema(path)


def written(schema: Any, records: list[Any], dialect: CsvDialect | None = None) -> str:
    stream = io.BytesIO()
    csv_writer = CsvWriter(schema, dialect)
    csv_writer.begin(stream)
    for record in records:
        csv_writer.write(record)
    csv_writer.end()
    return stream.getvalue().decode("utf-8")


def test_columns_follow_the_schema_and_objects_flatten(schema: Any) -> None:
    assert columns_of(schema) == [("id",), ("name", "family"), ("name", "given"), ("amount",), ("count",),
                                  ("paid",), ("note",), ("tags",), ("extra",)]
    assert written(schema, []).startswith("id,name.family,name.given,amount,count,paid,note,tags,extra\r\n")


@pytest.mark.parametrize(("record", "row"), [
    ({"id": "1", "name": {"given": "Ada", "family": "Lovelace"}, "amount": 12.5, "count": 3, "paid": True},
     "1,Lovelace,Ada,12.5,3,true,,,"),  # keys in any order: cells in the header's
    ({"id": "2", "paid": False, "note": None}, "2,,,,,false,,,"),  # null and missing are empty cells
    ({"id": 'say "hi", then\nbye'}, '"say ""hi"", then\nbye",,,,,,,,'),  # RFC 4180: quoted, quotes doubled
    ({"id": "3", "amount": 1e16, "count": 12345678901234567890}, "3,,,1e+16,12345678901234567890,,,,"),
])
def test_a_record_is_one_row(schema: Any, record: dict[str, Any], row: str) -> None:
    assert written(schema, [record]).split("\r\n", 1)[1] == row + "\r\n"


#: What a cell cannot hold: a reject naming the field, never a broken file.
REFUSED = [
    ({"id": "1", "tags": ["a", "b"]}, "/tags",
     "cannot be written as CSV: /tags is an array: a CSV cell holds one value (join it in the rule, "
     "e.g. join(';', @), to a field the target schema types as a string)"),
    ({"id": "1", "extra": {"a": 1}}, "/extra",
     "cannot be written as CSV: /extra is an object the target schema does not describe: a CSV cell holds one "
     "value (join it in the rule, e.g. join(';', @), to a field the target schema types as a string)"),
    ({"id": "1", "surprise": 1}, "/surprise",
     "cannot be written as CSV: /surprise has no column: the target schema does not declare it"),
    ({"id": "1", "name": {"middle": "B"}}, "/name/middle",
     "cannot be written as CSV: /name/middle has no column: the target schema does not declare it"),
    ({"id": "1", "amount": float("nan")}, "/amount",
     "cannot be written as CSV: /amount is NaN or infinite: CSV, like JSON, has no such number"),
    (["not", "an", "object"], "", "cannot be written as CSV: the record is not an object: a CSV row holds "
                                  "one record's fields"),
]


@pytest.mark.parametrize(("record", "pointer", "message"), REFUSED)
def test_what_a_cell_cannot_hold_is_refused(schema: Any, record: Any, pointer: str, message: str) -> None:
    with pytest.raises(RecordError) as raised:
        CsvWriter(schema).encode(record)
    [problem] = raised.value.problems
    assert (problem.stage, problem.pointer, problem.message) == ("target", pointer, message)


def test_tsv_and_other_dialects(schema: Any) -> None:
    tsv = io.BytesIO()
    tsv_writer = writer("tsv", schema)
    tsv_writer.begin(tsv)
    tsv_writer.write({"id": "a,b", "note": "tab\there"})
    assert tsv.getvalue().decode().split("\r\n")[1] == 'a,b\t\t\t\t\t\t"tab\there"\t\t'
    text = written(schema, [{"id": "x;y"}], CsvDialect(delimiter=";", line_terminator="\n"))
    assert text.splitlines(keepends=True)[1] == '"x;y";;;;;;;;\n'


def test_csv_output_needs_a_schema_that_names_columns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CSV output needs a target schema"):
        writer("csv")
    path = tmp_path / "open.schema.json"
    path.write_text('{"type": "object"}', encoding="utf-8")
    with pytest.raises(ValueError, match="declares its properties"):
        writer("csv", load_schema(path))


MAPPING = """\
mapping: export-to-rows
source: {schema: %(source)s, format: csv}
target: {schema: row.schema.json, format: csv}
rules:
  id: Id
  name:
    family: LastName
    given: FirstName
  city: MailingAddress.City
  opted_out: HasOptedOutOfEmail
  emails_sent: NumberOfEmailsSent__c
  interests: "join(' | ', split(Interests__c, ';'))"
"""
ROW = {"type": "object", "required": ["id"], "properties": {
    "id": {"type": "string"},
    "name": {"type": "object", "properties": {"family": {"type": "string"}, "given": {"type": "string"}}},
    "city": {"type": "string"}, "opted_out": {"type": "boolean"}, "emails_sent": {"type": "integer"},
    "interests": {"type": "string"}}}


def test_mapper_convert_writes_csv_rows_atomically(tmp_path: Path) -> None:
    (tmp_path / "row.schema.json").write_text(json.dumps(ROW), encoding="utf-8")
    mapping = tmp_path / "rows.yaml"
    mapping.write_text(MAPPING % {"source": ROOT / "schemas" / "crm" / "contact-export.schema.json"}, encoding="utf-8")
    output = tmp_path / "rows.csv"
    result = subprocess.run([EXECUTABLE, "convert", str(mapping), str(FIXTURES / "export-of-three-contacts.input.csv"),
                             "-o", str(output)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert output.read_bytes().decode("utf-8").split("\r\n") == [
        "id,name.family,name.given,city,opted_out,emails_sent,interests",
        "0035e00000Xy7QaAAJ,Núñez García,José,San Francisco,false,42,hiking | yoga | knitting",
        "0035e00000Xy7QbAAJ,O'Brien,Siobhán,Dublin,true,0,",
        "0035e00000Xy7QcAAJ,Mensah,Kwame,,false,7,running",
        "",
    ]
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []  # no temporary left


def test_an_array_for_csv_is_a_reject_and_the_other_records_are_written(tmp_path: Path) -> None:
    # The shipped member has tags (an array): written as CSV, every record is refused, saying why and where.
    output, rejects = tmp_path / "members.csv", tmp_path / "rejects.ndjson"
    result = subprocess.run([EXECUTABLE, "convert", str(ROOT / "mappings" / "crm-export-csv-to-member.yaml"),
                             str(FIXTURES / "export-of-three-contacts.input.csv"), "-o", str(output), "--rejects",
                             str(rejects)], capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stderr
    lines = [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
    assert [(line["record"], line["line"], line["errors"][0]["pointer"]) for line in lines] == [
        (1, 2, "/tags"), (2, 4, "/tags"), (3, 5, "/tags")]
    assert output.read_text("utf-8").startswith("email_address,status,email_type,merge_fields.FNAME,")
