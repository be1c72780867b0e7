"""mapper.strptime: the fast route gives datetime.strptime's result, or none at all.

A fast result that differs from CPython's would change what a mapping writes,
so every case compares the two: where the fast route answers, CPython must
give the same datetime and offset; where CPython refuses, the fast route must
not answer.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mapper import strptime


def cpython(text: str, format: str) -> datetime | None:
    try:
        return datetime.strptime(text, format)
    except ValueError:
        return None


def assert_agrees(text: str, format: str) -> datetime | None:
    fast = strptime.parse(text, format)
    if fast is not None:
        expected = cpython(text, format)
        assert expected is not None, f"CPython refuses {text!r} with {format!r}, the fast route read {fast!r}"
        assert (fast, fast.utcoffset(), fast.tzinfo) == (expected, expected.utcoffset(), expected.tzinfo)
    return fast


READ = [
    ("2024-03-05T10:20:00.000+0530", "%Y-%m-%dT%H:%M:%S.%f%z"),
    ("2024-03-05T10:20:00.123456Z", "%Y-%m-%dT%H:%M:%S.%f%z"),
    ("2024-03-05t10:20:00-08:00", "%Y-%m-%dT%H:%M:%S%z"),  # literals match in any case, as in CPython
    ("2024-03-05 10:20:00+05:30:15.5", "%Y-%m-%d %H:%M:%S%z"),
    ("2024-3-5", "%Y-%m-%d"),
    ("05/03/24", "%d/%m/%y"),
    ("05/03/69", "%d/%m/%y"),
    (" 5.3.2024", "%d.%m.%Y"),
    ("2024   03", "%Y %m"),  # whitespace in the format matches any run of it
    ("20240305", "%Y%m%d"),
    ("10%", "%H%%"),
    ("٢٠٢٤-03-05", "%Y-%m-%d"),  # \d and int() read every script's digits, in CPython too
    ("(2024) [03]", "(%Y) [%m]"),
]

NOT_READ = [
    ("2024-02-30", "%Y-%m-%d"),  # no such day
    ("02-29", "%m-%d"),  # 1900 was not a leap year
    ("2024-03-05T10:20:61", "%Y-%m-%dT%H:%M:%S"),
    ("2024-03-05+9959", "%Y-%m-%d%z"),  # an offset beyond a day
    ("2024-03-05+05:3015", "%Y-%m-%d%z"),  # the colon used once
    ("2024-03-05z", "%Y-%m-%d%z"),  # "Z" is case-sensitive
    ("2024-03-05 extra", "%Y-%m-%d"),
    ("0000-01-01", "%Y-%m-%d"),
    ("Mar 5 2024", "%b %d %Y"),  # month names depend on the locale: left to CPython
    ("2024-03-05", "%Y-%m-%d %"),
    ("2024 2024", "%Y %Y"),
    ("196868", "%Y%y"),
]


@pytest.mark.parametrize(("text", "format"), READ)
def test_the_fast_route_reads_what_cpython_reads(text: str, format: str) -> None:
    assert assert_agrees(text, format) is not None


@pytest.mark.parametrize(("text", "format"), NOT_READ)
def test_what_the_fast_route_leaves_to_cpython(text: str, format: str) -> None:
    assert strptime.parse(text, format) is None


DIRECTIVES = ["%Y", "%y", "%m", "%d", "%H", "%M", "%S", "%f", "%z", "%%"]
LITERALS = ["-", ":", "T", "t", " ", "  ", ".", "/", "Z", "+", "1", "(", "\\", "x"]
formats = st.lists(st.sampled_from(DIRECTIVES + LITERALS), min_size=1, max_size=9).map("".join)
moments = st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.builds(
    timezone, st.integers(-86399, 86399).map(lambda seconds: timedelta(seconds=seconds))))


@given(formats, moments, st.data())
@example("%Y-%m-%dT%H:%M:%S.%f%z", datetime(2024, 3, 5, 10, 20, tzinfo=timezone(timedelta(hours=5, minutes=30))),
         None)
def test_agrees_with_cpython_on_formatted_times(format: str, moment: datetime, data: st.DataObject | None) -> None:
    text = moment.strftime(format)
    if data is not None and data.draw(st.booleans(), label="mutate"):
        position = data.draw(st.integers(0, len(text)), label="position")
        text = text[:position] + data.draw(st.sampled_from("0 9:+-Z.\u0663"), label="insert") + text[position + 1:]
    assert_agrees(text, format)


@given(formats, st.text(alphabet="0123456789 -:+.TZz/%", max_size=30))
def test_agrees_with_cpython_on_any_text(format: str, text: str) -> None:
    assert_agrees(text, format)


def test_the_common_formats_take_the_fast_route() -> None:
    moment = datetime(2024, 3, 5, 10, 20, 0, 120000, tzinfo=timezone(timedelta(hours=-8)))
    for format in ["%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%d", "%m/%d/%Y %H:%M", "%d.%m.%y", "%Y%m%d%H%M%S"]:
        assert assert_agrees(moment.strftime(format), format) is not None, format


@pytest.mark.parametrize("directive", sorted(strptime._DIRECTIVES))
def test_each_pattern_is_the_running_cpythons_own(directive: str) -> None:
    # The fast route copies CPython's _strptime patterns (written against 3.11 to 3.13). On an
    # interpreter whose patterns differ, this fails before any result can: update _DIRECTIVES.
    import _strptime

    theirs = re.sub(r"\(\?P<\w+>", "(", _strptime.TimeRE()[directive])
    ours = strptime._DIRECTIVES[directive].replace("(?:", "(")
    assert ours == theirs
