"""The parsed mapping file: plain, frozen, picklable data.

``mapping_file.py`` builds these from a loaded document; ``compiler.py`` turns them into
callables. Nothing here evaluates anything. Every rule knows its ``name`` (the
dotted target path, ``[]`` marking array items, e.g. ``addresses[].line1``)
and its ``location`` in the mapping file; every expression keeps its own
location so compile errors can point inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
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
class Binding:
    """A name bound to an expression: an entry of a ``let:`` block, or a named level of a flattening
    ``each``. Rules below it read the value as ``$name``; ``location`` is where the name is written."""

    name: str
    expr: Expr
    location: Location


@dataclass(frozen=True, eq=False)  # by identity: its rule may hold unhashable constants
class BuiltBinding:
    """A ``let:`` binding whose value a rule builds (``{each: ..., rules: ...}`` or ``{rules: ...}``): built
    once, as a field's value is, and read as ``$name`` by the rules below it. ``rule`` is named
    ``$name`` (``addresses[].$name`` in a nested block), so its rules and their problems are named
    ``$name[].field``. No target schema applies inside it: its values are as its rules give them, and
    the rule that writes ``$name`` to the target converts and validates them."""

    name: str
    rule: Rule
    location: Location


#: An entry of a ``let:`` block.
LetBinding = Binding | BuiltBinding


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
    ``default`` as is; otherwise it is translated through ``lookup``. A rule
    still to be written (``todo``, its note) is the constant null.
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
    ignore: frozenset[str] = frozenset()
    todo: str | None = None


@dataclass(frozen=True)
class ObjectRule:
    """A nested target object built by its own field rules.

    With ``scope`` the fields are evaluated against that expression's value
    (the object is left out when it is null); without, against the current
    record or item. ``bindings`` (its ``let:`` block) are evaluated in order
    against that same value, once per object, before the fields, which read
    them as ``$name``; ``scope`` and ``when`` do not see them.
    """

    name: str
    location: Location
    fields: tuple[tuple[str, Rule], ...]
    scope: Expr | None = None
    default: Any = None
    has_default: bool = False
    when: Expr | None = None
    bindings: tuple[LetBinding, ...] = ()
    ignore: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EachRule:
    """An array built by applying ``item`` to each element of ``each``'s value.

    A flattening ``each`` names its ``levels``: the first expression gives an
    array, each next one is evaluated per item of the one before (with the
    names before it bound) and the items of the last are the array's items;
    ``item``'s rules read every level's item by its name. A plain ``each`` is
    one level without a name.
    """

    name: str
    location: Location
    levels: tuple[Level, ...]
    item: ValueRule | ObjectRule
    default: Any = None
    has_default: bool = False
    when: Expr | None = None
    ignore: frozenset[str] = frozenset()

    @property
    def names(self) -> tuple[str, ...]:
        """The names the levels bind, outermost first."""
        return tuple(level.name for level in self.levels if level.name is not None)


@dataclass(frozen=True)
class Level:
    """One level of an ``each``: the expression giving its array, and the name its items are bound to
    (None for a plain ``each``)."""

    name: str | None
    expr: Expr


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
    """The rule and every rule nested in it, depth first, the rules of built ``let:`` bindings included."""
    found: list[Rule] = [rule]
    if isinstance(rule, ObjectRule):
        for binding in rule.bindings:
            if isinstance(binding, BuiltBinding):
                found.extend(walk_rules(binding.rule))
        for _, child in rule.fields:
            found.extend(walk_rules(child))
    elif isinstance(rule, EachRule):
        found.extend(walk_rules(rule.item))
    return found


def expressions_of(rule: Rule) -> list[Expr]:
    """Every expression written in one rule (not in nested rules, nor in the rules of its built
    bindings), its expression bindings' included."""
    candidates: list[Expr | None] = [rule.when]
    if isinstance(rule, ValueRule):
        candidates.append(rule.source)
    elif isinstance(rule, ObjectRule):
        candidates.append(rule.scope)
        candidates.extend(binding.expr for binding in rule.bindings if isinstance(binding, Binding))
    else:
        candidates.extend(level.expr for level in rule.levels)
    return [expr for expr in candidates if expr is not None]


def scoped_expressions(rule: Rule, visible: frozenset[str] = frozenset()) -> Iterator[tuple[Expr, frozenset[str]]]:
    """Every expression of ``rule`` and the rules nested in it, with the ``$names`` it sees: those of
    the enclosing ``let:`` blocks and ``each`` levels (``visible`` around ``rule``), and the bindings
    written before it in its own block."""
    if rule.when is not None:
        yield rule.when, visible
    if isinstance(rule, ValueRule):
        if rule.source is not None:
            yield rule.source, visible
    elif isinstance(rule, ObjectRule):
        if rule.scope is not None:
            yield rule.scope, visible
        inner = visible
        for binding in rule.bindings:
            if isinstance(binding, Binding):
                yield binding.expr, inner
            else:
                yield from scoped_expressions(binding.rule, inner)
            inner = inner | {binding.name}
        for _, child in rule.fields:
            yield from scoped_expressions(child, inner)
    else:
        inner = visible
        for level in rule.levels:
            yield level.expr, inner
            if level.name is not None:
                inner = inner | {level.name}
        yield from scoped_expressions(rule.item, inner)
