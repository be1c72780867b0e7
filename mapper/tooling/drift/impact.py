"""What a new version of a mapping's schemas does to its rules.

The mapping is checked twice with ``mapper check``'s rule checker: with the
schemas it names, and with the new versions. The first pass also notes which
rule reads which source field (an expression's path, as ``check`` types it).
Then:

- every change of a source field some rule reads (``changes.compare``) is a
  finding at that rule: a removed field (with its likely new name), a type
  that now allows what it did not, a new format break it; an enum value that
  a lookup without a default lacks breaks the lookup; a narrowed type, a field
  become nullable or an enum value the rule has no lookup for are notes;
- every problem the checker finds only with the new schemas is a finding too
  (an error breaks, a warning is a note): a new required target field no rule
  writes (``M202``), a value that no longer fits (``M203``), a new null into a
  required field (``M204``). ``M301`` (a field the source lacks) is left to
  the removed-field finding, which names the field's likely new name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...documents import Document, load_document
from ...errors import ExpressionError, Location
from ...mapping import Mapping
from ...mapping_file import expression_location
from ...model import EachRule, Expr, Rule, ValueRule, expressions_of, lookup_key, walk_rules
from ...parser import parse
from ...schemas import Schema
from ..check.inference import ExpressionTyper, Observations, Scope
from ..check.report import Diagnostic
from ..check.rules import Parsed, RuleChecker
from ..check.shapes import Shape
from .changes import Change, compare, fields
from .findings import BREAK, NOTE, Finding

__all__ = ["mapping_findings"]


@dataclass
class _Reads(Observations):
    """Observations that also note which expression, of which rule, reads each path."""

    reading: tuple[str | None, Expr] | None = None
    readers: dict[str, dict[tuple[str | None, Location], Expr]] = field(default_factory=dict)

    def add(self, path: str) -> None:
        super().add(path)
        if self.reading is not None:
            rule, expr = self.reading
            self.readers.setdefault(path, {}).setdefault((rule, expr.location), expr)


class _ReadingChecker(RuleChecker):
    """The rule checker, telling its ``_Reads`` which rule's expression it types."""

    def shape_of(self, expr: Expr, current: Shape, scope: Scope, rule: str | None) -> tuple[Shape, bool]:
        if isinstance(self.typer.observations, _Reads):
            self.typer.observations.reading = (rule, expr)
        return super().shape_of(expr, current, scope, rule)


def mapping_findings(mapping: Mapping, source: Schema, target: Schema) -> list[Finding]:
    """What replacing ``mapping``'s schemas by ``source`` and ``target`` does to its rules, in file order."""
    document = load_document(mapping.spec.file)
    parsed = _parsed(mapping)
    before, reads = _check(mapping, document, parsed, mapping.source_schema, mapping.target_schema)
    after, _ = _check(mapping, document, parsed, source, target)
    rules = {rule.name: rule for rule in walk_rules(mapping.spec.rules)}
    found: list[Finding] = []
    for change in compare(fields(mapping.source_schema), fields(source)):
        for (name, _), expr in reads.readers.get(change.path, {}).items():
            found.extend(_read_change(change, name, rules.get(name or ""), expr, document, mapping))
    known = {(diagnostic.code, diagnostic.message, diagnostic.location) for diagnostic in before}
    for diagnostic in after:
        if diagnostic.code != "M301" and (diagnostic.code, diagnostic.message, diagnostic.location) not in known:
            found.append(Finding(BREAK if diagnostic.is_error else NOTE, diagnostic.code,
                                 f"{diagnostic.code}: {diagnostic.message}", diagnostic.location, diagnostic.rule))
    return sorted(found, key=Finding.sort_key)


def _parsed(mapping: Mapping) -> Parsed:
    parsed: Parsed = {}
    for rule in walk_rules(mapping.spec.rules):
        for expr in expressions_of(rule):
            try:
                parsed[expr.text] = parse(expr.text)
            except ExpressionError:  # a loaded mapping compiles; a rule's own parse error says it
                parsed[expr.text] = None
    return parsed


def _check(mapping: Mapping, document: Document, parsed: Parsed, source: Schema,
           target: Schema) -> tuple[list[Diagnostic], _Reads]:
    """What the rule checker finds with these schemas (silenced findings left out), and what rules read."""
    found: list[Diagnostic] = []

    def sink(code: str, message: str, location: Location, rule: str | None, ignored: bool) -> None:
        if not ignored:
            found.append(Diagnostic(code, message, location, rule))

    reads = _Reads()
    typer = ExpressionTyper(mapping.function_table.specs, reads, mapping.spec.lookups)
    _ReadingChecker(mapping.spec, document, source, target, typer, parsed, sink).check()
    return found, reads


def _read_change(change: Change, name: str | None, rule: Rule | None, expr: Expr, document: Document,
                 mapping: Mapping) -> list[Finding]:
    """The finding, if any, of ``change`` at the rule ``name`` whose ``expr`` reads the changed field."""
    reader = f"`let` binding {name}" if name and name.startswith("$") else f"rule {name!r}"
    where = _field_location(document, expr, change.path)
    if change.kind == "removed":
        hint = f" (did you mean {change.renamed_to!r}?)" if change.renamed_to else ""
        return [Finding(BREAK, "removed", f"{reader} reads {change.path!r}, which the new source schema "
                                          f"removed{hint}", where, name)]
    if change.kind == "type":
        return [Finding(BREAK if change.breaks_readers else NOTE, "type", f"{reader} reads {change.path!r}, whose "
                        f"type changed: {change.describe().split(': ', 1)[1]}", where, name)]
    if change.kind == "format":
        return [Finding(BREAK, "format", f"{reader} reads {change.path!r}, whose format changed: "
                                         f"{change.describe().split(': ', 1)[1]}", where, name)]
    if change.kind == "enum-added":
        return [_enum_finding(change, name, reader, rule, where, mapping)]
    if change.kind == "nullable":
        return [Finding(NOTE, "nullable", f"{reader} reads {change.path!r}, which may now be null", where, name)]
    return []


def _enum_finding(change: Change, name: str | None, reader: str, rule: Rule | None, where: Location,
                  mapping: Mapping) -> Finding:
    values = ", ".join(repr(value) if isinstance(value, str) else str(value) for value in change.added_values)
    item = rule.item if isinstance(rule, EachRule) else rule
    lookup = mapping.spec.lookups.get(item.lookup) if isinstance(item, ValueRule) and item.lookup else None
    text = f"{reader} reads {change.path!r}, which allows new values: {values}"
    if lookup is None:
        return Finding(NOTE, "enum-added", text, where, name)
    missing = [value for value in change.added_values if lookup_key(value) not in lookup.values]
    if not missing:
        return Finding(NOTE, "enum-added", f"{text}; lookup {lookup.name!r} has them", where, name)
    if lookup.has_default:
        return Finding(NOTE, "enum-added", f"{text}; lookup {lookup.name!r} gives its default for them",
                       where, name)
    return Finding(BREAK, "enum-added", f"{text}; lookup {lookup.name!r} has no entry for "
                                        f"{', '.join(map(repr, missing))} and no default", where, name)


def _field_location(document: Document, expr: Expr, path: str) -> Location:
    """Where ``expr`` names the last step of ``path`` (the expression's start when it does not spell it)."""
    name = path.rsplit(".", 1)[-1].removesuffix("[]")
    found = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", expr.text)
    return expression_location(document, expr, found.start() if found else None)
