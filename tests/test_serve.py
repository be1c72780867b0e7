"""``mapper.serve`` through real HTTP: uvicorn in a thread on the loopback, httpx as the client.

The shipped mappings answer their fixtures' expectations through ``POST``;
the error answers, the batch scheme and the limits are tables. No test
measures time: the limits are provoked with a user function that waits for
the test to let it go.
"""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import uvicorn
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mapper import jmespath_function, load
from mapper.serve import Limits, bind, create_app, load_catalog
from mapper.serve.openapi import bundled_schema
from mapper.tooling.fixtures import FixtureCase, find_cases, read_input

ROOT = Path(__file__).parent.parent
MAPPINGS = ROOT / "mappings"
CRM = "crm-contact-to-member"
CRM_FIXTURES = MAPPINGS / f"{CRM}.fixtures"
CONTACT = json.loads((CRM_FIXTURES / "full-contact.input.json").read_text("utf-8"))
NO_EMAIL = json.loads((CRM_FIXTURES / "no-email-address-rejected.input.json").read_text("utf-8"))
MEDIA = {".json": "application/json", ".ndjson": "application/x-ndjson", ".jsonl": "application/x-ndjson",
         ".xml": "application/xml", ".csv": "text/csv", ".tsv": "text/tab-separated-values"}
CASES = [case for path in sorted(MAPPINGS.glob("*.yaml")) for case in find_cases(path)]
#: Bounds on waiting for a server to start, or for a thread to get somewhere: never asserted as times.
PATIENCE = 20.0


