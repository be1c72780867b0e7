"""Compiled JMESPath expressions: the official compliance suite, a differential
property against ``jmespath.search``, the context functions and compile-time errors."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path
from typing import Any

import jmespath
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jmespath.exceptions import JMESPathError, JMESPathTypeError

import mapper
from mapper.codegen import Emitter
from mapper.errors import ExpressionError, UnknownNameError
from mapper.expressions import Expression, compile_expression
from mapper.functions import FunctionError, build_function_table
from mapper.runtime import OrderingError, Scope

TABLE = build_function_table()
OPTIONS = jmespath.Options(custom_functions=TABLE)
COMPLIANCE = Path(__file__).parent / "data" / "jmespath-compliance"


def same(a: Any, b: Any) -> bool:
    """JSON equality that tells true from 1 and false from 0 (Python's == does not)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    return bool(a == b) and (a is None) == (b is None)


# -- the compliance suite ---------------------------------------------------------------------------

def _compliance_cases() -> list[Any]:
    cases = []
    for path in sorted(COMPLIANCE.glob("*.json")):
        if path.name == "schema.json":
            continue
        for number, suite in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            for case in suite["cases"]:
                if "bench" in case and "result" not in case and "error" not in case:
                    continue
                cases.append(pytest.param(suite["given"], case, id=f"{path.stem}-{number}-{case['expression']}"))
    return cases


# What each error kind of the suite is in mapper: syntax, arity, unknown names and
# a zero slice step are found when the expression compiles; type errors at evaluation.
COMPILE_ERRORS: dict[str, type[Exception]] = {
    "syntax": ExpressionError, "invalid-arity": ExpressionError, "invalid-value": ExpressionError,
    "unknown-function": UnknownNameError,
}


@pytest.mark.parametrize(("given_data", "case"), _compliance_cases())
def test_compliance(given_data: Any, case: dict[str, Any]) -> None:
    expression_text = case["expression"]
    if "error" in case:
        kind = case["error"]
        if kind in COMPILE_ERRORS:
            with pytest.raises(COMPILE_ERRORS[kind]):
                compile_expression(expression_text, TABLE)
        else:
            assert kind == "invalid-type"
            expression = compile_expression(expression_text, TABLE)
            with pytest.raises(JMESPathTypeError):
                expression(given_data)
        return
    expression = compile_expression(expression_text, TABLE)
    assert not expression.interpreted
    assert same(expression(given_data), case["result"])


def test_the_suite_is_all_there() -> None:
    assert len(_compliance_cases()) > 800
    assert (COMPLIANCE / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


# -- differential property against jmespath ------------------------------------------------------------

KEYS = ["a", "b", "c", "foo"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2, allow_nan=False) | st.sampled_from(["", "x", "a"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=20,
)


def _literal(value: Any) -> str:
    return "`" + json.dumps(value) + "`"


atoms = st.sampled_from(KEYS + ["@", "`1`", "`0`", "'x'", "`\"\"`", "`[]`", "`{}`", "`null`", "`true`"])


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    field = st.sampled_from(KEYS)
    index = st.integers(-3, 3)
    slice_part = st.one_of(st.just(""), st.integers(-3, 3).map(str))
    step = st.sampled_from(["", ":1", ":-1", ":2"])
    return st.one_of(
        st.builds("{}.{}".format, inner, field),
        st.builds("{}[{}]".format, inner, index),
        st.builds("{}[{}:{}{}]".format, inner, slice_part, slice_part, step),
        st.builds("{}[*].{}".format, inner, field),
        st.builds("{}[]".format, inner),
        st.builds("{}.*".format, inner),
        st.builds("{}[?{}]".format, inner, inner),
        st.builds("{}[?{} == {}]".format, inner, field, atoms),
        st.builds("{} | {}".format, inner, inner),
        st.builds("{} || {}".format, inner, inner),
        st.builds("{} && {}".format, inner, inner),
        st.builds("!{}".format, inner),
        st.builds("({})".format, inner),
        st.builds("[{}, {}]".format, inner, inner),
        st.builds("{{k: {}, j: {}}}".format, inner, inner),
        st.builds("{} {} {}".format, inner, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), inner),
        st.builds("length({})".format, inner),
        st.builds("not_null({}, {})".format, inner, inner),
        st.builds("sort_by({}, &{})".format, inner, inner),
        st.builds("map(&{}, {})".format, inner, inner),
        st.builds("to_string({})".format, inner),
        st.builds("type({})".format, inner),
    )


expressions = st.recursive(atoms, _extend, max_leaves=8)


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        return "value", run()
    except (JMESPathError, TypeError, ValueError) as error:
        return "error", type(error)


SLICE = re.compile(r"\[-?\d*:")


def _holds_a_string(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return any(_holds_a_string(item) for item in value)
    return isinstance(value, dict) and any(_holds_a_string(item) for item in value.values())


#: What in the generated expressions makes a string that is not in the data: literals and two functions.
STRING_SOURCES = ("'", '`"', "to_string(", "type(")


def _may_slice_a_string(text: str, data: Any) -> bool:
    """Whether a slice in ``text`` may meet a string: jmespath 1.1.0 gives null there, mapper the substring
    (JMESPath Community's JEP-15), so such cases are not jmespath's to judge (test_syntax_eval.py covers them)."""
    return bool(SLICE.search(text)) and (_holds_a_string(data) or any(source in text for source in STRING_SOURCES))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=expressions, data=json_values)
def test_compiled_expressions_agree_with_jmespath(text: str, data: Any) -> None:
    try:
        jmespath.compile(text)
    except JMESPathError:
        assume(False)
    assume(not _may_slice_a_string(text, data))
    compiled = compile_expression(text, TABLE)
    theirs = _outcome(lambda: jmespath.search(text, data, options=OPTIONS))
    ours = _outcome(lambda: compiled(data))
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "value":
        assert same(ours[1], theirs[1])
    else:
        # jmespath raises a bare TypeError for a number ordered with a string; ours is one too, and a
        # JMESPathError so that it rejects the record.
        assert ours[1] is theirs[1] or (ours[1], theirs[1]) == (OrderingError, TypeError), (ours, theirs)


def test_results_never_share_a_literal_with_the_next_call() -> None:
    expression = compile_expression("`[1, 2]`", TABLE)
    first = expression(None)
    first.append(3)
    assert expression(None) == [1, 2]


# -- context functions -------------------------------------------------------------------------------

RECORD = {"id": "c-1", "orders": [{"no": 7, "lines": [{"sku": "A"}, {"sku": "B"}]}]}
ORDER = RECORD["orders"][0]
LINE = ORDER["lines"][1]  # type: ignore[index]


def _line_scope() -> Scope:
    return Scope.top(RECORD).enter(ORDER, 0).enter(LINE, 1)


@pytest.mark.parametrize(("text", "expected"), [
    ("sku", "B"),
    ("root().id", "c-1"),
    ("parent().no", 7),
    ("parent(`1`).no", 7),
    ("parent(`2`).id", "c-1"),
    ("parent(`0`).sku", "B"),
    ("parent(`3`)", None),
    ("index()", 1),
    ("concat(sku, '-', to_string(parent().no), '-', root().id)", "B-7-c-1"),
    ("map(&concat(@, root().id), ['x', 'y'])", ["xc-1", "yc-1"]),
    ("sort_by(parent().lines, &sku)[-1].sku", "B"),
])
def test_context_functions_read_the_scope(text: str, expected: Any) -> None:
    expression = compile_expression(text, TABLE)
    assert expression(LINE, _line_scope()) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("root().id", "c-1"),
    ("parent()", None),
    ("parent(`0`).id", "c-1"),
    ("index()", None),
])
def test_without_a_scope_the_value_is_the_record(text: str, expected: Any) -> None:
    assert compile_expression(text, TABLE)(RECORD) == expected


