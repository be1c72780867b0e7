"""What the playground's endpoints compute: a run of the page's texts through the real engine, and one expression.

Pure and synchronous, like ``payloads``: the routes run these in a worker
thread, within the server's limits.

- ``run`` writes the mapping and schemas into a ``Sandbox``, loads the mapping
  with ``mapper.load``, converts the input with ``payloads.convert`` (the
  answer ``POST /mappings/NAME`` would give) and checks the mapping with
  ``check_file``. It answers ``{"output", "problems", "findings"}``.
- ``evaluate`` is ``mapper eval``: one expression against one JSON document; for
  NDJSON, XML, CSV and TSV input, against its first record as the page's mapping
  reads it (typed by its source schema): what the mapping's rules see.

A problem is ``{"editor", "line", "column", "message", "where"}``: the editor
of the page it belongs to (``mapping``, ``input``, ``source_schema``,
``target_schema``, ``expression``, or None), the 1-based line and column in
that editor's text when known, the message, and where it is in the CLI's
words (``NAME.yaml:12:5``, ``record 2 /Emails/0``). A finding adds check's
``code``, ``severity`` and ``rule``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..documents import load_document, parse_json, pointer_to_path
from ..errors import EvaluationError, ExpressionError, Location, MapperError, MappingError, PayloadError, RecordError
from ..expressions import compile
from ..formats import format_of_path, source_reader
from ..formats.json import dumps, loads, syntax_error
from ..mapping import Mapping, load
from ..mapping_file import parse_mapping
from ..schemas import Schema, load_schema
from ..tooling.check import check_file
from ..tooling.explain import explain
from ..tooling.fixtures import find_cases
from ..tooling.lineage import lineage_of
from .answers import Refusal
from .openapi import bundled_schema
from .payloads import SOURCE, convert
from .playground_files import Sandbox

#: The formats the input editor can hold.
INPUT_FORMATS = ("json", "ndjson", "xml", "csv", "tsv")
#: The texts of the page that ``evaluate`` needs to read an input other than JSON.
MAPPING_TEXTS = ("mapping", "source_schema", "target_schema")
#: ``file:line:column`` as a reject's ``rule_location`` says it.
_LOCATION = re.compile(r"^(?P<file>.*):(?P<line>\d+):(?P<column>\d+)$")


@dataclass(frozen=True)
class Sample:
    """The texts the page opens with: a mapping file, its schemas (each bundled into one document) and an input."""

    name: str
    mapping: str
    source_schema: str
    target_schema: str
    input: str
    input_format: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def sample_of(path: Path, input_path: Path | None = None, mapping: Mapping | None = None) -> Sample:
    """The sample of the mapping file at ``path``: ``input_path``'s text, else its first fixture input.

    ``mapping`` is the file loaded already, if it loads; the schemas of a file that does not are read
    as far as they load (``{}`` where they do not), so the page can show its problem and have it fixed.
    """
    schemas = _schemas_of(path) if mapping is None else [mapping.source_schema, mapping.target_schema]
    texts = [json.dumps(bundled_schema(schema), indent=2, ensure_ascii=False) if schema else "{}"
             for schema in schemas]
    if input_path is None:
        source_format = mapping.spec.source.format if mapping else None
        cases = sorted(find_cases(path), key=lambda case: format_of_path(case.input_path.name) != source_format)
        input_path = cases[0].input_path if cases else None
    input_text = input_path.read_text(encoding="utf-8") if input_path else "{}\n"
    input_format = (format_of_path(input_path.name) if input_path else None) or "json"
    return Sample(mapping.name if mapping else path.stem, path.read_text(encoding="utf-8"), texts[0], texts[1],
                  input_text, input_format)


def _schemas_of(path: Path) -> list[Schema | None]:
    try:
        spec = parse_mapping(load_document(path))
    except (OSError, MapperError):
        return [None, None]
    schemas: list[Schema | None] = []
    for side in (spec.source, spec.target):
        try:
            schemas.append(load_schema(side.schema_path))
        except MapperError:
            schemas.append(None)
    return schemas


def run(folder: Path, texts: dict[str, str], *, functions: Sequence[Any] = ()) -> dict[str, Any]:
    """The page's texts (``mapping``, ``input``, ``input_format``, ``source_schema``, ``target_schema``) through
    the engine and ``check``, with ``folder`` as the mappings folder their references may read."""
    with Sandbox(folder, texts.get("name") or "playground") as sandbox:
        refused = _written(sandbox, texts)
        if refused:
            return {"output": None, "problems": refused, "findings": []}
        findings = [_finding(sandbox, diagnostic.to_dict()) for diagnostic in
                    check_file(sandbox.mapping_path, functions=functions)]
        mapping = _loaded(sandbox, functions)
        if isinstance(mapping, list):
            return {"output": None, "problems": mapping, "findings": findings}
        fmt = texts.get("input_format", "json")
        output, problems = _convert(sandbox, mapping, texts["input"], fmt)
        return {"output": output, "problems": problems, "findings": findings,
                "lineage": lineage_of(mapping).to_dict(), "explain": _explained(mapping, texts["input"], fmt)}


def _written(sandbox: Sandbox, texts: dict[str, str]) -> list[dict[str, Any]]:
    """Write the page's mapping and schemas into ``sandbox``; the problems of what it refuses to write."""
    refusals = sandbox.write(texts["mapping"], {"source": texts["source_schema"], "target": texts["target_schema"]})
    return [_problem(sandbox, refusal.message, refusal.location) for refusal in refusals]


