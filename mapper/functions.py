"""The JMESPath functions a mapping can call, and the table that calls them.

A ``FunctionTable`` holds four kinds of functions, all described by a
``FunctionSpec`` (name, callable, declared parameter and return types):

- jmespath's built-ins (``length``, ``join``, ``sort_by``...), which behave as
  in jmespath 1.1.0;
- mapper's integration library: strings, regular expressions, numbers and
  money, booleans, dates and time zones (docs/functions.md lists them all);
- the context functions ``root()``, ``parent()`` and ``index()``, declared here
  so that checkers know them, but evaluated by the expression layer, which
  alone knows the record and the enclosing items;
- the user's own functions, declared with ``@jmespath_function()``.

The table is a ``jmespath.functions.Functions``: pass it as
``jmespath.Options(custom_functions=table)``, or call
``table.call_function(name, args)`` directly. Calls are on the per-record hot
path, so each function's argument checks are compiled once, when its spec is
first used in a table, into a small function of its own (see ``_compile_caller``).

Library functions return null when their subject is null (missing optional
fields are common in integration data) and raise ``FunctionError`` with a
message naming the function and quoting the value when a value cannot be
used: that message is what a user reads as the reason a record was rejected.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import types
import typing
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from difflib import get_close_matches
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any, TypeVar, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import jmespath.functions
from jmespath.exceptions import (
    ArityError,
    JMESPathError,
    JMESPathTypeError,
    UnknownFunctionError,
    VariadictArityError,
)
from jmespath.visitor import _Expression

from . import strptime
from .errors import MappingError

__all__ = [
    "BUILTIN_FUNCTIONS",
    "CONTEXT_FUNCTIONS",
    "LIBRARY_FUNCTIONS",
    "ArgumentTypeError",
    "FunctionError",
    "FunctionSpec",
    "FunctionTable",
    "ParamSpec",
    "build_function_table",
    "jmespath_function",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Base JMESPath type names; a parameter may also take "array-<base>" (an
#: array whose items all have that type) and "any" (no check).
BASE_TYPES = ("string", "number", "boolean", "array", "object", "null", "expref")
_ARRAY_ITEM_TYPES = ("string", "number", "boolean", "array", "object", "null")
PARAM_TYPES = frozenset(BASE_TYPES + ("any",) + tuple(f"array-{kind}" for kind in _ARRAY_ITEM_TYPES))
RETURN_TYPES = frozenset(BASE_TYPES + ("any",))

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NONE_TYPE = type(None)

# JMESPath type -> Python types, for the fast identity check of a call. The
# slow path also accepts what jmespath accepts, by type name (its
# REVERSE_TYPES_MAP), so nothing jmespath takes is refused here.
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict, OrderedDict),
    "null": (_NONE_TYPE,),
    "expref": (_Expression,),
}


# -- errors -------------------------------------------------------------------------------------


class FunctionError(JMESPathError):
    """A function could not use the value it was given.

    ``function_name`` is the function, ``reason`` says what is wrong and quotes
    the value; ``str()`` reads ``parse_number(): cannot read "12,3x" as a number``.
    A ``ValueError`` (through ``JMESPathError``), so callers that catch
    jmespath's errors catch it too.
    """

    def __init__(self, function_name: str, reason: str) -> None:
        super().__init__(function_name, reason)
        self.function_name = function_name
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.function_name}(): {self.reason}"


class ArgumentTypeError(JMESPathTypeError):
    """An argument has a type the function does not take.

    A ``JMESPathTypeError`` with jmespath's fields (``function_name``,
    ``current_value``, ``actual_type`` as a JMESPath type name,
    ``expected_types``) plus the 1-based ``position`` of the argument, and
    ``in_array`` when the fault is an item of an array argument. Only the
    message differs from jmespath's, to read well as a rejection reason.
    """

    def __init__(
        self,
        function_name: str,
        current_value: Any,
        actual_type: str,
        expected_types: Sequence[str],
        position: int,
        in_array: bool = False,
    ) -> None:
        super().__init__(function_name, current_value, actual_type, list(expected_types))
        self.position = position
        self.in_array = in_array

    def __str__(self) -> str:
        expected = _describe_types(self.expected_types)
        head = f"{self.function_name}(): argument {self.position} must be {expected}"
        if self.in_array:
            return f"{head}, but it holds {_describe_value(self.current_value)}"
        return f"{head}, not {_describe_value(self.current_value)}"


class SortKeyTypeError(JMESPathTypeError):
    """The key expression of ``sort_by``, ``min_by`` or ``max_by`` gave a value that cannot be ordered.

    jmespath's fields, with ``current_value`` the key's value; a message that
    says what to do.
    """

    def __str__(self) -> str:
        return (f"{self.function_name}(): the key expression gives {_describe_value(self.current_value)} for an "
                "item; it must give numbers or strings, of one type for every item (for a missing key, give a "
                "fallback: &rank || `99`)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.function_name, self.current_value, self.actual_type, self.expected_types))


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


class _RangeArityError(ArityError):
    """Wrong argument count for a function with optional parameters."""

    def __init__(self, expected: int, actual: int, name: str, most: int) -> None:
        super().__init__(expected, actual, name)
        self.max_arity = most

    def __str__(self) -> str:
        return (f"Expected {self.expected_arity} to {self.max_arity} arguments for function "
                f"{self.function_name}(), received {self.actual_arity}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.expected_arity, self.actual_arity, self.function_name, self.max_arity))


# -- specs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: the JMESPath types it takes.

    ``optional`` parameters may be left out (only at the end); a ``variadic``
    parameter is the last and takes any number of arguments: at least one, as
    in jmespath, unless it is also ``optional``. ``name`` is for messages and
    documentation only.
    """

    types: tuple[str, ...]
    optional: bool = False
    variadic: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.types, str) or not isinstance(self.types, Iterable):
            raise MappingError(f"parameter types must be a tuple of JMESPath type names, not {self.types!r}")
        object.__setattr__(self, "types", tuple(self.types))
        unknown = [kind for kind in self.types if kind not in PARAM_TYPES]
        if unknown or not self.types:
            raise MappingError(f"unknown JMESPath type {unknown[0] if unknown else 'in ()'!r} in a parameter; "
                               f"expected some of {', '.join(sorted(PARAM_TYPES))}")

    @property
    def checks(self) -> bool:
        """Whether an argument's type is checked at all (not ``any``)."""
        return "any" not in self.types


