"""The parsed mapping file: plain, frozen, picklable data.

``mapping_file.py`` builds these from a loaded document; ``compiler.py`` turns them into
callables. Nothing here evaluates anything. Every rule knows its ``name`` (the
dotted target path, ``[]`` marking array items, e.g. ``addresses[].line1``)
and its ``location`` in the mapping file; every expression keeps its own
location so compile errors can point inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Location


@dataclass(frozen=True)
class Expr:
    """A JMESPath expression as written, with where it is written."""

    text: str
    location: Location


@dataclass(frozen=True)
class Side:
    """The source or the target of a mapping."""

    schema_path: str  # absolute path of the schema file
    schema_location: Location  # where the mapping names it
    format: str = "json"
    records: str | None = None
    namespaces: dict[str, str] = field(default_factory=dict)
    validate: bool = False
    xml: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Lookup:
    """A value table: source value text -> target value, with an optional fallback."""

    name: str
    values: dict[str, Any]
    location: Location
    has_default: bool = False
    default: Any = None


@dataclass(frozen=True)
class ValueRule:
    """A field whose value is a constant or comes from an expression.

    Order of work: ``when`` decides whether the field is written at all; the
    value is ``const`` or the result of ``source``; a null value becomes
    ``default`` as is; otherwise it is translated through ``lookup``.
    """

    name: str
    location: Location
    source: Expr | None = None
    const: Any = None
    has_const: bool = False
    lookup: str | None = None
    default: Any = None
    has_default: bool = False
    when: Expr | None = None


@dataclass(frozen=True)
class ObjectRule:
    """A nested target object built by its own field rules.

    With ``scope`` the fields are evaluated against that expression's value
    (the object is left out when it is null); without, against the current
    record or item.
    """

    name: str
    location: Location
    fields: tuple[tuple[str, Rule], ...]
    scope: Expr | None = None
    default: Any = None
    has_default: bool = False
    when: Expr | None = None


@dataclass(frozen=True)
class EachRule:
    """An array built by applying ``item`` to each element of ``each``'s value."""

    name: str
    location: Location
    each: Expr
    item: ValueRule | ObjectRule
    default: Any = None
    has_default: bool = False
    when: Expr | None = None


Rule = ValueRule | ObjectRule | EachRule


@dataclass(frozen=True)
class MappingSpec:
    """A whole mapping file."""

    name: str
    file: str
    source: Side
    target: Side
    rules: ObjectRule
    lookups: dict[str, Lookup] = field(default_factory=dict)
    description: str = ""


def lookup_key(value: Any) -> str:
    """The text a lookup table is keyed by: strings as is, numbers and booleans as in JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def walk_rules(rule: Rule) -> list[Rule]:
    """The rule and every rule nested in it, depth first."""
    found: list[Rule] = [rule]
    if isinstance(rule, ObjectRule):
        for _, child in rule.fields:
            found.extend(walk_rules(child))
    elif isinstance(rule, EachRule):
        found.extend(walk_rules(rule.item))
    return found


def expressions_of(rule: Rule) -> list[Expr]:
    """Every expression written in one rule (not in nested rules)."""
    candidates: list[Expr | None] = [rule.when]
    if isinstance(rule, ValueRule):
        candidates.append(rule.source)
    elif isinstance(rule, ObjectRule):
        candidates.append(rule.scope)
    else:
        candidates.append(rule.each)
    return [expr for expr in candidates if expr is not None]