def _loaded(sandbox: Sandbox, functions: Sequence[Any]) -> Mapping | list[dict[str, Any]]:
    """The sandbox's mapping loaded, or the problem that keeps it from loading."""
    try:
        return load(sandbox.mapping_path, functions=functions)
    except MappingError as error:
        return [_mapping_problem(sandbox, error)]


def _first_of(mapping: Mapping, text: str, fmt: str) -> Any:
    """The first record of ``text`` as ``mapping`` reads it: the record, the ``PayloadError`` that keeps it from
    being read (the input may break off before it), or None for an input with no record."""
    try:
        return next(iter(source_reader(mapping, fmt).records(io.BytesIO(text.encode("utf-8")), "input")), None)
    except PayloadError as error:
        return error


def _explained(mapping: Mapping, text: str, fmt: str) -> dict[str, Any] | None:
    """The trace of the input's first record (``mapper explain``'s JSON form); None when none can be read."""
    if fmt not in INPUT_FORMATS:
        return None
    record = _first_of(mapping, text, fmt)
    if record is None or isinstance(record, PayloadError):
        return None
    explanation = explain(mapping, record)
    if not explanation.matches:  # a fault of the trace: show none rather than something the engine did not do
        return None
    traced: dict[str, Any] = json.loads(json.dumps(explanation.to_dict(), default=repr))
    return traced


def _convert(sandbox: Sandbox, mapping: Mapping, text: str, fmt: str) -> tuple[Any, list[dict[str, Any]]]:
    if fmt not in INPUT_FORMATS:
        return None, [_problem(sandbox, f"unknown input format {fmt!r} (formats: {', '.join(INPUT_FORMATS)})",
                               None, editor="input")]
    try:
        answer = convert(mapping, text.encode("utf-8"), fmt, "json")
    except Refusal as refusal:  # the input does not read: the CLI's message, at its line and column
        body = refusal.body
        return None, [{"editor": "input", "line": body.get("line"), "column": body.get("column"),
                       "message": body["message"].replace(SOURCE, "input"), "where": "input"}]
    body = loads(answer.body)
    # One record is answered 422 with its reject, a batch 200 with its rejects (a record's output is any object).
    rejects = [] if not answer.rejects else [body] if answer.status == 422 else body["rejects"]
    located = _InputLines(text, fmt)
    problems = [_record_problem(sandbox, reject, error, located) for reject in rejects for error in reject["errors"]]
    return {"status": answer.status, "text": sandbox.shown(dumps(body, indent=True).decode())}, problems


class _InputLines:
    """The line of a record's JSON pointer in the input text (JSON: the node's own line; otherwise the record's)."""

    def __init__(self, text: str, fmt: str) -> None:
        self.fmt = fmt
        self.document = None
        if fmt == "json":
            try:
                self.document = parse_json(text, "input")
            except MappingError:
                pass

    def line(self, reject: dict[str, Any], pointer: str) -> int | None:
        if self.fmt != "json":  # NDJSON: the record's line; CSV and TSV: the line its row starts on
            line: int | None = reject.get("line")
            return line
        if self.document is None:
            return None
        data = self.document.data
        path: list[str | int] = []
        if isinstance(data, list):
            path.append(reject["record"] - 1)
        for part in pointer_to_path(pointer):  # the positions know array indexes as numbers
            path.append(int(part) if isinstance(_at(data, path), list) and str(part).isdigit() else part)
        return self.document.locate(tuple(path)).line