@contextmanager
def serving(app: Any) -> Iterator[httpx.Client]:
    """``app`` on uvicorn in a thread, on a free loopback port; a client for it."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=PATIENCE) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(PATIENCE)


@pytest.fixture(scope="module")
def log() -> list[str]:
    return []


@pytest.fixture(scope="module")
def client(log: list[str]) -> Iterator[httpx.Client]:
    with serving(create_app(load_catalog(MAPPINGS), log=log.append)) as client:
        yield client


def post(client: httpx.Client, name: str, body: bytes | str, media: str = "application/json",
         **headers: str) -> httpx.Response:
    return client.post(f"/mappings/{name}", content=body, headers={"Content-Type": media, **headers})


def ordered(value: Any) -> str:
    """JSON text with keys in their order: an answer must match its expectation in key order too."""
    return json.dumps(value, ensure_ascii=False, indent=2)


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_a_shipped_mapping_answers_its_fixture(client: httpx.Client, case: FixtureCase) -> None:
    mapping = load(case.mapping_path)
    _, single = read_input(mapping, case.input_path)
    answer = post(client, mapping.name, case.input_path.read_bytes(), MEDIA[case.input_path.suffix])
    if case.expected_path.exists():
        expected = json.loads(case.expected_path.read_text("utf-8"))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if single:
            assert ordered(body) == ordered(expected)
        else:
            assert body["rejects"] == []
            assert [result["record"] for result in body["results"]] == list(range(1, len(expected) + 1))
            assert ordered([result["output"] for result in body["results"]]) == ordered(expected)
        return
    fragments = [line.strip() for line in case.reject_path.read_text("utf-8").splitlines() if line.strip()]
    body = answer.json()
    if single:
        assert answer.status_code == 422
        rejects = [body]
    else:
        assert answer.status_code == 200
        rejects = body["rejects"]
    assert rejects
    text = "\n".join(reject["message"] for reject in rejects)
    assert [fragment for fragment in fragments if fragment not in text] == []


def test_a_rejected_record_comes_back_as_rejects_writes_it(client: httpx.Client) -> None:
    answer = post(client, CRM, json.dumps(NO_EMAIL))
    assert answer.status_code == 422
    reject = answer.json()
    assert list(reject) == ["message", "record", "input", "errors"]
    assert reject["record"] == 1 and reject["input"] == NO_EMAIL
    assert reject["message"].startswith(f"record 1 (mapping {CRM}) failed with 1 problem:")
    [error] = reject["errors"]
    assert error["stage"] == "target" and error["pointer"] == "/email_address"
    assert error["rule"] == "email_address" and error["rule_location"].endswith("crm-contact-to-member.yaml:17:3")


@pytest.mark.parametrize(("media", "body", "lines"), [
    ("application/json", json.dumps([CONTACT, NO_EMAIL, CONTACT]), [None, None, None]),
    ("application/x-ndjson", "\n".join(json.dumps(each) for each in (CONTACT, NO_EMAIL, CONTACT)), [1, 2, 3]),
    # A blank line is no record: records and lines are counted apart, as in a rejects file.
    ("application/x-ndjson", "\n\n".join(json.dumps(each) for each in (CONTACT, NO_EMAIL, CONTACT)), [1, 3, 5]),
    ("application/ndjson; charset=utf-8", "\n".join(json.dumps(each) for each in (CONTACT, NO_EMAIL, CONTACT)),
     [1, 2, 3]),
], ids=["json-array", "ndjson", "ndjson-blank-lines", "ndjson-with-parameter"])
def test_a_batch_keeps_results_and_rejects_apart(client: httpx.Client, media: str, body: str,
                                                 lines: list[int | None]) -> None:
    answer = post(client, CRM, body, media)
    assert answer.status_code == 200
    batch = answer.json()
    assert list(batch) == ["results", "rejects", "counts"]
    assert [result["record"] for result in batch["results"]] == [1, 3]
    assert batch["results"][0]["output"] == load(MAPPINGS / f"{CRM}.yaml").apply(CONTACT)
    [reject] = batch["rejects"]
    assert reject["record"] == 2 and reject.get("line") == lines[1]
    assert reject["input"] == NO_EMAIL and reject["errors"][0]["pointer"] == "/email_address"
    assert batch["counts"] == {"read": 3, "written": 2, "rejected": 1}


def test_an_empty_array_is_an_empty_batch(client: httpx.Client) -> None:
    answer = post(client, CRM, "[]")
    assert (answer.status_code, answer.json()) == (200, {"results": [], "rejects": [],
                                                         "counts": {"read": 0, "written": 0, "rejected": 0}})


#: Malformed bodies: 400, with the line and column the CLI gives, in the CLI's words.
MALFORMED = [
    (CRM, "application/json", b'{"Id": "1",\n  "FirstName": }', 2, 16, "<request>:2:16: invalid JSON: "),
    (CRM, "application/json", b"", 1, 1, "<request>:1:1: invalid JSON: "),
    (CRM, "application/x-ndjson", b'{"Id": "1"}\n{"Id": x}\n', 2, 8,
     "<request>:2:8, record 2: invalid JSON: Unexpected character, expected a JSON value"),
    ("metar-to-observation", "application/xml", b"<response><data>\n<METAR></data></response>", 2, 15,
     "<request>:2:15: malformed XML: Opening and ending tag mismatch: METAR line 2 and data"),
    ("metar-to-observation", "application/xml",
     b'<!DOCTYPE r [<!ENTITY a "aaaa">]><response/>', 1, None,
     "<request>:1: refused XML: a DOCTYPE (DTD, entity declarations) is not accepted"),
]


@pytest.mark.parametrize(("name", "media", "body", "line", "column", "message"), MALFORMED,
                         ids=["json", "empty", "ndjson-line-2", "xml", "xml-dtd"])
def test_a_malformed_body_is_400_with_where(client: httpx.Client, name: str, media: str, body: bytes,
                                            line: int | None, column: int | None, message: str) -> None:
    answer = post(client, name, body, media)
    assert answer.status_code == 400
    error = answer.json()
    assert error["error"] == "malformed-body"
    assert message in error["message"]
    assert (error.get("line"), error.get("column")) == (line, column)


#: Bodies and answers a mapping cannot take: (mapping, Content-Type, Accept, status, fragment of the message).
REFUSED = [
    (CRM, "text/csv; charset=windows-1252", None, 415, "text/csv bodies are read as UTF-8, not windows-1252"),
    (CRM, "application/xml", None, 415, f"mapping {CRM} reads JSON records"),
    (CRM, "application/x-www-form-urlencoded", None, 415, "cannot read application/x-www-form-urlencoded bodies"),
    (CRM, "application/json", "text/html", 406, f"mapping {CRM} cannot answer text/html"),
    (CRM, "application/json", "application/xml", 406, f"mapping {CRM} cannot answer application/xml"),
    ("no-such-mapping", "application/json", None, 404, "no mapping 'no-such-mapping' is served here (served: ccda"),
]


@pytest.mark.parametrize(("name", "media", "accept", "status", "message"), REFUSED,
                         ids=["csv-not-utf8", "xml-to-json-mapping", "form", "html-out", "xml-out", "unknown-mapping"])
def test_what_cannot_be_done_is_refused_in_json(client: httpx.Client, name: str, media: str, accept: str | None,
                                                status: int, message: str) -> None:
    answer = post(client, name, json.dumps(CONTACT), media, **({"Accept": accept} if accept else {}))
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert message in answer.json()["message"]


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/*", "text/html;q=0.9, */*;q=0.1",
                                    "application/xml;q=0, application/json"])
def test_json_answers_whoever_accepts_it(client: httpx.Client, accept: str) -> None:
    answer = post(client, CRM, json.dumps(CONTACT), Accept=accept)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"


def test_a_body_without_content_type_is_json(client: httpx.Client) -> None:
    answer = client.post(f"/mappings/{CRM}", content=json.dumps(CONTACT).encode())
    assert answer.status_code == 200 and answer.json()["email_address"] == "jose.nunez@acme.example"


@pytest.mark.parametrize(("method", "path", "status", "message"), [
    ("GET", "/nowhere", 404, "no such path: /nowhere (see /docs or /openapi.json)"),
    ("DELETE", "/health", 405, "DELETE is not allowed on /health (allowed: GET, HEAD)"),
    ("PUT", f"/mappings/{CRM}", 405, f"PUT is not allowed on /mappings/{CRM} (allowed: GET, HEAD, POST)"),
])
def test_the_framework_answers_in_json_too(client: httpx.Client, method: str, path: str, status: int,
                                           message: str) -> None:
    answer = client.request(method, path)
    assert answer.status_code == status
    assert message in answer.json()["message"]


def test_the_mappings_are_listed_with_their_descriptions(client: httpx.Client) -> None:
    listing = client.get("/mappings").json()
    assert [mapping["name"] for mapping in listing["mappings"]] == sorted(path.stem for path in MAPPINGS.glob("*.yaml"))
    crm = next(mapping for mapping in listing["mappings"] if mapping["name"] == CRM)
    assert crm == {"name": CRM, "description": "Salesforce-style CRM contact to a Mailchimp-style list member",
                   "url": f"/mappings/{CRM}", "source": {"format": "json", "records": None},
                   "target": {"format": "json"}}
    assert listing["broken"] == []


@pytest.mark.parametrize("case", [case for case in CASES if case.expected_path.exists()
                                  and case.input_path.suffix == ".json"], ids=lambda case: case.label)
def test_a_described_schema_stands_on_its_own(client: httpx.Client, case: FixtureCase) -> None:
    description = client.get(f"/mappings/{case.mapping_path.stem}").json()
    mapping = load(case.mapping_path)
    records, _ = read_input(mapping, case.input_path)
    expected = json.loads(case.expected_path.read_text("utf-8"))
    source = jsonschema.Draft202012Validator(description["source"]["schema"])
    target = jsonschema.Draft202012Validator(description["target"]["schema"])
    for record in records:
        source.validate(record)
    for output in expected if isinstance(expected, list) else [expected]:
        target.validate(output)


def test_a_bundled_schema_still_rejects_what_the_schema_rejects() -> None:
    schema = bundled_schema(load(MAPPINGS / f"{CRM}.yaml").source_schema)
    validator = jsonschema.Draft202012Validator(schema)
    # The address is in a file of its own (address.schema.json): its rules must come along.
    assert not validator.is_valid({**CONTACT, "MailingAddress": {"City": 42}})
    assert validator.is_valid(CONTACT)


def test_the_openapi_document_has_one_operation_per_mapping(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    posts = {path for path, item in document["paths"].items() if "post" in item}
    assert posts == {f"/mappings/{path.stem}" for path in MAPPINGS.glob("*.yaml")}
    operation = document["paths"][f"/mappings/{CRM}"]["post"]
    assert operation["operationId"] == CRM
    assert set(operation["requestBody"]["content"]) == {"application/json", "application/x-ndjson", "text/csv",
                                                        "text/tab-separated-values"}
    assert {"application/json", "text/csv", "text/tab-separated-values"} <= set(operation["responses"]["200"]["content"])
    assert "application/xml" in document["paths"]["/mappings/metar-to-observation"]["post"]["requestBody"]["content"]
    assert {"200", "400", "413", "415", "422", "503", "504"} <= set(operation["responses"])
    assert {"/mappings", "/mappings/{name}", "/health", "/ready"} <= set(document["paths"])


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key not in ("const", "enum", "examples", "default"):
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_ref_of_the_openapi_document_points_inside_it(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    refs = set(_refs(document))
    assert refs and all(ref.startswith("#/components/schemas/") for ref in refs)
    for ref in refs:
        node = document
        for step in ref[2:].split("/"):
            node = node[step.replace("~1", "/").replace("~0", "~")]


@pytest.mark.parametrize("case", [case for case in CASES if case.expected_path.exists()],
                         ids=lambda case: case.label)
def test_the_openapi_schemas_take_the_fixtures(client: httpx.Client, case: FixtureCase) -> None:
    document = client.get("/openapi.json").json()
    registry: Registry[Any] = Registry().with_resource(
        "urn:openapi", Resource.from_contents(document, default_specification=DRAFT202012))
    operation = document["paths"][f"/mappings/{case.mapping_path.stem}"]["post"]

    def validator(schema: Any) -> Callable[[Any], None]:
        return jsonschema.Draft202012Validator({"$ref": "urn:openapi" + schema["$ref"]}, registry=registry).validate

    request = operation["requestBody"]["content"]["application/x-ndjson"]["schema"]
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"][0]
    records, _ = read_input(load(case.mapping_path), case.input_path)
    expected = json.loads(case.expected_path.read_text("utf-8"))
    for record in records:
        validator(request)(record)
    for output in expected if isinstance(expected, list) else [expected]:
        validator(response)(output)


def test_the_docs_page_lists_every_operation_and_fetches_nothing_elsewhere(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for path in MAPPINGS.glob("*.yaml"):
        assert f'data-path="/mappings/{path.stem}"' in page.text
    assert "http://" not in page.text and "https://" not in page.text and "src=" not in page.text


def test_health_and_ready(client: httpx.Client) -> None:
    count = len(list(MAPPINGS.glob("*.yaml")))
    assert client.get("/health").json() == {"status": "ok", "mappings": count, "broken": []}
    assert client.get("/ready").json() == {"status": "ready", "mappings": count}


def test_each_request_is_one_json_line_in_the_access_log(client: httpx.Client, log: list[str]) -> None:
    post(client, CRM, "\n".join(json.dumps(each) for each in (CONTACT, NO_EMAIL)), "application/x-ndjson")
    client.get("/health")
    deadline = time.monotonic() + PATIENCE
    while not log[-1:] or '"/health"' not in log[-1]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    conversion, health = (json.loads(line) for line in log[-2:])
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in log)
    assert list(conversion) == ["time", "method", "path", "status", "duration_ms", "records", "rejects"]
    assert {key: conversion[key] for key in ("method", "path", "status", "records", "rejects")} == {
        "method": "POST", "path": f"/mappings/{CRM}", "status": 200, "records": 2, "rejects": 1}
    assert isinstance(conversion["duration_ms"], float) and conversion["time"].endswith("Z")
    assert (health["status"], health["records"], health["rejects"]) == (200, None, None)


# --- A folder of its own: broken mappings, reloading, XML answers, limits -------------------------------------------

NAP_MAPPING = """\
mapping: napper
description: waits until the test lets it go
source: {schema: source.schema.json, format: json}
target: {schema: target.schema.json, format: json}
rules:
  slept: "nap(seconds)"
