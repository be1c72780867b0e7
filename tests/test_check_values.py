"""The checker's verdict on a value under a subschema of the target (``tooling.check.values``).

jsonschema-rs judges in place, and the reference ``jsonschema`` explains only what it refuses; the reference
alone (``descend`` at the node, as the checker did before) is the oracle: every subschema of every shipped
schema, and of the checker's corpus, gives the same answer, message included, for the values its own keywords
name and for any JSON value, but one: a ``pattern`` is an ECMA-262 regular expression, whose ``\\s`` does not
match the separators U+001C to U+001F nor U+0085, as Python's does. There jsonschema-rs decides, as it
decides for every record the engine converts: the checker refuses no value that a conversion accepts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema.exceptions
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper.schemas import Schema, SchemaNode, load_schema
from mapper.tooling.check.values import ValueJudge
from mapper.validation import error_message

ROOT = Path(__file__).parent.parent
SCHEMAS = sorted({*(ROOT / "schemas").rglob("*.schema.json"), *(ROOT / "tests" / "data" / "check").rglob("*.json")}
                 - {ROOT / "schemas" / "mapping.schema.json"})


def reference_violation(schema: Schema, node: SchemaNode, value: Any) -> str | None:
    reference = _REFERENCES.get(schema.uri) or _REFERENCES.setdefault(schema.uri, schema.validator(check_formats=True))
    errors = list(reference.descend(value, node.schema, resolver=node.resolver))
    best = jsonschema.exceptions.best_match(errors)
    return None if best is None else error_message(best)


_REFERENCES: dict[str, Any] = {}


def nodes(node: SchemaNode | None, depth: int = 6) -> Iterator[SchemaNode]:
    """``node`` and the nodes the checker reaches from it: properties and items, a few levels down."""
    if node is None or depth == 0:
        return
    yield node
    yield from nodes(node.items(), depth - 1)
    for name in node.property_names():
        yield from nodes(node.property(name), depth - 1)


def named_values(node: SchemaNode) -> list[Any]:
    """The values a subschema names (its const, enum, default, examples): the likeliest to sit on an edge."""
    found: list[Any] = []
    for part in node.parts():
        if isinstance(part.schema, dict):
            found.extend(part.schema.get("enum", []))
            found.extend(part.schema.get("examples", []))
            found.extend(part.schema[key] for key in ("const", "default") if key in part.schema)
    return found


#: The characters Python's ``\\s`` matches and ECMA-262's does not (``test_a_pattern_is_read_as_ecma_262``).
PYTHON_ONLY_SPACES = "\x1c\x1d\x1e\x1f\x85"
TEXT = st.text(st.characters(blacklist_characters=PYTHON_ONLY_SPACES), max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT | st.sampled_from(["2024-02-30", "2024-02-29", "a@b.example", "https://x.example/", "+1",
                                              "EUR", "", "12:30:00Z", "2023-06-30T23:59:60Z"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8)


@pytest.fixture(scope="module", params=SCHEMAS, ids=[str(path.relative_to(ROOT)) for path in SCHEMAS])
def schema(request: pytest.FixtureRequest) -> Schema:
    try:
        return load_schema(request.param)
    except Exception as error:  # noqa: BLE001 - the corpus holds broken schemas too: nothing to judge there
        pytest.skip(f"does not load: {error}")


def test_the_named_values_are_judged_as_the_reference_judges_them(schema: Schema) -> None:
    judge = ValueJudge(schema)
    for node in nodes(schema.root):
        for value in [*named_values(node), None, "", 0, 1.5, [], {}]:
            assert judge.violation(node, value) == reference_violation(schema, node, value), (node, value)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON, pick=st.integers(0, 10**6))
def test_any_value_is_judged_as_the_reference_judges_it(schema: Schema, value: Any, pick: int) -> None:
    reached = list(nodes(schema.root))
    node = reached[pick % len(reached)]
    assert ValueJudge(schema).violation(node, value) == reference_violation(schema, node, value)


@pytest.mark.parametrize("separator", list(PYTHON_ONLY_SPACES))
def test_a_pattern_is_read_as_ecma_262(separator: str) -> None:
    # As the engine reads it (jsonschema-rs judges every record): Python's re alone takes these for spaces.
    schema = load_schema(ROOT / "schemas" / "fhir" / "datatypes.schema.json")
    node = SchemaNode(schema.contents["$defs"]["uri"], schema.root.scope)
    value = f"a{separator}b"
    assert reference_violation(schema, node, value) is not None
    assert ValueJudge(schema).violation(node, value) is None
    assert jsonschema_rs.validator_for(node.schema).is_valid(value)  # the engine's judge of records


def test_a_value_beyond_64_bits_is_left_to_the_reference() -> None:
    schema = load_schema(ROOT / "schemas" / "marketing" / "member.schema.json")
    node = SchemaNode({"type": "integer", "maximum": 10}, schema.root.scope)  # not in the file: no place either
    assert ValueJudge(schema).violation(node, 2**70) == reference_violation(schema, node, 2**70)
    assert ValueJudge(schema).violation(schema.root, 2**70) == reference_violation(schema, schema.root, 2**70)
