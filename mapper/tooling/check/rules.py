"""Check a parsed mapping's rules against its source and target schemas.

The rule tree is walked in step with the target schema (what may be written,
what must be) while every expression is typed through the source schema
(``inference``), each in its scope: the record, the item of an ``each``, the
value of an object rule's ``from``. A rule's value shape is then held against
its target property, taking into account what ``mapper`` converts on the way
(``coercion``: ``"42"`` becomes ``42`` for an integer field, so a string is no
mismatch there, but an array or a boolean is).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ...coercion import CoercionError, coercer_for, refused_value, short_json
from ...documents import Document
from ...errors import Location
from ...jsontypes import type_allows
from ...mapping_file import expression_location
from ...model import BuiltBinding, EachRule, Expr, Lookup, MappingSpec, ObjectRule, Rule, ValueRule, walk_rules
from ...schemas import Schema, SchemaNode
from .codes import CODES, UNSILENCEABLE
from .inference import ExpressionTyper, Observations, Scope, is_container, lookup_of_container
from .shapes import (
    ANY,
    NULL,
    TEXT_FORMATS,
    ObjectShape,
    Shape,
    array_of,
    looked_up,
    of_schema,
    of_value,
    union,
)
from .values import ValueJudge

#: report(code, message, location, rule name, ignored): ``ignored`` when a rule's ``ignore:`` silences it
Report = Callable[[str, str, Location, "str | None", bool], None]
#: Parsed expressions by text (None when it did not compile: already reported).
Parsed = dict[str, "dict[str, Any] | None"]

_NUMBER_TEXT = re.compile(r"\s*[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*\Z")


class RuleChecker:
    """Checks every rule of ``spec``; reports through ``report``."""

    def __init__(self, spec: MappingSpec, document: Document, source: Schema, target: Schema,
                 typer: ExpressionTyper, parsed: Parsed, sink: Report,
                 unchecked: frozenset[Location] = frozenset(), unreadable: frozenset[Location] = frozenset()) -> None:
        self.spec = spec
        #: Rules whose value is not checked against the target (their lookup is unknown, already reported).
        self.unchecked = unchecked
        #: Rules not checked at all, nor the rules in them (they break the mapping-file format, reported).
        self.unreadable = unreadable
        self.document = document
        self.source = source
        self.target = target
        self.typer = typer
        self.parsed = parsed
        self.sink = sink
        #: The rules being checked that have an ``ignore:``, innermost last.
        self.ignoring: list[Rule] = []
        #: (rule location, code) of every ``ignore:`` entry that silenced a finding.
        self.silenced: set[tuple[Location, str]] = set()
        self._values = ValueJudge(target)

    def check(self) -> None:
        """Check every rule, then what only the whole walk tells: the ``let:`` bindings no expression
        reads (``W403``), and the ``ignore:`` entries that cannot or did not silence anything."""
        record = of_schema(self.source.root, "")
        self.object_fields(self.spec.rules, self.target.root, record.without_null(), Scope((record,), complete=True))
        read = self.typer.observations.bindings
        for rule in walk_rules(self.spec.rules):
            if isinstance(rule, ObjectRule):
                for binding in rule.bindings:
                    if binding not in read:
                        self.report("W403", f"${binding.name} is read by no rule", binding.location, None)
            self._check_ignore(rule)

    def _check_ignore(self, rule: Rule) -> None:
        """``W404`` for an ``ignore:`` code that is no code or cannot be silenced, ``W405`` for one that
        silenced nothing (as ruff's RUF100: it should go before it hides a new problem)."""
        for code in sorted(rule.ignore):
                if code not in CODES or code in UNSILENCEABLE:
                    why = "is not a code of mapper check" if code not in CODES else \
                        "cannot be ignored: mapper convert refuses the mapping for it"
                    self.report("W404", f"ignore: {code} {why}", rule.location, rule.name)
                elif (rule.location, code) not in self.silenced:
                    self.report("W405", f"ignore: {code} silences nothing here: remove it", rule.location, rule.name)

    def report(self, code: str, message: str, location: Location, rule: str | None) -> None:
        """Report a finding, silenced when a rule being checked ignores its code."""
        silencer = None if code in UNSILENCEABLE else next(
            (ignoring for ignoring in reversed(self.ignoring) if code in ignoring.ignore), None)
        if silencer is not None:
            self.silenced.add((silencer.location, code))
        self.sink(code, message, location, rule, silencer is not None)

    # -- expressions ----------------------------------------------------------------------------

    def shape_of(self, expr: Expr, current: Shape, scope: Scope, rule: str | None) -> tuple[Shape, bool]:
        """The shape of ``expr``'s value, and whether reading it reported anything."""
        ast = self.parsed.get(expr.text)
        if ast is None:
            # It did not compile (reported): whatever it reads, no binding is unread because of it.
            self.typer.observations.bindings.update(scope.bindings.values())
            return ANY, True
        reported = False

        def report(code: str, message: str, offset: int | None) -> None:
            nonlocal reported
            reported = True
            self.report(code, message, expression_location(self.document, expr, offset), rule)

        shape = self.typer.infer_text(expr.text, ast, current, scope, report)
        return shape, reported

    # -- rules ----------------------------------------------------------------------------------

    def rule(self, rule: Rule, target: SchemaNode | None, required: bool, current: Shape, scope: Scope) -> Shape:
        """Check ``rule`` against ``target`` (None: nothing to hold it against); the shape of what it builds."""
        if rule.location in self.unreadable:
            return ANY
        if rule.when is not None:
            self.shape_of(rule.when, current, scope, rule.name)
            condition = self.parsed.get(rule.when.text)
            if condition is not None:
                current, scope = self.typer.assume(condition, current, scope)
        if isinstance(rule, ValueRule):
            built = self.value_rule(rule, target, required, current, scope)
        elif isinstance(rule, ObjectRule):
            built = self.object_rule(rule, target, current, scope)
        else:
            built = self.each_rule(rule, target, current, scope)
        return built if rule.when is None else union([built, NULL])

    def object_rule(self, rule: ObjectRule, target: SchemaNode | None, current: Shape, scope: Scope) -> Shape:
        self._expect_kind(rule, target, "object", "builds an object")
        if rule.has_default and target is not None:
            self._check_value(rule, target, rule.default, "its default")
        if rule.scope is not None:
            value, reported = self.shape_of(rule.scope, current, scope, rule.name)
            if not reported and not value.can_be("object") and value.definite_kinds():
                self.report("M304", f"`from` gives {value.without_null().describe()}, never an object, "
                                    "so the rules below have no fields to read", rule.location, rule.name)
                value = ANY
            current = value.without_null()
            scope = scope.enter(value)
        built = self.object_fields(rule, target, current, scope)
        # An object without values is left out, as is one whose `from` gives null.
        return union([built, NULL]) if not rule.has_default else built

    def object_fields(self, rule: ObjectRule, target: SchemaNode | None, current: Shape, scope: Scope) -> Shape:
        """Check the bindings and fields of ``rule``; the shape of the object they build."""
        for binding in rule.bindings:
            if isinstance(binding, BuiltBinding):
                with self.ignores(binding.rule):
                    shape = self.rule(binding.rule, None, True, current, scope)
            else:
                shape, _ = self.shape_of(binding.expr, current, scope, f"${binding.name}")
            scope = scope.bind(binding.name, shape, binding)
        required = target.required() if target is not None else frozenset()
        written = {key for key, _ in rule.fields}
        fields: list[tuple[str, Shape]] = []
        if target is not None:
            missing = [name for name in _ordered(target, required) if name not in written]
            if missing:
                names = ", ".join(repr(name) for name in missing)
                which = "property" if len(missing) == 1 else "properties"
                where = f"in {rule.name!r} " if rule.name != "<record>" else ""
                self.report("M202", f"the target requires {which} {names} {where}but no rule writes "
                                    f"{'it' if len(missing) == 1 else 'them'}", rule.location, None)
        for key, child in rule.fields:
            with self.ignores(child):
                child_target = target.property(key) if target is not None else None
                if target is not None and child_target is None and not target.allows_additional():
                    known = target.property_names()
                    close = difflib.get_close_matches(key, known, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    where = f" in {rule.name!r}" if rule.name != "<record>" else ""
                    self.report("M201", f"the target schema does not allow property {key!r}{where}{hint}",
                                child.location, child.name)
                fields.append((key, self.rule(child, child_target, key in required, current, scope)))
        return Shape(frozenset({"object"}), objects=(ObjectShape(fields=tuple(fields)),))

    @contextmanager
    def ignores(self, rule: Rule) -> Iterator[None]:
        """While ``rule`` and the rules in it are checked, its ``ignore:`` codes are silenced."""
        if not rule.ignore:
            yield
            return
        self.ignoring.append(rule)
        try:
            yield
        finally:
            self.ignoring.pop()

    def each_rule(self, rule: EachRule, target: SchemaNode | None, current: Shape, scope: Scope) -> Shape:
        self._expect_kind(rule, target, "array", "builds an array")
        if rule.has_default and target is not None:
            self._check_value(rule, target, rule.default, "its default")
        items = current  # what the first level runs on; each next one runs on an item of the one before
        for level in rule.levels:
            value, reported = self.shape_of(level.expr, items, scope, rule.name)
            if not reported and not value.can_be("array") and value.definite_kinds():
                self.report("M303", f"`each` needs an array, but {level.expr.text!r} gives "
                                    f"{value.without_null().describe()}", level.expr.location, rule.name)
                value = ANY
            items = value.items if value.items is not None and not value.unknown else ANY
            if level.name is not None:
                scope = scope.bind(level.name, items)
        item_target = target.items() if target is not None else None
        item_scope = scope.enter(items, item=True)
        if isinstance(rule.item, ObjectRule):
            item = self.object_fields(rule.item, item_target, items.without_null(), item_scope)
        else:
            # Null items stay in the array: an item is as good as required.
            item = self.value_rule(rule.item, item_target, True, items, item_scope)
        # A null or missing array leaves the field out.
        return union([array_of(item), NULL]) if not rule.has_default else array_of(item)

    def value_rule(self, rule: ValueRule, target: SchemaNode | None, required: bool, current: Shape,
                   scope: Scope) -> Shape:
        """Check a value rule; the shape of its value."""
        if rule.todo is not None:
            # Not yet a rule: what it will write cannot be checked (`mapper scaffold` writes these).
            self.report("W406", f"still to be written: {rule.todo}", rule.location, rule.name)
            return ANY
        if rule.has_const:
            if target is not None:
                self._check_value(rule, target, rule.const, "its constant")
            return of_value(rule.const)
        assert rule.source is not None
        value, reported = self.shape_of(rule.source, current, scope, rule.name)
        if rule.has_default and target is not None:
            self._check_value(rule, target, rule.default, "its default")
        self._observe(value, target, rule)
        if rule.lookup is not None:
            lookup = self.spec.lookups[rule.lookup]
            if not reported and is_container(value):
                self.report("M107", lookup_of_container(lookup.name, value), rule.location, rule.name)
                reported = True
            if target is not None:
                self._check_lookup(rule, target, lookup)
            value = looked_up(lookup, value)
        if rule.has_default:
            value = union([value.without_null(), of_value(rule.default)]) if value.nullable else value
        if reported or rule.location in self.unchecked:
            return value
        if value.only_null:
            self.report("W402", f"the rule can only ever yield null ({rule.source.text!r})",
                        rule.location, rule.name)
            return value
        if target is not None:
            self._fit(rule, value, target, required, from_lookup=rule.lookup is not None)
        return value

    def _observe(self, value: Shape, target: SchemaNode | None, rule: ValueRule) -> None:
        """Note what values of the source path would make the rule work (for ``mapper fuzz``)."""
        observations = self.typer.observations
        if value.path is None:
            return
        if rule.lookup is not None:
            observations.constant(value.path, self.spec.lookups[rule.lookup].values)
            return
        if target is None:
            return
        format_ = target.keyword("format")
        if isinstance(format_, str):
            observations.formats.setdefault(value.path, set()).add(format_)
        allowed = target.keyword("enum")
        if isinstance(allowed, list):
            observations.constant(value.path, allowed)

    # -- target checks --------------------------------------------------------------------------

    def _expect_kind(self, rule: Rule, target: SchemaNode | None, kind: str, builds: str) -> None:
        if target is None:
            return
        types = target.types()
        if types is not None and kind not in types:
            self.report("M203", f"the rule {builds}, but the target property takes "
                                f"{Shape(types).describe()}", rule.location, rule.name)

    def _fit(self, rule: ValueRule, value: Shape, target: SchemaNode, required: bool, *, from_lookup: bool) -> None:
        types = target.types()
        if types is None or value.unknown:
            return
        wrong = [kind for kind in sorted(value.definite_kinds()) if not _fits(kind, value, types)]
        if wrong:
            where = f" (read from {value.path})" if value.path else ""
            self.report("M203", f"the value can be {Shape(frozenset(wrong)).describe()}{where}, but the target "
                                f"property takes {Shape(types).describe()}", rule.location, rule.name)
            return
        if required and value.null_from and "null" not in types and not rule.has_default:
            self.report("M204", f"the source schema allows null at {value.null_from}, but the target requires "
                                "this property and does not take null: give the rule a default",
                        rule.location, rule.name)
            return
        if value.values is not None and not from_lookup:
            for candidate in value.values:
                problem = self._violation(target, candidate)
                if problem is not None:
                    self.report("M205", f"the value can be {short_json(candidate)}, which the target does not "
                                        f"take: {problem}", rule.location, rule.name)
                    return

    def _check_value(self, rule: Rule, target: SchemaNode, value: Any, what: str) -> None:
        problem = self._violation(target, value)
        if problem is not None:
            self.report("M205", refused_value(what, value, problem),
                        rule.location, rule.name)

    def _check_lookup(self, rule: ValueRule, target: SchemaNode, lookup: Lookup) -> None:
        results = list(lookup.values.items())
        if lookup.has_default:
            results.append(("(default)", lookup.default))
        for key, result in results:
            problem = self._violation(target, result)
            if problem is not None:
                given = "as its default" if key == "(default)" else f"for {key!r}"
                self.report("M205", f"lookup {lookup.name!r} gives {short_json(result)} {given}, which the target "
                                    f"does not take: {problem}", rule.location, rule.name)
                return

    def _violation(self, target: SchemaNode, value: Any) -> str | None:
        """Why ``value`` (converted as the engine would) is invalid under ``target``; None when valid."""
        coerce = coercer_for(target.types())
        try:
            converted = coerce(value) if coerce is not None and value is not None else value
        except CoercionError as error:
            return str(error)
        return self._values.violation(target, converted)


def unread_fields(source: Schema, reads: Observations, depth: int = 12) -> list[str]:
    """Source property paths no expression reads, below the objects the rules navigate into."""
    navigated = {""}
    for path in reads.read:
        for end in range(len(path)):
            if path[end] in ".[" and path[:end]:
                navigated.add(path[:end])
    unread: list[str] = []

    def walk(node: SchemaNode | None, path: str, level: int) -> None:
        if node is None or level > depth or path not in navigated:
            return
        items = node.items()
        if items is not None:
            walk(items, f"{path}[]", level + 1)
        for name in node.property_names():
            child_path = f"{path}.{name}" if path else name
            if child_path not in reads.read:
                unread.append(child_path)
            else:
                walk(node.property(name), child_path, level + 1)

    walk(source.root, "", 0)
    return unread


def _ordered(target: SchemaNode, required: frozenset[str]) -> list[str]:
    declared = [name for name in target.property_names() if name in required]
    return declared + sorted(required - set(declared))


def _fits(kind: str, value: Shape, types: frozenset[str]) -> bool:
    """Whether a value of ``kind`` can be written where ``types`` are allowed (maybe converted)."""
    if type_allows(types, kind):
        return True
    if kind == "number" and "integer" in types:
        return True  # 42.0 converts; 4.5 is refused record by record
    if kind in ("integer", "number") and "string" in types:
        return True
    if kind == "string":
        if types & {"integer", "number"} and _may_read_as(value, _NUMBER_TEXT.match):
            return True
        if "boolean" in types and _may_read_as(value, lambda text: text in ("true", "false")):
            return True
    return False


def _may_read_as(value: Shape, reads: Callable[[str], Any]) -> bool:
    if value.values is not None:
        return any(isinstance(candidate, str) and reads(candidate) for candidate in value.values)
    return not (value.formats & TEXT_FORMATS)

