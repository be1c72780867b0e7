"""The JMESPath Community syntax, evaluated: ``$``, ``let`` and ``$name``, the ternary, arithmetic and
string slices, as generated code.

One table, ``CASES``: the expression's text, its syntax tree as parser.py gives it (ast12 contract),
the input, and the result or the error. ``test_the_tree_evaluates`` compiles the tree with
``compile_ast``, so it runs without the parser; ``test_the_text_evaluates`` compiles the text and
runs once parsing of the new syntax exists (until then it is an expected failure). Trees are
jmespath's own parse of a template whose fields ``_0``, ``_1``... stand for the new nodes.
"""

from __future__ import annotations

import inspect
import json
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jmespath.parser import Parser

import mapper
from mapper.errors import ExpressionError
from mapper.expressions import compile_ast, compile_expression
from mapper.functions import build_function_table
from mapper.parser import parse
from mapper.runtime import RULE_ERRORS, ArithmeticFault, Scope

TABLE = build_function_table()
Node = dict[str, Any]

# -- syntax trees of the contract -------------------------------------------------------------------------

def tree(template: str, *parts: Node) -> Node:
    """jmespath's tree of ``template``, with each field named ``_0``, ``_1``... replaced by ``parts[i]``."""
    def place(node: Any) -> Any:
        if isinstance(node, dict):
            if node["type"] == "field" and re.fullmatch(r"_\d+", node["value"]):
                return parts[int(node["value"][1:])]
            return {**node, "children": [place(child) for child in node["children"]]}
        return node
    return place(Parser().parse(template).parsed)  # type: ignore[no-untyped-call]


def root() -> Node:
    return {"type": "root", "children": []}


def var(name: str, offset: int = 0) -> Node:
    return {"type": "variable_ref", "value": name, "offset": offset, "children": []}


def let(bindings: list[tuple[str, Node]], body: Node) -> Node:
    return {"type": "let", "children": [*({"type": "binding", "value": name, "offset": 0, "children": [value]}
                                          for name, value in bindings), body]}


def ternary(condition: Node, chosen: Node, otherwise: Node) -> Node:
    return {"type": "ternary", "children": [condition, chosen, otherwise]}


def op(operator: str, left: Node, right: Node, offset: int = 0) -> Node:
    return {"type": "arithmetic", "value": operator, "offset": offset, "children": [left, right]}


def unary(operator: str, operand: Node, offset: int = 0) -> Node:
    return {"type": "arithmetic_unary", "value": operator, "offset": offset, "children": [operand]}


def t(template: str) -> Node:
    """An old-syntax tree, as jmespath gives it."""
    return tree(template)


# -- the table ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fails:
    """An expected error: ``compile`` time (an ExpressionError, first line of str()) or a rule error at run time."""

    message: str
    at_compile: bool = False


@dataclass(frozen=True)
class Case:
    text: str
    ast: Node
    given: Any
    expected: Any

    def __str__(self) -> str:
        return self.text


RECORD = {"id": "c-1", "n": 2, "xs": [3, 1, 2], "people": [{"name": "Ann", "age": 31}, {"name": "Bo", "age": 17}]}

