"""Library functions on dates and times: parsing and formatting, time zones, Unix epochs.

Date-times are ISO 8601 text in and out; time zones are IANA names, "UTC" or offsets.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_EVEN
from functools import cache, lru_cache

from .. import strptime
from .describe import show
from .errors import FunctionError
from .library import NUMBER_OR_NULL, NUMBER_VALUE, STRING_OR_NULL, library
from .numbers import as_decimal, check_finite
from .specs import Expects, param

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSET = re.compile(r"([-+])([0-9]{2}):?([0-9]{2})")
_MICROSECONDS = {"s": 1_000_000, "ms": 1_000, "us": 1}


@cache
def _known_zones() -> tuple[str, ...]:
    from zoneinfo import available_timezones

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
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # named zones only: its import costs a start-up 3 ms

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, a name too long for a file
        return None


def _zone(function: str, name: str) -> tzinfo:
    zone = _lookup_zone(name)
    if zone is None:
        from difflib import get_close_matches

        known = {key.lower(): key for key in _known_zones()}
        close = [known[key] for key in get_close_matches(name.lower(), list(known), n=1)]
        hint = f' (did you mean "{close[0]}"?)' if close else " (expected an IANA name such as \"Europe/Paris\", " \
                                                              "\"UTC\" or an offset such as \"+02:00\")"
        raise FunctionError(function, f"unknown time zone {show(name)}{hint}")
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
        raise FunctionError(function, f"cannot read {show(value)} as an ISO 8601 date-time") from None


def _aware(function: str, value: str) -> datetime:
    moment = _parse_iso(function, value)
    if moment.tzinfo is None:
        raise FunctionError(function, f"{show(value)} has no UTC offset, so it cannot be converted; "
                                      "read it with parse_datetime(value, format, time_zone)")
    return moment


def _localize(naive: datetime, zone: tzinfo) -> datetime:
    """A wall-clock time in ``zone``: repeated times take the earlier offset, skipped
    times (spring forward) move forward by the gap, as java.time does."""
    moment = naive.replace(tzinfo=zone)
    normalized = moment.astimezone(UTC).astimezone(zone)
    return normalized if normalized.replace(tzinfo=None) != naive else moment


def _strptime(function: str, value: str, format: str) -> datetime:
    _check_format(function, format)
    parsed = strptime.parse(value, format)
    if parsed is not None:
        return parsed
    try:
        return datetime.strptime(value, format)
    except (ValueError, re.error):  # re.error: a directive given twice
        raise FunctionError(function, f"cannot read {show(value)} with the format {show(format)}") from None


#: The longest strptime or strftime format: a format is a few directives, and reading one costs
#: time with its length.
MAX_FORMAT_LENGTH = 1_000


def _check_format(function: str, format: str) -> None:
    if len(format) > MAX_FORMAT_LENGTH:
        raise FunctionError(function, f"the format is {len(format):,} characters long; it may have at most "
                                      f"{MAX_FORMAT_LENGTH:,}")


_FORMAT = param("format", "string")
_DATE_TIME = param("value", "string", "null", expects=Expects("date_time"))
_FORMATTED = param("value", "string", "null", expects=Expects("formatted", 1))
_ZONE = param("time_zone", "string")


@library("parse_datetime", [_FORMATTED, _FORMAT, param("time_zone", "string", optional=True)], STRING_OR_NULL)
def _parse_datetime(value: str | None, format: str, time_zone: str | None = None) -> str | None:
    """The date-time read with a strptime ``format``, as ISO 8601. Times without an
    offset are read in ``time_zone`` (required for them); times with one keep it."""
    if value is None:
        return None
    moment = _strptime("parse_datetime", value, format)
    if moment.tzinfo is None:
        if time_zone is None:
            raise FunctionError("parse_datetime", f"{show(value)} has no UTC offset; give the time zone it is in "
                                                  "as the third argument, e.g. 'UTC' or 'Europe/Paris'")
        moment = _localize(moment, _zone("parse_datetime", time_zone))
    return _isoformat(moment)


@library("format_datetime", [_DATE_TIME, _FORMAT, param("time_zone", "string", optional=True)], STRING_OR_NULL)
def _format_datetime(value: str | None, format: str, time_zone: str | None = None) -> str | None:
    """An ISO 8601 date or date-time written with a strftime ``format``, after
    converting it to ``time_zone`` when given."""
    if value is None:
        return None
    _check_format("format_datetime", format)
    if time_zone is None:
        moment = _parse_iso("format_datetime", value)
    else:
        moment = _aware("format_datetime", value).astimezone(_zone("format_datetime", time_zone))
    try:
        return moment.strftime(format)
    except ValueError as error:
        raise FunctionError("format_datetime", f"cannot write {show(value)} with the format {show(format)} "
                                               f"({error})") from None


@library("to_timezone", [_DATE_TIME, _ZONE], STRING_OR_NULL)
def _to_timezone(value: str | None, time_zone: str) -> str | None:
    """The ISO 8601 date-time converted to ``time_zone``, with its offset there."""
    if value is None:
        return None
    zone = _zone("to_timezone", time_zone)
    return _isoformat(_aware("to_timezone", value).astimezone(zone))


@library("to_utc", [_DATE_TIME], STRING_OR_NULL)
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


@library("parse_date", [_FORMATTED, _FORMAT], STRING_OR_NULL)
def _parse_date(value: str | None, format: str) -> str | None:
    """The date read with a strptime ``format``, as "YYYY-MM-DD"."""
    if value is None:
        return None
    return date.isoformat(_strptime("parse_date", value, format).date())


_UNIT = param("unit", "string", optional=True)


def _unit(function: str, unit: str) -> int:
    try:
        return _MICROSECONDS[unit]
    except KeyError:
        raise FunctionError(function, f'unknown unit {show(unit)} (expected "s", "ms" or "us")') from None


@library("from_epoch", [NUMBER_VALUE, _UNIT], STRING_OR_NULL)
def _from_epoch(value: float | None, unit: str = "s") -> str | None:
    """The Unix time (seconds, or "ms" / "us") as an ISO 8601 UTC date-time."""
    if value is None:
        return None
    scale = _unit("from_epoch", unit)
    check_finite("from_epoch", value)
    micros = value * scale if isinstance(value, int) else \
        int((as_decimal(value) * scale).to_integral_value(rounding=ROUND_HALF_EVEN))
    try:
        return _isoformat(_EPOCH + timedelta(microseconds=micros), zulu=True)
    except OverflowError:
        raise FunctionError("from_epoch", f"{show(value)} {unit} is outside years 1 to 9999") from None


@library("to_epoch", [_DATE_TIME, _UNIT], NUMBER_OR_NULL)
def _to_epoch(value: str | None, unit: str = "s") -> int | float | None:
    """The ISO 8601 date-time as Unix time (seconds, or "ms" / "us"); an int when whole."""
    if value is None:
        return None
    scale = _unit("to_epoch", unit)
    micros = (_aware("to_epoch", value) - _EPOCH) // timedelta(microseconds=1)
    return micros // scale if micros % scale == 0 else micros / scale
