"""What a function is: ``ParamSpec``, ``FunctionSpec`` and the facts that travel with them.

A spec declares a function's name, callable, parameter and return types, and
the facts the tools on top of the runtime read instead of knowing functions by
name (this package does not import them):

- ``FunctionSpec.refines``: how the static checker narrows the declared return
  types from the arguments' types (``Refines``);
- ``FunctionSpec.passes_text``: the result is an argument's text, changed, so
  a target's format says what that text is;
- ``FunctionSpec.expref_items``: the argument whose items the expression
  references run on (typed first);
- ``FunctionSpec.member``: which argument is looked for among the items of which;
- ``FunctionSpec.int_operator``: a Python operator giving the result exactly
  for two int arguments, which generated code may use instead of the call;
- ``FunctionSpec.sorts_by_key``: the result is argument 0 sorted by the key that the expression
  reference argument 1 gives per item, exactly as jmespath's ``sort_by``, which generated code may
  do inline;
- ``FunctionSpec.wrap_errors``: whether calls re-raise other exceptions as ``FunctionError``;
- ``ParamSpec.expects``: the text a parameter reads (``Expects``), which a fuzzer draws for it.

Facts name arguments by 0-based position; ``FunctionSpec`` refuses a fact
that names no parameter.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from jmespath.exceptions import ArityError, VariadictArityError
from jmespath.visitor import _Expression

from ..errors import MappingError
from .errors import RangeArityError

#: Base JMESPath type names; a parameter may also take "array-<base>" (an
#: array whose items all have that type) and "any" (no check).
BASE_TYPES = ("string", "number", "boolean", "array", "object", "null", "expref")
_ARRAY_ITEM_TYPES = ("string", "number", "boolean", "array", "object", "null")
PARAM_TYPES = frozenset(BASE_TYPES + ("any",) + tuple(f"array-{kind}" for kind in _ARRAY_ITEM_TYPES))
RETURN_TYPES = frozenset(BASE_TYPES + ("any",))

# JMESPath type -> Python types, for the fast identity check of a call. The
# slow path also accepts what jmespath accepts, by type name (its
# REVERSE_TYPES_MAP), so nothing jmespath takes is refused there.
PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict, OrderedDict),
    "null": (type(None),),
    "expref": (_Expression,),
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# -- facts --------------------------------------------------------------------------------------

RefineKind = Literal["argument", "item", "as_array", "mapped", "first_present", "array_of", "integer",
                     "record", "enclosing", "position", "lookup", "never"]
#: Refines.kind -> whether it is about one argument (``Refines.argument``).
REFINE_KINDS: dict[str, bool] = {
    "argument": True,       # the result has the shape of argument N (sort, reverse)
    "item": True,           # an item of argument N, or null when it is empty (max, min_by)
    "as_array": True,       # argument N, wrapped in an array unless it is one (to_array)
    "mapped": True,         # an array of what the expression reference argument N yields per item (map)
    "first_present": False,  # the first argument that is present, as not_null() and coalesce() define it
    "array_of": False,      # an array of items of type ``items``, or null if ``returns`` has it (split, keys)
    "integer": False,       # a whole number (length, ceil)
    "record": False,        # the whole source record (root)
    "enclosing": True,      # the value enclosing the current one, argument N levels up, default 1 (parent)
    "position": False,      # the 0-based position in the innermost ``each``; null outside one (index)
    "lookup": True,         # argument N+1 through the mapping's lookup table that literal argument N names
    "never": False,         # nothing: the call always raises, so it never gives a value (error)
}
assert set(REFINE_KINDS) == set(get_args(RefineKind))


@dataclass(frozen=True)
class Refines:
    """How a call's result type follows from its arguments, beyond the declared return types.

    ``kind`` is one of ``REFINE_KINDS`` (see there, null included),
    ``argument`` the 0-based position it is about, ``items`` the item type
    for ``array_of``. The refined type replaces the declared one, so it must
    hold every value the function returns.
    """

    kind: RefineKind
    argument: int = 0
    items: str = ""

    def __post_init__(self) -> None:
        if self.kind not in REFINE_KINDS:
            raise MappingError(f"unknown refinement {self.kind!r}; expected one of {', '.join(REFINE_KINDS)}")
        if (self.kind == "array_of") != bool(self.items) or (self.items and self.items not in BASE_TYPES):
            raise MappingError(f"refinement {self.kind!r}: items must be a JMESPath type for array_of "
                               f"(and only for it), not {self.items!r}")


ExpectsKind = Literal["date_time", "formatted", "number_text", "currency", "boolean_text", "regex_match",
                      "separated"]
#: Expects.kind -> whether it reads another argument's literal value (``Expects.argument``).
EXPECTS_KINDS: dict[str, bool] = {
    "date_time": False,     # an ISO 8601 date-time with an offset (RFC 3339 and the like)
    "formatted": True,      # a date-time written in the strptime format given by argument N
    "number_text": False,   # a number written as text: "42", "-3.25"
    "currency": False,      # an ISO 4217 currency code with a minor unit: "USD"
    "boolean_text": False,  # a boolean written as text: "true", "no", "1"
    "regex_match": True,    # text the regular expression given by argument N matches
    "separated": True,      # parts joined by the separator given by argument N
}
assert set(EXPECTS_KINDS) == set(get_args(ExpectsKind))


@dataclass(frozen=True)
class Expects:
    """The text a parameter reads, when it reads text: what a fuzzer should draw for it.

    ``kind`` is one of ``EXPECTS_KINDS`` (see there); ``argument`` is the
    0-based position of the argument whose literal value shapes the text, for
    the kinds that have one.
    """

    kind: ExpectsKind
    argument: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXPECTS_KINDS:
            raise MappingError(f"unknown text kind {self.kind!r}; expected one of {', '.join(EXPECTS_KINDS)}")
        if EXPECTS_KINDS[self.kind] != (self.argument is not None):
            raise MappingError(f"text kind {self.kind!r} {'needs' if EXPECTS_KINDS[self.kind] else 'takes no'} "
                               "argument position")


#: FunctionSpec.int_operator values: binary Python operators exact on ints.
INT_OPERATORS = frozenset({"+", "-", "*"})


# -- specs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: the JMESPath types it takes.

    ``optional`` parameters may be left out (only at the end); a ``variadic``
    parameter is the last and takes any number of arguments: at least one, as
    in jmespath, unless it is also ``optional``. ``name`` is for messages and
    documentation only; ``expects`` says what text it reads, if any.
    """

    types: tuple[str, ...]
    optional: bool = False
    variadic: bool = False
    name: str = ""
    expects: Expects | None = None

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
    """A JMESPath function: its name, callable, declared types and facts.

    ``func`` takes the resolved arguments (not a ``Functions`` instance).
    ``returns`` lists the JMESPath types it may return (``null`` included when
    it can return null). ``context`` functions are evaluated by the expression
    layer and never called through a table. The other fields are the facts
    described in this module's docstring; ``wrap_errors`` is true unless the
    function raises only ``JMESPathError`` by design (mapper's library), so
    that any other exception it raises on a record's values reads as the
    function refusing them, not as a bug of mapper.
    """

    name: str
    func: Callable[..., Any]
    params: tuple[ParamSpec, ...]
    returns: tuple[str, ...]
    context: bool = False
    doc: str = ""
    refines: Refines | None = None
    passes_text: bool = False
    expref_items: int | None = None
    member: tuple[int, int] | None = None
    int_operator: str | None = None
    sorts_by_key: bool = False
    wrap_errors: bool = True

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
        self._check_facts()

    def _check_facts(self) -> None:
        positions: list[tuple[str, int | None]] = [("expref_items", self.expref_items)]
        if self.refines is not None and REFINE_KINDS[self.refines.kind]:
            positions.append(("refines", self.refines.argument))
        positions.extend(("member", position) for position in self.member or ())
        positions.extend((f"parameter {index + 1} expects", param.expects.argument)
                         for index, param in enumerate(self.params) if param.expects is not None)
        for fact, position in positions:
            if position is not None and not self.has_argument(position):
                raise MappingError(f"function {self.name}(): {fact} names argument {position}, "
                                   "which it does not have")
        if self.int_operator is not None and (self.int_operator not in INT_OPERATORS or self.max_args != 2):
            raise MappingError(f"function {self.name}(): int_operator must be one of "
                               f"{', '.join(sorted(INT_OPERATORS))}, for a function of two arguments")
        if self.sorts_by_key and (self.max_args != 2 or "expref" not in self.params[1].types):
            raise MappingError(f"function {self.name}(): sorts_by_key needs two arguments, an array and "
                               "an expression reference")

    def has_argument(self, position: int) -> bool:
        """Whether a call can pass an argument at 0-based ``position``."""
        return position >= 0 and (self.max_args is None or position < self.max_args)

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
            raise RangeArityError(low, count, self.name, high)

    def params_for(self, count: int) -> tuple[ParamSpec, ...]:
        """The parameter each of ``count`` arguments is passed to (the variadic one repeats)."""
        params = list(self.params)
        if params and params[-1].variadic:
            params.extend([params[-1]] * (count - len(params)))
        return tuple(params[:count])


def param(name: str, *kinds: str, optional: bool = False, variadic: bool = False,
          expects: Expects | None = None) -> ParamSpec:
    """A ``ParamSpec`` written as the library declares them: ``param("value", "string", "null")``."""
    return ParamSpec(kinds, optional=optional, variadic=variadic, name=name, expects=expects)
