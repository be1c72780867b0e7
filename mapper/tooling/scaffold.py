"""A first mapping drafted from two schemas: every target field listed, most of them guessed.

``scaffold(source, target)`` walks the target schema in its own order and, for
each field, looks for the source field that matches it by name and by a
compatible type, within the current source scope and one level below it
(``MailingAddress.City``). Names match across case, ``_``/``-``/camelCase and
common synonyms (``zip`` and ``PostalCode``, ``FNAME`` and ``FirstName``);
types match where mapper's coercion converts without loss (an integer into a
string field) and an object or an array of objects becomes a nested rule
(``from`` + ``rules``, ``each`` + ``rules``). What finds no match becomes a
``todo`` rule, which loads and which ``mapper check`` reports. Each guess
carries how sure it is, written as a comment beside it.

``Draft.yaml()`` is the mapping file; ``Draft.rules`` the tree it writes, for
tools that compare drafts (the hit rate of the shipped scenarios), and
``tally`` counts what it guessed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..schemas import Schema, SchemaNode

__all__ = ["Constant", "Draft", "Guess", "Nested", "Tally", "Todo", "mapping_name", "name_match", "scaffold", "tally",
           "words"]

#: How deep below the current scope a source field is looked for (``Account.Name`` is one level down).
_DEPTH = 2

#: Words that name the same thing in the systems integration work meets, as the canonical words they stand for.
_SYNONYMS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("first",): ("given", "forename"),
    ("first", "name"): ("fname", "firstname", "givenname"),
    ("last",): ("family", "surname"),
    ("last", "name"): ("lname", "lastname", "familyname"),
    ("email",): ("mail", "emailaddress"),
    ("phone",): ("telephone", "tel", "mobile", "cell"),
    ("postal", "code"): ("zip", "zipcode", "postcode", "postalcode"),
    ("address", "1"): ("addr1", "street", "line1", "address1", "streetaddress"),
    ("address",): ("addr",),
    ("state",): ("province", "region"),
    ("company",): ("account", "organization", "organisation", "employer", "org"),
    ("birth", "date"): ("birthday", "birthdate", "dob"),
    ("created",): ("signup", "creation", "inserted"),
    ("updated",): ("modified", "changed"),
    ("date",): ("timestamp", "time", "at"),
    ("id",): ("identifier",),
    ("language",): ("locale", "lang"),
    ("description",): ("summary", "details", "notes"),
    ("quantity",): ("qty",),
    ("amount",): ("total", "price", "cost"),
}
_CANONICAL = {word: canon for canon, spellings in _SYNONYMS.items() for word in spellings}
#: Words most fields have: sharing one of them alone says little.
_GENERIC = frozenset({"name", "code", "id", "date", "value", "type", "number"})
#: Parts of names that carry no meaning of their own (Salesforce's custom-field suffix ``__c``).
_NOISE = frozenset({"c", "the", "of", "a"})

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_./-]*\Z")
_YAML_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"})


# -- the draft ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guess:
    """A field read from a source path (an expression), with how sure the guess is and why."""

    expression: str
    confidence: str  # "high", "medium" or "low"
    reason: str


@dataclass(frozen=True)
class Constant:
    """A field the target allows one value for."""

    value: object


@dataclass(frozen=True)
class Todo:
    """A field no source field matches: written as a ``todo`` rule, with what the target takes."""

    note: str


@dataclass(frozen=True)
class Nested:
    """An object (``each`` false) or an array of objects (``each`` true) with rules of its own, read
    from ``source`` (None: the object's fields read the current scope)."""

    fields: tuple[tuple[str, Rule], ...]
    source: Guess | None = None
    each: bool = False


Rule = Guess | Constant | Todo | Nested


@dataclass(frozen=True)
class Draft:
    """A drafted mapping: its name, the two schema paths as the file writes them, and the rules."""

    name: str
    source_schema: str
    target_schema: str
    rules: tuple[tuple[str, Rule], ...]
    source_format: str = "json"
    target_format: str = "json"

    def yaml(self) -> str:
        """The mapping file, with a comment on each guess and a ``todo`` for each field left to write."""
        lines = [
            "# yaml-language-server: $schema=https://schemas.mapper.example/mapping.schema.json",
            f"# Drafted by `mapper scaffold` ({tally(self.rules)}). Check every guess: its comment says",
            "# how sure it is. Replace every `todo` with a rule; `mapper check` lists them.",
            f"mapping: {self.name}",
            f"source: {{schema: {_scalar(self.source_schema, _PLAIN_PATH)}, format: {self.source_format}}}",
            f"target: {{schema: {_scalar(self.target_schema, _PLAIN_PATH)}, format: {self.target_format}}}",
            "",
            "rules:",
        ]
        lines.extend(_rule_lines(self.rules, 1))
        return "\n".join(lines) + "\n"

@dataclass(frozen=True)
class Tally:
    """How many target fields a draft guesses (by confidence), fixes to a constant, and leaves to write."""

    guessed: dict[str, int]
    constants: int
    todo: int

    @property
    def fields(self) -> int:
        return sum(self.guessed.values()) + self.constants + self.todo

    def __str__(self) -> str:
        sure = ", ".join(f"{number} {level}" for level, number in self.guessed.items() if number)
        constants = f", {self.constants} constant{'s' if self.constants != 1 else ''}" if self.constants else ""
        return (f"{self.fields} target fields: {sum(self.guessed.values())} guessed ({sure or 'none'}){constants}, "
                f"{self.todo} to write")


def tally(rules: tuple[tuple[str, Rule], ...]) -> Tally:
    """What ``rules`` (a draft's, nested rules included) guess, fix and leave to write."""
    guessed = {"high": 0, "medium": 0, "low": 0}
    constants = todo = 0
    for _, rule in rules:
        if isinstance(rule, Nested):
            inner = tally(rule.fields)
            for level, number in inner.guessed.items():
                guessed[level] += number
            constants, todo = constants + inner.constants, todo + inner.todo
        elif isinstance(rule, Guess):
            guessed[rule.confidence] += 1
        elif isinstance(rule, Constant):
            constants += 1
        else:
            todo += 1
    return Tally(guessed, constants, todo)


# -- writing YAML ----------------------------------------------------------------------------------


def _scalar(text: str, plain: re.Pattern[str] = _PLAIN_KEY) -> str:
    """A YAML scalar for ``text``: as is when plain, else a JSON string (which YAML reads alike)."""
    return text if plain.match(text) and text.lower() not in _YAML_WORDS else json.dumps(text, ensure_ascii=False)


def _comment(guess: Guess) -> str:
    return f"  # guess ({guess.confidence}): {guess.reason}"


def _rule_lines(rules: tuple[tuple[str, Rule], ...], level: int) -> Iterator[str]:
    indent = "  " * level
    for key, rule in rules:
        name = _scalar(key)
        if isinstance(rule, Guess):
            yield f"{indent}{name}: {json.dumps(rule.expression, ensure_ascii=False)}{_comment(rule)}"
        elif isinstance(rule, Constant):
            value = json.dumps(rule.value, ensure_ascii=False)
            yield f"{indent}{name}: {{const: {value}}}  # the target allows this value only"
        elif isinstance(rule, Todo):
            yield f"{indent}{name}: {{todo: {json.dumps(rule.note, ensure_ascii=False)}}}"
        elif rule.source is None:
            yield f"{indent}{name}:"
            yield from _rule_lines(rule.fields, level + 1)
        else:
            yield f"{indent}{name}:"
            keyword = "each" if rule.each else "from"
            expression = json.dumps(rule.source.expression, ensure_ascii=False)
            yield f"{indent}  {keyword}: {expression}{_comment(rule.source)}"
            yield f"{indent}  rules:"
            yield from _rule_lines(rule.fields, level + 2)


# -- matching names ---------------------------------------------------------------------------------


def words(name: str) -> tuple[str, ...]:
    """The words of a field name, lower case, synonyms made canonical: ``MailingAddress`` ->
    ``("mailing", "address")``, ``FNAME`` -> ``("first",)``, ``PostalCode`` -> ``("postal", "code")``."""
    parts = [part.lower() for part in _WORD.findall(name) if part.lower() not in _NOISE]
    whole = "".join(parts)
    if whole in _CANONICAL:  # `FirstName`, `zip_code` as one word
        return _CANONICAL[whole]
    if (whole,) in _SYNONYMS:  # `e-mail`
        return (whole,)
    found: list[str] = []
    for word in parts:
        found.extend(_CANONICAL.get(word, (word,)))
    return tuple(found)


def name_match(target: str, source: str) -> tuple[float, str] | None:
    """How well ``source`` names what ``target`` names (0..1) and why; None when they do not match."""
    if target.lower() == source.lower() or _squash(target) == _squash(source):
        return 1.0, "same name"
    wanted, offered = words(target), words(source)
    if not wanted or not offered:
        return None
    if wanted == offered or set(wanted) == set(offered):
        return 0.9, "same name in other words"
    shared = set(wanted) & set(offered)
    meaningful = shared - _GENERIC
    if meaningful and (set(wanted) <= set(offered) or set(offered) <= set(wanted)):
        # `COMPANY` is `Account.Name` rather than `Account.Id`: a name is what a person reads.
        extra = set(offered) - set(wanted)
        return 0.6 + (0.05 if extra == {"name"} else 0), f"the names share {', '.join(sorted(meaningful))}"
    if offered == ("id",) and wanted[-1] == "id":
        return 0.5, "the source's identifier"
    ratio = difflib.SequenceMatcher(None, "".join(wanted), "".join(offered)).ratio()
    if ratio >= 0.85:
        return 0.5, "similar names"
    return None


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# -- matching types ---------------------------------------------------------------------------------


def _kinds(node: SchemaNode) -> frozenset[str]:
    types = node.types()
    return frozenset({"string", "number", "integer", "boolean", "object", "array", "null"}) if types is None \
        else types - {"null"}


def _fits(target: SchemaNode, source: SchemaNode) -> str | None:
    """Why a value of ``source`` fits ``target`` as mapper converts it; None when it cannot."""
    wanted, offered = _kinds(target), _kinds(source)
    if not offered or not wanted:
        return None
    if offered <= wanted or (offered == {"integer"} and "number" in wanted):
        return _type_words(offered)
    if "string" in wanted and offered <= {"number", "integer"}:
        return f"{_type_words(offered)} into a string"
    if wanted <= {"integer", "number"} and offered == {"string"}:
        return None  # text into a number: mapper converts "42", but a name match alone does not say it is one
    return None


def _type_words(kinds: frozenset[str]) -> str:
    return " or ".join(sorted(kinds))


def _format_note(target: SchemaNode, source: SchemaNode) -> str:
    wanted, offered = target.keyword("format"), source.keyword("format")
    if wanted and offered and wanted != offered:
        return f"; the target's format is {wanted}, the source's {offered}: convert it"
    if wanted and not offered:
        return f"; the target's format is {wanted}: check the source's"
    return ""


# -- the walk --------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    path: tuple[str, ...]
    node: SchemaNode
    score: float
    reason: str = field(default="")


def _path_expression(path: tuple[str, ...]) -> str:
    return ".".join(part if _IDENTIFIER.match(part) else json.dumps(part) for part in path)


def _source_fields(scope: SchemaNode, depth: int = _DEPTH, prefix: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], SchemaNode]]:
    for name in scope.property_names():
        node = scope.property(name)
        if node is None:
            continue
        yield prefix + (name,), node
        if depth > 1 and "object" in _kinds(node) and "array" not in _kinds(node):
            yield from _source_fields(node, depth - 1, prefix + (name,))


