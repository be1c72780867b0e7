"""Chained mappings: ``mapper convert a.yaml b.yaml INPUT`` and ``mapper.chain(a, b)``.

The shipped CRM scenario (contact -> list member) is followed by
``tests/data/chain/member-to-newsletter.yaml`` (list member -> city newsletter
subscriber), which rejects members without an address.
"""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mapper
from mapper.cli.chaining import split_positionals

ROOT = Path(__file__).parent.parent
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
CRM = "mappings/crm-contact-to-member.yaml"
NEWSLETTER = "tests/data/chain/member-to-newsletter.yaml"
FIXTURES = ROOT / "mappings" / "crm-contact-to-member.fixtures"


def _mapper(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXECUTABLE, *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120)


def _contact(name: str) -> object:
    return json.loads((FIXTURES / f"{name}.input.json").read_text("utf-8"))


@pytest.mark.parametrize(
    ("positionals", "mappings", "inputs"),
    [
        (["a.yaml"], ["a.yaml"], ["-"]),
        (["a.yaml", "in.json"], ["a.yaml"], ["in.json"]),
        (["a.yaml", "b.yaml"], ["a.yaml", "b.yaml"], ["-"]),
        (["a.json", "b.yml", "c.YAML", "in.ndjson", "-"], ["a.json", "b.yml", "c.YAML"], ["in.ndjson", "-"]),
        (["a.yaml", "in.xml", "b.yaml"], ["a.yaml"], ["in.xml", "b.yaml"]),  # mappings come first
    ],
)
def test_which_positionals_are_mappings(positionals: list[str], mappings: list[str], inputs: list[str]) -> None:
    assert split_positionals(positionals[0], positionals[1:]) == (mappings, inputs)


def test_a_chain_maps_through_every_step() -> None:
    chained = mapper.chain(ROOT / CRM, ROOT / NEWSLETTER)
    assert chained.apply(_contact("full-contact")) == {
        "email": "jose.nunez@acme.example", "name": "José Núñez García", "subscribed": True, "city": "San Francisco"}
    assert chained.name == "crm-contact-to-member + member-to-newsletter"
    assert chained.source_schema is chained.steps[0].source_schema
    assert chained.target_schema is chained.steps[1].target_schema


@pytest.mark.parametrize(
    ("contact", "step", "rule", "where"),
    [
        ("no-email-address-rejected", "step 1 (crm-contact-to-member)", "email_address", CRM),
        ("no-primary-email-and-address-without-city", "step 2 (member-to-newsletter)", "city", NEWSLETTER),
    ],
)
def test_a_reject_names_its_step_and_its_rule_there(contact: str, step: str, rule: str, where: str) -> None:
    result = mapper.chain(ROOT / CRM, ROOT / NEWSLETTER).result(_contact(contact), 7)
    [problem] = result.problems
    assert problem.message.startswith(f"{step}: ")
    assert (problem.rule, problem.rule_location and problem.rule_location.file) == (rule, str(ROOT / where))
    assert (result.record_number, result.input) == (7, _contact(contact))


def test_a_chain_pickles_and_maps_the_same_after() -> None:
    chained = mapper.chain(ROOT / CRM, ROOT / NEWSLETTER)
    copy = pickle.loads(pickle.dumps(chained))
    assert isinstance(copy, mapper.Chain)
    assert [step.name for step in copy.steps] == [step.name for step in chained.steps]
    assert copy.apply(_contact("full-contact")) == chained.apply(_contact("full-contact"))


def test_a_step_whose_source_refuses_what_the_step_before_writes_does_not_load() -> None:
    with pytest.raises(mapper.MappingError) as caught:
        mapper.chain(ROOT / "mappings" / "metar-to-observation.yaml", ROOT / NEWSLETTER)
    assert caught.value.message == ("member-to-newsletter.yaml cannot follow metar-to-observation.yaml: the source "
                                    "requires 'email_address', which the target before it does not write")
    assert caught.value.location is not None and (caught.value.location.line, caught.value.location.column) == (3, 18)


def test_a_chain_needs_two_mappings() -> None:
    with pytest.raises(mapper.MappingError, match="two mappings or more"):
        mapper.chain(ROOT / CRM)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_convert_chains_the_mapping_files_it_is_given(jobs: str) -> None:
    done = _mapper("convert", CRM, NEWSLETTER, str(FIXTURES / "export-of-three-contacts.input.ndjson"),
                   "--to", "ndjson", "--jobs", jobs)
    assert done.returncode == 1  # the third contact has no address: step 2 rejects it
    assert [json.loads(line)["city"] for line in done.stdout.splitlines()] == ["San Francisco", "Dublin"]
    assert ("  - /city: step 2 (member-to-newsletter): null is not of type string; rule 'city' "
            f"({NEWSLETTER}:11:3); read merge_fields.ADDRESS.city\n") in done.stderr


def test_convert_reports_a_reject_at_the_first_step_as_such() -> None:
    done = _mapper("convert", CRM, NEWSLETTER, "--from", "json",
                   stdin=(FIXTURES / "no-email-address-rejected.input.json").read_text("utf-8"))
    assert done.returncode == 1
    assert "(mapping crm-contact-to-member + member-to-newsletter) failed with 1 problem" in done.stderr
    assert f"  - /email_address: step 1 (crm-contact-to-member): null is not of type string; rule 'email_address' " \
           f"({CRM}:17:3)" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mappings/metar-to-observation.yaml", NEWSLETTER, "in.xml"],
         f"{NEWSLETTER}:3:18: member-to-newsletter.yaml cannot follow metar-to-observation.yaml: the source "
         "requires 'email_address', which the target before it does not write"),
        ([CRM, "missing.yaml", "in.json"], "mapping file not found: missing.yaml"),
        ([CRM, NEWSLETTER, "in.ndjson", "--engine", "dask", "-o", "out"],
         "chained mappings run with --engine local (from Python, mapper.dask takes a chain)"),
    ],
)
def test_what_a_chain_refuses(args: list[str], message: str) -> None:
    done = _mapper("convert", *args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"mapper: error: {message}\n")


_NAMES = st.sampled_from(["a.yaml", "b.yml", "C.YAML", "in.json", "in.ndjson", "in.xml", "-", "x.yaml.json"])


@given(first=_NAMES, rest=st.lists(_NAMES, max_size=6))
def test_positionals_split_into_leading_mappings_and_the_inputs_after(first: str, rest: list[str]) -> None:
    mappings, inputs = split_positionals(first, rest)
    assert mappings[0] == first
    assert all(name.lower().endswith((".yaml", ".yml")) for name in mappings[1:])
    assert inputs == (rest[len(mappings) - 1:] or ["-"])
    assert not rest[len(mappings) - 1:] or not inputs[0].lower().endswith((".yaml", ".yml"))
