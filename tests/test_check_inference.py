"""The expression typer is sound: what jmespath really returns fits the inferred shape.

For a table of expressions covering every kind of syntax node, records are
generated from the corpus's source schema and each expression is evaluated
with jmespath (and mapper's functions); the JSON kind of every result (and of
the items of array results, and the value where the shape knows the possible
values) must be one the typer allows. A typer that claims too little would
give false alarms in ``mapper check``; this test finds such a claim with a
concrete record. The JMESPath Community's additions (``$``, ``let``, ``?:``,
arithmetic), which jmespath does not parse, are held against mapper's own
parser and compiled expressions the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jmespath
import pytest
from hypothesis import HealthCheck, given, settings

from mapper.errors import Location, MapperError
from mapper.expressions import compile_expression
from mapper.functions import FunctionSpec, FunctionTable, ParamSpec, Refines, build_function_table
from mapper.model import Lookup
from mapper.parser import parse
from mapper.schemas import load_schema
from mapper.tooling.check.inference import ExpressionTyper, Observations, Scope
from mapper.tooling.check.shapes import Shape, kind_of, of_schema
from mapper.tooling.strategies import from_schema

SCHEMA = load_schema(Path(__file__).parent / "data" / "check" / "schemas" / "person.schema.json")
TABLE = build_function_table()
OPTIONS = jmespath.Options(custom_functions=TABLE)

EXPRESSIONS = [
    "id", "name", "name.first", "nickname", "age", "vip", "kind", "tags", "emails", "address", "labels",
    "labels.team", "codes", "codes.\"x-rank\"", "phone.number", "phone.extension", "anything", "anything.x",
    "emails[0]", "emails[-1].address", "emails[0:2]", "emails[*].address", "emails[].primary", "emails[?primary]",
    "emails[?primary].address", "emails[?address == 'a'] | [0]", "tags[]", "[tags, tags][]", "[id, age]",
    "{i: id, n: name.last}", "name.*", "labels.*", "id || age", "nickname || name.first", "vip && id",
    "vip && 'yes' || 'no'", "!vip", "age > `3`", "id == 'x'", "nickname < id", "`[1, 2]`", "`null`", "'raw'",
    "@", "emails | [0].address", "length(tags)", "sort(tags)", "sort_by(emails, &address)", "max(tags)",
    "max_by(emails, &address)", "to_array(id)", "to_array(tags)", "not_null(nickname, id)",
    "coalesce(nickname, name.first)", "map(&address, emails)", "keys(name)", "values(name)", "split(id, '-')",
    "upper(nickname)", "to_string(age)", "to_number(id)", "reverse(tags)", "merge(name, phone)", "type(anything)",
    "join(',', tags)", "contains(tags, 'x')", "sum(`[1.5, 2]`)", "abs(age)", "round(age, `1`)",
    "address.city || 'none'", "emails[?primary] | length(@)", "tags[?@ != ''] | [0]",
    "group_by(emails, &address)", "items(name)", "from_items(items(name))", "zip(tags, emails)",
    "find_first(id, '-')", "find_last(id, '-', `2`)", "nickname || error('no nickname')",
    "round(age, `0`, 'half_even')", "replace(id, '-', '', `1`)", "split(id, '')", "trim(id, '')",
    "join(',', nickname && tags)",
    # narrowing: filters, && and ||
    "emails[?address != 'a'] | [0].address", "[kind][?@ != 'person'] | [0]", "[kind][?!(@ == 'person')]",
    "emails[?primary || address == 'x'].address", "emails[?!primary].primary",
    "emails[?address == 'a' && primary].address", "kind == 'person' && age || `0`",
    "vip && kind == 'company' || id", "kind == 'person' && 'P' || kind == 'company' && 'C' || 'N'",
    "[kind][?@ != 'person' || @ == `null`]", "emails[?!(address == 'a' || primary)]",
]

#: The community's additions: jmespath cannot run them, mapper's compiled expressions do.
COMMUNITY_EXPRESSIONS = [
    "$", "$.name.first", "map(&$.id, emails)", "emails[].[address, $.id]", "let $n = name in $n.first",
    "let $n = name, $f = $n.first in $f",
    "let $x = id in let $x = age in $x", "let $p = id in emails[?address != $p].address",
    "let $n = name in map(&[address, $n.last], emails)", "let $e = emails in $e[0].primary",
    "vip ? id : age", "nickname ? nickname : `null`", "nickname ? nickname : id",
    "let $n = nickname in $n ? $n : id", "age + `1`", "age - age", "age * `2`", "age / `2`",
    "age // `2`", "age % `3`", "age + `1.5`", "-age", "+age", "let $a = age in -$a * $a", "anything + `1`",
    # narrowing: ternary conditions, variables, the same expression written again
    "kind == 'person' ? kind : 'none'", "kind != 'person' ? kind : `null`", "!(kind == 'person') ? kind : id",
    "emails[0].address == 'a' ? emails[0].address : id", "let $k = kind in $k == 'company' ? $k : 'p'",
    "nickname == `null` ? id : nickname", "!vip ? vip : `true`", "length(tags) == `2` ? length(tags) : `0`",
    "let $n = name in $n.first == 'Al' ? $n.first : $n.last", "kind == 'person' || kind == 'company' ? kind : 'x'",
]


def _kind_allowed(value: Any, shape: Shape) -> bool:
    if shape.unknown:
        return True
    kind = kind_of(value)
    return kind in shape.kinds or (kind == "integer" and "number" in shape.kinds) or (
        kind == "number" and "integer" in shape.kinds and float(value).is_integer())


def _fits(value: Any, shape: Shape) -> bool:
    if not _kind_allowed(value, shape):
        return False
    if shape.values is not None and value is not None and not isinstance(value, (list, dict)):
        if value not in shape.values:
            return False
    if isinstance(value, list) and shape.items is not None:
        return all(_fits(item, shape.items) for item in value)
    return True


def _typed(text: str, table: FunctionTable = TABLE) -> tuple[Shape, list[str]]:
    """The shape of ``text`` (parsed by mapper) run on the record, and its reports (``code@offset message``)."""
    record = of_schema(SCHEMA.root, "")
    reports: list[str] = []
    typer = ExpressionTyper(table.specs, Observations())
    shape = typer.infer_text(text, parse(text), record.without_null(), Scope((record,)),
                             lambda code, message, offset: reports.append(f"{code}@{offset} {message}"))
    return shape, reports


def _shape(text: str, table: FunctionTable = TABLE) -> Shape:
    shape, reports = _typed(text, table)
    assert reports == [], f"{text}: {reports}"
    return shape


def _jmespath(text: str) -> Callable[[Any], Any]:
    return lambda record: jmespath.search(text, record, options=OPTIONS)


def _mapper(text: str) -> Callable[[Any], Any]:
    return compile_expression(text, TABLE).search


@pytest.mark.parametrize(("text", "evaluator"), [(text, _jmespath) for text in EXPRESSIONS]
                         + [(text, _mapper) for text in COMMUNITY_EXPRESSIONS])
def test_the_inferred_shape_holds_every_result(text: str, evaluator: Callable[[str], Callable[[Any], Any]]) -> None:
    shape = _shape(text)
    evaluate = evaluator(text)

    @settings(max_examples=40, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(from_schema(SCHEMA))
    def holds(record: Any) -> None:
        try:
            value = evaluate(record)
        except (jmespath.exceptions.JMESPathError, MapperError, ValueError, TypeError):
            return  # a call refused at run time is the engine's business, not a shape
        assert _fits(value, shape), f"{text} gave {value!r}, inferred {shape.describe()}"

    holds()


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("name.first", "a string or null"),
        ("name.last", "a string"),
        ("emails[*].address", "an array of strings or null"),
        ("emails[0]", "an object or null"),
        ("vip && 'yes' || 'no'", "a string"),
        ("[id, age]", "an array of integers or strings"),
        ("length(tags)", "an integer"),
        ("split(id, '-')", "an array of strings or null"),
        ("sort_by(emails, &address)", "an array of objects"),
        ("kind", "a string or null"),
        ("age > `3`", "a boolean or null"),
        ("nickname || error('no nickname')", "a string"),
        ("error('no nickname')", "nothing"),
        ("zip(tags, emails)", "an array of arrays"),
        ("items(name)", "an array of arrays or null"),
        ("group_by(emails, &address)", "an object or null"),
        ("find_first(id, '-')", "a number or null"),
        ("$", "an object"),
        ("$.name.last", "a string"),
        ("map(&$.id, emails)", "an array of strings"),
        ("let $n = name in $n.last", "a string"),
        ("let $n = name, $l = $n.last in [$l]", "an array of strings"),
        ("let $x = id in let $x = age in $x", "an integer or null"),
        ("let $x = id in [let $x = age in $x, $x]", "an array of integers or strings"),
        ("let $p = id in emails[?address != $p].address", "an array of strings or null"),
        ("let $n = name in map(&$n.last, emails)", "an array of strings"),
        ("vip ? id : age", "an integer, a string or null"),
        ("nickname ? nickname : name.last", "a string"),
        ("name.first ? name.first : name.last", "a string"),
        ("let $n = nickname in $n ? $n : name.last", "a string"),
        ("let $n = nickname in $n ? name.last : $n", "a string or null"),
        ("age + `1`", "an integer"),
        ("age - age", "an integer"),
        ("age * `2`", "an integer"),
        ("age // `2`", "an integer"),
        ("age % `3`", "an integer"),
        ("age / `2`", "a number"),
        ("age + `1.5`", "a number"),
        ("anything + `1`", "a number"),
        ("-age", "an integer"),
        ("+anything", "a number"),
        ("`null` + age", "a number"),
    ],
)
def test_shapes_are_precise(text: str, described: str) -> None:
    assert _shape(text).describe() == described


@pytest.mark.parametrize(
    ("text", "values", "described"),
    [
        ("[kind][?@ != 'person'] | [0]", ("company",), "a string or null"),
        ("emails[?address == 'x'] | [0].address", ("x",), "a string or null"),
        ("[kind][?@ == 'person' || @ == 'company'] | [0]", ("person", "company"), "a string or null"),
        ("kind == 'person' ? kind : 'none'", ("person", "none"), "a string"),
        ("kind != 'person' ? kind : 'none'", ("company", "none"), "a string or null"),
        ("!(kind != 'person') ? kind : 'none'", ("person", "none"), "a string"),
        ("let $k = kind in $k == 'company' ? $k : 'p'", ("company", "p"), "a string"),
        ("kind == 'person' && 'P' || kind == 'company' && 'C' || 'N'", ("P", "C", "N"), "a string"),
        ("kind == 'person' && age || `0`", None, "an integer"),
        ("vip && kind || 'none'", ("person", "company", "none"), "a string"),
        ("nickname == `null` ? 'none' : nickname", None, "a string"),
        ("emails[0].address == 'a' ? emails[0].address : 'b'", ("a", "b"), "a string"),
    ],
)
def test_conditions_narrow_what_they_test(text: str, values: tuple[Any, ...] | None, described: str) -> None:
    shape = _shape(text)
    assert (shape.values, shape.describe()) == (values, described)


def test_lookup_gives_the_tables_values() -> None:
    table = Lookup("kinds", {"person": "P", "company": "C"}, Location("m.yaml", 1, 1))
    with_default = Lookup("codes", {"1": 1}, Location("m.yaml", 2, 1), has_default=True, default=0)
    record = of_schema(SCHEMA.root, "")
    typer = ExpressionTyper(TABLE.specs, Observations(), {"kinds": table, "codes": with_default})
    reports: list[str] = []

    def typed(text: str) -> Shape:
        return typer.infer_text(text, parse(text), record.without_null(), Scope((record,)),
                                lambda code, message, offset: reports.append(f"{code}@{offset} {message}"))

    assert (typed("lookup('kinds', kind)").values, typed("lookup('kinds', kind)").describe()) == (
        ("P", "C"), "a string or null")
    assert typed("lookup('kinds', id)").describe() == "a string"
    assert typed("lookup('codes', age)").values == (1, 0)
    assert typed("lookup('nowhere', id)").unknown
    assert reports == []
    typed("lookup('kinds', tags)")
    assert reports == ["M107@0 lookup 'kinds' translates single values, but the value is always an array of strings"]


def _first(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


_ANY = ParamSpec(("any",))
_USER_TABLE = build_function_table([
    FunctionSpec("first_of", _first, (ParamSpec(("any",), variadic=True),), ("any",),
                 refines=Refines("first_present")),
    FunctionSpec("shuffled", _first, (ParamSpec(("array",)),), ("array",), refines=Refines("argument", 0)),
    FunctionSpec("pick", _first, (_ANY, ParamSpec(("array",))), ("any",), refines=Refines("item", 1)),
    FunctionSpec("words", _first, (_ANY,), ("array", "null"), refines=Refines("array_of", items="string")),
    FunctionSpec("count", _first, (_ANY,), ("number",), refines=Refines("integer")),
    FunctionSpec("plain", _first, (_ANY,), ("array",)),
    FunctionSpec("fail", _first, (_ANY,), ("any",), refines=Refines("never")),
])


@pytest.mark.parametrize(("text", "like"), [
    ("first_of(nickname, id)", "not_null(nickname, id)"),
    ("shuffled(emails)", "sort_by(emails, &address)"),
    ("pick(`1`, tags)", "max(tags)"),
    ("words(id)", "split(id, '-')"),
    ("count(tags)", "length(tags)"),
    ("plain(tags)", "values(name)"),
    ("nickname || fail('x')", "nickname || error('x')"),
])
def test_a_user_functions_facts_refine_its_result_as_the_libraries_do(text: str, like: str) -> None:
    assert _shape(text, _USER_TABLE).describe() == _shape(like).describe()


@pytest.mark.parametrize(("text", "reported"), [
    ("let $n = name in $n.frist", "M301@20 the source schema has no field 'frist' in the source at name "
                                  "(did you mean 'first'?)"),
    ("let $e = emails in $e[].adress", "M301@24 the source schema has no field 'adress' in the source at "
                                       "emails[] (did you mean 'address'?)"),
    ("let $n = name in emails[?address == $n.lst]", "M301@39 the source schema has no field 'lst' in the "
                                                    "source at name (did you mean 'last'?)"),
    ("let $n = name in map(&$n.frist, emails)", "M301@25 the source schema has no field 'frist' in the "
                                                "source at name (did you mean 'first'?)"),
    ("$.nmae", "M301@2 the source schema has no field 'nmae' in the source record (did you mean 'name'?)"),
    ("vip ? name.frist : id", "M301@11 the source schema has no field 'frist' in the source at name "
                              "(did you mean 'first'?)"),
    ("age + id", "M305@4 `+` needs two numbers, but its right operand is always a string (id)"),
    ("nickname - `1`", "M305@9 `-` needs two numbers, but its left operand is always a string (nickname)"),
    ("let $v = vip in $v * `2`", "M305@19 `*` needs two numbers, but its left operand is always a boolean (vip)"),
    ("name / `2`", "M305@5 `/` needs two numbers, but its left operand is always an object (name)"),
    ("tags % `2`", "M305@5 `%` needs two numbers, but its left operand is always an array of strings (tags)"),
    ("`2` // 'x'", "M305@4 `//` needs two numbers, but its right operand is always a string"),
    ("-id", "M305@0 unary `-` needs a number, but its operand is always a string (id)"),
    ("+vip", "M305@0 unary `+` needs a number, but its operand is always a boolean (vip)"),
    ("regex_match(id, '(')", 'M110@16 regex_match() argument 2: invalid regular expression "(": missing ), '
                             "unterminated subpattern at position 0; every call would fail"),
    ("regex_replace(id, 'a', 'b') || regex_extract(id, `\"[\"`)",
     'M110@49 regex_extract() argument 2: invalid regular expression "[": unterminated character set at '
     "position 0; every call would fail"),
])
def test_the_community_syntax_reports_at_the_culprit(text: str, reported: str) -> None:
    assert _typed(text)[1] == [reported]


@pytest.mark.parametrize("text", ["age + age", "`null` * `2`", "-`null`", "anything + age",
                                  "let $u = anything in $u.x + `1`", "$undefined.x + `1`", "(id || age) + `1`"])
def test_arithmetic_on_what_may_be_a_number_or_null_is_not_reported(text: str) -> None:
    assert _typed(text)[1] == []


@pytest.mark.parametrize(("text", "described"), [
    ("age == '5' ? age : `0`", "an integer"),  # the branch where an integer equals a string never runs
    ("kind == 'robot' ? kind : 'none'", "a string"),
])
def test_a_branch_that_cannot_run_adds_nothing(text: str, described: str) -> None:
    shape = _shape(text)
    assert shape.describe() == described and "robot" not in (shape.values or ())


def test_a_long_chain_of_conditions_is_typed() -> None:
    # Each either-or case of narrowing may try both outcomes of its left side: without the memo and
    # the caps, this chain would take minutes.
    text = " || ".join(f"kind == 'k{number}' && 'v{number}'" for number in range(200)) + " || 'none'"
    assert _shape(text).describe() == "a string"
