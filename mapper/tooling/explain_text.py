"""An ``Explanation`` as text for a terminal: a block per rule, its labels aligned.

Each block starts with the target (a JSON pointer), the rule and its
``file:line``, then one line per fact: the expression, each path read with its
value, the value after each step, and what was written, or why nothing was.
Values are JSON, cut to fit one line (``coercion.short_json``).
"""

from __future__ import annotations

from ..coercion import short_json
from .explain import Explanation, FieldTrace, Reading

__all__ = ["explanation_text"]

_LABEL = 11
#: The label of each ``TraceStep.step`` where it is not the step's name.
_STEP_LABELS = {"expression": "value", "coercion": "converted"}


def explanation_text(explanation: Explanation, source: str | None = None) -> str:
    """The trace as lines of text; ``source`` names the input in the heading."""
    result = explanation.result
    count = len(result.problems)
    what = "converted" if result.ok else f"rejected ({count} problem{'s' if count != 1 else ''})"
    where = f" of {source}" if source else ""
    lines = [f"{explanation.mapping}: record {explanation.record_number}{where}, {what}", ""]
    for trace in explanation.fields:
        lines.extend(_block(trace))
        lines.append("")
    if result.problems:
        lines.append("problems:")
        lines.extend(f"  {problem}" for problem in result.problems)
    else:
        lines.pop()
    return "\n".join(lines) + "\n"


def _line(label: str, text: str) -> str:
    return f"  {label:<{_LABEL}} {text}"


def _block(trace: FieldTrace) -> list[str]:
    lines = [f"{trace.target or '/'}  {trace.rule}  ({trace.location})"]
    if trace.when is not None:
        lines.append(_line("when", f"{_one_line(trace.when.expression)}  ->  {short_json(trace.when.value)}"
                                   f" ({'true' if trace.when.holds else 'false'})"))
        lines.extend(_reads(trace.when.reads))
    if trace.expression is not None:
        lines.append(_line("from" if trace.kind in ("object", "array") else "expression",
                           _one_line(trace.expression)))
    lines.extend(_reads(trace.reads))
    for step in trace.steps:
        table = f"  (table {step.table})" if step.table is not None else ""
        lines.append(_line(_STEP_LABELS.get(step.step, step.step), short_json(step.value) + table))
    lines.append(_outcome(trace))
    return lines


def _reads(reads: tuple[Reading, ...]) -> list[str]:
    """A line per path read, the values aligned."""
    width = max((len(reading.path) for reading in reads), default=0)
    lines = []
    for reading in reads:
        via = [label for label in reading.via if label not in reading.path]  # `$lines[0]` says it already
        lines.append(_line("read", f"{reading.path:<{width}} = {short_json(reading.value)}"
                                   + (f"  (via {', '.join(via)})" if via else "")))
    return lines


def _one_line(expression: str) -> str:
    """An expression on one line: a line break in it (a YAML "\\n") shown as ``\\n``."""
    return expression.replace("\n", "\\n")


def _outcome(trace: FieldTrace) -> str:
    if not trace.written:
        return _line("left out", trace.reason or "null")
    if trace.kind == "binding":
        return _line("bound", f"${trace.rule.rpartition('$')[2]}")
    if trace.kind in ("object", "array"):
        return _line("written", "(its fields below)" if trace.kind == "object" else "(its items below)")
    return _line("written", short_json(trace.value))

