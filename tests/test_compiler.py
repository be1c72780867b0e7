"""The rule compiler: generated builders for deep rule trees and long expressions, code people can
debug (names, comments, tracebacks, a module that runs on its own), and which errors reject a record."""

from __future__ import annotations

import ast
import json
import linecache
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jmespath.exceptions import JMESPathError, JMESPathTypeError

import mapper
import mapper.runtime
from mapper.codegen import Emitter
from mapper.coercion import CoercionError
from mapper.functions import FunctionError
from mapper.runtime import RUNTIME, EachTypeError, LookupMiss, Scope
from mapper.tooling.fixtures import find_cases, read_input

ROOT = Path(__file__).parent.parent
SHIPPED = sorted((ROOT / "mappings").glob("*.yaml"))


def _mapping(tmp_path: Path, rules: dict[str, Any], target: dict[str, Any] | None = None,
             extra: dict[str, Any] | None = None, **load: Any) -> mapper.Mapping:
    (tmp_path / "any.schema.json").write_text(json.dumps({"type": "object"}))
    (tmp_path / "target.schema.json").write_text(json.dumps(target or {"type": "object"}))
    mapping_file = tmp_path / "rules.json"
    mapping_file.write_text(json.dumps({"mapping": "test", "source": {"schema": "any.schema.json"},
                                        "target": {"schema": "target.schema.json"}, "rules": rules, **(extra or {})}))
    return mapper.load(mapping_file, **load)


def test_deeply_nested_objects_and_arrays_compile(tmp_path: Path) -> None:
    # Python refuses more than 20 nested blocks in one function: each target
    # object gets its own generated function, so depth is not limited by it.
    depth = 30
    rules: dict[str, object] = {"leaf": "parent(`0`).v", "top": "root().v", "position": "index()"}
    for level in reversed(range(depth)):
        rules = {f"o{level}": {"each": "[@]", "rules": rules}}
    output = _mapping(tmp_path, rules).apply({"v": "leaf"})
    for level in range(depth):
        output = output[f"o{level}"][0]
    assert output == {"leaf": "leaf", "top": "leaf", "position": 0}


# -- code people can debug ---------------------------------------------------------------------------

CRM = mapper.load(ROOT / "mappings" / "crm-contact-to-member.yaml")


@pytest.mark.parametrize("expected", [
    "def build_record(data, scope, path, failures):",
    "def build_merge_fields__ADDRESS(data, scope, path, failures):",
    "def build_tags__item(data, outer, index, path, failures):",
    "# merge_fields.ADDRESS.city: ",
    "crm-contact-to-member.yaml:36\n",
    "table_email_status = {",
    "lookup_email_status = lookup_translator('email_status', ",
    "call_lower = functions.positional_caller('lower', 1)",
    "except RULE_ERRORS as error:",
])
def test_the_generated_source_names_builders_constants_and_rules(expected: str) -> None:
    assert expected in CRM.compiled.source
    assert all(not expression.interpreted for expression in CRM.compiled.expressions)


def test_no_builder_is_anonymous() -> None:
    assert "def generated" not in CRM.compiled.source and "_v1" not in CRM.compiled.source


def test_builders_source_is_in_linecache() -> None:
    code = CRM.compiled.build.__code__
    lines = linecache.getlines(code.co_filename)
    assert "".join(lines) == CRM.compiled.build.__source__  # type: ignore[attr-defined]
    assert lines[0].startswith("def build_record(")


@mapper.jmespath_function("explode")
def _explode(value: Any) -> Any:
    raise RuntimeError("a bug in a user function")


def test_a_traceback_through_a_builder_shows_its_lines(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, {"name": "explode(name)"}, functions=[_explode])
    (problem,) = mapping.result({"name": "x"}).problems
    assert isinstance(problem.cause, FunctionError)
    text = problem.traceback_text()
    assert '<mapper generated builder of the record #' in text
    assert ", in build_record\n    explode = func_explode(name)\n" in text
    assert "RuntimeError: a bug in a user function" in text


