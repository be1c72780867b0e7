"""The floor: each workload's mapping written by hand in plain Python.

What a careful engineer writes for one record type, with the same output as
the mapping file (the benchmark checks that on every record before timing).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from typing import Any

_STATUS = {"A": "subscribed", "U": "unsubscribed", "B": "cleaned", "P": "pending"}
#: CRM interest -> Mailchimp interest ID (Outdoor, Wellness); every other interest is Other's.
_INTEREST = {"hiking": "4bd2a8c701", "camping": "4bd2a8c701", "yoga": "9c1e7f3b22", "running": "9c1e7f3b22"}
_OTHER_INTEREST = "e05d6a9f48"


def crm_member(contact: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    emails = contact.get("Emails") or []
    email = next((entry.get("Address") for entry in emails if entry.get("IsPrimary")), None)
    if email is None and emails:
        email = emails[0].get("Address")
    if email is not None:
        out["email_address"] = email.strip().lower()
    code = "U" if contact.get("HasOptedOutOfEmail") else contact.get("EmailStatus__c")
    out["status"] = "pending" if code is None else _STATUS.get(code, "pending")
    out["email_type"] = "html"
    merge: dict[str, Any] = {}
    for key, field in (("FNAME", "FirstName"), ("LNAME", "LastName")):
        if contact.get(field) is not None:
            merge[key] = contact[field]
    phones = contact.get("Phones") or []
    phone = next((entry.get("Number") for entry in phones if entry.get("Type") == "Mobile"), None)
    if phone is None and phones:
        phone = phones[0].get("Number")
    if phone is not None:
        merge["PHONE"] = phone
    account = contact.get("Account") or {}
    if account.get("Name") is not None:
        merge["COMPANY"] = account["Name"]
    if contact.get("Birthdate"):
        merge["BIRTHDAY"] = datetime.strptime(contact["Birthdate"], "%Y-%m-%d").strftime("%m/%d")
    address = contact.get("MailingAddress")
    if address and address.get("Street") and address.get("City"):
        lines = address["Street"].split("\n")
        built = {"addr1": lines[0]}
        if len(lines) > 1:
            built["addr2"] = lines[1]
        built["city"] = address["City"]
        built["state"] = address.get("State") or ""
        built["zip"] = address.get("PostalCode") or ""
        if address.get("CountryCode") is not None:
            built["country"] = address["CountryCode"]
        merge["ADDRESS"] = built
    if merge:
        out["merge_fields"] = merge
    language = contact.get("PreferredLanguage__c")
    out["language"] = language.split("-")[0] if language is not None else "en"
    out["vip"] = account.get("Tier__c") == "Strategic"
    out["tags"] = ["crm:" + tag for tag in (contact.get("LeadSource"), account.get("Industry")) if tag]
    if contact.get("Interests") is not None:
        out["interests"] = {_INTEREST.get(interest, _OTHER_INTEREST): True for interest in contact["Interests"]}
    if contact.get("CreatedDate") is not None:
        moment = datetime.strptime(contact["CreatedDate"], "%Y-%m-%dT%H:%M:%S.%f%z")
        out["timestamp_signup"] = moment.isoformat(timespec="seconds" if not moment.microsecond else "milliseconds")
    out["source"] = "crm"
    out["external_id"] = contact["Id"]
    return out


_GENDER = {"female": "F", "male": "M", "other": "O", "unknown": "U"}
_PLACE = {"AMB": "11", "EMER": "23", "IMP": "21"}


def _minor(amount: float) -> int:
    return int((Decimal(repr(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _utc(moment: str) -> str:
    """The mapping's to_utc(): the instant in UTC, seconds or milliseconds as needed, "Z"."""
    parsed = datetime.fromisoformat(moment).astimezone(UTC)
    return parsed.isoformat(timespec="milliseconds" if parsed.microsecond else "seconds").replace("+00:00", "Z")


def clinical_claim(patient: dict[str, Any]) -> dict[str, Any]:
    name = patient["name"][0]
    address = (patient.get("address") or [{}])[0]
    person: dict[str, Any] = {"id": patient["id"], "family_name": name["family"]}
    if name.get("given") is not None:
        person["given_names"] = " ".join(name["given"])
    person["birth_date"] = patient["birthDate"]
    person["gender"] = _GENDER[patient["gender"]]
    if address.get("postalCode") is not None:
        person["postal_code"] = address["postalCode"]
    if address.get("state") is not None:
        person["state"] = address["state"]
    encounters = []
    total = 0
    for encounter in patient.get("encounters", ()):
        lines = []
        for number, procedure in enumerate(encounter.get("procedures", ()), 1):
            charge = _minor(procedure["charge"]["amount"]) * procedure["units"]
            total += charge
            lines.append({"line_number": number, "procedure_code": procedure["code"]["code"],
                          "description": procedure["code"]["display"], "units": procedure["units"],
                          "charge_minor": charge, "encounter_id": encounter["id"]})
        diagnoses = sorted(encounter.get("diagnoses", ()), key=lambda diagnosis: diagnosis["sequence"])
        encounters.append({
            "encounter_id": encounter["id"],
            "place_of_service": _PLACE.get(encounter["class"], "99"),
            "start": _utc(encounter["period"]["start"]),
            "diagnosis_codes": [diagnosis["code"]["code"] for diagnosis in diagnoses],
            "lines": lines,
        })
    return {
        "claim_id": "CLM-" + patient["id"],
        "status": "active" if patient.get("active") else "inactive",
        "patient": person,
        "encounters": encounters,
        "total_charge_minor": total,
        "currency": patient["encounters"][0]["procedures"][0]["charge"]["currency"],
        "source": "clinical-export",
    }


