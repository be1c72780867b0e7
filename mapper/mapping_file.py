"""The mapping-file format: every rule a mapping document must follow, and the spec it describes.

One rule set, two drivers (as jsonschema's ``iter_errors`` and ``validate``):
``read_mapping`` finds every problem of a document, each a ``MappingError``
located at the offending key or value, and reads the ``MappingSpec`` it
describes; loading (``parse_mapping``) raises the most relevant problem, and
``mapper check`` lists them all.

The document is first checked against ``mapping.schema.json`` (the same schema
editors use for completion): with jsonschema-rs, and, only for a document that
breaks it, with the pure-Python validator, whose errors say best what is wrong.
What a schema cannot say well (which rule keys go together, unknown lookup
names) is checked while the rules are read. The rules are read past the format
problems too, as far as the document allows, so that every problem is found in
one pass.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from .documents import DocPath, Document, load_document
from .errors import ExpressionError, Location, MappingError, MappingFormatError, UnknownNameError
from .lookup_files import read_table_file
from .model import (
    Binding,
    BuiltBinding,
    EachRule,
    Expr,
    LetBinding,
    Level,
    Lookup,
    MappingSpec,
    ObjectRule,
    Rule,
    Side,
    ValueRule,
    lookup_key,
)
from .schemas import json_spelling

if TYPE_CHECKING:  # the pure-Python validator is imported only to explain a document that breaks the format
    import jsonschema
    import jsonschema.exceptions

RULE_KEYS = ("from", "const", "each", "rules", "lookup", "default", "when", "todo", "mapping")
#: The pattern of a ``$name`` in ``mapping.schema.json`` (``$defs/name``).
_VARIABLE_NAME = "^[A-Za-z_][A-Za-z0-9_]*$"


def mapping_file_text() -> str:
    """The JSON Schema of the mapping-file format as shipped (``schemas/mapping.schema.json``), as text."""
    return resources.files("mapper").joinpath("data/mapping.schema.json").read_text("utf-8")


@cache
def mapping_file_schema() -> dict[str, Any]:
    """The JSON Schema of the mapping-file format (shipped as ``schemas/mapping.schema.json``)."""
    schema: dict[str, Any] = json.loads(mapping_file_text())
    return schema


@cache
def _fast_format_validator() -> Any:
    return jsonschema_rs.validator_for(mapping_file_schema())


@cache
def _format_validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator(mapping_file_schema())


@dataclass(frozen=True)
class MappingRead:
    """What reading a mapping document found.

    ``problems`` holds every problem, the most relevant first: format errors
    (``MappingFormatError``, one per place, the deepest first) come alone, as
    the rules are read only from a document that follows the format; then the
    problems of the rules (``MappingFormatError`` for keys that cannot go
    together, ``UnknownNameError`` for unknown lookups), rule by rule in file
    order.

    ``spec`` is None when the document is too broken to say what it maps (not
    an object; no ``rules`` object; a ``mapping`` name, ``source`` or
    ``target`` schema that breaks the format). Otherwise it is read past every
    problem: a rule naming an unknown (or broken) lookup is read without it
    (``without_lookup`` holds where such rules are written), and a rule that
    breaks the format or whose keys cannot go together is in ``unreadable``
    (where it is written; one that breaks the format is read as an empty
    constant), so that what checks the spec passes over them.
    """

    spec: MappingSpec | None
    problems: tuple[MappingError, ...]
    without_lookup: frozenset[Location] = frozenset()
    unreadable: frozenset[Location] = frozenset()
    #: Every rule built by a sub-mapping, sub-mappings within sub-mappings included, in file order.
    sub_mappings: tuple[SubMappingUse, ...] = ()


@dataclass(frozen=True)
class SubMappingUse:
    """A rule built by another mapping file (``mapping: line.yaml``), for ``mapper check`` to hold that
    file's target schema against the field the rule fills.

    ``target_path`` steps from the top of the mapping's target to that field: property names, ``[]``
    for the items of an ``each``. ``location`` is where ``mapping:`` names the file; ``target_schema``
    the resolved path of that file's target schema, named at ``target_schema_location``.
    """

    rule: str
    target_path: tuple[str, ...]
    location: Location
    target_schema: str
    target_schema_location: Location


def read_mapping(document: Document) -> MappingRead:
    """Every problem of a loaded mapping document, and the spec it describes (see ``MappingRead``)."""
    data = document.data
    located = _document_problems(document)
    format_problems = tuple(problem for _, problem in located)
    broken = frozenset(path for path, _ in located)
    if not _readable(data, broken):
        return MappingRead(None, format_problems)
    base = Path(document.file).resolve().parent
    lookup_problems: list[MappingError] = []
    lookups = _lookups(document, lookup_problems, broken)
    parser = _RuleParser(document, lookups, (str(Path(document.file).resolve()),), broken)
    parser.problems.extend(lookup_problems)
    rules = parser.object_rule("", ("rules",), data["rules"], scope=None, when=None,
                               bindings=parser.bindings((), data.get("let", {})))
    spec = MappingSpec(
        name=data["mapping"],
        file=document.file,
        description=data.get("description", ""),
        source=_side(document, "source", base, broken),
        target=_side(document, "target", base, broken),
        rules=rules,
        lookups=lookups,
    )
    return MappingRead(spec, (*format_problems, *parser.problems), frozenset(parser.without_lookup),
                       frozenset(parser.unreadable), tuple(parser.sub_mappings))


def _readable(data: Any, broken: frozenset[DocPath]) -> bool:
    """Whether the document says what it maps despite its format problems (``broken``: where they are).

    A side is read past a broken option (its default stands in), not past a broken schema.
    """
    if not isinstance(data, dict) or not all(key in data for key in ("mapping", "source", "target", "rules")):
        return False
    if not all(isinstance(data[side], dict) and "schema" in data[side] for side in ("source", "target")):
        return False
    fatal = {("mapping",), ("rules",), ("source", "schema"), ("target", "schema")}
    return not any(path[:2] in fatal for path in broken)


def _breaks_at(broken: frozenset[DocPath], path: DocPath) -> bool:
    """Whether a format problem is at ``path`` or inside it."""
    return any(place[:len(path)] == path for place in broken)


def parse_mapping(document: Document) -> MappingSpec:
    """Build a ``MappingSpec`` from a loaded mapping document.

    Raises the most relevant problem ``read_mapping`` finds: a
    ``MappingFormatError`` or ``UnknownNameError`` located in the file.
    """
    read = read_mapping(document)
    if read.spec is None or read.problems:
        raise read.problems[0]
    return read.spec


def _document_problems(document: Document) -> tuple[tuple[DocPath, MappingFormatError], ...]:
    """Where and how a document breaks the format (not an object, or against ``mapping.schema.json``)."""
    if not isinstance(document.data, dict):
        return (((), MappingFormatError("a mapping file must hold an object (mapping:, source:, target:, rules:)",
                                        document.locate())),)
    if _follows_format(document.data):
        return ()
    return tuple(_format_problems(document))


def _follows_format(data: Any) -> bool:
    """Whether ``data`` follows ``mapping.schema.json``, by jsonschema-rs (the pure-Python validator takes ten
    times as long, and is needed only to explain a document that does not)."""
    try:
        return bool(_fast_format_validator().is_valid(data))
    except ValueError:  # a value JSON has no spelling for (a YAML key that is not a string): let the other say
        return False


def _format_problems(document: Document) -> Iterator[tuple[DocPath, MappingFormatError]]:
    """What breaks ``mapping.schema.json``: one problem per place, the deepest (most specific) first."""
    reported: set[DocPath] = set()
    # A place that fails several subschemas (the branches of an anyOf) is reported once, by its first error.
    for error in sorted(_format_validator().iter_errors(document.data), key=_error_rank):
        path: DocPath = tuple(error.absolute_path)
        if path in reported:
            continue
        reported.add(path)
        if _is_const_conflict(error):
            yield from ((path, problem) for problem in _const_conflicts(error, document, path))
        else:
            yield path, MappingFormatError(_describe(error, document), _error_location(error, document, path))


def _is_const_conflict(error: jsonschema.exceptions.ValidationError) -> bool:
    """Whether ``error`` is the schema's ``dependentSchemas`` refusing keys beside a rule's ``const``."""
    return list(error.relative_schema_path)[-3:] == ["dependentSchemas", "const", "not"]


def _const_conflicts(error: jsonschema.exceptions.ValidationError, document: Document,
                     path: DocPath) -> Iterator[MappingFormatError]:
    """One problem per key the schema refuses beside ``const``, at that key, in the schema's order."""
    refusing: Any = error.validator_value
    rule: Any = error.instance
    refused = [branch["required"][0] for branch in refusing["anyOf"]]
    for key in (key for key in refused if key in rule):
        yield MappingFormatError(f"{_describe_place(path)}: `const` cannot go with `{key}`: a constant has no "
                                 "source to read", document.locate(path + (key,), key=True))


