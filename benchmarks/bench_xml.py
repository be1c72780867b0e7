"""Benchmark: schema-aware XML reading against lxml and xmltodict on the same file; C-CDA documents
mapped to claims against a hand-written lxml transform.

    python -m benchmarks.bench_xml [--size-mb 200] [--small-mb 20] [--ccda-documents 200] [--repeat 5]
                                   [--skip-export] [--skip-jobs] [--json FILE]

The C-CDA workload (issue 20, item 3; below) prints the CPU-time ratio of mapper (reader and the shipped
mapping) to a hand-written lxml transform giving the same claims; target within 1.5x.

Generates (fixed seed) a clinical export, /Export/Patients/Patient with
encounters, diagnoses, procedures, two namespaces and attributes, then runs
each contender in its own process on it and reports throughput and peak
resident memory (VmHWM):

- ``lxml-parse``: lxml ``iterparse`` that only parses (and frees what it parsed);
- ``lxml-typed``: a hand-written lxml ``iterparse`` building each record's typed dict;
- ``xmltodict-stream``: xmltodict's streaming mode (``item_depth``, ``item_callback``);
- ``mapper``: ``XmlReader`` with benchmarks/schemas/export-patient.schema.json.

Then ``mapper convert`` with benchmarks/mappings/patient-to-claim.yaml on the larger export, ``--jobs 1`` and
``--jobs 2``: wall time and the peak memory of parent and workers together (``measure_jobs``).

Targets (issue 3): mapper within 1.5x of lxml-typed, at least 3x faster than
xmltodict streaming, peak RSS under 150 MB and about the same at both sizes.
Not a test: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._util import paired_ratio, report, run_child

NS = "urn:example:clinical-export"
BILL = "urn:example:billing"
SCHEMA = Path(__file__).parent / "schemas" / "export-patient.schema.json"
CONTENDERS = ("lxml-parse", "lxml-typed", "xmltodict-stream", "mapper")

_FAMILY = ["Okafor", "Chen", "García", "Müller", "Nakamura", "Smith", "Kowalski", "Haddad", "Ivanova", "Nguyen"]
_GIVEN = ["Adaeze", "Lin", "María", "Jonas", "Yuki", "Ann", "Piotr", "Layla", "Olga", "Minh", "Chioma", "Ray"]
_CITY = [("Springfield", "IL"), ("Portland", "OR"), ("Austin", "TX"), ("Boston", "MA"), ("Madison", "WI")]
_ICD = [("E11.9", "Type 2 diabetes mellitus without complications"), ("I10", "Essential (primary) hypertension"),
        ("J06.9", "Acute upper respiratory infection"), ("M54.5", "Low back pain"), ("Z00.00", "General exam")]
_CPT = [("99213", "Office visit, low complexity", "110.00"), ("99214", "Office visit, moderate", "185.00"),
        ("83036", "Hemoglobin A1c", "42.55"), ("93000", "Electrocardiogram", "65.20"),
        ("36415", "Venipuncture", "12.00")]


def generate(path: Path, size_mb: float, seed: int = 3) -> int:
    """Write an export of at least ``size_mb`` MB to ``path``; return the number of patients."""
    rng = random.Random(seed)
    target = int(size_mb * 1_000_000)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Export xmlns="{NS}" xmlns:bill="{BILL}" '
                  f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" generated="2024-03-05T10:30:00Z">\n'
                  f'  <Header><source>bench</source></Header>\n  <Patients>\n')
        while out.tell() < target:
            count += 1
            out.write(_patient(rng, count))
        out.write("  </Patients>\n</Export>\n")
    return count


def _patient(rng: random.Random, number: int) -> str:
    city, state = rng.choice(_CITY)
    given = "".join(f"<given>{rng.choice(_GIVEN)}</given>" for _ in range(rng.randint(1, 2)))
    deceased = '    <deceased xsi:nil="true"/>\n' if number % 7 == 0 else ""
    encounters = "".join(_encounter(rng, number, index) for index in range(rng.randint(1, 4)))
    return (f'    <Patient id="P{number:07d}" active="{"true" if number % 5 else "false"}">\n'
            f'      <name use="official"><family>{rng.choice(_FAMILY)}</family>{given}</name>\n'
            f'      <gender>{rng.choice(["female", "male", "other", "unknown"])}</gender>\n'
            f'      <birthDate>19{rng.randint(30, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}</birthDate>\n'
            f'{deceased}'
            f'      <address use="home"><line>{rng.randint(1, 9999)} Main St</line>'
            f'<line>Apt {rng.randint(1, 40)}</line>'
            f'<city>{city}</city><state>{state}</state><postalCode>0{rng.randint(1000, 9999)}</postalCode></address>\n'
            f'      <Encounters>\n{encounters}      </Encounters>\n'
            f'    </Patient>\n')


def _encounter(rng: random.Random, number: int, index: int) -> str:
    day = rng.randint(10, 28)
    diagnoses = "".join(
        f'          <Diagnosis sequence="{seq}"><code system="http://hl7.org/fhir/sid/icd-10-cm" code="{code}" '
        f'display="{display}"/></Diagnosis>\n'
        for seq, (code, display) in enumerate(rng.sample(_ICD, rng.randint(1, 3)), 1))
    procedures = "".join(
        f'          <Procedure><code system="http://www.ama-assn.org/go/cpt" code="{code}" display="{display}"/>'
        f'<bill:charge currency="USD">{amount}</bill:charge><units>{rng.randint(1, 3)}</units></Procedure>\n'
        for code, display, amount in rng.sample(_CPT, rng.randint(1, 3)))
    return (f'        <Encounter id="E{number:07d}-{index}" class="AMB">\n'
            f'          <period start="2024-03-{day}T09:30:00Z" end="2024-03-{day}T10:05:00Z"/>\n'
            f'{diagnoses}{procedures}'
            f'        </Encounter>\n')


# Contenders: each reads the file and returns the number of records.

def lxml_parse(path: str) -> int:
    from lxml import etree
    count = 0
    for _, element in etree.iterparse(path, events=("end",), tag=f"{{{NS}}}Patient"):
        count += 1
        _free(element)
    return count


def _free(element: Any) -> None:
    element.clear(keep_tail=False)
    parent = element.getparent()
    while element.getprevious() is not None:
        del parent[0]


def lxml_typed(path: str) -> int:
    """What a careful engineer writes by hand for this one document type."""
    from lxml import etree
    n = f"{{{NS}}}"
    b = f"{{{BILL}}}"
    nil = "{http://www.w3.org/2001/XMLSchema-instance}nil"

    def code(element: Any) -> dict[str, Any]:
        return dict(element.attrib)

    count = 0
    for _, patient in etree.iterparse(path, events=("end",), tag=n + "Patient", remove_blank_text=True):
        record: dict[str, Any] = {"id": patient.get("id"), "active": patient.get("active") == "true"}
        for child in patient:
            tag = child.tag
            if tag == n + "name":
                name: dict[str, Any] = {"use": child.get("use"), "given": []}
                for part in child:
                    if part.tag == n + "family":
                        name["family"] = part.text
                    else:
                        name["given"].append(part.text)
                record.setdefault("name", []).append(name)
            elif tag == n + "gender":
                record["gender"] = child.text
            elif tag == n + "birthDate":
                record["birthDate"] = child.text
            elif tag == n + "deceased":
                record["deceased"] = None if child.get(nil) == "true" else child.text == "true"
            elif tag == n + "address":
                address: dict[str, Any] = {"use": child.get("use"), "line": []}
                for part in child:
                    if part.tag == n + "line":
                        address["line"].append(part.text)
                    else:
                        address[part.tag[len(n):]] = part.text
                record.setdefault("address", []).append(address)
            elif tag == n + "Encounters":
                encounters = []
                for encounter in child:
                    item: dict[str, Any] = {"id": encounter.get("id"), "class": encounter.get("class"),
                                            "diagnoses": [], "procedures": []}
                    for part in encounter:
                        if part.tag == n + "period":
                            item["period"] = dict(part.attrib)
                        elif part.tag == n + "Diagnosis":
                            item["diagnoses"].append({"sequence": int(part.get("sequence")),
                                                      "code": code(part[0])})
                        elif part.tag == n + "Procedure":
                            procedure: dict[str, Any] = {}
                            for field in part:
                                if field.tag == n + "code":
                                    procedure["code"] = code(field)
                                elif field.tag == b + "charge":
                                    procedure["charge"] = {"currency": field.get("currency"),
                                                           "amount": float(field.text)}
                                elif field.tag == n + "units":
                                    procedure["units"] = int(field.text)
                            item["procedures"].append(procedure)
                    encounters.append(item)
                record["encounters"] = encounters
        count += 1
        _free(patient)
    return count


def xmltodict_stream(path: str) -> int:
    import xmltodict
    count = 0

    def take(_: Any, __: Any) -> bool:
        nonlocal count
        count += 1
        return True

    with open(path, "rb") as stream:
        xmltodict.parse(stream, item_depth=3, item_callback=take)
    return count


def mapper_reader(path: str) -> int:
    from mapper.formats.xml import XmlReader
    from mapper.schemas import load_schema
    reader = XmlReader(load_schema(SCHEMA), "/c:Export/c:Patients/c:Patient", {"c": NS})
    count = 0
    with open(path, "rb") as stream:
        for _ in reader.records(stream, path):
            count += 1
    return count


RUNNERS: dict[str, Callable[[str], int]] = {
    "lxml-parse": lxml_parse, "lxml-typed": lxml_typed, "xmltodict-stream": xmltodict_stream,
    "mapper": mapper_reader,
}


# --- The C-CDA workload (issue 20, item 3): large, deep, attribute-heavy, namespaced documents ---------------
#
# Each document is a shipped C-CDA fixture that converts to a claim, grown the way real encounter summaries are:
# results, vital signs and medications sections the claim mapping never reads, each entry a deep, attribute-heavy
# clinical statement, and narrative tables. ``ccda_claim`` is what a careful engineer writes by hand with lxml
# for that one mapping; ``ccda_mapper`` is mapper's reader and the shipped mapping, as ``mapper convert`` runs
# them. Both are timed in CPU seconds (``time.process_time``), alternately, over repeats.

CCDA_MAPPING = Path(__file__).parent.parent / "mappings" / "ccda-encounter-to-professional-claim.yaml"
CCDA_FIXTURES = CCDA_MAPPING.with_suffix(".fixtures")
#: The fixtures that give a claim (the self-pay one is a reject: nothing to compare a claim with).
CCDA_BASES = ("office-visit-same-claim-as-fhir", "child-on-parent-plan-holder-is-subscriber",
              "diagnosis-sequence-numbers-skip-pointers-are-positions",
              "procedure-coded-in-snomed-with-cpt-translation")
HL7 = "urn:hl7-org:v3"
_LABS = [("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70, 180),
         ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4, 11),
         ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 120, 280),
         ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.5, 1.6),
         ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 11, 17)]
_VITALS = [("8480-6", "Systolic blood pressure", "mm[Hg]", 100, 160), ("8462-4", "Diastolic blood pressure",
           "mm[Hg]", 60, 100), ("8867-4", "Heart rate", "/min", 50, 110), ("29463-7", "Body weight", "kg", 40, 120)]
_DRUGS = [("860975", "metformin 500 MG Oral Tablet"), ("314076", "lisinopril 10 MG Oral Tablet"),
          ("617312", "atorvastatin 20 MG Oral Tablet"), ("197361", "amlodipine 5 MG Oral Tablet")]


def ccda_documents(count: int, *, statements: int = 40, seed: int = 20) -> list[bytes]:
    """``count`` C-CDA documents, each a shipped fixture grown by ``statements`` entries in each of three
    sections the claim mapping does not read (about 130 kB a document at the default)."""
    rng = random.Random(seed)
    bases = [(CCDA_FIXTURES / f"{name}.input.xml").read_text("utf-8") for name in CCDA_BASES]
    documents = []
    for number in range(count):
        base = bases[number % len(bases)]
        extra = (_results_section(rng, number, statements) + _vitals_section(rng, number, statements)
                 + _medications_section(rng, number, statements))
        documents.append(base.replace("    </structuredBody>", extra + "    </structuredBody>", 1).encode())
    return documents


def _section(template: str, code: str, title: str, rows: list[list[str]], entries: str) -> str:
    head = "".join(f"<th>{cell}</th>" for cell in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows[1:])
    return (f'      <component>\n        <section>\n'
            f'          <templateId root="{template}" extension="2015-08-01"/>\n'
            f'          <code code="{code}" codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC" '
            f'displayName="{title}"/>\n          <title>{title}</title>\n'
            f'          <text><table border="1" width="100%"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            f'</table></text>\n{entries}        </section>\n      </component>\n')


def _observation(rng: random.Random, ident: str, template: str, test: tuple[str, str, str, float, float],
                 day: int) -> tuple[str, str]:
    code, name, unit, low, high = test
    value = round(rng.uniform(low, high), 1)
    flag = "H" if value > high * 0.9 else "N"
    return (f'                <component>\n'
            f'                  <observation classCode="OBS" moodCode="EVN">\n'
            f'                    <templateId root="{template}" extension="2015-08-01"/>\n'
            f'                    <id root="2.16.840.1.113883.19.5.99999.7" extension="{ident}"/>\n'
            f'                    <code code="{code}" codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC" '
            f'displayName="{name}"/>\n'
            f'                    <statusCode code="completed"/>\n'
            f'                    <effectiveTime value="202403{day:02d}0930-0600"/>\n'
            f'                    <value xsi:type="PQ" value="{value}" unit="{unit}"/>\n'
            f'                    <interpretationCode code="{flag}" codeSystem="2.16.840.1.113883.5.83"/>\n'
            f'                    <referenceRange><observationRange><value xsi:type="IVL_PQ"><low value="{low}" '
            f'unit="{unit}"/><high value="{high}" unit="{unit}"/></value></observationRange></referenceRange>\n'
            f'                  </observation>\n'
            f'                </component>\n', f"{name}: {value} {unit} ({flag})")


def _organizers(rng: random.Random, number: int, count: int, kind: str, tests: list[Any], organizer: str,
                template: str) -> tuple[str, list[list[str]]]:
    entries, rows = [], []
    for index in range(0, count, len(tests)):
        day = rng.randint(1, 28)
        parts = [_observation(rng, f"{kind}-{number}-{index + offset}", template, test, day)
                 for offset, test in enumerate(tests[: count - index])]
        rows.extend([f"2024-03-{day:02d}", text] for _, text in parts)
        entries.append(f'          <entry typeCode="DRIV">\n'
                       f'            <organizer classCode="CLUSTER" moodCode="EVN">\n'
                       f'              <templateId root="{organizer}" extension="2015-08-01"/>\n'
                       f'              <id root="7d5a02b0-67a4-11db-bd13-0800200c9a66" '
                       f'extension="{kind}-{number}-{index}"/>\n'
                       f'              <statusCode code="completed"/>\n'
                       + "".join(part for part, _ in parts)
                       + '            </organizer>\n          </entry>\n')
    return "".join(entries), rows


def _results_section(rng: random.Random, number: int, count: int) -> str:
    entries, rows = _organizers(rng, number, count, "lab", _LABS, "2.16.840.1.113883.10.20.22.4.1",
                                "2.16.840.1.113883.10.20.22.4.2")
    return _section("2.16.840.1.113883.10.20.22.2.3.1", "30954-2", "Results", [["Date", "Result"], *rows], entries)


def _vitals_section(rng: random.Random, number: int, count: int) -> str:
    entries, rows = _organizers(rng, number, count, "vital", _VITALS, "2.16.840.1.113883.10.20.22.4.26",
                                "2.16.840.1.113883.10.20.22.4.27")
    return _section("2.16.840.1.113883.10.20.22.2.4.1", "8716-3", "Vital Signs", [["Date", "Vital"], *rows], entries)


def _medications_section(rng: random.Random, number: int, count: int) -> str:
    entries, rows = [], [["Medication", "Dose", "Start"]]
    for index in range(count):
        code, name = rng.choice(_DRUGS)
        day = rng.randint(1, 28)
        rows.append([name, "1 tablet daily", f"2023-{rng.randint(1, 12):02d}-{day:02d}"])
        entries.append(
            f'          <entry typeCode="DRIV">\n'
            f'            <substanceAdministration classCode="SBADM" moodCode="EVN">\n'
            f'              <templateId root="2.16.840.1.113883.10.20.22.4.16" extension="2014-06-09"/>\n'
            f'              <id root="cdbd33f0-6cde-11db-9fe1-0800200c9a66" extension="med-{number}-{index}"/>\n'
            f'              <statusCode code="active"/>\n'
            f'              <effectiveTime xsi:type="IVL_TS"><low value="2023{day:02d}01"/></effectiveTime>\n'
            f'              <effectiveTime xsi:type="PIVL_TS" institutionSpecified="true" operator="A">'
            f'<period value="24" unit="h"/></effectiveTime>\n'
            f'              <routeCode code="C38288" codeSystem="2.16.840.1.113883.3.26.1.1" displayName="ORAL"/>\n'
            f'              <doseQuantity value="1"/>\n'
            f'              <consumable><manufacturedProduct classCode="MANU">'
            f'<templateId root="2.16.840.1.113883.10.20.22.4.23" extension="2014-06-09"/>'
            f'<manufacturedMaterial><code code="{code}" codeSystem="2.16.840.1.113883.6.88" '
            f'displayName="{name}"/></manufacturedMaterial></manufacturedProduct></consumable>\n'
            f'            </substanceAdministration>\n          </entry>\n')
    return _section("2.16.840.1.113883.10.20.22.2.1.1", "10160-0", "Medications", rows, "".join(entries))


# The hand-written transform: lxml, Clark names, the mapping's rules one by one.

_H = f"{{{HL7}}}"
_BILL = "{urn:springfield-fm:cda:billing}"
_SDTC = "{urn:hl7-org:sdtc}"
_FILING = {"PR": "12", "PS": "13", "EP": "14", "IN": "15", "HN": "16", "HM": "HM", "C1": "CI", "MA": "MA",
           "MB": "MB", "MP": "MB", "MC": "MC", "CH": "CH", "VA": "VA", "WC": "WC"}
_SEQUENCE = {"1": "P", "2": "S", "3": "T"}
_GENDER = {"M": "M", "F": "F", "UN": "U"}
_RELATIONSHIP = {"SPS": "01", "HUSB": "01", "WIFE": "01", "CHILD": "19", "CHLDADOPT": "19", "STPCHLD": "19",
                 "DOMPART": "53"}
_PLACE = {"AMB": "11", "EMER": "23", "IMP": "21", "ACUTE": "21", "OBSENC": "22", "HH": "12", "VR": "02"}
# Code systems and identifier roots (NPI, EIN, ICD-10-CM, CPT-4).
_NPI, _EIN, _ICD10_SYSTEM, _CPT_SYSTEM = ("2.16.840.1.113883.4.6", "2.16.840.1.113883.4.4",
                                          "2.16.840.1.113883.6.90", "2.16.840.1.113883.6.12")


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != {}:
        out[key] = value


def _get(element: Any, path: str, attribute: str | None = None) -> Any:
    found = element.find(path) if element is not None else None
    if found is None:
        return None
    return found.get(attribute) if attribute else found.text


def _number(text: str | None) -> str | None:
    """A decimal attribute as the mapping's claim has it: read as a JSON number, written as its text."""
    if text is None:
        return None
    value = float(text)
    return str(int(value)) if value.is_integer() and "." not in text else repr(value)


