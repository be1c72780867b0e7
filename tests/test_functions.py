"""The JMESPath function library, the function table and user functions.

The library's behaviour is a table (tests/data/functions/library.yaml): calls
and their exact results or exact error messages, since those messages are what
users read when a record is rejected. jmespath's built-ins are checked against
jmespath's own compliance cases and, with Hypothesis, against jmespath itself.
"""

from __future__ import annotations

import json
import math
import pickle
import re
import traceback
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Union

import jmespath
import jmespath.functions
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jmespath.exceptions import (
    ArityError,
    JMESPathError,
    JMESPathTypeError,
    ParseError,
    UnknownFunctionError,
    VariadictArityError,
)
from jmespath.visitor import TreeInterpreter, _Expression

import mapper
import mapper.functions
import mapper.functions.numbers
from mapper.documents import parse_yaml
from mapper.errors import MappingError
from mapper.functions import (
    BUILTIN_FUNCTIONS,
    CONTEXT_FUNCTIONS,
    EXPECTS_KINDS,
    LIBRARY_FUNCTIONS,
    REFINE_KINDS,
    ArgumentTypeError,
    Expects,
    FunctionError,
    FunctionSpec,
    FunctionTable,
    ParamSpec,
    Refines,
    RejectedByRule,
    build_function_table,
    jmespath_function,
)

DATA = Path(__file__).parent / "data" / "functions"
DOCS = Path(__file__).parent.parent / "docs" / "functions.md"
TABLE = build_function_table()
OPTIONS = jmespath.Options(custom_functions=TABLE)

LIBRARY_CASES: dict[str, list[dict[str, Any]]] = parse_yaml(
    (DATA / "library.yaml").read_text(encoding="utf-8"), "library.yaml").data


def _argument(value: Any) -> Any:
    """A case's argument: ``{"&": "expression"}`` is that expression reference, any other value itself."""
    if isinstance(value, dict) and set(value) == {"&"}:
        return _Expression(jmespath.compile(value["&"]).parsed,  # type: ignore[arg-type]  # the node
                           TreeInterpreter(OPTIONS))
    return value


def _library_cases() -> list[Any]:
    return [pytest.param(name, case, id=f"{name}-{index}")
            for name, cases in LIBRARY_CASES.items() for index, case in enumerate(cases)]


def _same(result: Any, expected: Any) -> bool:
    """Equal, with ints and floats kept apart (12 is not 12.0 here), recursively."""
    if isinstance(expected, list):
        return isinstance(result, list) and len(result) == len(expected) and all(map(_same, result, expected))
    return bool(result == expected) and type(result) is type(expected)


# -- the library table -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "case"), _library_cases())
def test_library_function(name: str, case: dict[str, Any]) -> None:
    args = [_argument(value) for value in case["args"]]
    if "error" in case:
        with pytest.raises(ValueError) as raised:  # JMESPathError and MappingError are ValueErrors
            TABLE.call_function(name, args)
        assert isinstance(raised.value, JMESPathError)
        assert str(raised.value) == case["error"]
        return
    result = TABLE.call_function(name, args)
    assert _same(result, case["result"]), f"{name}{tuple(case['args'])} returned {result!r}"


def test_every_library_function_has_cases_including_null() -> None:
    assert set(LIBRARY_CASES) == set(LIBRARY_FUNCTIONS)
    for name, spec in LIBRARY_FUNCTIONS.items():
        if "null" in spec.params[0].types and name not in ("coalesce", "concat"):
            assert any(case.get("args", [0])[0] is None and case.get("result", 0) is None
                       for case in LIBRARY_CASES[name]), f"{name}: no case for a null subject"


def test_library_functions_return_what_they_declare() -> None:
    python: dict[str, type | tuple[type, ...]] = {"string": str, "number": (int, float), "boolean": bool, "array": list, "object": dict,
              "null": type(None)}
    for name, cases in LIBRARY_CASES.items():
        returns = LIBRARY_FUNCTIONS[name].returns
        for case in cases:
            if "result" in case and "any" not in returns:
                assert any(isinstance(case["result"], python[kind]) for kind in returns), (name, case)


def test_library_functions_are_reachable_from_expressions() -> None:
    data = {"first": "  Marie ", "last": "Curie", "work": "", "home": "Marie@Example.FR",
            "created": "05/03/2024 14:30", "amount": "1.234,50", "street": "1 Main St\nApt 4"}
    assert jmespath.search(
        "{name: concat(trim(first), ' ', upper(last)), email: lower(coalesce(work, home)),"
        " signed_up: to_utc(parse_datetime(created, '%d/%m/%Y %H:%M', 'Europe/Paris')),"
        " cents: to_minor_units(parse_number(amount, ',', '.'), 'EUR'), line2: split(street, '\n')[1],"
        " missing: split(nothing, ',')[0]}", data, options=OPTIONS) == {
        "name": "Marie CURIE", "email": "marie@example.fr", "signed_up": "2024-03-05T13:30:00Z",
        "cents": 123450, "line2": "Apt 4", "missing": None}


