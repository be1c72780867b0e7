"""Benchmark: NDJSON end to end, `mapper convert` against the floor pipeline, and --jobs 2 against 1.

    python -m benchmarks.bench_ndjson [--records N] [--repeat R] [--json FILE]

Generates CRM contacts (fixed seed) as NDJSON, then runs in separate processes,
each reporting its own peak memory (VmHWM):

- ``floor``: orjson loads, the hand-written mapping, jsonschema-rs validation,
  orjson dumps, line by line;
- ``mapper --jobs 1`` and ``mapper --jobs 2``: ``mapper convert`` (parse, map,
  validate, serialize, rejects to a file), through its command-line entry point;
- ``2 x --jobs 1 on halves``: two independent ``mapper --jobs 1`` processes at
  once, each on half of the input. Its time against ``--jobs 1`` on the whole is
  what two processes gain on this machine for this work, with no coordination at
  all (shared caches, memory bandwidth and neighbours make it less than 2): the
  reference to read --jobs 2 against;
- the native tools users would pick, each running the same CRM mapping on the
  same file: ``jq`` (benchmarks/crm.jq) and ``JSONata 2.x on Node`` (the
  expression of ``peers.JSONATA``, run by benchmarks/node/jsonata_ndjson.js;
  ``npm install`` in benchmarks/node first).
  A peer whose tool is absent is skipped, with a message. Its time includes its
  start-up (a few tens of milliseconds), which mapper's excludes; it validates nothing.

The contenders take turns for R rounds. Records per second are the fastest run of
each; each ratio is the median of the ratios within a round (the machines are
shared, and their speed drifts more between rounds than within one); peak
memory is the highest of any round.

Targets: mapper within 2x of the floor (issue 6); --jobs 2 at least 1.8x the
throughput of --jobs 1 on a machine with 2 free cores (issue 15), beside what two
independent processes on the halves of the input gain in the same round: the most
two processes can gain on this machine at that moment. Not a test.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import peers
from ._util import paired_ratio, report, run_child, run_measured
from .workloads import CRM_MAPPING, crm_contact

NODE_FOLDER = Path(__file__).parent / "node"
JQ_PROGRAM = Path(__file__).parent / "crm.jq"


def generate(path: Path, count: int, seed: int = 1) -> int:
    import orjson

    rng = random.Random(seed)
    with path.open("wb") as out:
        for number in range(1, count + 1):
            out.write(orjson.dumps(crm_contact(rng, number)) + b"\n")
    return path.stat().st_size


def floor(source: str, target: str) -> int:
    import jsonschema_rs
    import orjson

    from mapper.schemas import load_schema

    from .handwritten import crm_member

    schema = load_schema(Path(CRM_MAPPING).parent.parent / "schemas" / "marketing" / "member.schema.json")
    is_valid = jsonschema_rs.validator_for(schema.contents, validate_formats=True).is_valid
    count = 0
    with open(source, "rb") as lines, open(target, "wb") as out:
        for line in lines:
            member = crm_member(orjson.loads(line))
            if is_valid(member):
                out.write(orjson.dumps(member) + b"\n")
            count += 1
    return count


def mapper_convert(source: str, target: str, jobs: str) -> int:
    from mapper.cli import run

    stderr = io.StringIO()
    code = run(["convert", str(CRM_MAPPING), source, "--from", "ndjson", "-o", target, "--to", "ndjson", "--jobs", jobs,
                "--rejects", target + ".rejects"], stdin=sys.stdin.buffer, stdout=sys.stdout.buffer, stderr=stderr)
    if code not in (0, 1):
        raise RuntimeError(stderr.getvalue())
    return sum(1 for _ in open(target, "rb")) + sum(1 for _ in open(target + ".rejects", "rb"))


CONTENDERS = ("floor", "mapper --jobs 1", "mapper --jobs 2", "2 x --jobs 1 on halves")


def halves(source: Path) -> tuple[Path, Path]:
    """The input split in two files of whole lines, as near the middle as a line allows."""
    data = source.read_bytes()
    middle = data.index(b"\n", len(data) // 2) + 1
    first, second = source.with_suffix(".first.ndjson"), source.with_suffix(".second.ndjson")
    first.write_bytes(data[:middle])
    second.write_bytes(data[middle:])
    return first, second


def run_halves_at_once(parts: tuple[Path, Path], folder: Path) -> dict[str, Any]:
    """``mapper --jobs 1`` on each half, both at once; the time is the slower one's."""
    children = [subprocess.Popen([sys.executable, "-m", "benchmarks.bench_ndjson", "--child", "mapper --jobs 1",
                                  str(part), str(folder / f"out-{index}.ndjson")], stdout=subprocess.PIPE, text=True)
                for index, part in enumerate(parts)]
    rows = [json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children]
    if any(child.returncode for child in children):
        raise RuntimeError("a half failed")
    return {"contender": "2 x --jobs 1 on halves", "records": sum(row["records"] for row in rows),
            "seconds": max(row["seconds"] for row in rows), "peak_rss_mib": max(row["peak_rss_mib"] for row in rows)}


