"""``mapper test``: the fixture runner (mapper/tooling/fixtures.py) and its command.

The runner's behaviour is a table of small mappings and fixture folders, with
the exact lines ``mapper test`` prints; the shipped mappings' own fixtures run
through the command at the end.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mapper.cli import run

ROOT = Path(__file__).parent.parent
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")

MAPPING = """\
mapping: people
source: {schema: source.schema.json}
target: {schema: target.schema.json}
lookups:
  kind: {values: {p: person, c: company}}
rules:
  id: id
  name: "upper(name)"
  kind: {from: kind, lookup: kind}
"""
TARGET = {"type": "object", "required": ["id"], "properties": {
    "id": {"type": "string"}, "name": {"type": "string"}, "kind": {"enum": ["person", "company"]}}}


def _project(tmp_path: Path, fixtures: dict[str, str]) -> Path:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "people.yaml").write_text(MAPPING)
    (tmp_path / "mappings" / "source.schema.json").write_text('{"type": "object"}')
    (tmp_path / "mappings" / "target.schema.json").write_text(json.dumps(TARGET))
    folder = tmp_path / "mappings" / "people.fixtures"
    folder.mkdir()
    for name, text in fixtures.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def _run(argv: list[str]) -> tuple[int, str, str]:
    stdout, stderr = io.BytesIO(), io.StringIO()
    code = run(argv, io.BytesIO(), stdout, stderr)
    return code, stdout.getvalue().decode("utf-8"), stderr.getvalue()


ADA = '{"id": "1", "name": "ada", "kind": "p"}'
ADA_OUT = '{"id": "1", "name": "ADA", "kind": "person"}'

CASES = [
    ("expected-output-matches", {"ada.input.json": ADA, "ada.expected.json": ADA_OUT}, 0, "1 passed, 0 failed\n"),
    ("several-records-give-an-array", {
        "two.input.ndjson": ADA + "\n" + '{"id": "2", "kind": "c"}\n',
        "two.expected.json": f'[{ADA_OUT}, {{"id": "2", "kind": "company"}}]'}, 0, "1 passed, 0 failed\n"),
    # Every suffix the formats table knows names a fixture input, as it names an input of `mapper convert`.
    ("a-jsonl-input-is-ndjson", {
        "two.input.jsonl": ADA + "\n" + '{"id": "2", "kind": "c"}\n',
        "two.expected.json": f'[{ADA_OUT}, {{"id": "2", "kind": "company"}}]'}, 0, "1 passed, 0 failed\n"),
    # As `mapper convert` writes it: one JSON record in, one record out, even from an array.
    ("a-json-array-of-one-record-gives-an-array-as-convert-writes", {
        "one.input.json": f"[{ADA}]", "one.expected.json": f"[{ADA_OUT}]"}, 0, "1 passed, 0 failed\n"),
    ("output-differs", {"ada.input.json": ADA, "ada.expected.json": '{"id": "1", "name": "Ada", "kind": "person"}'},
     1, """\
        FAILED  people/ada (mappings/people.fixtures/ada.input.json): the output differs from the expected one
        --- expected (ada.expected.json)
        +++ actual
        @@ -1,5 +1,5 @@
         {
           "id": "1",
        -  "name": "Ada",
        +  "name": "ADA",
           "kind": "person"
         }
        0 passed, 1 failed
        """),
    # Values are compared as JSON compares them: an expectation written by another tool orders keys its way.
    ("key-order-differs-values-match", {"ada.input.json": ADA,
                                        "ada.expected.json": '{"name": "ADA", "id": "1", "kind": "person"}'},
     0, "1 passed, 0 failed\n"),
    # ... but as JSON, not as Python: true is not 1.
    ("true-is-not-one", {"ada.input.json": '{"id": "1", "kind": "p", "name": "1"}',
                         "ada.expected.json": '{"id": "1", "name": true, "kind": "person"}'},
     1, """\
        FAILED  people/ada (mappings/people.fixtures/ada.input.json): the output differs from the expected one
        --- expected (ada.expected.json)
        +++ actual
        @@ -1,5 +1,5 @@
         {
           "id": "1",
        -  "name": true,
        +  "name": "1",
           "kind": "person"
         }
        0 passed, 1 failed
        """),
    ("reject-for-the-expected-reason", {"bad.input.json": '{"id": "1", "kind": "x"}',
                                        "bad.reject.txt": "'x' is not in lookup 'kind'\n\n/kind\n"},
     0, "1 passed, 0 failed\n"),
    ("reject-for-another-reason", {"bad.input.json": '{"kind": "p"}', "bad.reject.txt": "not in lookup\n"},
     1, """\
        FAILED  people/bad (mappings/people.fixtures/bad.input.json): rejected, but not for the expected reason
          missing: not in lookup
          problems reported:
            record 1: /id: null is not of type string; rule 'id' (mappings/people.yaml:7:3); read id
        0 passed, 1 failed
        """),
    ("reject-expected-but-converted", {"ada.input.json": ADA, "ada.reject.txt": "anything"},
     1, """\
        FAILED  people/ada (mappings/people.fixtures/ada.input.json): every record converted, but the input \
