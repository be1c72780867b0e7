"""``mapper scaffold``: a draft mapping from two schemas, as a user runs it, and how often it guesses right.

The hit rate compares each shipped scenario's draft with the shipped mapping: a target field is right
when the draft reads a source path that the shipped rule reads too (``fields.created`` for a shipped
``to_utc(fields.created)``), with the scopes of the enclosing rules joined in.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.model import EachRule, ObjectRule, Rule
from mapper.parser import parse
from mapper.tooling.scaffold import Guess, Nested, Todo, name_match, scaffold, words

ROOT = Path(__file__).parent.parent
MAPPINGS = sorted((ROOT / "mappings").glob("*.yaml"))
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


def _mapper(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXECUTABLE, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


# -- names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("MailingAddress", ("mailing", "address")),
        ("FNAME", ("first", "name")),
        ("first_name", ("first", "name")),
        ("PostalCode", ("postal", "code")),
        ("zip", ("postal", "code")),
        ("PreferredLanguage__c", ("preferred", "language")),
        ("e-mail", ("email",)),
        ("timestamp_signup", ("date", "created")),
        ("HTTPStatus", ("http", "status")),
    ],
)
def test_names_are_read_as_words(name: str, expected: tuple[str, ...]) -> None:
    assert words(name) == expected


@pytest.mark.parametrize(
    ("target", "source", "score"),
    [
        ("email", "Email", 1.0),
        ("postal_code", "PostalCode", 1.0),
        ("zip", "PostalCode", 0.9),
        ("FNAME", "FirstName", 0.9),
        ("birthday", "Birthdate", 0.9),
        ("country", "CountryCode", 0.6),
        ("COMPANY", "AccountName", 0.65),
        ("external_id", "Id", 0.5),
        ("city", "State", None),
        ("status", "Id", None),
    ],
)
def test_names_match_across_case_separators_and_synonyms(target: str, source: str, score: float | None) -> None:
    matched = name_match(target, source)
    assert (matched[0] if matched else None) == score


# -- the command --------------------------------------------------------------------------------------


SOURCE = {
    "type": "object",
    "properties": {
        "Id": {"type": "integer"},
        "FirstName": {"type": "string"},
        "last_name": {"type": "string"},
        "Email": {"type": "string", "format": "email"},
        "Address": {"type": "object", "properties": {"Street": {"type": "string"}, "Zip": {"type": "string"}}},
        "Orders": {"type": "array", "items": {"type": "object", "properties": {
            "OrderNumber": {"type": "string"}, "Total": {"type": "number"}}}},
        "Active": {"type": "boolean"},
    },
}
TARGET = {
    "type": "object",
    "required": ["external_id", "email", "kind"],
    "properties": {
        "external_id": {"type": "string"},
        "kind": {"const": "contact"},
        "email": {"type": "string", "format": "email"},
        "given_name": {"type": "string"},
        "family_name": {"type": "string"},
        "address": {"type": "object", "properties": {"line1": {"type": "string"}, "postal_code": {"type": "string"}}},
        "orders": {"type": "array", "items": {"type": "object", "properties": {
            "order_number": {"type": "string"}, "amount": {"type": "number"}, "notes": {"type": "string"}}}},
        "segment": {"enum": ["a", "b"]},
    },
}


@pytest.fixture()
def schemas(tmp_path: Path) -> Path:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "contact.schema.json").write_text(json.dumps(SOURCE), encoding="utf-8")
    (tmp_path / "schemas" / "member.schema.json").write_text(json.dumps(TARGET), encoding="utf-8")
    (tmp_path / "mappings").mkdir()
    return tmp_path


def test_the_draft_lists_every_target_field_and_loads(schemas: Path) -> None:
    done = _mapper("scaffold", "schemas/contact.schema.json", "schemas/member.schema.json",
                   "-o", "mappings/draft.yaml", cwd=schemas)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr == ("mapper scaffold: 11 target fields: 8 guessed (7 high, 1 low), 1 constant, "
                           "2 to write in mappings/draft.yaml\n")
    text = (schemas / "mappings" / "draft.yaml").read_text(encoding="utf-8")
    assert "source: {schema: ../schemas/contact.schema.json, format: json}" in text
    assert '  external_id: "Id"  # guess (low): the source\'s identifier; integer into a string' in text
    assert '  kind: {const: "contact"}  # the target allows this value only' in text
    assert '  given_name: "FirstName"  # guess (high): same name in other words; string' in text
    assert '    each: "Orders"  # guess (high): same name; an array of objects' in text
    assert '      notes: {todo: "no source field matches: the target takes string"}' in text
    assert '  segment: {todo: "no source field matches: the target takes string (one of \\"a\\", \\"b\\")"}' in text
    mapping = mapper.load(schemas / "mappings" / "draft.yaml")
    record = {"Id": 7, "FirstName": "Ada", "last_name": "Lovelace", "Email": "ada@example.org",
              "Address": {"Street": "12 St James's Sq", "Zip": "SW1Y"}, "Orders": [{"OrderNumber": "A-1", "Total": 9.5}]}
    assert mapping.apply(record) == {
        "external_id": "7", "kind": "contact", "email": "ada@example.org", "given_name": "Ada",
        "family_name": "Lovelace", "address": {"line1": "12 St James's Sq", "postal_code": "SW1Y"},
        "orders": [{"order_number": "A-1", "amount": 9.5}],
    }


def test_the_draft_goes_to_standard_output_without_o(schemas: Path) -> None:
    done = _mapper("scaffold", "schemas/contact.schema.json", "schemas/member.schema.json", "--name", "crm-to-list",
                   cwd=schemas)
    assert done.returncode == 0, done.stderr
    assert "mapping: crm-to-list\n" in done.stdout
    assert "source: {schema: schemas/contact.schema.json, format: json}" in done.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["schemas/nope.json", "schemas/member.schema.json"], "mapper: error: schema file not found: schemas/nope.json"),
        (["schemas/contact.schema.json", "schemas/member.schema.json", "-o", "mappings/existing.yaml"],
         "mapper: error: mappings/existing.yaml exists: give --force to replace it"),
    ],
)
def test_what_scaffold_refuses(schemas: Path, arguments: list[str], message: str) -> None:
    (schemas / "mappings" / "existing.yaml").write_text("# mine\n", encoding="utf-8")
    done = _mapper("scaffold", *arguments, cwd=schemas)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[0] == message
    assert (schemas / "mappings" / "existing.yaml").read_text(encoding="utf-8") == "# mine\n"


# -- the hit rate on the shipped scenarios ------------------------------------------------------------


def _paths_read(text: str) -> set[str]:
    """The dotted field paths an expression reads (``fields.created`` in ``to_utc(fields.created)``)."""
    found: set[str] = set()

    def chain(node: dict[str, Any]) -> str | None:
        if node["type"] == "field":
            return str(node["value"])
        if node["type"] == "subexpression":
            parts = [chain(child) for child in node["children"]]
            return ".".join(part for part in parts if part) if all(parts) else None
        return None

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        whole = chain(node)
        if whole is not None:
            found.add(whole)
            return
        for child in node.get("children", ()):
            walk(child)

    walk(parse(text))
    return found


def _shipped(rule: Rule, name: str, scopes: tuple[str, ...], out: dict[str, set[str]]) -> None:
    """Each target field of the shipped mapping and the source paths its rule reads, scopes joined."""
    def joined(paths: set[str]) -> set[str]:
        return {".".join((*scopes, path)) for path in paths}

    if isinstance(rule, ObjectRule):
        inner = scopes
        if rule.scope is not None:
            paths = _paths_read(rule.scope.text)
            inner = (*scopes, next(iter(paths))) if len(paths) == 1 else ("?",)
        for key, child in rule.fields:
            _shipped(child, f"{name}.{key}" if name else key, inner, out)
    elif isinstance(rule, EachRule):
        paths = _paths_read(rule.levels[0].expr.text) if len(rule.levels) == 1 else set()
        inner = (*scopes, next(iter(paths))) if len(paths) == 1 else ("?",)
        if isinstance(rule.item, ObjectRule):
            for key, child in rule.item.fields:
                _shipped(child, f"{name}[].{key}", inner, out)
        out[name] = joined(paths)
    else:
        out[name] = joined(_paths_read(rule.source.text)) if rule.source is not None else set()


def _draft_paths(rules: tuple[tuple[str, Any], ...], name: str, scopes: tuple[str, ...],
                 out: dict[str, str | None]) -> None:
    for key, rule in rules:
        field = f"{name}.{key}" if name else key
        if isinstance(rule, Nested):
            inner = (*scopes, rule.source.expression) if rule.source is not None else scopes
            if rule.each and rule.source is not None:
                out[field] = ".".join((*scopes, rule.source.expression))
            _draft_paths(rule.fields, f"{field}[]" if rule.each else field, inner, out)
        elif isinstance(rule, Guess):
            out[field] = ".".join((*scopes, rule.expression))
        elif isinstance(rule, Todo):
            out[field] = None


def hit_rate(path: Path) -> tuple[int, int, int]:
    """(right, guessed, target fields) of the draft of the shipped mapping at ``path``."""
    mapping = mapper.load(path)
    draft = scaffold(mapping.source_schema, mapping.target_schema, name="draft", source_schema="s",
                     target_schema="t")
    truth: dict[str, set[str]] = {}
    _shipped(mapping.spec.rules, "", (), truth)
    guesses: dict[str, str | None] = {}
    _draft_paths(draft.rules, "", (), guesses)
    right = sum(1 for field, read in guesses.items() if read is not None and read in truth.get(field, set()))
    return right, sum(read is not None for read in guesses.values()), len(guesses)


#: Target fields each shipped scenario's draft reads as the shipped mapping does (at least; raise on progress).
HITS = {
    "ccda-encounter-to-professional-claim": 0,
    "crm-contact-to-member": 11,
    "crm-export-csv-to-member": 14,
    "fhir-bundle-to-professional-claim": 0,
    "jira-issue-to-drive-file": 2,
    "metar-to-observation": 7,
    "nws-observation-to-observation": 2,
    "shopify-order-to-payment-intent": 3,
}


@pytest.mark.parametrize("path", MAPPINGS, ids=[path.stem for path in MAPPINGS])
def test_the_draft_of_each_shipped_scenario_loads_and_reads_what_the_mapping_reads(path: Path, tmp_path: Path) -> None:
    mapping = mapper.load(path)
    draft = scaffold(mapping.source_schema, mapping.target_schema, name="draft",
                     source_schema=str(Path(mapping.spec.source.schema_path)),
                     target_schema=str(Path(mapping.spec.target.schema_path)))
    (tmp_path / "draft.yaml").write_text(draft.yaml(), encoding="utf-8")
    mapper.load(tmp_path / "draft.yaml")
    right, guessed, fields = hit_rate(path)
    assert right >= HITS[path.stem], f"{path.stem}: {right} of {fields} target fields as shipped ({guessed} guessed)"