CASES = [
    # $: the record (an Expression called without a scope takes its value as the record).
    Case("$", root(), RECORD, RECORD),
    Case("$.id", tree("_0.id", root()), RECORD, "c-1"),
    Case("people[*].[name, $.id]", tree("people[*].[name, _0]", tree("_0.id", root())), RECORD,
         [["Ann", "c-1"], ["Bo", "c-1"]]),
    Case("map(&[@, $.n], xs)", tree("map(&[@, _0], xs)", tree("_0.n", root())), RECORD, [[3, 2], [1, 2], [2, 2]]),
    Case("root() == $", tree("root() == _0", root()), RECORD, True),
    # let and variables.
    Case("let $x = id in $x", let([("x", t("id"))], var("x")), RECORD, "c-1"),
    Case("let $a = `1`, $b = $a + `1` in [$a, $b]",
         let([("a", t("`1`")), ("b", op("plus", var("a"), t("`1`")))], tree("[_0, _1]", var("a"), var("b"))),
         {}, [1, 2]),
    Case("let $x = `1` in [let $x = `2` in $x, $x]",
         let([("x", t("`1`"))], tree("[_0, _1]", let([("x", t("`2`"))], var("x")), var("x"))), {}, [2, 1]),
    Case("let $x = n in let $y = $x in [$x, $y]",
         let([("x", t("n"))], let([("y", var("x"))], tree("[_0, _1]", var("x"), var("y")))), RECORD, [2, 2]),
    Case("let $id = id in people[*].[name, $id]",
         let([("id", t("id"))], tree("people[*].[name, _0]", var("id"))), RECORD, [["Ann", "c-1"], ["Bo", "c-1"]]),
    Case("let $min = `18` in people[?age >= $min].name",
         let([("min", t("`18`"))], tree("people[?age >= _0].name", var("min"))), RECORD, ["Ann"]),
    Case("let $p = `2` in sort_by(xs, &abs(@ - $p))",
         let([("p", t("`2`"))], tree("sort_by(xs, &abs(_0))", op("minus", t("@"), var("p")))), RECORD, [2, 3, 1]),
    Case("let $p = `3` in sort_by(xs, &abs(@ - $p))",
         let([("p", t("`3`"))], tree("sort_by(xs, &abs(_0))", op("minus", t("@"), var("p")))), RECORD, [3, 2, 1]),
    Case("let $n = n in map(&map(&[@, $n], @), [[`1`], [`2`, `3`]])",
         let([("n", t("n"))], tree("map(&map(&_0, @), [[`1`], [`2`, `3`]])", tree("[@, _0]", var("n")))), RECORD,
         [[[1, 2]], [[2, 2], [3, 2]]]),
    Case("let $x = `0` in map(&let $x = @ in $x, xs)",
         let([("x", t("`0`"))], tree("map(&_0, xs)", let([("x", t("@"))], var("x")))), RECORD, [3, 1, 2]),
    Case("let $all = people in people[*].length($all)",
         let([("all", t("people"))], tree("people[*].length(_0)", var("all"))), RECORD, [2, 2]),
    Case("let $ages = people[*].age in max_by(people, &age).name == 'Ann' && max($ages)",
         let([("ages", t("people[*].age"))], tree("max_by(people, &age).name == 'Ann' && max(_0)", var("ages"))),
         RECORD, 31),
    # Undefined variables: a compile-time error at the reference.
    Case("$nope", var("nope"), None, Fails("undefined variable $nope (column 1 of the expression)", True)),
    Case("let $name = a in $nme", let([("name", t("a"))], var("nme", 17)), None,
         Fails("undefined variable $nme (did you mean $name?) (column 18 of the expression)", True)),
    Case("[let $x = a in $x, $x]", tree("[_0, _1]", let([("x", t("a"))], var("x", 15)), var("x", 19)), None,
         Fails("undefined variable $x (column 20 of the expression)", True)),
    Case("map(&$v, xs)", tree("map(&_0, xs)", var("v", 5)), None,
         Fails("undefined variable $v (column 6 of the expression)", True)),
    # The ternary: JMESPath truthiness, right-associative, only the chosen branch evaluated.
    Case("a ? 'yes' : 'no'", ternary(t("a"), t("'yes'"), t("'no'")), {"a": 0}, "yes"),
    Case("a ? 'yes' : 'no'", ternary(t("a"), t("'yes'"), t("'no'")), {"a": []}, "no"),
    Case("a ? 'yes' : 'no'", ternary(t("a"), t("'yes'"), t("'no'")), {"a": ""}, "no"),
    Case("a ? 'yes' : 'no'", ternary(t("a"), t("'yes'"), t("'no'")), {}, "no"),
    Case("a ? 'A' : b ? 'B' : 'C'", ternary(t("a"), t("'A'"), ternary(t("b"), t("'B'"), t("'C'"))), {"b": 1}, "B"),
    Case("a ? 'A' : b ? 'B' : 'C'", ternary(t("a"), t("'A'"), ternary(t("b"), t("'B'"), t("'C'"))), {}, "C"),
    Case("ok ? n : n / `0`", ternary(t("ok"), t("n"), op("divide", t("n"), t("`0`"))), {"ok": True, "n": 4}, 4),
    Case("xs[?@ > `1` ? `true` : `false`]", tree("xs[?_0]", ternary(t("@ > `1`"), t("`true`"), t("`false`"))),
         RECORD, [3, 2]),
    # Arithmetic: ints exact, other numbers in decimal, / exact when it can be, // and % as Python floors.
    Case("a + b", op("plus", t("a"), t("b")), {"a": 2, "b": 3}, 5),
    Case("a + b", op("plus", t("a"), t("b")), {"a": 0.1, "b": 0.2}, 0.3),
    Case("a + b", op("plus", t("a"), t("b")), {"a": 10**30, "b": 1}, 10**30 + 1),
    Case("a - b", op("minus", t("a"), t("b")), {"a": 0.3, "b": 0.1}, 0.2),
    Case("a * b", op("multiply", t("a"), t("b")), {"a": 1.1, "b": 3}, 3.3),
    Case("a / b", op("divide", t("a"), t("b")), {"a": 6, "b": 3}, 2),
    Case("a / b", op("divide", t("a"), t("b")), {"a": 1, "b": 4}, 0.25),
    Case("a / b", op("divide", t("a"), t("b")), {"a": 2, "b": 3}, 2 / 3),
    Case("a % b", op("modulo", t("a"), t("b")), {"a": 10, "b": 3}, 1),
    Case("a % b", op("modulo", t("a"), t("b")), {"a": -7, "b": 3}, 2),
    Case("a % b", op("modulo", t("a"), t("b")), {"a": 7.5, "b": 2}, 1.5),
    Case("a % b", op("modulo", t("a"), t("b")), {"a": 0.3, "b": 0.1}, 0.0),
    Case("a // b", op("integer_divide", t("a"), t("b")), {"a": 10, "b": 3}, 3),
    Case("a // b", op("integer_divide", t("a"), t("b")), {"a": -7, "b": 2}, -4),
    Case("a // b", op("integer_divide", t("a"), t("b")), {"a": 7.5, "b": -2}, -4),
    Case("-a", unary("minus", t("a")), {"a": 5}, -5),
    Case("-a", unary("minus", t("a")), {"a": 2.5}, -2.5),
    Case("+a", unary("plus", t("a")), {"a": 2.5}, 2.5),
    Case("-`1` − +`2`", op("minus", unary("minus", t("`1`")), unary("plus", t("`2`"))), None, -3),
    Case("`2` × `4` ÷ `8`", op("divide", op("multiply", t("`2`"), t("`4`")), t("`8`")), None, 1),
    Case("(v - `32`) * `5` / `9`", op("divide", op("multiply", op("minus", t("v"), t("`32`")), t("`5`")), t("`9`")),
         {"v": 212}, 100),
    Case("a + b * c", op("plus", t("a"), op("multiply", t("b"), t("c"))), {"a": 1, "b": 2, "c": 3}, 7),
    Case("a - b - c", op("minus", op("minus", t("a"), t("b")), t("c")), {"a": 10, "b": 2, "c": 3}, 5),
    Case("a + b > `4`", tree("_0 > `4`", op("plus", t("a"), t("b"))), {"a": 2, "b": 3}, True),
    Case("xs[*].[@, @ * `2`]", tree("xs[*].[@, _0]", op("multiply", t("@"), t("`2`"))), {"xs": [1, 2]},
         [[1, 2], [2, 4]]),
    Case("{ab: a.b, cd: c.d} | ab + cd", tree("{ab: a.b, cd: c.d} | _0", op("plus", t("ab"), t("cd"))),
         {"a": {"b": 1}, "c": {"d": 2}}, 3),
    # Arithmetic errors reject the record, naming the operator and the values.
    Case("a / b", op("divide", t("a"), t("b")), {"a": 7, "b": 0}, Fails("cannot divide 7 by zero (with /)")),
    Case("a / b", op("divide", t("a"), t("b")), {"a": 7.5, "b": 0.0}, Fails("cannot divide 7.5 by zero (with /)")),
    Case("a % b", op("modulo", t("a"), t("b")), {"a": 7, "b": 0}, Fails("cannot divide 7 by zero (with %)")),
    Case("a // b", op("integer_divide", t("a"), t("b")), {"a": 7, "b": 0}, Fails("cannot divide 7 by zero (with //)")),
    Case("a + b", op("plus", t("a"), t("b")), {"a": "x", "b": 1},
         Fails('+ needs two numbers, not the string "x" and the number 1')),
    Case("a * b", op("multiply", t("a"), t("b")), {"a": 2},
         Fails("* needs two numbers, not the number 2 and null")),
    Case("a - b", op("minus", t("a"), t("b")), {"a": True, "b": 1},
         Fails("- needs two numbers, not the boolean true and the number 1")),
    Case("-a", unary("minus", t("a")), {"a": "x"}, Fails('unary - needs a number, not the string "x"')),
    Case("-a", unary("minus", t("a")), {}, Fails("unary - needs a number, not null")),
    Case("a * b", op("multiply", t("a"), t("b")), {"a": 1e300, "b": 1e300},
         Fails("1e+300 * 1e+300: the result 1e+600 is too large for a JSON number")),
    # String slices (JEP-15): substrings; arrays as before; anything else null.
    Case("'abcdef'[1:3]", tree("'abcdef'[1:3]"), None, "bc"),
    Case("name[0:4]", tree("name[0:4]"), {"name": "hello, world!"}, "hell"),
    Case("name[::-1]", tree("name[::-1]"), {"name": "raw-string"}, "gnirts-war"),
    Case("[::2]", tree("[::2]"), "raw-string", "rwsrn"),
    Case("[::]", tree("[::]"), "raw-string", "raw-string"),
    Case("name[5:1]", tree("name[5:1]"), {"name": "abcdef"}, ""),
    Case("name[-3:] | length(@)", tree("name[-3:] | length(@)"), {"name": "abcdef"}, 3),
    Case("xs[1:]", tree("xs[1:]"), RECORD, [1, 2]),
    Case("n[1:]", tree("n[1:]"), RECORD, None),
    Case("people[*].name[:1]", tree("people[*].name[:1]"), RECORD, ["A", "B"]),
]