def _address(addr: Any) -> dict[str, Any] | None:
    if addr is None:
        return None
    lines = addr.findall(_H + "streetAddressLine")
    out: dict[str, Any] = {}
    _put(out, "address1", lines[0].text if lines else None)
    _put(out, "address2", lines[1].text if len(lines) > 1 else None)
    _put(out, "city", _get(addr, _H + "city"))
    _put(out, "state", _get(addr, _H + "state"))
    postal = _get(addr, _H + "postalCode")
    _put(out, "postalCode", postal.replace("-", "") if postal is not None else None)
    return out


def _home_address(role: Any) -> dict[str, Any] | None:
    addresses = role.findall(_H + "addr")
    home = [addr for addr in addresses if addr.get("use") == "HP"] or addresses
    return _address(home[0]) if home else None


def _person(out: dict[str, Any], person: Any, patient: Any) -> None:
    name = person.find(_H + "name") if person is not None else None
    given = name.findall(_H + "given") if name is not None else []
    _put(out, "firstName", given[0].text if given else None)
    _put(out, "middleName", given[1].text if len(given) > 1 else None)
    _put(out, "lastName", _get(name, _H + "family"))
    _put(out, "suffix", _get(name, _H + "suffix"))
    _put(out, "gender", _GENDER[_get(patient, _H + "administrativeGenderCode", "code")]
         if _get(patient, _H + "administrativeGenderCode", "code") is not None else None)
    birth = _get(person, _H + "birthTime", "value") or _get(person, _SDTC + "birthTime", "value")
    _put(out, "dateOfBirth", birth[:8] if birth is not None else None)


