"""The formats ``mapper drift`` writes a ``Drift`` in.

``text``: ``file:line:col: break: message``, one per line (``mapper drift`` adds ``summary`` on stderr).
``json``: an object: subject, old and new schema files, counts, and the findings
(severity, kind, message, file, line, column, rule).
``github``: workflow commands, so each finding shows on the pull request's diff:
``::error file=path,line=3,col=5,title=drift removed::message`` for a break, ``::notice`` for a note.
``markdown``: a heading, a summary and a table, ready to post as a pull-request comment.
"""

from __future__ import annotations

import json
from collections.abc import Callable

# The escaping GitHub's workflow commands need, as ``mapper check`` writes them.
from ..check.report import workflow_command
from . import Drift
from .findings import Finding

__all__ = ["FORMATS", "summary"]


def summary(drift: Drift) -> str:
    """``2 breaking changes, 1 note`` (``no change affects ...`` when there is nothing to say)."""
    if not drift.findings:
        return f"no change affects {drift.subject}"
    breaking = f"{drift.breaking} breaking change{'s' if drift.breaking != 1 else ''}"
    return f"{breaking}, {drift.notes} note{'s' if drift.notes != 1 else ''}"


def format_text(drift: Drift) -> str:
    return "".join(f"{finding.location}: {finding.severity}: {finding.message}\n" for finding in drift.findings)


def format_json(drift: Drift) -> str:
    document = {"subject": drift.subject, "old": list(drift.old), "new": list(drift.new),
                "breaking": drift.breaking, "notes": drift.notes,
                "findings": [finding.to_dict() for finding in drift.findings]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def format_github(drift: Drift) -> str:
    return "".join(_annotation(finding) for finding in drift.findings)


def _annotation(finding: Finding) -> str:
    return workflow_command("error" if finding.breaks else "notice", finding.location, f"drift {finding.kind}",
                            finding.message)


def format_markdown(drift: Drift) -> str:
    compared = ", ".join(f"`{old}` → `{new}`" for old, new in zip(drift.old, drift.new) if old != new)
    lines = [f"### mapper drift: `{drift.subject}`", "", f"{compared or 'The same schemas'}: **{summary(drift)}**."]
    if drift.findings:
        lines += ["", "| | Where | What |", "|---|---|---|"]
        for finding in drift.findings:
            mark = ":x: break" if finding.breaks else ":information_source: note"
            lines.append(f"| {mark} | `{finding.location}` | {_cell(finding.message)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """``text`` as a table cell: a ``|`` would end it, a line break the row."""
    return text.replace("|", "\\|").replace("\n", " ")


FORMATS: dict[str, Callable[[Drift], str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
    "markdown": format_markdown,
}
