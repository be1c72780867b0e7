"""What every worker process shares, whichever runs it (``workers``, ``xml_jobs``): how it starts, and what
crosses back to the parent for an outcome."""

from __future__ import annotations

import os
import signal

from .tasks import OK, Outcome


def compact(outcome: Outcome) -> Outcome | bytes | None:
    """What crosses from a worker for ``outcome``: a written record's encoded bytes (or None when nothing is
    written), else the outcome; ``restore`` undoes it."""
    written = outcome.status == OK and (outcome.output is None or type(outcome.output) is bytes)
    return outcome.output if written else outcome


def restore(item: Outcome | bytes | None) -> Outcome:
    """The outcome ``compact`` gave ``item`` for."""
    return item if type(item) is Outcome else Outcome(OK, item)


def prepare_worker(parent: int) -> None:
    """What every worker process does first: leave Ctrl-C and SIGTERM to the parent, and die with it."""
    # Ctrl-C reaches the whole process group: the parent handles it (it owns the
    # output file); workers just stop when the parent shuts the pool down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the CLI's SIGTERM handler, which raises: a worker told to end
    # would then send the exception back over a pipe nobody reads, stuck, or print its traceback.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """On Linux, end this worker when its parent dies (even by SIGKILL) instead of waiting forever."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers stop when the pool's pipes close
        pass
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)