def test_coalesce_differs_from_not_null_on_empty_strings() -> None:
    assert jmespath.search("not_null(a, b)", {"a": "", "b": "x"}, options=OPTIONS) == ""
    assert jmespath.search("coalesce(a, b)", {"a": "", "b": "x"}, options=OPTIONS) == "x"


# -- properties ------------------------------------------------------------------------------------

_CURRENCIES = st.sampled_from(["USD", "EUR", "JPY", "BHD", "KWD", "CLF", "ISK", "GBP"])


@given(st.integers(min_value=-10**15, max_value=10**15), _CURRENCIES)
def test_minor_units_round_trip_from_minor(minor: int, currency: str) -> None:
    major = TABLE.call_function("from_minor_units", [minor, currency])
    assert TABLE.call_function("to_minor_units", [major, currency]) == minor


@given(st.data(), _CURRENCIES)
def test_minor_units_round_trip_from_major(data: st.DataObject, currency: str) -> None:
    places = mapper.functions.numbers._MINOR_UNITS[currency]
    amount = data.draw(st.decimals(min_value=-10**9, max_value=10**9, places=places))
    number = int(amount) if places == 0 else float(amount)
    minor = TABLE.call_function("to_minor_units", [number, currency])
    assert minor == int(amount.scaleb(places))
    assert Decimal(repr(TABLE.call_function("from_minor_units", [minor, currency]))) == amount


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e17, max_value=1e17), _CURRENCIES)
def test_to_minor_units_is_exact_on_the_written_number(amount: float, currency: str) -> None:
    exact = Decimal(repr(amount)).scaleb(mapper.functions.numbers._MINOR_UNITS[currency])
    if exact == exact.to_integral_value():
        assert TABLE.call_function("to_minor_units", [amount, currency]) == int(exact)
    else:
        with pytest.raises(FunctionError, match="more decimal places than"):
            TABLE.call_function("to_minor_units", [amount, currency])


_OFFSETS = st.builds(timezone, st.integers(-1439, 1439).map(lambda minutes: timedelta(minutes=minutes)))


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_OFFSETS),
       st.sampled_from(["seconds", "milliseconds", "microseconds"]), st.booleans())
def test_to_utc_keeps_the_instant_and_writes_z(moment: datetime, timespec: str, zulu: bool) -> None:
    text = moment.isoformat(timespec=timespec)
    if zulu:
        text = text.replace("+00:00", "Z")
    result = TABLE.call_function("to_utc", [text])
    assert result.endswith("Z") and "+" not in result
    assert datetime.fromisoformat(result) == moment.replace(microsecond=datetime.fromisoformat(text).microsecond)
    written = result.removesuffix("Z").partition(".")[2]
    assert len(written) in (0, 3, 6) and not written.endswith("000")


@given(st.decimals(min_value=-10**12, max_value=10**12, places=2),
       st.sampled_from([(".", ","), (",", "."), (",", " "), (".", "'"), (".", "")]))
def test_parse_number_reads_formatted_numbers(amount: Decimal, separators: tuple[str, str]) -> None:
    decimal, thousands = separators
    text = f"{amount:,.2f}".replace(",", "\0").replace(".", decimal).replace("\0", thousands)
    assert TABLE.call_function("parse_number", [text, decimal, thousands]) == float(amount)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
       st.integers(min_value=0, max_value=6))
def test_round_is_half_away_from_zero_on_the_written_number(number: float, digits: int) -> None:
    expected = Decimal(repr(number)).quantize(Decimal(1).scaleb(-digits), rounding="ROUND_HALF_UP")
    result = TABLE.call_function("round", [number, digits])
    assert Decimal(repr(result)) == expected if digits else result == int(expected)


@given(st.decimals(min_value=-10**9, max_value=10**9, places=6, allow_nan=False), st.integers(min_value=-3, max_value=5))
def test_round_half_even_is_pythons_round_on_the_written_number(amount: Decimal, digits: int) -> None:
    number = float(amount)
    expected = round(Decimal(repr(number)), digits)  # Decimal's round is half to even
    result = TABLE.call_function("round", [number, digits, "half_even"])
    assert Decimal(repr(result)) == expected if digits > 0 else result == int(expected)


_KEYS = st.text(max_size=3)
_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=3)
_OBJECTS = st.dictionaries(_KEYS, _SCALARS, max_size=5)


@given(_OBJECTS)
def test_from_items_undoes_items(value: dict[str, Any]) -> None:
    pairs = TABLE.call_function("items", [value])
    assert TABLE.call_function("from_items", [pairs]) == value
    assert list(TABLE.call_function("from_items", [pairs])) == list(value)  # the order too
    assert TABLE.call_function("zip", [list(value), list(value.values())]) == pairs


@given(st.lists(st.tuples(_KEYS, _SCALARS), max_size=6))
def test_items_of_from_items_keeps_the_last_pair_per_key(pairs: list[tuple[str, Any]]) -> None:
    value = TABLE.call_function("from_items", [[list(pair) for pair in pairs]])
    assert TABLE.call_function("items", [value]) == [[key, item] for key, item in dict(pairs).items()]