def test_the_runtime_does_not_import_the_generator() -> None:
    tree = ast.parse(Path(mapper.runtime.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"codegen", "expressions", "compiler", "pysource", "mapping"}


def test_every_runtime_global_is_importable_under_its_name() -> None:
    assert all(getattr(mapper.runtime, name) is value for name, value in RUNTIME.items())


# -- a module that runs on its own ----------------------------------------------------------------------

_RUN_EXPORTED = """
import json, sys
from mapper.runtime import Scope
namespace = {}
exec(compile(open(sys.argv[1], encoding="utf-8").read(), sys.argv[1], "exec"), namespace)
built = []
for record in json.load(sys.stdin):
    failures = []
    scope = Scope.top(record) if sys.argv[2] == "scope" else None
    output = namespace["build_record"](record, scope, (), failures)
    built.append([output, [[list(path), str(error)] for path, error in failures]])
json.dump(built, sys.stdout)
"""


def _build_here(mapping: mapper.Mapping, record: Any) -> list[Any]:
    failures: list[Any] = []
    scope = Scope.top(record) if mapping.compiled.uses_scope else None
    output = mapping.compiled.build(record, scope, (), failures)
    return [output, [[list(path), str(error)] for path, error in failures]]


@pytest.mark.parametrize("mapping_file", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_the_source_runs_on_its_own_and_builds_the_same_records(mapping_file: Path, tmp_path: Path) -> None:
    mapping = mapper.load(mapping_file)
    records = [record for case in find_cases(mapping_file) for record in read_input(mapping, case.input_path)[0]
               if not isinstance(record, mapper.PayloadError)]  # a CSV row that is no record never reaches a rule
    assert records
    module = tmp_path / "exported.py"
    module.write_text(mapping.compiled.source, encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", _RUN_EXPORTED, str(module),
                          "scope" if mapping.compiled.uses_scope else "none"],
                         input=json.dumps(records), capture_output=True, text=True, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [_build_here(mapping, record) for record in records]


def test_an_expression_on_the_fallback_interpreter_is_exported_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(Emitter, "_comparator")
    mapping = _mapping(tmp_path, {"big": "n > `2`", "n": "n"})
    assert [expression.interpreted for expression in mapping.compiled.expressions] == [True, False]
    assert "interpret_big = compile_expression('n > `2`', functions).evaluate" in mapping.compiled.source
    namespace: dict[str, Any] = {}
    exec(mapping.compiled.source, namespace)  # noqa: S102 (the mapping's own generated source)
    assert namespace["build_record"]({"n": 3}, None, (), []) == mapping.apply({"n": 3}) == {"big": True, "n": 3}


def test_a_user_function_that_cannot_be_imported_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    shout = mapper.jmespath_function("shout")(lambda value: value)
    mapping = _mapping(tmp_path, {"name": "shout(name)"}, functions=[shout])
    assert mapping.apply({"name": "x"}) == {"name": "x"}
    with pytest.raises(mapper.MappingError, match=r"cannot be written as a module: .*<lambda>.* cannot be "
                                                  r"imported by module and name: define it at module level"):
        mapping.compiled.source  # noqa: B018


# -- only rule errors reject a record ---------------------------------------------------------------------


@pytest.mark.parametrize(("rules", "extra", "record", "kind", "message"), [
    ({"n": "to_integer(n)"}, {}, {"n": "x"}, JMESPathError, 'to_integer(): cannot read "x" as an integer'),
    ({"n": "upper(n)"}, {}, {"n": 1}, JMESPathTypeError,
     "upper(): argument 1 must be a string or null, not the number 1"),
    ({"n": {"from": "n", "lookup": "codes"}}, {"lookups": {"codes": {"values": {"a": "A"}}}}, {"n": "b"},
     LookupMiss, "'b' is not in lookup 'codes' and the lookup has no default"),
    ({"n": {"each": "n", "rules": {"v": "@"}}}, {}, {"n": "text"}, EachTypeError,
     "`each` needs an array, got a string"),
])
def test_each_rule_error_rejects_the_record_with_its_message(
        tmp_path: Path, rules: dict[str, Any], extra: dict[str, Any], record: Any, kind: type[Exception],
        message: str) -> None:
    mapping = _mapping(tmp_path, rules, extra=extra)
    [result] = mapping.apply_many([record])
    [problem] = result.problems
    assert problem.message == message
    assert isinstance(problem.cause, kind)


def test_a_lossy_coercion_rejects_the_record(tmp_path: Path) -> None:
    target = {"type": "object", "properties": {"n": {"type": "integer"}}}
    [result] = _mapping(tmp_path, {"n": "n"}, target).apply_many([{"n": 1.5}])
    assert [type(problem.cause) for problem in result.problems] == [CoercionError]


def test_a_bug_in_the_generated_code_is_an_error_not_a_rejected_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(built: Any) -> Any:
        raise KeyError("a generator bug")

    monkeypatch.setitem(RUNTIME, "with_values", broken)  # type: ignore[index]
    mapping = _mapping(tmp_path, {"address": {"rules": {"city": "city"}}})
    with pytest.raises(KeyError, match="a generator bug"):
        list(mapping.apply_many([{"city": "Oslo"}]))


def test_a_user_function_raising_a_plain_error_rejects_the_record(tmp_path: Path) -> None:
    # A user function's error depends on the record it was given: the table makes it a FunctionError.
    mapping = _mapping(tmp_path, {"name": "explode(name)"}, functions=[_explode])
    (result,) = mapping.apply_many([{"name": "x"}])
    (problem,) = result.problems
    assert problem.message == "explode(): RuntimeError: a bug in a user function"
    assert isinstance(problem.cause, FunctionError) and isinstance(problem.cause.__cause__, RuntimeError)
