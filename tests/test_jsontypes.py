"""The JSON type of a value, in each vocabulary: the decision about 2.0 is pinned here."""

from __future__ import annotations

import datetime
from typing import Any

import jmespath
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapper.jsontypes import JSON_TYPES, jmespath_type, json_type, schema_type, type_allows, with_article

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=8,
)


@pytest.mark.parametrize(
    ("value", "as_written", "for_json_schema", "for_jmespath"),
    [
        (None, "null", "null", "null"),
        (True, "boolean", "boolean", "boolean"),
        (False, "boolean", "boolean", "boolean"),
        (0, "integer", "integer", "number"),
        (2, "integer", "integer", "number"),
        # The one value the vocabularies disagree on: written as a number, an integer for JSON Schema.
        (2.0, "number", "integer", "number"),
        (-0.0, "number", "integer", "number"),
        (2.5, "number", "number", "number"),
        ("2", "string", "string", "string"),
        ([], "array", "array", "array"),
        ({}, "object", "object", "object"),
        (datetime.date(2024, 1, 1), "date", "date", "unknown"),
    ],
)
def test_the_type_of_a_value_in_each_vocabulary(value: Any, as_written: str, for_json_schema: str,
                                                 for_jmespath: str) -> None:
    assert json_type(value) == as_written
    assert schema_type(value) == for_json_schema
    assert jmespath_type(value) == for_jmespath


@pytest.mark.parametrize(
    ("types", "kind", "allowed"),
    [
        ({"integer"}, "integer", True),
        ({"number"}, "integer", True),
        ({"integer"}, "number", False),
        ({"string", "null"}, "null", True),
        ({"string"}, "boolean", False),
        (set(), "string", False),
    ],
)
def test_a_number_type_allows_integers_and_not_the_other_way(types: set[str], kind: str, allowed: bool) -> None:
    assert type_allows(types, kind) is allowed


@pytest.mark.parametrize(
    ("kind", "words"),
    [("integer", "an integer"), ("number", "a number"), ("string", "a string"), ("boolean", "a boolean"),
     ("array", "an array"), ("object", "an object"), ("null", "null"), ("datetime", "a datetime")],
)
def test_a_type_reads_with_its_article(kind: str, words: str) -> None:
    assert with_article(kind) == words


@given(JSON_VALUES)
def test_the_narrowest_schema_type_is_json_schemas_type_check(value: Any) -> None:
    checker = jsonschema.Draft202012Validator.TYPE_CHECKER
    assert schema_type(value) in JSON_TYPES
    for name in JSON_TYPES:
        assert type_allows({name}, schema_type(value)) is checker.is_type(value, name), name


@given(JSON_VALUES)
def test_the_jmespath_type_is_what_jmespath_says(value: Any) -> None:
    assert jmespath_type(value) == jmespath.search("type(@)", value)


@given(JSON_VALUES)
def test_the_type_as_written_differs_from_the_schema_type_only_for_whole_floats(value: Any) -> None:
    whole_float = isinstance(value, float) and value.is_integer()
    assert (json_type(value) != schema_type(value)) is whole_float