def _best(key: str, target: SchemaNode, scope: SchemaNode | None, used: set[tuple[str, ...]],
          want: str | None = None) -> _Candidate | None:
    """The source field under ``scope`` that best matches target field ``key`` (a nested one scores a
    little less, and must match by its own name); ``want`` asks for an object or an array of objects."""
    if scope is None:
        return None
    best: _Candidate | None = None
    for path, node in _source_fields(scope):
        if path in used:
            continue
        matched = name_match(key, path[-1])
        if matched is None and len(path) > 1:
            matched = name_match(key, "".join(path))  # `COMPANY` and `Account.Name`
            matched = None if matched is None else (matched[0] * 0.9, matched[1])
        if matched is None:
            continue
        score, reason = matched
        score *= 0.95 ** (len(path) - 1)
        if want == "object":
            fits = "an object" if "object" in _kinds(node) else None
        elif want == "array":
            items = node.items()
            fits = "an array of objects" if "array" in _kinds(node) and items is not None \
                and "object" in _kinds(items) else None
        else:
            fits = _fits(target, node)
            if fits is not None:
                fits += _format_note(target, node)
        if fits is None:
            continue
        if best is None or score > best.score:
            best = _Candidate(path, node, score, f"{reason}; {fits}")
    return best


def _confidence(score: float) -> str:
    return "high" if score >= 0.9 else "medium" if score >= 0.6 else "low"