should be rejected
        0 passed, 1 failed
        """),
    ("output-expected-but-rejected", {"bad.input.json": '{"id": "1", "kind": "x"}', "bad.expected.json": "{}"},
     1, """\
        FAILED  people/bad (mappings/people.fixtures/bad.input.json): the input was rejected, but an output is expected
          record 1: /kind: 'x' is not in lookup 'kind' and the lookup has no default; rule 'kind' \
(mappings/people.yaml:9:3); read kind
        0 passed, 1 failed
        """),
    ("unreadable-input-is-a-reject", {"broken.input.json": '{"id": ', "broken.reject.txt": "invalid JSON"},
     0, "1 passed, 0 failed\n"),
    ("no-expectation-yet", {"new.input.json": ADA},
     1, """\
        FAILED  people/new (mappings/people.fixtures/new.input.json): no new.expected.json nor new.reject.txt: run \
with --update to write the actual output as the expectation
        0 passed, 1 failed
        """),
]


STRICT_ORDER_CASES = [
    ("key-order-differs", {"ada.input.json": ADA, "ada.expected.json": '{"name": "ADA", "id": "1", "kind": "person"}'},
     1, """\
        FAILED  people/ada (mappings/people.fixtures/ada.input.json): the output has the expected values but its \
keys come in another order
        --- expected (ada.expected.json)
        +++ actual
        @@ -1,5 +1,5 @@
         {
        +  "id": "1",
           "name": "ADA",
        -  "id": "1",
           "kind": "person"
         }
        0 passed, 1 failed
        """),
    ("same-order-passes", {"ada.input.json": ADA, "ada.expected.json": ADA_OUT}, 0, "1 passed, 0 failed\n"),
]


@pytest.mark.parametrize(("name", "fixtures", "code", "output"), STRICT_ORDER_CASES,
                         ids=[case[0] for case in STRICT_ORDER_CASES])
def test_strict_order_makes_key_order_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                            fixtures: dict[str, str], code: int, output: str) -> None:
    _project(tmp_path, fixtures)
    monkeypatch.chdir(tmp_path)
    assert _run(["test", "--strict-order"])[:2] == (code, textwrap.dedent(output))


def test_update_rewrites_key_order_only_with_strict_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other_order = '{"name": "ADA", "id": "1", "kind": "person"}'
    folder = _project(tmp_path, {"ada.input.json": ADA, "ada.expected.json": other_order})
    monkeypatch.chdir(tmp_path)
    assert _run(["test", "--update"])[:2] == (0, "1 passed, 0 failed\n")
    assert (folder / "ada.expected.json").read_text() == other_order
    assert _run(["test", "--update", "--strict-order"])[:2] == (
        0, "updated people/ada: wrote mappings/people.fixtures/ada.expected.json\n1 passed, 0 failed\n")
    assert list(json.loads((folder / "ada.expected.json").read_text())) == ["id", "name", "kind"]


@pytest.mark.parametrize(("name", "fixtures", "code", "output"), CASES, ids=[case[0] for case in CASES])
def test_fixture_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, fixtures: dict[str, str],
                        code: int, output: str) -> None:
    _project(tmp_path, fixtures)
    monkeypatch.chdir(tmp_path)
    assert _run(["test"])[:2] == (code, textwrap.dedent(output))


def test_update_writes_the_actual_output_for_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _project(tmp_path, {"ada.input.json": ADA, "new.input.json": ADA,
                                 "ada.expected.json": '{"id": "1"}', "bad.input.json": '{"kind": "x"}',
                                 "bad.reject.txt": "lookup"})
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["test", "--update"])
    assert (code, out) == (0, ("updated people/ada: wrote mappings/people.fixtures/ada.expected.json\n"
                               "updated people/new: wrote mappings/people.fixtures/new.expected.json\n"
                               "3 passed, 0 failed\n"))
    assert json.loads((folder / "new.expected.json").read_text()) == json.loads(ADA_OUT)
    assert not (folder / "bad.expected.json").exists()
    assert _run(["test"])[:2] == (0, "3 passed, 0 failed\n")


def test_update_keeps_an_expectation_laid_out_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    by_hand = json.dumps(json.loads(ADA_OUT), separators=(", ", ": "))  # one line, not the runner's layout
    folder = _project(tmp_path, {"ada.input.json": ADA, "ada.expected.json": by_hand})
    monkeypatch.chdir(tmp_path)
    assert _run(["test", "--update"])[:2] == (0, "1 passed, 0 failed\n")
    assert (folder / "ada.expected.json").read_text() == by_hand


def test_verbose_lists_passing_cases_and_orphans_are_warned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path, {"ada.input.json": ADA, "ada.expected.json": ADA_OUT, "gone.expected.json": "{}"})
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["test", "-v", "mappings/people.yaml"])
    assert (code, out) == (0, "ok      people/ada\n1 passed, 0 failed\n")
    assert err == "mapper test: warning: mappings/people.fixtures/gone.expected.json has no input file beside it\n"


def test_a_mapping_that_does_not_load_fails_its_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path, {"ada.input.json": ADA, "ada.expected.json": ADA_OUT})
    (tmp_path / "mappings" / "people.yaml").write_text(MAPPING.replace("upper(name)", "upper(name"))
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["test"])
    assert code == 1
    assert out.startswith("FAILED  people/ada (mappings/people.fixtures/ada.input.json): the mapping does not load: ")
    assert out.endswith("0 passed, 1 failed\n")


def test_the_shipped_fixtures_pass_through_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = _run(["test"])
    assert out.splitlines()[-1].endswith(" passed, 0 failed"), out
    assert code == 0


def test_expectations_in_another_key_order_pass_the_command_unless_strict(tmp_path: Path) -> None:
    """A shipped fixture rewritten with its keys sorted (as jq -S or another tool writes it), through the process."""
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas", symlinks=False)
    (tmp_path / "mappings").mkdir()
    mapping = tmp_path / "mappings" / "crm-contact-to-member.yaml"
    shutil.copy(ROOT / "mappings" / mapping.name, mapping)
    shutil.copytree(ROOT / "mappings" / "crm-contact-to-member.fixtures", mapping.with_suffix(".fixtures"))
    expected = tmp_path / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.expected.json"
    expected.write_text(json.dumps(json.loads(expected.read_text("utf-8")), indent=2, sort_keys=True) + "\n")

    def mapper_test(*options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EXECUTABLE, "test", *options, str(mapping)], capture_output=True, text=True,
                              timeout=120)

    by_value = mapper_test()
    assert (by_value.returncode, by_value.stdout.splitlines()[-1]) == (0, "7 passed, 0 failed"), by_value.stdout
    strict = mapper_test("--strict-order")
    assert strict.returncode == 1
    assert strict.stdout.splitlines()[0] == (
        "FAILED  crm-contact-to-member/full-contact "
        f"({expected.with_name('full-contact.input.json')}): the output has the expected values but its keys come "
        "in another order")
    assert strict.stdout.splitlines()[-1] == "6 passed, 1 failed"
