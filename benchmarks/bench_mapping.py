"""Benchmark: per-record cost of mapper against hand-written Python and the peers.

    python -m benchmarks.bench_mapping [--records N] [--repeat R] [--json FILE]

For each workload (benchmarks/workloads.py) every contender maps the same
records, in R rounds that take turns between contenders. Times are the best of
each; ratios are the median of the ratios within a round (the machines are
shared, and their speed drifts more between rounds than within one). Before timing, each contender's output is
compared with mapper's on every record the mapping accepts.

It also counts the rule expressions of the shipped and benchmark mappings that fall back
to jmespath's interpreter instead of generated code (none, today).

Contenders: mapper (mapping alone; mapping + validation), hand-written Python
(alone; + jsonschema-rs validation), naive jmespath.search per field +
jsonschema validation, glom, jsonata-python (the peers only on the workloads
they can express: jmespath.org and glom have no arithmetic or conditionals for
the weather workload's unit conversions).
Targets (issue 6): mapping alone within 1.5x of hand-written; mapping +
validation at least 20x faster than naive + jsonschema.
Not a test: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs

import mapper
from mapper.runtime import Scope

from . import handwritten, peers, workloads
from ._util import paired_ratio
from .workloads import Workload


def contenders(workload: Workload) -> dict[str, Callable[[Any], Any]]:
    mapping = mapper.load(workload.mapping)
    compiled = mapping.compiled  # the mapping alone, without validation, for measuring only
    build, uses_scope = compiled.build, compiled.uses_scope
    reference = mapping.target_schema.validator()  # jsonschema, formats checked, as mapper's explanations
    rust = jsonschema_rs.validator_for(mapping.target_schema.contents, validate_formats=True)
    floor = handwritten.FLOORS[workload.name]

    def mapper_alone(record: Any) -> Any:
        return build(record, Scope.top(record) if uses_scope else None, (), [])

    def floor_validated(record: Any) -> Any:
        output = floor(record)
        rust.is_valid(output)
        return output

    runners: dict[str, Callable[[Any], Any]] = {
        "mapper": mapper_alone,
        "mapper+validation": lambda record: mapping.result(record).output,
        "hand-written": floor,
        "hand-written+jsonschema-rs": floor_validated,
    }
    # The peers of the workloads they can express (plain jmespath and glom have no unit conversion).
    naive = peers.NAIVE.get(workload.name)
    if naive is not None:
        def naive_validated(record: Any) -> Any:
            output = naive(record)
            reference.is_valid(output)
            return output

        runners["naive jmespath+jsonschema"] = naive_validated
    if workload.name in peers.GLOM:
        runners["glom"] = peers.GLOM[workload.name]()
    if workload.name in peers.JSONATA:
        runners["jsonata-python"] = peers.jsonata_mapper(peers.JSONATA[workload.name])
    return runners


def check_outputs(workload: Workload, runners: dict[str, Callable[[Any], Any]]) -> dict[str, bool]:
    """Whether each contender gives mapper's output on every record mapper accepts."""
    mapping = mapper.load(workload.mapping)
    accepted = [(result.input, result.output) for result in mapping.apply_many(workload.records) if result.ok]
    same = {}
    for name, run in runners.items():
        same[name] = all(json.loads(json.dumps(run(record))) == output for record, output in accepted)
    return same


def fallbacks(paths: list[Path]) -> dict[str, int]:
    """How many rule expressions run on jmespath's interpreter instead of generated code."""
    expressions = [expression for path in paths for expression in mapper.load(path).compiled.expressions]
    return {"expressions": len(expressions), "interpreted": sum(e.interpreted for e in expressions)}


def measure(workload: Workload, repeat: int) -> dict[str, Any]:
    runners = contenders(workload)
    same = check_outputs(workload, runners)
    records = [record for record in workload.records]
    slow = {"naive jmespath+jsonschema", "glom", "jsonata-python"}
    rounds: list[dict[str, float]] = []  # seconds per record of each contender, round by round
    for _ in range(repeat):
        times = {}
        for name, run in runners.items():
            # The slow peers run on a tenth of the records: per-record cost is what is compared.
            sample = records[: max(1, len(records) // 10)] if name in slow else records
            start = time.perf_counter()
            for record in sample:
                run(record)
            times[name] = (time.perf_counter() - start) / len(sample)
        rounds.append(times)
    best = {name: min(times[name] for times in rounds) for name in runners}

    def ratio(slower: str, faster: str, digits: int = 2) -> float | None:
        if slower not in runners or faster not in runners:
            return None  # no such contender for this workload
        return paired_ratio(rounds, slower, faster, digits)

    rows = [{"contender": name, "us_per_record": round(seconds * 1e6, 2), "records_per_s": round(1 / seconds),
             "vs_hand_written": ratio(name, "hand-written"), "same_output": same[name]}
            for name, seconds in best.items()]
    ratios = {
        "mapper / hand-written (target <= 1.5)": ratio("mapper", "hand-written"),
        "mapper+validation / hand-written+jsonschema-rs": ratio("mapper+validation", "hand-written+jsonschema-rs"),
        "naive+jsonschema / mapper+validation (target >= 20)":
            ratio("naive jmespath+jsonschema", "mapper+validation", 1),
        "glom / mapper": ratio("glom", "mapper", 1),
        "jsonata / mapper": ratio("jsonata-python", "mapper", 1),
    }
    return {"workload": workload.name, "records": len(records), "rows": rows,
            "ratios": {name: value for name, value in ratios.items() if value is not None}}


def print_table(result: dict[str, Any]) -> None:
    print(f"\n{result['workload']}: {result['records']} records")
    print(f"  {'contender':<30} {'us/record':>10} {'records/s':>10} {'x hand-written':>15}  same output")
    for row in result["rows"]:
        print(f"  {row['contender']:<30} {row['us_per_record']:>10} {row['records_per_s']:>10} "
              f"{row['vs_hand_written']:>15}  {'yes' if row['same_output'] else 'NO'}")
    for name, value in result["ratios"].items():
        print(f"  {name}: {value}")


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    shipped = sorted((workloads.ROOT / "mappings").glob("*.yaml")) + [workloads.CLINICAL_MAPPING]
    fallback = fallbacks(shipped)
    print(f"expressions of the shipped and benchmark mappings: {fallback['expressions']}, "
          f"on the fallback interpreter: {fallback['interpreted']}")
    results: list[dict[str, Any]] = []
    for workload in (workloads.crm(args.records), workloads.clinical(max(1, args.records // 5)),
                     workloads.weather(args.records)):
        result = measure(workload, args.repeat)
        print_table(result)
        results.append(result)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"fallbacks": fallback, "workloads": results}, out, indent=2)
    return results


if __name__ == "__main__":
    main()