"""


def _folder(tmp_path: Path, mapping: str = NAP_MAPPING, name: str = "napper.yaml",
            target: dict[str, Any] | None = None) -> Path:
    (tmp_path / "source.schema.json").write_text(json.dumps({"type": "object"}))
    (tmp_path / "target.schema.json").write_text(json.dumps(target or {"type": "object"}))
    (tmp_path / name).write_text(mapping)
    return tmp_path


class Napping:
    """The user function ``nap``: it says it started, then waits until the test lets it go."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.go = threading.Event()

        @jmespath_function
        def nap(seconds: float) -> float:
            self.started.release()
            self.go.wait(PATIENCE)
            return seconds

        self.function = nap

    def wait_started(self) -> None:
        assert self.started.acquire(timeout=PATIENCE), "the conversion did not start"


def _in_background(work: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[httpx.Response]]:
    answers: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: answers.append(work()))
    thread.start()
    return thread, answers


def test_a_full_server_answers_503_with_retry_after(tmp_path: Path) -> None:
    napping = Napping()
    app = create_app(load_catalog(_folder(tmp_path), functions=[napping.function]), limits=Limits(concurrency=1))
    with serving(app) as client:
        thread, answers = _in_background(lambda: post(client, "napper", '{"seconds": 1}'))
        napping.wait_started()
        busy = post(client, "napper", '{"seconds": 2}')
        napping.go.set()
        thread.join(PATIENCE)
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert busy.json() == {"error": "busy", "limit": 1, "message": (
            "the server is running 1 conversions already, the most it takes at once (--max-concurrency); "
            "try again in 1 s")}
        assert answers[0].status_code == 200 and answers[0].json() == {"slept": 1}
        assert post(client, "napper", '{"seconds": 3}').json() == {"slept": 3}


