"""NDJSON on standard input without ``--from ndjson`` (issue 14, item 3): told from JSON by its first bytes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapper.cli._stdin import HEAD_LIMIT, sniff
from mapper.errors import PayloadError

ROOT = Path(__file__).parent.parent
MAPPING = str(ROOT / "mappings" / "crm-contact-to-member.yaml")
FIXTURES = ROOT / "mappings" / "crm-contact-to-member.fixtures"
THREE = (FIXTURES / "export-of-three-contacts.input.ndjson").read_bytes()
ONE = (FIXTURES / "full-contact.input.json").read_bytes()
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


def mapper(*argv: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([EXECUTABLE, *argv], input=stdin, capture_output=True, timeout=120)


@pytest.mark.parametrize(("payload", "expected"), [
    (b'{"a": 1}\n{"a": 2}\n', "ndjson"),
    (b'{"a": 1}\r\n{"a": 2}', "ndjson"),
    (b'\xef\xbb\xbf{"a": 1}\n\n  {"a": 2}\n', "ndjson"),      # a BOM, a blank line
    (b'  \n{"a": 1}\n{"broken\n', "ndjson"),                  # a bad second line is that record's reject
    (b'[1, 2]\n[3]\n', "ndjson"),
    (b'{"a": 1}\n', None),                                     # one record on one line
    (b'{"a": 1}', None),
    (b'{\n  "a": 1\n}\n', None),                               # one pretty-printed record
    (b'[\n  {"a": 1},\n  {"a": 2}\n]\n', None),                # an array
    (b'[{"a": 1}, {"a": 2}]\n', None),
    (b'', None),                                               # empty: the JSON reader says so
    (b'{"a": 1', None),                                        # broken: the JSON reader says where
    (b'{"a": \xff}\n{"a": 2}\n', None),                        # not UTF-8: the JSON reader says so
])
def test_the_first_bytes_tell_the_format(payload: bytes, expected: str | None) -> None:
    found, replay = sniff(io.BytesIO(payload))
    assert found == expected
    assert replay.read() == payload


@pytest.mark.parametrize(("payload", "line"), [
    (b'{\n  "a": 1\n}\n{\n  "a": 2\n}\n', 4),                 # jq . of two records
    (b'{"a": 1} {"a": 2}\n', 1),                               # two on one line
])
def test_documents_one_after_another_over_lines_ask_for_ndjson(payload: bytes, line: int) -> None:
    with pytest.raises(PayloadError, match="pass --from ndjson") as raised:
        sniff(io.BytesIO(payload))
    assert raised.value.line == line


@pytest.mark.parametrize("payload", [
    b"Id,FirstName,Email\n1,Ada,ada@example.com\n",
    b'\xef\xbb\xbf"Id";"FirstName"\r\n"1";"Ada"\r\n',       # Excel: a BOM, quoted names, semicolons
    b"Id\tFirstName\n1\tAda\n",
    b"Id|FirstName\n",
])
def test_a_csv_header_asks_for_from_csv(payload: bytes) -> None:
    with pytest.raises(PayloadError, match="looks like CSV.*pass --from csv") as raised:
        sniff(io.BytesIO(payload))
    assert raised.value.line == 1


@pytest.mark.parametrize("payload", [b'"a,b"\n', b"42\n", b'"Id"\n', b"hello\n", b"a,,b\n", b'{"a": 1, "b": 2'])
def test_json_and_what_is_no_header_are_not_csv(payload: bytes) -> None:
    found, replay = sniff(io.BytesIO(payload))
    assert found is None
    assert replay.read() == payload


def test_a_csv_export_piped_in_is_refused_with_the_option_to_pass() -> None:
    export = (ROOT / "mappings" / "crm-export-csv-to-member.fixtures" / "export-of-three-contacts.input.csv").read_bytes()
    completed = mapper("convert", MAPPING, stdin=export)
    assert completed.returncode == 3
    assert completed.stdout == b""
    assert completed.stderr.decode().splitlines()[0] == (
        "mapper: error: <stdin>:1: standard input looks like CSV (its first line is a header, not JSON): "
        "pass --from csv, or --from tsv for tab-separated values")


def test_a_first_document_larger_than_the_head_is_json_and_read_whole() -> None:
    payload = json.dumps({"a": "x" * HEAD_LIMIT}).encode() + b"\n" + b'{"a": 2}\n'
    found, replay = sniff(io.BytesIO(payload))
    assert found is None
    assert replay.read() == payload


@given(st.lists(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
                min_size=2, max_size=5))
def test_lines_of_documents_are_ndjson_and_given_back_whole(records: list[dict[str, object]]) -> None:
    payload = "\n".join(json.dumps(record, ensure_ascii=False) for record in records).encode() + b"\n"
    found, replay = sniff(io.BytesIO(payload))
    assert found == "ndjson"
    assert replay.read() == payload


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=4))
def test_one_pretty_printed_document_is_json(record: dict[str, object]) -> None:
    payload = json.dumps(record, indent=2).encode() + b"\n"
    assert sniff(io.BytesIO(payload))[0] is None


def test_ndjson_piped_in_converts_as_if_from_ndjson_were_given() -> None:
    told = mapper("convert", MAPPING, "--compact", "--from", "ndjson", stdin=THREE)
    sniffed = mapper("convert", MAPPING, "--compact", stdin=THREE)
    assert sniffed.returncode == told.returncode == 0, sniffed.stderr
    assert sniffed.stdout == told.stdout
    assert sniffed.stderr.decode().startswith("mapper convert: 3 records read, 3 written, 0 rejected")


def test_one_record_piped_in_is_still_one_json_record() -> None:
    done = mapper("convert", MAPPING, stdin=ONE)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["email_address"] == "jose.nunez@acme.example"


def test_a_bad_line_of_piped_ndjson_is_one_reject() -> None:
    lines = THREE.splitlines(keepends=True)
    done = mapper("convert", MAPPING, "--to", "ndjson", stdin=lines[0] + b'{"Id": \n' + lines[1])
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 2
    assert b"mapper: rejected: <stdin>:2:" in done.stderr


def test_pretty_printed_records_one_after_another_are_refused_with_the_option_to_pass() -> None:
    pretty = b"".join(json.dumps(json.loads(line), indent=2).encode() + b"\n" for line in THREE.splitlines())
    second = pretty.index(b"}\n{") + 2
    line = pretty[:second].count(b"\n") + 1
    done = mapper("convert", MAPPING, stdin=pretty)
    assert done.returncode == 3
    assert done.stdout == b""
    assert done.stderr.decode().splitlines() == [
        f"mapper: error: <stdin>:{line}: standard input holds one JSON "
        "document after another, over several lines: for one record a line (jq -c writes them) pass "
        "--from ndjson; else give one document, an array of the records"]
