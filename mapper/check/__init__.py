"""Static analysis of mapping files against their source and target schemas.

``check_file(path)`` returns every problem of one mapping file as a list of
``Diagnostic`` (code, message, file:line:column), without running a single
record. The stages, each reporting all it finds:

1. the file reads as YAML/JSON (``M100``) and follows the mapping-file format
   (``M101``); lookups named by rules exist (``M103``); schemas load (``M108``);
2. every expression compiles (``M102``) and calls known functions with the
   right arguments (``M104``-``M106``);
3. the rules, walked with the target schema, write what it allows and requires
   (``M2xx``), and their expressions, typed through the source schema
   (``inference``), read what it has (``M3xx``);
4. a mapping found clean is loaded with ``mapper.load`` as well, so ``check``
   never passes a file the engine refuses (``M109``).

Codes are listed in ``codes.py`` and documented in docs/ci.md.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import jmespath.parser
from jmespath.exceptions import JMESPathError, LexerError, ParseError

from ..documents import DocPath, Document, load_document
from ..errors import Location, MappingError, MappingSyntaxError, SchemaError
from ..functions import build_function_table
from ..model import MappingSpec, expressions_of, walk_rules
from ..schemas import Schema, display_path, load_schema
from ..spec import RULE_KEYS, parse_mapping
from .codes import CODES, Code
from .inference import ExpressionTyper, Observations
from .report import FORMATS, Diagnostic
from .rules import Parsed, RuleChecker, expression_location, unread_fields

if TYPE_CHECKING:
    from ..mapping import Mapping

__all__ = ["CODES", "FORMATS", "Code", "Diagnostic", "Observations", "check_file", "find_mappings", "observe"]

MAPPING_SUFFIXES = (".yaml", ".yml")


def find_mappings(paths: Sequence[str | Path]) -> list[Path]:
    """The mapping files named by ``paths``: files as given, directories searched for ``*.yaml``."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(child for child in path.rglob("*") if child.suffix in MAPPING_SUFFIXES
                                and not any(part.endswith(".fixtures") for part in child.parts)))
        else:
            found.append(path)
    return found


def check_file(path: str | Path, *, unused: bool = False, functions: Iterable[Any] = ()) -> list[Diagnostic]:
    """Every problem of the mapping file at ``path``, in file order.

    ``unused`` also reports source fields that no rule reads (``W401``);
    ``functions`` are the user functions the mapping is loaded with.
    """
    checker = _FileChecker(Path(path), list(functions), unused)
    checker.run()
    return sorted(checker.found, key=Diagnostic.sort_key)


def observe(mapping: Mapping) -> Observations:
    """What a loaded mapping's expressions do with each source path (see ``Observations``).

    ``mapper fuzz`` draws source values from this: the constants a path is
    compared with, the formats its functions parse, the target formats it ends
    up under.
    """
    document = load_document(mapping.spec.file)
    parser = jmespath.parser.Parser()
    parsed: Parsed = {}
    for rule in walk_rules(mapping.spec.rules):
        for expr in expressions_of(rule):
            try:
                parsed[expr.text] = cast("dict[str, Any]", parser.parse(expr.text).parsed)
            except (JMESPathError, ValueError):
                parsed[expr.text] = None
    observations = Observations()
    typer = ExpressionTyper(mapping.function_table.specs, observations)

    def ignore(code: str, message: str, location: Location, rule: str | None) -> None:
        pass

    RuleChecker(mapping.spec, document, mapping.source_schema, mapping.target_schema, typer, parsed,
                ignore).check()
    return observations