@dataclass(frozen=True)
class FunctionSpec:
    """A JMESPath function: its name, callable and declared types.

    ``func`` takes the resolved arguments (not a ``Functions`` instance).
    ``returns`` lists the JMESPath types it may return (``null`` included when
    it can return null). ``context`` functions are evaluated by the expression
    layer and never called through a table.
    """

    name: str
    func: Callable[..., Any]
    params: tuple[ParamSpec, ...]
    returns: tuple[str, ...]
    context: bool = False
    doc: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise MappingError(f"{self.name!r} cannot be a JMESPath function name "
                               "(letters, digits and _, not starting with a digit)")
        if not callable(self.func):
            raise MappingError(f"function {self.name}(): {self.func!r} is not callable")
        object.__setattr__(self, "params", tuple(self.params))
        object.__setattr__(self, "returns", (self.returns,) if isinstance(self.returns, str) else tuple(self.returns))
        for param in self.params:
            if not isinstance(param, ParamSpec):
                raise MappingError(f"function {self.name}(): parameters must be ParamSpec, not {param!r}")
        for position, param in enumerate(self.params):
            if param.variadic and position != len(self.params) - 1:
                raise MappingError(f"function {self.name}(): only the last parameter can be variadic")
            if not param.optional and any(before.optional for before in self.params[:position]):
                raise MappingError(f"function {self.name}(): a required parameter cannot follow an optional one")
        unknown = [kind for kind in self.returns if kind not in RETURN_TYPES]
        if unknown or not self.returns:
            raise MappingError(f"function {self.name}(): unknown return type "
                               f"{unknown[0] if unknown else 'in ()'!r}; expected some of "
                               f"{', '.join(sorted(RETURN_TYPES))}")

    @property
    def min_args(self) -> int:
        """The fewest arguments a call may pass."""
        return sum(1 for param in self.params if not param.optional)

    @property
    def max_args(self) -> int | None:
        """The most arguments a call may pass; None when variadic."""
        if self.params and self.params[-1].variadic:
            return None
        return len(self.params)

    def check_arity(self, count: int) -> None:
        """Raise the error ``call_function`` raises for ``count`` arguments, if any.

        For a compiler that wants to report a wrong call before any record runs.
        """
        low, high = self.min_args, self.max_args
        if high is None:
            if count < low:
                raise VariadictArityError(low, count, self.name)
        elif count < low or count > high:
            if low == high:
                raise ArityError(low, count, self.name)
            raise _RangeArityError(low, count, self.name, high)


def _param(name: str, *kinds: str, optional: bool = False, variadic: bool = False) -> ParamSpec:
    return ParamSpec(kinds, optional=optional, variadic=variadic, name=name)


# -- user functions: inference from annotations -------------------------------------------------

_SCALAR_ANNOTATIONS: dict[Any, str] = {
    str: "string", int: "number", float: "number", bool: "boolean",
    list: "array", tuple: "array", dict: "object", _NONE_TYPE: "null", None: "null",
    Any: "any", object: "any", Sequence: "array", Mapping: "object",
}


def _annotation_types(annotation: Any, where: str, *, for_return: bool) -> tuple[str, ...]:
    if annotation is inspect.Parameter.empty:
        return ("any",)
    if annotation in _SCALAR_ANNOTATIONS:
        return (_SCALAR_ANNOTATIONS[annotation],)
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        kinds: list[str] = []
        for member in typing.get_args(annotation):
            for kind in _annotation_types(member, where, for_return=for_return):
                if kind not in kinds:
                    kinds.append(kind)
        return ("any",) if "any" in kinds else tuple(kinds)
    if origin in (list, tuple, Sequence):
        items = {kind for arg in typing.get_args(annotation) if arg is not Ellipsis
                 for kind in _annotation_types(arg, where, for_return=True)}
        if not for_return and origin is list and len(items) == 1 and items <= {"string", "number"}:
            return (f"array-{items.pop()}",)
        return ("array",)
    if origin in (dict, Mapping):
        return ("object",)
    raise MappingError(f"{where}: cannot tell the JMESPath type of {annotation!r}; annotate with str, int, "
                       "float, bool, list, dict, None, Any or unions of them, or declare "
                       "jmespath_function(params=..., returns=...)")


def _infer_spec(
    func: Callable[..., Any],
    name: str | None,
    params: Sequence[ParamSpec] | None,
    returns: str | Sequence[str] | None,
) -> FunctionSpec:
    name = name or getattr(func, "__name__", None)
    if not name:
        raise MappingError(f"{func!r} has no __name__; give it one with jmespath_function(name=...)")
    where = f"function {name}()"
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as error:
        raise MappingError(f"{where}: cannot read its signature ({error})") from error
    try:
        hints = typing.get_type_hints(func) if hasattr(func, "__annotations__") else {}
    except Exception as error:  # an annotation that does not evaluate: NameError, TypeError...
        raise MappingError(f"{where}: cannot evaluate its type hints ({error})") from error
    if params is None:
        inferred: list[ParamSpec] = []
        for parameter in signature.parameters.values():
            hint = hints.get(parameter.name, inspect.Parameter.empty)
            kinds = _annotation_types(hint, f"{where}, parameter {parameter.name!r}", for_return=False)
            if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                inferred.append(ParamSpec(kinds, optional=True, variadic=True, name=parameter.name))
            elif parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
                optional = parameter.default is not inspect.Parameter.empty
                inferred.append(ParamSpec(kinds, optional=optional, name=parameter.name))
            elif parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default is inspect.Parameter.empty:
                raise MappingError(f"{where}: keyword-only parameter {parameter.name!r} needs a default "
                                   "(JMESPath passes arguments by position)")
        params = inferred
    if returns is None:
        returns = _annotation_types(hints.get("return", inspect.Parameter.empty), f"{where}, return type",
                                    for_return=True)
    return FunctionSpec(name, func, tuple(params), (returns,) if isinstance(returns, str) else tuple(returns),
                        doc=inspect.getdoc(func) or "")


@overload
def jmespath_function(name: F, /) -> F: ...


@overload
def jmespath_function(
    name: str | None = None,
    *,
    returns: str | Sequence[str] | None = None,
    params: Sequence[ParamSpec] | None = None,
) -> Callable[[F], F]: ...


def jmespath_function(
    name: str | Callable[..., Any] | None = None,
    *,
    returns: str | Sequence[str] | None = None,
    params: Sequence[ParamSpec] | None = None,
) -> Any:
    """Declare a Python function as a JMESPath function, for ``mapper.load(functions=[...])``.

    The JMESPath name defaults to the Python name. Parameter and return types
    come from the annotations unless ``params`` / ``returns`` are given: str is
    string, int and float are number, bool boolean, list array (``list[str]``
    array-string, ``list[float]`` array-number), dict object, None null, unions
    several, Any or no annotation any. Parameters with defaults are optional;
    ``*args`` takes any number of arguments. The spec is attached as
    ``func.__jmespath_function__`` and the function returned unchanged, so a
    module-level function stays picklable by reference. Works with and without
    parentheses: ``@jmespath_function`` or ``@jmespath_function("other_name")``.
    """
    if callable(name):
        func = name
        func.__jmespath_function__ = _infer_spec(func, None, None, None)  # type: ignore[attr-defined]
        return func

    def decorate(func: F) -> F:
        func.__jmespath_function__ = _infer_spec(func, name, params, returns)  # type: ignore[attr-defined]
        return func

    return decorate


def _user_spec(function: Callable[..., Any] | FunctionSpec) -> FunctionSpec:
    if isinstance(function, FunctionSpec):
        spec = function
    else:
        declared = getattr(function, "__jmespath_function__", None)
        if not callable(function):
            raise MappingError(f"a function must be a callable or a FunctionSpec, not {function!r}")
        spec = declared if isinstance(declared, FunctionSpec) else _infer_spec(function, None, None, None)
    if spec.context:
        raise MappingError(f"function {spec.name}(): context functions are provided by mapper, not by users")
    return spec


# -- value and type descriptions for messages ---------------------------------------------------

_MAX_SHOWN = 60