@given(st.lists(st.lists(_SCALARS, max_size=4), min_size=1, max_size=4))
def test_zip_is_as_long_as_the_shortest_array_and_unzips(arrays: list[list[Any]]) -> None:
    zipped = TABLE.call_function("zip", arrays)
    assert len(zipped) == min(map(len, arrays))
    if zipped:
        assert TABLE.call_function("zip", zipped) == [array[:len(zipped)] for array in arrays]


@given(st.lists(st.fixed_dictionaries({"n": st.integers()}, optional={"k": st.none() | st.sampled_from("abc")}),
                max_size=8))
def test_group_by_keeps_every_keyed_item_once_in_order(array: list[dict[str, Any]]) -> None:
    groups = TABLE.call_function("group_by", [array, _argument({"&": "k"})])
    keyed = [item for item in array if item.get("k") is not None]
    assert sorted(map(id, (item for group in groups.values() for item in group))) == sorted(map(id, keyed))
    assert list(groups) == list(dict.fromkeys(item["k"] for item in keyed))
    for key, group in groups.items():
        assert group == [item for item in keyed if item["k"] == key]


def test_group_by_key_runs_in_mapper_expressions() -> None:
    data = {"obs": [{"code": "bp", "v": 1}, {"code": "hr", "v": 2}, {"code": "bp", "v": 3}, {"v": 4}]}
    assert jmespath.search("group_by(obs, &code).bp[].v", data, options=OPTIONS) == [1, 3]


def test_join_of_null_is_null_and_otherwise_jmespaths() -> None:
    assert jmespath.search("join(' ', given)", {}, options=OPTIONS) is None
    assert jmespath.search("join(' ', given)", {"given": ["Marie", "S."]}, options=OPTIONS) == "Marie S."
    with pytest.raises(ArgumentTypeError, match=r"^join\(\): argument 2 must be an array of strings or null, "):
        jmespath.search("join(' ', given)", {"given": "Marie"}, options=OPTIONS)


def test_error_rejects_the_record_at_its_rule_with_exactly_its_message(tmp_path: Path) -> None:
    (tmp_path / "any.schema.json").write_text('{"type": "object"}', encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(
        "mapping: errors\nsource: {schema: any.schema.json}\ntarget: {schema: any.schema.json}\n"
        "rules:\n  family: \"family || error('no family name')\"\n", encoding="utf-8")
    mapping = mapper.load(tmp_path / "mapping.yaml")
    assert mapping.apply({"family": "Curie"}) == {"family": "Curie"}
    with pytest.raises(mapper.RecordError) as raised:
        mapping.apply({})
    [problem] = raised.value.problems
    assert (problem.message, problem.stage, problem.rule) == ("no family name", "rule", "family")
    assert isinstance(problem.cause, RejectedByRule) and problem.cause.function_name == "error"


# -- jmespath's built-ins --------------------------------------------------------------------------

_COMPLIANCE = json.loads((Path(__file__).parent / "data" / "jmespath-compliance" / "functions.json")
                         .read_text(encoding="utf-8"))
_ERRORS = {"invalid-type": JMESPathTypeError, "invalid-arity": ArityError, "unknown-function": UnknownFunctionError,
           "syntax": ParseError}


@pytest.mark.parametrize(("given_data", "case"), [
    pytest.param(suite["given"], case, id=f"{index}-{case['expression']}")
    for index, suite in enumerate(_COMPLIANCE) for case in suite["cases"]])
def test_builtins_pass_jmespath_compliance_through_the_table(given_data: Any, case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(_ERRORS[case["error"]]):
            jmespath.search(case["expression"], given_data, options=OPTIONS)
    else:
        assert jmespath.search(case["expression"], given_data, options=OPTIONS) == case["result"]


#: The built-in parameters that also take null, giving null ("null in, null out"): name -> position.
_NULL_ALSO = {"join": 1}


def test_every_builtin_is_in_the_table_with_jmespaths_signature() -> None:
    builtins = jmespath.functions.Functions.FUNCTION_TABLE
    assert set(BUILTIN_FUNCTIONS) == set(builtins)
    for name, entry in builtins.items():
        spec = TABLE.specs[name]
        expected = [(argument["types"] or ["any"], bool(argument.get("variadic"))) for argument in entry["signature"]]
        if name in _NULL_ALSO:
            types, variadic = expected[_NULL_ALSO[name]]
            expected[_NULL_ALSO[name]] = ([*types, "null"], variadic)
        assert [(list(p.types), p.variadic) for p in spec.params] == expected
        assert spec.returns and spec.doc


_json = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-5, 5) | st.text(max_size=3),
                     lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=2),
                                                                                      children, max_size=3),
                     max_leaves=6)
_REFERENCE = jmespath.functions.Functions()
_NO_EXPREF = sorted(name for name, spec in BUILTIN_FUNCTIONS.items()
                    if not any("expref" in param.types for param in spec.params))


