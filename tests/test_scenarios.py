"""The shipped scenarios (mappings/*.yaml) hold up as examples.

``mapper test`` runs their fixtures (tests/test_fixtures.py); here is what it
does not check: every mapping has fixtures and each fixture says what must
happen, ``mapper check`` finds nothing (``mapper fuzz`` runs over them in
tests/test_fuzz.py), and the README's Scenarios table lists every mapping with a
command that runs and prints the expected output.
"""

from __future__ import annotations

import io
import json
import re
import shlex
from pathlib import Path

import pytest

from mapper.cli import run

ROOT = Path(__file__).parent.parent
MAPPINGS = sorted((ROOT / "mappings").glob("*.yaml"))
INPUT = re.compile(r"^(?P<case>.+)\.input\.(json|ndjson|xml|csv|tsv)$")


def _cases(mapping_path: Path) -> list[str]:
    folder = mapping_path.with_suffix(".fixtures")
    return sorted(match["case"] for path in folder.glob("*.input.*") if (match := INPUT.match(path.name)))


def _run(argv: list[str]) -> tuple[int, str, str]:
    stdout, stderr = io.BytesIO(), io.StringIO()
    code = run(argv, io.BytesIO(), stdout, stderr)
    return code, stdout.getvalue().decode("utf-8"), stderr.getvalue()


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


@pytest.mark.parametrize("mapping_path", MAPPINGS, ids=_ids(MAPPINGS))
def test_every_mapping_has_fixtures_with_one_outcome_each(mapping_path: Path) -> None:
    cases = _cases(mapping_path)
    folder = mapping_path.with_suffix(".fixtures")
    assert len(cases) >= 3, f"{mapping_path.name}: a scenario shows its awkward cases: give it 3 fixtures or more"
    for case in cases:
        outcomes = [folder / f"{case}.expected.json", folder / f"{case}.reject.txt"]
        assert sum(path.exists() for path in outcomes) == 1, f"{case}: give exactly one of .expected.json, .reject.txt"
    assert any((folder / f"{case}.expected.json").exists() for case in cases), "no fixture shows a converted record"


def test_mapper_check_finds_nothing_in_the_shipped_mappings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = _run(["check", "--strict", *(str(path.relative_to(ROOT)) for path in MAPPINGS)])
    assert (code, out) == (0, ""), out
    assert err.endswith(f"{len(MAPPINGS)} mappings checked: 0 errors, 0 warnings\n"), err


# `mapper fuzz` over every shipped mapping: tests/test_fuzz.py::test_shipped_mapping_is_consistent_with_its_schemas.


SCENARIO_ROW = re.compile(r"^\| (?P<name>[^|]+) \| (?P<what>[^|]+) \| `(?P<command>mapper [^`]+)` \|$", re.M)


def _scenario_rows() -> list[re.Match[str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Scenarios\n", 1)[1].split("\n## ", 1)[0]
    return list(SCENARIO_ROW.finditer(section))


ROWS = _scenario_rows()


def test_the_readme_lists_every_mapping_once() -> None:
    listed = [shlex.split(row["command"])[2] for row in ROWS]
    assert sorted(listed) == sorted(str(path.relative_to(ROOT)) for path in MAPPINGS)


@pytest.mark.parametrize("row", ROWS, ids=[row["name"] for row in ROWS])
def test_the_readme_command_prints_the_expected_records(row: re.Match[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    argv = shlex.split(row["command"])
    assert argv[:2] == ["mapper", "convert"] and len(argv) == 4, "one payload through `mapper convert`"
    code, out, err = _run(argv[1:])
    assert code == 0, err
    match = INPUT.match(Path(argv[3]).name)
    assert match, f"{argv[3]} is not a fixture input"
    expected = json.loads(Path(argv[3]).with_name(f"{match['case']}.expected.json").read_text(encoding="utf-8"))
    # The records, whether the command writes one record bare or in an array.
    assert _records(json.loads(out)) == _records(expected)


def _records(document: object) -> list[object]:
    return document if isinstance(document, list) else [document]
