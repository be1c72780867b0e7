"""Which source paths feed which target fields: a mapping's lineage, read from its rules alone.

``lineage_of(mapping)`` walks the rule tree as the compiler does (each object
rule's ``from`` and each ``each`` level moving the current value, ``let:``
blocks and named levels binding ``$names``) and asks ``reads`` what every
expression reads, starting from the record, so that every path is a path in
the source record. The answer is a ``Lineage``: an ``Edge`` per source path and
target field, naming the rule (``file:line``) and what the path was read
through (``$``, ``root()``, ``parent(n)``, ``index()``, ``$name``,
``lookup:TABLE``, ``when`` for a condition); a ``Constant`` per field whose
value the mapping writes itself. Paths are JSON pointers where ``*`` stands for
any item of an array (or value of an object): lineage connects fields, not
positions. ``Lineage.to_dict()`` is the documented JSON form (docs/lineage.md).
"""

from __future__ import annotations

from collections.abc import Mapping as MappingOf
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from ..documents import path_to_pointer
from ..errors import Location
from ..functions import FunctionSpec
from ..mapping import Mapping
from ..model import BuiltBinding, EachRule, Expr, MappingSpec, ObjectRule, Rule, ValueRule
from ..parser import parse
from .reads import NOTHING, Context, Read, Value, Wildcard, items_of, value_of

__all__ = ["Constant", "Edge", "Field", "Lineage", "lineage", "lineage_of", "rule_kind", "source_pointer", "where"]

#: A target path: object keys, ``*`` for the items of an array.
TargetPath = tuple[str, ...]


@dataclass(frozen=True)
class Edge:
    """``source`` (a JSON pointer into the source record) feeds ``target`` (one into the output), by the
    rule at ``rule`` (``file:line``), read through ``via``."""

    source: str
    target: str
    rule: str
    via: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "rule": self.rule, "via": list(self.via)}


@dataclass(frozen=True)
class Constant:
    """``target`` is written ``value`` by the mapping itself (``todo``: a rule still to be written, null)."""

    target: str
    rule: str
    value: Any = None
    todo: str | None = None

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"target": self.target, "rule": self.rule, "value": self.value}
        if self.todo is not None:
            found["todo"] = self.todo
        return found


@dataclass(frozen=True)
class Field:
    """A target field the mapping writes: its pointer, its rule, and whether it is a ``value``, an
    ``object`` (built by its own rules) or an ``array`` (``each``)."""

    target: str
    rule: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "rule": self.rule, "kind": self.kind}


