"""The JMESPath functions a mapping can call, and the table that calls them.

A ``FunctionTable`` holds four kinds of functions, all described by a
``FunctionSpec`` (name, callable, declared parameter and return types, and
the facts the checker, the fuzzer and the code generator read):

- jmespath's built-ins (``length``, ``join``, ``sort_by``...), which behave as
  in jmespath 1.1.0 (``builtins``);
- mapper's integration library, one module per domain: ``strings`` (with
  regular expressions and ``coalesce``), ``arrays`` (and objects),
  ``numbers`` (and money), ``booleans``, ``dates`` (and time zones), and
  ``raising`` (``error()``); docs/functions.md lists them all;
- the context functions ``root()``, ``parent()`` and ``index()``, declared in
  ``builtins`` so that checkers know them, but evaluated by the expression
  layer, which alone knows the record and the enclosing items;
- the user's own functions, declared with ``@jmespath_function()`` (``user``).

The table is a ``jmespath.functions.Functions``: pass it as
``jmespath.Options(custom_functions=table)``, or call
``table.call_function(name, args)`` directly. Calls are on the per-record hot
path, so each function's argument checks are compiled once (``callers``).
A call raises only ``JMESPathError``: library functions raise
``FunctionError`` for values they cannot use (``error()`` its
``RejectedByRule``), and any other exception of a
user function, or of a built-in that raises Python's own errors, is re-raised
as ``FunctionError`` from it.

Adding a library function touches its domain module only (and docs/functions.md):
its facts are declared with it, in ``@library(...)``.
"""

from ..jsontypes import jmespath_type
from .builtins import BUILTIN_FUNCTIONS, CONTEXT_FUNCTIONS
from .callers import Caller
from .describe import describe_types, describe_value, show
from .errors import ArgumentTypeError, FunctionError, RangeArityError, RejectedByRule, SortKeyTypeError
from .library import LIBRARY_FUNCTIONS
from .specs import (
    BASE_TYPES,
    EXPECTS_KINDS,
    INT_OPERATORS,
    PARAM_TYPES,
    REFINE_KINDS,
    RETURN_TYPES,
    Expects,
    FunctionSpec,
    ParamSpec,
    Refines,
)
from .table import Accepted, FunctionTable, build_function_table, unknown_function, wrong_arity
from .user import jmespath_function

__all__ = [
    "BASE_TYPES",
    "BUILTIN_FUNCTIONS",
    "CONTEXT_FUNCTIONS",
    "EXPECTS_KINDS",
    "INT_OPERATORS",
    "LIBRARY_FUNCTIONS",
    "PARAM_TYPES",
    "REFINE_KINDS",
    "RETURN_TYPES",
    "Accepted",
    "ArgumentTypeError",
    "Caller",
    "Expects",
    "FunctionError",
    "FunctionSpec",
    "FunctionTable",
    "ParamSpec",
    "RangeArityError",
    "Refines",
    "RejectedByRule",
    "SortKeyTypeError",
    "build_function_table",
    "describe_types",
    "describe_value",
    "jmespath_function",
    "jmespath_type",
    "show",
    "unknown_function",
    "wrong_arity",
]
