"""The playground's endpoints through real HTTP (uvicorn in a thread, httpx), and the files it reads.

Every shipped mapping, opened as the page opens it (``/playground/sample``),
runs through ``POST /playground/run`` to its fixture's expected output; a
fault in each editor comes back in that editor at its line; references
beyond the request's folder and the mappings folder are refused before
anything is read; the server's limits hold for these endpoints too.
"""

from __future__ import annotations

import fnmatch
import io
import json
import socket
import threading
import tomllib
import webbrowser
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_serve import PATIENCE, Napping, serving

import mapper.serve
from mapper import cli, load
from mapper.formats import source_reader
from mapper.serve import Limits, create_app, load_catalog, sample_of
from mapper.serve.playground_files import Sandbox
from mapper.serve.playground_routes import ASSETS
from mapper.tooling.fixtures import find_cases
from mapper.tooling.lineage import lineage_of

ROOT = Path(__file__).parent.parent
MAPPINGS = ROOT / "mappings"
CRM = "crm-contact-to-member"
SHIPPED = sorted(path.stem for path in MAPPINGS.glob("*.yaml"))


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with serving(create_app(load_catalog(MAPPINGS))) as client:
        yield client


def sample(client: httpx.Client, name: str = CRM) -> dict[str, str]:
    answer = client.get("/playground/sample", params={"mapping": name})
    assert answer.status_code == 200, answer.text
    texts: dict[str, str] = answer.json()["sample"]
    return texts


def run(client: httpx.Client, texts: dict[str, str], **changes: str) -> dict[str, Any]:
    answer = client.post("/playground/run", json={**texts, **changes})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of ``text`` that holds ``fragment``."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_page_and_its_assets_are_served_from_the_package(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for name, media in ASSETS.items():
        answer = client.get(f"/playground/static/{name}")
        assert (answer.status_code, answer.headers["content-type"]) == (200, media)
        assert answer.content == (files("mapper.serve") / "static" / name).read_bytes()
        if name != "playground.html":
            assert f"/playground/static/{name}" in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing fetched from elsewhere: works offline
    missing = client.get("/playground/static/../app.py")
    assert missing.status_code == 404