def _icd10(observation: Any) -> str | None:
    value = observation.find(_H + "value") if observation is not None else None
    if value is None:
        return None
    return next((coded.get("code") for coded in (value, *value.findall(_H + "translation"))
                 if coded.get("codeSystem") == _ICD10_SYSTEM), None)


def ccda_claim(document: Any) -> dict[str, Any]:
    """The claim the shipped mapping makes of one C-CDA document element (valid inputs only)."""
    sections: dict[str | None, Any] = {}
    for section in document.iterfind(f"{_H}component/{_H}structuredBody/{_H}component/{_H}section"):
        sections.setdefault(_code(section), section)
    payers, encounters, procedures = sections.get("48768-6"), sections.get("46240-8"), sections.get("47519-4")
    coverage = payers.find(f"{_H}entry/{_H}act/{_H}entryRelationship")
    policy = coverage.find(_H + "act")
    participants = {item.get("typeCode"): item.find(_H + "participantRole")
                    for item in reversed(policy.findall(_H + "participant"))}
    covered = participants.get("COV")
    patient_role = document.find(f"{_H}recordTarget/{_H}patientRole")
    claim: dict[str, Any] = {}
    payer = policy.find(f"{_H}performer/{_H}assignedEntity")
    _put(claim, "tradingPartnerServiceId", _get(payer, _H + "id", "extension"))
    _put(claim, "tradingPartnerName", _get(payer, f"{_H}representedOrganization/{_H}name"))
    holder = participants.get("HLD")
    subscriber_role = holder if holder is not None else patient_role
    subscriber: dict[str, Any] = {}
    _put(subscriber, "memberId", _get(covered, _H + "id", "extension"))
    sequence = _get(coverage, _H + "sequenceNumber", "value")
    subscriber["paymentResponsibilityLevelCode"] = _SEQUENCE.get(str(int(sequence)), "P") if sequence else "P"
    _put(subscriber, "groupNumber", _get(policy, _H + "id", "extension"))
    patient = subscriber_role.find(_H + "patient")
    _person(subscriber, patient if patient is not None else subscriber_role.find(_H + "playingEntity"), patient)
    _put(subscriber, "address", _home_address(subscriber_role))
    claim["subscriber"] = subscriber
    if _get(covered, _H + "code", "code") != "SELF":
        dependent: dict[str, Any] = {"relationshipToSubscriberCode": _RELATIONSHIP[_get(covered, _H + "code", "code")]}
        _person(dependent, patient_role.find(_H + "patient"), patient_role.find(_H + "patient"))
        _put(dependent, "address", _home_address(patient_role))
        claim["dependent"] = dependent
    organization = document.find(f"{_H}custodian/{_H}assignedCustodian/{_H}representedCustodianOrganization")
    ids = {item.get("root"): item.get("extension") for item in reversed(organization.findall(_H + "id"))}
    billing: dict[str, Any] = {"providerType": "BillingProvider"}
    _put(billing, "npi", ids.get(_NPI))
    _put(billing, "employerId", ids[_EIN].replace("-", "") if ids.get(_EIN) is not None else None)
    _put(billing, "organizationName", _get(organization, _H + "name"))
    _put(billing, "address", _address(organization.find(_H + "addr")))
    claim["billing"] = billing
    performers = document.findall(f"{_H}documentationOf/{_H}serviceEvent/{_H}performer")
    entity = next((item.find(_H + "assignedEntity") for item in performers if item.get("typeCode") == "PRF"), None)
    rendering: dict[str, Any] = {"providerType": "RenderingProvider"}
    rendering_ids = {item.get("root"): item.get("extension") for item in reversed(entity.findall(_H + "id"))}
    _put(rendering, "npi", rendering_ids.get(_NPI))
    name = entity.find(f"{_H}assignedPerson/{_H}name")
    _put(rendering, "firstName", _get(name, _H + "given"))
    _put(rendering, "lastName", _get(name, _H + "family"))
    claim["rendering"] = rendering
    encounter = document.find(f"{_H}componentOf/{_H}encompassingEncounter")
    relationships = encounters.find(f"{_H}entry/{_H}encounter").findall(_H + "entryRelationship")
    diagnoses = sorted(relationships, key=lambda item: int(_get(item, _H + "sequenceNumber", "value") or 99))
    codes = [_icd10(item.find(f"{_H}act/{_H}entryRelationship/{_H}observation")) for item in diagnoses]
    lines, total = [], 0.0
    for procedure in procedures.iterfind(f"{_H}entry/{_H}procedure"):
        charge = procedure.find(_BILL + "charge")
        total += float(charge.get("value"))
        time = procedure.find(_H + "effectiveTime")
        stamp = time.get("value") or _get(time, _H + "low", "value")
        code = procedure.find(_H + "code")
        cpt = next((coded.get("code") for coded in (code, *code.findall(_H + "translation"))
                    if coded.get("codeSystem") == _CPT_SYSTEM), None)
        reasons = {value.get("code") for value in procedure.iterfind(
            f"{_H}entryRelationship[@typeCode='RSON']/{_H}observation/{_H}value")}
        service: dict[str, Any] = {"procedureIdentifier": "HC"}
        _put(service, "procedureCode", cpt)
        _put(service, "lineItemChargeAmount", _number(charge.get("value")))
        service["measurementUnit"] = "UN"
        _put(service, "serviceUnitCount", charge.get("units"))
        service["compositeDiagnosisCodePointers"] = {
            "diagnosisCodePointers": [str(position) for position, code in enumerate(codes[:12], 1) if code in reasons]}
        line: dict[str, Any] = {"serviceDate": stamp[:8]}
        _put(line, "providerControlNumber", _get(procedure, _H + "id", "extension"))
        line["professionalService"] = service
        lines.append(line)
    information: dict[str, Any] = {"claimFilingCode": _FILING[_get(policy, _H + "code", "code")]}
    _put(information, "patientControlNumber", _get(encounter, _H + "id", "extension"))
    information["claimChargeAmount"] = repr(round(total, 2))
    _put(information, "placeOfServiceCode", _PLACE.get(_get(encounter, _H + "code", "code")))
    information.update(claimFrequencyCode="1", signatureIndicator="Y", planParticipationCode="A",
                       benefitsAssignmentCertificationIndicator="Y", releaseInformationCode="Y")
    diagnosis_codes = []
    for index, code in enumerate(codes):
        item = {"diagnosisTypeCode": "ABK" if index == 0 else "ABF"}
        _put(item, "diagnosisCode", code.replace(".", "") if code is not None else None)
        diagnosis_codes.append(item)
    information["healthCareCodeInformation"] = diagnosis_codes
    information["serviceLines"] = lines
    claim["claimInformation"] = information
    return claim


