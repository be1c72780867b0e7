"""Benchmark: what a start-up costs, for runs of one process per event (a hook, a shell loop, a webhook).

    python -m benchmarks.bench_startup [--repeat R] [--json FILE]

Times ``python -c "import mapper"`` and ``mapper convert`` of one record
(``mappings/crm-contact-to-member.yaml`` on its ``full-contact`` fixture)
against ``python -c pass``, in R rounds that take turns between the three.
Each figure is the median over rounds of the child's CPU time (user + system,
from ``wait4``: the machines are shared, and CPU time drifts less than wall
time), printed as it is and as a ratio to ``python -c pass`` of the same
round. A first round warms the caches (bytecode, page cache) and is not counted.
Targets (issue 15): import <= 0.06 s, one-record convert <= 0.12 s.

Each round also runs the conversion once more stage by stage (``STAGES``), as
the command runs it, in a child that times each stage's CPU time
(``time.process_time``): where a start-up goes, with the imports of each part
apart from its work. The stages of a run sum to a little less than the
command's own figure (they leave out the summary line and interpreter exit).
Not a test: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import workloads
from ._util import paired_ratio

FIXTURE = workloads.ROOT / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.input.json"


def commands(output: Path) -> dict[str, list[str]]:
    """The contenders, by name: each a command line run as a child process."""
    executable = shutil.which("mapper", path=str(Path(sys.executable).parent)) or "mapper"
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import mapper": [sys.executable, "-c", "import mapper"],
        "mapper convert (1 record)": [executable, "convert", str(workloads.CRM_MAPPING), str(FIXTURE),
                                      "-o", str(output)],
    }


#: A one-record conversion as ``mapper convert`` runs it, timed stage by stage; prints the CPU seconds of each
#: stage as JSON. ``sys.argv[1:]``: the mapping, the input, the output.
STAGES = """\
import json, sys, time
stages, mark = {}, time.process_time()
def stage(name):
    global mark
    now = time.process_time()
    stages[name], mark = now - mark, now
import mapper.cli
from mapper.cli import convert
from mapper.cli._common import Streams
stage("import the CLI")
args = mapper.cli.parse(mapper.cli.build_parser(), ["convert", *sys.argv[1:3], "-o", sys.argv[3]])
stage("parse the command line")
import mapper.mapping
stage("import the loader")
mapping = mapper.mapping.load(args.mapping)
stage("load the mapping")
import mapper.tooling.check
stage("import the checker")
convert.check_fails(args.mapping, mapping, args, Streams(sys.stdin.buffer, sys.stdout.buffer, sys.stderr))
stage("check the mapping")
import mapper.engine
stage("import the engine")
mapper.engine.convert_files(mapping, args.inputs, args.output)
stage("convert the record")
print(json.dumps(stages))
"""


def stage_seconds(output: Path) -> dict[str, float]:
    """The CPU time of each stage of one stage-by-stage conversion (``STAGES``), in a fresh process."""
    done = subprocess.run([sys.executable, "-c", STAGES, str(workloads.CRM_MAPPING), str(FIXTURE), str(output)],
                          capture_output=True, text=True, check=True)
    stages: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return stages


def cpu_seconds(command: list[str]) -> float:
    """The CPU time (user + system) of one run of ``command``."""
    # Bytecode is written as for any user: a start-up reads it, it does not compile mapper's sources.
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
    return usage.ru_utime + usage.ru_stime


def measure(repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        runs = commands(Path(folder) / "member.json")
        for command in runs.values():
            cpu_seconds(command)  # warm-up: bytecode written, files cached
        rounds = [{name: cpu_seconds(command) for name, command in runs.items()} for _ in range(repeat)]
        staged = [stage_seconds(Path(folder) / "staged.json") for _ in range(repeat)]
    seconds = {name: statistics.median(times[name] for times in rounds) for name in runs}
    return {
        "rounds": repeat,
        "cpu_seconds": {name: round(value, 4) for name, value in seconds.items()},
        "convert_stages_cpu_seconds": {name: round(statistics.median(times[name] for times in staged), 4)
                                       for name in staged[0]},
        "ratios": {
            "import mapper / python -c pass": paired_ratio(rounds, "import mapper", "python -c pass"),
            "mapper convert (1 record) / python -c pass": paired_ratio(rounds, "mapper convert (1 record)",
                                                                       "python -c pass"),
        },
        "targets_seconds": {"import mapper": 0.06, "mapper convert (1 record)": 0.12},
    }


def print_result(result: dict[str, Any]) -> None:
    print(f"\nstart-up: median CPU time of {result['rounds']} rounds")
    for name, value in result["cpu_seconds"].items():
        target = result["targets_seconds"].get(name)
        print(f"  {name:<30} {value:8.3f} s" + (f"  (target <= {target} s)" if target else ""))
    for name, value in result["ratios"].items():
        print(f"  {name}: {value}")
    print("  mapper convert (1 record), stage by stage (median CPU time):")
    for name, value in result["convert_stages_cpu_seconds"].items():
        print(f"    {name:<28} {value * 1000:6.1f} ms")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    result = measure(args.repeat)
    print_result(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
