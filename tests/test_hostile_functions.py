"""Payloads that make functions work without bound (issue 13, items 11 and 12): a regular expression
that backtracks for hours, a width, a replacement or a number the payload sizes. Each is the function's
own error, which rejects the record: through ``mapper convert`` as a user meets it, and on the library."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jmespath.exceptions import JMESPathError

import mapper
from mapper.functions.dates import MAX_FORMAT_LENGTH
from mapper.functions.describe import show
from mapper.functions.numbers import MAX_INTEGER_DIGITS
from mapper.functions.strings import MAX_STRING_LENGTH, REGEX_SECONDS

EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
ZONE_NAME = "a" * 100_000

#: The record every case reads, and what each rule gives: the rejection reason, word for word.
RECORD: dict[str, Any] = {
    "backtracking": "a" * 40 + "b", "huge": 10**12, "enormous": 1e300, "giant": 10**9, "long": "x" * 200_000,
    "zone": ZONE_NAME, "digits": "9" * (MAX_INTEGER_DIGITS + 1), "format": "%Y" * (MAX_FORMAT_LENGTH // 2 + 1),
    "nested": "a" * 30,
}
_STOPPED = (f"ran for more than {REGEX_SECONDS:.2f} s on a string of 41 characters, and was stopped "
            "(a repeated repetition such as (a+)+ can take exponential time)")
_LONGER = f"the result would be longer than {MAX_STRING_LENGTH:,} characters"
_DIGITS = f"{show(RECORD['digits'])} gives an integer of more than {MAX_INTEGER_DIGITS:,} digits"
CASES: dict[str, tuple[str, str]] = {
    "regex_match": ("regex_match(backtracking, '^(a|aa)+$')", f'regex_match(): the regular expression "^(a|aa)+$" {_STOPPED}'),
    "regex_extract": ("regex_extract(backtracking, '^(a|a)*$')",
                      f'regex_extract(): the regular expression "^(a|a)*$" {_STOPPED}'),
    "regex_replace": ("regex_replace(backtracking, '^(a|aa)+$', 'x')",
                      f'regex_replace(): the regular expression "^(a|aa)+$" {_STOPPED}'),
    "pad_left_1e9": ("pad_left('x', giant)", f"pad_left(): width must be at most {MAX_STRING_LENGTH:,}, not 1000000000"),
    "pad_left_1e12": ("pad_left('x', huge)",
                      f"pad_left(): width must be at most {MAX_STRING_LENGTH:,}, not 1000000000000"),
    "pad_right_1e300": ("pad_right('x', enormous)",
                        f"pad_right(): width must be at most {MAX_STRING_LENGTH:,}, not 1e+300"),
    "replace": ("replace(long, 'x', long)", f"replace(): {_LONGER}"),
    "regex_replace_grows": ("regex_replace(long, '', long)", f"regex_replace(): {_LONGER}"),
    "concat": ("concat(long, long, long, long, long, long, long, long, long, long, long, long, long, long, long, long, "
               "long, long, long, long, long, long, long, long, long, long, long, long, long, long, long, long, "
               "long, long, long, long, long, long, long, long, long, long, long, long, long, long, long, long, "
               "long, long, long)", f"concat(): {_LONGER}"),
    "time_zone": ("to_timezone('2024-01-01T00:00:00Z', zone)",
                  f"to_timezone(): unknown time zone {show(ZONE_NAME)} "
                  '(expected an IANA name such as "Europe/Paris", "UTC" or an offset such as "+02:00")'),
    "time_zone_directory": ("to_timezone('2024-01-01T00:00:00Z', 'America')",
                            'to_timezone(): unknown time zone "America" (did you mean "America/Nuuk"?)'),
    "parse_number": ("parse_number(digits)", f"parse_number(): {_DIGITS}"),
    "to_integer": ("to_integer(digits)", f"to_integer(): {_DIGITS}"),
    "to_minor_units": ("to_minor_units(digits, 'USD')", f"to_minor_units(): {_DIGITS}"),
    "parse_date_format": ("parse_date('2024', format)", f"parse_date(): the format is {MAX_FORMAT_LENGTH + 2:,} "
                                                        f"characters long; it may have at most {MAX_FORMAT_LENGTH:,}"),
    "parse_date_twice": ("parse_date('2024 2024', '%Y %Y')",
                         'parse_date(): cannot read "2024 2024" with the format "%Y %Y"'),
}


@pytest.fixture(scope="module")
def rejected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The reason ``mapper convert`` gives for each rule, all of them rules of one mapping."""
    directory = tmp_path_factory.mktemp("hostile")
    (directory / "any.schema.json").write_text('{"type": "object"}', encoding="utf-8")
    rules = "".join(f"  {name}: {json.dumps(expression)}\n" for name, (expression, _) in CASES.items())
    (directory / "mapping.yaml").write_text(
        "mapping: hostile\nsource: {schema: any.schema.json}\ntarget: {schema: any.schema.json}\nrules:\n" + rules,
        encoding="utf-8")
    (directory / "in.json").write_text(json.dumps(RECORD), encoding="utf-8")
    done = subprocess.run([EXECUTABLE, "convert", "mapping.yaml", "in.json", "-o", "out.json",
                           "--rejects", "rejects.ndjson"], cwd=directory, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    [reject] = [json.loads(line) for line in (directory / "rejects.ndjson").read_text("utf-8").splitlines()]
    return {error["rule"]: error["message"] for error in reject["errors"]}


@pytest.mark.parametrize(("name", "expected"), [(name, message) for name, (_, message) in CASES.items()],
                         ids=list(CASES))
def test_convert_rejects_the_record_with_the_functions_own_reason(rejected: dict[str, str], name: str,
                                                                  expected: str) -> None:
    assert rejected[name] == expected
    assert "site-packages" not in rejected[name]


# -- on the library: the bounds themselves ------------------------------------------------------------


def _search(expression: str, **data: Any) -> Any:
    return mapper.search(expression, data)


@pytest.mark.parametrize("function", ["pad_left", "pad_right"])
def test_a_width_up_to_the_limit_pads(function: str) -> None:
    assert len(_search(f"{function}('x', w)", w=MAX_STRING_LENGTH)) == MAX_STRING_LENGTH
    with pytest.raises(mapper.EvaluationError, match="width must be at most"):
        _search(f"{function}('x', w)", w=MAX_STRING_LENGTH + 1)


def test_replace_may_grow_a_string_up_to_the_limit() -> None:
    value = "x" * 1000
    assert len(_search("replace(v, 'x', n)", v=value, n="y" * (MAX_STRING_LENGTH // 1000))) == MAX_STRING_LENGTH
    with pytest.raises(mapper.EvaluationError, match=re.escape(_LONGER)):
        _search("replace(v, 'x', n)", v=value, n="y" * (MAX_STRING_LENGTH // 1000 + 1))
    # The count limits the growth.
    assert len(_search("replace(v, 'x', n, `1`)", v=value, n="y" * (MAX_STRING_LENGTH // 2))) == \
        MAX_STRING_LENGTH // 2 + 999


def test_regex_replace_with_group_references_on_a_long_string_is_not_stopped() -> None:
    # Linear work on a long string is given its time: 100,000 matches, each replaced by two copies of its group.
    assert _search("regex_replace(v, '(a)', '\\1\\1')", v="a" * 100_000) == "a" * 200_000


@pytest.mark.parametrize(("pattern", "text"), [(r"^(\d+)-\1$", "12-12"), (r"(?<=\$)\d+", "$42"), (r"a(?!b)", "ab ac")])
def test_patterns_keep_what_re_allows(pattern: str, text: str) -> None:
    found = re.search(pattern, text)
    assert _search("regex_extract(v, p)", v=text, p=pattern) == (found[0] if found else None)


def test_an_invalid_pattern_is_still_worded_by_re() -> None:
    with pytest.raises(mapper.EvaluationError) as raised:
        _search("regex_match('a', '(?<=a+)b')")
    assert raised.value.message == ('regex_match(): invalid regular expression "(?<=a+)b": '
                                    "look-behind requires fixed-width pattern")


_TEXT = st.text(alphabet="ab-1 ", max_size=12)
_PATTERNS = st.sampled_from([r"a+", r"(a)(b)?", r"\b", r"", r"a|", r"(?P<x>\d)", r"(a)\1", r"(?<=a)b", r"[ab]*?",
                             r"^-?\d+$", r"(?i)A", r"\s"])
_REPLACEMENTS = st.sampled_from(["", "-", r"\1", r"<\g<0>>", r"\\", r"\n", r"[\1]"])


@settings(max_examples=300, deadline=None)
@given(pattern=_PATTERNS, text=_TEXT, replacement=_REPLACEMENTS)
def test_the_regex_functions_agree_with_re(pattern: str, text: str, replacement: str) -> None:
    compiled = re.compile(pattern)
    found = compiled.search(text)
    assert _search("regex_match(v, p)", v=text, p=pattern) is (found is not None)
    assert _search("regex_extract(v, p)", v=text, p=pattern) == (found[0] if found else None)

    def outcome(call: Any) -> Any:
        try:
            return call()
        except (re.error, IndexError, JMESPathError, mapper.EvaluationError):
            return "error"

    assert outcome(lambda: _search("regex_replace(v, p, r)", v=text, p=pattern, r=replacement)) == \
        outcome(lambda: compiled.sub(replacement, text))