def test_a_slow_request_is_504_and_keeps_its_slot_until_its_thread_is_done(tmp_path: Path) -> None:
    napping = Napping()
    limits = Limits(concurrency=1, timeout=0.05)
    app = create_app(load_catalog(_folder(tmp_path), functions=[napping.function]), limits=limits)
    with serving(app) as client:
        slow = post(client, "napper", '{"seconds": 1}')
        assert slow.status_code == 504
        assert slow.json() == {"error": "timeout", "limit": 0.05, "message":
                               "the request took longer than the limit of 0.05 s (--timeout); send smaller batches"}
        napping.wait_started()
        assert post(client, "napper", '{"seconds": 2}').status_code == 503  # the first still naps
        napping.go.set()
        _eventually(lambda: post(client, "napper", "[]").status_code == 200)  # the slot came back


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_413_naming_the_limit(tmp_path: Path, chunked: bool) -> None:
    app = create_app(load_catalog(MAPPINGS), limits=Limits(max_body=1000))
    body = json.dumps([CONTACT] * 10).encode()
    with serving(app) as client:
        content: Any = iter([body[:500], body[500:]]) if chunked else body
        answer = client.post(f"/mappings/{CRM}", content=content, headers={"Content-Type": "application/json"})
        assert ("content-length" in answer.request.headers) is not chunked
        assert answer.status_code == 413
        error = answer.json()
        assert (error["error"], error["limit"]) == ("too-large", 1000)
        assert error["message"].startswith("the request body is larger than the limit of 1,000 bytes (")
        assert post(client, CRM, json.dumps(CONTACT)).status_code == 200  # under the limit


