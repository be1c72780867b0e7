"""``FunctionTable``: every function an expression can call, with its compiled checked caller."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

import jmespath.functions
from jmespath.exceptions import UnknownFunctionError

from ..errors import MappingError
from . import arrays, booleans, dates, numbers, raising, strings  # noqa: F401  (importing them registers the library)
from .builtins import BUILTIN_FUNCTIONS, CONTEXT_FUNCTIONS
from .callers import Caller, compile_caller, compile_positional_caller, positional_checks
from .library import LIBRARY_FUNCTIONS
from .specs import FunctionSpec
from .user import user_spec

if BUILTIN_FUNCTIONS.keys() & LIBRARY_FUNCTIONS.keys():
    raise AssertionError("the library must not redefine a built-in")

Accepted = frozenset[type] | None  # the argument types a function takes without further checks (None: any)


@cache
def _standard_specs() -> Mapping[str, FunctionSpec]:
    return MappingProxyType({**BUILTIN_FUNCTIONS, **LIBRARY_FUNCTIONS, **CONTEXT_FUNCTIONS})


@cache
def _standard_caller(name: str) -> Caller:
    # Compiled on first use and shared by every table: only user functions are compiled per table.
    return compile_caller(_standard_specs()[name])


class _Callers(dict[str, Caller]):
    """The callers of a table by name, a standard function's compiled when first asked for: a mapping
    calls a few of the library's functions, and compiling all of them was a tenth of a start-up."""

    def __missing__(self, name: str) -> Caller:
        if name not in _standard_specs():
            raise KeyError(name)
        caller = self[name] = _standard_caller(name)
        return caller


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
        callers = _Callers()
        for function in self.user_functions:
            spec = user_spec(function)
            if spec.name in specs:
                raise MappingError(f"function {spec.name}() is already {_kind_of(spec.name)}; "
                                   "give yours another name")
            specs[spec.name] = spec
            callers[spec.name] = compile_caller(spec)
        self.specs: Mapping[str, FunctionSpec] = MappingProxyType(specs)
        self.FUNCTION_TABLE = self.specs
        self._callers = callers
        self._positional: dict[tuple[str, int, bool], Callable[..., Any]] = {}

    def call_function(self, function_name: str, resolved_args: Iterable[Any]) -> Any:
        """Check the arguments as jmespath does, then call the function.

        Raises ``UnknownFunctionError``, ``ArityError`` (``VariadictArityError``
        for variadic functions), ``ArgumentTypeError`` (a ``JMESPathTypeError``)
        or ``FunctionError``: the library's refusals, and any other exception
        of a spec that ``wrap_errors`` (user functions, some built-ins), so
        that a call raises only ``JMESPathError``. ``resolved_args`` is a list or tuple.
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
        return self._positional_call(function_name, count, True)

    def direct_call(self, function_name: str, count: int) -> tuple[Callable[..., Any], tuple[Accepted, ...]] | None:
        """A call without type checks and, for each of ``count`` arguments, the types it takes without
        further checks (None: any), so compiled code can call it directly when every argument's type
        is one of those; None when a check needs more than the type (array items).
        ``positional_caller`` is the way for every other argument. The call is the function itself,
        or for a spec that ``wrap_errors`` a call that wraps its errors as ``call_function`` does."""
        spec = self.specs[function_name]
        checks = positional_checks(spec, count)
        if any(check is not None and check.item_groups for check in checks):
            return None
        call = self._positional_call(function_name, count, False) if spec.wrap_errors else spec.func
        return call, tuple(None if check is None else check.fast for check in checks)

    def _positional_call(self, function_name: str, count: int, checked: bool) -> Callable[..., Any]:
        key = (function_name, count, checked)
        call = self._positional.get(key)
        if call is None:
            call = self._positional[key] = compile_positional_caller(self.specs[function_name], count,
                                                                     checked=checked)
        return call

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.user_functions,))

    def __repr__(self) -> str:
        names = ", ".join(user_spec(function).name for function in self.user_functions)
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


# -- what loading and `mapper check` say of a call the table cannot take ------------------------------


def unknown_function(name: str, known: Iterable[str]) -> str:
    """The one wording of a call to ``name``, which is not among the ``known`` function names:
    ``unknown function uppercase() (did you mean upper()?)``."""
    from difflib import get_close_matches  # only a load that fails asks

    names = sorted(known)
    close = get_close_matches(name, names, n=1, cutoff=0.75)
    if not close:
        close = [known_name for known_name in names if name.lower() in known_name or known_name in name.lower()]
    if close:
        return f"unknown function {name}() (did you mean {close[0]}()?)"
    return f"unknown function {name}(); docs/functions.md lists every function"


def wrong_arity(spec: FunctionSpec, count: int) -> str | None:
    """The one wording of a call passing ``count`` arguments, when ``spec`` takes another number:
    ``substring() takes 2 or 3 arguments, not 1``; None when ``count`` is right."""
    low, high = spec.min_args, spec.max_args
    if low <= count and (high is None or count <= high):
        return None
    plural = "s" if (high if high is not None else low) != 1 else ""
    if high is None:
        takes = f"at least {low} argument{plural}"
    elif low == high:
        takes = f"{low} argument{plural}"
    else:
        takes = f"{low} {'or' if high == low + 1 else 'to'} {high} arguments"
    return f"{spec.name}() takes {takes}, not {count}"
