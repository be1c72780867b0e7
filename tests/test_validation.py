"""Output validation: one verdict from two validators."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapper.schemas import load_schema
from mapper.validation import RecordValidator


@pytest.fixture()
def validator(tmp_path: Path) -> RecordValidator:
    path = tmp_path / "member.schema.json"
    path.write_text(json.dumps({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"email": {"type": "string", "format": "email"},
                       "at": {"type": "string", "format": "date-time"}},
    }))
    return RecordValidator(load_schema(path))


@pytest.mark.parametrize(("record", "messages"), [
    ({"email": "josé@example.com"}, []),  # jsonschema-rs alone refuses it; the reference takes it
    ({"email": "kwame@example.org", "at": "2024-06-01T16:45:00+05:30"}, []),
    ({"email": "no-at-sign"}, ['"no-at-sign" is not a valid email']),
    ({"at": "yesterday"}, ['"yesterday" is not a valid date-time']),
])
def test_formats_have_one_verdict(validator: RecordValidator, record: dict[str, str], messages: list[str]) -> None:
    assert [violation.message for violation in validator.violations(record)] == messages
    # The fast validator agrees, so valid records never take the slow path.
    assert validator._is_valid(record) is (not messages)
