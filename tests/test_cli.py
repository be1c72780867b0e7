"""The command line through ``run()``, in process: options, messages, formats, reject lines.

The end-to-end runs of the installed ``mapper`` executable are in tests/test_cli_process.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from mapper.cli import run
from mapper.formats import FORMAT_NAMES, SUFFIXES
from mapper.mapping_file import mapping_file_schema

ROOT = Path(__file__).parent.parent
MAPPING = str(ROOT / "mappings" / "crm-contact-to-member.yaml")
CONTACT_FILE = ROOT / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.input.json"
DATA = ROOT / "tests" / "data" / "cli"
PEOPLE = str(DATA / "people-to-members.yaml")
CONTACT = json.loads(CONTACT_FILE.read_text("utf-8"))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(argv: list[str], stdin: bytes = b"", stderr: io.StringIO | None = None) -> tuple[int, str, str]:
    stdout, stderr = io.BytesIO(), stderr or io.StringIO()
    code = run(argv, io.BytesIO(stdin), stdout, stderr)
    return code, stdout.getvalue().decode("utf-8"), stderr.getvalue()


def _ndjson(*records: Any) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()


def test_convert_one_json_record_prints_one_member_and_a_summary() -> None:
    code, out, err = _run(["convert", MAPPING, str(CONTACT_FILE)])
    assert code == 0
    assert json.loads(out)["email_address"] == "jose.nunez@acme.example"
    assert err.startswith("mapper convert: 1 record read, 1 written, 0 rejected in ")
    assert err.endswith(" records/s)\n") and err.count("\n") == 1


def test_quiet_leaves_standard_error_empty() -> None:
    assert _run(["convert", MAPPING, str(CONTACT_FILE), "-q"])[2] == ""


def test_convert_ndjson_from_stdin_reports_rejects_and_keeps_going() -> None:
    stdin = _ndjson(CONTACT, "{not json", {"Id": "x", "LastName": "Doe"}, CONTACT)
    code, out, err = _run(["convert", MAPPING, "--from", "ndjson", "--to", "ndjson"], stdin)
    assert code == 1
    assert len(out.splitlines()) == 2
    assert "mapper: rejected: <stdin>:2:2, record 2: invalid JSON: Unexpected character" in err
    assert "mapper: rejected: <stdin>:3, record 3 (mapping crm-contact-to-member) failed with" in err
    assert "/email_address" in err
    assert "4 records read, 2 written, 2 rejected" in err


def test_reject_lines_hold_position_input_and_every_error(tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.ndjson"
    stdin = _ndjson(CONTACT, "{not json", {"Id": "x", "LastName": "Doe"})
    code, out, err = _run(["convert", MAPPING, "--from", "ndjson", "--to", "ndjson", "--rejects", str(rejects)],
                          stdin)
    assert code == 1 and len(out.splitlines()) == 1
    assert "rejected:" not in err and f"2 rejected (in {rejects})" in err
    unreadable, failed = [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
    assert unreadable == {
        "record": 2, "source": "<stdin>", "line": 2, "input": None, "text": "{not json",
        "errors": [{"stage": "input", "pointer": "", "line": 2, "column": 2,
                    "message": "invalid JSON: Unexpected character, expected a string key"}],
    }
    assert list(failed) == ["record", "source", "line", "input", "errors"]
    assert (failed["record"], failed["line"], failed["input"]) == (3, 3, {"Id": "x", "LastName": "Doe"})
    error = failed["errors"][0]
    assert error["stage"] == "target" and error["pointer"] == "/email_address"
    assert error["rule"] == "email_address" and error["rule_location"].endswith("crm-contact-to-member.yaml:17:3")
    assert "source_path" in error and "message" in error


def test_rejects_file_exists_even_when_nothing_is_rejected(tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.ndjson"
    assert _run(["convert", MAPPING, str(CONTACT_FILE), "--rejects", str(rejects)])[0] == 0
    assert rejects.read_bytes() == b""


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["convert", "missing.yaml"], 2, "mapper: error: mapping file not found: missing.yaml"),
        (["convert", MAPPING, "no-such-input.json"], 3, "mapper: error: no-such-input.json: No such file or directory"),
        (["convert"], 2, "mapper convert: the following arguments are required: mapping"),
        (["frobnicate"], 2, "mapper: argument COMMAND: invalid choice: 'frobnicate'"),
        (["convert", MAPPING, "--jobs", "x"], 2, "mapper convert: argument -j/--jobs: not a number: 'x'"),
        (["convert", MAPPING, "--fail-fast", "--max-rejects", "2"], 2,
         "mapper convert: argument --max-rejects: not allowed with argument --fail-fast"),
        (["convert", MAPPING, "--rejects", "-"], 2,
         "mapper: error: --rejects - writes to standard output: give the output a file with -o"),
        (["convert", MAPPING, "-o", "same.ndjson", "--rejects", "same.ndjson"], 2,
         "mapper: error: --rejects and --output name the same file"),
        (["convert", MAPPING, "-o", "/no/such/directory/out.json"], 2,
         "mapper: error: cannot write /no/such/directory/out.json: No such file or directory"),
        (["validate", str(ROOT / "schemas" / "crm" / "contact.schema.json")], 2,
         "mapper: error: cannot tell the format of standard input: give --from json, ndjson, xml, csv or tsv"),
        (["validate", str(ROOT / "schemas" / "crm" / "contact.schema.json"), "README.md"], 2,
         "mapper: error: cannot tell the format of README.md from its name: give --from json, ndjson, xml, csv or tsv"),
        (["validate", "missing.schema.json", "x.json"], 2, "mapper: error: schema or mapping file not found"),
        (["convert", MAPPING, str(CONTACT_FILE), "--from", "xml", "--records", "a//b"], 2,
         "mapper: error: records must be an absolute path of element names"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(argv: list[str], code: int, message: str) -> None:
    result_code, _, err = _run(argv)
    assert result_code == code
    assert err.startswith(message)
    assert "Traceback" not in err


def test_an_output_that_cannot_hold_a_second_record_names_the_option_that_can(tmp_path: Path) -> None:
    rootless = tmp_path / "rootless.yaml"  # XML of one record element, no root around it
    rootless.write_text(f"""mapping: rootless