class _FileChecker:
    def __init__(self, path: Path, functions: list[Any], unused: bool) -> None:
        self.path = path
        self.label = display_path(path.resolve()) if path.is_absolute() else str(path)
        self.functions = functions
        self.unused = unused
        self.found: list[Diagnostic] = []
        self.unchecked: set[Location] = set()  # rules whose unknown lookup was reported

    def add(self, code: str, message: str, location: Location, rule: str | None = None) -> None:
        self.found.append(Diagnostic(code, message, location, rule))

    def add_error(self, code: str, error: MappingError) -> None:
        self.add(code, error.message, error.location or Location(self.label))

    def run(self) -> None:
        document = self._document()
        if document is None:
            return
        spec = self._spec(document)
        if spec is None:
            return
        schemas = self._schemas(spec)
        try:
            table = build_function_table(self.functions)
        except MappingError as error:
            self.add_error("M109", error)
            return
        parsed = self._parse_expressions(spec, document)
        if schemas is not None:
            reads = Observations()
            typer = ExpressionTyper(table.specs, reads)
            source, target = schemas
            try:
                RuleChecker(spec, document, source, target, typer, parsed, self.add,
                            frozenset(self.unchecked)).check()
            except Exception as error:  # noqa: BLE001 - one odd schema must not stop the run
                self.add("M109", f"the checker could not analyse the rules ({type(error).__name__}: {error}); "
                                 "please report this", Location(self.label))
                return
            if self.unused:
                for field in unread_fields(source, reads):
                    self.add("W401", f"source field {field!r} is read by no rule", spec.source.schema_location)
        if not any(diagnostic.is_error for diagnostic in self.found):
            self._load()

    # -- stage 1: the file ----------------------------------------------------------------------

    def _document(self) -> Document | None:
        try:
            return load_document(self.path, label=self.label)
        except FileNotFoundError:
            self.add("M100", "mapping file not found", Location(self.label))
        except IsADirectoryError:
            self.add("M100", "is a directory, not a mapping file", Location(self.label))
        except UnicodeDecodeError as error:
            self.add("M100", f"not UTF-8 text: {error.reason}", Location(self.label))
        except OSError as error:
            self.add("M100", f"cannot read the mapping file: {error.strerror}", Location(self.label))
        except MappingSyntaxError as error:
            self.add_error("M100", error)
        return None

    def _spec(self, document: Document) -> MappingSpec | None:
        from ..spec import _describe, _error_location, _format_validator  # the loader's own wording

        if not isinstance(document.data, dict):
            self.add("M101", "a mapping file must hold an object (mapping:, source:, target:, rules:)",
                     document.locate())
            return None
        errors = list(_format_validator().iter_errors(document.data))
        if errors:
            # Report each place once, deepest (most specific) error first.
            seen: set[tuple[Any, ...]] = set()
            for error in sorted(errors, key=lambda error: -len(error.absolute_path)):
                path: DocPath = tuple(error.absolute_path)
                if any(path[:len(other)] == other for other in seen):
                    continue
                seen.add(path)
                self.add("M101", _describe(error, document), _error_location(error, document, path))
            return None
        document = self._without_unknown_lookups(document)
        try:
            return parse_mapping(document)
        except MappingError as error:
            self.add_error("M101", error)
            return None

    def _without_unknown_lookups(self, document: Document) -> Document:
        """Report every rule naming an unknown lookup; the document without those names."""
        data = document.data
        known = set(data.get("lookups", {}))
        unknown: list[DocPath] = []

        def walk(value: Any, path: DocPath, is_rule: bool) -> None:
            if not isinstance(value, dict):
                return
            if is_rule and any(key in value for key in RULE_KEYS):
                name = value.get("lookup")
                if isinstance(name, str) and name not in known:
                    unknown.append(path)
                if isinstance(value.get("rules"), dict):
                    walk(value["rules"], path + ("rules",), False)
                return
            for key, child in value.items():
                walk(child, path + (key,), True)

        walk(data.get("rules"), ("rules",), False)
        if not unknown:
            return document
        for path in unknown:
            name = _at(data, path)["lookup"]
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            listed = f"; defined: {', '.join(sorted(known))}" if known else "; the file defines no lookups"
            self.add("M103", f"unknown lookup {name!r}{hint}{listed}", document.locate(path + ("lookup",)))
            self.unchecked.add(document.locate(path, key=True))
        cleaned = copy.deepcopy(data)
        for path in unknown:
            del _at(cleaned, path)["lookup"]
        return Document(cleaned, document.file, document.text, document._positions, document._key_positions)

    def _schemas(self, spec: MappingSpec) -> tuple[Schema, Schema] | None:
        loaded: list[Schema] = []
        for side in (spec.source, spec.target):
            try:
                loaded.append(load_schema(side.schema_path, referenced_from=side.schema_location))
            except SchemaError as error:
                self.add_error("M108", error)
        return (loaded[0], loaded[1]) if len(loaded) == 2 else None

    # -- stage 2: expressions -------------------------------------------------------------------

    def _parse_expressions(self, spec: MappingSpec, document: Document) -> Parsed:
        parsed: Parsed = {}
        parser = jmespath.parser.Parser()
        for rule in walk_rules(spec.rules):
            for expr in expressions_of(rule):
                if expr.text in parsed:
                    continue
                try:
                    parsed[expr.text] = cast("dict[str, Any]", parser.parse(expr.text).parsed)
                except (JMESPathError, ValueError) as error:
                    parsed[expr.text] = None
                    offset, message = _parse_error(error, expr.text)
                    self.add("M102", f"invalid expression {expr.text!r}: {message}",
                             expression_location(document, expr, offset), rule.name)
        return parsed

    # -- stage 4: the engine agrees -------------------------------------------------------------

    def _load(self) -> None:
        try:
            from ..mapping import load
        except ImportError:  # pragma: no cover - only while the engine is incomplete
            return
        try:
            load(self.path, functions=self.functions)
        except MappingError as error:
            self.add("M109", error.message, error.location or Location(self.label))


def _parse_error(error: Exception, text: str) -> tuple[int | None, str]:
    if isinstance(error, LexerError):
        return error.lexer_position, str(error.message)
    if isinstance(error, ParseError):
        position = error.lex_position
        if error.token_value is None or error.token_type == "eof":
            return min(position, len(text)), "the expression ends too early"
        return position, str(error.msg)
    return None, str(error)


def _at(data: Any, path: DocPath) -> Any:
    for part in path:
        data = data[part]
    return data
