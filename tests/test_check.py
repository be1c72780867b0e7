"""``mapper check`` against the corpus of broken mappings in tests/data/check/, and the shipped mappings.

A corpus case is one YAML file: the mapping text, its schemas (a file name in
tests/data/check/schemas/ or an inline schema; person and member by default),
options, and ``expected``: the exact lines ``mapper check`` prints for it
(empty for a clean mapping). Each line holds file:line:column, the code and
the message, so a case pins the code, the place and the wording at once.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mapper.cli import run
from mapper.documents import parse_yaml
from mapper.errors import Location
from mapper.tooling.check import CODES, check_file
from mapper.tooling.check.report import Diagnostic, format_github, format_json

ROOT = Path(__file__).parent.parent
CORPUS = Path(__file__).parent / "data" / "check"
CASES = sorted(CORPUS.glob("*.yaml"))
SHIPPED = sorted((ROOT / "mappings").glob("*.yaml"))


def _write_case(case: dict[str, Any], directory: Path) -> None:
    (directory / "mapping.yaml").write_text(case["mapping"], encoding="utf-8")
    for side, default in (("source", "person"), ("target", "member")):
        schema = case.get(f"{side}_schema", default)
        if isinstance(schema, str):
            shutil.copy(CORPUS / "schemas" / f"{schema}.schema.json", directory / f"{side}.schema.json")
        else:
            (directory / f"{side}.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    for name, content in case.get("files", {}).items():  # the files a mapping names (sub-mappings)
        (directory / name).write_text(content, encoding="utf-8")


def _case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = parse_yaml(path.read_text(encoding="utf-8"), path.name).data
    return case


@pytest.mark.parametrize("case_file", CASES, ids=[path.stem for path in CASES])
def test_corpus_case(case_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _case(case_file)
    _write_case(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    found = check_file("mapping.yaml", **case.get("options", {}))
    assert [str(diagnostic) for diagnostic in found] == (case.get("expected") or "").splitlines()


def test_the_corpus_covers_every_code() -> None:
    expected = "\n".join(_case(path).get("expected") or "" for path in CASES)
    missing = [code for code in CODES if f" {code} " not in expected and code != "M109"]
    assert missing == []


@pytest.mark.parametrize("case_file", CASES, ids=[path.stem for path in CASES])
def test_corpus_case_is_described_and_named_by_its_code(case_file: Path) -> None:
    case = _case(case_file)
    assert case.get("description")
    code = case_file.stem.split("-")[0].upper()
    if code != "CLEAN":
        assert f" {code} " in case["expected"]
    else:
        assert not case.get("expected")


@pytest.mark.parametrize("mapping", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_shipped_mapping_checks_clean(mapping: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    found = check_file(mapping.relative_to(ROOT))
    assert [str(diagnostic) for diagnostic in found] == []


# -- output formats and the command line ----------------------------------------------------------

DIAGNOSTICS = [
    Diagnostic("M301", "the source schema has no field 'frist' in the source at name (did you mean 'first'?)",
               Location("mappings/a.yaml", 7, 23), "display_name"),
    Diagnostic("W402", "the rule can only ever yield null ('index()')", Location("mappings/a.yaml", 9, 5), "age"),
]


def test_github_format_is_workflow_commands() -> None:
    assert format_github(DIAGNOSTICS).splitlines() == [
        ("::error file=mappings/a.yaml,line=7,col=23,title=M301::the source schema has no field 'frist' in the "
         "source at name (did you mean 'first'?)"),
        "::warning file=mappings/a.yaml,line=9,col=5,title=W402::the rule can only ever yield null ('index()')",
    ]


def test_github_format_escapes_what_workflow_commands_reserve() -> None:
    diagnostic = Diagnostic("M102", "100% wrong\nreally", Location("a,b:c.yaml", 1, 2))
    assert format_github([diagnostic]) == "::error file=a%2Cb%3Ac.yaml,line=1,col=2,title=M102::100%25 wrong%0Areally\n"


def test_json_format_is_a_list_of_objects() -> None:
    assert json.loads(format_json(DIAGNOSTICS))[0] == {
        "file": "mappings/a.yaml", "line": 7, "column": 23, "code": "M301", "severity": "error",
        "message": "the source schema has no field 'frist' in the source at name (did you mean 'first'?)",
        "rule": "display_name",
    }


def _run(argv: list[str]) -> tuple[int, str, str]:
    stdout, stderr = io.BytesIO(), io.StringIO()
    code = run(argv, io.BytesIO(), stdout, stderr)
    return code, stdout.getvalue().decode("utf-8"), stderr.getvalue()


@pytest.fixture
def corpus_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A mappings/ folder with one broken and one clean mapping (with a warning)."""
    folder = tmp_path / "mappings"
    folder.mkdir()
    for name in ("m301-unknown-source-field", "w402-always-null"):
        _write_case(_case(CORPUS / f"{name}.yaml"), folder)
        (folder / "mapping.yaml").rename(folder / f"{name}.yaml")
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.mark.parametrize(
    ("argv", "code", "lines"),
    [
        (["check"], 1, 7),
        (["check", "mappings/w402-always-null.yaml"], 0, 2),
        (["check", "mappings/w402-always-null.yaml", "--strict"], 1, 2),
        (["check", "--format", "github"], 1, 7),
    ],
)
def test_check_command_exit_codes(corpus_dir: Path, argv: list[str], code: int, lines: int) -> None:
    result, out, _ = _run(argv)
    assert (result, len(out.splitlines())) == (code, lines)


