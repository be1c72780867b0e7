"""``mapper convert`` says what ``mapper check`` knows (issue 14, item 6) and has the options check, test and fuzz
have (item 7): ``--strict``, ``--functions MODULE``, ``--validate-source`` / ``--no-validate-source``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mapper.cli import build_parser

ROOT = Path(__file__).parent.parent
MAPPING = ROOT / "mappings" / "crm-contact-to-member.yaml"
CONTACT = ROOT / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.input.json"
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
MISSPELT = "COMPANY: Acount.Name"
M301 = ("mapping.yaml:28:14: M301 error: the source schema has no field 'Acount' in the source record "
        "(did you mean 'Account'?)")


def mapper(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXECUTABLE, *argv], capture_output=True, text=True, timeout=120, cwd=cwd)


def write_mapping(directory: Path, *changes: tuple[str, str]) -> Path:
    """The shipped CRM mapping in ``directory`` with ``changes`` (old, new) made, its schemas where they are."""
    text = MAPPING.read_text("utf-8").replace("../schemas/", f"{ROOT / 'schemas'}/")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    path = directory / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_misspelt_source_field_is_said_once_and_the_records_still_convert(tmp_path: Path) -> None:
    write_mapping(tmp_path, ("COMPANY: Account.Name", MISSPELT))
    done = mapper("convert", "mapping.yaml", str(CONTACT), "--quiet", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr == M301 + "\n"
    assert "COMPANY" not in json.loads(done.stdout)["merge_fields"]
    checked = mapper("check", "mapping.yaml", cwd=tmp_path)
    assert checked.stdout == M301 + "\n"  # the same line mapper check prints


def test_strict_converts_nothing_when_check_finds_an_error(tmp_path: Path) -> None:
    write_mapping(tmp_path, ("COMPANY: Account.Name", MISSPELT))
    done = mapper("convert", "mapping.yaml", str(CONTACT), "-o", "out.json", "--strict", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        M301, "mapper: error: mapper check finds 1 error in mapping.yaml: with --strict nothing is converted"]
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("mapping", sorted((ROOT / "mappings").glob("*.yaml")), ids=lambda path: path.stem)
def test_a_shipped_mapping_converts_its_fixtures_under_strict_without_a_word(mapping: Path) -> None:
    fixtures = mapping.with_suffix(".fixtures")
    case = next(path for path in sorted(fixtures.glob("*.input.*"))
                if path.name.replace(".input.", ".expected.").rsplit(".", 1)[0] + ".json"
                in {expected.name for expected in fixtures.glob("*.expected.json")})
    done = mapper("convert", str(mapping), str(case), "--strict", "--quiet", cwd=ROOT)
    assert (done.returncode, done.stderr) == (0, "")


def test_warnings_are_left_to_check(tmp_path: Path) -> None:
    write_mapping(tmp_path, ("vip: \"Account.Tier__c == 'Strategic'\"", "vip: {todo: from the account tier}"))
    assert "W406" in mapper("check", "mapping.yaml", cwd=tmp_path).stdout
    done = mapper("convert", "mapping.yaml", str(CONTACT), "--quiet", "--strict", cwd=tmp_path)
    assert "W406" not in done.stderr


def test_functions_of_a_module_are_known_to_convert(tmp_path: Path) -> None:
    write_mapping(tmp_path, ("FNAME: FirstName", "FNAME: shout(FirstName)"))
    (tmp_path / "my_functions.py").write_text(
        "from mapper.functions import jmespath_function\n\n"
        "@jmespath_function()\n"
        "def shout(value: str) -> str:\n"
        "    return value.upper() + '!'\n", encoding="utf-8")
    without = mapper("convert", "mapping.yaml", str(CONTACT), cwd=tmp_path)
    assert without.returncode == 2
    assert without.stderr.startswith("mapper: error: mapping.yaml:")
    assert "unknown function shout()" in without.stderr
    done = mapper("convert", "mapping.yaml", str(CONTACT), "--functions", "my_functions", "--quiet", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["merge_fields"]["FNAME"] == "JOSÉ!"


@pytest.mark.parametrize(("options", "in_mapping", "code"), [
    ([], "", 0),                                        # default: as the mapping says (off)
    (["--validate-source"], "", 1),
    ([], ", validate: true", 1),
    (["--no-validate-source"], ", validate: true", 0),
    (["--no-validate-source"], "", 0),
])
def test_source_validation_is_switched_on_the_command_line(
        options: list[str], in_mapping: str, code: int, tmp_path: Path) -> None:
    write_mapping(tmp_path, ("format: json}\ntarget", f"format: json{in_mapping}}}\ntarget"))
    contact = json.loads(CONTACT.read_text("utf-8"))
    (tmp_path / "contact.json").write_text(json.dumps({**contact, "Id": "not an id"}), encoding="utf-8")
    done = mapper("convert", "mapping.yaml", "contact.json", "--quiet", *options, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert ("does not match the pattern" in done.stderr) == (code == 1)


@pytest.mark.parametrize("option", [["--functions", "my_functions"], ["--validate-source"], ["--no-validate-source"]])
def test_options_the_dask_engine_cannot_honour_are_refused(option: list[str], tmp_path: Path) -> None:
    done = mapper("convert", str(MAPPING), str(CONTACT), "--engine", "dask", "-o", "out", *option, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "mapper: error: --functions and --(no-)validate-source do not apply to --engine dask\n"


def test_the_options_are_the_ones_check_test_and_fuzz_have() -> None:
    commands = build_parser().commands
    helps = {name: {action.dest: action.help for action in commands[name]._actions}
             for name in ("convert", "check", "test", "fuzz")}
    assert len({each["functions"] for each in helps.values()}) == 1


def test_a_mapping_that_does_not_load_has_every_unknown_function_said(tmp_path: Path) -> None:
    write_mapping(tmp_path, ('"lower(trim(', '"lowr(trim('), ("concat('crm:', @)", "concatt('crm:', @)"))
    done = mapper("convert", "mapping.yaml", str(CONTACT), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    lines = done.stderr.splitlines()
    assert lines[:2] == ["mapping.yaml:17:19: M104 error: unknown function lowr() (did you mean lower()?)",
                         "mapping.yaml:46:12: M104 error: unknown function concatt() (did you mean concat()?)"]
    assert lines[2].startswith("mapper: error: mapping.yaml:17:19: unknown function lowr()")


def test_a_mapping_with_one_fault_has_it_said_once(tmp_path: Path) -> None:
    write_mapping(tmp_path, ('"lower(trim(', '"lowr(trim('))
    done = mapper("convert", "mapping.yaml", str(CONTACT), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0].startswith("mapper: error: mapping.yaml:17:19: unknown function lowr()")
    assert "M104" not in done.stderr
