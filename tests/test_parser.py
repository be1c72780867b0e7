"""mapper's JMESPath parser: jmespath 1.1.0's trees and errors for its grammar, the community's for the rest.

Differential tests hold the old grammar to jmespath's own parser: every
expression of the vendored compliance suite, expressions built from the
grammar and texts glued from its tokens (most of them wrong) give the same
tree, or an error at the same column in the words mapper has always used.
tests/data/syntax/cases.json is the table of the new syntax: trees and errors.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import jmespath.parser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jmespath import exceptions as jmespath_errors

from mapper.errors import ExpressionError
from mapper.lexer import tokenize
from mapper.parser import BARE_NUMBER, INCOMPLETE, parse
from mapper.tooling.check import check_file

DATA = Path(__file__).parent / "data"
COMPLIANCE = DATA / "jmespath-compliance"
CASES = json.loads((DATA / "syntax" / "cases.json").read_text(encoding="utf-8"))

Outcome = tuple[str, Any, Any]


def jmespath_outcome(text: str) -> Outcome:
    """jmespath's tree, or its error in the words and at the column mapper has always reported."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PendingDeprecationWarning)  # jmespath's bare `literal`
            return "tree", jmespath.parser.Parser().parse(text).parsed, None
    except jmespath_errors.IncompleteExpressionError:
        return "error", INCOMPLETE, len(text)
    except jmespath_errors.LexerError as error:
        return "error", _sentence(error.message), error.lexer_position
    except jmespath_errors.ParseError as error:
        if error.token_type == "EOF":
            return "error", INCOMPLETE, len(text)
        if error.token_type.lower() == "number" and error.msg.lower() == "invalid token":
            # mapper says what a number needs there.
            return "error", BARE_NUMBER.format(error.token_value), error.lex_position
        return "error", _sentence(error.msg.replace("Expecting:", "expected", 1)), error.lex_position
    except jmespath_errors.EmptyExpressionError:
        return "error", "the expression is empty", 0


def _sentence(message: str) -> str:
    return f"{message[:1].lower()}{message[1:]}"


def mapper_outcome(text: str) -> Outcome:
    try:
        return "tree", parse(text), None
    except ExpressionError as error:
        assert error.expression == text
        return "error", error.message, error.offset


# -- the compliance suite ---------------------------------------------------------------------------

#: Compliance expressions jmespath refuses where the community's tokens (a lone ``?``, ``*`` after an
#: expression) now read further: mapper still refuses them, with what its grammar finds.
NEW_TOKENS_READ_FURTHER: dict[str, tuple[str, int]] = {
    "foo[*]*": (INCOMPLETE, 7),
    "foo[ ?bar==`\"baz\"`]": ("expected star, got: question", 5),
    "foo[?bar==baz?]": ("invalid token", 14),
}


def _compliance_expressions() -> list[str]:
    found: dict[str, None] = {}
    for path in sorted(COMPLIANCE.glob("*.json")):
        if path.name != "schema.json":
            for suite in json.loads(path.read_text(encoding="utf-8")):
                found.update(dict.fromkeys(case["expression"] for case in suite["cases"]))
    return list(found)


COMPLIANCE_EXPRESSIONS = _compliance_expressions()


@pytest.mark.parametrize("text", [text for text in COMPLIANCE_EXPRESSIONS if text not in NEW_TOKENS_READ_FURTHER])
def test_compliance_expression_parses_as_jmespath_does(text: str) -> None:
    assert mapper_outcome(text) == jmespath_outcome(text)


@pytest.mark.parametrize(("text", "error"), NEW_TOKENS_READ_FURTHER.items())
def test_compliance_expression_with_a_new_token_is_still_refused(text: str, error: tuple[str, int]) -> None:
    assert jmespath_outcome(text)[0] == "error"
    assert mapper_outcome(text) == ("error", *error)


def test_the_compliance_suite_is_all_there() -> None:
    assert len(COMPLIANCE_EXPRESSIONS) > 600
    assert set(NEW_TOKENS_READ_FURTHER) <= set(COMPLIANCE_EXPRESSIONS)


# -- generated expressions of the old grammar -------------------------------------------------------

NAMES = ["a", "b", "foo", "let", "in", '"q x"', '"a"']
atoms = st.sampled_from(NAMES + ["@", "`1`", "`-2.5`", "`\"s\"`", "`[1, {\"k\": null}]`", "`bare`", "'raw'",
                                 "'it\\'s'", "'back\\\\slash'", "*", "[]"])


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    name = st.sampled_from(NAMES)
    number = st.integers(-12, 12).map(str)
    bound = st.one_of(st.just(""), number)
    return st.one_of(
        st.builds("{}.{}".format, inner, name),
        st.builds("{}[{}]".format, inner, number),
        st.builds("{}[{}:{}]".format, inner, bound, bound),
        st.builds("{}[{}:{}:{}]".format, inner, bound, bound, bound),
        st.builds("{}[*].{}".format, inner, name),
        st.builds("{}[]".format, inner),
        st.builds("{}.*".format, inner),
        st.builds("{}[?{}]".format, inner, inner),
        st.builds("{}.[{}, {}]".format, inner, inner, inner),
        st.builds("{}.{{k: {}, \"j\": {}}}".format, inner, inner, inner),
        st.builds("{} {} {}".format, inner, st.sampled_from(["|", "||", "&&", "==", "!=", "<", "<=", ">", ">="]), inner),
        st.builds("!{}".format, inner),
        st.builds("({})".format, inner),
        st.builds("&{}".format, inner),
        st.builds("{}({}, {})".format, st.sampled_from(["f", "not_null", "sort_by"]), inner, inner),
        st.builds("{}()".format, st.sampled_from(["g", "root"])),
    )


