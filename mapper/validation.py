"""Validate records against a JSON Schema and describe each violation in JSON terms.

Two validators work together. ``jsonschema-rs`` (compiled, about 100 times
faster) answers the common question, "is this record valid?"; a record it
accepts is valid. A record it rejects is validated again by the reference
``jsonschema`` validator, which is the judge of what is wrong and explains every
violation with paths. The two disagree on some formats (jsonschema-rs refuses a
non-ASCII e-mail address such as ``josé@example.com``, which jsonschema takes),
so jsonschema-rs is given the reference's own check for every format the
schema uses: one verdict, and valid records never take the slow path.
Messages are rewritten for the common keywords so users read JSON values
(``null``, ``"42"``), not Python reprs (``None``, ``'42'``); a missing required
property is reported at its own path, so it can be tied to the rule that should
have written it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jsonschema
import jsonschema.exceptions
import jsonschema_rs

from .schemas import Schema

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Violation:
    """One way a record breaks its schema."""

    path: Path
    message: str
    schema_path: str
    keyword: str


class RecordValidator:
    """Validates records against one schema; build once, reuse for every record."""

    def __init__(self, schema: Schema, *, check_formats: bool = True) -> None:
        self.schema = schema
        self._validator = schema.validator(check_formats=check_formats)
        registry = jsonschema_rs.Registry(list(schema.documents.items()))
        checker: jsonschema.FormatChecker | None = getattr(self._validator, "format_checker", None)
        formats = {name: _format_check(checker, name) for name in _formats_used(schema.documents.values())
                   if checker is not None and name in checker.checkers}
        self._is_valid = jsonschema_rs.validator_for(
            schema.contents, registry=registry, base_uri=schema.uri, validate_formats=check_formats,
            formats=formats or None,
        ).is_valid

    def violations(self, record: Any) -> list[Violation]:
        """Every violation of ``record``, most relevant first; empty when valid."""
        try:
            if self._is_valid(record):
                return []
        except (ValueError, OverflowError):  # e.g. integers beyond 64 bits: let the reference decide
            pass
        errors = list(self._validator.iter_errors(record))
        if not errors:
            return []
        errors.sort(key=jsonschema.exceptions.relevance)
        return [violation for error in errors for violation in _violations(error)]


def _formats_used(documents: Iterable[Any]) -> set[str]:
    """Every ``format`` named anywhere in the schema documents."""
    found: set[str] = set()
    pending = list(documents)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                found.add(node["format"])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def _format_check(checker: jsonschema.FormatChecker, name: str) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        return checker.conforms(value, name)

    return check


def _violations(error: jsonschema.exceptions.ValidationError) -> list[Violation]:
    path: Path = tuple(error.absolute_path)
    schema_path = "/" + "/".join(str(part) for part in error.absolute_schema_path)
    keyword = str(error.validator)
    required: Any = error.validator_value
    if keyword == "required" and isinstance(error.instance, dict):
        missing = [name for name in required if name not in error.instance and repr(name) in error.message]
        return [Violation(path + (name,), "required property is missing", schema_path, keyword)
                for name in missing[:1]]
    return [Violation(path, _message(error), schema_path, keyword)]


def _message(error: jsonschema.exceptions.ValidationError) -> str:
    keyword, instance = error.validator, error.instance
    expected: Any = error.validator_value
    shown = _json(instance)
    if keyword == "type":
        names = expected if isinstance(expected, list) else [expected]
        return f"{shown} is not of type {' or '.join(names)}"
    if keyword == "enum":
        return f"{shown} is not one of {', '.join(_json(value) for value in expected)}"
    if keyword == "const":
        return f"{shown} is not {_json(expected)}"
    if keyword == "format":
        return f"{shown} is not a valid {expected}"
    if keyword == "pattern":
        return f"{shown} does not match the pattern {expected!r}"
    if keyword in ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                   "minItems", "maxItems", "multipleOf"):
        return f"{shown} breaks {keyword} {expected}"
    return error.message


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
