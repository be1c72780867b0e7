"""The source writer of generated functions: names, blocks, define(), linecache, exported globals."""

from __future__ import annotations

import keyword
import linecache
import traceback
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapper.pysource import Module, NotExportable, Recipe, identifier


def _reject(value: Any, position: int) -> None:
    raise TypeError(f"argument {position} must be a string, not {value!r}")


def _checked_upper() -> tuple[Module, Any]:
    """A checked call as functions.py writes them: a few checks, then a return."""
    module = Module()
    writer = module.writer()
    accepted = writer.bind(frozenset({str, type(None)}), "accepts")
    with writer.block(f"if type(a0) not in {accepted}:"):
        writer.line(f"{writer.bind(_reject, 'reject')}(a0, 1)")
    call = writer.define("call_upper", ["a0"], returns=f"{writer.bind(str.upper, 'func')}(a0)")
    return module, call


def test_a_defined_function_runs_and_keeps_its_source() -> None:
    module, call = _checked_upper()
    assert call("abc") == "ABC"
    with pytest.raises(TypeError, match="argument 1 must be a string, not 1"):
        call(1)
    assert call.__name__ == "call_upper" and module.namespace["call_upper"] is call
    assert call.__source__ == module.functions["call_upper"] == (
        "def call_upper(a0):\n"
        "    if type(a0) not in accepts:\n"
        "        reject(a0, 1)\n"
        "    return func(a0)\n")


def test_tracebacks_show_the_generated_lines() -> None:
    _, call = _checked_upper()
    assert "".join(linecache.getlines(call.__code__.co_filename)) == call.__source__
    with pytest.raises(TypeError) as raised:
        call(1)
    assert "in call_upper\n    reject(a0, 1)\n" in "".join(traceback.format_exception(raised.value))


def test_each_function_gets_a_file_name_of_its_own() -> None:
    first, second = _checked_upper()[1], _checked_upper()[1]
    assert first.__code__.co_filename != second.__code__.co_filename


def test_a_prologue_comes_first_and_an_empty_body_passes() -> None:
    module = Module()
    writer = module.writer()
    assert writer.define("nothing", []) is not None
    writer = module.writer()
    with writer.block("if flag:"):
        pass
    function = writer.define("twice", ["flag", "x"], prologue=["x = x * 2"], returns="x")
    assert function(True, 3) == 6
    assert "    if flag:\n        pass\n" in function.__source__


@pytest.mark.parametrize(("taken", "prefix", "expected"), [
    ((), "status", "status"),
    (("status",), "status", "status_2"),
    (("status", "status_2"), "status", "status_3"),
    ((), "len", "len_2"),          # a builtin: shadowing it would break len()
    ((), "class", "class_2"),      # a keyword
    ((), "Tier__c", "Tier__c"),
    ((), "merge-fields.ADDRESS", "merge_fields_ADDRESS"),
    ((), "1st", "_1st"),
    ((), "名前", "value"),
    ((), "__init__", "init"),
])
def test_fresh_names_are_readable_and_never_handed_out_twice(taken: tuple[str, ...], prefix: str,
                                                            expected: str) -> None:
    module = Module()
    for name in taken:
        module.fresh(name)
    assert module.fresh(prefix) == expected


@given(st.lists(st.text(max_size=8), max_size=12))
def test_fresh_names_are_always_unique_identifiers(prefixes: list[str]) -> None:
    module = Module({"initial": 1}, reserved=("data",))
    names = [module.fresh(prefix) for prefix in prefixes]
    assert len(set(names)) == len(names)
    assert all(name.isidentifier() and not keyword.iskeyword(name) for name in names)
    assert not {"initial", "data"} & set(names)


def test_bind_shared_binds_once_per_key() -> None:
    module = Module()
    assert module.bind_shared("k", 1, "one") == module.bind_shared("k", 2, "other") == "one"
    assert module.namespace["one"] == 1


def test_identifier_falls_back_when_nothing_is_left() -> None:
    assert identifier("***", "field") == "field"


def test_the_globals_source_rebuilds_every_bound_value() -> None:
    module = Module({"_reject": _reject}, initial_from=__name__)  # imported under the same name
    writer = module.writer()
    table = writer.bind({"A": "subscribed", "n": [1, 2.5, None, True]}, "table")
    bounds = writer.bind(slice(1, None, -1), "bounds")
    kinds = writer.bind(frozenset({int, float, type(None)}), "kinds")
    upper = writer.bind(str.upper, "upper", Recipe("str.upper"))
    identify = writer.bind(identifier, "identify")
    infinity = writer.bind(float("inf"), "infinity")
    writer.line(f"if type(x) not in {kinds}: _reject(x, 1)")
    result = f"({table}, [3, 2, 1][{bounds}], {upper}('a'), {identify}('a b'), {infinity})"
    function = writer.define("everything", ["x"], returns=result)
    namespace: dict[str, Any] = {}
    exec(module.globals_source() + "\n\n" + module.source, namespace)  # noqa: S102 (the test's own source)
    assert namespace["everything"](1) == function(1)
    with pytest.raises(TypeError):
        namespace["everything"]("text")


def test_a_value_that_cannot_be_rebuilt_is_named() -> None:
    module = Module()
    module.bind(lambda value: value, "shout")
    with pytest.raises(NotExportable, match=r"shout \(.*<lambda>\) cannot be imported by module and name"):
        module.globals_source()
