"""What `mapper convert` prints, byte for byte, as jq and json.dumps(indent=2) users expect it.

The README's first command is run as written (its `mapper convert` part) and its output compared
with the expected record laid out by `json.dumps(indent=2)`; arrays too, with workers as well.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
MAPPING = "mappings/crm-contact-to-member.yaml"
FIXTURES = ROOT / "mappings" / "crm-contact-to-member.fixtures"


def _convert(*argv: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([EXECUTABLE, "convert", *argv], cwd=ROOT, capture_output=True, timeout=120)


def _laid_out(document: object) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def test_the_readme_first_command_prints_the_record_as_json_dumps_indent_2() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", readme, re.S)[0]
    command = first.strip().split("&&")[-1].strip()
    argv = shlex.split(command)
    assert argv[:2] == ["mapper", "convert"]
    done = _convert(*argv[2:])
    assert done.returncode == 0, done.stderr
    expected = json.loads((FIXTURES / "full-contact.expected.json").read_text(encoding="utf-8"))
    assert done.stdout == _laid_out(expected)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_array_of_records_is_laid_out_as_json_dumps_indent_2(jobs: str) -> None:
    done = _convert(MAPPING, str(FIXTURES / "export-of-three-contacts.input.ndjson"), "--to", "json", "--jobs", jobs)
    assert done.returncode == 0, done.stderr
    expected = json.loads((FIXTURES / "export-of-three-contacts.expected.json").read_text(encoding="utf-8"))
    assert done.stdout == _laid_out(expected)


@pytest.mark.parametrize(
    ("options", "indent"),
    [(["--compact"], None), (["-c"], None), (["--indent", "4"], 4), (["--indent", "0"], None), ([], 2)],
)
def test_compact_and_indent_lay_out_json_output(options: list[str], indent: int | None) -> None:
    record = json.loads((FIXTURES / "full-contact.expected.json").read_text(encoding="utf-8"))
    single = _convert(MAPPING, str(FIXTURES / "full-contact.input.json"), *options)
    assert single.returncode == 0, single.stderr
    compact = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    assert single.stdout == ((compact if indent is None else json.dumps(record, indent=indent, ensure_ascii=False))
                             + "\n").encode("utf-8")
    many = _convert(MAPPING, str(FIXTURES / "export-of-three-contacts.input.ndjson"), "--to", "json", *options)
    records = json.loads(many.stdout)
    if indent is None:  # one record a line, inside the array's brackets
        lines = [json.dumps(each, ensure_ascii=False, separators=(",", ":")) for each in records]
        assert many.stdout == ("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8")
    else:
        assert many.stdout == _laid_out_with(records, indent)


def _laid_out_with(document: object, indent: int) -> bytes:
    return (json.dumps(document, indent=indent, ensure_ascii=False) + "\n").encode("utf-8")


@pytest.mark.parametrize(
    ("options", "message"),
    [(["--indent", "9"], "argument --indent: must be 0 to 8"),
     (["--compact", "--indent", "4"], "argument --indent: not allowed with argument -c/--compact")],
)
def test_layout_options_that_cannot_be(options: list[str], message: str) -> None:
    done = _convert(MAPPING, str(FIXTURES / "full-contact.input.json"), *options)
    assert done.returncode == 2
    assert message in done.stderr.decode("utf-8")


@pytest.mark.parametrize(
    "argv",
    [
        ["convert", MAPPING, "-o", "{out}", str(FIXTURES / "full-contact.input.json")],
        ["convert", MAPPING, "--to", "ndjson", str(FIXTURES / "full-contact.input.json"), "-o", "{out}"],
        ["validate", MAPPING, "--side", "target", str(FIXTURES / "full-contact.expected.json")],
        ["eval", "email_address", "--compact", str(FIXTURES / "full-contact.expected.json")],
        ["test", MAPPING, "--debug"],
    ],
    ids=["convert-o-between", "convert-options-around", "validate", "eval", "test"],
)
def test_options_may_stand_between_positionals(argv: list[str], tmp_path: Path) -> None:
    argv = [part.replace("{out}", str(tmp_path / "out.json")) for part in argv]
    done = subprocess.run([EXECUTABLE, *argv], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if "{out}" in " ".join(argv) or "-o" in argv:
        assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["email_address"] == \
            "jose.nunez@acme.example"


@pytest.mark.parametrize("existing", [None, b'[{"kept": true}]\n'], ids=["new", "existing"])
def test_an_input_that_breaks_before_any_record_leaves_nothing_at_o(existing: bytes | None, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{bad", encoding="utf-8")
    output = tmp_path / "out.json"
    if existing is not None:
        output.write_bytes(existing)
    done = _convert(MAPPING, str(tmp_path / "bad.json"), "-o", str(output))
    assert done.returncode == 3
    assert (output.read_bytes() if output.exists() else None) == existing
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bad.json"] + (["out.json"] if existing else [])


def test_an_empty_input_still_writes_a_json_document(tmp_path: Path) -> None:
    (tmp_path / "empty.ndjson").write_bytes(b"")
    done = _convert(MAPPING, str(tmp_path / "empty.ndjson"), "-o", str(tmp_path / "out.json"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.json").read_bytes() == b"[]\n"


def _readme_convert_commands() -> list[str]:
    """Every `mapper convert` the README gives a user to run: its first command and the Scenarios table's."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", readme, re.S)[0].strip().split("&&")[-1].strip()
    table = re.findall(r"^\|[^|]+\|[^|]+\| `(mapper convert [^`]+)` \|$", readme, re.M)
    return [first, *table]


README_COMMANDS = _readme_convert_commands()


@pytest.mark.parametrize("command", README_COMMANDS, ids=[shlex.split(each)[2] for each in README_COMMANDS])
def test_every_readme_command_prints_its_records_byte_for_byte(command: str) -> None:
    """What a user sees: the expected records, laid out as json.dumps(indent=2), and the summary alone on stderr
    (mapper check finds nothing to say about a shipped mapping)."""
    argv = shlex.split(command)
    assert argv[:2] == ["mapper", "convert"] and len(argv) == 4
    done = _convert(*argv[2:])
    assert done.returncode == 0, done.stderr
    case = re.sub(r"\.input\.\w+$", ".expected.json", argv[3])
    assert done.stdout == _laid_out(json.loads((ROOT / case).read_text(encoding="utf-8")))
    assert re.fullmatch(r"mapper convert: (\d+) records? read, \1 written, 0 rejected in [\d.]+ s "
                        r"\([\d,]+ records/s\)\n", done.stderr.decode("utf-8"))


def test_the_readme_commands_are_the_first_and_one_per_shipped_mapping() -> None:
    assert len(README_COMMANDS) == 1 + len(list((ROOT / "mappings").glob("*.yaml")))
