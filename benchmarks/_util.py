"""Shared helpers of the benchmarks: run a contender in a child process, read its peak memory."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM) in MiB.

    Read from /proc: ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` can report the
    parent's peak for a child here (see FINDINGS), so each child reports its own.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def paired_ratio(rounds: list[dict[str, float]], slower: str, faster: str, digits: int = 2) -> float:
    """The median over rounds of ``slower``'s time over ``faster``'s in the same round: the speed of
    these shared machines drifts by up to a third from one minute to the next, more than within a round."""
    return round(statistics.median(times[slower] / times[faster] for times in rounds), digits)


def report(result: dict[str, Any]) -> None:
    """Print a child's result as the last line of its output, with its peak memory."""
    print(json.dumps({**result, "peak_rss_mib": round(peak_rss_mib(), 1)}), flush=True)


def run_child(module: str, *args: str) -> dict[str, Any]:
    """Run ``python -m module --child ARGS`` in a fresh process and return what it reported."""
    completed = subprocess.run([sys.executable, "-m", module, "--child", *args],
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{completed.stderr}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


# Run in a small Python process of its own: it forks (a real fork, of a process of a few MiB) and
# execs the command, so the peak ``wait4`` reports is the command's own. Started straight from the
# benchmark (vfork), a process is charged with the benchmark's peak (see FINDINGS).
_MEASURE = """
import json, os, sys, time
out = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC) if sys.argv[1] else None
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    if out is not None:
        os.dup2(out, 1)
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"seconds": time.perf_counter() - start, "exit": os.waitstatus_to_exitcode(status),
                  "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}))
"""


def run_measured(command: list[str], stdout: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Run a native command; its wall time from start to exit, its exit code and its own peak memory
    (a floor of about 10 MiB, the size of the process that starts it). ``stdout``: a file for its output."""
    completed = subprocess.run([sys.executable, "-c", _MEASURE, os.fspath(stdout) if stdout else "", *command],
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{command[0]} could not be measured:\n{completed.stderr}")
    result: dict[str, Any] = json.loads(completed.stdout)
    return result
