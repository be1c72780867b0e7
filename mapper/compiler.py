"""Compile a mapping's rule tree into one callable that builds a target record.

Everything that can be decided once is decided here: expressions are compiled,
lookup tables and constants resolved, the target schema walked to find each
field's coercion, whether it is required, and the order of output keys. The
per-record path is a loop over prepared steps.

A step that fails (an expression raising, a lookup miss, a lossy coercion) is
recorded with its output path and the record goes on being built, so one run
reports every problem of a record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .coercion import Coercer, coercer_for, json_type
from .errors import ExpressionError, MappingError
from .expressions import Expression, Scope, compile_expression
from .functions import FunctionTable
from .model import EachRule, Expr, Lookup, MappingSpec, ObjectRule, Rule, ValueRule, lookup_key
from .schemas import SchemaNode

#: Output path of a field: object keys and array indexes.
Path = tuple[str | int, ...]
#: (path, exception) pairs collected while building one record.
Failures = list[tuple[Path, Exception]]
#: What a field step returns when the field must be left out.
OMIT: Any = object()

Step = Callable[[Any, "Scope | None", Path, Failures], Any]
Builder = Callable[[Any, "Scope | None", Path, Failures], dict[str, Any]]


class LookupMiss(LookupError):
    """A value is not in a lookup table that has no default."""


@dataclass(frozen=True)
class CompiledMapping:
    """The result of compiling: the record builder and what it needs."""

    build: Builder
    expressions: tuple[Expression, ...]
    uses_scope: bool


def compile_mapping(spec: MappingSpec, target: SchemaNode | None, functions: FunctionTable) -> CompiledMapping:
    """Compile ``spec`` against the target schema's root node."""
    compiler = _Compiler(spec.lookups, functions)
    root = compiler.object_builder(spec.rules, target)
    uses_scope = any(expression.uses_context for expression in compiler.expressions)
    return CompiledMapping(root, tuple(compiler.expressions), uses_scope)


