"""What generated code calls and reads at run time, and nothing of the generator.

Compiled expressions and mapping builders (``codegen.py``, ``compiler.py``)
are Python source whose globals come from here: ``RUNTIME`` names every one,
each also a module attribute under the same name, so an exported builder can
``from mapper.runtime import ...`` what it uses (see ``CompiledMapping.source``).
The helpers are the rare, slow cases of the inlined code (a value that is not a
plain dict or list); ``Scope`` is what the context functions read.

Only the errors in ``RULE_ERRORS`` reject a record; anything else a builder
raises is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from copy import deepcopy
from decimal import InvalidOperation
from functools import partial
from itertools import repeat
from operator import ge, gt, le, lt
from typing import Any

from jmespath.exceptions import JMESPathError
from jmespath.visitor import _Expression

from .coercion import CoercionError
from .functions import LIBRARY_FUNCTIONS, FunctionError, SortKeyTypeError, describe_value, show
from .functions.numbers import as_decimal, check_finite
from .jsontypes import jmespath_type, json_type, with_article
from .model import lookup_key

__all__ = [
    "ARITHMETIC_SYMBOLS", "OMIT", "ORDER_SYMBOLS", "RULE_ERRORS", "RUNTIME", "ArithmeticFault", "BindingFailure",
    "EachTypeError",
    "Expref", "Failures", "LookupMiss", "OrderingError", "Path", "Scope", "arithmetic", "is_true",
    "lookup_translator", "unary_arithmetic",
]

#: Output path of a field: object keys and array indexes.
Path = tuple[str | int, ...]
#: (path, exception) pairs a builder collects while building one record.
Failures = list[tuple[Path, Exception]]


class _Omit:
    """The type of ``OMIT``: one instance, named in reprs and exported source."""

    def __repr__(self) -> str:
        return "OMIT"


#: The value of a field whose ``when`` is false: the field is left out.
OMIT: Any = _Omit()


class Scope:
    """Where an expression is evaluated: the current value and what encloses it.

    ``value`` is the current item (or the record at the top), ``index`` its
    position in the ``each`` that produced it (None for the record and for
    nested objects), ``outer`` the enclosing scope and ``root`` the record.
    """

    __slots__ = ("value", "index", "outer", "root")

    def __init__(self, value: Any, index: int | None, outer: Scope | None, root: Any) -> None:
        self.value = value
        self.index = index
        self.outer = outer
        self.root = root

    @classmethod
    def top(cls, record: Any) -> Scope:
        """The scope of a whole record."""
        return cls(record, None, None, record)

    def enter(self, value: Any, index: int | None = None) -> Scope:
        """The scope of ``value``, an item (at ``index``) or a sub-object of this scope's value."""
        return Scope(value, index, self, self.root)

    def ancestor(self, levels: int) -> Any:
        """The value ``levels`` scopes up (0 is this one); None beyond the record."""
        scope: Scope | None = self
        for _ in range(levels):
            if scope is None:
                return None
            scope = scope.outer
        return None if scope is None else scope.value

    def position(self) -> int | None:
        """The index of the innermost ``each`` item enclosing this scope."""
        scope: Scope | None = self
        while scope is not None:
            if scope.index is not None:
                return scope.index
            scope = scope.outer
        return None

    def __repr__(self) -> str:
        return f"Scope(index={self.index!r}, depth={self._depth()})"

    def _depth(self) -> int:
        depth, scope = 0, self.outer
        while scope is not None:
            depth, scope = depth + 1, scope.outer
        return depth


# -- errors a rule can raise -------------------------------------------------------------------------


class LookupMiss(LookupError):
    """A value is not in a lookup table that has no default."""


class EachTypeError(TypeError):
    """The expression of an ``each`` gave something other than an array."""


class OrderingError(JMESPathError, TypeError):
    """An ordering (``<``, ``<=``, ``>``, ``>=``) of a number and a string, which have none.

    A ``TypeError``, as jmespath raises, and a ``JMESPathError``, so that it
    rejects the record (it is the data's fault, not a bug). ``left`` and
    ``right`` are the values, ``operator`` the symbol.
    """

    def __init__(self, left: Any, right: Any, operator: str) -> None:
        super().__init__(left, right, operator)
        self.left, self.right, self.operator = left, right, operator

    def __str__(self) -> str:
        return f"cannot order {describe_value(self.left)} and {describe_value(self.right)} with {self.operator}"


