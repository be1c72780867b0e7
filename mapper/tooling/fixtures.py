"""Fixture cases kept beside a mapping, and the runner behind ``mapper test``.

Beside ``mappings/NAME.yaml``, the folder ``mappings/NAME.fixtures/`` holds
cases, each named by its file stem:

- ``CASE.input.json`` (or ``.input.ndjson``/``.input.jsonl``, ``.input.xml``): the payload,
  read as ``mapper convert`` reads it (the mapping's ``records`` applies);
- and either ``CASE.expected.json``, the exact output: the record itself for a
  JSON document that is one record (an object, no ``records`` expression), else
  an array of records, as ``convert`` writes them (key order counts, as in the
  file a user receives);
- or ``CASE.reject.txt``: the input must be rejected, and each non-empty line
  is a fragment that must appear in the text of the problems reported.

``run_case`` compares and explains a failure with a unified diff; with
``update=True`` a case whose records all convert gets its
``CASE.expected.json`` (re)written from the actual output, for review in the
diff of the commit.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import MapperError, PayloadError
from ..formats import SUFFIXES, format_of_path, source_reader
from ..mapping import Mapping, load

__all__ = ["CaseResult", "FixtureCase", "find_cases", "read_input", "run_case"]


@dataclass(frozen=True)
class FixtureCase:
    """One fixture: an input and what must come of it."""

    mapping_path: Path
    name: str
    input_path: Path

    @property
    def expected_path(self) -> Path:
        return self.input_path.with_name(f"{self.name}.expected.json")

    @property
    def reject_path(self) -> Path:
        return self.input_path.with_name(f"{self.name}.reject.txt")

    @property
    def label(self) -> str:
        return f"{self.mapping_path.stem}/{self.name}"


@dataclass
class CaseResult:
    """What became of a case: passed, or why not (``details`` holds the diff)."""

    case: FixtureCase
    passed: bool
    reason: str = ""
    details: str = ""
    updated: bool = False
    actual: Any = field(default=None, repr=False)


def fixtures_folder(mapping_path: Path) -> Path:
    return mapping_path.with_name(f"{mapping_path.stem}.fixtures")


def find_cases(mapping_path: str | Path) -> list[FixtureCase]:
    """The cases in the fixtures folder of the mapping at ``mapping_path``, by name."""
    mapping_path = Path(mapping_path)
    folder = fixtures_folder(mapping_path)
    if not folder.is_dir():
        return []
    cases = []
    for input_path in sorted(folder.iterdir()):
        name, marker, suffix = input_path.name.rpartition(".input")
        if marker and suffix in SUFFIXES:
            cases.append(FixtureCase(mapping_path, name, input_path))
    return cases


def orphans(mapping_path: Path) -> list[Path]:
    """Expectation files in the fixtures folder with no input beside them (a renamed input, a typo)."""
    folder = fixtures_folder(mapping_path)
    if not folder.is_dir():
        return []
    names = {case.name for case in find_cases(mapping_path)}
    found = []
    for path in sorted(folder.iterdir()):
        for marker in (".expected.json", ".reject.txt"):
            if path.name.endswith(marker) and path.name[: -len(marker)] not in names:
                found.append(path)
    return found


def read_input(mapping: Mapping, input_path: Path) -> tuple[list[Any], bool]:
    """The records of a fixture input, read as ``mapper convert`` reads them, and
    whether the input is a single record (a JSON document that is one object,
    read without a ``records`` expression, or an XML document that is its one
    record element): then, as for ``mapper convert``, the
    output is that one record rather than an array.

    A record that cannot be read is a ``PayloadError`` in the list; an input
    that cannot be read at all raises it.
    """
    reader = source_reader(mapping, format_of_path(input_path.name) or mapping.spec.source.format)
    with input_path.open("rb") as stream:
        records = list(reader.records(stream, str(input_path)))
    return records, getattr(reader, "document_is_record", None) is True


def _same(expected: Any, actual: Any, strict_order: bool) -> bool:
    """Whether ``expected`` and ``actual`` are the same JSON values (and, with ``strict_order``, keys in the same
    order)."""
    return _json_equal(expected, actual) and (not strict_order or _dump(expected) == _dump(actual))


def _json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON has it: Python's ``==`` would take ``true`` for ``1`` (1 and 1.0 stay one number)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(value, right[key]) for key, value in left.items())
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_json_equal, left, right))
    return bool(left == right)


def _matches_expected(case: FixtureCase, actual: Any, strict_order: bool) -> bool:
    """Whether the expected file holds ``actual`` (see ``_same``)."""
    try:
        expected = json.loads(case.expected_path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return _same(expected, actual, strict_order)


def run_case(mapping: Mapping, case: FixtureCase, *, update: bool = False, strict_order: bool = False) -> CaseResult:
    """Run one case against a loaded mapping; ``strict_order`` makes key order count (see the module)."""
    try:
        records, single = read_input(mapping, case.input_path)
    except PayloadError as error:
        return _rejected_input(case, str(error))
    except ModuleNotFoundError as error:
        return CaseResult(case, False, f"cannot read {case.input_path.suffix} inputs here ({error})")
    problems: list[str] = []
    outputs: list[Any] = []
    for number, record in enumerate(records, 1):
        if isinstance(record, PayloadError):
            record.record_number = number
            problems.append(str(record))
            continue
        result = mapping.result(record, number)
        if result.ok:
            outputs.append(result.output)
        else:
            problems.extend(f"record {number}: {problem}" for problem in result.problems)
    if case.reject_path.exists():
        return _check_reject(case, problems)
    if problems:
        return CaseResult(case, False, "the input was rejected, but an output is expected",
                          "\n".join(f"  {problem}" for problem in problems))
    actual = outputs[0] if single and len(outputs) == 1 else outputs
    if update:
        text = _dump(actual)
        # Only what differs is written: an expectation laid out by hand keeps its layout.
        if not _matches_expected(case, actual, strict_order):
            case.expected_path.write_text(text, encoding="utf-8")
            return CaseResult(case, True, f"wrote {case.expected_path}", updated=True, actual=actual)
        return CaseResult(case, True, actual=actual)
    if not case.expected_path.exists():
        return CaseResult(case, False, f"no {case.expected_path.name} nor {case.reject_path.name}: "
                                       "run with --update to write the actual output as the expectation",
                          actual=actual)
    try:
        expected = json.loads(case.expected_path.read_text("utf-8"))
    except json.JSONDecodeError as error:
        return CaseResult(case, False, f"{case.expected_path}:{error.lineno}:{error.colno}: invalid JSON: "
                                       f"{error.msg}")
    if _same(expected, actual, strict_order):
        return CaseResult(case, True, actual=actual)
    reason = "the output differs from the expected one"
    if _json_equal(expected, actual):
        reason = "the output has the expected values but its keys come in another order"
    diff = difflib.unified_diff(_dump(expected).splitlines(), _dump(actual).splitlines(),
                                f"expected ({case.expected_path.name})", "actual", lineterm="")
    return CaseResult(case, False, reason, "\n".join(diff), actual=actual)


def _check_reject(case: FixtureCase, problems: list[str]) -> CaseResult:
    if not problems:
        return CaseResult(case, False, "every record converted, but the input should be rejected")
    text = "\n".join(problems)
    fragments = [line.strip() for line in case.reject_path.read_text("utf-8").splitlines() if line.strip()]
    missing = [fragment for fragment in fragments if fragment not in text]
    if missing:
        details = "\n".join([*(f"  missing: {fragment}" for fragment in missing), "  problems reported:",
                             *(f"    {problem}" for problem in problems)])
        return CaseResult(case, False, "rejected, but not for the expected reason", details)
    return CaseResult(case, True)


def _rejected_input(case: FixtureCase, message: str) -> CaseResult:
    if case.reject_path.exists():
        return _check_reject(case, [message])
    return CaseResult(case, False, f"the input cannot be read: {message}")


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def run_mapping_cases(mapping_path: Path, *, update: bool = False, functions: Sequence[Any] = (),
                      strict_order: bool = False) -> Iterator[CaseResult]:
    """Every case of one mapping; a mapping that does not load fails each of its cases."""
    cases = find_cases(mapping_path)
    if not cases:
        return
    try:
        mapping = load(mapping_path, functions=functions)
    except MapperError as error:
        for case in cases:
            yield CaseResult(case, False, f"the mapping does not load: {error}")
        return
    for case in cases:
        try:
            yield run_case(mapping, case, update=update, strict_order=strict_order)
        except Exception as error:  # noqa: BLE001 - a crash is a failed case, not a crashed run
            yield CaseResult(case, False, f"{type(error).__name__} while running the case: {error}")


def run_fixtures(mapping_paths: Sequence[Path], *, update: bool = False, functions: Sequence[Any] = (),
                 strict_order: bool = False) -> Iterator[CaseResult]:
    """The cases of every mapping in ``mapping_paths``, mapping by mapping."""
    for mapping_path in mapping_paths:
        yield from run_mapping_cases(mapping_path, update=update, functions=functions, strict_order=strict_order)
