"""Partitions of a distributed conversion: what one task reads, maps and writes.

Internal to the Dask runner (``mapper.engine.dask``), and free of Dask so
that it runs (and is tested) without a cluster. A conversion is cut into
``Partition``s: one per JSON or XML file, and byte-range blocks of large
NDJSON files. ``run_partition`` maps one partition with the usual readers and
``Mapping.result``, and commits its output file and its reject file
atomically (``AtomicOutput``), so that a task that is run again (its worker
died) replaces what an earlier attempt wrote instead of adding to it.

Byte-range blocks: the block ``[start, end)`` owns every line that *starts*
inside it. A reader seeks to ``start - 1`` and skips to the end of that line
(the line it lands in belongs to the block before, unless the byte before
``start`` is a newline), then reads whole lines while they start before
``end``, so every line of a file is read by exactly one block whatever the
block size. Line and record numbers are the file's: ``count_block`` counts
the lines and records of every block but the last of a file, in a pass that
reads without mapping (cheap next to mapping) before the mapping pass.
"""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import IO, Any, NamedTuple

from ..errors import PayloadError, RecordError
from ..formats import check_format, source_reader
from ..formats.json import NdjsonReader, NdjsonWriter
from ..mapping import Mapping
from .counts import Counts
from .output import AtomicOutput
from .rejects import input_problem, reject_line, reject_record


@dataclass(frozen=True)
class Partition:
    """One unit of work: a whole input file, or the block ``[start, end)`` of an NDJSON file.

    ``path`` is a local path or a URL that fsspec opens (``s3://...``).
    ``end`` is ``None`` for a whole file. ``lines_before`` and
    ``records_before`` count the lines and the records (non-blank lines) of
    the file's earlier blocks, so that line and record numbers are the file's.
    """

    index: int
    path: str
    format: str
    start: int = 0
    end: int | None = None
    lines_before: int = 0
    records_before: int = 0

    @property
    def name(self) -> str:
        """The file name of this partition's output and reject files (``part-00003.ndjson``)."""
        return f"part-{self.index:05d}.ndjson"


def is_url(path: str) -> bool:
    return "://" in path


def open_input(path: str) -> IO[bytes]:
    """Open an input for binary reading: a local path, or any URL fsspec knows (``s3://...``)."""
    if not is_url(path):
        return open(path, "rb")
    opened: IO[bytes] = _fsspec().open(path, "rb").open()
    return opened


def input_size(path: str) -> int:
    if not is_url(path):
        return os.path.getsize(path)
    fs, location = _fsspec().core.url_to_fs(path)
    size: int = fs.size(location)
    return size


def _fsspec() -> Any:
    # Only where a URL is given: fsspec comes with Dask, not with mapper.
    import fsspec  # type: ignore[import-untyped]

    return fsspec


