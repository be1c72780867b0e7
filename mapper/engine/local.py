"""The local runner: units in, outcomes written in input order, rejects reported, counts out.

Every record read ends as exactly one outcome: written, or rejected (to the
rejects stream, or told to the observer). Nothing is dropped. The output and
rejects files are committed (renamed into place) only when the run ends
normally; an error, Ctrl-C or SIGTERM discards them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import IO, Any

from ..errors import ConversionError
from ..formats import RecordWriter
from .counts import Counts
from .observer import Observer
from .output import Target
from .rejects import reject_line
from .tasks import OK, REJECT, Outcome, Task
from .units import Unit
from .workers import outcomes

#: Where a run writes: a path (written atomically), a binary stream (flushed, not closed), or nothing.
Destination = str | os.PathLike[str] | IO[bytes] | None


class Run:
    """One conversion or validation: where outcomes go, and when to stop.

    ``writer_factory`` makes the output's writer (None: no output, a
    validation); it is called once, at the first record written, or at the
    end when no record was (an empty document: ``[]``). ``max_rejects`` stops
    the run at that many rejects, with ``Counts.stopped``.
    """

    def __init__(self, task: Task, writer_factory: Callable[[], RecordWriter] | None, *,
                 output: Destination = None, rejects: Destination = None, max_rejects: int | None = None,
                 jobs: int = 1, observer: Observer | None = None) -> None:
        self.task = task
        self.writer_factory = writer_factory
        self.output = output
        self.rejects = rejects
        self.max_rejects = max_rejects
        self.jobs = jobs
        self.observer = observer or Observer()

    def execute(self, units: Iterable[Unit]) -> Counts:
        """Process every unit; write outputs and rejects; commit files unless interrupted.

        Raises ``ConversionError`` for an output that cannot be written, or
        that cannot hold a second record (a JSON or XML one-record document).
        """
        observer = self.observer
        writing = self.writer_factory is not None
        read = written = rejected = 0
        broken: list[str] = []
        stopped = False
        with Target(self.output if writing else None) as out, Target(self.rejects) as rejects:
            reject_stream = rejects.stream
            writer: RecordWriter | None = None
            results = outcomes(self.task, units, self.jobs, observer)
            try:
                for outcome in results:
                    if outcome.status == OK:
                        if writing:
                            if writer is None:
                                writer = self._begin(out.stream)
                            self._write(writer, outcome.output)
                        read += 1
                        written += 1
                    elif outcome.status == REJECT:
                        read += 1
                        rejected += 1
                        self._reject(outcome, reject_stream)
                        if self.max_rejects is not None and rejected >= self.max_rejects:
                            stopped = True
                            break
                    else:
                        broken.append(outcome.message)
                        observer.broken(outcome.message)
                    observer.progressed(read)
            except BaseException:
                if writer is not None:
                    writer.close()  # the output is given up (see XmlWriter.close)
                raise
            finally:
                close = getattr(results, "close", None)
                if close is not None:
                    close()
                observer.finished()
            if writing:
                if writer is None and not broken:
                    writer = self._begin(out.stream)  # no records: still a document ("[]")
                if writer is not None:
                    writer.end()
            # An input that broke off before any record was written leaves nothing at the output (not an
            # empty file that is no document): leaving the Target without commit() discards it.
            if writer is not None or not writing:
                out.commit()
            rejects.commit()
        return Counts(read, written, rejected, broken_inputs=tuple(broken), stopped=stopped)

    def _begin(self, stream: IO[bytes] | None) -> RecordWriter:
        assert self.writer_factory is not None and stream is not None
        writer = self.writer_factory()
        writer.begin(stream)
        return writer

    def _write(self, writer: RecordWriter, output: Any) -> None:
        try:
            if self.task.encodes:
                writer.write_encoded(output)  # type: ignore[attr-defined]
            else:
                writer.write(output)
        except ConversionError:  # the file cannot be written (a full disk): it says which
            raise
        except ValueError as error:  # a JSON or XML document that holds one record, given a second
            raise ConversionError(f"cannot write a second record: {error}", parameter="output_format",
                                  values=("ndjson",), alternative=True) from error

    def _reject(self, outcome: Outcome, stream: IO[bytes] | None) -> None:
        if stream is None:
            self.observer.rejected(outcome.message)
        else:
            assert outcome.reject is not None
            stream.write(reject_line(outcome.reject))
        for where, traceback in outcome.tracebacks:
            self.observer.raised(where, traceback)