def test_index_is_that_of_the_innermost_each_even_inside_a_nested_object() -> None:
    scope = _line_scope().enter({"nested": True})
    assert compile_expression("index()", TABLE)({"nested": True}, scope) == 1


def test_only_context_expressions_ask_for_a_scope() -> None:
    assert compile_expression("parent().id", TABLE).uses_context
    assert not compile_expression("orders[0].no", TABLE).uses_context


@pytest.mark.parametrize("levels", ["`-1`", "`1.5`", "'x'"])
def test_parent_needs_a_whole_number_of_levels(levels: str) -> None:
    with pytest.raises(FunctionError, match="parent"):
        compile_expression(f"parent({levels})", TABLE)(LINE, _line_scope())


# -- errors at compile time ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("phones[?type=='mobile' | [0].number", "the expression ends too early (is a bracket, brace or parenthesis "
                                            "left open?) (column 36 of the expression)"),
    ("a.[", "the expression ends too early (is a bracket, brace or parenthesis left open?) (column 4 of the "
            "expression)"),
    ("a ~ b", "unknown token ~ (column 3 of the expression)"),
    ("a[1:2:0]", "a slice step cannot be 0 (column 7 of the expression)"),
    ("upper(a, b)", "upper() takes 1 argument, not 2 (column 1 of the expression)"),
    ("length(upper(a, b))", "upper() takes 1 argument, not 2 (column 8 of the expression)"),
    ("x.uppr(a)", "unknown function uppr() (did you mean upper()?) (column 3 of the expression)"),
    ("'frobnicate(' || frobnicate(a)",
     "unknown function frobnicate(); docs/functions.md lists every function (column 18 of the expression)"),
])
def test_compile_errors_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises((ExpressionError, UnknownNameError)) as raised:
        compile_expression(text, TABLE)
    assert str(raised.value).splitlines()[0] == message