class _Compiler:
    def __init__(self, lookups: dict[str, Lookup], functions: FunctionTable) -> None:
        self.lookups = lookups
        self.functions = functions
        self.expressions: list[Expression] = []

    def expression(self, expr: Expr) -> Expression:
        try:
            compiled = compile_expression(expr.text, self.functions)
        except ExpressionError as error:
            raise ExpressionError(error.message, expr.text, error.offset, expr.location) from error
        except MappingError as error:  # e.g. an unknown function: add where
            raise type(error)(error.message, error.location or expr.location) from error
        self.expressions.append(compiled)
        return compiled

    def object_builder(self, rule: ObjectRule, node: SchemaNode | None) -> Builder:
        """A function building the object of ``rule`` (without its own scope/when/default)."""
        required = node.required() if node is not None else frozenset()
        order = node.property_names() if node is not None else []
        fields = sorted(rule.fields, key=lambda item: _position(order, item[0]))
        steps: list[tuple[str, Step, bool]] = []
        for key, child in fields:
            child_node = node.property(key) if node is not None else None
            steps.append((key, self.step(child, child_node), key in required))
        plan = tuple(steps)

        def build(data: Any, scope: Scope | None, path: Path, failures: Failures) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, step, is_required in plan:
                try:
                    value = step(data, scope, path + (key,), failures)
                except Exception as error:  # any rule failure rejects the record, never the run
                    failures.append((path + (key,), error))
                    continue
                if value is None:
                    if is_required:
                        out[key] = None
                elif value is not OMIT:
                    out[key] = value
            return out

        return build

    def step(self, rule: Rule, node: SchemaNode | None) -> Step:
        if isinstance(rule, ValueRule):
            step = self.value_step(rule, node)
        elif isinstance(rule, ObjectRule):
            step = self.object_step(rule, node)
        else:
            step = self.each_step(rule, node)
        if rule.when is None:
            return step
        return _guarded(self.expression(rule.when), step)

    def value_step(self, rule: ValueRule, node: SchemaNode | None) -> Step:
        coerce = coercer_for(node.types()) if node is not None else None
        if rule.has_const:
            value = coerce(rule.const) if coerce is not None else rule.const
            return lambda data, scope, path, failures: value
        assert rule.source is not None
        expression = self.expression(rule.source)
        translate = _translator(self.lookups[rule.lookup]) if rule.lookup else None
        default = rule.default
        if coerce is not None and default is not None:
            default = coerce(default)
        return _value_step(expression, translate, coerce, rule.has_default, default)

    def object_step(self, rule: ObjectRule, node: SchemaNode | None) -> Step:
        build = self.object_builder(rule, node)
        scope_expression = self.expression(rule.scope) if rule.scope is not None else None
        has_default, default = rule.has_default, rule.default

        def step(data: Any, scope: Scope | None, path: Path, failures: Failures) -> Any:
            if scope_expression is not None:
                data = scope_expression(data, scope)
                if data is None:
                    return default if has_default else None
                if scope is not None:
                    scope = scope.enter(data)
            built = build(data, scope, path, failures)
            return built if built else None

        return step

    def each_step(self, rule: EachRule, node: SchemaNode | None) -> Step:
        items_node = node.items() if node is not None else None
        source = self.expression(rule.each)
        has_default, default = rule.has_default, rule.default
        if isinstance(rule.item, ObjectRule):
            build = self.object_builder(rule.item, items_node)

            def make(item: Any, scope: Scope | None, path: Path, failures: Failures) -> Any:
                return build(item, scope, path, failures)
        else:
            value = self.value_step(rule.item, items_node)

            def make(item: Any, scope: Scope | None, path: Path, failures: Failures) -> Any:
                try:
                    return value(item, scope, path, failures)
                except Exception as error:
                    failures.append((path, error))
                    return None

        def step(data: Any, scope: Scope | None, path: Path, failures: Failures) -> Any:
            items = source(data, scope)
            if items is None:
                return default if has_default else None
            if not isinstance(items, list):
                raise TypeError(f"`each` needs an array, got {_type_name(items)}")
            if scope is None:
                return [make(item, None, path + (index,), failures) for index, item in enumerate(items)]
            return [
                make(item, scope.enter(item, index), path + (index,), failures)
                for index, item in enumerate(items)
            ]

        return step


def _guarded(condition: Expression, step: Step) -> Step:
    def guarded(data: Any, scope: Scope | None, path: Path, failures: Failures) -> Any:
        if _truthy(condition(data, scope)):
            return step(data, scope, path, failures)
        return OMIT

    return guarded


def _value_step(expression: Expression, translate: Callable[[Any], Any] | None, coerce: Coercer | None,
                has_default: bool, default: Any) -> Step:
    # The common cases get their own closures: this runs once per field per record.
    if translate is None and coerce is None and not has_default:
        return lambda data, scope, path, failures: expression(data, scope)

    def step(data: Any, scope: Scope | None, path: Path, failures: Failures) -> Any:
        value = expression(data, scope)
        if value is None:
            return default if has_default else None
        if translate is not None:
            value = translate(value)
        return coerce(value) if coerce is not None else value

    return step


def _translator(lookup: Lookup) -> Callable[[Any], Any]:
    values, name = lookup.values, lookup.name
    has_default, default = lookup.has_default, lookup.default

    def translate(value: Any) -> Any:
        if isinstance(value, (dict, list)):
            raise LookupMiss(f"lookup {name!r} needs a single value, got {_type_name(value)}")
        key = lookup_key(value)
        if key in values:
            return values[key]
        if has_default:
            return default
        raise LookupMiss(f"{value!r} is not in lookup {name!r} and the lookup has no default")

    return translate


def _truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null, empty string, array and object are false."""
    return not (value is None or value is False or value == "" or value == [] or value == {})


def _type_name(value: Any) -> str:
    kind = json_type(value)
    return "an " + kind if kind[0] in "aeiou" else "a " + kind


def _position(order: list[str], key: str) -> int:
    try:
        return order.index(key)
    except ValueError:
        return len(order)

