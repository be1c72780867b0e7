"""XML inputs with ``jobs``: worker processes read the files themselves; the parent only orders and writes.

Reading XML (parsing and converting to records) is most of what converting it costs, so with
``jobs`` of N the parent never parses an XML file. Each file goes to the workers one of two ways:

- **whole**: one worker reads and maps every record of the file; several files go round the
  workers in turn (C-CDA: one document, one record, one file);
- **shared**, when the run has fewer files than workers and the file's ``records`` path is below
  the document element (``/Export/Patients/Patient``): every worker parses the whole document with
  lxml's ``iterparse`` (libxml2, at C speed) but converts and maps only its share, the chunks of
  ``CHUNK_RECORDS`` records whose index is its own modulo N. The other records are parsed and
  freed unread (``XmlReader.records``'s ``wanted``).

Each worker sends the outcomes of a chunk (encoded output, or the reject) through a queue of its
own that holds ``QUEUE_CHUNKS`` chunks, and waits while it is full; the parent takes chunks in input
order (for a shared file, round the workers). So a worker holds at most ``QUEUE_CHUNKS + 1`` chunks
of outcomes, beside the one record lxml is parsing, however large the document.

Everything is as with one process: record numbers, the record element's line, where a document
breaks off (every worker parses to the fault, and the one whose chunk it falls in reports it after
its records), and the order of outputs and rejects. Closing the outcomes early (``max_rejects``,
Ctrl-C, SIGTERM) ends the workers; they die with the parent too (``processes.prepare_worker``).
Workers are forked, since a reader holds a compiled plan that does not pickle: where fork is not
to be had, the parent reads XML and the workers only map (``can_fork``).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator, Sequence
from typing import IO, Any, Final, cast

from ..errors import ConversionError
from .observer import Observer
from .processes import compact, prepare_worker, restore
from .tasks import Outcome, Task, process
from .units import FATAL, SKIP, Input, record_units

#: Records per chunk, the unit of sharing and of sending; with ``QUEUE_CHUNKS``, the bound of a worker's memory.
CHUNK_RECORDS: Final = 250
#: Chunks a worker may have sent and the parent not yet taken.
QUEUE_CHUNKS: Final = 2
#: Seconds between checks that a worker the parent waits on is still alive.
_POLL: Final = 0.5

#: What a worker sends: the input bytes read so far and the chunk's outcomes; None ends a file.
Message = tuple[int, list[Outcome | bytes | None]] | None
#: What a worker does, in order: (input, its share, the number of shares); a whole file is share 0 of 1.
Assignment = tuple[Input, int, int]


def can_fork() -> bool:
    """Whether workers can read XML files themselves here (they are forked)."""
    import multiprocessing  # only for runs with workers: start-up stays free of it

    return "fork" in multiprocessing.get_all_start_methods()


def file_outcomes(task: Task, items: Sequence[Input], jobs: int, observer: Observer) -> Iterator[Outcome]:
    """The outcome of every record of the XML files ``items``, in order, read and mapped by ``jobs`` workers."""
    owners: list[int | None] = []  # per input: the worker that reads it whole, None when shared
    turn = 0
    for shared in shares([item.reader for item in items], jobs):
        owners.append(None if shared else turn % jobs)
        turn += not shared
    plan: list[list[Assignment]] = [[] for _ in range(jobs)]
    for item, owner in zip(items, owners, strict=True):
        for worker in range(jobs) if owner is None else (owner,):
            plan[worker].append((item, worker, jobs) if owner is None else (item, 0, 1))
    workers = _Workers(task, plan)
    try:
        for item, owner in zip(items, owners, strict=True):
            yield from _ordered(workers, item, owner, jobs, observer)
    finally:
        workers.stop()


def shares(readers: Sequence[object], jobs: int) -> list[bool]:
    """For each file, by its reader: whether all ``jobs`` workers read it and each maps its share (else one
    worker reads it whole). Only when the run has fewer files than workers and the records are below the
    document element."""
    return [len(readers) < jobs and getattr(reader, "records_below_root", False) is True for reader in readers]


def _ordered(workers: _Workers, item: Input, owner: int | None, jobs: int, observer: Observer) -> Iterator[Outcome]:
    """The outcomes of one file as its worker (``owner``), or all of them in turn (None), send them."""
    position = _Position()
    observer.opened(cast(IO[bytes], position))
    try:
        turn = owner if owner is not None else 0
        while (message := workers.take(turn)) is not None:
            position.at, results = message
            for result in results:
                yield restore(result)
            if owner is None:
                turn = (turn + 1) % jobs
        if owner is None:  # the others end this file too, having no chunk left of it
            for other in range(jobs):
                if other != turn:
                    workers.take(other)
    finally:
        observer.closed(os.stat(item.name).st_size)


class _Position:
    """What the observer is given for a file the workers read: ``tell()`` is the bytes read so far."""

    def __init__(self) -> None:
        self.at = 0

    def tell(self) -> int:
        return self.at


class _Workers:
    """One forked process per non-empty plan, each with its queue of at most ``QUEUE_CHUNKS`` chunks."""

    def __init__(self, task: Task, plan: list[list[Assignment]]) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        parent = os.getpid()
        self.queues: list[Any] = []
        self.processes: list[Any] = []
        for assignments in plan:
            channel = context.Queue(QUEUE_CHUNKS)
            process_ = context.Process(target=_work, args=(parent, task, assignments, channel), daemon=True)
            self.queues.append(channel)
            self.processes.append(process_)
            if assignments:
                process_.start()

    def take(self, worker: int) -> Message:
        """The next message of ``worker``; raises what the worker raised, or ``ConversionError`` if it died."""
        from queue import Empty

        channel, process_ = self.queues[worker], self.processes[worker]
        while True:
            try:
                message = channel.get(timeout=_POLL)
                break
            except Empty:
                if process_.is_alive():
                    continue
            try:  # it ended: what it sent before is in the pipe already
                message = channel.get(timeout=_POLL)
                break
            except Empty:
                raise ConversionError(f"a worker process ended unexpectedly (exit code {process_.exitcode})") \
                    from None
        if isinstance(message, BaseException):
            raise message
        return cast(Message, message)

    def stop(self) -> None:
        """End every worker, whatever it is doing, and wait for it."""
        for process_ in self.processes:
            if process_.is_alive():
                process_.terminate()
        for process_, channel in zip(self.processes, self.queues, strict=True):
            if process_.pid is not None:
                process_.join()
            channel.close()


def _work(parent: int, task: Task, assignments: list[Assignment], channel: Any) -> None:
    """A worker's life: the chunks of every assignment, each file ended by None, in order."""
    prepare_worker(parent)
    try:
        for item, share, shares in assignments:
            for message in _chunks(task, item, share, shares):
                channel.put(message)
            channel.put(None)
    except Exception as error:  # noqa: BLE001 - the parent raises it
        channel.put(_sendable(error))


