"""Generated code reads a field once per rule (while the block that read it is open), and gives what
jmespath gives wherever the second read sits: beside the first, in a branch, in a projection."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapper.expressions import compile_expression
from mapper.functions import build_function_table

RECORD = {"a": {"b": 0, "c": "x", "d": None}, "items": [{"a": {"b": 1, "c": "y"}}, {"a": {"b": None, "c": "z"}}]}


@pytest.mark.parametrize("text", [
    "[a.b, a.c]",
    "a.d || a.c",
    "a.d && a.c || a.b",
    "items[?a.b].a.c",
    "items[].[a.b, a.c]",
    "[items[0].a.c, items[1].a.c, a.c]",
    "a.b == a.b && a.c",
])
def test_a_field_read_twice_gives_what_jmespath_gives(text: str) -> None:
    expression = compile_expression(text, build_function_table(()))
    assert not expression.interpreted
    expected: Any = jmespath.search(text, RECORD)
    assert expression.evaluate(RECORD, None) == expected


def test_a_field_read_twice_in_one_expression_is_read_once() -> None:
    from mapper.codegen import Emitter
    from mapper.parser import parse

    emitter = Emitter(build_function_table(()))
    emitter.expression(parse("[charge.amount, charge.currency]"), "[charge.amount, charge.currency]", "data")
    assert sum(".get('charge')" in line for line in emitter.lines) == 1


SORTED_ITEMS: list[Any] = [
    [],
    [{"k": 2, "n": "a"}, {"k": 1, "n": "b"}, {"k": 2, "n": "c"}, {"k": 0.5, "n": "d"}],
    [{"k": "b"}, {"k": "a"}, {"k": "b", "x": 1}],
    [{"k": 1}],
    [{"k": True}],
    [{"k": None}],
    [{"k": 1}, {"k": "x"}],
    [{"k": "x"}, {"k": 1}],
    [{"k": 1}, {}],
    [{"k": 1}, [1, 2]],
    [{"k": 1}, "text"],
    [{"k": 1}, None],
    [{"k": 1}, {"k": False}],
    [{"k": [1]}, {"k": [0]}],
]


def _outcome(text: str, record: Any) -> Any:
    try:
        return compile_expression(text, build_function_table(())).evaluate(record, None)
    except jmespath.exceptions.JMESPathTypeError as error:
        return type(error), str(error)


@pytest.mark.parametrize("items", SORTED_ITEMS)
def test_sort_by_a_field_gives_what_jmespath_gives(items: list[Any]) -> None:
    """sort_by(d, &k) reads its keys in C when it can: the order jmespath gives, and the errors (their
    words too) of the key function, which &@.k still calls."""
    record = {"d": items}
    outcome = _outcome("sort_by(d, &k)", record)
    assert outcome == _outcome("sort_by(d, &@.k)", record)
    try:
        expected: Any = jmespath.search("sort_by(d, &k)", record)
    except jmespath.exceptions.JMESPathTypeError:
        assert isinstance(outcome, tuple)
    else:
        assert outcome == expected


def test_sort_by_a_field_reads_the_keys_in_c() -> None:
    from mapper.codegen import Emitter
    from mapper.parser import parse

    emitter = Emitter(build_function_table(()))
    emitter.expression(parse("sort_by(d, &k)"), "sort_by(d, &k)", "data")
    assert any("sort_by_field('sort_by', " in line for line in emitter.lines)


_SCALARS = st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
                     st.text(max_size=3))


def _checked_outcome(name: str, *arguments: Any) -> Any:
    """What the function's checked call (the generic path) gives: its value, or its error's type and words."""
    try:
        return build_function_table(()).positional_caller(name, len(arguments))(*arguments)
    except jmespath.exceptions.JMESPathError as error:
        return type(error), str(error)


@settings(max_examples=300)
@given(st.one_of(st.lists(_SCALARS, max_size=6), st.lists(st.integers(), max_size=6),
                 st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=6), _SCALARS,
                 st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)))
def test_sum_gives_what_the_checked_call_gives(value: Any) -> None:
    """sum() of numbers is Python's own sum, in one loop that checks their types: the value the checked
    call gives; anything else has the checked call's error, in its words."""
    assert _outcome("sum(d)", {"d": value}) == _checked_outcome("sum", value)


def test_sum_of_numbers_makes_no_call() -> None:
    from mapper.codegen import Emitter
    from mapper.parser import parse

    emitter = Emitter(build_function_table(()))
    emitter.expression(parse("sum(d[].n)"), "sum(d[].n)", "data")
    assert any(line.strip().endswith("= sum(projected)") for line in emitter.lines)


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=2), _SCALARS),
       st.one_of(st.lists(st.text(max_size=3), max_size=4), st.lists(_SCALARS, max_size=4), _SCALARS))
def test_join_gives_what_the_checked_call_gives(separator: Any, value: Any) -> None:
    """join() of strings is str.join: the value the checked call gives; anything else has the checked
    call's error, in its words."""
    assert _outcome("join(s, d)", {"s": separator, "d": value}) == _checked_outcome("join", separator, value)


_NESTED = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(st.sampled_from("ab"), inner, max_size=2)),
                       max_leaves=12)


@settings(max_examples=300)
@given(_NESTED)
@pytest.mark.parametrize("text", ["d[*].a[]", "d[*].a[].b", "d[*].a[][]", "d.a[*].b[]", "d[*][]", "d[*].a[0][]"])
def test_a_projection_flattened_as_it_collects_gives_what_jmespath_gives(text: str, value: Any) -> None:
    """`a[*].b[]` flattens in the projection's loop: what jmespath gives, on any JSON value."""
    record = {"d": value}
    assert _outcome(text, record) == jmespath.search(text, record)