def test_an_unknown_function_is_an_unknown_name_with_a_caret_under_it() -> None:
    with pytest.raises(UnknownNameError) as raised:
        compile_expression("join(', ', uppercase(a))", TABLE)
    assert isinstance(raised.value, ExpressionError) and raised.value.offset == 11
    assert str(raised.value).splitlines()[1:] == ["  join(', ', uppercase(a))", "             ^"]


def test_a_syntax_error_draws_a_caret_under_the_fault() -> None:
    with pytest.raises(ExpressionError) as raised:
        compile_expression("a ~ b", TABLE)
    assert str(raised.value).splitlines()[1:] == ["  a ~ b", "    ^"]


# -- fallback, pickling -----------------------------------------------------------------------------------

def test_unknown_syntax_falls_back_to_jmespaths_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(Emitter, "_comparator")
    expression = compile_expression("lines[?sku == 'B'] | [0].concat(sku, root().id)", TABLE)
    assert expression.interpreted
    assert expression(ORDER, Scope.top(RECORD).enter(ORDER, 0)) == "Bc-1"


@pytest.mark.parametrize("fallback", [False, True])
@pytest.mark.parametrize(("text", "data", "message"), [
    ("a < b", {"a": 1, "b": "x"}, 'cannot order the number 1 and the string "x" with <'),
    ("a >= b", {"a": "x", "b": 2.5}, 'cannot order the string "x" and the number 2.5 with >='),
])
def test_ordering_a_number_and_a_string_is_an_ordering_error(monkeypatch: pytest.MonkeyPatch, fallback: bool,
                                                            text: str, data: Any, message: str) -> None:
    if fallback:
        monkeypatch.delattr(Emitter, "_comparator")
    expression = compile_expression(text, TABLE)
    assert expression.interpreted is fallback
    with pytest.raises(OrderingError) as raised:
        expression(data)
    assert isinstance(raised.value, TypeError) and isinstance(raised.value, JMESPathError)
    assert str(raised.value) == message
    assert str(pickle.loads(pickle.dumps(raised.value))) == message


def test_expressions_pickle() -> None:
    expression = compile_expression("orders[].lines[].sku", TABLE)
    clone = pickle.loads(pickle.dumps(expression))
    assert isinstance(clone, Expression) and clone(RECORD) == ["A", "B"] and clone.text == expression.text


@pytest.mark.parametrize("name", ["add", "subtract", "multiply"])
@pytest.mark.parametrize(("a", "b"), [(2, 3), (-7, 4), (2, 0.5), (0.1, 0.2), (None, 1), (10**30, 3)])
def test_integer_arithmetic_is_inlined_with_the_librarys_results(name: str, a: Any, b: Any) -> None:
    expression = compile_expression(f"{name}(a, b)", TABLE)
    assert same(expression({"a": a, "b": b}), TABLE.call_function(name, [a, b]))


def test_inlined_arithmetic_still_refuses_what_the_library_refuses() -> None:
    with pytest.raises(JMESPathTypeError, match="add"):
        compile_expression("add(a, `1`)", TABLE)({"a": True})


@pytest.mark.parametrize(("text", "items", "shown"), [
    ("sort_by(d, &rank)", [{"condition": {}}], "null"),
    ("sort_by(d, &rank)", [{"rank": 1}, {"rank": "x"}], 'the string "x"'),
    ("min_by(d, &rank)", [{"rank": 1}, {}], "null"),
])
def test_sort_key_errors_say_what_to_do(text: str, items: list[Any], shown: str) -> None:
    with pytest.raises(JMESPathTypeError) as raised:
        compile_expression(text, TABLE)({"d": items})
    assert str(raised.value).startswith(f"{text.split('(')[0]}(): the key expression gives {shown} for an item")


@pytest.mark.parametrize("text", ["a" + "[?b]" * 20, "`1` ? " * 120 + "`2`" + " : `3`" * 120])
def test_an_expression_too_deep_for_the_code_generator_is_an_expression_error(text: str) -> None:
    with pytest.raises(ExpressionError) as raised:
        mapper.compile(text)
    assert raised.value.message.startswith("the expression nests projections, filters, conditions or brackets "
                                           "too deeply to compile")
