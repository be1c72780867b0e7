"""Diagnostics and the formats ``mapper check`` writes them in.

``text``: ``path:line:col: M201 error: message``, one per line.
``json``: a JSON array of objects (file, line, column, code, severity, message, rule), the
findings a rule's ``ignore:`` silences included, marked ``"ignored": true``.
``github``: workflow commands, so each problem shows on the pull request's diff:
``::error file=path,line=3,col=5,title=M201::message``.
Text and github leave silenced findings out; no format counts them (``Totals``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ...errors import Location
from .codes import CODES


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a mapping file."""

    code: str
    message: str
    location: Location
    rule: str | None = None
    #: Silenced by a rule's ``ignore:``: listed in JSON, never counted.
    ignored: bool = False

    @property
    def severity(self) -> str:
        return CODES[self.code].severity

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def fails(self) -> bool:
        """An error that is not silenced: ``check`` fails on it."""
        return self.is_error and not self.ignored

    def __str__(self) -> str:
        ignored = " (ignored)" if self.ignored else ""
        return f"{self.location}: {self.code} {self.severity}{ignored}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        found: dict[str, object] = {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "rule": self.rule,
        }
        if self.ignored:
            found["ignored"] = True
        return found

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.file or "", self.location.line or 0, self.location.column or 0, self.code)


@dataclass(frozen=True)
class Totals:
    """What a run of ``check`` found: errors and warnings count, silenced findings do not."""

    errors: int
    warnings: int
    ignored: int

    @classmethod
    def of(cls, diagnostics: Sequence[Diagnostic]) -> Totals:
        counted = [diagnostic for diagnostic in diagnostics if not diagnostic.ignored]
        errors = sum(diagnostic.is_error for diagnostic in counted)
        return cls(errors, len(counted) - errors, len(diagnostics) - len(counted))

    def __str__(self) -> str:
        text = f"{_count(self.errors, 'error')}, {_count(self.warnings, 'warning')}"
        return f"{text}, {self.ignored} ignored" if self.ignored else text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def format_text(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(f"{diagnostic}\n" for diagnostic in diagnostics if not diagnostic.ignored)


def format_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([diagnostic.to_dict() for diagnostic in diagnostics], indent=2, ensure_ascii=False) + "\n"


def format_github(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(workflow_command(diagnostic.severity, diagnostic.location, diagnostic.code, diagnostic.message)
                   for diagnostic in diagnostics if not diagnostic.ignored)


def workflow_command(command: str, where: Location, title: str, message: str) -> str:
    """One GitHub Actions annotation (``::error file=...,line=...,col=...,title=...::message``), one line,
    with what workflow commands reserve escaped."""
    properties = [f"file={_property(where.file or '')}"]
    if where.line is not None:
        properties.append(f"line={where.line}")
        if where.column is not None:
            properties.append(f"col={where.column}")
    properties.append(f"title={_property(title)}")
    return f"::{command} {','.join(properties)}::{_data(message)}\n"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


FORMATS: dict[str, Callable[[Sequence[Diagnostic]], str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
}