old_grammar = st.recursive(atoms, _extend, max_leaves=10)


@settings(max_examples=400, deadline=None)
@given(old_grammar)
def test_old_grammar_parses_as_jmespath_does(text: str) -> None:
    assert mapper_outcome(text) == jmespath_outcome(text)


#: Pieces of the old grammar's texts; glued at random they make mostly wrong expressions.
PIECES = ["a", "b", "let", "in", '"q"', "'r'", "`1`", "`x`", ".", "[", "]", "[?", "[]", "[*]", ".*", ",", ":", "@",
          "(", ")", "{", "}", "|", "||", "&&", "&", "!", "==", "!=", "<", "<=", ">", ">=", "0", "1", "-1", " ",
          "f(", "~", "=", "`", "'", '"', "\\"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map("".join))
def test_glued_tokens_give_jmespath_trees_and_errors(text: str) -> None:
    assert mapper_outcome(text) == jmespath_outcome(text)


@pytest.mark.parametrize(("text", "value"), [("'a\\\\b'", "a\\\\b"), ("'a\\nb'", "a\\nb"), ("'it\\'s'", "it's")])
def test_raw_strings_keep_backslashes_as_jmespath_org_does(text: str, value: str) -> None:
    # The community reads ``\\`` as one backslash; mapper keeps jmespath.org's reading (FINDINGS.md).
    assert parse(text) == {"type": "literal", "value": value, "children": []}


# -- the new syntax ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES["parses"], ids=[case["expression"] for case in CASES["parses"]])
def test_new_syntax_tree(case: dict[str, Any]) -> None:
    tree = parse(case["expression"])
    assert tree == case["ast"]
    assert json.loads(json.dumps(tree)) == tree  # plain, JSON-ready dicts


@pytest.mark.parametrize("case", CASES["refuses"], ids=[case["expression"] for case in CASES["refuses"]])
def test_new_syntax_error(case: dict[str, Any]) -> None:
    assert mapper_outcome(case["expression"]) == ("error", case["error"], case["offset"])


@pytest.mark.parametrize("case", CASES["parses"], ids=[case["expression"] for case in CASES["parses"]])
def test_new_syntax_parses_the_same_inside_parentheses_and_a_function_call(case: dict[str, Any]) -> None:
    assert parse(f"f(({case['expression']}))") == {"type": "function_expression", "value": "f",
                                                   "children": [_shifted(case["ast"], 3)]}


def _shifted(node: Any, by: int) -> Any:
    if not isinstance(node, dict):
        return node
    moved = {key: _shifted(value, by) if key != "children" else [_shifted(child, by) for child in value]
             for key, value in node.items()}
    if "offset" in node:
        moved["offset"] = node["offset"] + by
    return moved


@pytest.mark.parametrize(("text", "tokens"), [
    ("a \u00d7 $b", [("unquoted_identifier", "a", 0), ("multiply", "\u00d7", 2), ("variable", "b", 4), ("eof", "", 6)]),
    ("let $a = $ in $a", [("unquoted_identifier", "let", 0), ("variable", "a", 4), ("assign", "=", 7),
                          ("root", "$", 9), ("unquoted_identifier", "in", 11), ("variable", "a", 14), ("eof", "", 16)]),
    ("a[-1] - b // c", [("unquoted_identifier", "a", 0), ("lbracket", "[", 1), ("number", -1, 2),
                        ("rbracket", "]", 4), ("minus", "-", 6), ("unquoted_identifier", "b", 8),
                        ("integer_divide", "//", 10), ("unquoted_identifier", "c", 13), ("eof", "", 14)]),
    ("x ? 'y' : `1`", [("unquoted_identifier", "x", 0), ("question", "?", 2), ("literal", "y", 4),
                       ("colon", ":", 8), ("literal", 1, 10), ("eof", "", 13)]),
])
def test_tokens_and_their_columns(text: str, tokens: list[tuple[str, Any, int]]) -> None:
    assert [(token.kind, token.value, token.start) for token in tokenize(text)] == tokens


# -- mapper check reads the new syntax ----------------------------------------------------------------

def test_check_accepts_new_syntax_and_finds_faults_inside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for side, schema in (("source", "person"), ("target", "member")):
        (tmp_path / f"{side}.schema.json").write_bytes((DATA / "check" / "schemas" / f"{schema}.schema.json").read_bytes())
    (tmp_path / "mapping.yaml").write_text(
        "mapping: new-syntax\n"
        "source: {schema: source.schema.json}\n"
        "target: {schema: target.schema.json}\n"
        "rules:\n"
        "  id: id\n"
        "  display_name: \"let $name = name in $name.first ? join(' ', [$name.first, $name.last]) : $.name.last\"\n"
        "  age: \"age ? to_string(age * `2` - `1`) : 'unknown'\"\n"
        "  nickname: \"vip ? nickname : nicknam\"\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert [str(found) for found in check_file("mapping.yaml")] == [
        "mapping.yaml:8:31: M301 error: the source schema has no field 'nicknam' in the source record "
        "(did you mean 'nickname'?)"]
