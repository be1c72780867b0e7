"""Output files written atomically: a temporary file beside the target, renamed at the end.

A crash, Ctrl-C or ``kill`` never leaves a half-written file under the final
name. The temporary file is ``.NAME.partial-XXXXXXXX`` in the directory of
``NAME``; it is removed on any error, on Ctrl-C and on SIGTERM. Only SIGKILL
(or a power cut) can leave it behind, and never under the final name.
"""

from __future__ import annotations

import os
import tempfile
from types import TracebackType
from typing import IO

from ._common import UsageError


class AtomicOutput:
    """``with AtomicOutput(path) as out: ...; out.commit()``; leaving without ``commit()`` discards."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.temporary: str | None = None
        self._file: IO[bytes] | None = None

    def __enter__(self) -> AtomicOutput:
        directory, name = os.path.split(os.path.abspath(self.path))
        if os.path.isdir(self.path):
            raise UsageError(f"cannot write {self.path}: it is a directory")
        try:
            descriptor, self.temporary = tempfile.mkstemp(prefix=f".{name}.partial-", dir=directory)
        except OSError as error:
            raise UsageError(f"cannot write {self.path}: {error.strerror}") from error
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


def _mode_for(path: str) -> int:
    """The mode of the file being replaced, or what a new file gets under the umask (mkstemp makes 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
