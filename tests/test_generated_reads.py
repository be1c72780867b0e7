"""Generated code reads a field once per rule (while the block that read it is open), and gives what
jmespath gives wherever the second read sits: beside the first, in a branch, in a projection."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest

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
