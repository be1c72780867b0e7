"""Static analysis of mapping files against their source and target schemas.

``check_file(path)`` returns every problem of one mapping file as a list of
``Diagnostic`` (code, message, file:line:column), without running a single
record. The stages, each reporting all it finds:

1. the file reads as YAML/JSON (``M100``) and follows the mapping-file format
   (``M101``); lookups named by rules exist (``M103``); schemas load (``M108``).
   The format and the lookups are the loader's own rules (``mapping_file``):
   ``check`` lists every problem the loader would raise the first of, in the
   same words and at the same place, and checks the rules that do not break
   the format on through the stages below;
2. every expression compiles (``M102``, in the loader's words) and calls known
   functions with the right arguments (``M104``-``M106``);
3. the rules, walked with the target schema, write what it allows and requires
   (``M2xx``; a sub-mapping's target schema against the field it fills:
   ``M206``), and their expressions, typed through the source schema
   (``inference``), read what it has (``M3xx``);
4. a mapping found clean is loaded with ``mapper.load`` as well, so ``check``
   never passes a file the engine refuses (``M109``).

Codes are listed in ``codes.py`` and documented in docs/ci.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ...documents import Document, load_document
from ...errors import (
    ExpressionError,
    Location,
    MappingError,
    MappingFormatError,
    MappingSyntaxError,
    SchemaError,
    UnknownFunctionError,
    UnknownLookupError,
    UnknownNameError,
)
from ...expressions import compile as compile_expression
from ...functions import build_function_table
from ...mapping import Mapping, load
from ...mapping_file import SubMappingUse, expression_location, read_mapping
from ...model import Expr, MappingSpec, expressions_of, walk_rules
from ...parser import parse
from ...schemas import Schema, display_path, load_schema
from .codes import CODES, Code
from .inference import ExpressionTyper, Observations
from .report import FORMATS, Diagnostic, Totals
from .rules import Parsed, RuleChecker, unread_fields
from .submappings import sub_mapping_misfits

__all__ = ["CODES", "FORMATS", "Code", "Diagnostic", "Observations", "Totals", "check_file", "find_mappings",
           "observe"]

MAPPING_SUFFIXES = (".yaml", ".yml")

#: The code of each kind of problem the mapping-file rules find.
_DOCUMENT_CODES: dict[type[MappingError], str] = {MappingFormatError: "M101", UnknownNameError: "M103"}


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


def check_file(path: str | Path, *, unused: bool = False, functions: Iterable[Any] = (),
               loaded: Mapping | None = None) -> list[Diagnostic]:
    """Every problem of the mapping file at ``path``, in file order.

    ``unused`` also reports source fields that no rule reads (``W401``);
    ``functions`` are the user functions the mapping is loaded with. The
    check ends by loading the mapping as the engine does; a caller that has
    ``loaded`` it already (``mapper convert``) passes it, and the check reads
    its schemas and function table instead of loading them again.
    """
    checker = _FileChecker(Path(path), list(functions), unused, loaded)
    checker.run()
    return sorted(checker.found, key=Diagnostic.sort_key)


def observe(mapping: Mapping) -> Observations:
    """What a loaded mapping's expressions do with each source path (see ``Observations``).

    ``mapper fuzz`` draws source values from this: the constants a path is
    compared with, the formats its functions parse, the target formats it ends
    up under.
    """
    document = load_document(mapping.spec.file)
    parsed: Parsed = {}
    for rule in walk_rules(mapping.spec.rules):
        for expr in expressions_of(rule):
            try:
                parsed[expr.text] = parse(expr.text)
            except ExpressionError:
                parsed[expr.text] = None
    observations = Observations()
    typer = ExpressionTyper(mapping.function_table.specs, observations, mapping.spec.lookups)

    def ignore(code: str, message: str, location: Location, rule: str | None, ignored: bool) -> None:
        pass

    RuleChecker(mapping.spec, document, mapping.source_schema, mapping.target_schema, typer, parsed,
                ignore).check()
    return observations


class _FileChecker:
    def __init__(self, path: Path, functions: list[Any], unused: bool, loaded: Mapping | None) -> None:
        self.path = path
        self.loaded = loaded
        self.label = display_path(path.resolve()) if path.is_absolute() else str(path)
        self.functions = functions
        self.unused = unused
        self.found: list[Diagnostic] = []
        self.unchecked: frozenset[Location] = frozenset()  # rules whose unknown lookup was reported
        self.sub_mappings: tuple[SubMappingUse, ...] = ()
        self.unreadable: frozenset[Location] = frozenset()  # rules whose format problems were reported

    def add(self, code: str, message: str, location: Location, rule: str | None = None,
            ignored: bool = False) -> None:
        self.found.append(Diagnostic(code, message, location, rule, ignored))

    def add_error(self, code: str, error: MappingError) -> None:
        self.add(code, error.message, error.location or Location(self.label))

    def run(self) -> None:
        document = self._document()
        if document is None:
            return
        spec = self._spec(document)
        if spec is None:
            return
        if self.loaded is not None:
            schemas: tuple[Schema, Schema] | None = (self.loaded.source_schema, self.loaded.target_schema)
            table = self.loaded.function_table
        else:
            schemas = self._schemas(spec)
            try:
                table = build_function_table(self.functions)
            except MappingError as error:
                self.add_error("M109", error)
                return
        parsed = self._parse_expressions(spec, document)
        if schemas is not None:
            reads = Observations()
            typer = ExpressionTyper(table.specs, reads, spec.lookups)
            source, target = schemas
            try:
                RuleChecker(spec, document, source, target, typer, parsed, self.add, self.unchecked,
                            self.unreadable).check()
            except Exception as error:  # noqa: BLE001 - one odd schema must not stop the run
                self.add("M109", f"the checker could not analyse the rules ({type(error).__name__}: {error}); "
                                 "please report this", Location(self.label))
                return
            for code, message, location, rule in sub_mapping_misfits(self.sub_mappings, target):
                self.add(code, message, location, rule)
            if self.unused:
                for field in unread_fields(source, reads):
                    self.add("W401", f"source field {field!r} is read by no rule", spec.source.schema_location)
        if self.loaded is None and not any(diagnostic.fails for diagnostic in self.found):
            self._load(document)

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
        """Report every problem of the mapping-file rules; the spec, when the rest can be checked."""
        read = read_mapping(document)
        for problem in read.problems:
            self.add_error(_DOCUMENT_CODES[type(problem)], problem)
        # A rule read without its unknown lookup is still what the user meant; one that breaks the format,
        # or whose keys cannot go together, may not be: the rules check passes over it, as checking it
        # would only add noise, and checks the others.
        self.unchecked = read.without_lookup
        self.sub_mappings = read.sub_mappings
        self.unreadable = read.unreadable
        return read.spec

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
        self._check_records(spec, document)
        parsed: Parsed = {}
        for rule in walk_rules(spec.rules):
            for expr in expressions_of(rule):
                if expr.text in parsed:
                    continue
                try:
                    parsed[expr.text] = parse(expr.text)
                except ExpressionError as error:
                    parsed[expr.text] = None
                    self.add("M102", error.message, expression_location(document, expr, error.offset), rule.name)
        return parsed

    def _check_records(self, spec: MappingSpec, document: Document) -> None:
        """A JSON source's ``records`` is an expression that ``mapper convert`` compiles before reading."""
        records = spec.source.records
        if spec.source.format != "json" or records is None:
            return
        try:
            compile_expression(records)
        except ExpressionError as error:
            expr = Expr(records, document.locate(("source", "records")))
            self.add("M111", f"records {records!r} is not a JMESPath expression: {error.message}",
                     expression_location(document, expr, error.offset))

    # -- stage 4: the engine agrees -------------------------------------------------------------

    def _load(self, document: Document) -> None:
        try:
            load(self.path, functions=self.functions)
        except ExpressionError as error:  # found only by compiling: loading placed it inside the expression
            location = error.location or Location(self.label)
            code = "M103" if isinstance(error, UnknownLookupError) else "M104" if isinstance(
                error, UnknownFunctionError) else "M102"
            self.add(code, error.message, location)
        except MappingError as error:
            self.add("M109", error.message, error.location or Location(self.label))