def _show(value: Any) -> str:
    """A value as it appears in a message: JSON, cut short when long."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _jmespath_type(value: Any) -> str:
    return jmespath.functions.TYPES_MAP.get(type(value).__name__, "unknown")


def _describe_value(value: Any) -> str:
    kind = _jmespath_type(value)
    if value is None:
        return "null"
    if kind == "expref":
        return "an expression reference"
    if kind == "unknown":
        return f"a value of Python type {type(value).__name__}"
    return f"the {kind} {_show(value)}"


_TYPE_WORDS = {"string": "a string", "number": "a number", "boolean": "a boolean", "array": "an array",
               "object": "an object", "null": "null", "expref": "an expression reference (&expression)",
               "any": "any value"}
_PLURAL = {"string": "strings", "number": "numbers", "boolean": "booleans", "array": "arrays",
           "object": "objects", "null": "nulls"}


def _describe_types(kinds: Sequence[str]) -> str:
    words = [f"an array of {_PLURAL[kind[6:]]}" if kind.startswith("array-") else _TYPE_WORDS.get(kind, kind)
             for kind in kinds]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


# -- the call plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ArgCheck:
    """How one parameter's arguments are checked, computed once per spec."""

    function_name: str
    declared: tuple[str, ...]
    fast: frozenset[type]
    names: frozenset[str]
    item_groups: tuple[tuple[frozenset[type], frozenset[str]], ...] = field(default=())

    @classmethod
    def of(cls, function_name: str, param: ParamSpec) -> _ArgCheck:
        fast: set[type] = set()
        names: set[str] = set()
        groups: list[tuple[frozenset[type], frozenset[str]]] = []
        for kind in param.types:
            base, _, item = kind.partition("-")
            fast.update(_PYTHON_TYPES[base])
            names.update(jmespath.functions.REVERSE_TYPES_MAP[base])
            if item:
                groups.append((frozenset(_PYTHON_TYPES[item]),
                               frozenset(jmespath.functions.REVERSE_TYPES_MAP[item])))
        return cls(function_name, param.types, frozenset(fast), frozenset(names), tuple(groups))

    def reject(self, value: Any, position: int) -> None:
        """The slow path of the check, for a value whose type is not in ``fast``."""
        if type(value).__name__ in self.names:  # jmespath compares type names
            return
        if "expref" in self.declared and isinstance(value, _Expression):
            return
        raise ArgumentTypeError(self.function_name, value, _jmespath_type(value), self.declared, position)

    def check_items(self, value: Any, position: int) -> None:
        """jmespath's check of array items ("array-number"...), on arrays only."""
        if not isinstance(value, list) or not value:
            return
        if len(self.item_groups) == 1:
            fast, names = self.item_groups[0]
        else:
            # Several item types (max takes numbers or strings): the first item
            # decides which, and every item must have it (as in jmespath).
            first = type(value[0])
            for fast, names in self.item_groups:
                if first in fast or first.__name__ in names:
                    break
            else:
                self._reject_item(value[0], position)
        for item in value:
            kind = type(item)
            if kind not in fast and kind.__name__ not in names:
                self._reject_item(item, position)

    def _reject_item(self, item: Any, position: int) -> None:
        raise ArgumentTypeError(self.function_name, item, _jmespath_type(item), self.declared, position, True)


Caller = Callable[[Sequence[Any]], Any]


def _compile_caller(spec: FunctionSpec) -> Caller:
    """Build ``call(args)`` for one function: check arity and types, then call.

    The checks are written out as Python source for this signature (as
    dataclasses and attrs write their methods), so a call costs a length test,
    one ``type(arg) in frozenset`` per checked argument and the call itself,
    with no loop over a signature and nothing rebuilt per call.
    """
    params = spec.params
    fixed = [param for param in params if not param.variadic]
    variadic = params[-1] if params and params[-1].variadic else None
    low, high = spec.min_args, spec.max_args
    namespace: dict[str, Any] = {"func": spec.func, "arity": spec.check_arity}
    body: list[str] = []
    # Fixed arity: unpack into locals. Otherwise index `args`, guarding optional ones.
    exact = variadic is None and low == high
    names = [f"a{index}" for index in range(len(fixed))]
    if exact:
        body.append(f"if len(args) != {low}: arity(len(args))")
        if names:
            body.append(f"{', '.join(names)}{',' if len(names) == 1 else ''} = args")
    else:
        body.append("n = len(args)")
        body.append(f"if n < {low}: arity(n)" if high is None else f"if n < {low} or n > {high}: arity(n)")
    for index, param in enumerate(fixed):
        if not param.checks:
            continue
        check = _ArgCheck.of(spec.name, param)
        namespace.update({f"T{index}": check.fast, f"reject{index}": check.reject})
        arg = names[index] if exact else f"args[{index}]"
        line = f"if type({arg}) not in T{index}: reject{index}({arg}, {index + 1})"
        if check.item_groups:
            namespace[f"items{index}"] = check.check_items
            line += f"\n    items{index}({arg}, {index + 1})"
        if param.optional:
            line = f"if n > {index}:\n      " + line.replace("\n    ", "\n      ")
        body.append(line)
    if variadic is not None and variadic.checks:
        check = _ArgCheck.of(spec.name, variadic)
        namespace.update(TV=check.fast, rejectV=check.reject, itemsV=check.check_items)
        body.append(f"for i in range({len(fixed)}, n):\n      a = args[i]\n"
                    "      if type(a) not in TV: rejectV(a, i + 1)"
                    + ("\n      itemsV(a, i + 1)" if check.item_groups else ""))
    body.append(f"return func({', '.join(names)})" if exact else "return func(*args)")
    source = ("def make(" + ", ".join(namespace) + "):\n"
              "  def call(args):\n" + "".join(f"    {line}\n" for line in body) + "  return call\n")
    scope: dict[str, Any] = {}
    exec(compile(source, f"<mapper function {spec.name}()>", "exec"), scope)  # noqa: S102 (our template)
    caller: Caller = scope["make"](**namespace)
    caller.__source__ = source  # type: ignore[attr-defined]  # for debugging and tests
    caller.__qualname__ = caller.__name__ = f"call_{spec.name}"
    return caller


def _positional_checks(spec: FunctionSpec, count: int) -> list[_ArgCheck | None]:
    """The check of each of ``count`` positional arguments (None: any value)."""
    fixed = [param for param in spec.params if not param.variadic]
    variadic = spec.params[-1] if spec.params and spec.params[-1].variadic else None
    params = [fixed[index] if index < len(fixed) else variadic for index in range(count)]
    return [_ArgCheck.of(spec.name, param) if param is not None and param.checks else None for param in params]


def _compile_positional_caller(spec: FunctionSpec, count: int) -> Callable[..., Any]:
    """``call(a0, ..., a{count-1})``: ``_compile_caller``'s type checks for a call site whose number of
    arguments is known (and already checked) when an expression is compiled, without building a list."""
    names = [f"a{index}" for index in range(count)]
    namespace: dict[str, Any] = {"func": spec.func}
    body: list[str] = []
    for index, (name, check) in enumerate(zip(names, _positional_checks(spec, count))):
        if check is None:
            continue
        namespace.update({f"T{index}": check.fast, f"reject{index}": check.reject})
        body.append(f"if type({name}) not in T{index}: reject{index}({name}, {index + 1})")
        if check.item_groups:
            namespace[f"items{index}"] = check.check_items
            body.append(f"items{index}({name}, {index + 1})")
    body.append(f"return func({', '.join(names)})")
    source = (f"def make({', '.join(namespace)}):\n  def call({', '.join(names)}):\n"
              + "".join(f"    {line}\n" for line in body) + "  return call\n")
    scope: dict[str, Any] = {}
    exec(compile(source, f"<mapper function {spec.name}()>", "exec"), scope)  # noqa: S102 (our template)
    caller: Callable[..., Any] = scope["make"](**namespace)
    caller.__qualname__ = caller.__name__ = f"call_{spec.name}_{count}"
    return caller