def _run(case: Case, compile_case: Any) -> None:
    if isinstance(case.expected, Fails) and case.expected.at_compile:
        with pytest.raises(ExpressionError) as raised:
            compile_case()
        assert str(raised.value).splitlines()[0] == case.expected.message
        return
    expression = compile_case()
    assert not expression.interpreted
    if isinstance(case.expected, Fails):
        with pytest.raises(RULE_ERRORS) as failed:
            expression(case.given)
        assert str(failed.value) == case.expected.message
        return
    result = expression(case.given)
    assert json.dumps(result) == json.dumps(case.expected)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_tree_evaluates(case: Case) -> None:
    _run(case, lambda: compile_ast(case.text, case.ast, TABLE))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_parser_gives_the_tree_of_the_contract(case: Case) -> None:
    # The hand-built trees leave offsets at 0; tests/test_parser.py holds the parser's offsets.
    assert without_offsets(parse(case.text)) == without_offsets(case.ast)


def without_offsets(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: without_offsets(value) for key, value in node.items() if key != "offset"}
    if isinstance(node, list):
        return [without_offsets(item) for item in node]
    return node


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_text_evaluates(case: Case) -> None:
    _run(case, lambda: compile_expression(case.text, TABLE))


# -- properties and details --------------------------------------------------------------------------------