def plan(inputs: Sequence[tuple[str, str]], block_size: int) -> list[Partition]:
    """Cut ``(path, format)`` inputs into partitions: NDJSON in blocks of at most ``block_size`` bytes
    (as few as that allows, of equal size), others whole.

    Partitions are numbered in the order of ``inputs`` and, within a file, of
    its blocks, so reading the outputs in name order gives the input order.
    Raises ``PayloadError`` for an input that does not exist or cannot be read.
    """
    if block_size < 1:
        raise ValueError(f"block_size must be positive, not {block_size}")
    partitions: list[Partition] = []
    for path, fmt in inputs:
        check_format(fmt)
        try:
            size = input_size(path)
        except FileNotFoundError:
            raise PayloadError("input not found", source=path) from None
        except OSError as error:
            raise PayloadError(f"cannot read input: {error.strerror or error}", source=path) from error
        if fmt != "ndjson" or size <= block_size:
            partitions.append(Partition(len(partitions), path, fmt))
            continue
        # Blocks of equal size, none larger than block_size: no small remainder block.
        step = -(-size // -(-size // block_size))
        for start in range(0, size, step):
            partitions.append(Partition(len(partitions), path, fmt, start, min(start + step, size)))
    return partitions


def count_block(partition: Partition) -> tuple[int, int]:
    """The number of lines and of records (non-blank lines) that start in the block."""
    assert partition.end is not None, "only blocks are counted"
    lines = records = 0
    with open_input(partition.path) as stream:
        for _, line in block_lines(stream, partition.start, partition.end):
            lines += 1
            if line.strip():  # as NdjsonReader: a blank line is no record
                records += 1
    return lines, records


def blocks_to_count(partitions: Sequence[Partition]) -> list[Partition]:
    """The blocks whose counts the blocks after them need: all but the last block of each file."""
    return [partition for partition, following in pairwise(partitions)
            if partition.end is not None and following.path == partition.path and following.start == partition.end]


def number_blocks(partitions: Sequence[Partition], counts: dict[int, tuple[int, int]]) -> list[Partition]:
    """Set ``lines_before`` and ``records_before`` of every block from ``count_block`` of the
    blocks of ``blocks_to_count(partitions)``, given by partition index."""
    numbered: list[Partition] = []
    lines = records = 0
    for partition in partitions:
        if partition.start == 0:
            lines = records = 0
        else:
            block_lines, block_records = counts[partition.index - 1]
            lines += block_lines
            records += block_records
        numbered.append(replace(partition, lines_before=lines, records_before=records))
    return numbered


def block_lines(stream: IO[bytes], start: int, end: int | None) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, line)`` for every line that starts in ``[start, end)`` (``end`` None: to the end).

    ``line`` keeps its newline. Every line of a file starts in exactly one
    block, so the blocks of a file together yield each line once. ``stream``
    is at its start; only a block after the first seeks, so that a whole file
    may be a pipe.
    """
    offset = 0
    if start > 0:
        stream.seek(start - 1)
        # The line that holds byte start - 1 belongs to an earlier block; when
        # that byte is a newline, this reads just it.
        offset = start - 1 + len(stream.readline())
    while end is None or offset < end:
        line = stream.readline()
        if not line:
            return
        yield offset, line
        offset += len(line)


def prepare_output(output_dir: str, rejects_dir: str, *, overwrite: bool = False) -> None:
    """Create the output and reject directories; refuse (or, with ``overwrite``, delete) earlier parts.

    Parts of an earlier run would mix with this run's (it may cut the inputs
    differently), so a directory that holds ``part-*.ndjson`` files raises
    ``FileExistsError`` (before anything is created) unless ``overwrite`` is
    true. Temporary files left by a failed run are deleted.
    """
    directories = list(dict.fromkeys([Path(output_dir), Path(rejects_dir)]))
    for directory in directories:
        if not overwrite and directory.is_dir() and any(directory.glob("part-*.ndjson")):
            raise FileExistsError(errno.EEXIST, "holds the parts of an earlier conversion (overwrite them, "
                                  "or use another directory)", str(directory))
    for directory in directories:
        directory.mkdir(parents=True, exist_ok=True)
        # Temporary files of a conversion that failed are garbage: nothing renames them now.
        for path in [*directory.glob("part-*.ndjson"), *directory.glob(".part-*.ndjson.*")]:
            path.unlink(missing_ok=True)


def run_partition(partition: Partition, mapping: Mapping, output_dir: str, rejects_dir: str,
                  records: str | None = None) -> Counts:
    """Map one partition; write its outputs and rejects as NDJSON, atomically; return its counts.

    ``output_dir/NAME`` gets one output record a line; ``rejects_dir/NAME`` one
    reject a line (see ``reject_line``), and exists only when something was
    rejected. Both are written to temporary files and renamed into place when
    the partition is done, so a partition is visible whole or not at all, and
    running it again replaces the files instead of duplicating records.
    ``records`` says where the records are in a JSON or XML document (as
    ``--records``); by default the mapping's, when the file has its format.
    """
    output = Path(output_dir) / partition.name
    rejects = Path(rejects_dir) / partition.name
    for directory in {output.parent, rejects.parent}:
        directory.mkdir(parents=True, exist_ok=True)
        # Leftovers of an attempt whose worker died: nobody will rename them now.
        for stale in directory.glob(f".{partition.name}.*"):
            stale.unlink(missing_ok=True)
    with AtomicOutput(output) as out, AtomicOutput(rejects) as rej:
        counts = _map_partition(mapping, partition, out.stream, rej.stream, records)
        out.commit()
        if counts.rejected:
            rej.commit()
        else:
            rejects.unlink(missing_ok=True)  # an earlier attempt's; this one's is discarded on leaving
    return counts


def _map_partition(mapping: Mapping, partition: Partition, out: IO[bytes], rej: IO[bytes],
                   records: str | None) -> Counts:
    writer = NdjsonWriter()
    writer.begin(out)
    read = written = 0
    broken: tuple[str, ...] = ()
    source = partition.path
    with open_input(partition.path) as stream:
        items = _items(mapping, partition, stream, records)
        while True:
            try:
                item = next(items)
            except StopIteration:
                break
            except PayloadError as error:  # the document breaks off: what came before is converted
                broken = (str(error),)
                break
            read += 1
            where = {"record": item.record, "source": source, "line": item.line}
            if item.offset is not None:
                where["offset"] = item.offset
            if isinstance(item.value, PayloadError):
                rej.write(reject_line(reject_record(where, None, [input_problem(item.value)], item.text)))
                continue
            result = mapping.result(item.value, item.record)
            problems = result.problems
            if not problems:
                try:
                    writer.write(result.output)
                    written += 1
                    continue
                except RecordError as error:  # JSON cannot hold the output exactly (NaN, say)
                    problems = tuple(error.problems)
            rej.write(reject_line(reject_record(where, item.value, [problem.to_dict() for problem in problems])))
    writer.end()
    return Counts(read, written, read - written, 1, broken)


class _Item(NamedTuple):
    record: int  # 1-based in the file
    line: int | None  # NDJSON only
    offset: int | None  # NDJSON only: of the line's first byte
    value: Any  # the record, or the PayloadError of a line that is not JSON
    text: str | None  # the raw text of such a line


def _items(mapping: Mapping, partition: Partition, stream: IO[bytes], records: str | None) -> Iterator[_Item]:
    """Every record of the partition; raises ``PayloadError`` where a JSON or XML document breaks off."""
    source = partition.path
    if partition.format == "ndjson":
        lines = NdjsonReader()
        record = partition.records_before
        for line_number, (offset, line) in enumerate(block_lines(stream, partition.start, partition.end),
                                                     partition.lines_before + 1):
            # One line at a time through the NDJSON reader, so that the line
            # number and the raw text of a bad line are known here.
            for value in lines.records(io.BytesIO(line), source):
                record += 1
                text = None
                if isinstance(value, PayloadError):
                    value.line, value.record_number = line_number, record
                    text = line.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
                yield _Item(record, line_number, offset, value, text)
        return
    reader = source_reader(mapping, partition.format, records)
    for record, value in enumerate(reader.records(stream, source), 1):
        yield _Item(record, None, None, value, None)

