"""Readers and writers for a mapping's sides: which format an input has, how the output is written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConversionError, PayloadError
from ..formats import FORMAT_NAMES, TABLE_FORMATS, RecordReader, XmlLimits, format_of_path, reader, writer
from ..mapping import Mapping
from .units import Input

if TYPE_CHECKING:
    from ..formats.csv_read import CsvDialect


def resolve_inputs(names: Sequence[str], given: str | None, records: str | None, mapping: Mapping | None,
                   side: str, schema: Any = None, xml_limits: XmlLimits | None = None, *,
                   csv: CsvDialect | None = None, read_for: Mapping | None = None) -> list[Input]:
    """``resolve_input`` for each of ``names``; the XML inputs share one reader (building its plan from the
    schema costs more than reading a small document), which reads them one after another."""
    readers: dict[str, RecordReader] = {}
    return [resolve_input(name, given, records, mapping, side, schema, xml_limits, csv=csv,
                          read_for=read_for, readers=readers) for name in names]


def resolve_input(name: str, given: str | None, records: str | None, mapping: Mapping | None,
                  side: str, schema: Any = None, xml_limits: XmlLimits | None = None, *,
                  csv: CsvDialect | None = None, read_for: Mapping | None = None,
                  readers: dict[str, RecordReader] | None = None) -> Input:
    """An input (a path, or ``-`` for standard input) with its format and its reader.

    The format is ``given``, else what the file name says, else the format of
    the mapping's ``side`` (``source`` or ``target``); its records are
    ``records``, else the side's when the format is the side's own. The
    schema is ``schema``, else the side's; ``xml_limits`` bound an XML input, of whose undescribed parts
    only those the rules of ``read_for`` may see are read when it is given (``formats.xml_needs``); ``csv``
    lays out a CSV one. An XML
    reader already in ``readers`` (by format) is used again, and a new one put there. Raises
    ``ConversionError`` when the format cannot be told or the records path cannot work.
    """
    spec_side = getattr(mapping.spec, side) if mapping is not None else None
    fmt = given or (format_of_path(name) if name != "-" else None) or (spec_side.format if spec_side else None)
    if fmt is None:
        what = "standard input" if name == "-" else f"{name} from its name"
        raise ConversionError(f"cannot tell the format of {what}", parameter="input_format", values=FORMAT_NAMES)
    if schema is None and mapping is not None:
        schema = mapping.source_schema if side == "source" else mapping.target_schema
    namespaces: dict[str, str] = dict(spec_side.namespaces) if spec_side is not None else {}
    if records is None and spec_side is not None and spec_side.format == fmt:
        records = spec_side.records
        if fmt == "xml" and side == "target":
            records, namespaces = target_records_path(mapping, namespaces)
    known = readers.get(fmt) if readers is not None and fmt == "xml" else None
    if known is not None:
        return Input(name, fmt, known)
    fallback_keys = None
    if fmt == "xml" and read_for is not None:
        from ..formats.xml_needs import fallback_keys as needed_by  # a JSON run never parses the rules again

        fallback_keys = needed_by(read_for)
    try:
        made = reader(fmt, schema, records=records, namespaces=namespaces, xml_limits=xml_limits, csv=csv,
                      fallback_keys=fallback_keys)
    except PayloadError as error:  # a records path or expression that cannot work
        raise ConversionError(str(error)) from error
    if readers is not None and fmt == "xml":
        readers[fmt] = made
    return Input(name, fmt, made)


def target_records_path(mapping: Any, namespaces: dict[str, str]) -> tuple[str | None, dict[str, str]]:
    """The path of the record elements in XML the mapping writes (``/root/record``), for reading it back."""
    xml_writer: Any = writer("xml", **writer_options(mapping, "xml"))
    if xml_writer.root_tag is None:
        return None, namespaces
    known = dict(namespaces)
    steps = []
    for index, tag in enumerate((xml_writer.root_tag, xml_writer.record_tag)):
        uri, _, local = tag[1:].partition("}") if tag.startswith("{") else (None, "", tag)
        if uri is None:
            steps.append(local)
            continue
        prefix = next((name for name, value in known.items() if value == uri), f"ns{index}")
        known[prefix] = uri
        steps.append(f"{prefix}:{local}")
    return "/" + "/".join(steps), known


def writer_options(mapping: Mapping, output_format: str) -> dict[str, Any]:
    """The keyword arguments of ``mapper.formats.writer`` for the mapping's target side."""
    if output_format in TABLE_FORMATS:  # its schema names the columns
        return {"schema": mapping.target_schema}
    if output_format != "xml":
        return {}
    side = mapping.spec.target
    return {"schema": mapping.target_schema, "namespaces": dict(side.namespaces), "xml": dict(side.xml)}

