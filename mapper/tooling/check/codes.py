"""The stable codes of ``mapper check``: one per kind of problem.

Codes never change meaning; new problems get new codes. ``docs/ci.md``
documents each one with an example (a test holds the two together). A rule's
``ignore: [M205]`` silences the codes it lists for findings at that rule and
the rules in it, but never those in ``UNSILENCEABLE``.

- ``M1xx`` the mapping file itself: format, expressions, lookups, functions, schema files
- ``M2xx`` the target side: what the rules write against the target schema
- ``M3xx`` the source side: what the expressions read against the source schema
- ``W4xx`` warnings: not wrong, but worth a look (``--strict`` fails on them)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    severity: str  # "error" or "warning"
    title: str


CODES: dict[str, Code] = {code.code: code for code in (
    Code("M100", "error", "the mapping file cannot be read or is not valid YAML/JSON"),
    Code("M101", "error", "the mapping file breaks the mapping-file format"),
    Code("M102", "error", "an expression does not compile"),
    Code("M103", "error", "a rule names a lookup table that does not exist"),
    Code("M104", "error", "an expression calls a function that does not exist"),
    Code("M105", "error", "a function is called with the wrong number of arguments"),
    Code("M106", "error", "a function argument is never of a type the function takes"),
    Code("M107", "error", "a lookup is given an array or an object"),
    Code("M108", "error", "a schema file is missing or is not a valid JSON Schema"),
    Code("M109", "error", "the mapping does not load for another reason"),
    Code("M110", "error", "a regular expression literal does not compile, so every call with it fails"),
    Code("M111", "error", "the source's `records` expression does not compile (mapper convert refuses it)"),
    Code("M201", "error", "a rule writes a property the target schema does not allow"),
    Code("M202", "error", "a required target property is written by no rule"),
    Code("M203", "error", "a rule's value can be of a type the target property does not take"),
    Code("M204", "error", "a value the source schema allows to be null goes to a required target "
                          "property that does not take null, without a default"),
    Code("M205", "error", "a constant, default, lookup result or known source value is invalid "
                          "for the target property"),
    Code("M206", "error", "a sub-mapping's target schema describes what the target field it fills does not take"),
    Code("M301", "error", "an expression reads a field the source schema does not have"),
    Code("M302", "error", "a path step can only give null (a field of an array, an index of an object)"),
    Code("M303", "error", "`each` runs over a value that is never an array"),
    Code("M304", "error", "an object rule's `from` is never an object"),
    Code("M305", "error", "an arithmetic operand (`+ - * / % //`, unary `-`) is never a number"),
    Code("W401", "warning", "a source field is read by no rule (with --unused)"),
    Code("W402", "warning", "a rule can only ever yield null"),
    Code("W403", "warning", "a `let:` binding is read by no rule"),
    Code("W404", "warning", "an `ignore:` code is not a code of mapper check, or one that cannot be ignored"),
    Code("W405", "warning", "an `ignore:` code silences nothing at its rule"),
    Code("W406", "warning", "a rule is still to be written (`todo`)"),
)}

#: Codes a rule's ``ignore:`` cannot silence: the engine refuses such a mapping whatever ``check`` says.
UNSILENCEABLE = frozenset({"M100", "M101", "M102", "M103", "M104", "M105", "M108", "M109", "M111"})
