"""Shared helpers of the benchmarks: run a contender in a child process, read its peak memory."""

from __future__ import annotations

import json
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
