"""Lossless coercion to the target schema's types."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapper.coercion import CoercionError, coercer_for


@pytest.mark.parametrize(
    ("types", "value", "expected"),
    [
        ({"integer"}, "42", 42), ({"integer"}, "-7", -7), ({"integer"}, 42.0, 42), ({"integer"}, 42, 42),
        ({"number"}, "12.50", 12.5), ({"number"}, "7", 7), ({"number"}, "1e3", 1000.0), ({"number"}, 3, 3),
        ({"string"}, "01234", "01234"), ({"string"}, 7, "7"), ({"string"}, 12.5, "12.5"),
        ({"boolean"}, "true", True), ({"boolean"}, "false", False), ({"boolean"}, True, True),
        ({"string", "null"}, None, None), ({"integer", "string"}, "42", "42"), ({"integer", "string"}, 4.5, "4.5"),
        ({"string"}, True, True),  # no conversion: left for validation to report
        ({"string"}, [1], [1]), ({"integer"}, True, True),
    ],
)
def test_converts_only_without_loss(types: set[str], value: Any, expected: Any) -> None:
    coerce = coercer_for(frozenset(types))
    assert coerce is not None
    result = coerce(value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("types", "value", "message"),
    [
        ({"integer"}, "4.2", "cannot convert '4.2' to an integer without losing information"),
        ({"integer"}, 4.5, "cannot convert 4.5 to an integer without losing information"),
        ({"integer"}, "abc", "cannot convert 'abc' to an integer without losing information"),
        ({"number"}, "1,5", "cannot read '1,5' as a number"),
        ({"number"}, "3.14159265358979323846", "'3.14159265358979323846' has more digits than a JSON number keeps; "
                                               "map it to a string"),
        ({"boolean"}, "yes", "cannot convert 'yes' to a boolean; only \"true\" and \"false\" convert "
                             "(use to_bool() for other spellings)"),
    ],
)
def test_lossy_conversions_are_refused(types: set[str], value: Any, message: str) -> None:
    coerce = coercer_for(frozenset(types))
    assert coerce is not None
    with pytest.raises(CoercionError) as raised:
        coerce(value)
    assert str(raised.value) == message


def test_no_declared_type_means_no_coercion() -> None:
    assert coercer_for(None) is None
    assert coercer_for(frozenset({"array", "object"})) is None


@given(st.integers())
def test_integers_survive_a_trip_through_text(number: int) -> None:
    to_string, to_integer = coercer_for(frozenset({"string"})), coercer_for(frozenset({"integer"}))
    assert to_string is not None and to_integer is not None
    assert to_integer(to_string(number)) == number


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_survive_a_trip_through_text(number: float) -> None:
    to_string, to_number = coercer_for(frozenset({"string"})), coercer_for(frozenset({"number"}))
    assert to_string is not None and to_number is not None
    assert to_number(to_string(number)) == number


@given(st.from_regex(r"\A0[0-9]{1,9}\Z"))
def test_strings_the_target_wants_as_strings_keep_their_zeros(text: str) -> None:
    coerce = coercer_for(frozenset({"string"}))
    assert coerce is not None and coerce(text) == text
