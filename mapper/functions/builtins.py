"""jmespath's built-in functions and mapper's context functions, as specs with their facts.

The built-ins behave as in jmespath 1.1.0: their callables are jmespath's own
methods, their parameters jmespath's signatures; mapper adds return types,
documentation and facts (``_BUILTINS``), and one extension: ``join`` gives null
for a null array, as mapper's library functions do for a null subject. The context functions ``root()``,
``parent()`` and ``index()`` are declared here so that checkers know them, but
evaluated by the expression layer, which alone knows the record and the
enclosing items.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import jmespath.functions
from jmespath.exceptions import JMESPathTypeError

from .errors import FunctionError, SortKeyTypeError
from .specs import Expects, FunctionSpec, ParamSpec, Refines, param


@dataclass(frozen=True)
class _Builtin:
    """What mapper declares about one built-in, beyond jmespath's signature."""

    returns: tuple[str, ...]
    doc: str
    facts: dict[str, Any] = field(default_factory=dict)  # FunctionSpec fields
    expects: dict[int, Expects] = field(default_factory=dict)  # parameter position -> the text it reads
    # Whether jmespath's method raises Python's own errors on some values: contains('', null) is a
    # TypeError, ceil(1e999) an OverflowError, avg([1e400 as int]) too, min_by of mixed key types a
    # TypeError. The others raise only jmespath's errors, so their calls need no wrap.
    raises_python_errors: bool = False
    # The position of an array parameter that also takes null, giving null: "null in, null out" for
    # join(' ', given) on a record without `given`, where jmespath's signature refuses null.
    null_array: int | None = None


_BUILTINS: dict[str, _Builtin] = {
    "abs": _Builtin(("number",), "The absolute value."),
    "avg": _Builtin(("number", "null"), "The mean of an array of numbers; null when empty.",
                    raises_python_errors=True),
    "ceil": _Builtin(("number",), "The smallest integer not below the number.", {"refines": Refines("integer")},
                     raises_python_errors=True),
    "contains": _Builtin(("boolean",), "Whether the array or string contains the value.", {"member": (1, 0)},
                         raises_python_errors=True),
    "ends_with": _Builtin(("boolean",), "Whether the string ends with the suffix."),
    "floor": _Builtin(("number",), "The largest integer not above the number.", {"refines": Refines("integer")},
                      raises_python_errors=True),
    "join": _Builtin(("string", "null"), "The strings of the array joined by the separator; null for null.",
                     null_array=1),
    "keys": _Builtin(("array",), "The keys of the object.", {"refines": Refines("array_of", items="string")}),
    "length": _Builtin(("number",), "The length of a string, array or object.", {"refines": Refines("integer")}),
    "map": _Builtin(("array",), "The expression applied to every item.",
                    {"refines": Refines("mapped", 0), "expref_items": 1}),
    "max": _Builtin(("number", "string", "null"), "The largest number or string; null when empty.",
                    {"refines": Refines("item", 0)}),
    "max_by": _Builtin(("any",), "The item with the largest expression value.",
                       {"refines": Refines("item", 0), "expref_items": 0}, raises_python_errors=True),
    "merge": _Builtin(("object",), "The objects merged, later keys winning."),
    "min": _Builtin(("number", "string", "null"), "The smallest number or string; null when empty.",
                    {"refines": Refines("item", 0)}),
    "min_by": _Builtin(("any",), "The item with the smallest expression value.",
                       {"refines": Refines("item", 0), "expref_items": 0}, raises_python_errors=True),
    "not_null": _Builtin(("any",), "The first argument that is not null.",
                         {"refines": Refines("first_present"), "passes_text": True}),
    "reverse": _Builtin(("string", "array"), "The string or array reversed.", {"refines": Refines("argument", 0)}),
    "sort": _Builtin(("array",), "The numbers or strings sorted.", {"refines": Refines("argument", 0)}),
    "sort_by": _Builtin(("array",), "The items sorted by the expression value.",
                        {"refines": Refines("argument", 0), "expref_items": 0, "sorts_by_key": True}),
    "starts_with": _Builtin(("boolean",), "Whether the string starts with the prefix."),
    "sum": _Builtin(("number",), "The sum of an array of numbers."),
    "to_array": _Builtin(("array",), "The value, wrapped in an array unless it is one.",
                         {"refines": Refines("as_array", 0)}),
    "to_number": _Builtin(("number", "null"), "The value as a number; null when it cannot be read.",
                          expects={0: Expects("number_text")}),
    "to_string": _Builtin(("string",), "The value as a string (JSON for non-strings)."),
    "type": _Builtin(("string",), "The JMESPath type name of the value."),
    "values": _Builtin(("array",), "The values of the object."),
}