def _code(section: Any) -> str | None:
    code = section.find(_H + "code")
    return code.get("code") if code is not None else None


def ccda_handwritten(documents: list[bytes]) -> list[dict[str, Any]]:
    """Each document through lxml ``iterparse`` and ``ccda_claim``."""
    from lxml import etree
    claims = []
    for document in documents:
        for _, element in etree.iterparse(io.BytesIO(document), events=("end",), tag=_H + "ClinicalDocument",
                                          remove_blank_text=True):
            claims.append(ccda_claim(element))
    return claims


def ccda_mapper(documents: list[bytes], mapping: Any) -> list[dict[str, Any]]:
    """Each document through mapper's XML reader and the shipped mapping (reject-free inputs)."""
    from mapper.formats.xml import XmlReader
    reader = XmlReader.for_mapping(mapping)
    claims = []
    for number, document in enumerate(documents, 1):
        for record in reader.records(io.BytesIO(document), "ccda.xml"):
            claims.append(mapping.result(record, number).output)
    return claims


def measure_ccda(count: int, repeat: int) -> dict[str, Any]:
    """CPU seconds of both transforms over the same documents, and the median ratio of paired rounds."""
    import mapper
    documents = ccda_documents(count)
    mapping = mapper.load(CCDA_MAPPING)
    runners: dict[str, Callable[[], Any]] = {"hand-written lxml": lambda: ccda_handwritten(documents),
                                             "mapper": lambda: ccda_mapper(documents, mapping)}
    rounds = []
    for _ in range(repeat):
        times = {}
        for name, run in runners.items():
            started = time.process_time()
            run()
            times[name] = time.process_time() - started
        rounds.append(times)
    megabytes = sum(map(len, documents)) / 1_000_000
    return {"documents": count, "size_mb": round(megabytes, 1),
            "cpu_seconds": {name: round(min(times[name] for times in rounds), 3) for name in runners},
            "ratio": paired_ratio(rounds, "mapper", "hand-written lxml")}