class ArithmeticFault(JMESPathError):
    """An arithmetic operator (``+ - * / % //``, unary ``-`` and ``+``) that cannot compute its operands:
    one that is not a number, a division by zero, a result too large for a JSON number.

    A ``JMESPathError``, so that it rejects the record. ``operator`` is the
    symbol, ``operands`` the values, ``reason`` the whole message.
    """

    def __init__(self, operator: str, operands: tuple[Any, ...], reason: str) -> None:
        super().__init__(operator, operands, reason)
        self.operator, self.operands, self.reason = operator, operands, reason

    def __str__(self) -> str:
        return self.reason


class BindingFailure(Exception):
    """A ``let:`` binding whose expression raised one of ``RULE_ERRORS``: what a builder records for it,
    at the path of the object whose block binds ``name`` (that object is then not built, and the record
    is rejected); ``error`` is what the expression raised."""

    def __init__(self, name: str, error: Exception) -> None:
        super().__init__(name, error)
        self.name, self.error = name, error

    def __str__(self) -> str:
        return str(self.error)


#: The exceptions that reject a record: jmespath's (function, argument type and arity errors,
#: OrderingError and ArithmeticFault subclass JMESPathError), a lossy coercion, a lookup miss,
#: an ``each`` over a non-array.
RULE_ERRORS: tuple[type[Exception], ...] = (JMESPathError, CoercionError, LookupMiss, EachTypeError)


# -- JMESPath semantics for the slow cases -----------------------------------------------------------


def is_true(value: Any) -> bool:
    """JMESPath truth: false, null, and empty strings, arrays and objects are false."""
    if value is None or value is False:
        return False
    kind = type(value)
    if kind is str or kind is list or kind is dict:
        return bool(value)
    return not (value == "" or value == [] or value == {})


def index_of(value: Any, position: int) -> Any:
    """``value[position]``: null unless ``value`` is an array long enough."""
    if not isinstance(value, list):
        return None
    try:
        return value[position]
    except IndexError:
        return None


def values_of(value: Any) -> list[Any] | None:
    """The values of an object (``*``); null for anything else."""
    try:
        return list(value.values())
    except AttributeError:
        return None


def flatten(value: Any) -> list[Any] | None:
    """``value[]``: arrays in the array merged one level; null unless an array."""
    if not isinstance(value, list):
        return None
    merged: list[Any] = []
    for item in value:
        if isinstance(item, list):
            merged.extend(item)
        else:
            merged.append(item)
    return merged


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def equals(left: Any, right: Any) -> bool:
    """JMESPath equality of two values that are not strings."""
    # 0 == False and 1 == True in Python, but not in JMESPath.
    if _is_number(left) and left in (0, 1):
        if isinstance(right, bool):
            return False
    elif _is_number(right) and right in (0, 1) and isinstance(left, bool):
        return False
    return bool(left == right)


#: The orderings by the name jmespath's syntax tree gives them, with their symbols.
ORDER_SYMBOLS: Mapping[str, str] = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_COMPARE: Mapping[str, Callable[[Any, Any], Any]] = {"lt": lt, "lte": le, "gt": gt, "gte": ge}


def order(left: Any, right: Any, operator: str) -> Any:
    """An ordering (``lt``, ``lte``, ``gt``, ``gte``) of two numbers or two strings; null when either is
    anything else (as jmespath); a number and a string raise ``OrderingError``."""
    left_number, right_number = _is_number(left), _is_number(right)
    if not ((left_number or isinstance(left, str)) and (right_number or isinstance(right, str))):
        return None
    if left_number != right_number:
        raise OrderingError(left, right, ORDER_SYMBOLS[operator])
    return _COMPARE[operator](left, right)


#: The arithmetic operators by the name the syntax tree gives them, with their symbols.
ARITHMETIC_SYMBOLS: Mapping[str, str] = {"plus": "+", "minus": "-", "multiply": "*", "divide": "/",
                                         "modulo": "%", "integer_divide": "//"}