@given(st.sampled_from(_NO_EXPREF), st.lists(_json, max_size=3))
def test_builtins_behave_as_in_jmespath(name: str, args: list[Any]) -> None:
    try:
        expected: Any = _REFERENCE.call_function(name, args)
    except Exception as error:  # noqa: BLE001 - compared below
        expected = error
    try:
        result: Any = TABLE.call_function(name, args)
    except Exception as error:  # noqa: BLE001 - compared below
        result = error
    if name == "merge" and isinstance(result, JMESPathTypeError):
        pass  # jmespath type-checks only the first argument of merge() (merge({}, null) is its TypeError)
    elif name in _NULL_ALSO and len(args) == 2 and isinstance(args[0], str) and args[_NULL_ALSO[name]] is None:
        assert result is None  # null in, null out, where jmespath refuses null
    elif isinstance(expected, JMESPathError):
        assert isinstance(result, type(expected))
    elif isinstance(expected, Exception):  # jmespath's own Python error, e.g. contains('', null)
        assert isinstance(result, FunctionError) and result.function_name == name, result
        assert type(result.__cause__) is type(expected)
        assert str(result) == f"{name}(): {type(expected).__name__}: {expected}"
    else:
        assert not isinstance(result, Exception), result
        assert result == expected or (math.isnan(result) and math.isnan(expected))


def test_type_errors_keep_jmespaths_fields_and_read_well() -> None:
    with pytest.raises(JMESPathTypeError) as raised:
        TABLE.call_function("sum", [[1, "a"]])
    error = raised.value
    assert isinstance(error, ArgumentTypeError)
    assert (error.function_name, error.current_value, error.actual_type, error.expected_types,
            error.position, error.in_array) == ("sum", "a", "string", ["array-number"], 1, True)
    assert str(error) == 'sum(): argument 1 must be an array of numbers, but it holds the string "a"'
    with pytest.raises(ArgumentTypeError, match=re.escape('merge(): argument 2 must be an object, not the number 1')):
        TABLE.call_function("merge", [{}, 1])
    with pytest.raises(ArgumentTypeError, match="argument 1 must be an expression reference"):
        jmespath.search("map(`1`, @)", [], options=OPTIONS)
    long = "x" * 100
    assert str(pytest.raises(ArgumentTypeError, TABLE.call_function, "abs", [long]).value) == (
        f'abs(): argument 1 must be a number, not the string "{"x" * 58}…')


def test_arity_errors_are_jmespaths() -> None:
    with pytest.raises(ArityError, match=r"^Expected 1 argument for function abs\(\), received 2$"):
        TABLE.call_function("abs", [1, 2])
    with pytest.raises(VariadictArityError, match=r"^Expected at least 1 argument for function not_null\(\)"):
        TABLE.call_function("not_null", [])
    with pytest.raises(UnknownFunctionError, match=r"^Unknown function: nope\(\)$"):
        TABLE.call_function("nope", [])


def test_values_are_checked_as_jmespath_types() -> None:
    from collections import OrderedDict

    assert TABLE.call_function("keys", [OrderedDict(a=1)]) == ["a"]
    assert TABLE.call_function("avg", [[1, 2.5]]) == 1.75
    with pytest.raises(ArgumentTypeError, match="not a value of Python type tuple"):
        TABLE.call_function("length", [(1, 2)])


# -- the table -------------------------------------------------------------------------------------


def test_table_holds_every_kind_of_function() -> None:
    assert set(TABLE.specs) == set(BUILTIN_FUNCTIONS) | set(LIBRARY_FUNCTIONS) | set(CONTEXT_FUNCTIONS)
    assert TABLE.FUNCTION_TABLE is TABLE.specs and "lower" in TABLE.FUNCTION_TABLE
    assert not set(BUILTIN_FUNCTIONS) & set(LIBRARY_FUNCTIONS)
    for spec in TABLE.specs.values():
        assert spec.returns, spec.name
        assert all(kind in mapper.functions.RETURN_TYPES for kind in spec.returns)


# -- facts on the specs ----------------------------------------------------------------------------


def _takes(spec: FunctionSpec, position: int, kind: str) -> bool:
    param = spec.params_for(position + 1)[position]
    return "any" in param.types or any(declared.partition("-")[0] == kind for declared in param.types)


@pytest.mark.parametrize("spec", list(TABLE.specs.values()), ids=lambda spec: spec.name)
def test_every_fact_names_real_parameters_of_the_right_type(spec: FunctionSpec) -> None:
    refines = spec.refines
    if refines is not None:
        assert refines.kind in REFINE_KINDS
        if REFINE_KINDS[refines.kind]:
            assert spec.has_argument(refines.argument)
        if refines.kind in ("item", "as_array", "argument"):
            assert _takes(spec, refines.argument, "array") or _takes(spec, refines.argument, "string")
        if refines.kind == "mapped":
            assert _takes(spec, refines.argument, "expref") and spec.expref_items is not None
        if refines.kind in ("record", "enclosing", "position"):
            assert spec.context
    if spec.expref_items is not None:
        assert _takes(spec, spec.expref_items, "array")
        assert any("expref" in param.types for param in spec.params)
    if spec.member is not None:
        needle, haystack = spec.member
        assert spec.has_argument(needle) and _takes(spec, haystack, "array")
    if spec.passes_text:
        assert {"string", "any"} & set(spec.returns)
    for position, param in enumerate(spec.params):
        if param.expects is not None:
            assert param.expects.kind in EXPECTS_KINDS and _takes(spec, position, "string")
            if param.expects.argument is not None:
                assert spec.has_argument(param.expects.argument) and param.expects.argument != position
                assert _takes(spec, param.expects.argument, "string")
    if spec.int_operator is not None:
        assert spec.max_args == spec.min_args == 2 and all(_takes(spec, index, "number") for index in (0, 1))


