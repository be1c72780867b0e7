"""What users write today, per workload: the peers the benchmark measures mapper against.

- ``naive``: ``jmespath.search`` per field (with mapper's function library as
  custom functions, so the expressions are the mapping file's own), Python
  loops where JMESPath cannot reach the enclosing item, then the reference
  ``jsonschema`` validator;
- ``glom``: a glom spec, Python callables for what glom has no function for;
- ``jsonata``: one JSONata expression (jsonata-python).

Each produces the same records as the mapping file where the tool can; the
benchmark reports whether it does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import jmespath

from mapper.functions import build_function_table

from .handwritten import _GENDER, _INTEREST, _OTHER_INTEREST, _PLACE, _STATUS, _minor, _put

_OPTIONS = jmespath.Options(custom_functions=build_function_table())


def _search(expression: str, data: Any) -> Any:
    return jmespath.search(expression, data, options=_OPTIONS)


# -- naive: jmespath.search per field ---------------------------------------------------------------


def naive_crm(contact: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "email_address", _search(
        "lower(trim(coalesce(Emails[?IsPrimary] | [0].Address, Emails[0].Address)))", contact))
    code = _search("HasOptedOutOfEmail && 'U' || EmailStatus__c", contact)
    out["status"] = "pending" if code is None else _STATUS.get(code, "pending")
    out["email_type"] = "html"
    merge: dict[str, Any] = {}
    _put(merge, "FNAME", _search("FirstName", contact))
    _put(merge, "LNAME", _search("LastName", contact))
    _put(merge, "PHONE", _search("coalesce(Phones[?Type=='Mobile'] | [0].Number, Phones[0].Number)", contact))
    _put(merge, "COMPANY", _search("Account.Name", contact))
    _put(merge, "BIRTHDAY", _search("format_datetime(Birthdate, '%m/%d')", contact))
    if _search("MailingAddress.Street && MailingAddress.City", contact):
        address = _search("MailingAddress", contact)
        built: dict[str, Any] = {}
        _put(built, "addr1", _search("split(Street, '\n')[0]", address))
        _put(built, "addr2", _search("split(Street, '\n')[1]", address))
        _put(built, "city", _search("City", address))
        built["state"] = _search("State", address) or ""
        built["zip"] = _search("PostalCode", address) or ""
        _put(built, "country", _search("CountryCode", address))
        merge["ADDRESS"] = built
    out["merge_fields"] = merge
    out["language"] = _search("split(PreferredLanguage__c, '-')[0]", contact) or "en"
    out["vip"] = _search("Account.Tier__c == 'Strategic'", contact)
    out["tags"] = [_search("concat('crm:', @)", tag) for tag in _search("[LeadSource, Account.Industry][?@]", contact)]
    interests = _search("Interests", contact)
    if interests is not None:
        out["interests"] = {_INTEREST.get(interest, _OTHER_INTEREST): True for interest in interests}
    _put(out, "timestamp_signup", _search("parse_datetime(CreatedDate, '%Y-%m-%dT%H:%M:%S.%f%z')", contact))
    out["source"] = "crm"
    _put(out, "external_id", _search("Id", contact))
    return out


def naive_clinical(patient: Any) -> dict[str, Any]:
    person: dict[str, Any] = {}
    _put(person, "id", _search("id", patient))
    _put(person, "family_name", _search("name[0].family", patient))
    _put(person, "given_names", _search("join(' ', name[0].given)", patient))
    _put(person, "birth_date", _search("birthDate", patient))
    person["gender"] = _GENDER[_search("gender", patient)]
    _put(person, "postal_code", _search("address[0].postalCode", patient))
    _put(person, "state", _search("address[0].state", patient))
    encounters = []
    for encounter in _search("encounters", patient) or []:
        lines = []
        for index, procedure in enumerate(_search("procedures", encounter) or []):
            lines.append({
                "line_number": index + 1,
                "procedure_code": _search("code.code", procedure),
                "description": _search("code.display", procedure),
                "units": _search("units", procedure),
                "charge_minor": _search("multiply(to_minor_units(charge.amount, charge.currency), units)", procedure),
                "encounter_id": _search("id", encounter),
            })
        encounters.append({
            "encounter_id": _search("id", encounter),
            "place_of_service": _PLACE.get(_search("class", encounter), "99"),
            "start": _search("to_utc(period.start)", encounter),
            "diagnosis_codes": _search("sort_by(diagnoses, &sequence)[].code.code", encounter),
            "lines": lines,
        })
    return {
        "claim_id": _search("concat('CLM-', id)", patient),
        "status": _search("active && 'active' || 'inactive'", patient),
        "patient": person,
        "encounters": encounters,
        "total_charge_minor": _search(
            "sum(encounters[].procedures[].multiply(to_minor_units(charge.amount, charge.currency), units))", patient),
        "currency": _search("encounters[0].procedures[0].charge.currency", patient),
        "source": "clinical-export",
    }


# -- glom ----------------------------------------------------------------------------------------------


def glom_crm() -> Callable[[Any], Any]:
    from glom import Coalesce, T, glom

    def primary(entries: Any, flag: str, wanted: Any, field: str) -> Any:
        entries = entries or []
        found = next((entry.get(field) for entry in entries if entry.get(flag) == wanted), None)
        return found if found is not None else (entries[0].get(field) if entries else None)

    def address(contact: Any) -> Any:
        mailing = contact.get("MailingAddress") or {}
        if not (mailing.get("Street") and mailing.get("City")):
            return None
        lines = mailing["Street"].split("\n")
        return {key: value for key, value in (
            ("addr1", lines[0]), ("addr2", lines[1] if len(lines) > 1 else None), ("city", mailing["City"]),
            ("state", mailing.get("State") or ""), ("zip", mailing.get("PostalCode") or ""),
            ("country", mailing.get("CountryCode"))) if value is not None}

    def signup(text: str) -> str:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
        return moment.isoformat(timespec="seconds" if not moment.microsecond else "milliseconds")

    spec = {
        "email_address": lambda c: (lambda e: e.strip().lower() if e is not None else None)(
            primary(c.get("Emails"), "IsPrimary", True, "Address")),
        "status": lambda c: _STATUS.get("U" if c.get("HasOptedOutOfEmail") else c.get("EmailStatus__c"), "pending"),
        "email_type": lambda c: "html",
        "merge_fields": {
            "FNAME": Coalesce("FirstName", default=None),
            "LNAME": Coalesce("LastName", default=None),
            "PHONE": lambda c: primary(c.get("Phones"), "Type", "Mobile", "Number"),
            "COMPANY": Coalesce("Account.Name", default=None),
            "BIRTHDAY": Coalesce(("Birthdate", lambda b: datetime.strptime(b, "%Y-%m-%d").strftime("%m/%d")),
                                 default=None),
            "ADDRESS": address,
        },
        "language": lambda c: (c.get("PreferredLanguage__c") or "en").split("-")[0],
        "vip": Coalesce(("Account.Tier__c", lambda tier: tier == "Strategic"), default=False),
        "tags": lambda c: ["crm:" + t for t in (c.get("LeadSource"), (c.get("Account") or {}).get("Industry")) if t],
        "interests": ("Interests", lambda interests: {_INTEREST.get(i, _OTHER_INTEREST): True for i in interests}),
        "timestamp_signup": Coalesce(("CreatedDate", signup), default=None),
        "source": lambda c: "crm",
        "external_id": T["Id"],
    }

    def run(contact: Any) -> Any:
        built = glom(contact, spec)
        built["merge_fields"] = {k: v for k, v in built["merge_fields"].items() if v is not None}
        return {k: v for k, v in built.items() if v is not None}

    return run


def glom_clinical() -> Callable[[Any], Any]:
    from glom import Coalesce, glom

    line = {"procedure_code": "code.code", "description": "code.display", "units": "units",
            "charge_minor": lambda p: _minor(p["charge"]["amount"]) * p["units"]}
    encounter = {
        "encounter_id": "id",
        "place_of_service": ("class", lambda c: _PLACE.get(c, "99")),
        "start": "period.start",
        "diagnosis_codes": ("diagnoses",
                            lambda ds: [d["code"]["code"] for d in sorted(ds, key=lambda d: d["sequence"])]),
        "lines": lambda e: [{"line_number": n, **glom(p, line), "encounter_id": e["id"]}
                            for n, p in enumerate(e.get("procedures", ()), 1)],
    }
    spec = {
        "claim_id": ("id", lambda i: "CLM-" + i),
        "status": Coalesce(("active", lambda a: "active" if a else "inactive"), default="inactive"),
        "patient": {
            "id": "id", "family_name": "name.0.family", "given_names": ("name.0.given", " ".join),
            "birth_date": "birthDate", "gender": ("gender", _GENDER.get),
            "postal_code": "address.0.postalCode", "state": "address.0.state",
        },
        "encounters": ("encounters", [encounter]),
        "total_charge_minor": lambda p: sum(_minor(x["charge"]["amount"]) * x["units"]
                                            for e in p["encounters"] for x in e.get("procedures", ())),
        "currency": "encounters.0.procedures.0.charge.currency",
        "source": lambda p: "clinical-export",
    }
    return lambda patient: glom(patient, spec)


# -- jsonata ---------------------------------------------------------------------------------------------

_JSONATA_CRM = r"""
(
  $status := {"A": "subscribed", "U": "unsubscribed", "B": "cleaned", "P": "pending"};
  $interest := {"hiking": "4bd2a8c701", "camping": "4bd2a8c701", "yoga": "9c1e7f3b22", "running": "9c1e7f3b22"};
  $primary := Emails[IsPrimary][0].Address;
  $email := $exists($primary) ? $primary : Emails[0].Address;
  $mobile := Phones[Type = "Mobile"][0].Number;
  $code := HasOptedOutOfEmail ? "U" : EmailStatus__c;
  $state := $type($code) = "string" ? $lookup($status, $code);  /* JSONata 2.x on Node refuses a null key */
  $lines := $split(MailingAddress.Street, "\n");
  {
    "email_address": $lowercase($trim($email)),
    "status": $exists($state) ? $state : "pending",
    "email_type": "html",
    "merge_fields": {
      "FNAME": FirstName,
      "LNAME": LastName,
      "PHONE": $exists($mobile) ? $mobile : Phones[0].Number,
      "COMPANY": Account.Name,
      "BIRTHDAY": $substring(Birthdate, 5, 2) & "/" & $substring(Birthdate, 8, 2),
      "ADDRESS": (MailingAddress.Street and MailingAddress.City) ? {
        "addr1": $lines[0], "addr2": $lines[1], "city": MailingAddress.City,
        "state": $exists(MailingAddress.State) and MailingAddress.State != null ? MailingAddress.State : "",
        "zip": $exists(MailingAddress.PostalCode) and MailingAddress.PostalCode != null
               ? MailingAddress.PostalCode : "",
        "country": MailingAddress.CountryCode
      }
    },
    "language": PreferredLanguage__c ? $substringBefore(PreferredLanguage__c, "-") : "en",
    "vip": Account.Tier__c = "Strategic",
    "tags": [$map($filter([LeadSource, Account.Industry], function($v) { $v }), function($v) { "crm:" & $v })],
    "interests": $merge([Interests.{($exists($lookup($interest, $)) ? $lookup($interest, $) : "e05d6a9f48"): true}]),
    "timestamp_signup": $fromMillis($toMillis(CreatedDate, "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z0000]"),
                                    "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01][Z01:01]",
                                    $substring(CreatedDate, 23, 5)),
    "source": "crm",
    "external_id": Id
  }
)
"""

_JSONATA_CLINICAL = r"""
(
  $gender := {"female": "F", "male": "M", "other": "O", "unknown": "U"};
  $place := {"AMB": "11", "EMER": "23", "IMP": "21"};
  $minor := function($p) { $round($p.charge.amount * 100) * $p.units };
  {
    "claim_id": "CLM-" & id,
    "status": active ? "active" : "inactive",
    "patient": {
      "id": id, "family_name": name[0].family, "given_names": $join(name[0].given, " "),
      "birth_date": birthDate, "gender": $lookup($gender, gender),
      "postal_code": address[0].postalCode, "state": address[0].state
    },
    "encounters": [encounters.(
      $encounter := $;
      {
        "encounter_id": id,
        "place_of_service": $exists($lookup($place, class)) ? $lookup($place, class) : "99",
        "start": period.start,
        "diagnosis_codes": [($sort(diagnoses, function($a, $b) { $a.sequence > $b.sequence })).code.code],
        "lines": [procedures#$i.{
          "line_number": $i + 1, "procedure_code": code.code, "description": code.display, "units": units,
          "charge_minor": $minor($), "encounter_id": $encounter.id
        }]
      })],
    "total_charge_minor": $sum(encounters.procedures.($minor($))),
    "currency": encounters[0].procedures[0].charge.currency,
    "source": "clinical-export"
  }
)
"""


def jsonata_mapper(expression: str) -> Callable[[Any], Any]:
    import jsonata

    compiled = jsonata.Jsonata(expression)
    return compiled.evaluate


NAIVE = {"crm": naive_crm, "clinical": naive_clinical}
GLOM = {"crm": glom_crm, "clinical": glom_clinical}
JSONATA = {"crm": _JSONATA_CRM, "clinical": _JSONATA_CLINICAL}
