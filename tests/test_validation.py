"""Output validation: jsonschema-rs judges, the reference explains, and both give one verdict."""

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
    assert validator._is_valid(record) is (not messages)