def _guess(candidate: _Candidate) -> Guess:
    return Guess(_path_expression(candidate.path), _confidence(candidate.score), candidate.reason)


def _fields(target: SchemaNode, scope: SchemaNode | None) -> tuple[tuple[str, Rule], ...]:
    used: set[tuple[str, ...]] = set()
    required = target.required()
    rules = []
    for key in target.property_names():
        node = target.property(key)
        if node is not None:
            rules.append((key, _field(key, node, scope, used, key in required)))
    return tuple(rules)


def _field(key: str, target: SchemaNode, scope: SchemaNode | None, used: set[tuple[str, ...]],
           required: bool) -> Rule:
    const = target.keyword("const")
    enum = target.keyword("enum")
    if const is not None or (isinstance(enum, list) and len(enum) == 1):
        return Constant(const if const is not None else enum[0])
    kinds = _kinds(target)
    items = target.items()
    if kinds == {"object"} and target.property_names():
        found = _best(key, target, scope, used, want="object")
        if found is not None:
            used.add(found.path)
            return Nested(_fields(target, found.node), _guess(found))
        return Nested(_fields(target, scope))
    if kinds == {"array"} and items is not None and _kinds(items) == {"object"}:
        found = _best(key, target, scope, used, want="array")
        if found is not None:
            used.add(found.path)
            source_items = found.node.items()
            return Nested(_fields(items, source_items), _guess(found), each=True)
    found = _best(key, target, scope, used)
    if found is not None:
        used.add(found.path)
        return _guess(found)
    return Todo(_todo_note(target, required))