# --- `mapper convert --jobs 2` on the export (issue 20, item 4) ---------------------------------------------
#
# The real command in a process, on the export this module generates, with --jobs 1 and --jobs 2: wall time, and
# the peak memory of the whole process tree, the sum of each process's VmHWM (its resident high-water mark, read
# from /proc every 20 ms while it lives: the last reading before it ends). Forked workers share pages with the
# parent, which VmHWM counts in each: the sum is an upper bound.

JOBS_MAPPING = Path(__file__).parent / "mappings" / "patient-to-claim.yaml"


def measure_jobs(path: Path, jobs: int) -> dict[str, Any]:
    """``mapper convert JOBS_MAPPING path --jobs jobs`` (output to a file beside ``path``): seconds and memory."""
    import shutil
    import subprocess
    output = path.with_suffix(f".jobs-{jobs}.ndjson")
    command = [shutil.which("mapper") or str(Path(sys.executable).parent / "mapper"), "convert", str(JOBS_MAPPING),
               str(path), "-o", str(output), "--jobs", str(jobs), "--quiet"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, int] = {}  # pid -> VmHWM in kB
    while process.poll() is None:
        for pid in _tree(process.pid):
            peak = _vm_hwm_kib(pid)
            if peak is not None:
                peaks[pid] = max(peaks.get(pid, 0), peak)
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    errors = process.stderr.read().decode() if process.stderr else ""
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed:\n{errors}")
    output.unlink(missing_ok=True)
    parent = peaks.pop(process.pid, 0)
    return {"jobs": jobs, "seconds": round(seconds, 2),
            "peak_mib_total": round((parent + sum(peaks.values())) / 1024, 1),
            "peak_mib_parent": round(parent / 1024, 1),
            "peak_mib_workers": [round(kib / 1024, 1) for kib in peaks.values()]}


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            todo.extend(int(child) for child in Path(f"/proc/{current}/task/{current}/children").read_text().split())
        except OSError:  # it ended meanwhile
            pass
    return found


