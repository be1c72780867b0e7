"""The engine through its front door, ``mapper.convert_files``, on the shipped fixtures.

Each ``mappings/NAME.fixtures/`` input converts to its ``.expected.json`` or
is rejected with its ``.reject.txt``; the same records give the same output
and reject files with ``jobs=2`` as with ``jobs=1``; the output is atomic.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mapper
from mapper.engine import Counts, Observer
from mapper.engine.files import validate_files
from mapper.engine.rejects import reject_line, reject_record
from mapper.formats import FORMAT_NAMES

ROOT = Path(__file__).parent.parent
MAPPINGS = ROOT / "mappings"
CRM = MAPPINGS / "crm-contact-to-member.yaml"
CRM_FIXTURES = MAPPINGS / "crm-contact-to-member.fixtures"
PEOPLE = ROOT / "tests" / "data" / "cli" / "people-to-members.yaml"

_INPUTS = sorted(path for path in MAPPINGS.glob("*.fixtures/*.input.*"))


def _expected(input_path: Path) -> tuple[Path | None, Path | None]:
    stem = input_path.name.split(".input.")[0]
    expected, reject = input_path.with_name(f"{stem}.expected.json"), input_path.with_name(f"{stem}.reject.txt")
    return (expected if expected.exists() else None), (reject if reject.exists() else None)


@pytest.mark.parametrize("input_path", _INPUTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_fixture_converts_to_its_expected_output_or_is_rejected(input_path: Path, tmp_path: Path) -> None:
    mapping_path = MAPPINGS / f"{input_path.parent.name.removesuffix('.fixtures')}.yaml"
    expected, reject = _expected(input_path)
    output, rejects = tmp_path / "out.json", tmp_path / "rejects.ndjson"
    counts = mapper.convert_files(mapping_path, [input_path], output, rejects=rejects)
    lines = [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
    assert counts.read == counts.written + counts.rejected == counts.written + len(lines)
    assert counts.broken_inputs == () and not counts.stopped
    if expected is not None:
        assert counts.ok
        assert json.loads(output.read_text("utf-8")) == json.loads(expected.read_text("utf-8"))
    if reject is not None:
        assert counts.rejected == 1 and lines[0]["source"] == str(input_path)
        errors = json.dumps(lines[0]["errors"], ensure_ascii=False)
        for fact in reject.read_text("utf-8").splitlines():
            assert json.dumps(fact, ensure_ascii=False)[1:-1] in errors
    assert sorted(os.listdir(tmp_path)) == ["out.json", "rejects.ndjson"]  # no temporary file left


def _crm_ndjson(path: Path) -> list[Any]:
    """An NDJSON file of every CRM fixture record, a line that is not JSON and a blank line among them."""
    records = [json.loads((CRM_FIXTURES / name).read_text("utf-8")) for name in
               ("full-contact.input.json", "no-email-address-rejected.input.json",
                "opted-out-overrides-active-status.input.json")]
    records += [json.loads(line) for line in (CRM_FIXTURES / "export-of-three-contacts.input.ndjson")
                .read_text("utf-8").splitlines()]
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    lines[2:2] = ["{not json", ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return records


@pytest.mark.parametrize("jobs", [1, 2])
def test_ndjson_with_rejects_gives_the_same_files_whatever_the_jobs(jobs: int, tmp_path: Path) -> None:
    source = tmp_path / "contacts.ndjson"
    records = _crm_ndjson(source)
    mapping = mapper.load(CRM)
    output, rejects = tmp_path / "members.ndjson", tmp_path / "rejects.ndjson"
    counts = mapper.convert_files(mapping, [source], output, rejects=rejects, jobs=jobs)
    assert counts == Counts(read=len(records) + 1, written=len(records) - 1, rejected=2)
    expected = [result.output for result in mapping.apply_many(records) if result.ok]
    assert [json.loads(line) for line in output.read_text("utf-8").splitlines()] == expected
    failed, unreadable = [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
    assert (unreadable["record"], unreadable["line"], unreadable["text"]) == (3, 3, "{not json")
    assert unreadable["errors"][0]["stage"] == "input"
    assert (failed["record"], failed["line"], failed["input"]) == (2, 2, records[1])
    assert failed["errors"][0]["pointer"] == "/email_address"
    if jobs == 2:  # byte for byte what one process writes
        again = tmp_path / "one"
        again.mkdir()
        mapper.convert_files(mapping, [source], again / "members.ndjson", rejects=again / "rejects.ndjson")
        assert (again / "members.ndjson").read_bytes() == output.read_bytes()
        assert (again / "rejects.ndjson").read_bytes() == rejects.read_bytes()


class _Recorder(Observer):
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def rejected(self, message: str) -> None:
        self.events.append(("rejected", message))

    def broken(self, message: str) -> None:
        self.events.append(("broken", message))

    def closed(self, size: int) -> None:
        self.events.append(("closed", size))

    def raised(self, where: str, traceback: str) -> None:
        self.events.append(("raised", (where, traceback)))


def test_streams_in_and_out_and_rejects_told_to_the_observer(tmp_path: Path) -> None:
    source = tmp_path / "contacts.ndjson"
    records = _crm_ndjson(source)
    out, observer = io.BytesIO(), _Recorder()
    counts = mapper.convert_files(CRM, ["-"], out, output_format="ndjson", input_format="ndjson",
                                  stdin=io.BytesIO(source.read_bytes()), observer=observer)
    assert (counts.read, counts.written, counts.rejected) == (len(records) + 1, len(records) - 1, 2)
    assert len(out.getvalue().splitlines()) == counts.written
    assert [kind for kind, _ in observer.events] == ["rejected", "rejected", "closed"]
    assert observer.events[0][1].startswith("<stdin>:2, record 2 (mapping crm-contact-to-member) failed")
    assert observer.events[1][1].startswith("<stdin>:3:2, record 3: invalid JSON")


@pytest.mark.parametrize(("options", "read"), [({"fail_fast": True}, 2), ({"max_rejects": 2}, 3)])
def test_a_run_stops_at_its_reject_limit(options: dict[str, Any], read: int, tmp_path: Path) -> None:
    source = tmp_path / "contacts.ndjson"
    _crm_ndjson(source)
    counts = mapper.convert_files(CRM, [source], tmp_path / "members.ndjson", **options)
    assert counts.stopped and (counts.read, counts.rejected) == (read, read - 1)


def test_an_xml_document_that_breaks_off_keeps_the_records_before_it(tmp_path: Path) -> None:
    fixture = MAPPINGS / "metar-to-observation.fixtures" / "two-stations-repeated-sky-conditions.input.xml"
    text = fixture.read_text("utf-8")
    source = tmp_path / "metars.xml"
    source.write_text(text[:text.rindex("<METAR>") + 20], encoding="utf-8")
    output = tmp_path / "observations.json"
    counts = mapper.convert_files(MAPPINGS / "metar-to-observation.yaml", [source], output)
    assert (counts.read, counts.written, counts.rejected) == (1, 1, 0) and not counts.ok
    assert len(counts.broken_inputs) == 1 and counts.broken_inputs[0].startswith(f"{source}:")
    first = json.loads(fixture.with_name("two-stations-repeated-sky-conditions.expected.json").read_text("utf-8"))[0]
    assert json.loads(output.read_text("utf-8")) == [first]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"input_format": "yaml"}, ValueError, "unknown format 'yaml' (formats: json, ndjson, xml, csv, tsv)"),
        ({"output_format": "parquet"}, ValueError, "unknown format 'parquet' (formats: json, ndjson, xml, csv, tsv)"),
        ({"output": "."}, mapper.ConversionError, "cannot write .: it is a directory"),
        ({"output": "same.ndjson", "rejects": "same.ndjson"}, mapper.ConversionError,
         "rejects and output name the same file: same.ndjson"),
        ({"inputs": ["missing.ndjson"]}, FileNotFoundError, "No such file or directory"),
        ({"fail_fast": True, "max_rejects": 2}, ValueError, "give fail_fast or max_rejects, not both"),
        ({"mapping": "missing.yaml"}, mapper.MappingError, "mapping file not found: missing.yaml"),
    ],
)
def test_what_cannot_run_raises_before_anything_is_written(
        arguments: dict[str, Any], error: type[Exception], message: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    call: dict[str, Any] = {"mapping": CRM, "inputs": [CRM_FIXTURES / "full-contact.input.json"],
                            "output": "out.json", **arguments}
    with pytest.raises(error, match=re.escape(message)):
        mapper.convert_files(call.pop("mapping"), call.pop("inputs"), call.pop("output"), **call)
    assert os.listdir(tmp_path) == []


def test_an_output_that_cannot_hold_a_second_record_is_never_committed(tmp_path: Path) -> None:
    data = PEOPLE.parent
    rootless = tmp_path / "rootless.yaml"  # XML of one record element, no root around it
    rootless.write_text(f"""mapping: rootless