# -- the table ----------------------------------------------------------------------------------


Accepted = frozenset[type] | None  # the argument types a function takes without further checks (None: any)


class FunctionTable(jmespath.functions.Functions):
    """Every function an expression can call: built-in, library, context and user.

    ``specs`` (also ``FUNCTION_TABLE``, for jmespath's ``name in
    FUNCTION_TABLE``) maps each name to its ``FunctionSpec``. A table is
    immutable, thread-safe and picklable (it is rebuilt from its user
    functions, which must then be picklable: module-level functions are).
    """

    def __init__(self, user_functions: Iterable[Callable[..., Any] | FunctionSpec] = ()) -> None:
        self.user_functions = tuple(user_functions)
        specs = dict(_standard_specs())
        callers = dict(_standard_callers())
        for function in self.user_functions:
            spec = _user_spec(function)
            if spec.name in specs:
                raise MappingError(f"function {spec.name}() is already {_kind_of(spec.name)}; "
                                   "give yours another name")
            specs[spec.name] = spec
            callers[spec.name] = _compile_caller(spec)
        self.specs: Mapping[str, FunctionSpec] = MappingProxyType(specs)
        self.FUNCTION_TABLE = self.specs
        self._callers = callers
        self._positional: dict[tuple[str, int], Callable[..., Any]] = {}

    def call_function(self, function_name: str, resolved_args: Iterable[Any]) -> Any:
        """Check the arguments as jmespath does, then call the function.

        Raises ``UnknownFunctionError``, ``ArityError`` (``VariadictArityError``
        for variadic functions), ``ArgumentTypeError`` (a ``JMESPathTypeError``)
        or whatever the function raises (``FunctionError`` for the library).
        ``resolved_args`` is a list or tuple.
        """
        try:
            caller = self._callers[function_name]
        except KeyError:
            raise UnknownFunctionError(f"Unknown function: {function_name}()") from None
        return caller(resolved_args)  # type: ignore[arg-type]

    def caller(self, function_name: str) -> Caller:
        """The checked call of one function: ``caller(name)(args)`` is
        ``call_function(name, args)`` without the lookup, for compiled expressions."""
        try:
            return self._callers[function_name]
        except KeyError:
            raise UnknownFunctionError(f"Unknown function: {function_name}()") from None

    def positional_caller(self, function_name: str, count: int) -> Callable[..., Any]:
        """The checked call of one function with ``count`` positional arguments, for compiled
        expressions that have checked the arity already: ``positional_caller(name, 2)(a, b)``."""
        key = (function_name, count)
        caller = self._positional.get(key)
        if caller is None:
            caller = self._positional[key] = _compile_positional_caller(self.specs[function_name], count)
        return caller

    def direct_call(self, function_name: str, count: int) -> tuple[Callable[..., Any], tuple[Accepted, ...]] | None:
        """The function itself and, for each of ``count`` arguments, the types it takes without further
        checks (None: any), so compiled code can call it directly when every argument's type is one
        of those; None when a check needs more than the type (array items).
        ``positional_caller`` is the way for every other argument."""
        spec = self.specs[function_name]
        checks = _positional_checks(spec, count)
        if any(check is not None and check.item_groups for check in checks):
            return None
        return spec.func, tuple(None if check is None else check.fast for check in checks)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.user_functions,))

    def __repr__(self) -> str:
        names = ", ".join(_user_spec(function).name for function in self.user_functions)
        return f"<FunctionTable with {len(self.specs)} functions; user functions: {names or 'none'}>"


def build_function_table(user_functions: Iterable[Callable[..., Any] | FunctionSpec] = ()) -> FunctionTable:
    """The table of every built-in, library and context function plus ``user_functions``.

    A user function is a ``@jmespath_function`` callable, a plain callable
    (declared from its annotations) or a ``FunctionSpec``. A name that is
    already taken, or a function that cannot be declared, raises ``MappingError``.
    """
    return FunctionTable(user_functions)


def _kind_of(name: str) -> str:
    if name in BUILTIN_FUNCTIONS:
        return "a JMESPath built-in function"
    if name in CONTEXT_FUNCTIONS:
        return "a mapper context function"
    if name in LIBRARY_FUNCTIONS:
        return "a function of mapper's library"
    return "another of your functions"


# ==============================================================================================
# The library. Each function is registered with its declared parameter and return types; the
# docstrings are short, docs/functions.md is the reference (and is tested).
# ==============================================================================================

_LIBRARY: dict[str, FunctionSpec] = {}


def _library(name: str, params: Sequence[ParamSpec], returns: Sequence[str]) -> Callable[[F], F]:
    def register(func: F) -> F:
        _LIBRARY[name] = FunctionSpec(name, func, tuple(params), tuple(returns), doc=inspect.getdoc(func) or "")
        return func

    return register


def _integer(function: str, what: str, value: float, *, minimum: int | None = None) -> int:
    """An argument that must be a whole number (2.0 is 2)."""
    if isinstance(value, float):
        if not value.is_integer():
            raise FunctionError(function, f"{what} must be a whole number, not {_show(value)}")
        value = int(value)
    if minimum is not None and value < minimum:
        raise FunctionError(function, f"{what} must be at least {minimum}, not {_show(value)}")
    return value


def _number_text(value: float) -> str:
    return str(value) if isinstance(value, int) else repr(value)


# -- strings ------------------------------------------------------------------------------------

_STRING = _param("value", "string", "null")
_STRING_OR_NULL = ("string", "null")


@_library("lower", [_STRING], _STRING_OR_NULL)
def _lower(value: str | None) -> str | None:
    """The string in lower case (Unicode rules: "ÉCOLE" -> "école")."""
    return None if value is None else value.lower()


@_library("upper", [_STRING], _STRING_OR_NULL)
def _upper(value: str | None) -> str | None:
    """The string in upper case (Unicode rules: "straße" -> "STRASSE")."""
    return None if value is None else value.upper()


_WORD = re.compile(r"[^\W_](?:[\w'’]*)")


@_library("title", [_STRING], _STRING_OR_NULL)
def _title(value: str | None) -> str | None:
    """Each word capitalised, the rest lower case: "mary's 3RD street" -> "Mary's 3rd Street"."""
    if value is None:
        return None
    # Unlike str.title(), an apostrophe does not start a word (Mary's, not Mary'S)
    # and a word starting with a digit keeps its letters in lower case (3rd).
    return _WORD.sub(lambda match: match[0][0].title() + match[0][1:].lower(), value)


_CHARS = _param("chars", "string", optional=True)


@_library("trim", [_STRING, _CHARS], _STRING_OR_NULL)
def _trim(value: str | None, chars: str | None = None) -> str | None:
    """The string without leading and trailing whitespace (or ``chars``)."""
    return None if value is None else value.strip(chars)


