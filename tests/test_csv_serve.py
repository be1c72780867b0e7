"""``mapper serve`` reads CSV and TSV bodies and answers in CSV, through real HTTP as tests/test_serve.py does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_csv_write import MAPPING, ROW
from test_serve import post, serving

from mapper.serve import create_app, load_catalog

ROOT = Path(__file__).parent.parent
EXPORT = "crm-export-csv-to-member"
FIXTURES = ROOT / "mappings" / f"{EXPORT}.fixtures"
HEADER = (FIXTURES / "export-of-three-contacts.input.csv").read_bytes().split(b"\r\n", 1)[0]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = tmp_path_factory.mktemp("mappings")
    for name in (f"{EXPORT}.yaml",):
        (folder / name).write_text((ROOT / "mappings" / name).read_text("utf-8").replace(
            "../schemas/", f"{ROOT}/schemas/"), encoding="utf-8")
    (folder / "row.schema.json").write_text(json.dumps(ROW), encoding="utf-8")
    (folder / "export-to-rows.yaml").write_text(
        MAPPING % {"source": ROOT / "schemas" / "crm" / "contact-export.schema.json"}, encoding="utf-8")
    with serving(create_app(load_catalog(folder))) as client:
        yield client


def test_a_csv_body_is_a_batch_whose_rejects_say_their_line(client: httpx.Client) -> None:
    body = (HEADER + b"\r\n0035e00000Xy7QgAAJ,Lena,Berg,lena@example.se" + b"," * 18
            + b"\r\n0035e00000Xy7QhAAJ,Short\r\n0035e00000Xy7QiAAJ,No,Email" + b"," * 19 + b"\r\n")
    answer = post(client, EXPORT, body, "text/csv; charset=utf-8")
    assert answer.status_code == 200, answer.text
    batch = answer.json()
    assert [result["record"] for result in batch["results"]] == [1]
    assert batch["results"][0]["output"]["email_address"] == "lena@example.se"
    assert [(reject["record"], reject["line"]) for reject in batch["rejects"]] == [(2, 3), (3, 4)]
    assert batch["rejects"][0]["errors"] == [{"stage": "input", "pointer": "", "line": 3,
                                              "message": "the row has 2 cells, the header 22"}]
    assert batch["rejects"][1]["errors"][0]["pointer"] == "/email_address"
    assert batch["counts"] == {"read": 3, "written": 1, "rejected": 2}


@pytest.mark.parametrize(("accept", "media", "separator"), [
    ("text/csv", "text/csv; charset=utf-8", ","),
    ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8", "\t"),
])
def test_a_csv_answer_is_a_header_and_a_row_per_record(client: httpx.Client, accept: str, media: str,
                                                       separator: str) -> None:
    body = (FIXTURES / "export-of-three-contacts.input.csv").read_bytes()
    answer = post(client, "export-to-rows", body, "text/csv", Accept=accept)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == media
    rows = answer.content.decode("utf-8").split("\r\n")
    assert rows[0].split(separator) == ["id", "name.family", "name.given", "city", "opted_out", "emails_sent",
                                        "interests"]
    assert rows[1:] == [separator.join(["0035e00000Xy7QaAAJ", "Núñez García", "José", "San Francisco", "false",
                                        "42", "hiking | yoga | knitting"]),
                        separator.join(["0035e00000Xy7QbAAJ", "O'Brien", "Siobhán", "Dublin", "true", "0", ""]),
                        separator.join(["0035e00000Xy7QcAAJ", "Mensah", "Kwame", "", "false", "7", "running"]), ""]


def test_a_tsv_body_is_read_as_tsv(client: httpx.Client) -> None:
    body = (FIXTURES / "report-as-tsv.input.tsv").read_bytes()
    answer = post(client, EXPORT, body, "text/tab-separated-values")
    assert answer.status_code == 200, answer.text
    expected = json.loads((FIXTURES / "report-as-tsv.expected.json").read_text("utf-8"))
    assert [result["output"] for result in answer.json()["results"]] == expected


def test_a_csv_answer_holds_converted_records_only(client: httpx.Client) -> None:
    # The member has tags, an array: no row can hold it, and the answer says so rather than drop them.
    body = (FIXTURES / "export-of-three-contacts.input.csv").read_bytes()
    answer = post(client, EXPORT, body, "text/csv", Accept="text/csv")
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/json"
    batch = answer.json()
    assert batch["message"].startswith("3 of 3 records were rejected; a CSV answer holds converted records only")
    assert {reject["errors"][0]["pointer"] for reject in batch["rejects"]} == {"/tags"}


def test_one_json_record_answered_as_csv(client: httpx.Client) -> None:
    record = {"Id": "0035e00000Xy7QaAAJ", "LastName": "Smith", "MailingAddress": {"City": "Leeds"}}
    answer = post(client, "export-to-rows", json.dumps(record), Accept="text/csv")
    assert answer.status_code == 200, answer.text
    assert answer.text == "id,name.family,name.given,city,opted_out,emails_sent,interests\r\n" \
                          "0035e00000Xy7QaAAJ,Smith,,Leeds,,,\r\n"