_INT_OPERATORS = {name: spec.int_operator for name, spec in TABLE.specs.items() if spec.int_operator}


def test_integer_arithmetic_declares_its_operator() -> None:
    assert _INT_OPERATORS == {"add": "+", "subtract": "-", "multiply": "*"}


@given(st.sampled_from(sorted(_INT_OPERATORS)), st.integers(), st.integers())
def test_int_operator_is_the_function_on_ints(name: str, a: int, b: int) -> None:
    operator = {"+": int.__add__, "-": int.__sub__, "*": int.__mul__}[_INT_OPERATORS[name]]
    result = TABLE.call_function(name, [a, b])
    assert type(result) is int and result == operator(a, b)


def test_context_functions_are_declared_but_not_callable_through_the_table() -> None:
    assert {name: (spec.context, spec.min_args, spec.max_args, spec.returns)
            for name, spec in CONTEXT_FUNCTIONS.items()} == {
        "root": (True, 0, 0, ("any",)), "parent": (True, 0, 1, ("any",)), "index": (True, 0, 0, ("number", "null")),
        "lookup": (True, 2, 2, ("any",))}
    with pytest.raises(FunctionError) as raised:
        jmespath.search("root()", {}, options=OPTIONS)
    assert str(raised.value) == ("root(): works only inside mapping rules, which know the record being mapped; "
                                 "it cannot be called through a bare function table")


def test_check_arity_matches_call_function() -> None:
    spec = TABLE.specs["pad_left"]
    assert (spec.min_args, spec.max_args) == (2, 3)
    spec.check_arity(2)
    spec.check_arity(3)
    with pytest.raises(ArityError, match=r"^Expected 2 to 3 arguments for function pad_left\(\), received 4$"):
        spec.check_arity(4)
    assert TABLE.specs["concat"].max_args is None


def test_caller_is_call_function_without_the_lookup() -> None:
    assert TABLE.caller("upper")(["a"]) == "A"
    with pytest.raises(UnknownFunctionError):
        TABLE.caller("nope")


def test_errors_pickle() -> None:
    calls: tuple[tuple[str, list[Any]], ...] = (("abs", ["x"]), ("sum", [["x"]]), ("split", ["a"]), ("lower", []), ("parse_number", ["x"]),
             ("concat", []), ("error", ["boom"]), ("round", [1, 0, "up"]))
    for name, args in calls:
        with pytest.raises(JMESPathError) as raised:
            TABLE.call_function(name, args)
        error = raised.value
        clone = pickle.loads(pickle.dumps(error))
        assert type(clone) is type(error) and str(clone) == str(error)


# -- user functions --------------------------------------------------------------------------------


@jmespath_function()
def mask(value: str, keep: int = 4) -> str:
    """Hide all but the last ``keep`` characters."""
    return "*" * (len(value) - keep) + value[-keep:]


@jmespath_function
def initials(*names: Optional[str]) -> str:  # noqa: UP045 - typing.Optional must be understood too
    return "".join(name[0] for name in names if name)


@jmespath_function("vat", returns="number")
def add_vat(amount: float, rate: Union[int, float] = 20) -> Any:  # noqa: UP007, PYI041
    return round(amount * (1 + rate / 100), 2)


def untyped(a, b=None):  # type: ignore[no-untyped-def]
    return [a, b]


def test_jmespath_function_infers_the_signature_from_annotations() -> None:
    spec: FunctionSpec = mask.__jmespath_function__  # type: ignore[attr-defined]
    assert spec == FunctionSpec("mask", mask, (ParamSpec(("string",), name="value"),
                                               ParamSpec(("number",), optional=True, name="keep")),
                                ("string",), doc="Hide all but the last ``keep`` characters.")
    spec = initials.__jmespath_function__  # type: ignore[attr-defined]
    assert spec.params == (ParamSpec(("string", "null"), optional=True, variadic=True, name="names"),)
    assert (spec.min_args, spec.max_args, spec.returns) == (0, None, ("string",))
    spec = add_vat.__jmespath_function__  # type: ignore[attr-defined]
    assert (spec.name, spec.returns, spec.params[1].types) == ("vat", ("number",), ("number",))


