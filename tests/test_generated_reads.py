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