@dataclass(frozen=True)
class Lineage:
    """The lineage of one mapping, in the order of the mapping file."""

    mapping: str
    file: str
    fields: tuple[Field, ...]
    edges: tuple[Edge, ...]
    constants: tuple[Constant, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"mapping", "file", "fields", "edges", "constants"}`` (docs/lineage.md)."""
        return {"mapping": self.mapping, "file": self.file, "fields": [item.to_dict() for item in self.fields],
                "edges": [edge.to_dict() for edge in self.edges],
                "constants": [constant.to_dict() for constant in self.constants]}


def lineage_of(mapping: Mapping) -> Lineage:
    """The lineage of a loaded mapping (its own functions' facts included)."""
    return lineage(mapping.spec, mapping.function_table.specs)


def lineage(spec: MappingSpec, functions: MappingOf[str, FunctionSpec]) -> Lineage:
    """The lineage of the parsed mapping ``spec``, knowing the functions ``functions``."""
    walk = _Walk()
    record = Value(frozenset({Read("$")}))
    walk.object_fields(spec.rules, (), Context(record, record, functions, scopes=(record,)))
    return Lineage(spec.name, PurePath(spec.file).name, tuple(walk.fields), tuple(dict.fromkeys(walk.edges)),
                   tuple(walk.constants))


def where(location: Location) -> str:
    """``file:line`` of a place in a mapping file, as lineage and explain name rules."""
    file = PurePath(location.file).name if location.file else "<string>"
    return f"{file}:{location.line}" if location.line is not None else file


def source_pointer(read: Read) -> str:
    """The JSON pointer of a path read from the record, ``*`` for any item or value."""
    return path_to_pointer(tuple("*" if isinstance(step, (int, Wildcard)) else step for step in read.steps))


def _scope(value: Value) -> Value:
    """The current value of the rules below a ``from`` or an ``each`` level that gives ``value``: at its
    paths (what it was selected by is the object's or the array's own source); a computed value stays
    computed from what it read."""
    return Value(value.refs, frozenset() if value.refs else value.derived, value.many)


def rule_kind(rule: Rule) -> str:
    """``value``, ``object`` (a rule with rules of its own) or ``array`` (an ``each``)."""
    return "value" if isinstance(rule, ValueRule) else "object" if isinstance(rule, ObjectRule) else "array"


class _Walk:
    def __init__(self) -> None:
        self.fields: list[Field] = []
        self.edges: list[Edge] = []
        self.constants: list[Constant] = []
        self.fed: list[Value] = []  # every value fed to a target field

    def value(self, expr: Expr, context: Context) -> Value:
        return value_of(parse(expr.text), context)

    def built(self, rule: Rule, context: Context) -> Value:
        """The value of a built binding: computed from every path its rules read (the edges of
        ``$name`` lead from all of them, as for any value computed from several)."""
        inner = _Walk()
        inner.rule(rule, (), context)
        return Value(derived=frozenset().union(*(value.reads() for value in inner.fed)))

    def feed(self, value: Value, target: TargetPath, rule: Rule, *via: str) -> None:
        """An edge from every path ``value`` reads to ``target``."""
        self.fed.append(value)
        pointer, at = path_to_pointer(target), where(rule.location)
        for read in sorted(value.reads(), key=lambda read: (source_pointer(read), read.via)):
            self.edges.append(Edge(source_pointer(read), pointer, at, read.via + tuple(
                label for label in via if label not in read.via)))

    def object_fields(self, rule: ObjectRule, target: TargetPath, context: Context) -> None:
        for binding in rule.bindings:
            value = self.built(binding.rule, context) if isinstance(binding, BuiltBinding) else \
                self.value(binding.expr, context)
            context = context.bind(binding.name, value)
        for key, child in rule.fields:
            self.rule(child, target + (key,), context)

    def rule(self, rule: Rule, target: TargetPath, context: Context) -> None:
        self.fields.append(Field(path_to_pointer(target), where(rule.location), rule_kind(rule)))
        if rule.when is not None:
            self.feed(self.value(rule.when, context), target, rule, "when")
        if isinstance(rule, ValueRule):
            self.value_rule(rule, target, context)
        elif isinstance(rule, ObjectRule):
            if rule.scope is not None:
                scope = self.value(rule.scope, context)
                self.feed(scope, target, rule)
                context = context.enter(_scope(scope))
            self.object_fields(rule, target, context)
        else:
            self.each_rule(rule, target, context)

    def value_rule(self, rule: ValueRule, target: TargetPath, context: Context) -> None:
        pointer, at = path_to_pointer(target), where(rule.location)
        if rule.todo is not None:
            self.constants.append(Constant(pointer, at, None, rule.todo))
        elif rule.has_const:
            self.constants.append(Constant(pointer, at, rule.const))
        else:
            assert rule.source is not None
            lookup = (f"lookup:{rule.lookup}",) if rule.lookup else ()
            self.feed(self.value(rule.source, context), target, rule, *lookup)

    def each_rule(self, rule: EachRule, target: TargetPath, context: Context) -> None:
        current = context
        items = NOTHING
        for level in rule.levels:
            given = self.value(level.expr, current)
            self.feed(given, target, rule)
            items = items_of(_scope(given))
            if level.name is not None:
                context = context.bind(level.name, items)
            current = context.on(items)
        item_context = context.enter(items, position=items)
        if isinstance(rule.item, ObjectRule):
            self.object_fields(rule.item, target + ("*",), item_context)
        else:
            self.value_rule(rule.item, target + ("*",), item_context)