_SKY = {"SKC": "clear", "CLR": "clear", "FEW": "few", "SCT": "scattered", "BKN": "broken", "OVC": "overcast",
        "VV": "obscured"}
_STATION = re.compile(r"[^/]+$")
_QUOTIENT = Context(prec=40)


def _exact(value: float) -> Decimal:
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def _minus(a: float, b: float) -> float:
    return a - b if type(a) is int and type(b) is int else float(_exact(a) - _exact(b))


def _times(a: float, b: float) -> float:
    return a * b if type(a) is int and type(b) is int else float(_exact(a) * _exact(b))


def _over(a: float, b: float) -> float:
    if type(a) is int and type(b) is int and a % b == 0:
        return a // b
    return float(_QUOTIENT.divide(_exact(a), _exact(b)))


def _round1(value: float) -> float:
    """The mapping's round(v, `1`): half away from zero, on the number as written."""
    if isinstance(value, int):
        return value
    number = _exact(value)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -1:
        return value
    return float(number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _whole(value: float | None) -> int | None:
    """The mapping's round(v): half away from zero, to an integer."""
    return None if value is None else int(_exact(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


#: The mapping's conversions, by the unitCode a quantity names.
_CELSIUS: dict[str, Any] = {"wmoUnit:degC": _round1,
                            "wmoUnit:degF": lambda v: _round1(_over(_times(_minus(v, 32), 5), 9)),
                            "wmoUnit:K": lambda v: _round1(_minus(v, 273.15))}
_METRES_PER_SECOND: dict[str, Any] = {"wmoUnit:m_s-1": _round1,
                                      "wmoUnit:km_h-1": lambda v: _round1(_over(v, 3.6))}


def _converted(quantity: dict[str, Any] | None, conversions: dict[str, Any]) -> float | None:
    """The quantity's value converted from the unit it names (an error for an unknown unit), null as is."""
    value = None if quantity is None else quantity.get("value")
    if value is None:
        return None
    unit = quantity["unitCode"]  # type: ignore[index]
    if unit not in conversions:
        raise ValueError(f"unknown unit {unit}")
    result: float = conversions[unit](value)
    return result


def _plain(quantity: dict[str, Any] | None, unit: str, rounded: bool = False) -> float | None:
    value = None if quantity is None else quantity.get("value")
    if value is None:
        return None
    if quantity["unitCode"] != unit:  # type: ignore[index]
        raise ValueError(f"unknown unit {quantity['unitCode']}")  # type: ignore[index]
    return _round1(value) if rounded else value


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def nws_observation(feature: dict[str, Any]) -> dict[str, Any]:
    """The shipped NWS mapping, by hand: each quantity converted from the unit it names."""
    properties = feature.get("properties") or {}
    out: dict[str, Any] = {}
    station = properties.get("station")
    match = _STATION.search(station) if isinstance(station, str) else None
    _put(out, "station_id", match.group() if match else None)
    _put(out, "station_name", properties.get("stationName"))
    out["observed_at"] = _utc(properties["timestamp"])
    out["source"] = "nws-api"
    geometry = feature.get("geometry")
    if geometry is not None:
        coordinates = geometry.get("coordinates") or []
        location: dict[str, Any] = {}
        _put(location, "latitude", coordinates[1] if len(coordinates) > 1 else None)
        _put(location, "longitude", coordinates[0] if coordinates else None)
        _put(location, "elevation_m", _plain(properties.get("elevation"), "wmoUnit:m"))
        if location:
            out["location"] = location
    _put(out, "temperature_c", _converted(properties.get("temperature"), _CELSIUS))
    _put(out, "dew_point_c", _converted(properties.get("dewpoint"), _CELSIUS))
    _put(out, "relative_humidity_pct", _plain(properties.get("relativeHumidity"), "wmoUnit:percent", True))
    wind: dict[str, Any] = {}
    # A calm wind (speed 0) has no direction.
    calm = (properties.get("windSpeed") or {}).get("value") == 0
    direction = None if calm else _whole(_plain(properties.get("windDirection"), "wmoUnit:degree_(angle)"))
    _put(wind, "direction_deg", direction)
    _put(wind, "speed_m_s", _converted(properties.get("windSpeed"), _METRES_PER_SECOND))
    _put(wind, "gust_m_s", _converted(properties.get("windGust"), _METRES_PER_SECOND))
    if wind:
        out["wind"] = wind
    pressure: dict[str, Any] = {}
    _put(pressure, "station_pa", _plain(properties.get("barometricPressure"), "wmoUnit:Pa"))
    _put(pressure, "sea_level_pa", _plain(properties.get("seaLevelPressure"), "wmoUnit:Pa"))
    if pressure:
        out["pressure"] = pressure
    _put(out, "visibility_m", _plain(properties.get("visibility"), "wmoUnit:m"))
    _put(out, "precipitation_last_hour_mm", _plain(properties.get("precipitationLastHour"), "wmoUnit:mm"))
    layers = properties.get("cloudLayers")
    if layers is not None:
        sky = []
        for layer in layers:
            item: dict[str, Any] = {}
            _put(item, "cover", _SKY[layer["amount"]] if layer.get("amount") is not None else None)
            _put(item, "base_m", _plain(layer.get("base"), "wmoUnit:m"))
            sky.append(item)
        out["sky"] = sky
    if properties.get("presentWeather"):
        out["present_weather"] = [entry["rawString"] for entry in properties["presentWeather"]
                                  if entry.get("rawString") is not None]
    if properties.get("rawMessage"):
        out["raw_report"] = properties["rawMessage"]
    return out


FLOORS = {"crm": crm_member, "clinical": clinical_claim, "weather": nws_observation}