@_library("trim_left", [_STRING, _CHARS], _STRING_OR_NULL)
def _trim_left(value: str | None, chars: str | None = None) -> str | None:
    """The string without leading whitespace (or ``chars``)."""
    return None if value is None else value.lstrip(chars)


@_library("trim_right", [_STRING, _CHARS], _STRING_OR_NULL)
def _trim_right(value: str | None, chars: str | None = None) -> str | None:
    """The string without trailing whitespace (or ``chars``)."""
    return None if value is None else value.rstrip(chars)


@_library("split", [_STRING, _param("separator", "string"), _param("max_splits", "number", optional=True)],
          ("array", "null"))
def _split(value: str | None, separator: str, max_splits: float | None = None) -> list[str] | None:
    """The parts of the string between separators, at most ``max_splits`` splits."""
    if value is None:
        return None
    if not separator:
        raise FunctionError("split", "the separator must not be empty")
    if max_splits is None:
        return value.split(separator)
    return value.split(separator, _integer("split", "max_splits", max_splits, minimum=0))


@_library("replace", [_STRING, _param("old", "string"), _param("new", "string")], _STRING_OR_NULL)
def _replace(value: str | None, old: str, new: str) -> str | None:
    """The string with every ``old`` replaced by ``new``."""
    if value is None:
        return None
    if not old:
        raise FunctionError("replace", "the text to replace must not be empty")
    return value.replace(old, new)


def _pad(function: str, value: str | float | None, width: float, fill: str) -> tuple[str, int] | None:
    if value is None:
        return None
    width = _integer(function, "width", width, minimum=0)
    if len(fill) != 1:
        raise FunctionError(function, f"the fill must be one character, not {_show(fill)}")
    return (value if isinstance(value, str) else _number_text(value)), width


_PAD_PARAMS = [_param("value", "string", "number", "null"), _param("width", "number"),
               _param("fill", "string", optional=True)]


@_library("pad_left", _PAD_PARAMS, _STRING_OR_NULL)
def _pad_left(value: str | float | None, width: float, fill: str = " ") -> str | None:
    """The string (or number) right-aligned in ``width`` characters, ``fill`` before it."""
    padded = _pad("pad_left", value, width, fill)
    return None if padded is None else padded[0].rjust(padded[1], fill)


@_library("pad_right", _PAD_PARAMS, _STRING_OR_NULL)
def _pad_right(value: str | float | None, width: float, fill: str = " ") -> str | None:
    """The string (or number) left-aligned in ``width`` characters, ``fill`` after it."""
    padded = _pad("pad_right", value, width, fill)
    return None if padded is None else padded[0].ljust(padded[1], fill)


@_library("substring", [_STRING, _param("start", "number"), _param("length", "number", optional=True)],
          _STRING_OR_NULL)
def _substring(value: str | None, start: float, length: float | None = None) -> str | None:
    """``length`` characters from 0-based ``start`` (negative: from the end)."""
    if value is None:
        return None
    first = _integer("substring", "start", start)
    if first < 0:
        first = max(len(value) + first, 0)
    if length is None:
        return value[first:]
    return value[first:first + _integer("substring", "length", length, minimum=0)]


@_library("concat", [_param("values", "string", "number", "null", variadic=True)], _STRING_OR_NULL)
def _concat(*values: str | float | None) -> str | None:
    """The strings and numbers joined, nulls skipped; null when all are null."""
    parts = [value if isinstance(value, str) else _number_text(value) for value in values if value is not None]
    return "".join(parts) if parts or not values else None


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _compiled(function: str, pattern: str) -> re.Pattern[str]:
    try:
        return _regex(pattern)
    except re.error as error:
        raise FunctionError(function, f"invalid regular expression {_show(pattern)}: {error}") from None


_PATTERN = _param("pattern", "string")


@_library("regex_match", [_STRING, _PATTERN], ("boolean", "null"))
def _regex_match(value: str | None, pattern: str) -> bool | None:
    """Whether ``pattern`` matches anywhere in the string (anchor with ^ and $)."""
    if value is None:
        return None
    return _compiled("regex_match", pattern).search(value) is not None


@_library("regex_extract", [_STRING, _PATTERN, _param("group", "number", "string", optional=True)],
          _STRING_OR_NULL)
def _regex_extract(value: str | None, pattern: str, group: float | str = 0) -> str | None:
    """The first match of ``pattern`` (or its ``group``, by number or name); null if none."""
    if value is None:
        return None
    compiled = _compiled("regex_extract", pattern)
    if isinstance(group, str):
        if group not in compiled.groupindex:
            raise FunctionError("regex_extract", f"the pattern {_show(pattern)} has no group named {_show(group)}")
        key: int | str = group
    else:
        key = _integer("regex_extract", "group", group, minimum=0)
        if key > compiled.groups:
            raise FunctionError("regex_extract", f"the pattern {_show(pattern)} has no group {key}")
    match = compiled.search(value)
    return None if match is None else match.group(key)


@_library("regex_replace", [_STRING, _PATTERN, _param("replacement", "string")], _STRING_OR_NULL)
def _regex_replace(value: str | None, pattern: str, replacement: str) -> str | None:
    """The string with every match of ``pattern`` replaced (``\\1``, ``\\g<name>`` insert groups)."""
    if value is None:
        return None
    compiled = _compiled("regex_replace", pattern)
    try:
        return compiled.sub(replacement, value)
    except (re.error, IndexError) as error:
        raise FunctionError("regex_replace", f"invalid replacement {_show(replacement)}: {error}") from None


@_library("coalesce", [_param("values", "any", variadic=True)], ("any",))
def _coalesce(*values: Any) -> Any:
    """The first argument that is neither null nor the empty string; null if none."""
    for value in values:
        if value is not None and value != "":
            return value
    return None


# -- numbers ------------------------------------------------------------------------------------

# Enough digits for any sum or product of two doubles' decimal forms.
_DECIMAL = Context(prec=800, Emax=100_000, Emin=-100_000)
_NUMBER = _param("value", "number", "null")
_NUMBER_OR_NULL = ("number", "null")


def _decimal(value: float) -> Decimal:
    """A number as written: 1.005 is Decimal("1.005"), not the binary double's expansion."""
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def _to_float(function: str, number: Decimal) -> float:
    result = float(number)
    if math.isinf(result):
        raise FunctionError(function, f"the result {number:.6g} is too large for a JSON number")
    return result


def _finite(function: str, value: float) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise FunctionError(function, f"cannot compute with {_show(value)}")


def _separator_class(separator: str) -> str:
    # A space as thousands separator also accepts the no-break spaces that
    # formatted French or Swiss numbers use.
    return "[ \u00a0\u202f]" if separator == " " else re.escape(separator)


@lru_cache(maxsize=64)
def _number_pattern(decimal_separator: str, thousands_separator: str) -> re.Pattern[str]:
    grouped = (rf"[0-9]{{1,3}}(?:{_separator_class(thousands_separator)}[0-9]{{3}})+|" if thousands_separator
               else "")
    return re.compile(rf"(?P<sign>[-+]?)(?P<integer>{grouped}[0-9]+)?"
                      rf"(?:{re.escape(decimal_separator)}(?P<fraction>[0-9]+))?"
                      r"(?:[eE](?P<exponent>[-+]?[0-9]+))?")


