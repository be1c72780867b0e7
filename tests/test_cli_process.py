"""The installed ``mapper`` executable as a user meets it: a process with files, pipes and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

ROOT = Path(__file__).parent.parent
MAPPING = str(ROOT / "mappings" / "crm-contact-to-member.yaml")
FIXTURES = ROOT / "mappings" / "crm-contact-to-member.fixtures"
CONTACT = json.loads((FIXTURES / "full-contact.input.json").read_text("utf-8"))
METAR = str(ROOT / "mappings" / "metar-to-observation.yaml")
METAR_INPUT = str(ROOT / "mappings" / "metar-to-observation.fixtures" / "two-stations-repeated-sky-conditions.input.xml")
DATA = ROOT / "tests" / "data" / "cli"
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


def mapper(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([EXECUTABLE, *argv], input=stdin, capture_output=True, timeout=120)


def contact(number: int, **changes: Any) -> str:
    return json.dumps({**CONTACT, "Id": f"003{number:015d}", **changes}, ensure_ascii=False)


def mixed_lines(count: int) -> list[str]:
    """Good contacts, with an unparsable line every 7th and a contact without email every 11th."""
    lines = []
    for number in range(1, count + 1):
        if number % 7 == 0:
            lines.append('{"Id": "broken", ')
        elif number % 11 == 0:
            lines.append(contact(number, Emails=[]))
        else:
            lines.append(contact(number))
    return lines


def test_a_mixed_file_ends_in_the_output_or_the_rejects_every_record(tmp_path: Path) -> None:
    lines = mixed_lines(40)
    source = tmp_path / "contacts.ndjson"
    source.write_text("\n".join(lines) + "\n\n", encoding="utf-8")  # a blank line is no record
    output, rejects = tmp_path / "members.ndjson", tmp_path / "rejects.ndjson"
    done = mapper("convert", MAPPING, str(source), "-o", str(output), "--rejects", str(rejects))
    assert done.returncode == 1
    assert done.stdout == b""
    written = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    rejected = [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
    written_ids = {int(member["external_id"][3:]) for member in written}
    rejected_numbers = {reject["record"] for reject in rejected}
    assert written_ids | rejected_numbers == set(range(1, 41))
    assert not written_ids & rejected_numbers
    assert rejected_numbers == {n for n in range(1, 41) if n % 7 == 0 or n % 11 == 0}
    for reject in rejected:
        assert reject["source"] == str(source) and reject["line"] == reject["record"]
        if reject["record"] % 7 == 0:
            assert reject["input"] is None and reject["text"] == '{"Id": "broken", '
            assert reject["errors"][0]["stage"] == "input"
        else:
            assert reject["input"]["Emails"] == []
            assert any(error["pointer"] == "/email_address" for error in reject["errors"])
    assert done.stderr.decode() .startswith(f"mapper convert: 40 records read, {len(written)} written, "
                                            f"{len(rejected)} rejected (in {rejects}) in ")
    assert done.stderr.count(b"\n") == 1


def test_through_a_pipe_rejects_go_to_stderr_and_no_progress_shows(tmp_path: Path) -> None:
    lines = mixed_lines(14)
    done = mapper("convert", MAPPING, "--from", "ndjson", "--to", "ndjson", stdin="\n".join(lines).encode())
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 11
    err = done.stderr.decode()
    assert err.count("mapper: rejected: ") == 3
    assert "mapper: rejected: <stdin>:7:" in err and "record 7: invalid JSON" in err
    assert "mapper: rejected: <stdin>:11, record 11 (mapping crm-contact-to-member) failed" in err
    assert err.splitlines()[-1].startswith("mapper convert: 14 records read, 11 written, 3 rejected in ")
    assert "\r" not in err and "\x1b" not in err


def test_convert_then_validate_in_a_pipeline(tmp_path: Path) -> None:
    converted = mapper("convert", MAPPING, str(FIXTURES / "export-of-three-contacts.input.ndjson"), "--to", "ndjson")
    assert converted.returncode == 0
    checked = mapper("validate", MAPPING, "--side", "target", "--from", "ndjson", stdin=converted.stdout)
    assert checked.returncode == 0
    assert checked.stderr.decode().startswith("mapper validate: 3 records read, 3 valid, 0 invalid in ")
    broken = mapper("validate", MAPPING, "--side", "target", "--from", "ndjson", stdin=b'{"status": "x"}\n')
    assert broken.returncode == 1 and b"mapper: rejected: <stdin>:1, record 1 failed with" in broken.stderr


def test_jobs_keep_the_order_and_the_outcome(tmp_path: Path) -> None:
    source = tmp_path / "contacts.ndjson"
    source.write_text("\n".join(mixed_lines(2500)) + "\n", encoding="utf-8")
    runs = {}
    for jobs in ("1", "2"):
        output, rejects = tmp_path / f"out-{jobs}.ndjson", tmp_path / f"rejects-{jobs}.ndjson"
        done = mapper("convert", MAPPING, str(source), "-o", str(output), "--rejects", str(rejects), "--jobs", jobs)
        assert done.returncode == 1, done.stderr
        runs[jobs] = (output.read_bytes(), rejects.read_bytes())
    assert runs["1"] == runs["2"]
    ids = [json.loads(line)["external_id"] for line in runs["2"][0].splitlines()]
    assert ids == sorted(ids) and len(ids) == 2500 - len(runs["2"][1].splitlines())


def test_jobs_read_blank_lines_crlf_and_a_last_line_without_newline_as_one_process(tmp_path: Path) -> None:
    # About 2.7 MB: several blocks of whole lines (BLOCK_SIZE is 1 MiB), with blank lines, CRLF
    # endings and a final line without newline; the line numbers in the rejects must not shift.
    lines = mixed_lines(2400)
    text = "".join(line + ("\r\n" if number % 5 else "\n  \n\n") for number, line in enumerate(lines, 1))
    source = tmp_path / "contacts.ndjson"
    source.write_text(text.rstrip("\r\n "), encoding="utf-8")
    runs = {}
    for jobs in ("1", "2"):
        output, rejects = tmp_path / f"out-{jobs}.ndjson", tmp_path / f"rejects-{jobs}.ndjson"
        done = mapper("convert", MAPPING, str(source), "-o", str(output), "--rejects", str(rejects), "--jobs", jobs)
        assert done.returncode == 1, done.stderr
        assert b"2,400 records read" in done.stderr
        runs[jobs] = (output.read_bytes(), rejects.read_bytes())
    assert runs["1"] == runs["2"]
    rejected = [json.loads(line) for line in runs["2"][1].splitlines()]
    physical = text.split("\n")
    for reject in rejected:
        assert json.loads(physical[reject["line"] - 1].rstrip("\r") if reject["input"] else "null") == reject["input"]
        assert reject["record"] == reject["line"] - 2 * ((reject["record"] - 1) // 5)


def test_fail_fast_with_jobs_stops_early(tmp_path: Path) -> None:
    source = tmp_path / "contacts.ndjson"
    source.write_text("\n".join(mixed_lines(3000)) + "\n", encoding="utf-8")
    done = mapper("convert", MAPPING, str(source), "--to", "ndjson", "--jobs", "2", "--fail-fast")
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 6  # records 1-6; record 7 is the first broken line
    err = done.stderr.decode()
    assert "7 records read, 6 written, 1 rejected" in err
    assert err.endswith("stopped after 1 rejected record; the records after it were not read\n")


def test_xml_in_and_xml_out(tmp_path: Path) -> None:
    done = mapper("convert", METAR, METAR_INPUT, "--to", "ndjson")
    assert done.returncode == 0, done.stderr
    stations = [json.loads(line)["station_id"] for line in done.stdout.splitlines()]
    assert stations == ["KSEA", "KJFK"]
    output = tmp_path / "members.xml"
    people = str(DATA / "people-to-members.yaml")
    done = mapper("convert", people, str(DATA / "people.ndjson"), "-o", str(output), "--jobs", "2")
    assert done.returncode == 1
    root = etree.parse(str(output)).getroot()
    assert root.tag == "members" and [member.get("id") for member in root] == ["1", "2", "5"]
    assert b"record 3 (mapping people-to-members) failed" in done.stderr
    assert b"5 records read, 3 written, 2 rejected" in done.stderr


def test_an_unreadable_input_exits_3_after_converting_what_came_before(tmp_path: Path) -> None:
    metar = Path(METAR_INPUT).read_text("utf-8")
    cut = metar[: metar.index("</METAR>", metar.index("</METAR>") + 1) - 20]  # inside the second record
    source = tmp_path / "cut.xml"
    source.write_text(cut, encoding="utf-8")
    done = mapper("convert", METAR, str(source), "--to", "ndjson")
    assert done.returncode == 3
    assert len(done.stdout.splitlines()) == 1
    err = done.stderr.decode()
    assert f"mapper: error: {source}:" in err and "malformed XML" in err and "Traceback" not in err


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("to_file", [False, True], ids=["rejects-on-stderr", "rejects-in-a-file"])
def test_debug_shows_the_traceback_of_what_a_rule_raised_under_its_reject(
        jobs: str, to_file: bool, tmp_path: Path) -> None:
    mapping = DATA / "people-in-domain.yaml"  # a person without a domain fails a built-in
    people, rejects = DATA / "people-in-domain.ndjson", tmp_path / "rejects.ndjson"
    argv = ["convert", str(mapping), str(people), "-o", str(tmp_path / "members.ndjson"), "--jobs", jobs, "--quiet"]
    if to_file:
        argv += ["--rejects", str(rejects)]
    runs, reject_files = [], []
    for debug in ([], ["--debug"]):
        runs.append(mapper(*argv, *debug))
        assert runs[-1].returncode == 1
        reject_files.append(rejects.read_bytes() if to_file else b"")
    # What mapper check finds comes first, once: the rule reads a field the source schema lacks.
    checked = [done.stderr.decode().partition("\n") for done in runs]
    assert all(line.endswith("people-in-domain.yaml:10:27: M301 error: the source schema has no field 'domain' "
                             "in the source record") for line, _, _ in checked)
    plain, debugged = (rest for _, _, rest in checked)
    reject_text = plain  # the reject's own lines; nothing when they go to the file
    assert reject_text.startswith(f"mapper: rejected: {people}:2, record 2") != to_file
    assert "Traceback" not in reject_text
    header = f"mapper: traceback of {people}:2, record 2, rule 'email' ({mapping}:10:3):\n"
    stderr = debugged
    assert stderr.startswith(reject_text + header)
    shown = stderr[len(reject_text + header):]
    assert shown.startswith("Traceback (most recent call last):\n")
    assert "TypeError: 'in <string>' requires string as left operand, not NoneType\n" in shown
    assert shown.rstrip("\n").endswith("FunctionError: contains(): TypeError: 'in <string>' requires string as "
                                        "left operand, not NoneType")
    assert reject_files[0] == reject_files[1]  # the rejects file does not change


def test_version_and_help() -> None:
    version = mapper("--version")
    assert version.returncode == 0 and version.stdout.decode().startswith("mapper ")
    helped = mapper("validate", "--help")
    assert helped.returncode == 0 and b"examples:" in helped.stdout


@pytest.fixture(scope="module")
def big_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 20 MB of contacts: seconds of work, long enough to interrupt."""
    source = tmp_path_factory.mktemp("big") / "contacts.ndjson"
    with source.open("w", encoding="utf-8") as stream:
        for number in range(1, 20001):
            stream.write(contact(number) + "\n")
    return source


