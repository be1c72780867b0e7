"""One finding of ``mapper drift``, and how it ranks."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import Location

__all__ = ["BREAK", "NOTE", "Finding"]

#: A change that makes the mapping (or a reader of the schema) fail: ``mapper drift`` exits 1.
BREAK = "break"
#: A change worth a look that breaks nothing by itself.
NOTE = "note"


@dataclass(frozen=True)
class Finding:
    """What one change does at one place. ``kind`` is a kind of schema change (``removed``, ``type``,
    ``format``, ``enum-added``, ...) or the ``mapper check`` code the change brings; ``rule`` the rule at
    fault, when there is one."""

    severity: str
    kind: str
    message: str
    location: Location
    rule: str | None = None

    @property
    def breaks(self) -> bool:
        return self.severity == BREAK

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.file or "", self.location.line or 0, self.location.column or 0, self.message)

    def to_dict(self) -> dict[str, object]:
        return {"severity": self.severity, "kind": self.kind, "message": self.message, "file": self.location.file,
                "line": self.location.line, "column": self.location.column, "rule": self.rule}
