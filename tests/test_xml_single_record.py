"""One XML document that is one record converts to one JSON record, as a JSON object document does
(issue 14, item 15); a document of repeated record elements gives an array, even of one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
CCDA = ROOT / "mappings/ccda-encounter-to-professional-claim.yaml"
CCDA_FIXTURES = ROOT / "mappings/ccda-encounter-to-professional-claim.fixtures"
METAR = ROOT / "mappings/metar-to-observation.yaml"
METAR_FIXTURES = ROOT / "mappings/metar-to-observation.fixtures"


def convert(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["mapper", "convert", *map(str, args)], capture_output=True, timeout=120, check=False)


@pytest.mark.parametrize("name", ["office-visit-same-claim-as-fhir", "child-on-parent-plan-holder-is-subscriber"])
def test_a_clinical_document_gives_one_claim(name: str) -> None:
    done = convert(CCDA, CCDA_FIXTURES / f"{name}.input.xml")
    assert done.returncode == 0, done.stderr
    expected = json.loads((CCDA_FIXTURES / f"{name}.expected.json").read_text())
    assert done.stdout == (json.dumps(expected, indent=2, ensure_ascii=False) + "\n").encode()


def test_a_clinical_document_gives_one_claim_to_a_file_too(tmp_path: Path) -> None:
    out = tmp_path / "claim.json"
    done = convert(CCDA, CCDA_FIXTURES / "office-visit-same-claim-as-fhir.input.xml", "-o", out)
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(out.read_text()), dict)


@pytest.mark.parametrize("name, count", [("single-sky-condition-variable-wind-fog", 1),
                                         ("two-stations-repeated-sky-conditions", 2)])
def test_a_feed_of_record_elements_gives_an_array_even_of_one(name: str, count: int) -> None:
    done = convert(METAR, METAR_FIXTURES / f"{name}.input.xml")
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert isinstance(output, list) and len(output) == count


def test_two_documents_give_an_array(tmp_path: Path) -> None:
    document = CCDA_FIXTURES / "office-visit-same-claim-as-fhir.input.xml"
    done = convert(CCDA, document, document)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 2