@pytest.mark.parametrize(("annotation", "types"), [
    (str, ("string",)), (int, ("number",)), (float, ("number",)), (bool, ("boolean",)), (list, ("array",)),
    (list[str], ("array-string",)), (list[float], ("array-number",)),
    (list[int | float], ("array-number",)),
    (list[dict[str, Any]], ("array",)), (dict, ("object",)), (dict[str, int], ("object",)),
    (None, ("null",)), (str | None, ("string", "null")), (Optional[int], ("number", "null")),  # noqa: UP045
    (Any, ("any",)), (str | Any, ("any",)), (int | float, ("number",)),
])
def test_annotations_map_to_jmespath_types(annotation: Any, types: tuple[str, ...]) -> None:
    def function(value):  # type: ignore[no-untyped-def]
        return value

    function.__annotations__ = {"value": annotation}
    spec = jmespath_function()(function).__jmespath_function__  # type: ignore[attr-defined]
    assert spec.params[0].types == types


def test_user_functions_are_called_with_checked_arguments() -> None:
    table = build_function_table([mask, initials, add_vat, untyped])
    options = jmespath.Options(custom_functions=table)
    assert jmespath.search("mask(card)", {"card": "4242424242424242"}, options=options) == "************4242"
    assert jmespath.search("mask(card, `2`)", {"card": "12345"}, options=options) == "***45"
    assert jmespath.search("initials(a, b, c)", {"a": "Ada", "c": "Lovelace"}, options=options) == "AL"
    assert jmespath.search("initials()", {}, options=options) == ""
    assert jmespath.search("vat(`100`)", {}, options=options) == 120.0
    assert jmespath.search("untyped(`[1]`)", {}, options=options) == [[1], None]
    with pytest.raises(ArgumentTypeError, match=r"^mask\(\): argument 1 must be a string, not null$"):
        jmespath.search("mask(card)", {}, options=options)
    with pytest.raises(ArityError):
        jmespath.search("mask(a, b, c)", {}, options=options)


def test_user_function_specs_and_plain_callables_register() -> None:
    spec = FunctionSpec("double", lambda x: x * 2, (ParamSpec(("number",)),), ("number",))
    table = build_function_table([spec, untyped])
    assert table.call_function("double", [21]) == 42
    assert table.specs["untyped"].params == (ParamSpec(("any",), name="a"),
                                             ParamSpec(("any",), optional=True, name="b"))
    assert not hasattr(untyped, "__jmespath_function__")  # plain callables are not modified


@pytest.mark.parametrize(("function", "message"), [
    (jmespath_function("lower")(lambda value: value),
     "function lower() is already a function of mapper's library; give yours another name"),
    (FunctionSpec("length", len, (ParamSpec(("any",)),), ("number",)),
     "function length() is already a JMESPath built-in function; give yours another name"),
    (FunctionSpec("root", len, (), ("any",)),
     "function root() is already a mapper context function; give yours another name"),
])
def test_a_name_already_taken_is_refused(function: Any, message: str) -> None:
    with pytest.raises(MappingError) as raised:
        build_function_table([function])
    assert str(raised.value) == message


def test_two_user_functions_with_one_name_are_refused() -> None:
    with pytest.raises(MappingError, match=r"^function mask\(\) is already another of your functions"):
        build_function_table([mask, FunctionSpec("mask", len, (), ("any",))])


def _keyword_only(a: str, *, b: str) -> str:
    return a + b


def _complex(a: complex) -> str:
    return str(a)


_NO_CALL = (ParamSpec(("any",), variadic=True), ParamSpec(("any",)))