def _floor_division(left: float, right: float) -> tuple[int, int | float]:
    """``(left // right, left % right)`` as Python floors them (the remainder has the divisor's sign),
    exactly: in decimal unless both are ints."""
    if type(left) is int and type(right) is int:
        return divmod(left, right)
    check_finite("//", left)
    check_finite("//", right)
    divisor = as_decimal(right)
    quotient, remainder = divmod(as_decimal(left), divisor)  # truncated towards zero: floor it
    if remainder and (remainder < 0) != (divisor < 0):
        quotient, remainder = quotient - 1, remainder + divisor
    return int(quotient), float(remainder)


def _library_operation(name: str) -> Callable[[float, float], Any]:
    """The library function ``name`` (``add``...): one exact arithmetic for the functions and the operators."""
    return LIBRARY_FUNCTIONS[name].func


_OPERATIONS: Mapping[str, Callable[[float, float], Any]] = {
    "plus": _library_operation("add"), "minus": _library_operation("subtract"),
    "multiply": _library_operation("multiply"), "divide": _library_operation("divide"),
    "modulo": lambda left, right: _floor_division(left, right)[1],
    "integer_divide": lambda left, right: _floor_division(left, right)[0],
}


def arithmetic(operator: str, left: Any, right: Any) -> Any:
    """``left <operator> right`` (``plus``, ``minus``, ``multiply``, ``divide``, ``modulo``,
    ``integer_divide``) on two numbers, exactly as the library's ``add()``... compute: ints exactly, other
    numbers in decimal (0.1 + 0.2 is 0.3). ``/`` gives an int when it divides exactly, ``//`` always an
    int, ``%`` the remainder with the sign of the divisor (Python's floor rules). Raises
    ``ArithmeticFault`` for an operand that is not a number (null too), a zero divisor, or a result too
    large for a JSON number."""
    symbol = ARITHMETIC_SYMBOLS[operator]
    if not (_is_number(left) and _is_number(right)):
        raise ArithmeticFault(symbol, (left, right), f"{symbol} needs two numbers, not {describe_value(left)} "
                                                     f"and {describe_value(right)}")
    if right == 0 and operator in ("divide", "modulo", "integer_divide"):
        raise ArithmeticFault(symbol, (left, right), f"cannot divide {show(left)} by zero (with {symbol})")
    try:
        return _OPERATIONS[operator](left, right)
    except FunctionError as error:
        raise ArithmeticFault(symbol, (left, right), f"{show(left)} {symbol} {show(right)}: {error.reason}") from None
    except InvalidOperation:  # a quotient of more digits than Decimal's context holds
        raise ArithmeticFault(symbol, (left, right), f"{show(left)} {symbol} {show(right)}: the result is "
                                                     "too large") from None


def unary_arithmetic(operator: str, value: Any) -> Any:
    """``-value`` or ``+value`` (``minus``, ``plus``) of a number; ``ArithmeticFault`` for anything else."""
    symbol = ARITHMETIC_SYMBOLS[operator]
    if not _is_number(value):
        raise ArithmeticFault(symbol, (value,), f"unary {symbol} needs a number, not {describe_value(value)}")
    return -value if operator == "minus" else value


def parent_of(scope: Scope | None, levels: Any) -> Any:
    """``parent(levels)``: the value ``levels`` scopes up; null beyond the record or without a scope."""
    if not (_is_number(levels) and levels == int(levels) and levels >= 0):
        raise FunctionError("parent", f"levels must be a whole number of 0 or more, not {levels!r}")
    return None if scope is None else scope.ancestor(int(levels))


_SORT_KEY_KINDS = {int: "number", float: "number", str: "string"}


