"""Output files written atomically: a temporary file beside the target, renamed at the end.

A crash, Ctrl-C or ``kill`` never leaves a half-written file under the final
name. The temporary file is ``.NAME.partial-XXXXXXXX`` in the directory of
``NAME``; it is removed on any error, on Ctrl-C and on SIGTERM. Only SIGKILL
(or a power cut) can leave it behind, and never under the final name.
The local runner writes its output and rejects files this way, and every
Dask partition its two part files.

Only a regular file (or a new one) is replaced by a rename. A symbolic link
is left in place and its target written (the temporary file beside the
target); a device or FIFO (``/dev/null``, ``/dev/stdout``, ``mkfifo``) is
written in place, as any program writes it, since a rename would put a
regular file where the device was.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
from types import TracebackType
from typing import IO, Any, Self

from ..errors import ConversionError


class AtomicOutput:
    """``with AtomicOutput(path) as out: ...; out.commit()``; leaving without ``commit()`` discards.

    Raises ``ConversionError`` on entering when ``path`` is a directory or its
    directory cannot be written. A device or FIFO is written in place, and
    ``commit()`` only flushes it; a symbolic link's target is replaced.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.temporary: str | None = None
        self._file: IO[bytes] | None = None

    def __enter__(self) -> Self:
        try:
            mode: int | None = os.stat(self.path).st_mode  # of a symbolic link's target
        except OSError:  # a new file (or one that cannot be made: mkstemp says why)
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            raise ConversionError(f"cannot write {self.path}: it is a directory")
        try:
            if mode is not None and not stat.S_ISREG(mode):  # a device or FIFO: written in place
                self._file = io.BufferedWriter(_NamedFile(self.path, self.path))
                return self
            directory, name = os.path.split(self._target)
            descriptor, self.temporary = tempfile.mkstemp(prefix=f".{name}.partial-", dir=directory)
        except OSError as error:
            raise ConversionError(f"cannot write {self.path}: {error.strerror}") from error
        self._file = io.BufferedWriter(_NamedFile(descriptor, self.path))
        return self

    @property
    def _target(self) -> str:
        """The file the rename replaces: a symbolic link's target, not the link."""
        return os.path.realpath(self.path)

    @property
    def stream(self) -> IO[bytes]:
        assert self._file is not None, "enter first"
        return self._file

    def commit(self) -> None:
        """Flush to disk and move the file under its final name (a device or FIFO: flush and close)."""
        assert self._file is not None, "enter first"
        self._file.flush()
        if self.temporary is None:
            self._file.close()
            return
        try:
            os.fsync(self._file.fileno())
        except OSError as error:
            raise ConversionError(f"cannot write {self.path}: {error.strerror}") from error
        self._file.close()
        target = self._target
        os.chmod(self.temporary, _mode_for(target))
        os.replace(self.temporary, target)
        self.temporary = None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._file is not None and not self._file.closed:
            try:
                self._file.close()
            except ConversionError:  # what is left in the buffer cannot be written either (a full disk)
                pass
        if self.temporary is not None:
            try:
                os.unlink(self.temporary)
            except FileNotFoundError:
                pass
            self.temporary = None


class _NamedFile(io.FileIO):
    """A file opened for writing whose write errors say which file: a full disk raises
    ``ConversionError`` ("cannot write out.ndjson: No space left on device")."""

    def __init__(self, file: int | str, shown: str) -> None:
        super().__init__(file, "wb")
        self.shown = shown

    def write(self, data: Any) -> int:
        try:
            return super().write(data)
        except OSError as error:
            raise ConversionError(f"cannot write {self.shown}: {error.strerror}") from error


class Target:
    """Where a run writes: a stream given by the caller (flushed, never closed), an atomically
    written file, or nothing (``None``)."""

    def __init__(self, where: str | os.PathLike[str] | IO[bytes] | None) -> None:
        self._given: IO[bytes] | None = None
        self._file: AtomicOutput | None = None
        if isinstance(where, (str, os.PathLike)):
            self._file = AtomicOutput(where)
        else:
            self._given = where

    def __enter__(self) -> Self:
        if self._file is not None:
            self._file.__enter__()
        return self

    @property
    def stream(self) -> IO[bytes] | None:
        """The stream to write to; None for nothing."""
        return self._file.stream if self._file is not None else self._given

    def commit(self) -> None:
        if self._file is not None:
            self._file.commit()
        elif self._given is not None:
            self._given.flush()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._file is not None:
            self._file.__exit__(kind, error, trace)


def _mode_for(path: str) -> int:
    """The mode of the file being replaced, or what a new file gets under the umask (mkstemp makes 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