def test_a_broken_mapping_is_reported_on_health_and_the_others_are_served(tmp_path: Path) -> None:
    folder = _folder(tmp_path, NAP_MAPPING.replace('"nap(seconds)"', "seconds"), "good.yaml")
    (folder / "broken.yaml").write_text(NAP_MAPPING.replace("napper", "broken").replace("nap(seconds)", "seconds |"))
    catalog = load_catalog(folder)
    with serving(create_app(catalog)) as client:
        health = client.get("/health").json()
        assert health["status"] == "degraded" and health["mappings"] == 1
        [broken] = health["broken"]
        assert broken["file"].endswith("broken.yaml")
        assert broken["message"] == str(_load_error(folder / "broken.yaml"))
        assert client.get("/ready").status_code == 200
        assert client.get("/mappings").json()["broken"] == health["broken"]
        assert post(client, "napper", '{"seconds": 4}').json() == {"slept": 4}
        assert post(client, "broken", "{}").status_code == 404


def _load_error(path: Path) -> Exception:
    with pytest.raises(Exception) as caught:
        load(path)
    return caught.value


def test_not_ready_while_no_mapping_loads(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "mapping: [", "broken.yaml")
    with serving(create_app(load_catalog(folder))) as client:
        answer = client.get("/ready")
        assert answer.status_code == 503 and answer.json()["message"] == "no mapping loaded: see /health"