# One shared instance: the built-in methods need a Functions ``self`` (sort_by
# and friends call its helpers) but keep no state in it.
_JMESPATH = jmespath.functions.Functions()


def _sort_key_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """A jmespath ``*_by`` built-in whose key type errors read as ``SortKeyTypeError``."""

    def call(array: Any, expref: Any) -> Any:
        try:
            return function(array, expref)
        except JMESPathTypeError as error:
            if type(error) is not JMESPathTypeError:
                raise
            value = error.current_value
            if error.function_name == "sort_by" and array and value is array[0]:
                value = expref.visit(expref.expression, value)  # jmespath reports the item, not its key
            raise SortKeyTypeError(error.function_name, value, error.actual_type, error.expected_types) from None

    call.__name__ = getattr(function, "__name__", "call")
    return call


def _null_gives_null(params: tuple[ParamSpec, ...], function: Callable[..., Any],
                     position: int) -> tuple[tuple[ParamSpec, ...], Callable[..., Any]]:
    """The parameters and call of a built-in whose argument at ``position`` also takes null, giving null."""
    taking = replace(params[position], types=(*params[position].types, "null"))

    def call(*args: Any) -> Any:
        return None if args[position] is None else function(*args)

    call.__name__ = getattr(function, "__name__", "call")
    return (*params[:position], taking, *params[position + 1:]), call


def _builtin_specs() -> dict[str, FunctionSpec]:
    table = jmespath.functions.Functions.FUNCTION_TABLE
    if set(table) != set(_BUILTINS):
        raise AssertionError(f"jmespath's built-ins changed: {sorted(set(table) ^ set(_BUILTINS))}")
    specs = {}
    for name, entry in sorted(table.items()):
        builtin = _BUILTINS[name]
        params = tuple(ParamSpec(tuple(argument["types"]) or ("any",), variadic=bool(argument.get("variadic")),
                                 expects=builtin.expects.get(position))
                       for position, argument in enumerate(entry["signature"]))
        function = getattr(_JMESPATH, f"_func_{name}")
        if name in ("sort_by", "min_by", "max_by"):
            function = _sort_key_errors(function)
        if builtin.null_array is not None:
            params, function = _null_gives_null(params, function, builtin.null_array)
        specs[name] = FunctionSpec(name, function, params, builtin.returns, doc=builtin.doc,
                                   wrap_errors=builtin.raises_python_errors, **builtin.facts)
    return specs


#: jmespath's built-in functions by name.
BUILTIN_FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType(_builtin_specs())


# -- context functions --------------------------------------------------------------------------


def _context_only(name: str) -> FunctionError:
    return FunctionError(name, "works only inside mapping rules, which know the record being mapped; "
                               "it cannot be called through a bare function table")


def _root() -> Any:
    """The whole source record."""
    raise _context_only("root")


def _parent(levels: float = 1) -> Any:
    """The item enclosing the current one (``levels`` up, default 1); null beyond the record."""
    raise _context_only("parent")


def _index() -> Any:
    """The 0-based position of the current item in the innermost ``each``; null outside one."""
    raise _context_only("index")


def _lookup(table: str, value: Any) -> Any:
    """``value`` translated through the mapping's lookup table named ``table`` (a string literal), as a
    rule's ``lookup:`` does: its value for the value's text, else its default, else an error; null stays
    null."""
    raise _context_only("lookup")


def _context(func: Callable[..., Any], params: tuple[ParamSpec, ...], returns: tuple[str, ...],
             refines: Refines) -> FunctionSpec:
    return FunctionSpec(func.__name__.lstrip("_"), func, params, returns, context=True,
                        doc=inspect.getdoc(func) or "", refines=refines, wrap_errors=False)


#: The context functions by name: declared for checkers, evaluated by the expression layer.
CONTEXT_FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType({
    spec.name: spec for spec in (
        _context(_root, (), ("any",), Refines("record")),
        _context(_parent, (param("levels", "number", optional=True),), ("any",), Refines("enclosing", 0)),
        _context(_index, (), ("number", "null"), Refines("position")),
        _context(_lookup, (param("table", "string"), param("value", "any")), ("any",), Refines("lookup")),
    )
})