def sort_by(name: str, array: list[Any], key: Callable[[Any, Any], Any], scope: Scope | None) -> list[Any]:
    """jmespath's ``sort_by`` of an array: keys all numbers or all strings, a stable sort, the same errors
    (naming function ``name``)."""
    if not array:
        return array
    # map() rather than comprehensions: in Python 3.11 each comprehension is a call of its own.
    keys = list(map(key, array, repeat(scope)))
    kind = _SORT_KEY_KINDS.get(type(keys[0]))
    if kind is None:
        raise SortKeyTypeError(name, keys[0], jmespath_type(keys[0]), ["string", "number"])
    if len(keys) == 1:
        return array[:]
    for value in keys:
        if _SORT_KEY_KINDS.get(type(value)) != kind:
            raise SortKeyTypeError(name, value, jmespath_type(value), [kind])
    return list(map(array.__getitem__, sorted(range(len(array)), key=keys.__getitem__)))


def sort_by_field(name: str, array: list[Any], read: Callable[[Any], Any], key: Callable[[Any, Any], Any],
                  scope: Scope | None) -> list[Any]:
    """``sort_by(array, &field)``, ``read`` being ``operator.itemgetter(field)``: what ``sort_by`` gives,
    with the keys read in C when every item is an object that has the field and the keys are all strings
    or all numbers; anything else (where ``key`` gives null or a key of the wrong type) goes through
    ``sort_by`` for its errors."""
    if not array:
        return array
    # One loop over the (few) items rather than list(map(...)) and set(map(type, ...)): each C-level
    # map and container costs more than the loop's tests on the short arrays mappings sort (callgrind).
    try:
        kind = _SORT_KEY_KINDS.get(type(read(array[0])))
        for item in array:
            if _SORT_KEY_KINDS.get(type(read(item))) is not kind:
                return sort_by(name, array, key, scope)
    except (KeyError, TypeError):  # an item without the field, or no object: its key may be null
        return sort_by(name, array, key, scope)
    if kind is None:
        return sort_by(name, array, key, scope)
    return sorted(array, key=read) if len(array) > 1 else array[:]


class Expref(_Expression):
    """An ``&expression`` argument, in the form jmespath's functions call back."""

    def __init__(self, node: dict[str, Any], evaluate: Callable[[Any, Any], Any], scope: Scope | None) -> None:
        self.expression = node  # type: ignore[assignment]  # the stubs say str; jmespath stores the node
        self._evaluate = evaluate
        self._scope = scope

    def visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        return self._evaluate(args[0], self._scope)


# -- mapping rules ---------------------------------------------------------------------------------------


def with_values(built: dict[str, Any]) -> dict[str, Any] | None:
    """``built``, unless none of its fields has a value (required fields are kept as null)."""
    for value in built.values():
        if value is not None:
            return built
    return None


def not_array(value: Any) -> None:
    """Raise the error of an ``each`` whose expression gave ``value``, not an array."""
    raise EachTypeError(f"`each` needs an array, got {with_article(json_type(value))}")


def lookup_translator(name: str, values: Mapping[str, Any], has_default: bool, default: Any) -> Callable[[Any], Any]:
    """The lookup of a value in table ``name``: ``translate(value)`` is the table's value for it.

    Keys are text (``model.lookup_key``). A miss gives ``default``, or raises
    ``LookupMiss`` when the table has none; so does an array or object.
    """

    def translate(value: Any) -> Any:
        if isinstance(value, (dict, list)):
            raise LookupMiss(f"lookup {name!r} needs a single value, got {with_article(json_type(value))}")
        key = lookup_key(value)
        if key in values:
            return values[key]
        if has_default:
            return default
        raise LookupMiss(f"{value!r} is not in lookup {name!r} and the lookup has no default")

    return translate


#: The types of JMESPath numbers (two of them order without a call, as two strings do).
NUMBERS = frozenset({int, float})

#: The globals every generated function starts from, by the names it uses for them.
RUNTIME: Mapping[str, Any] = {
    "index_of": index_of, "values_of": values_of, "flatten": flatten, "equals": equals, "order": order,
    "parent_of": parent_of, "sort_by": sort_by, "sort_by_field": sort_by_field, "is_true": is_true,
    "Expref": Expref, "deepcopy": deepcopy,
    "NUMBERS": NUMBERS, "arithmetic": arithmetic, "unary_arithmetic": unary_arithmetic, "partial": partial,
    "OMIT": OMIT, "RULE_ERRORS": RULE_ERRORS, "with_values": with_values, "not_array": not_array,
    "BindingFailure": BindingFailure,
}