def _at(data: Any, path: list[str | int]) -> Any:
    """The value at ``path`` inside ``data``, or None when there is none."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _record_problem(sandbox: Sandbox, reject: dict[str, Any], error: dict[str, Any],
                    located: _InputLines) -> dict[str, Any]:
    """One problem of a rejected record: in the input at the pointer (source), else at its rule in the mapping."""
    message = sandbox.shown(str(error["message"]))
    where = f"record {reject['record']} {error['pointer'] or '/'}"
    if error["stage"] == "source":
        return {"editor": "input", "line": located.line(reject, error["pointer"]), "column": None,
                "message": message, "where": f"input {where}"}
    at = _LOCATION.match(str(error.get("rule_location", "")))
    if at is None:
        return {"editor": None, "line": None, "column": None, "message": message, "where": f"output {where}"}
    rule = f"rule '{error.get('rule')}'"
    return {"editor": sandbox.editor_of(at["file"]), "line": int(at["line"]), "column": int(at["column"]),
            "message": f"{message} ({rule}, output {where})", "where": sandbox.shown(at.group(0))}


def _mapping_problem(sandbox: Sandbox, error: MappingError) -> dict[str, Any]:
    problem = _problem(sandbox, error.message, error.location)
    if isinstance(error, ExpressionError):  # the expression with a caret under the fault, as the CLI draws it
        problem["detail"] = sandbox.shown(str(error))
    return problem


def _problem(sandbox: Sandbox, message: str, location: Location | None, *, editor: str | None = None) -> dict[str, Any]:
    return {"editor": editor or sandbox.editor_of(location.file if location else None),
            "line": location.line if location else None, "column": location.column if location else None,
            "message": sandbox.shown(message), "where": sandbox.shown(str(location)) if location else editor}


def _finding(sandbox: Sandbox, found: dict[str, Any]) -> dict[str, Any]:
    location = Location(found["file"], found["line"], found["column"])
    problem = _problem(sandbox, found["message"], location)
    problem.update(code=found["code"], severity=found["severity"], rule=found["rule"],
                   ignored=found.get("ignored", False))
    return problem


def evaluate(expression: str, text: str, *, functions: Sequence[Any] = (), input_format: str = "json",
             folder: Path | None = None, texts: dict[str, str] | None = None) -> dict[str, Any]:
    """``mapper eval``: ``{"result": JSON text}``, or ``{"problems": [...]}`` in the expression or the input.

    A JSON input is the document; any other ``input_format`` is read with the mapping of ``texts`` (the page's
    ``mapping``, ``source_schema`` and ``target_schema``, in a ``Sandbox`` of ``folder``) and the expression
    sees its first record."""
    if input_format == "json":
        try:
            document = loads(text.encode("utf-8"))
        except ValueError as error:
            fault = syntax_error(error, "input")
            return {"problems": [{"editor": "input", "line": fault.line, "column": fault.column,
                                  "message": str(fault), "where": "input"}]}
    else:
        found = _first_record(text, input_format, folder, texts or {}, functions)
        if isinstance(found, list):
            return {"problems": found}
        document = found.value
    try:
        result = compile(expression, functions=functions).search(document)
        return {"result": dumps(result, indent=True).decode()}
    except ExpressionError as error:
        column = None if error.offset is None else error.offset + 1
        return {"problems": [{"editor": "expression", "line": 1, "column": column, "message": str(error),
                              "where": "expression"}]}
    except (EvaluationError, RecordError) as error:  # RecordError: NaN or an infinity, from arithmetic
        return {"problems": [{"editor": "expression", "line": 1, "column": None, "message": str(error),
                              "where": "expression"}]}


@dataclass(frozen=True)
class _Record:
    value: Any


def _first_record(text: str, fmt: str, folder: Path | None, texts: dict[str, str],
                  functions: Sequence[Any]) -> _Record | list[dict[str, Any]]:
    """The input's first record as the page's mapping reads it, or the problems that keep it from being read."""
    if fmt not in INPUT_FORMATS:
        return [{"editor": "input", "line": None, "column": None, "where": "input",
                 "message": f"unknown input format {fmt!r} (formats: {', '.join(INPUT_FORMATS)})"}]
    if folder is None or any(name not in texts for name in MAPPING_TEXTS):
        return [{"editor": "input", "line": None, "column": None, "where": "input",
                 "message": f"{fmt.upper()} input is read by the mapping: send {', '.join(MAPPING_TEXTS)}"}]
    with Sandbox(folder, texts.get("name") or "playground") as sandbox:
        refused = _written(sandbox, texts)
        if refused:
            return refused
        mapping = _loaded(sandbox, functions)
        if isinstance(mapping, list):
            return mapping
        record = _first_of(mapping, text, fmt)
        if isinstance(record, PayloadError):
            return [{"editor": "input", "line": record.line, "column": record.column, "where": "input",
                     "message": sandbox.shown(str(record))}]
        if record is None:
            return [{"editor": "input", "line": None, "column": None, "where": "input",
                     "message": "the input holds no record"}]
        return _Record(record)
