"""How one record becomes its output, field by field: the trace behind ``mapper explain``.

``explain(mapping, record)`` goes through the rules as the compiled builders do
(``compiler.py``: ``let:`` bindings first, fields in the target schema's order,
``when``, then the value: a constant, or the expression's value, its default
when null, else translated through its lookup and converted by ``coercion``;
objects under their ``from``, arrays over their ``each`` levels). It runs the
mapping's own compiled expressions (``CompiledMapping.expressions``), the
runtime's lookup translator and the target's coercers, so the trace has no
semantics of its own; ``Explanation.matches`` says whether it built what
``Mapping.result`` built, which the tests hold for every shipped fixture.

Each rule gives a ``FieldTrace``: its target (a JSON pointer with the item
positions), rule and ``file:line``; the source paths its expression reads
(``reads``), each with its value where the rule ran; the value at each step
(``expression``, ``default``, ``lookup``, ``coercion``, ``constant``); and
whether it was written, or why not (null, ``when`` false, a failure).
``Explanation.to_dict()`` is the documented JSON form (docs/lineage.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field, replace
from typing import Any

from ..coercion import coercer_for, python_types
from ..documents import path_to_pointer
from ..errors import ExpressionError, Location
from ..expressions import Expression, compile_expression
from ..mapping import Mapping, Result
from ..model import BuiltBinding, EachRule, Expr, LetBinding, ObjectRule, Rule, ValueRule
from ..runtime import OMIT, RULE_ERRORS, Path, Scope, is_true, lookup_translator, not_array, with_values
from ..schemas import SchemaNode
from .lineage import rule_kind, where
from .reads import Context, Read, Value, value_of

__all__ = ["Condition", "Explanation", "FieldTrace", "Reading", "TraceStep", "explain"]

Variables = dict[str, Any]


@dataclass(frozen=True)
class Reading:
    """A source path an expression read (``path``, JMESPath where the rule ran, ``Emails[*].Address``),
    its ``value`` there, and what it was read through (``via``, as in lineage)."""

    path: str
    value: Any
    via: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "value": self.value, "via": list(self.via)}


@dataclass(frozen=True)
class TraceStep:
    """The value after one step: ``expression``, ``default``, ``lookup`` (``table`` names it), ``coercion``,
    ``constant``."""

    step: str
    value: Any
    table: str | None = None

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"step": self.step, "value": self.value}
        if self.table is not None:
            found["table"] = self.table
        return found


@dataclass(frozen=True)
class Condition:
    """A rule's ``when``: its expression, its value, and what it read."""

    expression: str
    value: Any
    reads: tuple[Reading, ...]

    @property
    def holds(self) -> bool:
        return is_true(self.value)

    def to_dict(self) -> dict[str, Any]:
        return {"expression": self.expression, "value": self.value, "holds": self.holds,
                "reads": [reading.to_dict() for reading in self.reads]}


