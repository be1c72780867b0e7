"""The mapping-file rules, and their two drivers: loading raises the first problem, ``check`` lists them all.

The agreement tests run every error case of tests/cases/ and every corpus case
of tests/data/check/ that loading refuses through both ``mapper.load`` and
``check_file``: the error raised must be one ``check`` lists, in the same words
and at the same file:line:column (for an expression, at the fault inside it).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import test_cases  # the case tables, and how their files are written (tests/ is on the path: rootdir)
import test_check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
from mapper import mapping_file
from mapper.documents import load_document, parse_yaml
from mapper.errors import Location, MappingError, MappingFormatError, UnknownNameError
from mapper.mapping_file import parse_mapping, read_mapping
from mapper.model import ValueRule, walk_rules
from mapper.tooling.check import check_file

ROOT = Path(__file__).parent.parent

ERROR_CASES = [path for path in test_cases.CASES if "error" in parse_yaml(path.read_text("utf-8"), path.name).data]
#: The codes of the problems loading refuses a mapping for (the rest only ``check`` sees).
LOAD_REFUSES = ("M100", "M101", "M102", "M103", "M104", "M105", "M108")
REFUSED_CORPUS = [path for path in test_check.CASES if path.stem.split("-")[0].upper() in LOAD_REFUSES]


def _loaded_error(path: str) -> tuple[str, Location]:
    """The message of the error ``mapper.load`` raises, and where it says its fault is."""
    with pytest.raises(MappingError) as raised:
        mapper.load(path)
    error = raised.value
    assert error.location is not None
    return error.message, error.location


def _listed(path: str) -> list[tuple[str, Location]]:
    return [(diagnostic.message, diagnostic.location) for diagnostic in check_file(path) if diagnostic.is_error]


def _params(paths: list[Path]) -> list[Any]:
    return [pytest.param(path, id=path.stem) for path in paths]


@pytest.mark.parametrize("case_file", _params(ERROR_CASES))
def test_load_and_check_agree_on_each_error_case(case_file: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    test_cases._write_case(parse_yaml(case_file.read_text("utf-8"), case_file.name).data, tmp_path)
    monkeypatch.chdir(tmp_path)
    assert _loaded_error("mapping.yaml") in _listed("mapping.yaml")


@pytest.mark.parametrize("case_file", _params(REFUSED_CORPUS))
def test_load_and_check_agree_on_each_corpus_case_loading_refuses(case_file: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    test_check._write_case(test_check._case(case_file), tmp_path)
    monkeypatch.chdir(tmp_path)
    assert _loaded_error("mapping.yaml") in _listed("mapping.yaml")


#: Broken mappings (rules of mapping.yaml, over `{"type": "object"}` schemas) and what load and check both say first.
BROKEN = [
    ('  a: "nosuch(id)"\n  b: "nosuch2(id)"\n', "mapping.yaml:5:7",
     "unknown function nosuch(); docs/functions.md lists every function"),
    ("  a: 'upper(nosuch(id))'\n", "mapping.yaml:5:13",
     "unknown function nosuch(); docs/functions.md lists every function"),
    ('  a: "phones[?type==\'mobile\' | [0].number"\n', "mapping.yaml:5:42",
     "the expression ends too early (is a bracket, brace or parenthesis left open?)"),
    ("  a: {from: x, lookup: nope}\n", "mapping.yaml:5:24", "unknown lookup 'nope'; the file defines no lookups"),
    ("  a: \"lookup('nope', x)\"\n", "mapping.yaml:5:7", "unknown lookup 'nope'; the file defines no lookups"),
    ("  a: length(x, x)\n", "mapping.yaml:5:6", "length() takes 1 argument, not 2"),
    ("  a: {const: 1, from: x}\n", "mapping.yaml:5:17",
     "rule 'a': `const` cannot go with `from`: a constant has no source to read"),
    ("  a: $undefined\n", "mapping.yaml:5:6", "undefined variable $undefined"),
]


@pytest.mark.parametrize(("rules", "where", "message"), BROKEN, ids=[rules.strip() for rules, _, _ in BROKEN])
def test_load_and_check_give_one_place_and_one_text(rules: str, where: str, message: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mapping.yaml").write_text(HEAD.replace("s.json", "schema.json").replace("t.json", "schema.json")
                                           + "rules:\n" + rules, encoding="utf-8")
    (tmp_path / "schema.json").write_text('{"type": "object"}', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    loaded = _loaded_error("mapping.yaml")
    assert (str(loaded[1]), loaded[0]) == (where, message)
    assert _listed("mapping.yaml")[0] == loaded


# -- read_mapping: every problem, the most relevant first -----------------------------------------

HEAD = "mapping: m\nsource: {schema: s.json}\ntarget: {schema: t.json}\n"


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        pytest.param(
            HEAD + "lookups:\n  status: {values: {A: a}}\nrules:\n"
                   "  a: {from: x, lookup: statuses}\n"
                   "  b: {const: 1, from: x, default: 2}\n"
                   "  c: {each: xs, lookup: nope}\n",
            # `const` beside a source breaks the format (the schema refuses it, for editors too): format first.
            ["m.yaml:8:17: rule 'b': `const` cannot go with `from`: a constant has no source to read",
             "m.yaml:8:26: rule 'b': `const` cannot go with `default`: a constant has no source to read",
             "m.yaml:7:24: unknown lookup 'statuses' (did you mean 'status'?); defined: status",
             "m.yaml:9:25: unknown lookup 'nope'; defined: status"],
            id="format-problems-then-rule-problems-in-file-order"),
        pytest.param(
            HEAD + "lookups:\n  status: {values: {A: a}, file: x.csv}\n  broken: {valuez: {}}\nrules:\n"
                   "  a: {from: x, lookup: nope}\n"
                   "  b: {from: ''}\n"
                   "  c: {from: x, lookup: broken}\n"
                   "  d: {each: xs, lookup: nope}\n",
            # Deepest first, then the rules as far as they can be read: `c` names a lookup that breaks the format
            # (reported), so it is read without it, silently.
            ["m.yaml:9:13: rule 'b.from': an expression cannot be empty",
             'm.yaml:6:11: lookups.broken: {"valuez": {}} is not valid under any of the given schemas',
             "m.yaml:5:28: lookup 'status': give `values` or `file`, not both",
             "m.yaml:8:24: unknown lookup 'nope'; defined: status",
             "m.yaml:11:25: unknown lookup 'nope'; defined: status"],
            id="a-format-problem-hides-no-other-problem"),
        pytest.param(
            "mapping: m\nsource: {schema: s.json, validat: true}\ntarget: {schema: t.json}\nrules:\n"
            "  a: {from: x, lookup: nope}\n",
            ["m.yaml:2:26: unknown key 'validat' in source (did you mean 'validate'?); allowed: format, namespaces, "
             "records, schema, validate, xml",
             "m.yaml:5:24: unknown lookup 'nope'; the file defines no lookups"],
            id="a-side-with-an-unknown-key-is-read-with-its-schema"),
        pytest.param(
            HEAD + "rules:\n  a: {from: x, lookup: nope}\n  b: {rules: {c: y}, lookup: nope}\n",
            ["m.yaml:5:24: unknown lookup 'nope'; the file defines no lookups",
             "m.yaml:6:22: rule 'b': `lookup` translates values, it cannot go with `rules` (an object)",
             "m.yaml:6:30: unknown lookup 'nope'; the file defines no lookups"],
            id="a-rule-with-two-problems-has-both"),
        pytest.param(
            "mapping: m\nsource: {schema: s.json}\nrules:\n  a: {from: x, defualt: 1}\n",
            [("m.yaml:4:16: unknown key 'defualt' in rule 'a' (did you mean 'default'?); allowed: const, default, "
              "each, from, ignore, let, lookup, mapping, rules, todo, when (to build a nested object with such a field, put its fields under "
              "`rules:`)"),
             "m.yaml:1:1: the mapping file needs 'target'"],
            id="format-problems-deepest-first"),
        pytest.param("- a\n- b\n",
                     ["m.yaml:1:1: a mapping file must hold an object (mapping:, source:, target:, rules:)"],
                     id="not-an-object"),
        pytest.param(HEAD + "rules:\n  a: x\n", [], id="clean"),
    ],
)
def test_read_mapping_finds_every_problem_and_load_raises_the_first(text: str, problems: list[str]) -> None:
    document = parse_yaml(text, "m.yaml")
    assert [str(problem) for problem in read_mapping(document).problems] == problems
    if problems:
        with pytest.raises(MappingError) as raised:
            parse_mapping(document)
        assert str(raised.value) == problems[0]
    else:
        assert [key for key, _ in parse_mapping(document).rules.fields] == ["a"]


def test_a_rule_naming_an_unknown_lookup_is_read_without_it() -> None:
    read = read_mapping(parse_yaml(HEAD + "rules:\n  a: {from: x, lookup: nope}\n  b: {from: y}\n", "m.yaml"))
    assert read.spec is not None
    rules = [rule for rule in walk_rules(read.spec.rules) if isinstance(rule, ValueRule)]
    assert [(rule.name, rule.lookup) for rule in rules] == [("a", None), ("b", None)]
    assert read.without_lookup == {Location("m.yaml", 5, 3)}
    assert [type(problem) for problem in read.problems] == [UnknownNameError]


def test_a_rule_breaking_the_format_is_read_as_unreadable_and_the_rest_as_written() -> None:
    read = read_mapping(parse_yaml(HEAD + "rules:\n  a: {from: x, defualt: 1}\n  b: 5\n  c: {from: y}\n", "m.yaml"))
    assert read.spec is not None
    assert [(key, type(rule).__name__) for key, rule in read.spec.rules.fields] == [
        ("a", "ValueRule"), ("b", "ValueRule"), ("c", "ValueRule")]
    assert read.unreadable == {Location("m.yaml", 5, 3), Location("m.yaml", 6, 3)}
    assert [type(problem) for problem in read.problems] == [MappingFormatError, MappingFormatError]


def test_a_document_breaking_the_format_has_no_spec() -> None:
    read = read_mapping(parse_yaml(HEAD + "rules: {}\n", "m.yaml"))
    assert read.spec is None
    assert [type(problem) for problem in read.problems] == [MappingFormatError]


# -- a property: whatever the rules, loading raises a problem check lists -------------------------

EXPRESSIONS = st.sampled_from(["id", "name.last", "tags[0]", "a[", "b]", "@"])
FIELDS = st.sampled_from(["id", "name", "from", "to", "status"])
#: Values for each rule key, and a misspelt key: any combination of them is drawn, allowed or not.
RULE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "from": EXPRESSIONS, "each": EXPRESSIONS, "when": EXPRESSIONS, "const": st.just("c"),
    "default": st.just("d"), "lookup": st.sampled_from(["status", "statuses"]), "defualt": st.just("d"),
}


@st.composite
def _rule(draw: st.DrawFn, depth: int = 0) -> Any:
    keys = draw(st.sets(st.sampled_from(list(RULE_VALUES) + (["rules"] if depth < 1 else [])), max_size=4))
    if not keys:
        return draw(EXPRESSIONS)
    return {key: draw(_rules(depth + 1)) if key == "rules" else draw(RULE_VALUES[key]) for key in sorted(keys)}


def _rules(depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(FIELDS, _rule(depth), min_size=1, max_size=3)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=_rules(), with_lookups=st.booleans())
def test_loading_raises_a_problem_check_lists(rules: dict[str, Any], with_lookups: bool) -> None:
    document: dict[str, Any] = {"mapping": "m", "source": {"schema": "s.json"}, "target": {"schema": "t.json"}}
    if with_lookups:
        document["lookups"] = {"status": {"values": {"A": "a"}}}
    document["rules"] = rules
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as directory:
        os.chdir(directory)
        try:
            Path("mapping.yaml").write_text(json.dumps(document, indent=2), encoding="utf-8")
            for name in ("s.json", "t.json"):
                Path(name).write_text('{"type": "object"}', encoding="utf-8")
            listed = _listed("mapping.yaml")
            try:
                mapper.load("mapping.yaml")
            except MappingError:
                assert _loaded_error("mapping.yaml") in listed
        finally:
            os.chdir(cwd)


# -- the format check: jsonschema-rs decides, the pure-Python validator only explains (issue 15) ------------

@pytest.mark.parametrize("path", sorted((ROOT / "mappings").glob("*.yaml")), ids=lambda path: path.name)
def test_a_mapping_that_follows_the_format_never_meets_the_slow_validator(path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def slow() -> None:
        raise AssertionError("the pure-Python validator ran on a mapping that follows the format")

    monkeypatch.setattr(mapping_file, "_format_validator", slow)
    read = read_mapping(load_document(path))
    assert read.spec is not None and read.problems == ()