def _vm_hwm_kib(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)


def _jobs_line(results: list[dict[str, Any]], megabytes: float) -> str:
    one, two = results
    workers = " + ".join(f"{peak:g}" for peak in two["peak_mib_workers"])
    return (f"mapper convert on the {megabytes:.1f} MB export: --jobs 1 {one['seconds']} s, "
            f"--jobs 2 {two['seconds']} s "
            f"({one['seconds'] / two['seconds']:.2f}x); peak memory, the sum of VmHWM of the process tree: "
            f"--jobs 1 {one['peak_mib_total']} MiB, --jobs 2 {two['peak_mib_total']} MiB "
            f"(parent {two['peak_mib_parent']} + workers {workers})")


def child(name: str, path: str) -> None:
    started = time.perf_counter()
    records = RUNNERS[name](path)
    report({"contender": name, "records": records, "seconds": time.perf_counter() - started})


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_xml", description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--small-mb", type=float, default=20, help="the smaller document, for flat memory")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--only", action="append", choices=CONTENDERS, help="run only these contenders")
    parser.add_argument("--ccda-documents", type=int, default=200,
                        help="C-CDA documents of the C-CDA workload (about 146 kB each; 0: skip it)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the C-CDA workload")
    parser.add_argument("--skip-export", action="store_true", help="run only the C-CDA workload")
    parser.add_argument("--skip-jobs", action="store_true", help="no mapper convert --jobs 1 / --jobs 2 run")
    parser.add_argument("--child", nargs=2, metavar=("CONTENDER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return []
    contenders = args.only or list(CONTENDERS)
    results: list[dict[str, Any]] = []
    ccda = measure_ccda(args.ccda_documents, args.repeat) if args.ccda_documents else None
    if ccda is not None:
        print(_ccda_line(ccda))
    if args.skip_export:
        if args.json:
            Path(args.json).write_text(json.dumps({"ccda": ccda}, indent=2) + "\n")
        return [ccda] if ccda else []
    with tempfile.TemporaryDirectory(prefix="bench-xml-") as folder:
        for size in (args.small_mb, args.size_mb):
            path = Path(folder) / f"export-{size:g}mb.xml"
            patients = generate(path, size)
            megabytes = path.stat().st_size / 1_000_000
            print(f"{path.name}: {megabytes:.1f} MB, {patients} patients", file=sys.stderr)
            for name in contenders:
                result = run_child("benchmarks.bench_xml", name, str(path))
                result.update(size_mb=round(megabytes, 1), mb_per_s=round(megabytes / result["seconds"], 2))
                results.append(result)
                print(f"  {name:17} {result['mb_per_s']:7.2f} MB/s  peak {result['peak_rss_mib']:6.1f} MiB",
                      file=sys.stderr)
        jobs = [] if args.skip_jobs else [measure_jobs(path, count) for count in (1, 2)]
    table = _table(results)
    print(table)
    if jobs:
        print(_jobs_line(jobs, megabytes))
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "table": table, "ccda": ccda, "jobs": jobs},
                                              indent=2) + "\n")
    return [*results, ccda] if ccda else results


