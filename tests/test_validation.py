"""Output validation: jsonschema-rs judges, the reference explains, and both give one verdict."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mapper
from mapper.schemas import load_schema
from mapper.validation import RecordValidator


@pytest.fixture()
def validator(tmp_path: Path) -> RecordValidator:
    path = tmp_path / "member.schema.json"
    path.write_text(json.dumps({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"email": {"type": "string", "format": "email"},
                       "idn": {"type": "string", "format": "idn-email"},
                       "at": {"type": "string", "format": "date-time"},
                       "home": {"type": "string", "format": "uri"}},
    }))
    return RecordValidator(load_schema(path))


@pytest.mark.parametrize(("record", "messages"), [
    ({"email": "kwame@example.org", "at": "2024-06-01T16:45:00+05:30"}, []),
    ({"idn": "josé@example.com"}, []),
    ({"email": "josé@example.com"}, ['"josé@example.com" is not a valid email']),  # RFC 5321: ASCII only
    ({"at": "2016-12-31T23:59:60Z"}, []),  # a leap second, which RFC 3339 allows
    ({"at": "yesterday"}, ['"yesterday" is not a valid date-time']),
    ({"home": "https://api.weather.gov/stations/KSEA"}, []),
    ({"home": "no scheme"}, ['"no scheme" is not a valid uri']),  # the reference alone would not check it
])
def test_formats_have_one_verdict(validator: RecordValidator, record: dict[str, str], messages: list[str]) -> None:
    assert [violation.message for violation in validator.violations(record)] == messages
    assert validator.is_valid(record) is (not messages)


# -- the two explainers agree -----------------------------------------------------------------------

ROOT = Path(__file__).parent.parent
_SHIPPED = sorted((ROOT / "mappings").glob("*.yaml"))


def _expected_outputs() -> list[tuple[str, Any]]:
    outputs = []
    for path in _SHIPPED:
        for expected in sorted(path.with_suffix(".fixtures").glob("*.expected.json")):
            data = json.loads(expected.read_text("utf-8"))
            outputs += [(str(path), record) for record in (data if isinstance(data, list) else [data])]
    return outputs


_OUTPUTS = _expected_outputs()
_VALIDATORS: dict[str, RecordValidator] = {}
_BAD_VALUES = [None, 1, -5, 2.5, "", "x" * 300, "not-a-date", "ZZ", [], {}, True, [1, "a"], {"k": 1}]


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    children: list[tuple[Any, Any]] = (list(value.items()) if isinstance(value, dict)
                                        else list(enumerate(value)) if isinstance(value, list) else [])
    return [path] + [deeper for key, child in children for deeper in _leaf_paths(child, path + (key,))]


@st.composite
def broken_outputs(draw: st.DrawFn) -> tuple[str, Any]:
    """A valid output of a shipped mapping's fixtures with one to three values changed, removed or added."""
    mapping, record = draw(st.sampled_from(_OUTPUTS))
    record = copy.deepcopy(record)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from([path for path in _leaf_paths(record) if path] or [()]))
        if not path:
            break
        parent = record
        for key in path[:-1]:
            parent = parent[key]
        change = draw(st.sampled_from(["replace", "remove", "add"]))
        if change == "replace":
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(_BAD_VALUES)))  # later changes may go inside
        elif change == "remove" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent["unexpected_property"] = 1
    return mapping, record


@settings(max_examples=300, deadline=None)
@given(broken_outputs())
def test_jsonschema_rs_explains_as_the_reference_does(broken: tuple[str, Any]) -> None:
    mapping_path, record = broken
    validator = _VALIDATORS.get(mapping_path)
    if validator is None:
        validator = _VALIDATORS[mapping_path] = RecordValidator(mapper.load(mapping_path).target_schema)
    violations = validator.violations(record)
    assert violations == validator.explained_by_reference(record, judged=bool(violations))


def test_plain_keywords_are_explained_without_the_reference(validator: RecordValidator,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def reference(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the reference validator was asked")

    monkeypatch.setattr(validator, "explained_by_reference", reference)
    violations = validator.violations({"email": 5, "at": "yesterday"})
    assert [(violation.path, violation.message, violation.schema_path) for violation in violations] == [
        (("at",), '"yesterday" is not a valid date-time', "/properties/at/format"),
        (("email",), "5 is not of type string", "/properties/email/type"),
    ]
