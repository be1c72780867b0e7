"""How mapper's library declares a function: the ``library`` registry decorator and shared pieces.

Each domain module (``strings``, ``arrays``, ``numbers``, ``booleans``, ``dates``, ``raising``)
registers its functions with ``@library(name, params, returns, **facts)``;
``LIBRARY_FUNCTIONS`` holds them all once those modules are imported (the
package does). Library functions return null when their subject is null
(missing optional fields are common in integration data) and raise
``FunctionError`` with a message naming the function and quoting the value
when a value cannot be used: that message is what a user reads as the reason
a record was rejected. They raise nothing else by design, so their specs do
not ``wrap_errors``: anything else they raise is a bug.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

from .describe import show
from .errors import FunctionError
from .specs import FunctionSpec, ParamSpec, param

F = TypeVar("F", bound=Callable[..., Any])

_LIBRARY: dict[str, FunctionSpec] = {}

#: Every library function by name (a live view: filled as the domain modules are imported).
LIBRARY_FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType(_LIBRARY)


def library(name: str, params: Sequence[ParamSpec], returns: Sequence[str], **facts: Any) -> Callable[[F], F]:
    """Register the decorated function as library function ``name``; ``facts`` are ``FunctionSpec`` fields.

    The docstring becomes the spec's ``doc``; docs/functions.md is the reference (and is tested).
    """
    def register(func: F) -> F:
        if name in _LIBRARY:
            raise AssertionError(f"library function {name}() is declared twice")
        _LIBRARY[name] = FunctionSpec(name, func, tuple(params), tuple(returns), doc=inspect.getdoc(func) or "",
                                      wrap_errors=False, **facts)
        return func

    return register


#: The subject of most library functions: a string, or null (which gives null).
STRING_VALUE = param("value", "string", "null")
STRING_OR_NULL = ("string", "null")
#: The subject of the number functions: a number, or null (which gives null).
NUMBER_VALUE = param("value", "number", "null")
NUMBER_OR_NULL = ("number", "null")


def integer(function: str, what: str, value: float, *, minimum: int | None = None) -> int:
    """An argument that must be a whole number (2.0 is 2)."""
    if isinstance(value, float):
        if not value.is_integer():
            raise FunctionError(function, f"{what} must be a whole number, not {show(value)}")
        value = int(value)
    if minimum is not None and value < minimum:
        raise FunctionError(function, f"{what} must be at least {minimum}, not {show(value)}")
    return value


def number_text(value: float) -> str:
    """A number as text: ints as written, floats by their shortest round-trip form."""
    return str(value) if isinstance(value, int) else repr(value)