@dataclass
class FieldTrace:
    """What one rule did for one target field (or one ``let:`` binding, ``kind`` ``binding``).

    ``kind`` is ``value``, ``object``, ``array`` or ``binding``; ``expression`` the one whose value it
    took (an object's ``from``, an array's first ``each`` level); ``value`` what was written (for values
    and bindings: objects and arrays are traced field by field); ``reason`` why nothing was written.
    """

    target: str
    rule: str
    location: str
    kind: str
    expression: str | None = None
    reads: tuple[Reading, ...] = ()
    steps: list[TraceStep] = field(default_factory=list)
    when: Condition | None = None
    written: bool = False
    value: Any = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "rule": self.rule, "location": self.location, "kind": self.kind,
                "expression": self.expression, "reads": [reading.to_dict() for reading in self.reads],
                "steps": [step.to_dict() for step in self.steps],
                "when": self.when.to_dict() if self.when is not None else None,
                "written": self.written, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class Explanation:
    """The trace of one record: every rule's ``FieldTrace`` in the order they ran, the ``output`` they
    built, and ``result``, what ``Mapping.result`` gave for the record (its problems too)."""

    mapping: str
    record_number: int
    fields: tuple[FieldTrace, ...]
    output: Any
    result: Result

    @property
    def matches(self) -> bool:
        """Whether the trace built what the engine built, keys in the same order (the engine maps nothing of
        a source record that is invalid)."""
        if self.result.output is None and self.result.problems:
            return True
        return json.dumps(self.output, default=repr) == json.dumps(self.result.output, default=repr)

    def below(self, pointer: str) -> Explanation:
        """The explanation of the output field at JSON pointer ``pointer`` and the fields inside it
        (of them all for ``""``)."""
        prefix = pointer.rstrip("/") + "/"
        kept = tuple(trace for trace in self.fields if trace.target == pointer or trace.target.startswith(prefix))
        return replace(self, fields=kept)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"mapping", "record", "ok", "output", "problems", "fields"}`` (docs/lineage.md)."""
        return {"mapping": self.mapping, "record": self.record_number, "ok": self.result.ok,
                "output": self.result.output, "problems": [problem.to_dict() for problem in self.result.problems],
                "fields": [trace.to_dict() for trace in self.fields]}


def explain(mapping: Mapping, record: Any, record_number: int = 1) -> Explanation:
    """The trace of ``record`` through ``mapping`` (``record_number`` as the engine numbers it)."""
    result = mapping.result(record, record_number)
    tracer = _Tracer(mapping, result)
    output = tracer.object_fields(mapping.spec.rules, mapping.target_schema.root, record, Scope.top(record), {}, ())
    return Explanation(mapping.name, record_number, tuple(tracer.traces), output, result)


class _Tracer:
    """Runs the rules of one mapping on one record as the generated builders do, tracing each."""

    def __init__(self, mapping: Mapping, result: Result) -> None:
        self.functions = mapping.function_table
        self.lookups = mapping.spec.lookups
        self.expressions: dict[tuple[str, tuple[str, ...]], Expression] = {
            (expression.text, expression.variables): expression for expression in mapping.compiled.expressions}
        self.messages = {problem.pointer: problem.message for problem in result.problems}
        self.traces: list[FieldTrace] = []

    # -- expressions --------------------------------------------------------------------------------

    def compiled(self, text: str, variables: Variables) -> Expression:
        key = (text, tuple(sorted(variables)))
        expression = self.expressions.get(key)
        if expression is None:
            expression = compile_expression(text, self.functions, variables=key[1], lookups=self.lookups)
            self.expressions[key] = expression
        return expression

    def evaluate(self, expr: Expr, data: Any, scope: Scope, variables: Variables) -> Any:
        """``expr``'s value; raises what the builder's inlined code raises."""
        expression = self.compiled(expr.text, variables)
        return expression.evaluate(data, scope, *(variables[name] for name in expression.variables))

    def source(self, expr: Expr, data: Any, scope: Scope, variables: Variables, trace: FieldTrace) -> Any:
        """``expr``'s value, as the rule of ``trace`` takes it: the expression and what it reads noted there."""
        trace.expression = expr.text
        trace.reads = self.readings(expr, data, scope, variables)
        return self.evaluate(expr, data, scope, variables)

    def readings(self, expr: Expr, data: Any, scope: Scope, variables: Variables) -> tuple[Reading, ...]:
        """The paths ``expr`` reads, each with its value where it runs."""
        expression = self.compiled(expr.text, variables)
        context = Context(_at("@"), _at("$"), self.functions.specs,
                          {name: _at(f"${name}") for name in variables},
                          tuple(_at("@" if level == 0 else f"parent(`{level}`)") for level in range(_depth(scope))),
                          _at("index()"))
        found: dict[str, Reading] = {}
        for read in sorted(value_of(expression.ast, context).reads(), key=lambda read: read.text):
            if read.text not in found:
                found[read.text] = Reading(read.text, self.read_value(read, data, scope, variables), read.via)
        return tuple(found.values())

    def read_value(self, read: Read, data: Any, scope: Scope, variables: Variables) -> Any:
        try:
            return self.evaluate(Expr(read.text, _NOWHERE), data, scope, variables)
        except _READ_ERRORS:  # a path, read on its own, has no value here
            return None

    # -- rules --------------------------------------------------------------------------------------

    def trace(self, rule: Rule, path: Path, kind: str) -> FieldTrace:
        trace = FieldTrace(path_to_pointer(path), _rule_name(rule), where(rule.location), kind)
        self.traces.append(trace)
        return trace

    def object_fields(self, rule: ObjectRule, node: SchemaNode | None, data: Any, scope: Scope,
                      variables: Variables, path: Path) -> dict[str, Any]:
        """The object ``rule``'s fields build (``compiler._Compiler.object_builder``)."""
        variables = dict(variables)
        for binding in rule.bindings:
            if not self.bind(rule, binding, data, scope, variables, path):
                return {}
        built: dict[str, Any] = {}
        required = node.required() if node is not None else frozenset()
        order = node.property_names() if node is not None else []
        for key, child in sorted(rule.fields, key=lambda item: _position(order, item[0])):
            child_node = node.property(key) if node is not None else None
            field_path = path + (key,)
            trace = self.trace(child, field_path, rule_kind(child))
            try:
                value = self.field(child, child_node, data, scope, variables, field_path, trace)
            except RULE_ERRORS as error:
                trace.reason = f"the rule failed: {self.messages.get(trace.target, str(error))}"
                continue
            if value is OMIT:
                continue
            if value is not None or key in required:
                built[key] = value
                trace.written = True
            elif trace.reason is None:
                trace.reason = "null"
            if trace.kind == "value" and trace.written:
                trace.value = value
        return built

    def bind(self, rule: ObjectRule, binding: LetBinding, data: Any, scope: Scope, variables: Variables,
             path: Path) -> bool:
        """Bind ``$name`` in ``variables``; False when its expression fails (the object is not built). A
        built binding is traced as a field at ``path + ("$name",)``, its rules field by field."""
        if isinstance(binding, BuiltBinding):
            built_path = path + (f"${binding.name}",)
            trace = self.trace(binding.rule, built_path, rule_kind(binding.rule))
            try:
                value = self.field(binding.rule, None, data, scope, variables, built_path, trace)
            except RULE_ERRORS as error:
                trace.reason = f"the binding failed, so the object is not built: {error}"
                return False
            variables[binding.name] = value
            trace.written = True
            return True
        prefix = "" if rule.name == "<record>" else f"{rule.name}."
        trace = FieldTrace(path_to_pointer(path), f"{prefix}${binding.name}", where(binding.location), "binding",
                           binding.expr.text, self.readings(binding.expr, data, scope, variables))
        self.traces.append(trace)
        try:
            value = self.evaluate(binding.expr, data, scope, variables)
        except RULE_ERRORS as error:
            trace.reason = f"the binding failed, so the object is not built: {error}"
            return False
        variables[binding.name] = value
        trace.steps.append(TraceStep("expression", value))
        trace.written, trace.value = True, value
        return True

    def field(self, rule: Rule, node: SchemaNode | None, data: Any, scope: Scope, variables: Variables,
              path: Path, trace: FieldTrace) -> Any:
        """The field's value, OMIT when its ``when`` is false (``_Compiler.field``)."""
        if rule.when is not None:
            reads = self.readings(rule.when, data, scope, variables)
            trace.when = Condition(rule.when.text, self.evaluate(rule.when, data, scope, variables), reads)
            if not trace.when.holds:
                trace.reason = "`when` is false"
                return OMIT
        if isinstance(rule, ValueRule):
            return self.plain_value(rule, node, data, scope, variables, trace)
        if isinstance(rule, ObjectRule):
            return self.nested_object(rule, node, data, scope, variables, path, trace)
        return self.each(rule, node, data, scope, variables, path, trace)

    def plain_value(self, rule: ValueRule, node: SchemaNode | None, data: Any, scope: Scope, variables: Variables,
                    trace: FieldTrace) -> Any:
        """A constant, or the expression's value with default, lookup and coercion (``_Compiler.plain_value``)."""
        types = node.types() if node is not None else None
        coerce = coercer_for(types)
        if rule.has_const:
            # Loading has converted the constant already, or refused the mapping.
            const = coerce(rule.const) if coerce is not None else rule.const
            trace.steps.append(TraceStep("constant", const))
            return deepcopy(const)
        assert rule.source is not None
        value = self.source(rule.source, data, scope, variables, trace)
        trace.steps.append(TraceStep("expression", value))
        if value is None:
            if rule.has_default:
                default = coerce(rule.default) if coerce is not None and rule.default is not None else rule.default
                trace.steps.append(TraceStep("default", default))
                return default
            return None
        if rule.lookup:
            table = self.lookups[rule.lookup]
            value = lookup_translator(table.name, table.values, table.has_default, table.default)(value)
            trace.steps.append(TraceStep("lookup", value, table.name))
        if coerce is not None and types is not None and type(value) not in python_types(types):
            converted = coerce(value)
            if converted is not value:
                trace.steps.append(TraceStep("coercion", converted))
            value = converted
        return value

    def nested_object(self, rule: ObjectRule, node: SchemaNode | None, data: Any, scope: Scope,
                      variables: Variables, path: Path, trace: FieldTrace) -> Any:
        """A nested object, left out when none of its fields has a value (``_Compiler.nested_object``)."""
        if rule.scope is None:
            built = with_values(self.object_fields(rule, node, data, scope, variables, path))
        else:
            inner = self.source(rule.scope, data, scope, variables, trace)
            if inner is None:
                return self.default(rule, trace, "`from`")
            built = with_values(self.object_fields(rule, node, inner, scope.enter(inner), variables, path))
        if built is None:
            trace.reason = "none of its fields has a value"
        return built

    def default(self, rule: ObjectRule | EachRule, trace: FieldTrace, what: str) -> Any:
        """The value of an object or array whose ``what`` (``from``, ``each``) gave null: its default, as is."""
        if not rule.has_default:
            trace.reason = f"{what} is null"
            return None
        trace.steps.append(TraceStep("default", rule.default))
        return rule.default

    def each(self, rule: EachRule, node: SchemaNode | None, data: Any, scope: Scope, variables: Variables,
             path: Path, trace: FieldTrace) -> Any:
        """An array, an item per item of the last ``each`` level (``_Compiler.each``)."""
        items_node = node.items() if node is not None else None
        items = self.source(rule.levels[0].expr, data, scope, variables, trace)
        if items is None:
            return self.default(rule, trace, "`each`")
        if not isinstance(items, list):
            not_array(items)
        flattened = list(self.levels(rule, items, scope, variables)) if rule.names else [(item, {}) for item in items]
        built = []
        for index, (item, bound) in enumerate(flattened):
            item_variables = {**variables, **bound}
            item_scope, item_path = scope.enter(item, index), path + (index,)
            if isinstance(rule.item, ObjectRule):
                built.append(self.object_fields(rule.item, items_node, item, item_scope, item_variables, item_path))
                continue
            item_trace = self.trace(rule.item, item_path, "value")
            try:
                value = self.plain_value(rule.item, items_node, item, item_scope, item_variables, item_trace)
            except RULE_ERRORS as error:
                item_trace.reason = f"the rule failed: {self.messages.get(item_trace.target, str(error))}"
                value = None
            item_trace.written, item_trace.value = item_trace.reason is None, value
            built.append(value)
        return built

    def levels(self, rule: EachRule, items: list[Any], scope: Scope,
               variables: Variables) -> Iterator[tuple[Any, Variables]]:
        """The items of a flattening ``each``'s last level, each with the names bound on the way
        (``_Compiler.levels``); a deeper level that gives null has no items."""

        def descend(position: int, current: list[Any], bound: Variables) -> Iterator[tuple[Any, Variables]]:
            level = rule.levels[position]
            for item in current:
                here = {**bound, level.name: item} if level.name is not None else bound
                if position + 1 == len(rule.levels):
                    yield item, here
                    continue
                deeper = self.evaluate(rule.levels[position + 1].expr, item, scope, {**variables, **here})
                if deeper is None:
                    continue
                if not isinstance(deeper, list):
                    not_array(deeper)
                yield from descend(position + 1, deeper, here)

        return descend(0, items, {})


_NOWHERE = Location(None)
_READ_ERRORS: tuple[type[Exception], ...] = (ExpressionError, *RULE_ERRORS)


def _at(base: str) -> Value:
    return Value(frozenset({Read(base)}))


def _depth(scope: Scope | None) -> int:
    """How many scopes ``scope`` is inside, itself included (the record's is 1)."""
    depth, current = 0, scope
    while current is not None:
        depth, current = depth + 1, current.outer
    return depth


def _rule_name(rule: Rule) -> str:
    return "the record" if rule.name == "<record>" else rule.name


def _position(order: list[str], key: str) -> int:
    """Where the target schema puts ``key`` among its properties: the output's key order."""
    return order.index(key) if key in order else len(order)

