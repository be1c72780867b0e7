"""Output files written atomically: a temporary file beside the target, renamed at the end.

A crash, Ctrl-C or ``kill`` never leaves a half-written file under the final
name. The temporary file is ``.NAME.partial-XXXXXXXX`` in the directory of
``NAME``; it is removed on any error, on Ctrl-C and on SIGTERM. Only SIGKILL
(or a power cut) can leave it behind, and never under the final name.
The local runner writes its output and rejects files this way, and every
Dask partition its two part files.
"""

from __future__ import annotations

import os
import tempfile
from types import TracebackType
from typing import IO, Self

from ..errors import ConversionError


class AtomicOutput:
    """``with AtomicOutput(path) as out: ...; out.commit()``; leaving without ``commit()`` discards.

    Raises ``ConversionError`` on entering when ``path`` is a directory or its
    directory cannot be written.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.temporary: str | None = None
        self._file: IO[bytes] | None = None

    def __enter__(self) -> Self:
        directory, name = os.path.split(os.path.abspath(self.path))
        if os.path.isdir(self.path):
            raise ConversionError(f"cannot write {self.path}: it is a directory")
        try:
            descriptor, self.temporary = tempfile.mkstemp(prefix=f".{name}.partial-", dir=directory)
        except OSError as error:
            raise ConversionError(f"cannot write {self.path}: {error.strerror}") from error
        self._file = os.fdopen(descriptor, "wb")
        return self

    @property
    def stream(self) -> IO[bytes]:
        assert self._file is not None, "enter first"
        return self._file

    def commit(self) -> None:
        """Flush to disk and move the file under its final name."""
        assert self._file is not None and self.temporary is not None, "enter first"
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.chmod(self.temporary, _mode_for(self.path))
        os.replace(self.temporary, self.path)
        self.temporary = None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()
        if self.temporary is not None:
            try:
                os.unlink(self.temporary)
            except FileNotFoundError:
                pass
            self.temporary = None


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
