"""Hostile XML is refused with a clear error and bounded memory; nothing is fetched or expanded."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mapper.errors import HostileInputError, PayloadError, TooDeepError
from mapper.formats.xml import XmlReader

_LAUGHS = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
BILLION_LAUGHS = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{_LAUGHS}]><r><a>&l9;</a></r>'
QUADRATIC = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + "x" * 50_000 + '">]><r>'
             + "&a;" * 20_000 + "</r>")
BILLION_LAUGHS_IN_ATTRIBUTE = f'<!DOCTYPE r [<!ENTITY l0 "lol">{_LAUGHS}]><r a="&l9;"/>'

HOSTILE = {
    "billion laughs": BILLION_LAUGHS,
    "billion laughs in an attribute": BILLION_LAUGHS_IN_ATTRIBUTE,
    "quadratic blowup": QUADRATIC,
    "external entity (file)": '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    "external entity (network)": '<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><r>&x;</r>',
    "external DTD": '<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>',
    "public external DTD": '<!DOCTYPE r PUBLIC "-//E//DTD E//EN" "file:///etc/passwd"><r/>',
    "parameter entity": '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><r/>',
    "attribute defaults from a DTD": '<!DOCTYPE r [<!ATTLIST r admin CDATA "true">]><r/>',
}


@pytest.mark.parametrize("records", [None, "/r", "/r/a"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_documents_are_refused(name: str, records: str | None) -> None:
    with pytest.raises(HostileInputError) as caught:
        list(XmlReader(None, records).records(io.BytesIO(HOSTILE[name].encode()), "in.xml"))
    assert str(caught.value).startswith("in.xml:1")
    assert "refused XML" in str(caught.value)


def test_doctype_message() -> None:
    with pytest.raises(HostileInputError) as caught:
        list(XmlReader(None, "/r/a").records(io.BytesIO(BILLION_LAUGHS.encode()), "in.xml"))
    assert str(caught.value) == "in.xml:1: refused XML: a DOCTYPE (DTD, entity declarations) is not accepted"


def test_a_refused_document_yields_no_record() -> None:
    xml = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r><a>&x;</a><a>2</a></r>'
    got: list[object] = []
    with pytest.raises(HostileInputError):
        for record in XmlReader(None, "/r/a").records(io.BytesIO(xml.encode()), "in.xml"):
            got.append(record)
    assert got == []


@pytest.mark.parametrize("records", [None, "/a"])
def test_libxml2_depth_limit(records: str | None) -> None:
    xml = "<a>" + "<b>" * 300 + "</b>" * 300 + "</a>"
    with pytest.raises(HostileInputError, match=r"in.xml:1:\d+: refused XML: Excessive depth in document: 256"):
        list(XmlReader(None, records).records(io.BytesIO(xml.encode()), "in.xml"))


@pytest.mark.parametrize("records, depth", [(None, 1), ("/r", 1), ("/r/item", 2)])
def test_configured_depth_limit(records: str | None, depth: int) -> None:
    inner = "<x>" * 8 + "1" + "</x>" * 8
    xml = f"<r><item>{inner}</item></r>"
    # The record is refused in its place (yielded, not raised), so that the records after it are read.
    reader = XmlReader(None, records, max_depth=8)
    [refused] = reader.records(io.BytesIO(xml.encode()), "in.xml")
    assert isinstance(refused, TooDeepError)
    assert str(refused).endswith(": nested deeper than 8 levels")
    [record] = XmlReader(None, records, max_depth=10).records(io.BytesIO(xml.encode()), "in.xml")
    assert not isinstance(record, TooDeepError)


def test_stream_reports_where_it_broke_and_keeps_earlier_records() -> None:
    xml = b"<r>\n" + b"".join(b"<item>%d</item>\n" % n for n in range(3)) + b"<item>3</oops>\n</r>"
    got: list[object] = []
    with pytest.raises(PayloadError) as caught:
        for record in XmlReader(None, "/r/item").records(io.BytesIO(xml), "feed.xml"):
            got.append(record)
    assert got == ["0", "1", "2"]
    assert (caught.value.line, caught.value.column) == (5, 15)
    assert "after record 3" in str(caught.value)


def test_bombs_stay_within_bounded_memory(tmp_path: Path) -> None:
    """Each bomb, read in a child process limited to 256 MiB of address space, is refused, not fatal."""
    bombs = tmp_path / "bombs"
    bombs.mkdir()
    for index, text in enumerate([BILLION_LAUGHS, BILLION_LAUGHS_IN_ATTRIBUTE, QUADRATIC]):
        (bombs / f"{index}.xml").write_text(text)
    script = textwrap.dedent(f"""
        import resource, sys
        from pathlib import Path
        from mapper.errors import HostileInputError
        from mapper.formats.xml import XmlReader
        resource.setrlimit(resource.RLIMIT_AS, (256 * 2**20, 256 * 2**20))
        for path in sorted(Path({str(bombs)!r}).iterdir()):
            for records in (None, "/r", "/r/a"):
                try:
                    with path.open("rb") as stream:
                        list(XmlReader(None, records).records(stream, path.name))
                except HostileInputError:
                    continue
                sys.exit(f"{{path.name}} with {{records}} was not refused")
        print("refused all")
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "refused all"