source: {{schema: {data / 'person.schema.json'}, format: ndjson}}
target: {{schema: {data / 'member.schema.json'}, format: xml, xml: {{record_element: member}}}}
rules: {{id: id, name: name, email: "lower(email)"}}
""", encoding="utf-8")
    output = tmp_path / "members.xml"
    with pytest.raises(mapper.ConversionError,
                       match="cannot write a second record: .* \\(or give output_format='ndjson'\\)"):
        mapper.convert_files(rootless, [data / "people.ndjson"], output)
    assert sorted(os.listdir(tmp_path)) == ["rootless.yaml"]


def test_an_input_whose_format_cannot_be_told_names_the_parameter_that_tells_it() -> None:
    with pytest.raises(mapper.ConversionError) as raised:
        validate_files({"type": "object"}, "schema", ["README.md"])
    error = raised.value
    assert str(error) == "cannot tell the format of README.md from its name: give input_format='json', 'ndjson', 'xml', 'csv' or 'tsv'"
    assert (error.message, error.parameter, error.values) == (
        "cannot tell the format of README.md from its name", "input_format", FORMAT_NAMES)
    assert error.advice("--from ", error.values) == \
        "cannot tell the format of README.md from its name: give --from json, ndjson, xml, csv or tsv"


@pytest.mark.parametrize("error", [
    mapper.ConversionError("cannot write out.json: it is a directory"),
    mapper.ConversionError("cannot write a second record: no root", parameter="output_format", values=("ndjson",),
                           alternative=True),
])
def test_a_conversion_error_pickles_with_its_fields(error: mapper.ConversionError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.parameter, again.values, again.alternative) == (
        str(error), error.parameter, error.values, error.alternative)


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("debug", [False, True])
def test_with_debug_the_observer_is_told_the_traceback_of_what_a_rule_raised(jobs: int, debug: bool) -> None:
    mapping = PEOPLE.with_name("people-in-domain.yaml")  # a person without a domain fails a built-in
    observer = _Recorder()
    counts = mapper.convert_files(mapping, [mapping.with_suffix(".ndjson")], io.BytesIO(), jobs=jobs,
                                  observer=observer, debug=debug)
    assert (counts.written, counts.rejected) == (1, 1)
    raised = [event for kind, event in observer.events if kind == "raised"]
    kinds = [kind for kind, _ in observer.events]
    if not debug:
        assert raised == []
        return
    assert kinds.index("raised") == kinds.index("rejected") + 1  # under the reject it belongs to
    [(where, traceback)] = raised
    assert where == f"{mapping.with_suffix('.ndjson')}:2, record 2, rule 'email' ({mapping}:10:3)"
    assert traceback.startswith("Traceback (most recent call last):\n")
    assert "TypeError: 'in <string>' requires string as left operand, not NoneType\n" in traceback
    assert "The above exception was the direct cause of the following exception:" in traceback


_person = st.one_of(
    st.builds(lambda n: {"id": n, "name": f"p{n}", "email": f"P{n}@EXAMPLE.ORG"}, st.integers(0, 10**6)),
    st.builds(lambda n: {"id": n, "name": f"p{n}"}, st.integers(0, 10**6)),  # no email: rejected
    st.just("{not json"),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(_person, max_size=20))
def test_every_record_read_is_written_or_rejected_in_order(people: list[Any]) -> None:
    data = "".join((p if isinstance(p, str) else json.dumps(p)) + "\n" for p in people).encode()
    out, rejects = io.BytesIO(), io.BytesIO()
    counts = mapper.convert_files(PEOPLE, ["-"], out, rejects=rejects, input_format="ndjson",
                                  output_format="ndjson", stdin=io.BytesIO(data))
    written = [json.loads(line) for line in out.getvalue().splitlines()]
    rejected = [json.loads(line)["record"] for line in rejects.getvalue().splitlines()]
    good = [p for p in people if isinstance(p, dict) and "email" in p]
    assert counts == Counts(len(people), len(good), len(people) - len(good))
    assert [member["id"] for member in written] == [p["id"] for p in good]
    assert rejected == [n for n, p in enumerate(people, 1) if not (isinstance(p, dict) and "email" in p)]


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ({"n": 1, "name": "Zoë"}, '{"record":1,"source":"x.xml","line":null,"input":{"n":1,"name":"Zoë"},"errors":[]}'),
        ({"n": float("nan")},
         '{"record":1,"source":"x.xml","line":null,"input":null,"errors":[],"text":"{\'n\': nan}"}'),
        ({"n": 2**70}, '{"record":1,"source":"x.xml","line":null,"input":{"n":1180591620717411303424},"errors":[]}'),
    ],
)
def test_a_reject_line_is_one_json_line_and_what_json_cannot_hold_goes_in_as_text(value: Any, line: str) -> None:
    assert reject_line(reject_record({"record": 1, "source": "x.xml", "line": None}, value, [])) == \
        line.encode() + b"\n"