def _error_rank(error: jsonschema.exceptions.ValidationError) -> int:
    # The deepest error is the most specific one; ties keep document order.
    return -len(error.absolute_path)


def _error_location(error: jsonschema.exceptions.ValidationError, document: Document, path: DocPath) -> Location:
    if error.validator == "additionalProperties":
        unexpected = _unexpected_keys(error)
        if unexpected:
            return document.locate(path + (unexpected[0],), key=True)
    return document.locate(path)


def _unexpected_keys(error: jsonschema.exceptions.ValidationError) -> list[str]:
    allowed = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [key for key in instance if key not in allowed]


def _describe(error: jsonschema.exceptions.ValidationError, document: Document) -> str:
    path = tuple(error.absolute_path)
    where = _describe_place(path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        key = _unexpected_keys(error)[0]
        hint = _did_you_mean(key, allowed)
        text = f"unknown key {key!r} in {where}{hint}; allowed: {', '.join(allowed)}"
        if set(allowed) >= {"from", "each", "rules"}:
            text += " (to build a nested object with such a field, put its fields under `rules:`)"
        return text
    if error.validator == "required":
        return f"{where} needs {error.message.split(' is a required')[0]}{_misspelled_as(error)}"
    if error.validator == "anyOf" and set(RULE_KEYS) & set(error.instance if isinstance(error.instance, dict) else ()):
        return f"{where} needs one of from, const, each, rules, mapping or todo"
    if error.validator == "enum":
        choices: Any = error.validator_value
        return f"{where}: {_json(error.instance)} is not one of {', '.join(map(_json, choices))}"
    if error.validator == "minProperties":
        return f"{where} is empty: give at least one field"
    if error.validator == "pattern" and error.validator_value == _VARIABLE_NAME:
        return f"{where}: {error.instance!r} is not a valid variable name (letters, digits and '_', not starting " \
               "with a digit)"
    if error.validator == "pattern":
        return f"{where}: {_json(error.instance)} is not a valid name (letters, digits, '_', '-', '.')"
    if error.validator == "const" and path == ("target", "validate"):
        return ("target.validate: every record mapper writes is valid for the target schema, so the target is "
                "always validated: drop `validate: false` (to write what the schema refuses, loosen the schema)")
    if error.validator == "minLength":
        return f"{where}: an expression cannot be empty"
    return f"{where}: {json_spelling(error.message, error.instance, error.validator_value)}"


def _json(value: Any) -> str:
    """A value of the document as the user reads it: in JSON, not as a Python repr."""
    return json.dumps(value, ensure_ascii=False)


def _misspelled_as(error: jsonschema.exceptions.ValidationError) -> str:
    """For a missing required key: the unexpected key that looks like a misspelling of it, if any."""
    required: Any = error.validator_value
    instance: Any = error.instance
    missing = next((name for name in required if name not in instance), None)
    close = difflib.get_close_matches(str(missing), _unexpected_keys(error), n=1)
    return f" (found {close[0]!r}: did you mean {missing!r}?)" if close and missing is not None else ""


def _describe_place(path: tuple[Any, ...]) -> str:
    if not path:
        return "the mapping file"
    if path[0] == "rules":
        fields = [str(part) for part in path[1:] if part != "rules"]
        return f"rule {'.'.join(fields)!r}" if fields else "rules"
    return ".".join(str(part) for part in path)


def _did_you_mean(name: str, candidates: list[str]) -> str:
    # 0.7, not difflib's 0.6: a short key such as `to` should not be read as `todo`.
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_lookup(name: str, known: list[str]) -> str:
    """The one wording of a lookup name the mapping file does not define, for rules and expressions."""
    listed = f"; defined: {', '.join(known)}" if known else "; the file defines no lookups"
    return f"unknown lookup {name!r}{_did_you_mean(name, known)}{listed}"


def expression_location(document: Document, expr: Expr, offset: int | None) -> Location:
    """Where offset ``offset`` (0-based) of ``expr`` is in the mapping file: the one place loading and
    ``mapper check`` give for a fault inside an expression. The expression's start (past an opening quote)
    when the text there is not the expression's as written (escapes, a block scalar, another file), its
    start as written when the offset is not known."""
    start = expr.location
    if offset is None or start.line is None or start.column is None or start.file != document.file:
        return start
    lines = document.text.splitlines()
    if start.line > len(lines):
        return start
    line = lines[start.line - 1]
    column = start.column - 1
    if line[column:column + 1] in ("'", '"'):
        column += 1
    # Trust the position only where the text really is there (no escapes before it, same line).
    if line[column:column + offset] == expr.text[:offset] and line[column + offset:].startswith(
            expr.text[offset:offset + 1]):
        return Location(start.file, start.line, column + offset + 1)
    return start


def placed_in_file(error: ExpressionError, document: Document) -> ExpressionError:
    """``error``, raised by compiling an expression of ``document`` at its start, placed at its fault."""
    if error.location is None:
        return error
    location = expression_location(document, Expr(error.expression, error.location), error.offset)
    return type(error)(error.message, error.expression, error.offset, location)


def _lookups(document: Document, problems: list[MappingError], broken: frozenset[DocPath] = frozenset()
             ) -> dict[str, Lookup]:
    """The lookups a mapping document defines (faults go to ``problems``), but those that break the format."""
    # Lookup files are named as the mapping names them, beside it: `shared/states.csv:4:1`.
    beside = Path(document.file).parent
    if ("lookups",) in broken:
        return {}
    return {name: _lookup(document, name, table, beside, problems)
            for name, table in document.data.get("lookups", {}).items()
            if not _breaks_at(broken, ("lookups", name))}


def _lookup(document: Document, name: str, table: dict[str, Any], folder: Path,
            problems: list[MappingError]) -> Lookup:
    """The lookup ``name`` as written inline or in its ``file`` (a fault goes to ``problems``, and the
    table is read as empty)."""
    location = document.locate(("lookups", name), key=True)
    path: DocPath = ("lookups", name)
    values, has_default, default = table.get("values", {}), "default" in table, table.get("default")
    if "file" in table and "values" in table:
        problems.append(MappingFormatError(f"lookup {name!r}: give `values` or `file`, not both",
                                           document.locate(path + ("file",), key=True)))
    elif "file" in table:
        try:
            read = read_table_file(folder / table["file"], document.locate(path + ("file",)),
                                   key=table.get("key"), value=table.get("value"))
        except MappingError as error:
            problems.append(error)
        else:
            values = read.values
            if not has_default:  # the mapping's own default wins over the file's
                has_default, default = read.has_default, read.default
    for option in ("key", "value"):
        if option in table and "file" not in table:
            problems.append(MappingFormatError(f"lookup {name!r}: `{option}` names a column of a CSV `file`",
                                               document.locate(path + (option,), key=True)))
    keyed = {lookup_key(key): value for key, value in values.items()}
    return Lookup(name, keyed, location, has_default=has_default, default=default)


def _side(document: Document, which: str, base: Path, broken: frozenset[DocPath] = frozenset()) -> Side:
    """The ``source`` or ``target`` side; an option that breaks the format reads as its default."""
    data = {key: value for key, value in document.data[which].items() if not _breaks_at(broken, (which, key))}
    return Side(
        schema_path=str((base / data["schema"]).resolve()),
        schema_location=document.locate((which, "schema")),
        format=data.get("format", "json"),
        records=data.get("records"),
        namespaces=dict(data.get("namespaces", {})),
        validate=data.get("validate", which == "target"),
        xml=dict(data.get("xml", {})),
    )


def _target_path(rule: str) -> tuple[str, ...]:
    """The steps into the target of the rule named ``rule`` (``lines[].price`` -> ``lines``, ``[]``, ``price``)."""
    steps: list[str] = []
    for part in rule.split("."):
        name = part.rstrip("[]")
        steps.append(name)
        steps.extend(["[]"] * ((len(part) - len(name)) // 2))
    return tuple(steps)


class _RuleParser:
    """Turns the ``rules`` tree into rule objects, collecting the problems of the rules in file order.

    Each rule is read as well as it can be despite its problems, so that every
    problem is found in one pass; one that breaks the format (``broken``: where
    the format problems are) is read as an empty constant.
    """

    def __init__(self, document: Document, lookups: dict[str, Lookup], files: tuple[str, ...],
                 broken: frozenset[DocPath] = frozenset()) -> None:
        self.document = document
        self.lookups = lookups
        #: The mapping files being read, outermost first (a sub-mapping among them is a cycle).
        self.files = files
        self.broken = broken
        self.problems: list[MappingError] = []
        self.without_lookup: set[Location] = set()
        self.sub_mappings: list[SubMappingUse] = []
        self.unreadable: set[Location] = set()

    def expr(self, path: DocPath, text: str) -> Expr:
        return Expr(text, self.document.locate(path))

    def rule(self, name: str, path: DocPath, value: Any) -> Rule:
        if self._breaks_format(path, value):
            location = self.document.locate(path, key=True)
            self.unreadable.add(location)
            return ValueRule(name, location, has_const=True)
        if isinstance(value, str):
            return ValueRule(name, self.document.locate(path, key=True), source=self.expr(path, value))
        if not any(key in value for key in RULE_KEYS):
            return self.object_rule(name, path, value, scope=None, when=None)
        return self.rule_object(name, path, value)

    def bindings(self, path: DocPath, block: dict[str, Any], owner: str = "") -> tuple[LetBinding, ...]:
        """The bindings of the ``let:`` block at ``path + ("let",)`` of the rule named ``owner``, in the
        order written (but those that break the format); one written ``{file: ...}`` takes the expression
        of its name from that file (placed there); one written as a rule object is built by that rule,
        named ``owner.$name``."""
        if path + ("let",) in self.broken:
            return ()
        bindings: list[LetBinding] = []
        for name, value in block.items():
            place = path + ("let", name)
            if _breaks_at(self.broken, place):
                continue
            location = self.document.locate(place, key=True)
            if isinstance(value, str):
                bindings.append(Binding(name, self.expr(place, value), location))
            elif "file" in value:
                bindings.append(Binding(name, self.shared_binding(place, name, value["file"]), location))
            elif self._builds(name, place, value):
                bindings.append(BuiltBinding(name, self.rule(f"{owner}.${name}" if owner else f"${name}", place,
                                                             value), location))
        return tuple(bindings)

    def _builds(self, name: str, place: DocPath, value: dict[str, Any]) -> bool:
        """Whether the binding ``name`` written as a rule object builds a value; a problem when it does not."""
        if "when" in value:
            self.problems.append(MappingFormatError(
                f"${name} is built once for every rule that reads it: it cannot have `when` (give `when` to "
                "the rules that write it)", self.document.locate(place + ("when",), key=True)))
            return False
        if not value.keys() & {"each", "rules", "mapping"}:
            self.problems.append(MappingFormatError(
                f"${name}: a binding written as a rule builds an array (`each`) or an object (`rules` or "
                "`mapping`); for one value, write its expression", self.document.locate(place, key=True)))
            return False
        return True

    def shared_binding(self, path: DocPath, name: str, file: str) -> Expr:
        """The expression named ``name`` in the file of named expressions ``file`` (relative to this
        one), located there. A fault is a problem of this read; the binding is then read as null."""
        named_at = self.document.locate(path + ("file",))
        placeholder = Expr("`null`", named_at)
        document = self.referenced(Path(self.document.file).parent / file, named_at, "let file")
        if document is None:
            return placeholder
        if not isinstance(document.data, dict):
            self.problems.append(MappingFormatError("a let file must hold an object of named expressions "
                                                    "(name: expression)", document.locate()))
            return placeholder
        if name not in document.data:
            defined = sorted(document.data)
            listed = f"; it defines: {', '.join(defined)}" if defined else "; it defines none"
            self.problems.append(MappingFormatError(
                f"let file {file} has no expression {name!r}{_did_you_mean(name, defined)}{listed}", named_at))
            return placeholder
        text = document.data[name]
        if not isinstance(text, str) or not text:
            self.problems.append(MappingFormatError(f"{name!r}: an expression must be a non-empty string, not "
                                                    f"{_json(text)}", document.locate((name,))))
            return placeholder
        return Expr(text, document.locate((name,)))

    def referenced(self, target: Path, named_at: Location, what: str) -> Document | None:
        """The file ``target`` that this one names at ``named_at``; None, with the problem noted, when it
        cannot be read (located at ``named_at``) or does not parse (located in it)."""
        try:
            return load_document(target)
        except FileNotFoundError:
            self.problems.append(MappingFormatError(f"{what} {target.as_posix()} does not exist", named_at))
        except OSError as error:
            self.problems.append(MappingFormatError(f"cannot read {what} {target.as_posix()}: {error.strerror}",
                                                    named_at))
        except MappingError as error:
            self.problems.append(error)
        return None

    def _breaks_format(self, path: DocPath, value: Any) -> bool:
        """Whether the rule at ``path`` itself breaks the format (not only rules nested in it)."""
        if path in self.broken:
            return True
        if not isinstance(value, dict) or not any(key in value for key in RULE_KEYS):
            return False  # an object of fields: its problems are its fields'
        return any(place[:len(path)] == path and (place[len(path)] != "rules" or len(place) == len(path) + 1)
                   for place in self.broken if len(place) > len(path))

    def levels(self, path: DocPath, each: str | dict[str, str]) -> tuple[Level, ...]:
        """The levels of an ``each``: one without a name for an expression, one per name for a mapping."""
        if isinstance(each, str):
            return (Level(None, self.expr(path + ("each",), each)),)
        return tuple(Level(name, self.expr(path + ("each", name), text)) for name, text in each.items())

    def rule_object(self, name: str, path: DocPath, spec: dict[str, Any]) -> Rule:
        location = self.document.locate(path, key=True)
        problems = len(self.problems)
        self._check_combination(name, path, spec)
        if len(self.problems) > problems:  # read as written, but what it means is unclear: leave it unchecked
            self.unreadable.add(location)
        lookup = self._lookup_name(path, spec)
        when = self.expr(path + ("when",), spec["when"]) if "when" in spec else None
        has_default, default = "default" in spec, spec.get("default")
        ignore = frozenset(spec.get("ignore", ()))
        bindings = self.bindings(path, spec.get("let", {}), f"{name}[]" if "each" in spec else name)
        if "each" in spec:
            item_name = f"{name}[]"
            if "mapping" in spec:
                item: ValueRule | ObjectRule = self.sub_mapping(item_name, path, spec["mapping"], location,
                                                                scope=None, when=None)
            elif "rules" in spec:
                item = self.object_rule(item_name, path + ("rules",), spec["rules"], scope=None, when=None,
                                        bindings=bindings)
            else:
                source = self.expr(path + ("from",), spec["from"]) if "from" in spec else Expr("@", location)
                item = ValueRule(item_name, location, source=source, lookup=lookup)
            return EachRule(name, location, self.levels(path, spec["each"]), item,
                            default=default, has_default=has_default, when=when, ignore=ignore)
        if "rules" in spec:
            scope = self.expr(path + ("from",), spec["from"]) if "from" in spec else None
            return self.object_rule(name, path + ("rules",), spec["rules"], scope=scope, when=when,
                                    has_default=has_default, default=default, location=location,
                                    bindings=bindings, ignore=ignore)
        if "mapping" in spec:
            scope = self.expr(path + ("from",), spec["from"]) if "from" in spec else None
            return self.sub_mapping(name, path, spec["mapping"], location, scope=scope, when=when,
                                    has_default=has_default, default=default, ignore=ignore)
        if "const" in spec:
            return ValueRule(name, location, const=spec["const"], has_const=True, when=when, ignore=ignore)
        if "todo" in spec:
            return ValueRule(name, location, has_const=True, ignore=ignore, todo=spec["todo"])
        return ValueRule(
            name, location, source=self.expr(path + ("from",), spec["from"]),
            lookup=lookup, default=default, has_default=has_default, when=when, ignore=ignore,
        )

    def sub_mapping(self, name: str, path: DocPath, file: str, location: Location, *, scope: Expr | None,
                    when: Expr | None, has_default: bool = False, default: Any = None,
                    ignore: frozenset[str] = frozenset()) -> ObjectRule:
        """The rules of the mapping file ``file`` (relative to this one) as the object rule ``name``: its
        ``let:`` block and rules, with their places in that file, and its lookups joined to these. Its
        faults are problems of this read, located in that file; a file that includes itself is one."""
        named_at = self.document.locate(path + ("mapping",))
        empty = ObjectRule(name, location, (), scope=scope, when=when, has_default=has_default, default=default)
        target = Path(self.document.file).parent / file
        resolved = str(target.resolve())
        if resolved in self.files:
            chain = " -> ".join(Path(each).name for each in (*self.files, resolved))
            self.problems.append(MappingFormatError(f"mapping {file!r} includes itself ({chain})", named_at))
            return empty
        document = self.referenced(target, named_at, "mapping file")
        if document is None:
            return empty
        problems = _document_problems(document)
        if problems:  # a sub-mapping is read whole or not at all
            self.problems.extend(problem for _, problem in problems)
            return empty
        for lookup_name, lookup in _lookups(document, self.problems).items():
            known = self.lookups.get(lookup_name)
            if known is not None and (known.values, known.has_default, known.default) != (
                    lookup.values, lookup.has_default, lookup.default):
                self.problems.append(MappingFormatError(
                    f"lookup {lookup_name!r} is also defined, otherwise, in {Path(known.location.file or '').name}: "
                    "rename one of them", lookup.location))
            self.lookups.setdefault(lookup_name, lookup)
        self.sub_mappings.append(SubMappingUse(
            name, _target_path(name), named_at, str((target.parent / document.data["target"]["schema"]).resolve()),
            document.locate(("target", "schema"))))
        parser = _RuleParser(document, self.lookups, (*self.files, resolved))
        rules = parser.object_rule(name, ("rules",), document.data["rules"], scope=scope, when=when,
                                   has_default=has_default, default=default, location=location,
                                   bindings=parser.bindings((), document.data.get("let", {}), name), ignore=ignore)
        self.problems.extend(parser.problems)
        self.without_lookup |= parser.without_lookup
        self.sub_mappings.extend(parser.sub_mappings)
        self.unreadable |= parser.unreadable
        return rules

    def object_rule(
        self,
        name: str,
        path: DocPath,
        fields: dict[str, Any],
        *,
        scope: Expr | None,
        when: Expr | None,
        has_default: bool = False,
        default: Any = None,
        location: Location | None = None,
        bindings: tuple[LetBinding, ...] = (),
        ignore: frozenset[str] = frozenset(),
    ) -> ObjectRule:
        children = tuple(
            (key, self.rule(f"{name}.{key}" if name else key, path + (key,), value))
            for key, value in fields.items()
        )
        return ObjectRule(
            name or "<record>", location or self.document.locate(path, key=True), children,
            scope=scope, when=when, has_default=has_default, default=default, bindings=bindings, ignore=ignore,
        )

    def _lookup_name(self, path: DocPath, spec: dict[str, Any]) -> str | None:
        """The lookup the rule names; None when it names none, or one the file does not define (a problem)."""
        name: str | None = spec.get("lookup")
        if name is None or name in self.lookups:
            return name
        if ("lookups",) in self.broken or _breaks_at(self.broken, ("lookups", name)):  # reported with the format
            self.without_lookup.add(self.document.locate(path, key=True))
            return None
        self.problems.append(UnknownNameError(unknown_lookup(name, sorted(self.lookups)),
                                              self.document.locate(path + ("lookup",))))
        self.without_lookup.add(self.document.locate(path, key=True))
        return None

    def _check_combination(self, name: str, path: DocPath, spec: dict[str, Any]) -> None:
        keys = set(spec)

        def fail(message: str, key: str) -> None:
            self.problems.append(MappingFormatError(f"rule {name!r}: {message}",
                                                    self.document.locate(path + (key,), key=True)))

        if "mapping" in keys:
            for other in sorted(keys & {"rules", "const", "lookup", "todo", "let"}):
                fail(f"`mapping` takes the rules of another mapping file: it cannot go with `{other}`", other)
        if "todo" in keys:
            for other in sorted(keys - {"todo", "ignore"}):
                fail(f"`todo` marks a rule still to be written: it cannot go with `{other}` (drop `todo` once "
                     "the rule is written)", other)
        if "rules" in keys and "lookup" in keys:
            fail("`lookup` translates values, it cannot go with `rules` (an object)", "lookup")
        if "each" in keys and "rules" in keys and "from" in keys:
            fail("with `each`, the items are the scope of `rules`: drop `from`", "from")
        if "each" in keys and not keys & {"rules", "from", "lookup", "mapping"}:
            fail("`each` needs `rules` or `mapping` (objects), or `from` / `lookup` (one value per item); "
                 "to copy an array as it is, use `from`", "each")
        if "let" in keys and "rules" not in keys:
            fail("`let` names values for the rules under it: it needs `rules` (for one value, "
                 "write `let $name = ... in ...` in `from`)", "let")