@pytest.mark.parametrize(("declare", "message"), [
    (lambda: jmespath_function()(_keyword_only),
     "function _keyword_only(): keyword-only parameter 'b' needs a default (JMESPath passes arguments by position)"),
    (lambda: jmespath_function()(_complex),
     ("function _complex(), parameter 'a': cannot tell the JMESPath type of <class 'complex'>; annotate with str, "
      "int, float, bool, list, dict, None, Any or unions of them, or declare jmespath_function(params=..., "
      "returns=...)")),
    (lambda: build_function_table([lambda x: x]),
     "'<lambda>' cannot be a JMESPath function name (letters, digits and _, not starting with a digit)"),
    (lambda: build_function_table([FunctionSpec("c", len, (), ("any",), context=True)]),
     "function c(): context functions are provided by mapper, not by users"),
    (lambda: build_function_table([42]),  # type: ignore[list-item]
     "a function must be a callable or a FunctionSpec, not 42"),
    (lambda: ParamSpec(("strng",)),
     ("unknown JMESPath type 'strng' in a parameter; expected some of any, array, array-array, array-boolean, "
      "array-null, array-number, array-object, array-string, boolean, expref, null, number, object, string")),
    (lambda: FunctionSpec("f", len, _NO_CALL, ("any",)), "function f(): only the last parameter can be variadic"),
    (lambda: FunctionSpec("f", len, (ParamSpec(("any",), optional=True), ParamSpec(("any",))), ("any",)),
     "function f(): a required parameter cannot follow an optional one"),
    (lambda: FunctionSpec("f", len, (), ("array-string",)),
     ("function f(): unknown return type 'array-string'; expected some of any, array, boolean, expref, null, "
      "number, object, string")),
    (lambda: FunctionSpec("f", len, (ParamSpec(("any",)),), ("any",), refines=Refines("argument", 1)),
     "function f(): refines names argument 1, which it does not have"),
    (lambda: FunctionSpec("f", len, (ParamSpec(("any",)),), ("any",), member=(0, 1)),
     "function f(): member names argument 1, which it does not have"),
    (lambda: FunctionSpec("f", len, (ParamSpec(("any",)),), ("any",), expref_items=-1),
     "function f(): expref_items names argument -1, which it does not have"),
    (lambda: FunctionSpec("f", len, (ParamSpec(("string",), expects=Expects("regex_match", 2)),), ("any",)),
     "function f(): parameter 1 expects names argument 2, which it does not have"),
    (lambda: FunctionSpec("f", len, (ParamSpec(("any",)),), ("any",), int_operator="+"),
     "function f(): int_operator must be one of *, +, -, for a function of two arguments"),
    (lambda: FunctionSpec("f", len, (ParamSpec(("any",)), ParamSpec(("any",))), ("any",), int_operator="/"),
     "function f(): int_operator must be one of *, +, -, for a function of two arguments"),
    (lambda: FunctionSpec("f", len, (ParamSpec(("array",)), ParamSpec(("string",))), ("array",), sorts_by_key=True),
     "function f(): sorts_by_key needs two arguments, an array and an expression reference"),
    (lambda: Refines("nope"),  # type: ignore[arg-type]
     ("unknown refinement 'nope'; expected one of argument, item, as_array, mapped, first_present, array_of, "
      "integer, record, enclosing, position, lookup, never")),
    (lambda: Refines("array_of"),
     "refinement 'array_of': items must be a JMESPath type for array_of (and only for it), not ''"),
    (lambda: Refines("integer", items="string"),
     "refinement 'integer': items must be a JMESPath type for array_of (and only for it), not 'string'"),
    (lambda: Expects("formatted"), "text kind 'formatted' needs argument position"),
    (lambda: Expects("currency", 1), "text kind 'currency' takes no argument position"),
    (lambda: Expects("nope"),  # type: ignore[arg-type]
     ("unknown text kind 'nope'; expected one of date_time, formatted, number_text, currency, boolean_text, "
      "regex_match, separated")),
])
def test_declaration_errors_are_mapping_errors(declare: Any, message: str) -> None:
    with pytest.raises(MappingError) as raised:
        declare()
    assert str(raised.value) == message


def test_the_table_pickles_with_its_user_functions() -> None:
    table = build_function_table([mask, add_vat])
    clone = pickle.loads(pickle.dumps(table))
    assert isinstance(clone, FunctionTable)
    assert set(clone.specs) == set(table.specs)
    assert clone.call_function("mask", ["123456"]) == "**3456"
    assert clone.call_function("vat", [10]) == 12.0
    assert "user functions: mask, vat" in repr(clone)


# -- docs/functions.md -----------------------------------------------------------------------------

_DOC = DOCS.read_text(encoding="utf-8")
_EXAMPLE = re.compile(r"^(.+?)\s+→\s+(.+)$")


def _doc_examples() -> list[Any]:
    examples = []
    for block in re.findall(r"```jmespath\n(.*?)```", _DOC, re.DOTALL):
        for line in block.splitlines():
            match = _EXAMPLE.match(line)
            if match:
                examples.append(pytest.param(match[1], match[2], id=match[1]))
    return examples


def test_every_function_is_documented() -> None:
    headings = set(re.findall(r"^#### `(\w+)\(", _DOC, re.MULTILINE))
    assert headings == set(LIBRARY_FUNCTIONS) | set(CONTEXT_FUNCTIONS)
    builtins = set(re.findall(r"^\| `(\w+)\(", _DOC, re.MULTILINE))
    assert builtins == set(BUILTIN_FUNCTIONS)
    examples = {re.match(r"\w+", param.values[0])[0] for param in _doc_examples()}  # type: ignore[index]
    assert set(LIBRARY_FUNCTIONS) <= examples


@pytest.mark.parametrize(("expression", "expected"), _doc_examples())
def test_doc_example(expression: str, expected: str) -> None:
    if expected.startswith("error: "):
        with pytest.raises(JMESPathError) as raised:
            jmespath.search(expression, {}, options=OPTIONS)
        assert str(raised.value) == expected.removeprefix("error: ")
    else:
        assert json.dumps(jmespath.search(expression, {}, options=OPTIONS), ensure_ascii=False) == expected


@pytest.mark.parametrize(("name", "args"), [
    ("upper", ["a"]), ("upper", [1]), ("join", [",", ["a", 1]]), ("concat", ["a", 1, None]),
    ("trim", ["  x ", " "]), ("abs", ["x"]), ("not_null", [None, 2]),
])
def test_positional_callers_check_as_the_list_callers_do(name: str, args: list[Any]) -> None:
    def outcome(call: Any) -> Any:
        try:
            return ("value", call())
        except JMESPathError as error:
            return ("error", type(error), str(error))

    positional = TABLE.positional_caller(name, len(args))
    assert outcome(lambda: positional(*args)) == outcome(lambda: TABLE.call_function(name, args))