def _check_separators(decimal_separator: str, thousands_separator: str) -> None:
    if len(decimal_separator) != 1 or decimal_separator in "0123456789+-eE":
        raise FunctionError("parse_number", f"the decimal separator must be one character other than a digit, "
                                            f"sign or exponent, not {_show(decimal_separator)}")
    if len(thousands_separator) > 1 or (thousands_separator and thousands_separator in "0123456789+-eE"):
        raise FunctionError("parse_number", f"the thousands separator must be one character (or empty for none) "
                                            f"other than a digit, sign or exponent, not {_show(thousands_separator)}")
    if decimal_separator == thousands_separator:
        raise FunctionError("parse_number", f"the decimal and thousands separators are both "
                                            f"{_show(decimal_separator)}")


@_library("parse_number", [_param("value", "string", "number", "null"),
                           _param("decimal_separator", "string", optional=True),
                           _param("thousands_separator", "string", optional=True)], _NUMBER_OR_NULL)
def _parse_number(value: str | float | None, decimal_separator: str = ".",
                  thousands_separator: str = ",") -> int | float | None:
    """The number written in the string; an int when it has no fraction or exponent."""
    if value is None or not isinstance(value, str):
        return value
    _check_separators(decimal_separator, thousands_separator)
    match = _number_pattern(decimal_separator, thousands_separator).fullmatch(value.strip())
    if match is None or not (match["integer"] or match["fraction"]):
        thousands = f"thousands separator {_show(thousands_separator)}" if thousands_separator else \
            "no thousands separator"
        raise FunctionError("parse_number", f"cannot read {_show(value)} as a number "
                                            f"(decimal separator {_show(decimal_separator)}, {thousands})")
    integer = re.sub(r"[^0-9]", "", match["integer"] or "0")
    if match["fraction"] is None and match["exponent"] is None:
        return int(match["sign"] + integer)
    text = f"{match['sign']}{integer}.{match['fraction'] or '0'}e{match['exponent'] or '0'}"
    number = float(text)
    if not math.isfinite(number) or Decimal(repr(number)) != Decimal(text):
        raise FunctionError("parse_number", f"{_show(value)} has more digits than a JSON number keeps")
    return number


_INTEGER_TEXT = re.compile(r"([-+]?[0-9]+)(?:\.0*)?")
_DECIMAL_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


