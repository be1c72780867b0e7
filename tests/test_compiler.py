"""The rule compiler: generated builders for deep rule trees and long expressions."""

from __future__ import annotations

import json
from pathlib import Path

import mapper


def test_deeply_nested_objects_and_arrays_compile(tmp_path: Path) -> None:
    # Python refuses more than 20 nested blocks in one function: each target
    # object gets its own generated function, so depth is not limited by it.
    depth = 30
    rules: dict[str, object] = {"leaf": "parent(`0`).v", "top": "root().v", "position": "index()"}
    for level in reversed(range(depth)):
        rules = {f"o{level}": {"each": "[@]", "rules": rules}}
    (tmp_path / "any.schema.json").write_text(json.dumps({"type": "object"}))
    mapping_file = tmp_path / "deep.json"
    mapping_file.write_text(json.dumps({"mapping": "deep", "source": {"schema": "any.schema.json"},
                                        "target": {"schema": "any.schema.json"}, "rules": rules}))
    output = mapper.load(mapping_file).apply({"v": "leaf"})
    for level in range(depth):
        output = output[f"o{level}"][0]
    assert output == {"leaf": "leaf", "top": "leaf", "position": 0}


def test_the_generated_source_is_kept_for_debugging() -> None:
    mapping = mapper.load(Path(__file__).parent.parent / "mappings" / "crm-contact-to-member.yaml")
    source = mapping.compiled.source
    assert "def generated(data, scope, path, failures):" in source
    assert "# merge_fields.ADDRESS" in source
    assert all(not expression.interpreted for expression in mapping.compiled.expressions)
