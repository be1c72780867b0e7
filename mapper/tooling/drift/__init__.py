"""``mapper drift``: what a new version of a schema breaks.

``drift_of_mapping(mapping, source=..., target=...)`` reports what the new
versions of a mapping's schemas do to its rules (see ``impact``);
``drift_of_schemas(old, new)`` reports the change of one schema alone, field
by field (see ``changes``). Both give a ``Drift``: its findings in file order,
each a break or a note; ``report.FORMATS`` writes it as text, JSON, GitHub
annotations or a pull-request comment in Markdown.

In a schema alone, a change breaks what reads the schema when a field is
removed, may now be of a type it could not be, or changes format; a narrowed
type, a new enum value, a field become nullable or required, and a new field
are notes. Against a mapping, the rules decide (see ``impact``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ...documents import load_document
from ...errors import Location
from ...mapping import Mapping, UserFunction, load
from ...schemas import display_path, load_schema
from .changes import compare, declared_at, fields
from .findings import BREAK, NOTE, Finding
from .impact import mapping_findings

__all__ = ["BREAK", "NOTE", "Drift", "Finding", "drift_of_mapping", "drift_of_schemas"]


@dataclass(frozen=True)
class Drift:
    """What a new schema version does: to ``subject`` (a mapping file, or the old schema itself), comparing
    the schema files ``old`` with ``new`` (source first, for a mapping)."""

    subject: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def breaking(self) -> int:
        return sum(finding.breaks for finding in self.findings)

    @property
    def notes(self) -> int:
        return len(self.findings) - self.breaking


def drift_of_mapping(mapping: Mapping | str | Path, *, source: str | Path | None = None,
                     target: str | Path | None = None, functions: Sequence[UserFunction] = ()) -> Drift:
    """What the source schema ``source`` and the target schema ``target`` (each in place of the one the
    mapping names; either may be left out) do to ``mapping``'s rules. A mapping given by path is loaded
    with ``functions``.

    Raises ``MappingError`` when the mapping does not load, ``SchemaError`` when a new schema does not."""
    loaded = mapping if isinstance(mapping, Mapping) else load(mapping, functions=functions)
    new_source = load_schema(source) if source is not None else loaded.source_schema
    new_target = load_schema(target) if target is not None else loaded.target_schema
    old = (loaded.source_schema, loaded.target_schema)
    return Drift(
        subject=_label(Path(loaded.spec.file)),
        old=tuple(_label(Path(schema.path)) for schema in old),
        new=tuple(_label(Path(schema.path)) for schema in (new_source, new_target)),
        findings=tuple(mapping_findings(loaded, new_source, new_target)),
    )


def drift_of_schemas(old: str | Path, new: str | Path) -> Drift:
    """The change from schema file ``old`` to schema file ``new``, field by field (raises ``SchemaError``)."""
    before, after = load_schema(old), load_schema(new)
    old_label, new_label = _label(Path(before.path)), _label(Path(after.path))
    documents = (load_document(before.path, label=old_label), load_document(after.path, label=new_label))
    findings = []
    for change in compare(fields(before), fields(after)):
        # A removed field is shown where the old version declares it; any other where the new one does.
        document = documents[0] if change.kind == "removed" else documents[1]
        at = declared_at(document.data, change.path)
        findings.append(Finding(BREAK if change.breaks_readers else NOTE, change.kind, change.describe(),
                                Location(document.file) if at is None else document.locate(at, key=True)))
    return Drift(old_label, (old_label,), (new_label,), tuple(findings))


def _label(path: Path) -> str:
    return display_path(path.resolve())