@_library("to_integer", [_param("value", "string", "number", "null")], _NUMBER_OR_NULL)
def _to_integer(value: str | float | None) -> int | None:
    """The value as an integer, only if nothing is lost ("42", 42.0; not 12.5 or "abc")."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise FunctionError("to_integer", f"{_show(value)} is not a whole number")
    match = _INTEGER_TEXT.fullmatch(value.strip())
    if match is not None:
        return int(match[1])
    if _DECIMAL_TEXT.fullmatch(value.strip()):
        raise FunctionError("to_integer", f"{_show(value)} is not a whole number")
    raise FunctionError("to_integer", f"cannot read {_show(value)} as an integer")


@_library("round", [_NUMBER, _param("digits", "number", optional=True)], _NUMBER_OR_NULL)
def _round(value: float | None, digits: float = 0) -> int | float | None:
    """The number rounded half away from zero to ``digits`` decimals, as written: 1.005 -> 1.01."""
    if value is None:
        return None
    places = _integer("round", "digits", digits)
    _finite("round", value)
    if isinstance(value, int) and places >= 0:
        return value
    number = _decimal(value)
    exponent = number.as_tuple().exponent
    if places > 0 and isinstance(exponent, int) and exponent >= -places:
        return value  # already has no more than `places` decimals
    try:
        rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_DECIMAL)
    except InvalidOperation:
        raise FunctionError("round", f"cannot round to {places} digits") from None
    return int(rounded) if places <= 0 else _to_float("round", rounded)


def _arithmetic(function: str, a: float, b: float,
                exact: Callable[[int, int], int], decimal: Callable[[Decimal, Decimal], Decimal]) -> int | float:
    if type(a) is int and type(b) is int:
        return exact(a, b)
    _finite(function, a)
    _finite(function, b)
    return _to_float(function, decimal(_decimal(a), _decimal(b)))


_OPERANDS = [_param("a", "number", "null"), _param("b", "number", "null")]


@_library("add", _OPERANDS, _NUMBER_OR_NULL)
def _add(a: float | None, b: float | None) -> int | float | None:
    """a + b, in decimal: add(0.1, 0.2) is 0.3."""
    if a is None or b is None:
        return None
    return _arithmetic("add", a, b, int.__add__, _DECIMAL.add)


@_library("subtract", _OPERANDS, _NUMBER_OR_NULL)
def _subtract(a: float | None, b: float | None) -> int | float | None:
    """a - b, in decimal."""
    if a is None or b is None:
        return None
    return _arithmetic("subtract", a, b, int.__sub__, _DECIMAL.subtract)


@_library("multiply", _OPERANDS, _NUMBER_OR_NULL)
def _multiply(a: float | None, b: float | None) -> int | float | None:
    """a * b, in decimal: multiply(1.1, 3) is 3.3."""
    if a is None or b is None:
        return None
    return _arithmetic("multiply", a, b, int.__mul__, _DECIMAL.multiply)


_QUOTIENT = Context(prec=40)


@_library("divide", _OPERANDS, _NUMBER_OR_NULL)
def _divide(a: float | None, b: float | None) -> int | float | None:
    """a / b; an int when both are ints and b divides a; an error when b is zero."""
    if a is None or b is None:
        return None
    if b == 0:
        raise FunctionError("divide", f"cannot divide {_show(a)} by zero")
    if type(a) is int and type(b) is int:
        return a // b if a % b == 0 else a / b
    _finite("divide", a)
    _finite("divide", b)
    return _to_float("divide", _QUOTIENT.divide(_decimal(a), _decimal(b)))


# ISO 4217 minor units (exponents): every active code with a minor unit (List One,
# 2025), plus ANG, CUC, HRK, SLL and ZWL, withdrawn recently and still met in data.
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys([
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ], 0),
    **dict.fromkeys([
        "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
    ], 3),
    **dict.fromkeys([
        "CLF", "UYW",
    ], 4),
    **dict.fromkeys([
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
        "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
        "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DKK", "DOP",
        "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ",
        "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS",
        "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD",
        "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
        "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD",
        "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP",
        "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
        "USD", "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
        "ZWL",
    ], 2),
}


def _minor_unit(function: str, currency: str) -> int:
    try:
        return _MINOR_UNITS[currency.strip().upper()]
    except KeyError:
        raise FunctionError(function, f"unknown currency {_show(currency)} "
                                      "(expected an ISO 4217 code with a minor unit, such as \"USD\")") from None


_AMOUNT_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_CURRENCY = _param("currency", "string")


_EXACT_BELOW = 2.0 ** 36  # the fast route of to_minor_units() for |amount| below it (4 decimals at most)


@_library("to_minor_units", [_param("amount", "number", "string", "null"), _CURRENCY], _NUMBER_OR_NULL)
def _to_minor_units(amount: float | str | None, currency: str) -> int | None:
    """The amount in the currency's minor units (19.99 USD -> 1999), exactly; an
    error when it has more decimals than the currency has."""
    if type(amount) is float and -_EXACT_BELOW < amount < _EXACT_BELOW:
        # The common case without Decimal: if minor / 10**exponent is the amount again, the
        # amount as written has at most `exponent` decimals and `units` is exactly it in
        # minor units (below 2**36 two such decimals are further apart than the float's
        # precision, so no other decimal reads as the same float).
        exponent = _MINOR_UNITS.get(currency)
        if exponent is not None:
            scale = 10 ** exponent
            units: int = round(amount * scale)
            if units / scale == amount:
                return units
    if amount is None:
        return None
    exponent = _minor_unit("to_minor_units", currency)
    if isinstance(amount, str):
        if not _AMOUNT_TEXT.fullmatch(amount.strip()):
            raise FunctionError("to_minor_units", f"cannot read {_show(amount)} as an amount "
                                                  "(plain digits with a decimal point; see parse_number())")
        number = Decimal(amount.strip())
    elif type(amount) is int:
        scaled: int = amount * 10 ** exponent
        return scaled
    else:
        _finite("to_minor_units", amount)
        number = _decimal(amount)
    minor = number.scaleb(exponent, context=_DECIMAL)
    if minor != minor.to_integral_value():
        allowed = f"{exponent} decimal place{'s' if exponent != 1 else ''}" if exponent else "no decimal places"
        raise FunctionError("to_minor_units", f"{_show(amount)} has more decimal places than "
                                              f"{currency.strip().upper()} allows ({allowed})")
    return int(minor)


@_library("from_minor_units", [_param("amount", "number", "null"), _CURRENCY], _NUMBER_OR_NULL)
def _from_minor_units(amount: float | None, currency: str) -> int | float | None:
    """The amount in major units (1999 USD -> 19.99); an int when whole (1900 USD -> 19)."""
    if amount is None:
        return None
    exponent = _minor_unit("from_minor_units", currency)
    if isinstance(amount, float) and not amount.is_integer():
        raise FunctionError("from_minor_units", f"{_show(amount)} is not a whole number of minor units")
    major = Decimal(int(amount)).scaleb(-exponent)
    if major == major.to_integral_value():
        return int(major)
    result = float(major)
    if Decimal(repr(result)) != major:
        raise FunctionError("from_minor_units", f"{_show(amount)} {currency.strip().upper()} has more digits "
                                                "than a JSON number keeps")
    return result


# -- booleans -----------------------------------------------------------------------------------

_BOOLEAN_TEXT = {**dict.fromkeys(("true", "yes", "y", "1", "on", "t"), True),
                 **dict.fromkeys(("false", "no", "n", "0", "off", "f"), False)}


@_library("to_bool", [_param("value", "string", "number", "boolean", "null")], ("boolean", "null"))
def _to_bool(value: str | float | bool | None) -> bool | None:
    """true/false, yes/no, y/n, on/off, t/f, 1/0 (any case) and the numbers 1 and 0 as a boolean."""
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str):
        result = _BOOLEAN_TEXT.get(value.strip().lower())
    else:
        result = True if value == 1 else False if value == 0 else None
    if result is None:
        raise FunctionError("to_bool", f"cannot read {_show(value)} as a boolean "
                                       "(expected true/false, yes/no, y/n, on/off, t/f or 1/0)")
    return result


# -- dates and times ----------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSET = re.compile(r"([-+])([0-9]{2}):?([0-9]{2})")
_MICROSECONDS = {"s": 1_000_000, "ms": 1_000, "us": 1}


@cache
def _known_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


@lru_cache(maxsize=256)
def _lookup_zone(name: str) -> tzinfo | None:
    if name in ("UTC", "Z"):
        return UTC
    offset = _OFFSET.fullmatch(name)
    if offset is not None:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-delta if sign == "-" else delta) if delta < timedelta(hours=24) else None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zone(function: str, name: str) -> tzinfo:
    zone = _lookup_zone(name)
    if zone is None:
        known = {key.lower(): key for key in _known_zones()}
        close = [known[key] for key in get_close_matches(name.lower(), list(known), n=1)]
        hint = f' (did you mean "{close[0]}"?)' if close else " (expected an IANA name such as \"Europe/Paris\", " \
                                                              "\"UTC\" or an offset such as \"+02:00\")"
        raise FunctionError(function, f"unknown time zone {_show(name)}{hint}")
    return zone


def _isoformat(moment: datetime, *, zulu: bool = False) -> str:
    """ISO 8601 with seconds when they are whole, milliseconds when they suffice;
    ``zulu`` writes UTC as "Z" (to_utc, from_epoch), otherwise offsets are ±HH:MM."""
    if not moment.microsecond:
        spec = "seconds"
    elif moment.microsecond % 1000 == 0:
        spec = "milliseconds"
    else:
        spec = "microseconds"
    text = moment.isoformat(timespec=spec)
    return text.removesuffix("+00:00") + "Z" if zulu else text


def _parse_iso(function: str, value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise FunctionError(function, f"cannot read {_show(value)} as an ISO 8601 date-time") from None


def _aware(function: str, value: str) -> datetime:
    moment = _parse_iso(function, value)
    if moment.tzinfo is None:
        raise FunctionError(function, f"{_show(value)} has no UTC offset, so it cannot be converted; "
                                      "read it with parse_datetime(value, format, time_zone)")
    return moment


def _localize(naive: datetime, zone: tzinfo) -> datetime:
    """A wall-clock time in ``zone``: repeated times take the earlier offset, skipped
    times (spring forward) move forward by the gap, as java.time does."""
    moment = naive.replace(tzinfo=zone)
    normalized = moment.astimezone(UTC).astimezone(zone)
    return normalized if normalized.replace(tzinfo=None) != naive else moment


def _strptime(function: str, value: str, format: str) -> datetime:
    parsed = strptime.parse(value, format)
    if parsed is not None:
        return parsed
    try:
        return datetime.strptime(value, format)
    except ValueError:
        raise FunctionError(function, f"cannot read {_show(value)} with the format {_show(format)}") from None


_FORMAT = _param("format", "string")
_ZONE = _param("time_zone", "string")


@_library("parse_datetime", [_STRING, _FORMAT, _param("time_zone", "string", optional=True)], _STRING_OR_NULL)
def _parse_datetime(value: str | None, format: str, time_zone: str | None = None) -> str | None:
    """The date-time read with a strptime ``format``, as ISO 8601. Times without an
    offset are read in ``time_zone`` (required for them); times with one keep it."""
    if value is None:
        return None
    moment = _strptime("parse_datetime", value, format)
    if moment.tzinfo is None:
        if time_zone is None:
            raise FunctionError("parse_datetime", f"{_show(value)} has no UTC offset; give the time zone it is in "
                                                  "as the third argument, e.g. 'UTC' or 'Europe/Paris'")
        moment = _localize(moment, _zone("parse_datetime", time_zone))
    return _isoformat(moment)


@_library("format_datetime", [_STRING, _FORMAT, _param("time_zone", "string", optional=True)], _STRING_OR_NULL)
def _format_datetime(value: str | None, format: str, time_zone: str | None = None) -> str | None:
    """An ISO 8601 date or date-time written with a strftime ``format``, after
    converting it to ``time_zone`` when given."""
    if value is None:
        return None
    if time_zone is None:
        moment = _parse_iso("format_datetime", value)
    else:
        moment = _aware("format_datetime", value).astimezone(_zone("format_datetime", time_zone))
    try:
        return moment.strftime(format)
    except ValueError as error:
        raise FunctionError("format_datetime", f"cannot write {_show(value)} with the format {_show(format)} "
                                               f"({error})") from None


@_library("to_timezone", [_STRING, _ZONE], _STRING_OR_NULL)
def _to_timezone(value: str | None, time_zone: str) -> str | None:
    """The ISO 8601 date-time converted to ``time_zone``, with its offset there."""
    if value is None:
        return None
    zone = _zone("to_timezone", time_zone)
    return _isoformat(_aware("to_timezone", value).astimezone(zone))


@_library("to_utc", [_STRING], _STRING_OR_NULL)
def _to_utc(value: str | None) -> str | None:
    """The ISO 8601 date-time in UTC, ending in "Z"."""
    if value is None:
        return None
    if _is_utc_already(value):
        return value
    return _isoformat(_aware("to_utc", value).astimezone(UTC), zulu=True)


def _is_utc_already(value: str) -> bool:
    """Whether ``value`` is a valid "YYYY-MM-DDTHH:MM:SSZ", which to_utc() writes as it is."""
    if len(value) != 20 or value[19] != "Z" or value[10] != "T" or value[4] != "-" or value[7] != "-" \
            or value[13] != ":" or value[16] != ":":
        return False
    try:
        datetime.fromisoformat(value)  # the digits and their ranges (ASCII digits only)
    except ValueError:
        return False
    return True


@_library("parse_date", [_STRING, _FORMAT], _STRING_OR_NULL)
def _parse_date(value: str | None, format: str) -> str | None:
    """The date read with a strptime ``format``, as "YYYY-MM-DD"."""
    if value is None:
        return None
    return date.isoformat(_strptime("parse_date", value, format).date())


_UNIT = _param("unit", "string", optional=True)


def _unit(function: str, unit: str) -> int:
    try:
        return _MICROSECONDS[unit]
    except KeyError:
        raise FunctionError(function, f'unknown unit {_show(unit)} (expected "s", "ms" or "us")') from None


@_library("from_epoch", [_NUMBER, _UNIT], _STRING_OR_NULL)
def _from_epoch(value: float | None, unit: str = "s") -> str | None:
    """The Unix time (seconds, or "ms" / "us") as an ISO 8601 UTC date-time."""
    if value is None:
        return None
    scale = _unit("from_epoch", unit)
    _finite("from_epoch", value)
    micros = value * scale if isinstance(value, int) else \
        int((_decimal(value) * scale).to_integral_value(rounding=ROUND_HALF_EVEN))
    try:
        return _isoformat(_EPOCH + timedelta(microseconds=micros), zulu=True)
    except OverflowError:
        raise FunctionError("from_epoch", f"{_show(value)} {unit} is outside years 1 to 9999") from None


@_library("to_epoch", [_STRING, _UNIT], _NUMBER_OR_NULL)
def _to_epoch(value: str | None, unit: str = "s") -> int | float | None:
    """The ISO 8601 date-time as Unix time (seconds, or "ms" / "us"); an int when whole."""
    if value is None:
        return None
    scale = _unit("to_epoch", unit)
    micros = (_aware("to_epoch", value) - _EPOCH) // timedelta(microseconds=1)
    return micros // scale if micros % scale == 0 else micros / scale


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


CONTEXT_FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType({
    spec.name: spec for spec in (
        FunctionSpec("root", _root, (), ("any",), context=True, doc=inspect.getdoc(_root) or ""),
        FunctionSpec("parent", _parent, (_param("levels", "number", optional=True),), ("any",), context=True,
                     doc=inspect.getdoc(_parent) or ""),
        FunctionSpec("index", _index, (), ("number", "null"), context=True, doc=inspect.getdoc(_index) or ""),
    )
})

LIBRARY_FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType(_LIBRARY)


# -- jmespath's built-ins -----------------------------------------------------------------------

_BUILTIN_RETURNS: dict[str, tuple[str, ...]] = {
    "abs": ("number",), "avg": ("number", "null"), "ceil": ("number",), "contains": ("boolean",),
    "ends_with": ("boolean",), "floor": ("number",), "join": ("string",), "keys": ("array",),
    "length": ("number",), "map": ("array",), "max": ("number", "string", "null"), "max_by": ("any",),
    "merge": ("object",), "min": ("number", "string", "null"), "min_by": ("any",), "not_null": ("any",),
    "reverse": ("string", "array"), "sort": ("array",), "sort_by": ("array",), "starts_with": ("boolean",),
    "sum": ("number",), "to_array": ("array",), "to_number": ("number", "null"), "to_string": ("string",),
    "type": ("string",), "values": ("array",),
}
_BUILTIN_DOCS: dict[str, str] = {
    "abs": "The absolute value.", "avg": "The mean of an array of numbers; null when empty.",
    "ceil": "The smallest integer not below the number.", "contains": "Whether the array or string contains "
    "the value.", "ends_with": "Whether the string ends with the suffix.", "floor": "The largest integer not "
    "above the number.", "join": "The strings of the array joined by the separator.", "keys": "The keys of "
    "the object.", "length": "The length of a string, array or object.", "map": "The expression applied to "
    "every item.", "max": "The largest number or string; null when empty.", "max_by": "The item with the "
    "largest expression value.", "merge": "The objects merged, later keys winning.", "min": "The smallest "
    "number or string; null when empty.", "min_by": "The item with the smallest expression value.",
    "not_null": "The first argument that is not null.", "reverse": "The string or array reversed.",
    "sort": "The numbers or strings sorted.", "sort_by": "The items sorted by the expression value.",
    "starts_with": "Whether the string starts with the prefix.", "sum": "The sum of an array of numbers.",
    "to_array": "The value, wrapped in an array unless it is one.", "to_number": "The value as a number; "
    "null when it cannot be read.", "to_string": "The value as a string (JSON for non-strings).",
    "type": "The JMESPath type name of the value.", "values": "The values of the object.",
}

# One shared instance: the built-in methods need a Functions ``self`` (sort_by
# and friends call its helpers) but keep no state in it.
_JMESPATH = jmespath.functions.Functions()


def _builtin_specs() -> dict[str, FunctionSpec]:
    specs = {}
    for name, entry in sorted(jmespath.functions.Functions.FUNCTION_TABLE.items()):
        params = tuple(ParamSpec(tuple(argument["types"]) or ("any",), variadic=bool(argument.get("variadic")))
                       for argument in entry["signature"])
        function = getattr(_JMESPATH, f"_func_{name}")
        if name in ("sort_by", "min_by", "max_by"):
            function = _sort_key_errors(function)
        specs[name] = FunctionSpec(name, function, params,
                                   _BUILTIN_RETURNS.get(name, ("any",)), doc=_BUILTIN_DOCS.get(name, ""))
    return specs


BUILTIN_FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType(_builtin_specs())

assert not (BUILTIN_FUNCTIONS.keys() & LIBRARY_FUNCTIONS.keys()), "the library must not redefine a built-in"


@cache
def _standard_specs() -> Mapping[str, FunctionSpec]:
    return MappingProxyType({**BUILTIN_FUNCTIONS, **LIBRARY_FUNCTIONS, **CONTEXT_FUNCTIONS})


@cache
def _standard_callers() -> Mapping[str, Caller]:
    # Compiled on first use and shared by every table: only user functions are
    # compiled per table.
    return MappingProxyType({name: _compile_caller(spec) for name, spec in _standard_specs().items()})
