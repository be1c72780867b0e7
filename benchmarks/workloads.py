"""The benchmark workloads, built from fixed seeds: records in, and the mapping files that map them.

- ``crm``: a Salesforce-style contact (about 30 fields: account, e-mails,
  phones, mailing address, interests) to a Mailchimp-style member (about 15
  fields), with the shipped mapping ``mappings/crm-contact-to-member.yaml``;
- ``clinical``: a patient of the clinical export (encounters, diagnoses,
  procedures; read from the XML that ``bench_xml`` generates) to a billing
  claim with service lines, with ``benchmarks/mappings/patient-to-claim.yaml``.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent
CRM_MAPPING = ROOT / "mappings" / "crm-contact-to-member.yaml"
CLINICAL_MAPPING = Path(__file__).parent / "mappings" / "patient-to-claim.yaml"

_FIRST = ["José", "Ann", "Kwame", "Yuki", "Søren", "Priya", "Liam", "Chloé", "Mateo", "Aisha", "Olga", "Wei"]
_LAST = ["Núñez García", "Smith", "Mensah", "Tanaka", "Kierkegaard", "Iyer", "O'Brien", "Dubois", "Rossi", "Khan"]
_CITIES = [("San Francisco", "CA", "US"), ("Austin", "TX", "US"), ("Boston", "MA", "US"), ("Toronto", "ON", "CA"),
           ("Lyon", None, "FR"), ("Accra", None, "GH")]
_INDUSTRIES = ["Manufacturing", "Healthcare", "Retail", "Transportation", None]
_INTERESTS = ["hiking", "camping", "yoga", "running", "chess", "cooking"]


@dataclass(frozen=True)
class Workload:
    name: str
    mapping: Path
    records: list[Any]


def crm_contact(rng: random.Random, number: int) -> dict[str, Any]:
    """One contact like mappings/crm-contact-to-member.fixtures/full-contact.input.json, values varied."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    handle = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    emails = [{"Address": f"{handle}{number}@mail{index}.example", "Type": rng.choice(["Work", "Personal"]),
               "IsPrimary": False} for index in range(0 if rng.random() < 0.02 else rng.randint(1, 3))]
    if emails and rng.random() < 0.8:
        rng.choice(emails)["IsPrimary"] = True
        emails[0]["Address"] = "  " + emails[0]["Address"].upper() + " "
    phones = [{"Number": f"+1 415 555 {rng.randint(0, 9999):04d}", "Type": rng.choice(["Work", "Mobile", "Home"])}
              for _ in range(rng.randint(0, 3))]
    city, state, country = rng.choice(_CITIES)
    street = f"{rng.randint(1, 999)} Market St" + (f"\nSuite {rng.randint(1, 900)}" if rng.random() < 0.5 else "")
    return {
        "Id": f"0035g{number:013d}",
        "Salutation": rng.choice(["Mr.", "Ms.", "Dr.", None]),
        "FirstName": first,
        "LastName": last,
        "Title": rng.choice(["Head of Procurement", "CTO", "Buyer", None]),
        "Emails": emails,
        "Phones": phones,
        "MailingAddress": {"Street": street, "City": city if rng.random() < 0.9 else None, "State": state,
                           "PostalCode": f"{rng.randint(0, 99999):05d}", "CountryCode": country},
        "Account": {"Id": f"0015g{number:013d}", "Name": f"{last} Holdings", "Industry": rng.choice(_INDUSTRIES),
                    "Tier__c": rng.choice(["Strategic", "SMB", "Enterprise"])},
        "HasOptedOutOfEmail": rng.random() < 0.1,
        "EmailStatus__c": rng.choice(["A", "U", "B", "P", "X", None]),
        "PreferredLanguage__c": rng.choice(["es-MX", "en-US", "fr", "de-DE", None]),
        "Birthdate": f"19{rng.randint(40, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "LeadSource": rng.choice(["Web", "Trade Show", "Referral", None]),
        "Interests": rng.sample(_INTERESTS, rng.randint(0, 3)),
        "CreatedDate": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
                       f"{rng.randint(0, 59):02d}:00.000{rng.choice(['+0000', '+0530', '-0800'])}",
        "LastModifiedDate": "2025-01-10T08:00:00.000+0000",
    }


def crm(count: int, seed: int = 1) -> Workload:
    rng = random.Random(seed)
    return Workload("crm", CRM_MAPPING, [crm_contact(rng, number) for number in range(1, count + 1)])


def clinical(count: int, seed: int = 3) -> Workload:
    """Patients read (by mapper's XML reader) from the export that bench_xml generates."""
    import mapper
    from mapper.formats.xml import XmlReader

    from .bench_xml import _patient

    rng = random.Random(seed)
    document = ('<?xml version="1.0" encoding="UTF-8"?>\n<Export xmlns="urn:example:clinical-export" '
                'xmlns:bill="urn:example:billing" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                '<Patients>\n' + "".join(_patient(rng, number) for number in range(1, count + 1))
                + "</Patients></Export>\n")
    reader = XmlReader.for_mapping(mapper.load(CLINICAL_MAPPING))
    records = list(reader.records(io.BytesIO(document.encode()), "<clinical export>"))
    return Workload("clinical", CLINICAL_MAPPING, records)
