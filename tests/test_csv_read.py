"""The CSV and TSV reader: names from the header, values typed by the source schema, lines in errors,
malformed input refused saying where; and through ``mapper convert`` as a user meets it."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mapper.formats.csv_read as csv_read
from mapper.errors import PayloadError, PayloadSyntaxError
from mapper.formats import reader
from mapper.formats.csv_read import CsvDialect, CsvReader, split_header
from mapper.formats.csv_write import CsvWriter
from mapper.schemas import load_schema

ROOT = Path(__file__).parent.parent
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
SCENARIO = ROOT / "mappings" / "crm-export-csv-to-member.yaml"
FIXTURES = SCENARIO.with_suffix(".fixtures")
SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "age": {"type": "integer"}, "score": {"type": "number"},
        "active": {"type": "boolean"}, "zip": {"type": "string"}, "maybe": {"type": ["integer", "string"]},
        "address": {"type": "object", "properties": {"city": {"type": "string"}, "floor": {"type": "integer"}}},
        "emails": {"type": "array", "items": {"type": "object", "properties": {
            "address": {"type": "string"}, "primary": {"type": "boolean"}}}},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("schema") / "row.schema.json"
    path.write_text(json.dumps(SCHEMA), encoding="utf-8")
    return load_schema(path)


def read(data: bytes | str, schema: Any = None, dialect: CsvDialect | None = None) -> list[Any]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return list(CsvReader(schema, dialect).records(io.BytesIO(raw), "in.csv"))


@pytest.mark.parametrize(("text", "expected"), [
    ("id,age\n7,42\n", [{"id": "7", "age": 42}]),  # integer where the schema says so; text where string
    ("id,zip\n1,02134\n", [{"id": "1", "zip": "02134"}]),  # leading zeros kept: the schema says string
    ("id,score\n1,12.50\n", [{"id": "1", "score": 12.5}]),
    ("id,active\n1,true\n2,false\n", [{"id": "1", "active": True}, {"id": "2", "active": False}]),
    ("id,age,zip\n1,,\n", [{"id": "1"}]),  # an empty cell is a missing field
    # Where the schema allows text, text is valid as it is: as in target coercion, nothing is converted.
    ("id,maybe\n1,12\n2,n/a\n", [{"id": "1", "maybe": "12"}, {"id": "2", "maybe": "n/a"}]),
    ("id,other\n1,42\n", [{"id": "1", "other": "42"}]),  # what the schema does not describe stays text
    ("id,address.city,address.floor\n1,Oslo,3\n", [{"id": "1", "address": {"city": "Oslo", "floor": 3}}]),
    ("id,address.city\n1,\n", [{"id": "1"}]),  # no cell of an object: no object
    ("id,emails.0.address,emails.0.primary,emails.1.address\n1,a@x,true,b@x\n",
     [{"id": "1", "emails": [{"address": "a@x", "primary": True}, {"address": "b@x"}]}]),
    ("id,emails.0.address,emails.1.address\n1,,b@x\n", [{"id": "1", "emails": [{"address": "b@x"}]}]),
    ("id,tags.0,tags.1,tags.2\n1,a,,c\n", [{"id": "1", "tags": ["a", "c"]}]),  # empty items left out, in order
    ("id,tags.10,tags.9\n1,ten,nine\n", [{"id": "1", "tags": ["nine", "ten"]}]),  # by index, not column
    ('id,age\n"1","42"\n', [{"id": "1", "age": 42}]),  # quoting does not make text of a number
    ("\n\nid,age\n\n1,2\n\n", [{"id": "1", "age": 2}]),  # blank lines are no rows
    ("id,age\n", []),
    ("", []),
])
def test_cells_are_typed_by_the_schema_and_dotted_names_nest(schema: Any, text: str, expected: list[Any]) -> None:
    assert read(text, schema) == expected


def test_without_a_schema_every_cell_is_text() -> None:
    assert read("a,b.c\n1,true\n") == [{"a": "1", "b": {"c": "true"}}]


@pytest.mark.parametrize(("name", "path"), [
    ("City", ("City",)), ("MailingAddress.City", ("MailingAddress", "City")),
    ("Emails.0.Address", ("Emails", 0, "Address")), ("a.b.c", ("a", "b", "c")),
])
def test_a_header_name_is_a_path(name: str, path: tuple[Any, ...]) -> None:
    assert split_header(name) == path


def test_each_record_knows_the_physical_line_its_row_starts_on() -> None:
    text = 'id,note\r\n1,"two\r\nlines"\r\n\r\n2,"three\nmore\nlines"\r\n3,x\r\n'
    csv_reader = CsvReader()
    lines = [(record["id"], csv_reader.record_line) for record in csv_reader.records(io.BytesIO(text.encode()), "x")]
    assert lines == [("1", 2), ("2", 5), ("3", 8)]


def test_a_quoted_line_break_is_kept_as_written() -> None:
    assert read('id,note\r\n1,"a\r\nb"\r\n2,"c\nd"\r\n') == [{"id": "1", "note": "a\r\nb"}, {"id": "2", "note": "c\nd"}]


@pytest.mark.parametrize(("text", "expected"), [
    ("a;b\n1;x,y\n2;z\n", [{"a": "1", "b": "x,y"}, {"a": "2", "b": "z"}]),
    ("a\tb\n1\tx,y\n", [{"a": "1", "b": "x,y"}]),
    ("a|b\n1|2\n", [{"a": "1", "b": "2"}]),
    ('a,b\n1,"x;y;z"\n2,"p;q"\n', [{"a": "1", "b": "x;y;z"}, {"a": "2", "b": "p;q"}]),
    ("name\nAda\nGrace\n", [{"name": "Ada"}, {"name": "Grace"}]),  # one column: nothing to sniff, commas
])
def test_the_delimiter_is_sniffed(text: str, expected: list[Any]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("name,band,note\nO'Brien,Rock 'n' roll,'til dawn\n",
     [{"name": "O'Brien", "band": "Rock 'n' roll", "note": "'til dawn"}]),
    ("a,b,c\n',','\n", [{"a": "'", "b": "'", "c": "'"}]),
    ("a;b;c\n';';'\n", [{"a": "'", "b": "'", "c": "'"}]),
    ("a;b\n\"x;y\";'z'\n", [{"a": "x;y", "b": "'z'"}]),
], ids=["apostrophes in names", "commas", "semicolons", "quoted and apostrophes"])
def test_an_apostrophe_is_text_not_a_quote(text: str, expected: list[Any]) -> None:
    # csv.Sniffer took `,'a',` for a cell quoted with apostrophes, and split or merged cells.
    assert read(text) == expected


def test_a_given_dialect_is_not_sniffed() -> None:
    text = "a;b\n'1;2';3\n"
    assert read(text, dialect=CsvDialect(delimiter=";", quotechar="'")) == [{"a": "1;2", "b": "3"}]
    assert read("a,b\n1,2\n", dialect=CsvDialect(delimiter=";")) == [{"a,b": "1,2"}]


def test_tsv_is_tab_delimited_whatever_the_text_looks_like() -> None:
    records = reader("tsv").records(io.BytesIO(b"a,b\tc\n1,2\t3\n"), "x")
    assert list(records) == [{"a,b": "1,2", "c": "3"}]


@pytest.mark.parametrize(("data", "encoding"), [
    (b"\xef\xbb\xbfid,name\n1,Jos\xc3\xa9\n", "utf-8"),  # Excel's byte order mark is no part of the first name
    ("id,name\n1,José\n".encode("cp1252"), "cp1252"),
    ("id,name\n1,José\n".encode("utf-16"), "utf-16"),
])
def test_the_encoding_and_a_byte_order_mark(data: bytes, encoding: str) -> None:
    assert read(data, dialect=CsvDialect(encoding=encoding)) == [{"id": "1", "name": "José"}]


#: Rows that are not records: each is a PayloadSyntaxError in its place, with its line, and reading goes on.
BAD_ROWS = [
    ("id,age\n1,2,3\n4,5\n", 2, "in.csv:2: the row has 3 cells, the header 2"),
    ("id,age\n1\n4,5\n", 2, "in.csv:2: the row has 1 cells, the header 2"),
    ('id,age\n"a\nb",x\n4,5\n', 2,
     "in.csv:2: column 'age' (/age): cannot convert 'x' to an integer without losing information"),
    ("id,active\n1,TRUE\n4,true\n", 2, "in.csv:2: column 'active' (/active): cannot convert 'TRUE' to a boolean"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_ROWS)
def test_a_row_that_is_no_record_is_refused_in_its_place(schema: Any, text: str, line: int, message: str) -> None:
    first, second = read(text, schema)
    assert isinstance(first, PayloadSyntaxError) and first.line == line
    assert str(first).startswith(message)
    assert second == {"id": "4", "age": 5} or second == {"id": "4", "active": True}


#: What ends the input: raised, saying where, after the records before it.
MALFORMED = [
    ('id,note\n1,ok\n2,"never closed\n3,x\n', "in.csv:3: invalid CSV: the input ends inside a quoted cell "
                                                "(a quote that is never closed?)"),
    ("id,id\n1,2\n", "in.csv:1: column 'id' is in the header twice (columns 1 and 2)"),
    ("\nid,a.b,a\n1,2,3\n", "in.csv:2: column 'a' is a value, and column 'a.b' makes it an object or an array"),
    ("id,a.0,a.x\n1,2,3\n", "in.csv:1: column 'a.0' makes a an array, column 'a.x' an object"),
    ("0.x\n1\n", "in.csv:1: column '0.x': a record is an object, its first name cannot be a number"),
    ("id,,b\n1,2,3\n", "in.csv:1: column 2 of the header has an empty name"),
    ("id,a..b\n1,2\n", "in.csv:1: column 2 of the header has an empty name part ('a..b')"),
    ("id,note\n1,ok\n2,bin\0ary\n", "in.csv:3: invalid CSV: a NUL character (a binary file, or UTF-16 without "
                                     "a byte order mark?)"),
    (b"id,note\n1,ok\n2,caf\xe9\n", "in.csv:3:6: not utf-8 text: byte 0xe9 cannot be decoded (give the encoding?)"),
]


@pytest.mark.parametrize(("data", "message"), MALFORMED)
def test_malformed_csv_says_where(data: str | bytes, message: str) -> None:
    records: list[Any] = []
    with pytest.raises(PayloadSyntaxError) as raised:
        for record in CsvReader().records(io.BytesIO(data.encode() if isinstance(data, str) else data), "in.csv"):
            records.append(record)
    assert str(raised.value) == message
    assert records == ([{"id": "1", "note": "ok"}] if "note" in str(data) else [])


def test_a_cell_longer_than_the_limit_is_refused_where_its_row_starts() -> None:
    data = b"id,note\n1,ok\n2,\"" + b"x" * (csv_read.MAX_FIELD + 10) + b'"\n'
    with pytest.raises(PayloadSyntaxError) as raised:
        read(data)
    assert str(raised.value) == (f"in.csv:3: invalid CSV: a cell is longer than {csv_read.MAX_FIELD} characters "
                                 "(a quote that is never closed?)")


def test_a_line_longer_than_the_limit_is_refused_before_it_is_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_read, "MAX_LINE", 64)
    with pytest.raises(PayloadSyntaxError) as raised:
        read("id,note\n1,ok\n2," + "x" * 100 + "\n")
    assert str(raised.value) == "in.csv:3: invalid CSV: a line longer than 64 characters"


def test_rows_stream_one_at_a_time() -> None:
    data = b"id,n\n" + b"".join(b"%d,%d\n" % (index, index) for index in range(200_000))
    stream = io.BytesIO(data)
    records = CsvReader().records(stream, "x")
    assert next(records) == {"id": "0", "n": "0"}
    assert stream.tell() < len(data) // 10  # read ahead by a buffer, not to the end
    records.close()
    assert not stream.closed  # the reader lets go of the stream; its opener closes it


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0\r"), max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT, TEXT), max_size=6), st.sampled_from([",", ";", "\t"]))
def test_what_the_writer_writes_the_reader_reads_back(tmp_path_factory: pytest.TempPathFactory,
                                                      rows: list[tuple[str, str, str]], delimiter: str) -> None:
    path = tmp_path_factory.getbasetemp() / "strings.schema.json"
    if not path.exists():
        path.write_text(json.dumps({"type": "object", "properties": {
            "a": {"type": "string"}, "b": {"type": "object", "properties": {"c": {"type": "string"}}},
            "d": {"type": "string"}}}), encoding="utf-8")
    schema = load_schema(path)
    records = [{"a": a, "b": {"c": c}, "d": d} for a, c, d in rows]
    dialect = CsvDialect(delimiter=delimiter)
    stream = io.BytesIO()
    writer = CsvWriter(schema, dialect)
    writer.begin(stream)
    for record in records:
        writer.write(record)
    expected = []
    for record in records:  # an empty cell is a missing field
        expected.append({key: value for key, value in record.items() if value not in ("", {"c": ""})})
    assert read(stream.getvalue(), schema, dialect) == expected


def run_mapper(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXECUTABLE, *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_mapper_convert_reads_the_shipped_export_and_rejects_say_the_line(tmp_path: Path) -> None:
    export = (FIXTURES / "export-of-three-contacts.input.csv").read_bytes()
    source = tmp_path / "export.csv"
    # Three good contacts (the first over two lines), one without an email, one short row.
    source.write_bytes(export + b"0035e00000Xy7QgAAJ,Lena,Berg" + b"," * 19 + b"\r\n0035e00000Xy7QhAAJ,Short\r\n")
    result = run_mapper("convert", str(SCENARIO), str(source), "-o", str(tmp_path / "out.json"),
                        "--rejects", str(tmp_path / "rejects.ndjson"), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    expected = json.loads((FIXTURES / "export-of-three-contacts.expected.json").read_text("utf-8"))
    assert json.loads((tmp_path / "out.json").read_text("utf-8")) == expected
    rejects = [json.loads(line) for line in (tmp_path / "rejects.ndjson").read_text("utf-8").splitlines()]
    assert [(reject["record"], reject["line"]) for reject in rejects] == [(4, 6), (5, 7)]
    assert rejects[0]["errors"][0]["pointer"] == "/email_address"
    assert rejects[1]["errors"][0] == {"stage": "input", "pointer": "", "line": 7,
                                       "message": "the row has 2 cells, the header 22"}
    assert result.stderr.endswith("5 records read, 3 written, 2 rejected (in "
                                  f"{tmp_path / 'rejects.ndjson'}) in " + result.stderr.split(" in ")[-1])


def test_mapper_convert_says_where_a_broken_csv_breaks(tmp_path: Path) -> None:
    source = tmp_path / "broken.csv"
    source.write_text("Id,LastName\n0035e00000Xy7QgAAJ,\"Berg\n", encoding="utf-8")
    result = run_mapper("convert", str(SCENARIO), str(source), cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr.splitlines()[0] == (f"mapper: error: {source}:2: invalid CSV: the input ends inside a "
                                             "quoted cell (a quote that is never closed?)")
    assert "Traceback" not in result.stderr


def test_jobs_give_the_same_output_from_csv(tmp_path: Path) -> None:
    source = FIXTURES / "export-of-three-contacts.input.csv"
    outputs = []
    for jobs in ("1", "2"):
        result = run_mapper("convert", str(SCENARIO), str(source), "--jobs", jobs, "-o", str(tmp_path / f"{jobs}.json"),
                            cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / f"{jobs}.json").read_bytes())
    assert outputs[0] == outputs[1]


def test_an_unreadable_row_reaches_the_rejects_through_the_library(tmp_path: Path) -> None:
    import mapper

    source = tmp_path / "in.csv"
    source.write_text("Id,LastName,Email\n0035e00000Xy7QgAAJ,Berg,lena@example.se,extra\n", encoding="utf-8")
    rejects = io.BytesIO()
    counts = mapper.convert_files(SCENARIO, [source], io.BytesIO(), rejects=rejects)
    assert (counts.read, counts.rejected) == (1, 1)
    [reject] = [json.loads(line) for line in rejects.getvalue().splitlines()]
    assert (reject["record"], reject["line"], reject["input"]) == (1, 2, None)
    assert isinstance(PayloadError("x"), ValueError)  # the one hierarchy: payload faults are ValueErrors


def test_the_dialect_options_of_mapper_convert(tmp_path: Path) -> None:
    source = tmp_path / "export.txt"
    source.write_bytes("Id|LastName|Email|MailingAddress.City\n0035e00000Xy7QgAAJ|Berg|'lena@example.se'|'Malmö'\n"
                       .encode("cp1252"))
    result = run_mapper("convert", str(SCENARIO), str(source), "--from", "csv", "--delimiter", "|", "--quotechar", "'",
                        "--encoding", "cp1252", "--compact", "-o", str(tmp_path / "out.ndjson"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [member] = [json.loads(line) for line in (tmp_path / "out.ndjson").read_text("utf-8").splitlines()]
    assert (member["email_address"], member["merge_fields"]["LNAME"]) == ("lena@example.se", "Berg")


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--delimiter", ";;", "mapper convert: argument --delimiter: one character, not ';;'"),
    ("--quotechar", "", "mapper convert: argument --quotechar: one character, not ''"),
    ("--encoding", "klingon", "mapper convert: argument --encoding: unknown encoding 'klingon'"),
])
def test_a_wrong_dialect_option_is_a_usage_error(tmp_path: Path, option: str, value: str, message: str) -> None:
    result = run_mapper("convert", str(SCENARIO), str(FIXTURES / "report-as-tsv.input.tsv"), option, value,
                        cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == message


def test_the_delimiter_option_lays_out_csv_output(tmp_path: Path) -> None:
    import mapper

    output = io.BytesIO()
    mapper.convert_files(SCENARIO, [FIXTURES / "export-of-three-contacts.input.csv"], output, output_format="csv",
                         csv=CsvDialect(delimiter=";"), rejects=io.BytesIO())
    assert output.getvalue().startswith(b"email_address;status;email_type;merge_fields.FNAME;")


def test_docs_csv_states_the_limits_and_its_example_runs(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "csv.md").read_text("utf-8")
    for fact in (f"{csv_read.MAX_FIELD:,} characters", f"longer than {csv_read.MAX_FIELD} characters",
                 f"a line longer than {csv_read.MAX_LINE} characters", "--delimiter", "--quotechar", "--encoding"):
        assert fact in text
    command = text.split("```sh\n", 1)[1].split("```", 1)[0].replace("\\\n", " ").split()
    result = run_mapper(*command[1:], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads((FIXTURES / "export-of-three-contacts.expected.json").read_text())


def test_mapper_convert_reads_names_with_apostrophes(tmp_path: Path) -> None:
    # Apostrophes unquoted, as CRM exports write them; the sniffer took ` 'n' ` for quotes and refused the row
    # ("',' expected after"). The industry is the mapping's second tag.
    source = tmp_path / "export.csv"
    source.write_text("Id,FirstName,LastName,Email,Account.Name,Account.Industry\n"
                      "0035e00000Xy7QgAAJ,Siobhán,O'Brien,siobhan@example.ie,Rock 'n' Roll Ltd,'Round the Clock Media\n"
                      "0035e00000Xy7QhAAJ,D'Arcy,Moore,darcy@example.ie,Moore's,Retail\n", encoding="utf-8")
    result = run_mapper("convert", str(SCENARIO), str(source), "-o", str(tmp_path / "out.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    members = json.loads((tmp_path / "out.json").read_text("utf-8"))
    assert [member["merge_fields"]["LNAME"] for member in members] == ["O'Brien", "Moore"]
    assert [member["merge_fields"]["FNAME"] for member in members] == ["Siobhán", "D'Arcy"]
    assert [member["merge_fields"]["COMPANY"] for member in members] == ["Rock 'n' Roll Ltd", "Moore's"]
    assert [member["tags"] for member in members] == [["crm:'Round the Clock Media"], ["crm:Retail"]]
