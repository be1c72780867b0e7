"""The front door for one expression: ``mapper.compile``, ``mapper.search`` and ``mapper eval`` (run in-process)."""

from __future__ import annotations

import io
import pickle
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jmespath.exceptions import JMESPathError

import mapper
from mapper.cli import run
from mapper.functions import FunctionError
from mapper.runtime import OrderingError

ROOT = Path(__file__).parent.parent

RECORD = {"name": "Ada", "tags": ["b", "a"], "n": 3, "mixed": [1, "x"], "people": [{"age": 36}, {"age": "?"}]}


@pytest.mark.parametrize(("expression", "data", "result"), [
    ("name", RECORD, "Ada"),
    ("sort(tags)", RECORD, ["a", "b"]),
    ("upper(name)", RECORD, "ADA"),
    ("people[?age > `30`].age", {"people": [{"age": 36}, {"age": 12}]}, [36]),
    ("root().n", RECORD, 3),  # the value is the record, as jmespath.search takes it
    ("missing.path", RECORD, None),
    ("`[1, 2]`", None, [1, 2]),
    ("coalesce(missing, name)", RECORD, "Ada"),
])
def test_search_gives_the_result(expression: str, data: Any, result: Any) -> None:
    assert mapper.search(expression, data) == result
    assert mapper.compile(expression).search(data) == result


# The whole message a user reads: ``str()`` of the error, caret and all.
@pytest.mark.parametrize(("expression", "data", "error", "message"), [
    ("name[", RECORD, mapper.ExpressionError,
     "the expression ends too early (is a bracket, brace or parenthesis left open?) (column 6 of the expression)\n"
     "  name[\n"
     "       ^"),
    ("tags | upperr(@)", RECORD, mapper.UnknownFunctionError,
     "unknown function upperr() (did you mean upper()?) (column 8 of the expression)\n"
     "  tags | upperr(@)\n"
     "         ^"),
    ("length(name, n)", RECORD, mapper.ExpressionError,
     "length() takes 1 argument, not 2 (column 1 of the expression)\n"
     "  length(name, n)\n"
     "  ^"),
    ("name || sort(mixed)", RECORD | {"name": None}, mapper.EvaluationError,
     'sort(): argument 1 must be an array of strings or an array of numbers, but it holds the string "x" '
     "(column 9 of the expression)\n"
     "  name || sort(mixed)\n"
     "          ^"),
    ("people[?age > `30`]", RECORD, mapper.EvaluationError,
     'cannot order the string "?" and the number 30 with > (column 13 of the expression)\n'
     "  people[?age > `30`]\n"
     "              ^"),
    ("parse_number(name)", RECORD, mapper.EvaluationError,
     'parse_number(): cannot read "Ada" as a number (decimal separator ".", thousands separator ",") '
     "(column 1 of the expression)\n"
     "  parse_number(name)\n"
     "  ^"),
    # Two calls of the function at fault: no column rather than perhaps the wrong one.
    ("[abs(n), abs(name)]", RECORD, mapper.EvaluationError,
     'abs(): argument 1 must be a number, not the string "Ada"\n'
     "  [abs(n), abs(name)]"),
])
def test_every_error_is_a_mapper_error_with_the_column(expression: str, data: Any, error: type[Exception],
                                                       message: str) -> None:
    with pytest.raises(error) as raised:
        mapper.search(expression, data)
    assert isinstance(raised.value, mapper.MapperError)
    assert str(raised.value) == message


def test_an_evaluation_error_keeps_the_fault_and_its_cause() -> None:
    with pytest.raises(mapper.EvaluationError) as raised:
        mapper.search("parse_number(name)", RECORD)
    error = raised.value
    assert isinstance(error, ValueError)
    assert (error.expression, error.function_name, error.offset) == ("parse_number(name)", "parse_number", 0)
    assert isinstance(error.__cause__, FunctionError)
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.function_name, copy.offset) == (
        mapper.EvaluationError, str(error), "parse_number", 0)


