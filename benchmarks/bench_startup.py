"""Benchmark: what a start-up costs, for runs of one process per event (a hook, a shell loop, a webhook).

    python -m benchmarks.bench_startup [--repeat R] [--json FILE]

Times ``python -c "import mapper"`` and ``mapper convert`` of one record
(``mappings/crm-contact-to-member.yaml`` on its ``full-contact`` fixture)
against ``python -c pass``, in R rounds that take turns between them. The
conversion runs three ways: with the load cache off (``MAPPER_CACHE=0``),
cold (an empty cache, which the run fills) and warm (the entry of an earlier
run), each with a cache directory of its own (never the user's).
Each figure is the median over rounds of the child's CPU time (user + system,
from ``wait4``: the machines are shared, and CPU time drifts less than wall
time), printed as it is and as a ratio to ``python -c pass`` of the same
round. A first round warms the caches (bytecode, page cache) and is not counted.
Targets (issue 15): import <= 0.06 s, one-record convert <= 0.12 s.

Each round also runs the conversion once more stage by stage (``STAGES``) in
each of the three ways, as the command runs it, in a child that times each stage's CPU time
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


#: The ways a conversion runs, by the load cache (``mapper.load_cache``) it finds.
CACHE_STATES = ("no cache", "cold cache", "warm cache")


def commands(output: Path) -> dict[str, list[str]]:
    """The contenders, by name: each a command line run as a child process."""
    executable = shutil.which("mapper", path=str(Path(sys.executable).parent)) or "mapper"
    convert = [executable, "convert", str(workloads.CRM_MAPPING), str(FIXTURE), "-o", str(output)]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import mapper": [sys.executable, "-c", "import mapper"],
        **{f"mapper convert (1 record, {state})": convert for state in CACHE_STATES},
    }


#: A one-record conversion as ``mapper convert`` runs it, timed stage by stage; prints the CPU seconds of each
#: stage as JSON. ``sys.argv[1:]``: the mapping, the input, the output. Without the cache (``MAPPER_CACHE=0``) the
#: load and the check are timed apart; with it, together, as the cache keeps them.
STAGES = """\
import json, os, sys, time
stages, mark = {}, time.process_time()
def stage(name):
    global mark
    now = time.process_time()
    stages[name], mark = now - mark, now
import mapper.cli
from mapper.cli import convert
from mapper.cli._common import Streams
stage("import the CLI")
argv = ["convert", *sys.argv[1:3], "-o", sys.argv[3]]
args = mapper.cli.parse(mapper.cli.parser_for(argv), argv)
stage("parse the command line")
import mapper.mapping
stage("import the loader")
if os.environ.get("MAPPER_CACHE") == "0":
    mapping = mapper.mapping.load(args.mapping)
    stage("load the mapping")
    import mapper.tooling.check
    stage("import the checker")
    findings = convert.check_findings(args.mapping, mapping)
    stage("check the mapping")
else:
    mapping, findings = convert.load_checked(args.mapping, [], None)
    stage("load and check (cache)")
convert.report_findings(args.mapping, findings, args, Streams(sys.stdin.buffer, sys.stdout.buffer, sys.stderr))
import mapper.engine
stage("import the engine")
mapper.engine.convert_files(mapping, args.inputs, args.output)
stage("convert the record")
print(json.dumps(stages))
"""


def environment(state: str, cache_home: Path) -> dict[str, str]:
    """The environment of a child that finds the load cache in ``state``, kept in ``cache_home``."""
    # Bytecode is written as for any user: a start-up reads it, it does not compile mapper's sources.
    variables = {name: value for name, value in os.environ.items()
                 if name not in ("PYTHONDONTWRITEBYTECODE", "MAPPER_CACHE")}
    if state == "no cache":
        variables["MAPPER_CACHE"] = "0"
    if state == "cold cache":
        shutil.rmtree(cache_home, ignore_errors=True)
    variables["XDG_CACHE_HOME"] = str(cache_home)
    return variables


def state_of(name: str) -> str:
    """The cache state a contender runs in (``"no cache"`` for those that load no mapping)."""
    return next((state for state in CACHE_STATES if state in name), "no cache")


def stage_seconds(output: Path, variables: dict[str, str]) -> dict[str, float]:
    """The CPU time of each stage of one stage-by-stage conversion (``STAGES``), in a fresh process."""
    done = subprocess.run([sys.executable, "-c", STAGES, str(workloads.CRM_MAPPING), str(FIXTURE), str(output)],
                          capture_output=True, text=True, check=True, env=variables)
    stages: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return stages


def cpu_seconds(command: list[str], variables: dict[str, str]) -> float:
    """The CPU time (user + system) of one run of ``command``."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=variables)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
    return usage.ru_utime + usage.ru_stime


def measure(repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        runs = commands(Path(folder) / "member.json")
        caches = {state: Path(folder) / state.replace(" ", "-") for state in CACHE_STATES}

        def one_round() -> dict[str, float]:
            return {name: cpu_seconds(command, environment(state_of(name), caches[state_of(name)]))
                    for name, command in runs.items()}

        one_round()  # warm-up: bytecode written, files cached, the warm cache filled
        rounds = [one_round() for _ in range(repeat)]
        staged = {state: [stage_seconds(Path(folder) / "staged.json", environment(state, caches[state]))
                          for _ in range(repeat)] for state in CACHE_STATES}
    seconds = {name: statistics.median(times[name] for times in rounds) for name in runs}
    return {
        "rounds": repeat,
        "cpu_seconds": {name: round(value, 4) for name, value in seconds.items()},
        "convert_stages_cpu_seconds": {
            state: {name: round(statistics.median(times[name] for times in runs_of_state), 4)
                    for name in runs_of_state[0]} for state, runs_of_state in staged.items()},
        "ratios": {
            "import mapper / python -c pass": paired_ratio(rounds, "import mapper", "python -c pass"),
            **{f"mapper convert (1 record, {state}) / python -c pass":
               paired_ratio(rounds, f"mapper convert (1 record, {state})", "python -c pass")
               for state in CACHE_STATES},
        },
        "targets_seconds": {"import mapper": 0.06,
                            **{f"mapper convert (1 record, {state})": 0.12 for state in CACHE_STATES}},
    }


def print_result(result: dict[str, Any]) -> None:
    print(f"\nstart-up: median CPU time of {result['rounds']} rounds")
    for name, value in result["cpu_seconds"].items():
        target = result["targets_seconds"].get(name)
        print(f"  {name:<40} {value:8.3f} s" + (f"  (target <= {target} s)" if target else ""))
    for name, value in result["ratios"].items():
        print(f"  {name}: {value}")
    for state, stages in result["convert_stages_cpu_seconds"].items():
        print(f"  mapper convert (1 record, {state}), stage by stage (median CPU time):")
        for name, value in stages.items():
            print(f"    {name:<30} {value * 1000:6.1f} ms")


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
