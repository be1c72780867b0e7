"""The benchmark workloads, built from fixed seeds: records in, and the mapping files that map them.

- ``crm``: a Salesforce-style contact (about 30 fields: account, e-mails,
  phones, mailing address, interests) to a Mailchimp-style member (about 15
  fields), with the shipped mapping ``mappings/crm-contact-to-member.yaml``;
- ``clinical``: a patient of the clinical export (encounters, diagnoses,
  procedures; read from the XML that ``bench_xml`` generates) to a billing
  claim with service lines, with ``benchmarks/mappings/patient-to-claim.yaml``;
- ``weather``: a National Weather Service observation (a GeoJSON Feature with
  a dozen quantities, each in the unit it names) to a normalized observation,
  with the shipped ``mappings/nws-observation-to-observation.yaml``: ``let``,
  ternaries and arithmetic in nearly every rule.
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
WEATHER_MAPPING = ROOT / "mappings" / "nws-observation-to-observation.yaml"

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


_STATIONS = [("KSEA", "Seattle, Seattle-Tacoma International Airport", -122.31, 47.45, 136),
             ("KBOS", "Boston, Logan International Airport", -71.01, 42.36, 6),
             ("KDEN", "Denver International Airport", -104.66, 39.85, 1656),
             ("PHNL", "Honolulu International Airport", -157.92, 21.33, 2)]
_SKY_AMOUNTS = ["SKC", "CLR", "FEW", "SCT", "BKN", "OVC", "VV"]
_WEATHER = [("light", "rain", "-RA"), ("heavy", "snow", "+SN"), (None, "fog_mist", "BR"), (None, "haze", "HZ")]


def _quantity(unit: str, value: float | None) -> dict[str, Any]:
    return {"unitCode": unit, "value": value, "qualityControl": "V"}


def _maybe(rng: random.Random, chance_of_null: float, value: float) -> float | None:
    return None if rng.random() < chance_of_null else value


def nws_feature(rng: random.Random, number: int) -> dict[str, Any]:
    """One observation like the NWS fixtures: units vary as the API's do (degC mostly, degF and K from
    some stations, km/h or m/s winds), sensors report null, some values carry float noise."""
    station, name, longitude, latitude, elevation = rng.choice(_STATIONS)
    celsius = round(rng.uniform(-25, 38), 1)
    unit = rng.choices(["wmoUnit:degC", "wmoUnit:degF", "wmoUnit:K"], [80, 15, 5])[0]
    temperature = {"wmoUnit:degC": celsius, "wmoUnit:degF": round(celsius * 9 / 5 + 32, 1),
                   "wmoUnit:K": round(celsius + 273.15, 2)}[unit]
    dewpoint = celsius - rng.uniform(0, 12) + (1e-14 if rng.random() < 0.2 else 0)  # float noise
    wind_unit = rng.choice(["wmoUnit:km_h-1", "wmoUnit:m_s-1"])
    knots = rng.randint(0, 40)
    speed = knots * 1.852 if wind_unit == "wmoUnit:km_h-1" else round(knots * 0.514444, 1)
    stamp = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:53:00+00:00"
    layers = [{"base": _quantity("wmoUnit:m", _maybe(rng, 0.1, rng.randint(1, 80) * 30)),
               "amount": rng.choice(_SKY_AMOUNTS)} for _ in range(rng.randint(0, 3))]
    weather = [{"intensity": intensity, "modifier": None, "weather": kind, "rawString": raw}
               for intensity, kind, raw in rng.sample(_WEATHER, rng.randint(0, 2))]
    return {
        "id": f"https://api.weather.gov/stations/{station}/observations/{stamp}",
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
        "properties": {
            "@id": f"https://api.weather.gov/stations/{station}/observations/{stamp}",
            "elevation": {"unitCode": "wmoUnit:m", "value": elevation},
            "station": f"https://api.weather.gov/stations/{station}",
            "stationName": name,
            "timestamp": stamp,
            "rawMessage": "" if rng.random() < 0.1 else f"{station} {number % 28 + 1:02d}1753Z 36008KT 10SM FEW035",
            "textDescription": "Light Rain",
            "presentWeather": weather,
            "temperature": _quantity(unit, _maybe(rng, 0.05, temperature)),
            "dewpoint": _quantity("wmoUnit:degC", _maybe(rng, 0.05, dewpoint)),
            "windDirection": _quantity("wmoUnit:degree_(angle)", _maybe(rng, 0.1, rng.randint(0, 36) * 10)),
            "windSpeed": _quantity(wind_unit, _maybe(rng, 0.05, speed)),
            "windGust": _quantity(wind_unit, _maybe(rng, 0.6, speed * 1.5)),
            "barometricPressure": _quantity("wmoUnit:Pa", _maybe(rng, 0.1, rng.randint(98000, 104000))),
            "seaLevelPressure": _quantity("wmoUnit:Pa", _maybe(rng, 0.1, rng.randint(98000, 104000))),
            "visibility": _quantity("wmoUnit:m", _maybe(rng, 0.1, rng.choice([16090, 8050, 1610, 400]))),
            "precipitationLastHour": _quantity("wmoUnit:mm", _maybe(rng, 0.7, round(rng.uniform(0, 12), 1))),
            "relativeHumidity": _quantity("wmoUnit:percent", _maybe(rng, 0.05, rng.uniform(10, 100))),
            "cloudLayers": layers,
        },
    }


def weather(count: int, seed: int = 5) -> Workload:
    rng = random.Random(seed)
    return Workload("weather", WEATHER_MAPPING, [nws_feature(rng, number) for number in range(1, count + 1)])