numbers = st.integers(-10**20, 10**20) | st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@given(a=numbers, b=numbers, operator=st.sampled_from(["plus", "minus", "multiply", "divide"]))
def test_operators_compute_as_the_library_functions(a: float, b: float, operator: str) -> None:
    name = {"plus": "add", "minus": "subtract", "multiply": "multiply", "divide": "divide"}[operator]
    expression = compile_ast("a ? b", op(operator, t("a"), t("b")), TABLE)
    try:
        expected = TABLE.call_function(name, [a, b])
    except RULE_ERRORS:
        with pytest.raises(ArithmeticFault):
            expression({"a": a, "b": b})
        return
    assert json.dumps(expression({"a": a, "b": b})) == json.dumps(expected)


@given(a=st.integers(-1000, 1000), b=st.integers(-1000, 1000).filter(bool))
def test_integer_division_and_modulo_are_pythons_on_ints_and_on_floats(a: int, b: int) -> None:
    for operator, python in (("integer_divide", a // b), ("modulo", a % b)):
        expression = compile_ast("a ? b", op(operator, t("a"), t("b")), TABLE)
        assert expression({"a": a, "b": b}) == python
        assert expression({"a": float(a), "b": float(b)}) == python


def test_variables_are_locals_of_the_generated_function() -> None:
    expression = compile_ast("let $limit = `18` in people[?age >= $limit].name",
                             let([("limit", t("`18`"))], tree("people[?age >= _0].name", var("limit"))), TABLE)
    assert expression(RECORD) == ["Ann"]
    source = inspect.getsource(expression.evaluate)
    assert re.search(r"^ +var_limit = ", source, re.M), source
    assert re.search(r"\bvar_limit\b.*>=|>=.*\bvar_limit\b", source), source


def test_an_expref_receives_only_the_variables_it_reads() -> None:
    ast = let([("p", t("`2`")), ("unused", t("`0`"))], tree("sort_by(xs, &abs(_0))", op("minus", t("@"), var("p"))))
    expression = compile_ast("let $p = `2`, $unused = `0` in sort_by(xs, &abs(@ - $p))", ast, TABLE)
    assert expression(RECORD) == [2, 3, 1]
    key = next(value for name, value in expression.evaluate.__globals__.items() if name.startswith("sort_key"))
    assert list(key.__code__.co_varnames[:key.__code__.co_argcount]) == ["var_p", "data", "scope"]


def test_dollar_asks_for_a_scope_and_reads_its_root() -> None:
    expression = compile_ast("$.id", tree("_0.id", root()), TABLE)
    assert expression.uses_context
    item = RECORD["people"][0]  # type: ignore[index]
    assert expression(item, Scope.top(RECORD).enter(item, 0)) == "c-1"
    assert not compile_ast("let $x = a in $x", let([("x", t("a"))], var("x")), TABLE).uses_context


def test_arithmetic_faults_pickle_with_their_message() -> None:
    with pytest.raises(ArithmeticFault) as raised:
        compile_ast("a / b", op("divide", t("a"), t("b")), TABLE)({"a": 1, "b": 0})
    assert str(pickle.loads(pickle.dumps(raised.value))) == "cannot divide 1 by zero (with /)"


def test_a_rule_scope_can_bind_variables_for_the_emitter() -> None:
    from mapper.codegen import Emitter
    emitter = Emitter(TABLE, variables={"tier": "tier_local"})
    emitter.text = "$tier"
    assert emitter.node(var("tier"), "data") == "tier_local"


# -- through a mapping: arithmetic errors reject the record, the run goes on ------------------------------------

MAPPING = """\
mapping: arithmetic-rejects
source: {schema: source.schema.json}
target: {schema: target.schema.json}
rules:
  id: id
  ratio: "a / b"
  total: "a + b"
"""

TREES = {
    "a / b": op("divide", t("a"), t("b")),
    "a + b": op("plus", t("a"), t("b")),
    "let $p = a in sort_by(xs, &abs(@ - $p))":
        let([("p", t("a"))], tree("sort_by(xs, &abs(_0))", op("minus", t("@"), var("p")))),
    "xs[*].[@, $.id]": tree("xs[*].[@, _0]", tree("_0.id", root())),
    "a > b ? 'a' : 'b'": ternary(t("a > b"), t("'a'"), t("'b'")),
    "name[::-1]": tree("name[::-1]"),
    "$.id": tree("_0.id", root()),
}


def _load(tmp_path: Path, mapping_text: str) -> mapper.Mapping:
    """The mapping, loaded from its text."""
    (tmp_path / "mapping.yaml").write_text(mapping_text, encoding="utf-8")
    for name in ("source", "target"):
        (tmp_path / f"{name}.schema.json").write_text('{"type": "object"}', encoding="utf-8")
    return mapper.load(tmp_path / "mapping.yaml")


def test_arithmetic_errors_reject_the_record_not_the_run(tmp_path: Path) -> None:
    mapping = _load(tmp_path, MAPPING)
    results = list(mapping.apply_many([{"id": 1, "a": 6, "b": 3}, {"id": 2, "a": 6, "b": 0},
                                       {"id": 3, "a": "x", "b": 1}, {"id": 4, "a": 1, "b": 4}]))
    assert [result.ok for result in results] == [True, False, False, True]
    assert results[0].output == {"id": 1, "ratio": 2, "total": 9}
    assert results[3].output == {"id": 4, "ratio": 0.25, "total": 5}
    causes = [[problem.cause for problem in result.problems] for result in results]
    assert [str(cause) for cause in causes[1]] == ["cannot divide 6 by zero (with /)"]
    assert [str(cause) for cause in causes[2]] == ['/ needs two numbers, not the string "x" and the number 1',
                                                   '+ needs two numbers, not the string "x" and the number 1']


EXPORTED = """\
mapping: new-syntax-exported
source: {schema: source.schema.json}
target: {schema: target.schema.json}
rules:
  near: "let $p = a in sort_by(xs, &abs(@ - $p))"
  tagged: "xs[*].[@, $.id]"
  larger: "a > b ? 'a' : 'b'"
  reversed: "name[::-1]"
  items:
    each: xs
    rules:
      value: "@"
      record: "$.id"
"""


def test_the_exported_source_of_a_mapping_runs_the_new_syntax(tmp_path: Path) -> None:
    mapping = _load(tmp_path, EXPORTED)
    assert not any(expression.interpreted for expression in mapping.compiled.expressions)
    record = {"id": "r", "a": 2, "b": 1, "xs": [3, 1, 2], "name": "abc"}
    expected = {"near": [2, 3, 1], "tagged": [[3, "r"], [1, "r"], [2, "r"]], "larger": "a", "reversed": "cba",
                "items": [{"value": 3, "record": "r"}, {"value": 1, "record": "r"}, {"value": 2, "record": "r"}]}
    assert mapping.apply(record) == expected
    namespace: dict[str, Any] = {}
    exec(mapping.compiled.source, namespace)  # noqa: S102 (the mapping's own generated source)
    assert namespace["build_record"](record, Scope.top(record), (), []) == expected


# -- the examples of docs/mapping-format.md -----------------------------------------------------------------

DOC = Path(__file__).parent.parent / "docs" / "mapping-format.md"
EXAMPLES = re.compile(r"<!-- expressions: (\S+) -->\n```json\n(.*?)```", re.S)


def _doc_examples() -> list[Any]:
    rows = []
    for name, body in EXAMPLES.findall(DOC.read_text(encoding="utf-8")):
        for number, line in enumerate(body.strip().splitlines(), 1):
            rows.append(pytest.param(json.loads(line), id=f"{name}-{number}"))
    return rows


def test_the_doc_has_examples_of_the_new_syntax() -> None:
    assert len(_doc_examples()) >= 10


@pytest.mark.parametrize("example", _doc_examples())
def test_doc_example_evaluates(example: dict[str, Any]) -> None:
    expression = compile_expression(example["expression"], TABLE)
    assert not expression.interpreted
    if "error" in example:
        with pytest.raises(RULE_ERRORS) as failed:
            expression(example.get("given"))
        assert str(failed.value) == example["error"]
        return
    assert json.dumps(expression(example.get("given"))) == json.dumps(example["result"])
