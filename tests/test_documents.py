"""Reading YAML and JSON with positions, YAML 1.2 scalars, and syntax errors that say where."""

from __future__ import annotations

import pytest

from mapper.documents import parse_json, parse_yaml
from mapper.errors import MappingSyntaxError


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("NO", "NO"), ("no", "no"), ("on", "on"), ("Yes", "Yes"), ("y", "y"),  # YAML 1.1 booleans stay text
        ("true", True), ("False", False), ("~", None), ("null", None), ("", None),
        ("12:30", "12:30"), ("010", 10), ("0o17", 15), ("0x1F", 31), ("1_000", "1_000"),
        ("-3", -3), ("2.50", 2.5), ("1e3", 1000.0), ("2024-03-05", "2024-03-05"), ("'01234'", "01234"),
    ],
)
def test_scalars_follow_the_yaml_1_2_core_schema(text: str, value: object) -> None:
    assert parse_yaml(f"key: {text}\n", "t.yaml").data == {"key": value}


def test_keys_are_text_as_in_json() -> None:
    assert parse_yaml("1: one\ntrue: yes\nNO: Norway\n", "t.yaml").data == {"1": "one", "true": "yes", "NO": "Norway"}


def test_every_node_has_its_line_and_column() -> None:
    document = parse_yaml("rules:\n  name:\n    from: first\n  tags:\n    - a\n    - b\n", "m.yaml")
    assert str(document.locate(("rules", "name", "from"))) == "m.yaml:3:11"
    assert str(document.locate(("rules", "name", "from"), key=True)) == "m.yaml:3:5"
    assert str(document.locate(("rules", "tags", 1))) == "m.yaml:6:7"
    assert str(document.locate(("rules", "missing", "deeper"))) == "m.yaml:2:3"


def test_json_positions_are_found_when_asked() -> None:
    document = parse_json('{\n  "a": {\n    "b": [1, 2]\n  }\n}', "s.json")
    assert document.data == {"a": {"b": [1, 2]}}
    assert str(document.locate(("a", "b", 1))) == "s.json:3:14"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "m.yaml:2:1: duplicate key 'a' (first defined on line 1)"),
        ("a: [1, 2\nb: 3\n", "m.yaml:2:2: invalid YAML: did not find expected ',' or ']'"),
        ("a:\n  - x\n - y\n", "m.yaml:3:2: invalid YAML: did not find expected key"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", "m.yaml:3:3: YAML merge keys (<<) are not supported; write the keys out"),
        ("a: !!python/object:os.system x\n", "m.yaml:1:4: unsupported YAML tag tag:yaml.org,2002:python/object:os.system"),
        ("a: .nan\n", "m.yaml:1:4: .nan is not a JSON number"),
    ],
)
def test_yaml_errors_give_file_line_and_column(text: str, message: str) -> None:
    with pytest.raises(MappingSyntaxError) as raised:
        parse_yaml(text, "m.yaml")
    assert str(raised.value) == message


def test_json_errors_give_file_line_and_column() -> None:
    with pytest.raises(MappingSyntaxError) as raised:
        parse_json('{"a": 1,\n "b": tru}', "m.json")
    assert str(raised.value) == "m.json:2:7: invalid JSON: Expecting value"
