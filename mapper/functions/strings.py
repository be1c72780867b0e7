"""Library functions on strings: case, trimming, padding, splitting, finding, regular expressions, ``coalesce``.

Payloads are untrusted, so the work a call does is bounded: no function makes a string longer than
``MAX_STRING_LENGTH``, and a regular expression gives up after ``REGEX_SECONDS`` (more for a long
string). Either is the function's own error, which rejects the record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from .describe import show
from .errors import FunctionError
from .library import NUMBER_OR_NULL, STRING_OR_NULL, STRING_VALUE, integer, library, number_text
from .specs import Expects, Refines, param

if TYPE_CHECKING:  # imported by the first regex call: a tenth of a start-up, for the mappings that call one
    import regex


@library("lower", [STRING_VALUE], STRING_OR_NULL, passes_text=True)
def _lower(value: str | None) -> str | None:
    """The string in lower case (Unicode rules: "ÉCOLE" -> "école")."""
    return None if value is None else value.lower()


@library("upper", [STRING_VALUE], STRING_OR_NULL, passes_text=True)
def _upper(value: str | None) -> str | None:
    """The string in upper case (Unicode rules: "straße" -> "STRASSE")."""
    return None if value is None else value.upper()


#: The longest string a function makes (padding, replacing, joining): beyond it, the call is an error.
MAX_STRING_LENGTH = 10_000_000
#: How long one regular-expression call may run, in seconds, plus ``REGEX_SECONDS_PER_CHARACTER`` for each
#: character of its string: linear work on a long string gets its time, and ``re``, which has no bound,
#: would run ``^(a|aa)+$`` against 40 characters for hours.
REGEX_SECONDS = 0.25
REGEX_SECONDS_PER_CHARACTER = 2.5e-6


def _check_length(function: str, length: int) -> None:
    if length > MAX_STRING_LENGTH:
        raise FunctionError(function, f"the result would be longer than {MAX_STRING_LENGTH:,} characters")


_WORD = re.compile(r"[^\W_](?:[\w'’]*)")


@library("title", [STRING_VALUE], STRING_OR_NULL, passes_text=True)
def _title(value: str | None) -> str | None:
    """Each word capitalised, the rest lower case: "mary's 3RD street" -> "Mary's 3rd Street"."""
    if value is None:
        return None
    # Unlike str.title(), an apostrophe does not start a word (Mary's, not Mary'S)
    # and a word starting with a digit keeps its letters in lower case (3rd).
    return _WORD.sub(lambda match: match[0][0].title() + match[0][1:].lower(), value)


_CHARS = param("chars", "string", optional=True)


# As JMESPath Community defines them, an empty ``chars`` trims whitespace too (Python's
# strip('') would trim nothing): ``chars or None``.


@library("trim", [STRING_VALUE, _CHARS], STRING_OR_NULL, passes_text=True)
def _trim(value: str | None, chars: str | None = None) -> str | None:
    """The string without leading and trailing whitespace (or ``chars``, unless empty)."""
    return None if value is None else value.strip(chars or None)


@library("trim_left", [STRING_VALUE, _CHARS], STRING_OR_NULL, passes_text=True)
def _trim_left(value: str | None, chars: str | None = None) -> str | None:
    """The string without leading whitespace (or ``chars``, unless empty)."""
    return None if value is None else value.lstrip(chars or None)


@library("trim_right", [STRING_VALUE, _CHARS], STRING_OR_NULL, passes_text=True)
def _trim_right(value: str | None, chars: str | None = None) -> str | None:
    """The string without trailing whitespace (or ``chars``, unless empty)."""
    return None if value is None else value.rstrip(chars or None)


_SEPARATED = param("value", "string", "null", expects=Expects("separated", 1))


@library("split", [_SEPARATED, param("separator", "string"), param("max_splits", "number", optional=True)],
          ("array", "null"), refines=Refines("array_of", items="string"))
def _split(value: str | None, separator: str, max_splits: float | None = None) -> list[str] | None:
    """The parts of the string between separators (its characters for ''), at most ``max_splits`` splits."""
    if value is None:
        return None
    count = None if max_splits is None else integer("split", "max_splits", max_splits, minimum=0)
    if separator:
        return value.split(separator) if count is None else value.split(separator, count)
    if count is None or count >= len(value):
        return list(value)
    return [*value[:count], value[count:]]


@library("replace", [STRING_VALUE, param("old", "string"), param("new", "string"),
                     param("count", "number", optional=True)], STRING_OR_NULL)
def _replace(value: str | None, old: str, new: str, count: float | None = None) -> str | None:
    """The string with every ``old`` (or the first ``count``) replaced by ``new``."""
    if value is None:
        return None
    if not old:
        raise FunctionError("replace", "the text to replace must not be empty")
    most = -1 if count is None else integer("replace", "count", count, minimum=0)
    if len(new) > len(old):
        replaced = value.count(old) if most < 0 else min(value.count(old), most)
        _check_length("replace", len(value) + replaced * (len(new) - len(old)))
    return value.replace(old, new, most)


def _position(function: str, what: str, position: float, length: int) -> int:
    """A 0-based position in a string of ``length``, counted from the end when negative, within it."""
    index = integer(function, what, position)
    return min(max(index + length if index < 0 else index, 0), length)


@library("find_first", [STRING_VALUE, param("sub", "string"), param("start", "number", optional=True),
                        param("end", "number", optional=True)], NUMBER_OR_NULL)
def _find_first(value: str | None, sub: str, start: float = 0, end: float | None = None) -> int | None:
    """The 0-based position of the first ``sub`` within [start, end); null when there is none."""
    if value is None:
        return None
    first = _position("find_first", "start", start, len(value))
    last = len(value) if end is None else _position("find_first", "end", end, len(value))
    found = value.find(sub, first, last) if sub else -1
    return None if found < 0 else found


@library("find_last", [STRING_VALUE, param("sub", "string"), param("position", "number", optional=True)],
         NUMBER_OR_NULL)
def _find_last(value: str | None, sub: str, position: float | None = None) -> int | None:
    """The 0-based position of the last ``sub`` starting at or before ``position``; null when there is none."""
    if value is None:
        return None
    if position is None:
        found = value.rfind(sub) if sub else -1
    else:
        index = integer("find_last", "position", position)
        if index < 0:
            index += len(value)
        found = value.rfind(sub, 0, index + len(sub)) if sub and index >= 0 else -1
    return None if found < 0 else found


def _pad(function: str, value: str | float | None, width: float, fill: str) -> tuple[str, int] | None:
    if value is None:
        return None
    columns = integer(function, "width", width, minimum=0)
    if columns > MAX_STRING_LENGTH:
        raise FunctionError(function, f"width must be at most {MAX_STRING_LENGTH:,}, not {show(width)}")
    if len(fill) != 1:
        raise FunctionError(function, f"the fill must be one character, not {show(fill)}")
    return (value if isinstance(value, str) else number_text(value)), columns


_PAD_PARAMS = [param("value", "string", "number", "null"), param("width", "number"),
               param("fill", "string", optional=True)]


@library("pad_left", _PAD_PARAMS, STRING_OR_NULL)
def _pad_left(value: str | float | None, width: float, fill: str = " ") -> str | None:
    """The string (or number) right-aligned in ``width`` characters, ``fill`` before it."""
    padded = _pad("pad_left", value, width, fill)
    return None if padded is None else padded[0].rjust(padded[1], fill)


@library("pad_right", _PAD_PARAMS, STRING_OR_NULL)
def _pad_right(value: str | float | None, width: float, fill: str = " ") -> str | None:
    """The string (or number) left-aligned in ``width`` characters, ``fill`` after it."""
    padded = _pad("pad_right", value, width, fill)
    return None if padded is None else padded[0].ljust(padded[1], fill)


@library("substring", [STRING_VALUE, param("start", "number"), param("length", "number", optional=True)],
          STRING_OR_NULL)
def _substring(value: str | None, start: float, length: float | None = None) -> str | None:
    """``length`` characters from 0-based ``start`` (negative: from the end)."""
    if value is None:
        return None
    first = integer("substring", "start", start)
    if first < 0:
        first = max(len(value) + first, 0)
    if length is None:
        return value[first:]
    return value[first:first + integer("substring", "length", length, minimum=0)]


@library("concat", [param("values", "string", "number", "null", variadic=True)], STRING_OR_NULL)
def _concat(*values: str | float | None) -> str | None:
    """The strings and numbers joined, nulls skipped; null when all are null."""
    try:  # strings only (concat('CLM-', id)), the common case: joined at once, in C
        text = "".join(values)  # type: ignore[arg-type]  # a number or null among them is a TypeError
    except TypeError:
        pass
    else:
        _check_length("concat", len(text))
        return text
    parts = [value if isinstance(value, str) else number_text(value) for value in values if value is not None]
    _check_length("concat", sum(map(len, parts)))
    return "".join(parts) if parts or not values else None


# The patterns are Python's ``re`` syntax, as they have always been: ``re`` decides what a pattern may
# be and words the errors. They run on the ``regex`` package (its version 0 is ``re``'s semantics),
# which can stop a call after a time: a pattern that backtracks without end on a payload's text is a
# rejected record, not a run that hangs. google-re2 would need no time limit, but it has no
# backreferences or lookaround, which ``re`` patterns may use.
@lru_cache(maxsize=512)
def _regex(pattern: str) -> regex.Pattern[str]:
    re.compile(pattern)
    import regex

    try:
        return regex.compile(pattern)
    except regex.error as error:
        raise re.error(str(error)) from None


def _compiled(function: str, pattern: str) -> regex.Pattern[str]:
    try:
        return _regex(pattern)
    except re.error as error:
        raise FunctionError(function, f"invalid regular expression {show(pattern)}: {error}") from None


def _bounded(function: str, pattern: str, value: str, call: Callable[..., Any]) -> Any:
    """What ``call(timeout=...)`` (a match of ``pattern`` in ``value``) gives, in the time ``value`` allows."""
    timeout = REGEX_SECONDS + REGEX_SECONDS_PER_CHARACTER * len(value)
    try:
        return call(timeout=timeout)
    except TimeoutError:
        raise FunctionError(function, f"the regular expression {show(pattern)} ran for more than {timeout:.2f} s "
                                      f"on a string of {len(value):,} characters, and was stopped (a repeated "
                                      "repetition such as (a+)+ can take exponential time)") from None


_PATTERN = param("pattern", "string")
_MATCHED = param("value", "string", "null", expects=Expects("regex_match", 1))


@library("regex_match", [_MATCHED, _PATTERN], ("boolean", "null"))
def _regex_match(value: str | None, pattern: str) -> bool | None:
    """Whether ``pattern`` matches anywhere in the string (anchor with ^ and $)."""
    if value is None:
        return None
    compiled = _compiled("regex_match", pattern)
    return _bounded("regex_match", pattern, value, partial(compiled.search, value)) is not None


@library("regex_extract", [_MATCHED, _PATTERN, param("group", "number", "string", optional=True)],
          STRING_OR_NULL)
def _regex_extract(value: str | None, pattern: str, group: float | str = 0) -> str | None:
    """The first match of ``pattern`` (or its ``group``, by number or name); null if none."""
    if value is None:
        return None
    compiled = _compiled("regex_extract", pattern)
    if isinstance(group, str):
        if group not in compiled.groupindex:
            raise FunctionError("regex_extract", f"the pattern {show(pattern)} has no group named {show(group)}")
        key: int | str = group
    else:
        key = integer("regex_extract", "group", group, minimum=0)
        if key > compiled.groups:
            raise FunctionError("regex_extract", f"the pattern {show(pattern)} has no group {key}")
    match = _bounded("regex_extract", pattern, value, partial(compiled.search, value))
    return None if match is None else match.group(key)


@library("regex_replace", [_MATCHED, _PATTERN, param("replacement", "string")], STRING_OR_NULL)
def _regex_replace(value: str | None, pattern: str, replacement: str) -> str | None:
    """The string with every match of ``pattern`` replaced (``\\1``, ``\\g<name>`` insert groups)."""
    if value is None:
        return None
    compiled = _compiled("regex_replace", pattern)
    try:
        re.compile(pattern).sub(replacement, "")  # re reads the replacement before any match, and says what is wrong
    except (re.error, IndexError) as error:
        raise FunctionError("regex_replace", f"invalid replacement {show(replacement)}: {error}") from None
    # A cheap bound first: no match inserts more than the replacement and, for each of its group
    # references (each starts with a backslash), a group no longer than the value.
    references = replacement.count("\\")
    if len(value) + (len(value) + 1) * (len(replacement) + references * len(value)) > MAX_STRING_LENGTH:
        _check_length("regex_replace", _bounded("regex_replace", pattern, value, lambda timeout: _longest_replacement(
            compiled.finditer(value, timeout=timeout), len(value), len(replacement), references)))
    result: str = _bounded("regex_replace", pattern, value, partial(compiled.sub, replacement, value))
    return result


def _longest_replacement(matches: Iterable[regex.Match[str]], length: int, replacement: int, references: int) -> int:
    """How long replacing ``matches`` in a string of ``length`` can make it, at most: each match gives
    way to ``replacement`` characters and ``references`` groups, none longer than its longest group."""
    for match in matches:
        longest = max([len(match[0]), *(len(group or "") for group in match.groups())]) if references else 0
        length += replacement + references * longest - len(match[0])
        if length > MAX_STRING_LENGTH:
            break
    return length


@library("coalesce", [param("values", "any", variadic=True)], ("any",), refines=Refines("first_present"),
         passes_text=True)
def _coalesce(*values: Any) -> Any:
    """The first argument that is neither null nor the empty string; null if none."""
    for value in values:
        if value is not None and value != "":
            return value
    return None