def test_a_wheel_carries_the_assets() -> None:
    """Every file of static/ is one of ASSETS and matches the package data pyproject.toml ships."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["mapper"]
    static = ROOT / "mapper" / "serve" / "static"
    shipped = sorted(path.name for path in static.iterdir())
    assert shipped == sorted(ASSETS)
    for name in shipped:
        assert any(fnmatch.fnmatch(f"serve/static/{name}", pattern) for pattern in patterns), name


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_mapping_opens_and_runs_to_its_fixture(client: httpx.Client, name: str) -> None:
    texts = sample(client, name)
    result = run(client, texts)
    assert result["problems"] == []
    assert [found for found in result["findings"] if found["severity"] == "error"] == []
    path = MAPPINGS / f"{name}.yaml"
    case = next(case for case in find_cases(path) if case.input_path.read_text("utf-8") == texts["input"])
    if case.expected_path.exists():
        expected = json.loads(case.expected_path.read_text("utf-8"))
        output = json.loads(result["output"]["text"])
        assert result["output"]["status"] == 200
        assert (output if isinstance(expected, dict) else [item["output"] for item in output["results"]]) == expected
        # The Explain panel traces the first record, and its trace builds what the engine built for it.
        assert result["explain"]["output"] == (expected if isinstance(expected, dict) else expected[0])
    assert texts["mapping"] == path.read_text("utf-8")
    shipped = lineage_of(load(path)).to_dict()
    assert {(edge["source"], edge["target"]) for edge in result["lineage"]["edges"]} == {
        (edge["source"], edge["target"]) for edge in shipped["edges"]}


def test_the_sample_lists_the_served_mappings_and_names_the_default(client: httpx.Client) -> None:
    answer = client.get("/playground/sample").json()
    assert answer["mappings"] == SHIPPED
    assert answer["sample"]["name"] == SHIPPED[0]
    assert json.loads(answer["sample"]["source_schema"])  # the schema as one document, for the editor
    missing = client.get("/playground/sample", params={"mapping": "nope"})
    assert missing.status_code == 404 and missing.json()["error"] == "no-such-mapping"


BREAKAGES = [
    # (what breaks, the editor whose text changes, from, to, the line's fragment, message fragment)
    ("an unknown function", "mapping", "lower(trim(", "lower(trimm(", "email_address:", "unknown function trimm()"),
    # YAML finds an unclosed flow mapping where the next line starts
    ("a YAML syntax error", "mapping", "email_type: {const: html}", "email_type: {const: html", "merge_fields:",
     "invalid YAML"),
    ("an unknown lookup", "mapping", "lookup: email_status", "lookup: email_statuss", "lookup: email_statuss",
     "email_statuss"),
    ("a JSON syntax error in the input", "input", '"FirstName": "José",', '"FirstName": "José",,', '"FirstName"',
     "input:4:23: invalid JSON"),
    ("a target schema that is not JSON", "target_schema", '"type": "object"', '"type": "object",,', '"type"',
     "does not parse"),
]


@pytest.mark.parametrize(("editor", "old", "new", "fragment", "message"),
                         [case[1:] for case in BREAKAGES], ids=[case[0] for case in BREAKAGES])
def test_a_fault_comes_back_in_its_editor_at_its_line(client: httpx.Client, editor: str, old: str, new: str,
                                                       fragment: str, message: str) -> None:
    texts = sample(client)
    assert old in texts[editor]
    broken = texts[editor].replace(old, new, 1)
    result = run(client, texts, **{editor: broken})
    problem = result["problems"][0]
    assert (problem["editor"], problem["line"]) == (editor, line_of(broken, fragment)), problem
    assert message in problem["message"]
    assert "/tmp" not in json.dumps(result) and "mapper-playground-" not in json.dumps(result)


def test_a_rejected_record_points_at_its_rule_and_its_input(client: httpx.Client) -> None:
    texts = sample(client)
    contact = json.loads(texts["input"])
    contact["Emails"] = []
    result = run(client, texts, input=json.dumps(contact, indent=2))
    assert result["output"]["status"] == 422
    assert json.loads(result["output"]["text"])["errors"][0]["pointer"] == "/email_address"
    problem = result["problems"][0]
    assert (problem["editor"], problem["line"]) == ("mapping", line_of(texts["mapping"], "email_address:"))
    assert problem["where"] == f"{CRM}.yaml:{problem['line']}:3"


def test_an_invalid_source_record_is_marked_at_its_pointer_in_the_input(client: httpx.Client) -> None:
    texts = sample(client)
    mapping = texts["mapping"].replace("contact.schema.json, format: json}", "contact.schema.json, validate: true}")
    contact = json.loads(texts["input"])
    contact["Phones"][1]["Number"] = 42
    text = json.dumps(contact, indent=2)
    result = run(client, texts, mapping=mapping, input=text)
    sources = [problem for problem in result["problems"] if problem["editor"] == "input"]
    assert [problem["where"] for problem in sources] == ["input record 1 /Phones/1/Number"]
    assert sources[0]["line"] == line_of(text, '"Number": 42')


def test_check_findings_come_with_codes_and_lines(client: httpx.Client) -> None:
    texts = sample(client)
    mapping = texts["mapping"].replace("  email_type: {const: html}", "  email_type: {const: html}\n  nonsense: Id")
    result = run(client, texts, mapping=mapping)
    found = [each for each in result["findings"] if each["editor"] == "mapping"]
    assert found and found[0]["code"].startswith("M2") and found[0]["line"] == line_of(mapping, "nonsense:")
    assert found[0]["severity"] == "error"


REFUSED = [
    ("a schema outside the request's folder", "source: {schema: ../schemas/crm/contact.schema.json",
     "source: {schema: ../../../etc/contact.schema.json", "source:", "outside the playground's folder"),
    ("an absolute schema path", "source: {schema: ../schemas/crm/contact.schema.json",
     "source: {schema: /etc/passwd", "source:", "outside the playground's folder"),
    ("a schema through the mappings folder", "target: {schema: ../schemas/marketing/member.schema.json",
     f"target: {{schema: {CRM}.fixtures/x.json", "target:", "outside the playground's folder"),
    ("a lookup file beyond the mappings folder", "    default: pending          #",
     "    file: ../../../etc/passwd\n    #", "file: ../../../etc/passwd", "lookup file '../../../etc/passwd'"),
    ("a schema that is a folder", "source: {schema: ../schemas/crm/contact.schema.json",
     "source: {schema: ../", "source:", "cannot be written: Is a directory"),
    ("a sub-mapping beyond the mappings folder", "  email_type: {const: html}",
     "  email_type: {const: html}\n  extra: {from: Account, mapping: /etc/hosts.yaml}", "extra:",
     "sub-mapping '/etc/hosts.yaml'"),
]


@pytest.mark.parametrize(("old", "new", "fragment", "message"), [case[1:] for case in REFUSED],
                         ids=[case[0] for case in REFUSED])
def test_a_reference_beyond_the_folders_is_refused(client: httpx.Client, old: str, new: str, fragment: str,
                                                   message: str) -> None:
    texts = sample(client)
    assert old in texts["mapping"]
    mapping = texts["mapping"].replace(old, new, 1)
    result = run(client, texts, mapping=mapping)
    assert result["output"] is None and result["findings"] == []
    problem = result["problems"][0]
    assert (problem["editor"], problem["line"]) == ("mapping", line_of(mapping, fragment))
    assert message in problem["message"]


@pytest.mark.parametrize(("field", "message"), [
    ({"$ref": "file:///etc/passwd"}, "$ref 'file:///etc/passwd' names another file"),
    ({"$ref": "../../../../etc/passwd"}, "$ref '../../../../etc/passwd' names another file"),
    ({"$id": "file:///etc/passwd", "$ref": "#"}, "$id 'file:///etc/passwd' below the top"),
    ({"$id": "https://x.example/a/%2e%2e/%2e%2e/etc/passwd", "$ref": "#"}, "below the top"),
])
def test_a_schema_reaching_another_file_is_refused(client: httpx.Client, field: dict[str, str], message: str) -> None:
    texts = sample(client)
    schema = json.loads(texts["source_schema"])
    schema["properties"]["Id"] = field
    text = json.dumps(schema, indent=2)
    result = run(client, texts, source_schema=text)
    problem = result["problems"][0]
    assert (problem["editor"], problem["line"]) == ("source_schema", line_of(text, next(iter(field))))
    assert message in problem["message"]


def test_the_sandbox_writes_nothing_into_the_mappings_folder_and_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "mappings"
    (folder / "shared").mkdir(parents=True)
    mapping = "mapping: m\nsource: {schema: shared/s.json}\ntarget: {schema: ../t.json}\nrules: {a: b}\n"
    with Sandbox(folder, "m") as sandbox:
        refusals = sandbox.write(mapping, {"source": "{}", "target": "{}"})
        root = sandbox.root
        assert [refusal.message.split(":")[0] for refusal in refusals] == [
            "the source schema 'shared/s.json' is outside the playground's folder"]
        assert (root / "t.json").read_text() == "{}" and sandbox.editor_of(str(root / "t.json")) == "target_schema"
    assert list(folder.rglob("*")) == [folder / "shared"] and not root.exists()


EVALUATIONS = [
    ("upper(FirstName)", '"JOSÉ"'),
    ("Emails[?IsPrimary] | [0].Address", '"  Jose.Nunez@Acme.example "'),
    ("length(Phones)", "2"),
]


@pytest.mark.parametrize(("expression", "result"), EVALUATIONS)
def test_eval_is_mapper_eval(client: httpx.Client, expression: str, result: str) -> None:
    answer = client.post("/playground/eval", json={"expression": expression, "input": sample(client)["input"]})
    assert answer.json() == {"result": result}


@pytest.mark.parametrize(("name", "expression"), [
    ("metar-to-observation", "[station_id, temp_c]"),         # XML: typed by the source schema
    ("crm-export-csv-to-member", "[Id, HasOptedOutOfEmail, NumberOfEmailsSent__c, Account.Name]"),  # CSV: typed
])
def test_eval_sees_the_first_record_of_xml_and_csv_as_the_rules_do(client: httpx.Client, name: str,
                                                                    expression: str) -> None:
    texts = sample(client, name)
    answer = client.post("/playground/eval", json={**texts, "expression": expression}).json()
    mapping = load(MAPPINGS / f"{name}.yaml")
    reader = source_reader(mapping, texts["input_format"])
    first = next(iter(reader.records(io.BytesIO(texts["input"].encode()), "input")))
    assert json.loads(answer["result"]) == mapper.search(expression, first)
    assert all(value is not None for value in json.loads(answer["result"]))


@pytest.mark.parametrize(("input_text", "message"), [
    ("<response><data><METAR><station_id>KX", "XML"),
    ("<response><data></data></response>", "no record"),
])
def test_eval_says_why_an_xml_input_gives_no_record(client: httpx.Client, input_text: str, message: str) -> None:
    texts = {**sample(client, "metar-to-observation"), "input": input_text}
    problem = client.post("/playground/eval", json={**texts, "expression": "station_id"}).json()["problems"][0]
    assert problem["editor"] == "input" and message in problem["message"]


def test_eval_of_xml_without_the_mapping_says_what_to_send(client: httpx.Client) -> None:
    answer = client.post("/playground/eval", json={"expression": "a", "input": "<a/>", "input_format": "xml"})
    assert "send mapping, source_schema, target_schema" in answer.json()["problems"][0]["message"]


@pytest.mark.parametrize(("expression", "text", "editor", "column", "message"), [
    ("upper(", '{"a": 1}', "expression", 7, "the expression ends too early"),
    ("nosuch(a)", '{"a": 1}', "expression", 1, "unknown function nosuch()"),
    ("a", '{"a": }', "input", 7, "invalid JSON"),
])
def test_eval_problems_say_where(client: httpx.Client, expression: str, text: str, editor: str, column: int,
                                 message: str) -> None:
    problem = client.post("/playground/eval", json={"expression": expression, "input": text}).json()["problems"][0]
    assert (problem["editor"], problem["column"]) == (editor, column)
    assert message in problem["message"]


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/playground/run", b"not json", "the body is not JSON"),
    ("/playground/run", b'{"mapping": "x"}', "the body must be a JSON object with the strings mapping, input"),
    ("/playground/run", b'{"mapping": "", "input": "", "source_schema": "", "target_schema": "", "name": 3}',
     "name, input_format, when given, must be strings"),
    ("/playground/eval", b"[]", "the body must be a JSON object with the strings expression, input"),
])
def test_a_malformed_request_is_400(client: httpx.Client, path: str, body: bytes, message: str) -> None:
    answer = client.post(path, content=body)
    assert answer.status_code == 400 and answer.json()["error"] == "malformed-body"
    assert message in answer.json()["message"]


def test_the_server_limits_hold_for_the_playground(tmp_path: Path) -> None:
    napping = Napping()
    (tmp_path / "schema.json").write_text('{"type": "object"}')
    texts = {"mapping": "mapping: n\nsource: {schema: ../s.json}\ntarget: {schema: ../s.json}\nrules:\n  a: nap(a)\n",
             "input": '{"a": 1}', "source_schema": '{"type": "object"}', "target_schema": '{"type": "object"}'}
    app = create_app(load_catalog(tmp_path, functions=[napping.function]),
                     limits=Limits(concurrency=1, max_body=2000, timeout=PATIENCE))
    with serving(app) as client:
        too_large = client.post("/playground/eval", json={"expression": "a", "input": " " * 3000})
        assert too_large.status_code == 413 and too_large.json()["error"] == "too-large"
        answers: list[httpx.Response] = []
        thread = threading.Thread(target=lambda: answers.append(client.post("/playground/run", json=texts)))
        thread.start()
        napping.wait_started()
        busy = client.post("/playground/eval", json={"expression": "a", "input": "{}"})
        napping.go.set()
        thread.join(PATIENCE)
        assert busy.status_code == 503 and busy.json()["error"] == "busy"
        assert json.loads(answers[0].json()["output"]["text"]) == {"a": 1}


def test_a_slow_run_is_504(tmp_path: Path) -> None:
    napping = Napping()
    texts = {"mapping": "mapping: n\nsource: {schema: ../s.json}\ntarget: {schema: ../s.json}\nrules:\n  a: nap(a)\n",
             "input": '{"a": 1}', "source_schema": "{}", "target_schema": "{}"}
    app = create_app(load_catalog(tmp_path, functions=[napping.function]), limits=Limits(timeout=0.05))
    with serving(app) as client:
        slow = client.post("/playground/run", json=texts)
        napping.go.set()
        assert slow.status_code == 504 and slow.json()["error"] == "timeout"


def test_a_sample_of_a_mapping_that_does_not_load_keeps_its_text_and_schemas(tmp_path: Path) -> None:
    path = tmp_path / "mappings" / "broken.yaml"
    path.parent.mkdir()
    (tmp_path / "s.json").write_text('{"type": "object"}')
    path.write_text("mapping: broken\nsource: {schema: ../s.json}\ntarget: {schema: ../nowhere.json}\n"
                    "rules: {a: 'upper('}\n")
    found = sample_of(path)
    assert (found.name, json.loads(found.source_schema), found.target_schema) == ("broken", {"type": "object"}, "{}")
    assert found.mapping == path.read_text() and (found.input, found.input_format) == ("{}\n", "json")
    assert sample_of(MAPPINGS / f"{CRM}.yaml", mapping=load(MAPPINGS / f"{CRM}.yaml")).input_format == "json"


class _Terminal(io.BytesIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stdout", "flags", "opened"), [
    (_Terminal, [], True), (_Terminal, ["--no-browser"], False), (io.BytesIO, [], False)])
def test_mapper_playground_opens_a_browser_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch, stdout: type,
                                                               flags: list[str], opened: bool) -> None:
    urls: list[str] = []
    monkeypatch.setattr(webbrowser, "open", urls.append)
    monkeypatch.setattr(mapper.serve, "run", lambda app, sock: sock.close())
    out, err = stdout(), io.StringIO()
    assert cli.run(["playground", str(MAPPINGS / f"{CRM}.yaml"), *flags], io.BytesIO(), out, err) == 0
    printed = out.getvalue().decode()
    assert printed.startswith(f"mapper playground: {CRM} on http://127.0.0.1:") and printed.endswith(
        "/ (Ctrl-C to stop)\n")
    assert urls == ([printed.split(" on ")[1].split(" ")[0]] if opened else [])


def test_mapper_playground_opens_a_mapping_that_does_not_load(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    apps: list[Any] = []

    def run_nothing(app: Any, sock: socket.socket) -> None:
        apps.append(app)
        sock.close()

    monkeypatch.setattr(mapper.serve, "run", run_nothing)
    path = tmp_path / "broken.yaml"
    path.write_text("mapping: broken\nrules: [\n")
    assert cli.run(["playground", str(path), "--no-browser"], io.BytesIO(), io.BytesIO(), io.StringIO()) == 0
    state = apps[0].state
    assert state.sample.mapping == path.read_text() and state.served.catalog.mappings == {}
    assert [broken.message for broken in state.served.catalog.broken] == [
        f"{path}:3:1: invalid YAML: did not find expected node content"]


@pytest.mark.parametrize(("argv", "message"), [
    (["playground", "nowhere.yaml"], "mapper: error: no such mapping file: nowhere.yaml\n"),
    (["playground", str(MAPPINGS / f"{CRM}.yaml"), "nowhere.json", "--no-browser"],
     "mapper: error: nowhere.json: No such file or directory\n"),
])
def test_what_stops_mapper_playground_is_one_line(argv: list[str], message: str) -> None:
    err = io.StringIO()
    assert cli.run(argv, io.BytesIO(), io.BytesIO(), err) in (2, 3)
    assert err.getvalue() == message


def test_a_batch_shows_results_and_rejects_and_marks_a_rejected_line(client: httpx.Client) -> None:
    texts = sample(client)
    mapping = texts["mapping"].replace("contact.schema.json, format: json}", "contact.schema.json, validate: true}")
    lines = (MAPPINGS / f"{CRM}.fixtures" / "export-of-three-contacts.input.ndjson").read_text("utf-8").splitlines()
    second = json.loads(lines[1])
    second["FirstName"] = 7
    lines[1] = json.dumps(second)
    text = "\n".join(["", *lines]) + "\n"  # a blank line first: a record's line is not its number
    result = run(client, texts, mapping=mapping, input=text, input_format="ndjson")
    batch = json.loads(result["output"]["text"])
    assert result["output"]["status"] == 200 and batch["counts"] == {"read": 3, "written": 2, "rejected": 1}
    assert [(problem["editor"], problem["line"], problem["where"]) for problem in result["problems"]] == [
        ("input", 3, "input record 2 /FirstName")]