def _start_and_wait_for_output(big_input: Path, directory: Path) -> tuple[subprocess.Popen[bytes], Path]:
    output = directory / "members.ndjson"
    process = subprocess.Popen([EXECUTABLE, "convert", MAPPING, str(big_input), "-o", str(output)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        partial = list(directory.glob(".members.ndjson.partial-*"))
        if partial and partial[0].stat().st_size > 100_000:
            return process, partial[0]
        assert process.poll() is None, "finished before it could be interrupted"
        time.sleep(0.02)
    raise AssertionError("no output being written")


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGINT"])
def test_an_interrupted_conversion_leaves_no_file_under_the_final_name(
        big_input: Path, tmp_path: Path, how: str) -> None:
    process, partial = _start_and_wait_for_output(big_input, tmp_path)
    process.send_signal(getattr(signal, how))
    _, err = process.communicate(timeout=60)
    assert not (tmp_path / "members.ndjson").exists()
    if how == "SIGKILL":
        assert process.returncode == -signal.SIGKILL
        assert partial.exists()  # only SIGKILL can leave the temporary file, never the final name
    else:
        assert process.returncode == {"SIGTERM": 143, "SIGINT": 130}[how]
        assert not partial.exists() and os.listdir(tmp_path) == []
        assert err.decode().endswith({"SIGTERM": "mapper: terminated\n", "SIGINT": "mapper: interrupted\n"}[how])
        assert "Traceback" not in err.decode()


def test_a_reader_that_goes_away_ends_the_conversion_quietly(tmp_path: Path) -> None:
    source = tmp_path / "contacts.ndjson"
    source.write_text("\n".join(contact(number) for number in range(1, 20001)) + "\n", encoding="utf-8")
    # mapper convert ... | head -1
    converting = subprocess.Popen([EXECUTABLE, "convert", MAPPING, str(source), "--to", "ndjson"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert converting.stdout is not None and converting.stderr is not None
    first = converting.stdout.readline()
    converting.stdout.close()
    errors = converting.stderr.read()
    assert converting.wait(timeout=120) == 141  # 128 + SIGPIPE, as a shell tool ends
    assert json.loads(first)["external_id"] == "003000000000000001" and errors == b""


# -- mapper eval: one expression, no mapping ------------------------------------------------------


def test_eval_prints_the_result_of_an_expression_on_a_file() -> None:
    done = mapper("eval", "Emails[?IsPrimary] | [0].Address", str(FIXTURES / "full-contact.input.json"))
    assert (done.returncode, done.stdout, done.stderr) == (0, b'"  Jose.Nunez@Acme.example "\n', b"")


def test_eval_reads_standard_input() -> None:
    done = mapper("eval", "-r", "upper(LastName)", stdin=json.dumps(CONTACT).encode())
    assert (done.returncode, done.stdout.decode(), done.stderr) == (0, "NÚÑEZ GARCÍA\n", b"")
    indented = mapper("eval", "Emails[].Type", "-", stdin=json.dumps(CONTACT).encode())
    assert indented.stdout.decode() == json.dumps(["Personal", "Work"], indent=2) + "\n"


@pytest.mark.parametrize(("expression", "message"), [
    ("Emails[?IsPrimary", "mapper: error: the expression ends too early (is a bracket, brace or parenthesis left open?) "
                          "(column 18 of the expression)\n  Emails[?IsPrimary\n                   ^\n"),
    ("sum(Emails[].Type)", 'mapper: error: sum(): argument 1 must be an array of numbers, but it holds the string '
                           '"Personal" (column 1 of the expression)\n  sum(Emails[].Type)\n  ^\n'),
])
def test_eval_errors_in_the_expression_exit_2_with_a_caret(expression: str, message: str) -> None:
    done = mapper("eval", expression, stdin=json.dumps(CONTACT).encode())
    assert (done.returncode, done.stdout, done.stderr.decode()) == (2, b"", message)


def test_eval_of_malformed_json_exits_3_with_line_and_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "a": 1,\n  "b": }\n', encoding="utf-8")
    done = mapper("eval", "a", str(broken))
    assert (done.returncode, done.stdout) == (3, b"")
    assert done.stderr.decode() == f"mapper: error: {broken}:3:8: invalid JSON: Unexpected character, expected a JSON value\n"
