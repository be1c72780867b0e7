"""``datetime.strptime`` for the numeric formats mappings use, at a fraction of its cost.

``datetime.strptime`` takes about 10 µs for "%Y-%m-%dT%H:%M:%S.%f%z": it
locks a cache, checks the locale and walks every directive of the match in
Python. A mapping reads the same format millions of times, so ``parse``
compiles each format once into CPython's own regular expression for it and
converts the groups the way CPython does (about 1.5 µs).

Only the locale-free directives are compiled: %Y %y %m %d %H %M %S %f %z and
%%. For any other format, and for any text the fast route does not read,
``parse`` returns None and the caller asks ``datetime.strptime``, so every
error message, and every result of the rarer directives, stays CPython's own.
A test compares the two on generated formats and texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

__all__ = ["parse"]

Parser = Callable[[str], "datetime | None"]

# The patterns of CPython's _strptime.TimeRE (3.11 to 3.13), one group each.
_DIRECTIVES = {
    "Y": r"(\d\d\d\d)",
    "y": r"(\d\d)",
    "m": r"(1[0-2]|0[1-9]|[1-9])",
    "d": r"(3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])",
    "H": r"(2[0-3]|[0-1]\d|\d)",
    "M": r"([0-5]\d|\d)",
    "S": r"(6[0-1]|[0-5]\d|\d)",
    "f": r"([0-9]{1,6})",
    "z": r"([+-]\d\d:?[0-5]\d(?::?[0-5]\d(?:\.\d{1,6})?)?|(?-i:Z))",
}
_REGEX_CHARACTERS = re.compile(r"([\\.^$*+?\(\){}\[\]|])")
_WHITESPACE = re.compile(r"\s+")
_CACHE_SIZE = 256

_parsers: dict[str, Parser | None] = {}
_zones: dict[str, timezone] = {}


def parse(text: str, format: str) -> datetime | None:
    """``datetime.strptime(text, format)`` when the fast route can read it, else None."""
    try:
        parser = _parsers[format]
    except KeyError:
        if len(_parsers) >= _CACHE_SIZE:
            _parsers.clear()
        parser = _parsers[format] = _compile(format)
    return None if parser is None else parser(text)


def _compile(format: str) -> Parser | None:
    """The parser of ``format``, or None when it uses a directive the fast route leaves to CPython."""
    # The same escaping as CPython's TimeRE.pattern, so literal text matches alike.
    rest = _WHITESPACE.sub(r"\\s+", _REGEX_CHARACTERS.sub(r"\\\1", format))
    pattern, directives = [], []
    while "%" in rest:
        at = rest.index("%")
        pattern.append(rest[:at])
        directive = rest[at + 1: at + 2]
        if directive == "%":
            pattern.append("%")
        elif directive in _DIRECTIVES and directive not in directives:
            pattern.append(_DIRECTIVES[directive])
            directives.append(directive)
        else:
            return None
        rest = rest[at + 2:]
    pattern.append(rest)
    if "Y" in directives and "y" in directives:  # CPython takes whichever comes last
        return None
    try:
        regex = re.compile("".join(pattern), re.IGNORECASE)
    except re.error:
        return None
    return _parser(regex, tuple(directives))


def _parser(regex: re.Pattern[str], directives: tuple[str, ...]) -> Parser:
    match = regex.match
    positions = {directive: index for index, directive in enumerate(directives)}
    year_at, short_year_at = positions.get("Y"), positions.get("y")
    month_at, day_at = positions.get("m"), positions.get("d")
    hour_at, minute_at, second_at = positions.get("H"), positions.get("M"), positions.get("S")
    fraction_at, zone_at = positions.get("f"), positions.get("z")

    def parser(text: str) -> datetime | None:
        found = match(text)
        if found is None or found.end() != len(text):
            return None
        groups = found.groups()
        year = 1900
        if year_at is not None:
            year = int(groups[year_at])
        elif short_year_at is not None:
            year = int(groups[short_year_at])
            year += 2000 if year <= 68 else 1900
        try:
            return datetime(
                year,
                1 if month_at is None else int(groups[month_at]),
                1 if day_at is None else int(groups[day_at]),
                0 if hour_at is None else int(groups[hour_at]),
                0 if minute_at is None else int(groups[minute_at]),
                0 if second_at is None else int(groups[second_at]),
                0 if fraction_at is None else int(groups[fraction_at].ljust(6, "0")),
                None if zone_at is None else _zones.get(groups[zone_at]) or _zone(groups[zone_at]),
            )
        except ValueError:  # February 30th, second 61, an offset of a day: CPython says how
            return None

    return parser


def _zone(text: str) -> timezone:
    """The fixed offset of a %z match, read as CPython's _strptime reads it (and kept: a feed has few)."""
    if len(_zones) >= _CACHE_SIZE:
        _zones.clear()
    _zones[text] = zone = _offset(text)
    return zone


def _offset(text: str) -> timezone:
    if text == "Z":
        return timezone(timedelta(0))
    offset = text
    if offset[3] == ":":
        offset = offset[:3] + offset[4:]
        if len(offset) > 5:
            if offset[5] != ":":
                raise ValueError(f"Inconsistent use of : in {text}")
            offset = offset[:5] + offset[6:]
    seconds = int(offset[1:3]) * 3600 + int(offset[3:5]) * 60 + int(offset[5:7] or 0)
    fraction = int(offset[8:].ljust(6, "0"))
    if offset.startswith("-"):
        seconds, fraction = -seconds, -fraction
    return timezone(timedelta(seconds=seconds, microseconds=fraction))