def _todo_note(target: SchemaNode, required: bool) -> str:
    kinds = _kinds(target)
    what = "any value" if len(kinds) > 5 else _type_words(kinds)
    if kinds == {"object"} and not target.property_names():
        what = "an object with keys of its choosing"
    enum = target.keyword("enum")
    if isinstance(enum, list):
        shown = ", ".join(json.dumps(value, ensure_ascii=False) for value in enum[:6])
        what += f" (one of {shown}{', ...' if len(enum) > 6 else ''})"
    elif target.keyword("format"):
        what += f" ({target.keyword('format')})"
    return f"no source field matches: the target takes {what}{', required' if required else ''}"


def scaffold(source: Schema, target: Schema, *, name: str, source_schema: str, target_schema: str,
             source_format: str = "json", target_format: str = "json") -> Draft:
    """The draft mapping from ``source`` to ``target`` (see the module's docstring); ``source_schema``
    and ``target_schema`` are the paths the file names them by."""
    return Draft(name, source_schema, target_schema, _fields(target.root, source.root), source_format,
                 target_format)


def mapping_name(source: Path, target: Path) -> str:
    """``contact-to-member`` for contact.schema.json and member.schema.json."""
    def stem(path: Path) -> str:
        base = path.name.split(".")[0]
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-") or "schema"
    return f"{stem(source)}-to-{stem(target)}"
