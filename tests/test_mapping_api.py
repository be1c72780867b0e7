"""The library API on the shipped CRM example: apply, apply_many, errors, pickling, threads."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jmespath.exceptions import JMESPathError

import mapper

ROOT = Path(__file__).parent.parent
CRM_MAPPING = ROOT / "mappings" / "crm-contact-to-member.yaml"
CONTACT: dict[str, Any] = json.loads((ROOT / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.input.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def crm() -> mapper.Mapping:
    return mapper.load(CRM_MAPPING)


def test_apply_builds_the_member(crm: mapper.Mapping) -> None:
    member = crm.apply(CONTACT)
    assert member["email_address"] == "jose.nunez@acme.example"
    assert member["status"] == "subscribed"
    assert member["merge_fields"]["ADDRESS"] == {
        "addr1": "1 Market St", "addr2": "Suite 400", "city": "San Francisco",
        "state": "CA", "zip": "02134", "country": "US",
    }
    assert member["merge_fields"]["BIRTHDAY"] == "07/14"
    assert member["tags"] == ["crm:Web", "crm:Manufacturing"]
    # Mailchimp's shape: interest ID -> true (hiking is Outdoor, yoga Wellness, chess Other).
    assert member["interests"] == {"4bd2a8c701": True, "9c1e7f3b22": True, "e05d6a9f48": True}
    assert member["timestamp_signup"] == "2024-03-05T14:30:00+00:00"
    assert list(member) == ["email_address", "status", "email_type", "merge_fields", "language", "vip",
                            "tags", "interests", "timestamp_signup", "source", "external_id"]


def test_opted_out_contact_is_unsubscribed_and_optional_parts_are_left_out(crm: mapper.Mapping) -> None:
    contact = {"Id": "0035g00000XyZ99AAB", "LastName": "Doe", "HasOptedOutOfEmail": True,
               "Emails": [{"Address": "doe@example.com"}], "CreatedDate": "2024-01-01T00:00:00.000+0100"}
    member = crm.apply(contact)
    assert member == {
        "email_address": "doe@example.com", "status": "unsubscribed", "email_type": "html",
        "merge_fields": {"LNAME": "Doe"}, "language": "en", "vip": False,
        "tags": [], "timestamp_signup": "2024-01-01T00:00:00+01:00", "source": "crm",
        "external_id": "0035g00000XyZ99AAB",
    }


def test_apply_raises_record_error_with_every_problem(crm: mapper.Mapping) -> None:
    contact = copy.deepcopy(CONTACT)
    contact["Emails"] = [{"Address": "not-an-email"}]
    contact["Birthdate"] = "14.07.1985"
    with pytest.raises(mapper.RecordError) as raised:
        crm.apply(contact, record_number=7)
    error = raised.value
    assert error.record_number == 7
    by_pointer = {problem.pointer: problem for problem in error.problems}
    assert set(by_pointer) == {"/email_address", "/merge_fields/BIRTHDAY"}
    email = by_pointer["/email_address"]
    assert (email.stage, email.rule, email.message) == ("target", "email_address", '"not-an-email" is not a valid idn-email')
    assert str(email.rule_location).endswith("crm-contact-to-member.yaml:17:3")
    birthday = by_pointer["/merge_fields/BIRTHDAY"]
    assert (birthday.stage, birthday.rule) == ("rule", "merge_fields.BIRTHDAY")
    assert str(error).startswith("record 7 (mapping crm-contact-to-member) failed with 2 problems:\n  - /email_address")


def test_apply_many_gives_one_result_per_record_and_goes_on(crm: mapper.Mapping) -> None:
    bad = {"Id": "x", "LastName": "Nobody"}  # no email: the required email_address is null
    results = list(crm.apply_many([CONTACT, bad, CONTACT, "not even an object"]))
    assert [result.record_number for result in results] == [1, 2, 3, 4]
    assert [result.ok for result in results] == [True, False, True, False]
    assert results[1].problems[0].pointer == "/email_address"
    assert results[1].input is bad


def test_a_mapping_is_picklable_and_works_in_worker_processes(crm: mapper.Mapping) -> None:
    clone = pickle.loads(pickle.dumps(crm))
    assert clone.apply(CONTACT) == crm.apply(CONTACT)
    with ProcessPoolExecutor(max_workers=2) as pool:
        outputs = list(pool.map(crm.apply, [CONTACT] * 4))
    assert outputs == [crm.apply(CONTACT)] * 4


def test_a_mapping_is_safe_to_share_between_threads(crm: mapper.Mapping) -> None:
    contacts = []
    for number in range(200):
        contact = copy.deepcopy(CONTACT)
        contact["Id"] = f"0035g00000XyZ{number:03d}AB"
        contact["Emails"] = [{"Address": f"person{number}@example.com", "IsPrimary": True}]
        contacts.append(contact)
    expected = [crm.apply(contact) for contact in contacts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(crm.apply, contacts)) == expected


def test_record_errors_pickle_with_their_problems(crm: mapper.Mapping) -> None:
    error = next(iter(crm.apply_many([{"Id": "x", "LastName": "Doe"}]))).error("m")
    clone = pickle.loads(pickle.dumps(error))
    assert str(clone) == str(error)


def _birthday_problem(crm: mapper.Mapping) -> mapper.Problem:
    contact = copy.deepcopy(CONTACT)
    contact["Birthdate"] = "14.07.1985"
    [problem] = crm.result(contact).problems
    return problem


def test_a_rule_problem_carries_its_cause_with_the_traceback_through_the_builder(crm: mapper.Mapping) -> None:
    problem = _birthday_problem(crm)
    assert isinstance(problem.cause, JMESPathError)
    assert problem.message in str(problem.cause)
    text = problem.traceback_text()
    assert text is not None and "in build_merge_fields\n" in text and "<mapper generated builder of" in text


def test_the_cause_takes_no_part_in_equality_repr_or_the_reject_file(crm: mapper.Mapping) -> None:
    problem = _birthday_problem(crm)
    without = dataclasses.replace(problem, cause=None)
    assert problem == without and hash(problem) == hash(without)
    assert repr(problem) == repr(without) and "cause" not in repr(problem)
    assert problem.to_dict() == without.to_dict() and "cause" not in problem.to_dict()
    assert [target.cause for target in crm.result({"Id": "x", "LastName": "Doe"}).problems] == [None]


def test_a_problem_pickles_with_its_cause_or_at_least_its_traceback(crm: mapper.Mapping) -> None:
    problem = _birthday_problem(crm)
    clone = pickle.loads(pickle.dumps(problem))
    assert clone == problem and type(clone.cause) is type(problem.cause)
    assert clone.traceback_text() == problem.traceback_text()

    class Unpicklable(Exception):  # a local class: pickle cannot find it again
        pass

    try:
        raise Unpicklable("boom")
    except Unpicklable as error:
        odd = dataclasses.replace(problem, cause=error)
    clone = pickle.loads(pickle.dumps(odd))
    assert clone == odd and clone.cause is None
    assert clone.traceback_text() is not None and "Unpicklable: boom" in clone.traceback_text()  # type: ignore[operator]


def test_source_validation_reports_input_pointers(tmp_path: Path) -> None:
    mapping = mapper.load(CRM_MAPPING, validate_source=True)
    contact = copy.deepcopy(CONTACT)
    contact["Phones"][1]["Type"] = "Pager"
    result = mapping.result(contact, 3)
    assert [(p.stage, p.pointer) for p in result.problems] == [("source", "/Phones/1/Type")]
    assert "Pager" in result.problems[0].message


@mapper.jmespath_function()
def mask(value: str, keep: int = 4) -> str:
    return "*" * (len(value) - keep) + value[-keep:]


def test_user_functions_are_callable_from_rules(tmp_path: Path) -> None:
    (tmp_path / "any.schema.json").write_text('{"type": "object"}')
    (tmp_path / "m.yaml").write_text(
        "mapping: masked\nsource: {schema: any.schema.json}\ntarget: {schema: any.schema.json}\n"
        "rules:\n  card: \"mask(card_number)\"\n  short: \"mask(card_number, `2`)\"\n"
    )
    mapping = mapper.load(tmp_path / "m.yaml", functions=[mask])
    assert mapping.apply({"card_number": "4242424242424242"}) == {
        "card": "************4242", "short": "**************42"}
    assert pickle.loads(pickle.dumps(mapping)).apply({"card_number": "12345"}) == {"card": "*2345", "short": "***45"}
    with pytest.raises(mapper.UnknownNameError):
        mapper.load(tmp_path / "m.yaml")


# -- property: whatever valid source records come in, one result per record, nothing raised --

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_email = st.fixed_dictionaries({"Address": _text}, optional={"Type": st.sampled_from(["Work", "Personal", "Other"]),
                                                            "IsPrimary": st.booleans()})
_phone = st.fixed_dictionaries({"Number": _text, "Type": st.sampled_from(["Mobile", "Work", "Home", "Fax"])})
_contacts = st.fixed_dictionaries(
    {"Id": st.from_regex(r"\A[a-zA-Z0-9]{18}\Z"), "LastName": _text.filter(bool)},
    optional={
        "FirstName": st.none() | _text,
        "Emails": st.lists(_email, max_size=3),
        "Phones": st.lists(_phone, max_size=3),
        "MailingAddress": st.none() | st.fixed_dictionaries(
            {}, optional={key: st.none() | _text for key in ("Street", "City", "State", "PostalCode")}),
        "Account": st.none() | st.fixed_dictionaries(
            {"Id": _text, "Name": _text},
            optional={"Tier__c": st.sampled_from(["Strategic", "Enterprise", "SMB", None])}),
        "HasOptedOutOfEmail": st.booleans(),
        "EmailStatus__c": st.none() | st.sampled_from(["A", "U", "B", "P", "Z"]),
        "PreferredLanguage__c": st.none() | _text,
        "Birthdate": st.none() | st.dates().map(str),
        "LeadSource": st.none() | _text,
        "Interests": st.lists(_text, max_size=4),
        "CreatedDate": st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_contacts, max_size=5))
def test_apply_many_returns_one_result_per_valid_source_record(crm: mapper.Mapping, contacts: list[Any]) -> None:
    results = list(crm.apply_many(contacts))
    assert len(results) == len(contacts)
    source_validator = crm.source_schema.validator()
    target_validator = crm.target_schema.validator()
    for contact, result in zip(contacts, results):
        assert source_validator.is_valid(contact)
        if result.ok:
            assert target_validator.is_valid(result.output)
        else:
            assert all(problem.message for problem in result.problems)


# -- a constant or default the target cannot take is the mapping's fault, found when loading --

_NUMBER_TARGET = ('{"type": "object", "properties": {"weight": {"type": "number"}, '
                  '"count": {"type": "integer"}}}')


@pytest.mark.parametrize(("rule", "message"), [
    ("weight: {const: heavy}",
     "rule 'weight': its constant \"heavy\" is invalid for the target: cannot read 'heavy' as a number"),
    ("count: {from: n, default: \"unknown\"}",
     "rule 'count': its default \"unknown\" is invalid for the target: "
     "cannot convert 'unknown' to an integer without losing information"),
])
def test_a_value_the_target_refuses_is_a_located_mapping_error(tmp_path: Path, rule: str, message: str) -> None:
    mapping_file = _refused_value_mapping(tmp_path, rule)
    with pytest.raises(mapper.MappingFormatError) as raised:
        mapper.load(mapping_file)
    assert raised.value.message == message
    assert str(raised.value) == f"{mapping_file}:5:3: {message}"
    # The same fault in the same words as `mapper check` (M205), which names the rule by its location.
    assert message.split(": ", 1)[1] in _check_output(tmp_path)


def test_convert_reports_a_refused_constant_as_one_line_and_exits_2(tmp_path: Path) -> None:
    mapping_file = _refused_value_mapping(tmp_path, "weight: {const: heavy}")
    (tmp_path / "in.ndjson").write_text('{"n": 1}\n')
    done = subprocess.run([_EXECUTABLE, "convert", str(mapping_file), str(tmp_path / "in.ndjson")],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        f"mapper: error: {mapping_file}:5:3: rule 'weight': its constant \"heavy\" is invalid for the target: "
        "cannot read 'heavy' as a number"]


_EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


def _refused_value_mapping(directory: Path, rule: str) -> Path:
    (directory / "source.schema.json").write_text('{"type": "object"}')
    (directory / "target.schema.json").write_text(_NUMBER_TARGET)
    mapping_file = directory / "m.yaml"
    mapping_file.write_text("mapping: refused\nsource: {schema: source.schema.json}\n"
                            f"target: {{schema: target.schema.json}}\nrules:\n  {rule}\n")
    return mapping_file


def _check_output(directory: Path) -> str:
    done = subprocess.run([_EXECUTABLE, "check", str(directory / "m.yaml")], capture_output=True, text=True,
                          timeout=120, cwd=directory)
    return done.stdout


# -- a number ordered with a string is the record's fault: it rejects that record, the run goes on --

_ADULTS = ("mapping: adults\nsource: {schema: any.schema.json}\ntarget: {schema: any.schema.json}\n"
           "rules:\n  name: name\n  adult: {from: \"`true`\", when: \"age >= `18`\"}\n")
_PEOPLE = [{"name": "Ann", "age": 40}, {"name": "Bob", "age": "forty"}, {"name": "Cy", "age": 9}]
_ORDERING = 'cannot order the string "forty" and the number 18 with >='


def _adults_mapping(directory: Path) -> Path:
    (directory / "any.schema.json").write_text('{"type": "object"}')
    (directory / "m.yaml").write_text(_ADULTS)
    return directory / "m.yaml"


def test_ordering_a_string_with_a_number_rejects_only_that_record(tmp_path: Path) -> None:
    results = list(mapper.load(_adults_mapping(tmp_path)).apply_many(_PEOPLE))
    assert [result.output for result in results if result.ok] == [{"name": "Ann", "adult": True}, {"name": "Cy"}]
    rejected = results[1]
    assert not rejected.ok and [(p.stage, p.rule, p.message) for p in rejected.problems] == [
        ("rule", "adult", _ORDERING)]


def test_convert_rejects_a_record_ordering_a_string_with_a_number_and_converts_the_others(tmp_path: Path) -> None:
    (tmp_path / "in.ndjson").write_text("".join(json.dumps(person) + "\n" for person in _PEOPLE))
    done = subprocess.run([_EXECUTABLE, "convert", str(_adults_mapping(tmp_path)), str(tmp_path / "in.ndjson"),
                           "--to", "ndjson", "--rejects", str(tmp_path / "rejects.ndjson")],
                          capture_output=True, text=True, timeout=120)
    assert [json.loads(line) for line in done.stdout.splitlines()] == [{"name": "Ann", "adult": True}, {"name": "Cy"}]
    rejects = [json.loads(line) for line in (tmp_path / "rejects.ndjson").read_text("utf-8").splitlines()]
    assert [(reject["record"], [error["message"] for error in reject["errors"]]) for reject in rejects] == [
        (2, [_ORDERING])]
    assert done.returncode == 1, done.stderr