def test_reload_serves_the_changed_mapping_and_reports_a_broken_one(tmp_path: Path) -> None:
    folder = _folder(tmp_path, NAP_MAPPING.replace('"nap(seconds)"', "seconds"))
    log: list[str] = []
    app = create_app(load_catalog(folder), reload=True, reload_interval=0.02, log=log.append)
    with serving(app) as client:
        assert post(client, "napper", '{"seconds": 5}').json() == {"slept": 5}
        (folder / "napper.yaml").write_text(NAP_MAPPING.replace('"nap(seconds)"', '"seconds * `2`"'))
        _eventually(lambda: post(client, "napper", '{"seconds": 5}').json() == {"slept": 10})
        (folder / "napper.yaml").write_text("mapping: [")
        _eventually(lambda: client.get("/health").json()["status"] == "degraded")
        assert post(client, "napper", "{}").status_code == 404
        (folder / "target.schema.json").write_text(json.dumps({"type": "object", "required": ["other"]}))
        (folder / "napper.yaml").write_text(NAP_MAPPING.replace('"nap(seconds)"', "seconds"))
        _eventually(lambda: post(client, "napper", '{"seconds": 5}').status_code == 422)
    reloads = [json.loads(line) for line in log if '"event"' in line]
    assert reloads and reloads[0]["event"] == "reloaded" and reloads[0]["mappings"] == ["napper"]