def _ccda_line(result: dict[str, Any]) -> str:
    seconds = result["cpu_seconds"]
    return (f"C-CDA workload: {result['documents']} documents, {result['size_mb']} MB; CPU seconds (best round): "
            f"hand-written lxml {seconds['hand-written lxml']}, mapper {seconds['mapper']}; "
            f"mapper / hand-written (median of paired rounds, target <= 1.5): {result['ratio']}")


def _table(results: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    sizes = sorted({result["size_mb"] for result in results})
    speed = {(r["contender"], r["size_mb"]): r for r in results}
    big = sizes[-1]
    out.write(f"{'contender':18}{'MB/s':>8}{'vs lxml-parse':>15}{'vs lxml-typed':>15}{'vs xmltodict':>14}"
              + "".join(f"{f'RSS@{size:g}MB':>13}" for size in sizes) + "\n")
    for name in CONTENDERS:
        row = speed.get((name, big))
        if row is None:
            continue
        out.write(f"{name:18}{row['mb_per_s']:8.2f}")
        for base in ("lxml-parse", "lxml-typed", "xmltodict-stream"):
            other = speed.get((base, big))
            ratio = f"{row['mb_per_s'] / other['mb_per_s']:.2f}x" if other else "-"
            out.write(f"{ratio:>15}" if base != "xmltodict-stream" else f"{ratio:>14}")
        for size in sizes:
            at = speed.get((name, size))
            out.write(f"{at['peak_rss_mib']:>9.1f} MiB" if at else f"{'-':>13}")
        out.write("\n")
    return out.getvalue()


if __name__ == "__main__":
    main()
