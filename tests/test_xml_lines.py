"""Each problem of a rejected XML record names the line of the element it is about (issue 20, item 2).

``XmlReader.line_of`` walks the record yielded last through the reading plan, only for a reject; the
engine gives each problem the line of what its pointer (into the input) or its ``source_path`` names.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mapper.engine.tasks import _pointer_of
from mapper.formats.xml import XmlReader
from mapper.schemas import Schema, load_schema

ROOT = Path(__file__).parent.parent
METAR = ROOT / "mappings" / "metar-to-observation.yaml"
METARS = METAR.with_suffix(".fixtures") / "two-stations-repeated-sky-conditions.input.xml"

SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "id": {"type": "string", "xml": {"attribute": True}},
    "name": {"type": "object", "properties": {"family": {"type": "string"},
                                              "given": {"type": "array", "items": {"type": "string"}}}},
    "codes": {"type": "array", "xml": {"wrapped": True}, "items": {"type": "object", "xml": {"name": "code"},
                                                                    "properties": {"value": {"type": "string"}}}},
    "n": {"type": "array", "items": {"type": "integer"}},
    "a/b": {"type": "string"},
}}
DOCUMENT = """<records>
<r id="1">
  <name>
    <family>Okafor</family>
    <given></given>
    <given>Ada</given>
    <given>Eze</given>
  </name>
  <codes>
    <code><value>x</value></code>
    <code>
      <value>y</value>
    </code>
  </codes>
  <other><deep>1</deep></other>
  <n/>
  <n>4</n>
</r>
</records>
"""


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    path = tmp_path_factory.mktemp("schema") / "r.schema.json"
    path.write_text(json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", **SCHEMA}))
    return load_schema(path)


@pytest.mark.parametrize(("pointer", "line"), [
    ("", 2),  # the record element
    ("/id", 2),  # an attribute: its element's line
    ("/name", 3),
    ("/name/family", 4),
    ("/name/given", 5),  # the array: where its items start
    ("/name/given/0", 5),  # an empty string
    ("/name/given/2", 7),
    ("/name/given/9", 3),  # no such item: its parent
    ("/n/0", 17),  # an empty integer is left out of the record: the first is the next one
    ("/codes", 9),  # a wrapped array: its wrapper
    ("/codes/1", 11),
    ("/codes/1/value", 12),
    ("/other/deep", 2),  # what the schema leaves open: the last described element
    ("/a~1b", 2),  # an escaped pointer, of an absent element
])
def test_the_line_of_a_pointer_is_that_of_the_element_it_names(schema: Schema, pointer: str, line: int) -> None:
    reader = XmlReader(schema, "/records/r")
    records = reader.records(io.BytesIO(DOCUMENT.encode()), "r.xml")
    next(records)
    assert reader.line_of(pointer) == line
    list(records)  # reading goes on: the element is freed, and no line is told any longer
    assert reader.line_of(pointer) is None


def test_without_a_schema_the_reader_cannot_tell() -> None:
    reader = XmlReader(records="/records/r")
    next(reader.records(io.BytesIO(DOCUMENT.encode()), "r.xml"))
    assert reader.line_of("/name") is None


@pytest.mark.parametrize(("source_path", "pointer"), [
    ("gender", "/gender"),
    ("name[0].family", "/name/0/family"),
    ("encounters[0].procedures[1].units", "/encounters/0/procedures/1/units"),
    ("encounters[0] then procedures[1] then `multiply(units, 2)`", "/encounters/0/procedures/1"),
    ("`sum(encounters[].total)`", None),
    ("item 2 of `encounters[?x]` then units", None),
    (None, None),
])
def test_the_plain_start_of_what_a_rule_read_is_a_pointer_into_the_input(source_path: str | None,
                                                                       pointer: str | None) -> None:
    assert _pointer_of(source_path) == pointer


def metars(tmp_path: Path) -> Path:
    """The shipped fixture with a temperature that is no number and a cloud base that is none either."""
    text = METARS.read_text("utf-8").replace("<temp_c>2.8</temp_c>", "<temp_c>warm</temp_c>", 1)
    text = text.replace('cloud_base_ft_agl="25000"', 'cloud_base_ft_agl="high"', 1)
    path = tmp_path / "metars.xml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_rejects_problems_give_the_lines_of_their_elements(tmp_path: Path, jobs: str) -> None:
    source = metars(tmp_path)
    rejects = tmp_path / "rejects.ndjson"
    done = subprocess.run(["mapper", "convert", str(METAR), str(source), "--validate-source", "--to", "ndjson",
                           "--rejects", str(rejects), "--jobs", jobs], capture_output=True, timeout=120)
    assert done.returncode == 1
    [reject] = [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
    assert reject["line"] == line_of(source, "<METAR>")
    found = {(error["pointer"], error.get("line")) for error in reject["errors"]}
    assert found == {("/temp_c", line_of(source, "warm")),
                     ("/sky_condition/1/cloud_base_ft_agl", line_of(source, '"high"'))}
    alone = subprocess.run(["mapper", "convert", str(METAR), str(source), "--validate-source", "--to", "ndjson",
                            "--jobs", jobs], capture_output=True, timeout=120)
    assert f'  - /temp_c: "warm" is not of type number; line {line_of(source, "warm")}\n' in alone.stderr.decode()


def test_a_rule_that_read_a_plain_path_names_the_line_of_what_it_read(tmp_path: Path) -> None:
    source = tmp_path / "metars.xml"
    source.write_text(METARS.read_text("utf-8").replace("<temp_c>2.8</temp_c>", "<temp_c>warm</temp_c>", 1))
    done = subprocess.run(["mapper", "convert", str(METAR), str(source), "--to", "ndjson"], capture_output=True,
                          timeout=120)
    message = done.stderr.decode()
    assert f"; read temp_c (line {line_of(source, 'warm')})\n" in message, message