def test_contains_of_null_in_a_string_fails_as_in_jmespath() -> None:
    # Found by the property above: jmespath 1.1.0 raises Python's TypeError here; the table's call
    # fails too, with a FunctionError (a JMESPathError, so the record is rejected, not a bug).
    with pytest.raises(TypeError):
        _REFERENCE.call_function("contains", ["", None])
    with pytest.raises(FunctionError) as raised:
        TABLE.call_function("contains", ["", None])
    assert str(raised.value) == "contains(): TypeError: 'in <string>' requires string as left operand, not NoneType"
    assert isinstance(raised.value.__cause__, TypeError)


@pytest.mark.parametrize(("expression", "cause"), [
    ("contains('', `1`)", TypeError),
    ("ceil(`1e999`)", OverflowError),
    ("floor(`NaN`)", ValueError),
    (f"avg(`[{10**400}]`)", OverflowError),
    ('min_by(`[{"a": 1}, {"a": "x"}]`, &a)', TypeError),
    ('max_by(`[{"a": 1}, {"a": "x"}]`, &a)', TypeError),
])
def test_builtins_python_errors_are_function_errors(expression: str, cause: type[Exception]) -> None:
    name = expression.partition("(")[0]
    with pytest.raises(cause):
        jmespath.search(expression, {})
    with pytest.raises(FunctionError) as raised:
        jmespath.search(expression, {}, options=OPTIONS)
    assert raised.value.function_name == name
    assert str(raised.value).startswith(f"{name}(): {cause.__name__}: ")
    assert type(raised.value.__cause__) is cause


def _raises_value_error(text: str) -> str:
    raise ValueError(f"no {text}")


def _raises_own_function_error(text: str) -> str:
    raise FunctionError("strict", f"refuses {text}")


@pytest.mark.parametrize("declare", [
    lambda: jmespath_function("strict")(_raises_value_error),
    lambda: FunctionSpec("strict", _raises_value_error, (ParamSpec(("string",)),), ("string",)),
    lambda: FunctionSpec("strict", _raises_value_error, (ParamSpec(("any",), variadic=True),), ("string",)),
])
def test_a_user_functions_exception_is_a_function_error(declare: Any) -> None:
    table = build_function_table([declare()])
    calls = [lambda: table.call_function("strict", ["x"]), lambda: table.positional_caller("strict", 1)("x"),
             lambda: jmespath.search("strict('x')", {}, options=jmespath.Options(custom_functions=table))]
    direct = table.direct_call("strict", 1)
    assert direct is not None
    calls.append(lambda: direct[0]("x"))
    for call in calls:
        with pytest.raises(FunctionError) as raised:
            call()
        assert str(raised.value) == "strict(): ValueError: no x"
        assert isinstance(raised.value.__cause__, ValueError)


def test_a_user_functions_jmespath_errors_pass_unchanged() -> None:
    table = build_function_table([jmespath_function("strict")(_raises_own_function_error)])
    with pytest.raises(FunctionError) as raised:
        table.call_function("strict", ["x"])
    assert str(raised.value) == "strict(): refuses x" and raised.value.__cause__ is None


@pytest.mark.parametrize("call", [
    lambda table: table.call_function("strict", ["x"]),
    lambda table: table.positional_caller("strict", 1)("x"),
])
def test_a_traceback_through_a_caller_shows_its_source(call: Any) -> None:
    # The callers are generated: their source is in linecache, so tracebacks and pdb show its lines.
    table = build_function_table([jmespath_function("strict")(_raises_value_error)])
    with pytest.raises(FunctionError) as raised:
        call(table)
    frames = [frame for frame in traceback.extract_tb(raised.value.__cause__.__traceback__)
              if frame.filename.startswith("<mapper generated")]
    assert frames and "strict()" in frames[0].filename
    assert frames[0].name.startswith("call_strict") and frames[0].line == "return func(a0)"


def test_library_calls_are_not_wrapped() -> None:
    # The library raises FunctionError by design: its callers have no try, and compiled code may
    # call the function itself.
    for name, spec in LIBRARY_FUNCTIONS.items():
        assert not spec.wrap_errors, name
        assert "try:" not in TABLE.caller(name).__source__  # type: ignore[attr-defined]
        direct = TABLE.direct_call(name, spec.min_args)
        assert direct is None or direct[0] is spec.func


@pytest.mark.parametrize(("values", "expected"), [
    (["CLM-", "P1"], "CLM-P1"), (["a", "", "b"], "ab"), (["a"], "a"), (["a", 1, None, 2.5], "a12.5"),
    ([None, None], None), ([None, "x"], "x"), ([1, 2], "12"), (["x", True], "TypeError"),
])
def test_concat_of_strings_only_joins_them_as_concat_of_anything(values: list[Any], expected: Any) -> None:
    try:
        result = TABLE.call_function("concat", values)
    except JMESPathTypeError:
        result = "TypeError"
    assert result == expected