source: {{schema: {DATA / 'person.schema.json'}, format: ndjson}}
target: {{schema: {DATA / 'member.schema.json'}, format: xml, xml: {{record_element: member}}}}
rules: {{id: id, name: name, email: "lower(email)"}}
""", encoding="utf-8")
    code, _, err = _run(["convert", str(rootless), str(DATA / "people.ndjson"), "-o", str(tmp_path / "out.xml")])
    assert code == 2
    checked, err = err.split("\n", 1)  # what mapper check finds comes first (nullable email into a required field)
    assert checked.startswith(f"{rootless}:4:") and " M204 error: " in checked
    assert err.startswith("mapper: error: cannot write a second record: ") and err.endswith(" (or give --to ndjson)\n")


def test_the_formats_the_options_offer_are_those_a_mapping_side_can_name(capsys: pytest.CaptureFixture[str]) -> None:
    side_formats = mapping_file_schema()["$defs"]["side"]["properties"]["format"]["enum"]
    assert tuple(side_formats) == FORMAT_NAMES
    assert _run(["convert", "--help"])[0] == 0  # argparse prints help to sys.stdout
    help_text = "".join(capsys.readouterr().out.split())  # however it wraps
    assert all(suffix in help_text for suffix in SUFFIXES)


def test_debug_adds_the_traceback() -> None:
    code, _, err = _run(["convert", "missing.yaml", "--debug"])
    assert code == 2 and err.startswith("Traceback") and err.endswith("mapping file not found: missing.yaml\n")


def test_malformed_json_input_says_where_and_exits_3(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Id": "x",\n  "LastName": }\n')
    code, out, err = _run(["convert", MAPPING, str(bad)])
    assert code == 3 and out == ""
    assert err.splitlines()[0] == f"mapper: error: {bad}:2:15: invalid JSON: Unexpected character, expected a JSON value"
    assert "could not be read to the end" in err.splitlines()[1]


@pytest.mark.parametrize(
    ("document", "argv", "expected"),
    [
        ('{"Id": "1"}', [], "object"),
        ('[{"Id": "1"}]', [], "array"),
        ("[]", [], "array"),
        ('{"data": {"contacts": [{"Id": "1"}, {"Id": "2"}]}}', ["--records", "data.contacts"], "array"),
        ('{"data": {"contacts": [{"Id": "1"}]}}', ["--records", "data.contacts[?Id == '1']"], "array"),
    ],
)
def test_json_output_is_one_record_only_for_a_one_record_document(
        tmp_path: Path, document: str, argv: list[str], expected: str) -> None:
    contact = {**CONTACT}
    source = tmp_path / "in.json"
    source.write_text(document.replace('{"Id": "1"}', json.dumps(contact)).replace('{"Id": "2"}', json.dumps(contact)))
    code, out, _ = _run(["convert", MAPPING, str(source), *argv])
    assert code == 0
    value = json.loads(out)
    assert isinstance(value, dict if expected == "object" else list)


def test_format_comes_from_the_flag_then_the_file_name_then_the_mapping(tmp_path: Path) -> None:
    lines = tmp_path / "contacts.jsonl"  # the mapping says json; the name says ndjson
    lines.write_bytes(_ndjson(CONTACT, CONTACT))
    code, out, _ = _run(["convert", MAPPING, str(lines), "-o", str(tmp_path / "members.ndjson")])
    assert (code, out) == (0, "")
    assert len((tmp_path / "members.ndjson").read_text("utf-8").splitlines()) == 2
    code, out, err = _run(["convert", MAPPING, "--from", "json"], _ndjson(CONTACT, CONTACT))
    assert code == 3 and "invalid JSON" in err


def test_xml_output_needs_a_root_for_several_records(tmp_path: Path) -> None:
    code, out, _ = _run(["convert", PEOPLE, str(DATA / "people.ndjson"), "-q"])
    assert code == 1
    assert out.startswith("<?xml version='1.0' encoding='utf-8'?>\n<members>\n  <member id=\"1\">")
    code, out, err = _run(["validate", PEOPLE, "--side", "target", "--from", "xml", "-q"], out.encode())
    assert (code, err) == (0, "")


def test_validate_reports_every_violation_of_a_bare_schema(tmp_path: Path) -> None:
    schema = str(DATA / "member.schema.json")
    stdin = _ndjson({"id": 1, "name": "a", "email": "a@b"}, {"id": "x", "name": ""}, "[")
    rejects = tmp_path / "invalid.ndjson"
    code, out, err = _run(["validate", schema, "--from", "ndjson", "--rejects", str(rejects)], stdin)
    assert (code, out) == (1, "")
    assert "3 records read, 1 valid, 2 invalid" in err
    invalid = [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
    assert [reject["record"] for reject in invalid] == [2, 3]
    assert {error["pointer"] for error in invalid[0]["errors"]} == {"/email", "/id", "/name"}
    assert {error["stage"] for error in invalid[0]["errors"]} == {"schema"}


def test_validate_against_a_mapping_source_side() -> None:
    code, _, err = _run(["validate", MAPPING, str(CONTACT_FILE)])
    assert code == 0 and "1 record read, 1 valid, 0 invalid" in err


def test_max_rejects_stops_and_says_so() -> None:
    stdin = _ndjson("{", "{", "{", CONTACT)
    code, out, err = _run(["convert", MAPPING, "--from", "ndjson", "--to", "ndjson", "--max-rejects", "2"], stdin)
    assert (code, out) == (1, "")
    assert "2 records read, 0 written, 2 rejected" in err
    assert err.endswith("mapper convert: stopped after 2 rejected records; the records after it were not read\n")


def test_values_json_cannot_hold_are_rejected_not_changed(tmp_path: Path) -> None:
    big = 123456789012345678901234567890
    stdin = _ndjson({"id": big, "name": "a", "email": "a@b"})
    code, out, _ = _run(["validate", str(DATA / "member.schema.json"), "--from", "ndjson"], stdin)
    assert code == 0
    code, out, _ = _run(["convert", PEOPLE, "--to", "ndjson"], stdin)
    assert code == 0 and json.loads(out)["id"] == big


def test_progress_shows_only_on_a_terminal_for_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mapper.cli._progress._INTERVAL", 0.0)
    source = tmp_path / "contacts.ndjson"
    source.write_bytes(_ndjson(*[CONTACT] * 3))
    code, _, err = _run(["convert", MAPPING, str(source), "-o", str(tmp_path / "out.json")], stderr=_Terminal())
    assert code == 0
    assert "\r[" in err and "records" in err and err.count("\r\x1b[K") >= 1
    assert err.splitlines()[-1].lstrip("\r\x1b[K").startswith("mapper convert: 3 records read")
    _, _, piped = _run(["convert", MAPPING, str(source), "-o", str(tmp_path / "out.json")])
    assert "\r" not in piped and "\x1b" not in piped
    _, _, from_stdin = _run(["convert", MAPPING, "--from", "ndjson", "-q"], source.read_bytes(), stderr=_Terminal())
    assert from_stdin == ""


def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("convert", "validate", "check", "test", "fuzz"):
        code, out, _ = _run([command, "--help"])
        assert code == 0
        assert "examples:" in capsys.readouterr().out


def test_an_unexpected_error_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("mapper.mapping.load", broken)  # convert imports the loader when it runs
    code, _, err = _run(["convert", MAPPING, str(CONTACT_FILE)])
    assert code == 2
    assert err == "mapper: internal error: RuntimeError: boom (run again with --debug for the traceback, and report it)\n"
