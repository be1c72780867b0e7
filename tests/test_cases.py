"""The mapping cases in tests/cases/*.yaml: one file per case, run as a table.

A case file holds the mapping text, its schemas, an input record and what must
come of it: ``output`` (the exact target record), ``error`` (the exact text of
the error raised when loading) or ``problems`` (the exact text of each problem
of the rejected record).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.documents import parse_yaml

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))


def _write_case(case: dict[str, Any], directory: Path) -> None:
    (directory / "mapping.yaml").write_text(case["mapping"], encoding="utf-8")
    for name in ("source", "target"):
        schema = case.get(f"{name}_schema", {"type": "object"})
        (directory / f"{name}.schema.json").write_text(json.dumps(schema, indent=2), encoding="utf-8")
    for name, content in case.get("files", {}).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(content, encoding="utf-8")


@pytest.mark.parametrize("case_file", CASES, ids=[path.stem for path in CASES])
def test_case(case_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = parse_yaml(case_file.read_text(encoding="utf-8"), case_file.name).data
    _write_case(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    if "error" in case:
        with pytest.raises(mapper.MappingError) as raised:
            mapper.load("mapping.yaml")
        assert str(raised.value) == case["error"].rstrip("\n")
        return
    mapping = mapper.load("mapping.yaml")
    result = mapping.result(case["input"])
    if "problems" in case:
        assert [str(problem) for problem in result.problems] == case["problems"]
        return
    assert result.problems == ()
    assert result.output == case["output"]
    # Key order follows the target schema, as users see it in the output file.
    assert json.dumps(result.output) == json.dumps(case["output"])


def test_every_case_says_what_must_happen() -> None:
    for case_file in CASES:
        case = parse_yaml(case_file.read_text(encoding="utf-8"), case_file.name).data
        assert "description" in case, case_file.name
        assert sum(key in case for key in ("output", "error", "problems")) == 1, case_file.name