def test_check_command_text_output_ends_with_a_summary(corpus_dir: Path) -> None:
    _, out, err = _run(["check"])
    assert out.splitlines()[0] == ("mappings/m301-unknown-source-field.yaml:5:7: M301 error: the source schema has "
                                   "no field 'ID' in the source record (did you mean 'id'?)")
    assert err == "2 mappings checked: 5 errors, 2 warnings\n"


def test_check_command_json_output(corpus_dir: Path) -> None:
    _, out, _ = _run(["check", "--format", "json", "mappings/w402-always-null.yaml"])
    assert [item["code"] for item in json.loads(out)] == ["W402", "W402"]


def test_check_command_without_mappings_folder_is_a_usage_error(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(["check"])
    assert (code, err) == (2, "mapper: error: no mappings/ directory here: name the mapping files to check\n")


def test_a_missing_mapping_file_is_reported_as_m100(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["check", "nope.yaml"])
    assert (code, out) == (1, "nope.yaml: M100 error: mapping file not found\n")


# -- documentation --------------------------------------------------------------------------------

CI_DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_is_documented_with_an_example(code: str) -> None:
    section = CI_DOC.split(f"#### {code}: ", 1)
    assert len(section) == 2, f"docs/ci.md has no section for {code}"
    body = section[1].split("\n#### ", 1)[0]
    assert code == "M109" or f" {code} " in body


def test_the_documented_output_lines_are_what_check_prints() -> None:
    corpus = "\n".join(_case(path).get("expected") or "" for path in CASES).splitlines()
    documented = [line for line in CI_DOC.splitlines() if line.startswith("mapping.yaml:")]
    assert documented
    assert [line for line in documented if line not in corpus] == []


def _commands(text: str) -> list[list[str]]:
    import shlex

    found = []
    for line in text.splitlines():
        line = line.strip().removeprefix("- run: ")
        for part in line.split(";"):
            part = part.strip().removeprefix("do ").split("#")[0].split("||")[0].strip()
            if part.startswith("mapper ") and "$" not in part:
                found.append(shlex.split(part)[1:])
    return found


def test_the_documented_commands_parse() -> None:
    from mapper.cli import build_parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci_section = readme.split("## In CI", 1)[1].split("\n## ", 1)[0]
    hooks = parse_yaml((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"), "hooks").data
    commands = _commands(CI_DOC) + _commands(ci_section) + [hook["entry"].split()[1:] for hook in hooks]
    assert len(commands) > 10
    parser = build_parser()
    for argv in commands:
        parser.parse_args(argv)
    assert {hook["id"] for hook in hooks} == {"mapper-check", "mapper-test"}


def test_user_functions_are_known_with_the_functions_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _case(CORPUS / "m104-unknown-function.yaml")
    case["mapping"] = case["mapping"].replace("uppercase(name.last)", "shout(name.last)")
    _write_case(case, tmp_path)
    (tmp_path / "my_functions.py").write_text(
        "from mapper.functions import jmespath_function\n\n"
        "@jmespath_function()\n"
        "def shout(value: str) -> str:\n"
        "    return value.upper() + '!'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _run(["check", "mapping.yaml"])[:2] == (
        1, "mapping.yaml:6:18: M104 error: unknown function shout(); docs/functions.md lists every function\n")
    assert _run(["check", "mapping.yaml", "--functions", "my_functions"])[:2] == (0, "")


# -- silencing with ignore:, through the real process ---------------------------------------------

EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


def _process(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXECUTABLE, *argv], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def silenced(tmp_path: Path) -> Path:
    """A mapping whose only errors are silenced by ignore: (and one with an error left too)."""
    case = _case(CORPUS / "m205-silenced-by-ignore.yaml")
    _write_case(case, tmp_path)
    only_ignored = case["mapping"].replace('  age: {from: age, default: "unknown"}\n', "")
    assert only_ignored != case["mapping"]
    (tmp_path / "only-ignored.yaml").write_text(only_ignored, encoding="utf-8")
    return tmp_path


def test_silenced_findings_are_listed_in_json_marked_ignored(silenced: Path) -> None:
    done = _process(["check", "--format", "json", "mapping.yaml"], silenced)
    found = json.loads(done.stdout)
    assert [(item["code"], item["line"], item.get("ignored", False)) for item in found] == [
        ("M205", 7, True), ("M301", 11, True), ("M205", 12, True), ("M205", 13, False)]
    assert found[0]["rule"] == "email"
    assert done.returncode == 1


def test_silenced_findings_are_not_counted_nor_printed(silenced: Path) -> None:
    done = _process(["check", "only-ignored.yaml"], silenced)
    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == "1 mapping checked: 0 errors, 0 warnings, 3 ignored\n"
    assert _process(["check", "--format", "json", "only-ignored.yaml"], silenced).returncode == 0


def test_silenced_findings_are_left_out_of_github_annotations(silenced: Path) -> None:
    done = _process(["check", "--format", "github", "mapping.yaml"], silenced)
    assert done.stdout.splitlines() == [
        "::error file=mapping.yaml,line=13,col=3,title=M205::its default \"unknown\" is invalid for the target: "
        "cannot convert 'unknown' to an integer without losing information"]


def test_text_summary_counts_what_is_not_silenced(silenced: Path) -> None:
    done = _process(["check", "mapping.yaml"], silenced)
    assert done.stderr == "1 mapping checked: 1 error, 0 warnings, 3 ignored\n"
    assert len(done.stdout.splitlines()) == 1


# -- check fails what convert refuses (issue 13, item 10) -----------------------------------------

@pytest.mark.parametrize(("case_name", "code", "convert_says"), [
    ("m111-records-syntax", "M111", "is not a JMESPath expression"),
    ("m110-invalid-regex", "M110", "invalid regular expression"),
])
def test_check_fails_what_convert_refuses(case_name: str, code: str, convert_says: str, tmp_path: Path) -> None:
    _write_case(_case(CORPUS / f"{case_name}.yaml"), tmp_path)
    record = {"id": "a-1", "name": {"last": "Ng"}}
    (tmp_path / "in.json").write_text(json.dumps({"data": {"people": [record]}} if code == "M111" else record))
    convert = _process(["convert", "mapping.yaml", "in.json", "-o", "out.json"], tmp_path)
    assert convert.returncode != 0 and convert_says in convert.stderr
    check = _process(["check", "mapping.yaml"], tmp_path)
    assert check.returncode == 1 and f" {code} error: " in check.stdout


# -- check goes past a format problem (issue 14, item 10) -----------------------------------------

def test_check_reports_every_problem_past_a_format_error_of_a_shipped_mapping(tmp_path: Path) -> None:
    """The CRM mapping with a const beside a source (a format error), a misspelt key (another), a misspelt
    source field and an unknown function: all four at once, the format errors first."""
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    (tmp_path / "mappings").mkdir()
    text = (ROOT / "mappings" / "crm-contact-to-member.yaml").read_text("utf-8")
    broken = (text.replace("  email_type: {const: html}", "  email_type: {const: html, from: Type}")
              .replace("  language: {from: \"split(PreferredLanguage__c, '-')[0]\", default: en}",
                       "  language: {from: \"split(PreferredLanguage__c, '-')[0]\", defualt: en}")
              .replace("  external_id: Id", "  external_id: Idd")
              .replace('"Account.Tier__c == \'Strategic\'"', '"uppr(Account.Tier__c) == \'STRATEGIC\'"'))
    assert broken.count("\n") == text.count("\n") and broken != text
    (tmp_path / "mappings" / "crm.yaml").write_text(broken, encoding="utf-8")
    done = _process(["check", "mappings/crm.yaml"], tmp_path)
    assert done.returncode == 1
    assert [line.split(" error: ")[0] for line in done.stdout.splitlines()] == [
        "mappings/crm.yaml:23:29: M101", "mappings/crm.yaml:42:59: M101", "mappings/crm.yaml:43:9: M104",
        "mappings/crm.yaml:52:16: M301"]
    assert done.stderr == "1 mapping checked: 4 errors, 0 warnings\n"


# -- target: {validate: false} is refused, by convert and check alike (issue 15, item 6) ------------------

def test_turning_target_validation_off_is_refused_by_convert_and_check(tmp_path: Path) -> None:
    """Silently ignored before: a user who writes it expects invalid records to go out, which mapper never
    writes. Refused at the key's value, with what to do instead; the rest of the file is still checked."""
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    (tmp_path / "mappings").mkdir()
    text = (ROOT / "mappings" / "crm-contact-to-member.yaml").read_text("utf-8")
    target = "target: {schema: ../schemas/marketing/member.schema.json, format: json}"
    assert target in text
    (tmp_path / "mappings" / "crm.yaml").write_text(
        text.replace(target, target.replace("}", ", validate: false}")).replace("external_id: Id", "external_id: Idd"),
        encoding="utf-8")
    refusal = ("mappings/crm.yaml:5:83: target.validate: every record mapper writes is valid for the target schema, "
               "so the target is always validated: drop `validate: false` (to write what the schema refuses, "
               "loosen the schema)")
    contact = ROOT / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.input.json"
    convert = _process(["convert", "mappings/crm.yaml", str(contact)], tmp_path)
    # The load stops at the refusal; check's errors, the misspelt field among them, are said before it.
    checked = (f"mappings/crm.yaml:5:83: M101 error: {refusal.split(': ', 1)[1]}\n"
               "mappings/crm.yaml:52:16: M301 error: the source schema has no field 'Idd' in the source record "
               "(did you mean 'Id'?)\n")
    assert (convert.returncode, convert.stdout, convert.stderr) == (2, "", f"{checked}mapper: error: {refusal}\n")
    check = _process(["check", "mappings/crm.yaml"], tmp_path)
    assert check.returncode == 1
    code_at = refusal.index(": target.validate")
    assert check.stdout.splitlines() == [
        f"{refusal[:code_at]}: M101 error{refusal[code_at:]}",
        "mappings/crm.yaml:52:16: M301 error: the source schema has no field 'Idd' in the source record "
        "(did you mean 'Id'?)"]
    (tmp_path / "mappings" / "crm.yaml").write_text(text.replace(target, target.replace("}", ", validate: true}")),
                                                    encoding="utf-8")
    assert _process(["check", "mappings/crm.yaml"], tmp_path).returncode == 0
