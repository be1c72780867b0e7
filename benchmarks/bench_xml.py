"""Benchmark: schema-aware XML reading against lxml and xmltodict on the same file.

    python -m benchmarks.bench_xml [--size-mb 200] [--small-mb 20] [--json FILE]

Generates (fixed seed) a clinical export, /Export/Patients/Patient with
encounters, diagnoses, procedures, two namespaces and attributes, then runs
each contender in its own process on it and reports throughput and peak
resident memory (VmHWM):

- ``lxml-parse``: lxml ``iterparse`` that only parses (and frees what it parsed);
- ``lxml-typed``: a hand-written lxml ``iterparse`` building each record's typed dict;
- ``xmltodict-stream``: xmltodict's streaming mode (``item_depth``, ``item_callback``);
- ``mapper``: ``XmlReader`` with benchmarks/schemas/export-patient.schema.json.

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

from ._util import report, run_child

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
    parser.add_argument("--child", nargs=2, metavar=("CONTENDER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return []
    contenders = args.only or list(CONTENDERS)
    results: list[dict[str, Any]] = []
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
    table = _table(results)
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "table": table}, indent=2) + "\n")
    return results


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
