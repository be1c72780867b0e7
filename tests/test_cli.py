"""The command line, through ``run()`` and through the installed ``mapper`` executable."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mapper.cli import run

ROOT = Path(__file__).parent.parent
MAPPING = str(ROOT / "mappings" / "crm-contact-to-member.yaml")
CONTACT_FILE = ROOT / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.input.json"


def _run(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    stdout, stderr = io.BytesIO(), io.StringIO()
    code = run(argv, io.BytesIO(stdin), stdout, stderr)
    return code, stdout.getvalue().decode("utf-8"), stderr.getvalue()


def test_convert_one_json_record_prints_one_member() -> None:
    code, out, err = _run(["convert", MAPPING, str(CONTACT_FILE)])
    assert (code, err) == (0, "")
    member = json.loads(out)
    assert member["email_address"] == "jose.nunez@acme.example"


def test_convert_ndjson_from_stdin_reports_rejects_and_keeps_going() -> None:
    contact = json.loads(CONTACT_FILE.read_text("utf-8"))
    lines = [json.dumps(contact), "{not json", json.dumps({"Id": "x", "LastName": "Doe"}), json.dumps(contact)]
    code, out, err = _run(["convert", MAPPING, "--from", "ndjson", "--to", "ndjson"],
                          ("\n".join(lines) + "\n").encode())
    assert code == 1
    assert len(out.splitlines()) == 2
    assert "<stdin>:2:2, record 2: invalid JSON" in err
    assert "record 3 (mapping crm-contact-to-member) failed" in err and "/email_address" in err


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["convert", "missing.yaml"], 2, "mapper: error: mapping file not found: missing.yaml"),
        (["convert", MAPPING, "no-such-input.json"], 3, "mapper: error: no-such-input.json: No such file or directory"),
        (["convert"], 2, "mapper convert: the following arguments are required: mapping"),
        (["frobnicate"], 2, "mapper: argument COMMAND: invalid choice: 'frobnicate'"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(argv: list[str], code: int, message: str) -> None:
    result_code, _, err = _run(argv)
    assert result_code == code
    assert err.startswith(message)
    assert "Traceback" not in err


def test_malformed_json_input_says_where(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Id": "x",\n  "LastName": }\n')
    code, _, err = _run(["convert", MAPPING, str(bad)])
    assert code == 3
    assert err == f"mapper: error: {bad}:2:15: invalid JSON: Expecting value\n"


def test_the_installed_executable_converts_the_readme_example() -> None:
    executable = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
    done = subprocess.run([executable, "convert", MAPPING, str(CONTACT_FILE)], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "subscribed"
    version = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith("mapper ")