def test_an_ordering_error_names_no_function() -> None:
    with pytest.raises(mapper.EvaluationError) as raised:
        mapper.search("mixed[0] < mixed[1]", RECORD)
    assert raised.value.function_name is None and isinstance(raised.value.__cause__, OrderingError)


def test_calling_an_expression_raises_jmespaths_errors_as_they_are() -> None:
    # The engine's path: it turns them into a record's problems, and does not pay for wrapping.
    expression = mapper.compile("sort(mixed)")
    with pytest.raises(JMESPathError) as raised:
        expression(RECORD)
    assert not isinstance(raised.value, mapper.MapperError)
    with pytest.raises(mapper.EvaluationError):
        expression.search(RECORD)


def test_compiled_expressions_are_kept() -> None:
    assert mapper.compile("tags[0]") is mapper.compile("tags[0]")
    assert mapper.compile("mask(name)", functions=[mask]) is mapper.compile("mask(name)", functions=(mask,))
    assert mapper.compile("name", functions=[mask]) is not mapper.compile("name", functions=[shout])


@mapper.jmespath_function()
def mask(value: str) -> str:
    return "*" * len(value)


@mapper.jmespath_function()
def shout(value: str) -> str:
    if not value:
        raise ValueError("nothing to shout")
    return value.upper() + "!"


class _Unhashable:
    """A callable that cannot be hashed, so it cannot be a key of the cache."""

    __hash__ = None  # type: ignore[assignment]
    __name__ = "twice"

    def __call__(self, value: float) -> float:
        return value * 2


def test_user_functions_as_load_takes_them() -> None:
    assert mapper.search("mask(name)", RECORD, functions=[mask]) == "***"
    assert mapper.search("twice(n)", RECORD, functions=[_Unhashable()]) == 6
    with pytest.raises(mapper.UnknownFunctionError):
        mapper.search("mask(name)", RECORD)
    with pytest.raises(mapper.EvaluationError, match=r"^shout\(\): ValueError: nothing to shout \(column 1"):
        mapper.search("shout(name)", {"name": ""}, functions=[shout])


def test_a_compiled_expression_pickles() -> None:
    expression = mapper.compile("mask(name)", functions=[mask])
    assert pickle.loads(pickle.dumps(expression)).search(RECORD) == "***"


EXPRESSIONS = ["a", "a.b", "sort(a)", "length(a)", "a > b", "a[?b > `1`]", "upper(a)", "sum(a)", "max_by(a, &b)",
               "abs(a)", "join(', ', a)", "parse_number(a)", "keys(a)", "a[0:2]", "contains(a, b)"]
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=5), lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2), max_leaves=8)


@given(expression=st.sampled_from(EXPRESSIONS), data=JSON)
def test_search_gives_a_result_or_raises_a_mapper_error(expression: str, data: Any) -> None:
    try:
        mapper.search(expression, data)
    except mapper.MapperError:
        pass


# -- mapper eval, in-process (tests/test_cli_process.py runs it as a process) -------------------------


