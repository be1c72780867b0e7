"""The C-CDA workload of benchmarks/bench_xml.py compares like with like: the hand-written lxml transform
gives the claims the shipped mapping gives, on the fixtures and on the grown documents. Nothing here
asserts on time (shared, noisy machines)."""

from __future__ import annotations

import io
import json

import pytest
from lxml import etree

import mapper
from benchmarks import bench_xml


@pytest.fixture(scope="module")
def mapping() -> mapper.Mapping:
    return mapper.load(bench_xml.CCDA_MAPPING)


@pytest.mark.parametrize("name", bench_xml.CCDA_BASES)
def test_the_hand_written_transform_gives_each_fixtures_expected_claim(name: str) -> None:
    document = (bench_xml.CCDA_FIXTURES / f"{name}.input.xml").read_bytes()
    expected = json.loads((bench_xml.CCDA_FIXTURES / f"{name}.expected.json").read_text("utf-8"))
    assert bench_xml.ccda_handwritten([document]) == [expected]


def test_the_hand_written_transform_gives_the_mappings_claims(mapping: mapper.Mapping) -> None:
    documents = bench_xml.ccda_documents(8, statements=12)
    claims = bench_xml.ccda_mapper(documents, mapping)
    assert bench_xml.ccda_handwritten(documents) == claims
    assert len(claims) == 8 and all(result.ok for result in mapping.apply_many(
        record for document in documents
        for record in mapper.formats.xml.XmlReader.for_mapping(mapping).records(io.BytesIO(document), "x")))


def test_the_grown_documents_are_deep_attribute_heavy_and_namespaced() -> None:
    [document] = bench_xml.ccda_documents(1)
    root = etree.fromstring(document)
    depth = max(len(list(element.iterancestors())) for element in root.iter())
    attributes = sum(len(element.attrib) for element in root.iter())
    assert len(document) > 100_000 and depth >= 12 and attributes > sum(1 for _ in root.iter())  # more attributes than elements
    assert {etree.QName(element).namespace for element in root.iter()} >= {
        "urn:hl7-org:v3", "urn:springfield-fm:cda:billing"}
    assert bench_xml.ccda_documents(3) == bench_xml.ccda_documents(3)  # a fixed seed


def test_the_benchmark_prints_the_c_cda_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    [result] = bench_xml.main(["--ccda-documents", "4", "--repeat", "1", "--skip-export"])
    assert result["documents"] == 4 and result["ratio"] > 0
    assert "mapper / hand-written (median of paired rounds, target <= 1.5)" in capsys.readouterr().out


def test_the_benchmark_prints_jobs_2_beside_jobs_1_with_the_memory_of_the_process_tree(
        capsys: pytest.CaptureFixture[str]) -> None:
    results = bench_xml.main(["--ccda-documents", "0", "--size-mb", "0.3", "--small-mb", "0.1", "--only", "mapper"])
    assert [result["contender"] for result in results] == ["mapper", "mapper"]
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("mapper convert on the 0.3 MB export: --jobs 1 ") and "--jobs 2 " in line
    assert "the sum of VmHWM of the process tree" in line and "workers " in line
