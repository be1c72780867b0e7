"""The benchmark suite runs, and every contender it times does the same work as mapper.

Timing is never asserted (shared, noisy machines); what is checked is that the
figures compare like with like.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bench_mapping, workloads


@pytest.mark.parametrize("workload", [workloads.crm(120), workloads.clinical(40), workloads.weather(200)],
                         ids=["crm", "clinical", "weather"])
def test_every_contender_gives_mappers_output(workload: workloads.Workload) -> None:
    runners = bench_mapping.contenders(workload)
    assert bench_mapping.check_outputs(workload, runners) == {name: True for name in runners}


def test_the_workloads_are_mostly_valid_and_deterministic() -> None:
    import mapper

    first, again = workloads.crm(200), workloads.crm(200)
    assert first.records == again.records
    results = list(mapper.load(first.mapping).apply_many(first.records))
    assert len(results) == 200 and sum(result.ok for result in results) > 180


def test_the_mapping_benchmark_prints_its_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    results = bench_mapping.main(["--records", "30", "--repeat", "1"])
    assert [result["workload"] for result in results] == ["crm", "clinical", "weather"]
    assert "mapper / hand-written (target <= 1.5)" in capsys.readouterr().out


@pytest.mark.parametrize("peer", ["jq", "JSONata 2.x on Node"])
def test_every_native_peer_gives_mappers_output(peer: str, tmp_path: Path) -> None:
    import mapper
    from benchmarks import bench_ndjson

    commands, skipped = bench_ndjson.native_peers(tmp_path)
    if peer in skipped:
        pytest.skip(f"{peer}: {skipped[peer]}")
    source, target = tmp_path / "contacts.ndjson", tmp_path / "members.ndjson"
    bench_ndjson.generate(source, 1000)
    assert bench_ndjson.run_native(peer, commands[peer], source, target)["records"] == 1000
    contacts = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    given = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    accepted = [(result.output, given[index]) for index, result in
                enumerate(mapper.load(workloads.CRM_MAPPING).apply_many(contacts)) if result.ok]
    assert len(accepted) > 900 and all(output == theirs for output, theirs in accepted)


def test_a_native_peer_whose_tool_is_absent_is_skipped_with_the_reason(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import bench_ndjson

    monkeypatch.setattr(bench_ndjson.shutil, "which", lambda name: None)
    assert bench_ndjson.native_peers(tmp_path) == ({}, {"jq": "jq is not installed",
                                                        "JSONata 2.x on Node": "node is not installed"})