def _eventually(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, "the change was never served"
        time.sleep(0.02)


XML_TARGET = {"type": "object", "xml": {"name": "nap"}, "properties": {"slept": {"type": "number"}},
              "required": ["slept"]}


def test_a_mapping_that_writes_xml_answers_xml_when_asked(tmp_path: Path) -> None:
    folder = _folder(tmp_path, NAP_MAPPING.replace('"nap(seconds)"', "seconds").replace(
        "target.schema.json, format: json", "target.schema.json, format: xml"), target=XML_TARGET)
    with serving(create_app(load_catalog(folder))) as client:
        answer = post(client, "napper", '{"seconds": 6}', Accept="application/xml")
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/xml"
        assert answer.text == "<?xml version='1.0' encoding='utf-8'?>\n<nap>\n  <slept>6</slept>\n</nap>\n"
        assert post(client, "napper", '{"seconds": 6}').json() == {"slept": 6}  # JSON unless asked
        several = post(client, "napper", '[{"seconds": 1}, {"seconds": 2}]', Accept="application/xml")
        assert several.status_code == 406 and "target.xml.root" in several.json()["message"]
        rejected = post(client, "napper", '[{"seconds": 1}, {}]', Accept="text/xml")
        assert rejected.status_code == 422
        assert rejected.json()["message"].startswith("1 of 2 records were rejected; an XML answer holds")
        assert [reject["record"] for reject in rejected.json()["rejects"]] == [2]


def test_importing_mapper_imports_no_web_framework() -> None:
    code = ("import sys, mapper, mapper.cli; "
            "print(sorted(name for name in sys.modules if name.split('.')[0] in ('starlette', 'uvicorn', 'httpx')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr


def test_the_readme_example_answers_what_the_readme_says(client: httpx.Client) -> None:
    section = (ROOT / "README.md").read_text("utf-8").split("\n## Serve\n", 1)[1].split("\n## ", 1)[0]
    curl = next(block for block in re.findall(r"```sh\n(.*?)```", section, re.S) if "curl" in block)
    command = shlex.split(curl.replace("\\\n", " ").split("&\n", 1)[1])
    url, data = command[command.index("-s") + 1], command[command.index("-d") + 1].removeprefix("@")
    shown = json.loads(re.findall(r"```json\n(.*?)```", section, re.S)[0])
    answer = post(client, url.removeprefix("localhost:8000/mappings/"), (ROOT / data).read_bytes())
    assert answer.status_code == 200
    assert ordered(answer.json()) == ordered(shown)


def test_the_socket_says_tcp_so_that_asyncio_turns_nagle_off() -> None:
    # With proto 0, asyncio leaves Nagle's algorithm on, and each answer waits for a delayed ACK (40 ms).
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


HALVING = """\
mapping: halving
description: half of n, NaN for n = 0
source: {schema: source.schema.json, format: json}
target: {schema: target.schema.json, format: json}
rules:
  half: "half_or_nan(n)"
"""


@jmespath_function
def half_or_nan(n: float) -> float:
    return n / 2 if n else float("nan")


@pytest.mark.parametrize(("body", "status", "results", "rejected"), [
    ([{"n": 2}, {"n": 0}, {"n": 4}, {"n": 0}], 200, [(1, 1), (3, 2)], [2, 4]),
    ([{"n": 2}, {"n": 6}], 200, [(1, 1), (2, 3)], []),
    ({"n": 0}, 422, [], [1]),
], ids=["batch", "batch-all-written", "single"])
def test_an_output_json_cannot_hold_is_rejected_alone(tmp_path: Path, body: Any, status: int,
                                                      results: list[tuple[int, float]], rejected: list[int]) -> None:
    # The answer is encoded in one call; a NaN in one output must still reject that record only, as convert does.
    app = create_app(load_catalog(_folder(tmp_path, HALVING, "halving.yaml"), functions=[half_or_nan]))
    with serving(app) as client:
        answer = post(client, "halving", json.dumps(body))
    assert answer.status_code == status
    rejects = [answer.json()] if isinstance(body, dict) else answer.json()["rejects"]
    assert [reject["record"] for reject in rejects] == rejected
    assert all("cannot be written as JSON" in reject["errors"][0]["message"] for reject in rejects)
    if isinstance(body, list):
        batch = answer.json()
        assert [(result["record"], result["output"]["half"]) for result in batch["results"]] == results
        assert batch["counts"] == {"read": len(body), "written": len(results), "rejected": len(rejected)}


def _deep_contact(depth: int, hide: bool = False) -> str:
    """CONTACT with a value nested so that the record is ``depth + 1`` levels deep; with ``hide``, strings of
    brackets ("]" then "[") inside it that pair up with its own."""
    inner = "[" * depth + "]" * depth
    if hide:  # levels closed early by strings "]" and opened again by strings "["
        inner = "[" * 20 + '"]",' * 10 + "[" * (depth - 20) + "]" * (depth - 20) + ',"["' * 10 + "]" * 20
    return json.dumps(CONTACT)[:-1] + f', "Deep": {inner}}}'


@pytest.mark.parametrize("hide", [False, True], ids=["plain", "brackets-in-strings"])
@pytest.mark.parametrize("depth", [127, 128, 1000, 1100, 5000])  # orjson stops at 1024 levels on its own
@pytest.mark.parametrize("layout", ["single", "array", "ndjson"])
def test_a_record_nested_too_deep_is_a_4xx_never_a_500(client: httpx.Client, layout: str, depth: int,
                                                        hide: bool) -> None:
    # A single record: 422 with its reject; in an array: a reject of its own; an NDJSON line: 400 for the body,
    # as any line that cannot be read (docs/serve.md, "Batches").
    from mapper.formats import MAX_DEPTH

    deep = _deep_contact(depth, hide)  # the record is depth + 1 levels deep
    too_deep = depth + 1 > MAX_DEPTH
    other = json.dumps(CONTACT)
    body, media = {"single": (deep, "application/json"), "array": (f"[{other},{deep},{other}]", "application/json"),
                   "ndjson": (f"{other}\n{deep}\n{other}\n", "application/x-ndjson")}[layout]
    answer = post(client, CRM, body, media)
    message = f"nested deeper than {MAX_DEPTH} levels"
    if not too_deep:
        assert answer.status_code == 200
        converted = [answer.json()] if layout == "single" else [each["output"] for each in answer.json()["results"]]
        assert len(converted) == (1 if layout == "single" else 3) and all("email_address" in each for each in converted)
    elif layout == "single":
        assert answer.status_code == 422
        assert answer.json()["record"] == 1 and message in answer.json()["errors"][0]["message"]
    elif layout == "array":
        assert answer.status_code == 200
        batch = answer.json()
        assert [result["record"] for result in batch["results"]] == [1, 3]
        [reject] = batch["rejects"]
        assert reject["record"] == 2 and message in reject["errors"][0]["message"]
    else:
        assert answer.status_code == 400
        refusal = answer.json()
        assert (refusal["error"], refusal["line"], refusal["record"]) == ("malformed-body", 2, 2)
        assert refusal["message"].startswith(f"<request>:2, record 2: {message}")
