"""The errors of function calls: all ``JMESPathError`` subclasses, so rules raise only jmespath's errors.

- ``FunctionError``: a function could not use a value (the library's refusals, and any
  exception a user function or a guarded built-in raised, wrapped by ``FunctionError.wrapping``);
  ``RejectedByRule``, a ``FunctionError``, is ``error(message)`` rejecting the record on purpose;
- ``ArgumentTypeError``: an argument of a type the function does not take;
- ``SortKeyTypeError``: the key expression of ``sort_by`` / ``min_by`` / ``max_by`` gave a value that
  cannot be ordered;
- ``RangeArityError``: the wrong number of arguments for a function with optional parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jmespath.exceptions import ArityError, JMESPathError, JMESPathTypeError

from .describe import describe_types, describe_value


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

    @classmethod
    def wrapping(cls, function_name: str, error: Exception) -> FunctionError:
        """The error a call raises for any other exception of the function: ``f(): ValueError: ...``.

        Raise it ``from error``, so that the original stays the ``__cause__``.
        """
        return cls(function_name, f"{type(error).__name__}: {error}")


class RejectedByRule(FunctionError):
    """``error(message)`` was called: the rule rejects the record with exactly ``message``.

    A ``FunctionError`` (``function_name`` "error", ``reason`` the message) whose
    ``str()`` is the message alone, since the mapping's author wrote all of it.
    """

    def __init__(self, message: str) -> None:
        super().__init__("error", message)

    def __str__(self) -> str:
        return self.reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason,))


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
        expected = describe_types(self.expected_types)
        head = f"{self.function_name}(): argument {self.position} must be {expected}"
        if self.in_array:
            return f"{head}, but it holds {describe_value(self.current_value)}"
        return f"{head}, not {describe_value(self.current_value)}"


class SortKeyTypeError(JMESPathTypeError):
    """The key expression of ``sort_by``, ``min_by`` or ``max_by`` gave a value that cannot be ordered.

    jmespath's fields, with ``current_value`` the key's value; a message that
    says what to do.
    """

    def __str__(self) -> str:
        return (f"{self.function_name}(): the key expression gives {describe_value(self.current_value)} for an "
                "item; it must give numbers or strings, of one type for every item (for a missing key, give a "
                "fallback: &rank || `99`)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.function_name, self.current_value, self.actual_type, self.expected_types))


class RangeArityError(ArityError):
    """Wrong argument count for a function with optional parameters."""

    def __init__(self, expected: int, actual: int, name: str, most: int) -> None:
        super().__init__(expected, actual, name)
        self.max_arity = most

    def __str__(self) -> str:
        return (f"Expected {self.expected_arity} to {self.max_arity} arguments for function "
                f"{self.function_name}(), received {self.actual_arity}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.expected_arity, self.actual_arity, self.function_name, self.max_arity))