def _chunks(task: Task, item: Input, share: int, shares: int) -> Iterator[Message]:
    """The outcomes of the chunks of ``item`` that are this worker's (index modulo ``shares`` is ``share``).

    A unit's chunk is that of its record; a FATAL unit's is that of the record that would have come next,
    so its owner reports it after the records before it. Every chunk but the last is full.
    """
    size = CHUNK_RECORDS

    def mine(index: int) -> bool:
        return index % shares == share

    results: list[Outcome | bytes | None] = []
    index = 0  # the chunk being read
    seen = False
    with open(item.name, "rb") as stream:
        wanted = None if shares == 1 else lambda number: mine((number - 1) // size)
        for unit in record_units(item, stream, wanted, located=True):
            seen = True
            at = unit[1] // size if unit[3] == FATAL else (unit[1] - 1) // size
            if at != index:
                if mine(index):
                    yield stream.tell(), results
                    results = []
                index = at
            if mine(index) and unit[3] != SKIP:
                results.append(compact(process(task, unit)))
        if seen and mine(index):
            yield stream.tell(), results


def _sendable(error: Exception) -> Exception:
    """``error``, or a ``ConversionError`` saying what it was when it does not pickle."""
    try:
        pickle.dumps(error)
    except Exception:  # noqa: BLE001 - anything can fail to pickle
        return ConversionError(f"a worker process failed: {type(error).__name__}: {error}")
    return error