def _run(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    stdout, stderr = io.BytesIO(), io.StringIO()
    code = run(argv, io.BytesIO(stdin), stdout, stderr)
    return code, stdout.getvalue().decode("utf-8"), stderr.getvalue()


@pytest.mark.parametrize(("argv", "stdin", "output"), [
    (["eval", "tags"], b'{"tags": ["a", "b"]}', '[\n  "a",\n  "b"\n]\n'),
    (["eval", "tags", "-", "--compact"], b'{"tags": ["a", "b"]}', '["a","b"]\n'),
    (["eval", "-c", "@"], '{"name": "Zoë"}'.encode(), '{"name":"Zoë"}\n'),
    (["eval", "-r", "name"], '{"name": "Zoë"}'.encode(), "Zoë\n"),
    (["eval", "-r", "tags"], b'{"tags": ["a"]}', '[\n  "a"\n]\n'),  # -r changes strings only
    (["eval", "-n", "`[1, 2]`", "-c"], b"", "[1,2]\n"),
    (["eval", "nothing"], b"{}", "null\n"),
    (["eval", "n"], b'{"n": 12345678901234567890123}', "12345678901234567890123\n"),
])
def test_eval_prints_the_result_as_json(argv: list[str], stdin: bytes, output: str) -> None:
    assert _run(argv, stdin) == (0, output, "")


def test_eval_reads_a_file(tmp_path: Path) -> None:
    document = tmp_path / "doc.json"
    document.write_text('{"n": 2}', encoding="utf-8")
    assert _run(["eval", "n", str(document)]) == (0, "2\n", "")


@pytest.mark.parametrize(("argv", "stdin", "code", "message"), [
    (["eval", "name["], b"{}", 2,
     "mapper: error: the expression ends too early (is a bracket, brace or parenthesis left open?) "
     "(column 6 of the expression)\n  name[\n       ^\n"),
    (["eval", "abs(name)"], b'{"name": "x"}', 2,
     'mapper: error: abs(): argument 1 must be a number, not the string "x" (column 1 of the expression)\n'
     "  abs(name)\n  ^\n"),
    (["eval", "@"], b'{"a": [1,\n 2', 3, "mapper: error: <stdin>:2:3: invalid JSON: Unexpected end of data\n"),
    (["eval", "@"], b"\xff", 3, "mapper: error: <stdin>:1:1: invalid JSON: Str is not valid UTF-8: surrogates not allowed\n"),
    (["eval", "-n", "`1e400`"], b"", 2,
     "mapper: error: the result cannot be written as JSON: Out of range float values are not JSON compliant: "
     "inf\n  `1e400`\n"),
    (["eval", "-n", "a", "doc.json"], b"", 2, "mapper: error: give INPUT or --null-input, not both\n"),
])
def test_eval_errors(argv: list[str], stdin: bytes, code: int, message: str) -> None:
    assert _run(argv, stdin) == (code, "", message)


def test_eval_takes_your_functions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A module name of its own: tests/test_check.py imports another my_functions, which stays in sys.modules.
    (tmp_path / "eval_functions.py").write_text(
        "import mapper\n\n@mapper.jmespath_function()\ndef mask(value: str) -> str:\n    return '*' * len(value)\n",
        encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _run(["eval", "-r", "mask(name)", "--functions", "eval_functions"], b'{"name": "Ada"}') == (0, "***\n", "")


def test_eval_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["eval", "--help"])[0] == 0
    assert "examples:" in capsys.readouterr().out


def _eval_examples() -> list[tuple[str, str]]:
    """Each ``$ mapper eval ...`` line of docs/cli.md's console blocks, with what it prints."""
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    examples = []
    for block in re.findall(r"```console\n(.*?)```", cli, re.S):
        for command, output in re.findall(r"^\$ (.*?)\n(.*?)(?=^\$ |\Z)", block, re.S | re.M):
            if "mapper eval" in command:
                examples.append((command, output))
    return examples


def test_eval_is_documented() -> None:
    assert "mapper eval EXPRESSION" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(_eval_examples()) >= 4


@pytest.mark.parametrize(("command", "output"), _eval_examples())
def test_the_documented_eval_examples_print_what_the_doc_says(command: str, output: str) -> None:
    # The forms the doc uses: echo JSON | mapper eval ..., and mapper eval ... < FILE.
    stdin = b""
    if command.startswith("echo "):
        echoed, command = command.split(" | ", 1)
        stdin = shlex.split(echoed)[1].encode() + b"\n"
    words = shlex.split(command)
    if "<" in words:
        stdin = (ROOT / words[-1]).read_bytes()
        words = words[:words.index("<")]
    assert words[0] == "mapper"
    argv = [str(ROOT / word) if (ROOT / word).is_file() else word for word in words[1:]]
    code, out, err = _run(argv, stdin)
    assert out + err == output
    assert code == (2 if err else 0)