def native_peers(folder: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The command line of each native peer that can run here (its arguments follow: input, output), and
    why each other one cannot."""
    commands: dict[str, list[str]] = {}
    skipped: dict[str, str] = {}
    jq = shutil.which("jq")
    if jq is None:
        skipped["jq"] = "jq is not installed"
    else:
        commands["jq"] = [jq, "-c", "-f", str(JQ_PROGRAM)]
    node = shutil.which("node")
    if node is None:
        skipped["JSONata 2.x on Node"] = "node is not installed"
    elif not (NODE_FOLDER / "node_modules" / "jsonata").is_dir():
        skipped["JSONata 2.x on Node"] = f"jsonata is not installed: run npm install in {NODE_FOLDER}"
    else:
        expression = folder / "crm.jsonata"
        expression.write_text(peers.JSONATA["crm"], encoding="utf-8")
        commands["JSONata 2.x on Node"] = [node, str(NODE_FOLDER / "jsonata_ndjson.js"), str(expression)]
    return commands, skipped


def run_native(name: str, command: list[str], source: Path, target: Path) -> dict[str, Any]:
    """One run of a native peer: its time from start to exit, and its own peak memory."""
    if name == "jq":  # a filter: the input as argument, the results on its standard output
        measured = run_measured([*command, str(source)], stdout=target)
    else:
        measured = run_measured([*command, str(source), str(target)], stdout=os.devnull)
    if measured["exit"] != 0:
        raise RuntimeError(f"{name} failed")
    with target.open("rb") as results:
        records = sum(1 for _ in results)
    return {"contender": name, "records": records, "seconds": measured["seconds"],
            "peak_rss_mib": measured["peak_rss_mib"]}


def child(args: list[str]) -> None:
    name, source, target = args[:3]
    start = time.perf_counter()
    count = floor(source, target) if name == "floor" else mapper_convert(source, target, name.split()[-1])
    report({"contender": name, "records": count, "seconds": time.perf_counter() - start})


def main(argv: list[str] | None = None) -> dict[str, Any]:
    if argv is None and sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
        return {}
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds, each contender once a round (default 3)")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "contacts.ndjson"
        size = generate(source, args.records)
        parts = halves(source)
        natives, skipped = native_peers(Path(folder))
        output = Path(folder) / "out.ndjson"
        rounds = [{**{name: run_child("benchmarks.bench_ndjson", name, str(source), str(output))
                      for name in CONTENDERS[:3]},
                   CONTENDERS[3]: run_halves_at_once(parts, Path(folder)),
                   **{name: run_native(name, command, source, output) for name, command in natives.items()}}
                  for _ in range(args.repeat)]
    rows = {name: min((one[name] for one in rounds), key=lambda row: row["seconds"]) for name in rounds[0]}
    for name, row in rows.items():
        row["peak_rss_mib"] = max(one[name]["peak_rss_mib"] for one in rounds)
    print(f"\nNDJSON end to end: {args.records} CRM contacts, {size / 1e6:.1f} MB")
    print(f"  {'contender':<24} {'records/s':>10} {'MB/s':>7} {'peak RSS MiB':>13}")
    for name, row in rows.items():
        print(f"  {name:<24} {row['records'] / row['seconds']:>10.0f} {size / 1e6 / row['seconds']:>7.1f} "
              f"{row['peak_rss_mib']:>13}")
    seconds = [{name: row["seconds"] for name, row in one.items()} for one in rounds]
    ratios = {
        "mapper --jobs 1 / floor time (target <= 2)": paired_ratio(seconds, "mapper --jobs 1", "floor"),
        "--jobs 2 / --jobs 1 throughput (target >= 1.8 on two free cores)":
            paired_ratio(seconds, "mapper --jobs 1", "mapper --jobs 2"),
        "reference: 2 x --jobs 1 on halves / --jobs 1 throughput":
            paired_ratio(seconds, "mapper --jobs 1", "2 x --jobs 1 on halves"),
    }
    for name in natives:
        ratios[f"{name} / mapper --jobs 1 time"] = paired_ratio(seconds, name, "mapper --jobs 1")
    for name, value in ratios.items():
        print(f"  {name}: {value}")
    for name, reason in skipped.items():
        print(f"  skipped {name}: {reason}")
    result = {"workload": "ndjson end to end", "records": args.records, "bytes": size, "rows": rows, "ratios": ratios,
              "skipped": skipped}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
