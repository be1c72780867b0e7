"""A ``Lineage`` written out: Mermaid, Graphviz dot, JSON, or a self-contained HTML page.

Each writer takes a ``Lineage`` and returns text ending in a newline; ``FORMATS``
names them for ``mapper lineage --format``. Nodes are the source paths (left),
constants, and the target fields (right), each once; an edge's label is what
its path was read through (``$name``, ``lookup:TABLE``...), and its rule's
``file:line`` is the edge's tooltip where the format has one. The HTML page
loads nothing: its style is inline, and it works offline.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable

from .lineage import Lineage

__all__ = ["FORMATS", "to_dot", "to_html", "to_json", "to_mermaid"]

#: How the whole record (the empty JSON pointer) is shown as a node.
RECORD = "(the record)"


def to_json(lineage: Lineage) -> str:
    """The JSON form (``Lineage.to_dict``), indented."""
    return json.dumps(lineage.to_dict(), indent=2, ensure_ascii=False) + "\n"


class _Nodes:
    """Node identifiers, one per source path, constant and target field, in order of first use."""

    def __init__(self, lineage: Lineage) -> None:
        sources = dict.fromkeys(edge.source for edge in lineage.edges)
        self.sources = {source: f"s{number}" for number, source in enumerate(sources)}
        targets = dict.fromkeys([*(edge.target for edge in lineage.edges),
                                 *(constant.target for constant in lineage.constants)])
        self.targets = {target: f"t{number}" for number, target in enumerate(targets)}
        self.constants = {number: f"c{number}" for number in range(len(lineage.constants))}


def _label(pointer: str) -> str:
    return pointer or RECORD


def _via(via: tuple[str, ...]) -> str:
    return ", ".join(via)


def to_mermaid(lineage: Lineage) -> str:
    """A Mermaid ``flowchart LR``: sources on the left, targets on the right."""
    nodes = _Nodes(lineage)
    lines = ["flowchart LR", f"  %% {lineage.mapping} ({lineage.file})", "  subgraph source"]
    lines += [f"    {node}[\"{_mermaid_text(_label(path))}\"]" for path, node in nodes.sources.items()]
    lines += ["  end", "  subgraph target"]
    lines += [f"    {node}[\"{_mermaid_text(path)}\"]" for path, node in nodes.targets.items()]
    lines.append("  end")
    for number, constant in enumerate(lineage.constants):
        lines.append(f"  {nodes.constants[number]}([\"{_mermaid_text(_constant_text(constant.value))}\"])"
                     f" -.-> {nodes.targets[constant.target]}")
    for edge in lineage.edges:
        label = f"|\"{_mermaid_text(_via(edge.via))}\"|" if edge.via else ""
        arrow = "-.->" if "when" in edge.via else "-->"
        lines.append(f"  {nodes.sources[edge.source]} {arrow}{label} {nodes.targets[edge.target]}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    # Mermaid reads HTML entities in quoted labels; a quote would end the label.
    return html.escape(text, quote=True).replace("&quot;", "#quot;").replace("&#x27;", "'")


def _constant_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def to_dot(lineage: Lineage) -> str:
    """A Graphviz digraph, left to right, the sources and the targets in a cluster each."""
    nodes = _Nodes(lineage)
    lines = [f"digraph {_dot_string(lineage.mapping)} {{", "  rankdir=LR;",
             "  node [shape=box, fontname=\"Helvetica\", fontsize=10];",
             "  edge [fontname=\"Helvetica\", fontsize=9];",
             "  subgraph cluster_source {", "    label=\"source\";"]
    lines += [f"    {node} [label={_dot_string(_label(path))}];" for path, node in nodes.sources.items()]
    lines += ["  }", "  subgraph cluster_target {", "    label=\"target\";"]
    lines += [f"    {node} [label={_dot_string(path)}];" for path, node in nodes.targets.items()]
    lines.append("  }")
    for number, constant in enumerate(lineage.constants):
        node = nodes.constants[number]
        lines.append(f"  {node} [label={_dot_string(_constant_text(constant.value))}, shape=ellipse];")
        lines.append(f"  {node} -> {nodes.targets[constant.target]} [style=dashed, "
                     f"tooltip={_dot_string(constant.rule)}];")
    for edge in lineage.edges:
        attributes = [f"tooltip={_dot_string(edge.rule)}"]
        if edge.via:
            attributes.append(f"label={_dot_string(_via(edge.via))}")
        if "when" in edge.via:
            attributes.append("style=dashed")
        lines.append(f"  {nodes.sources[edge.source]} -> {nodes.targets[edge.target]} [{', '.join(attributes)}];")
    return "\n".join(lines) + "\n}\n"


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { font: 13px ui-monospace, monospace; }
td.via { color: #555; }
"""


def to_html(lineage: Lineage) -> str:
    """A page of its own (no script, no stylesheet to fetch): a table of edges, one of constants."""
    title = f"Lineage of {lineage.mapping}"
    rows = "".join(
        f"<tr><td><code>{html.escape(_label(edge.source))}</code></td><td><code>{html.escape(edge.target)}</code>"
        f"</td><td class=\"via\">{html.escape(_via(edge.via))}</td><td>{html.escape(edge.rule)}</td></tr>\n"
        for edge in lineage.edges)
    constants = "".join(
        f"<tr><td><code>{html.escape(_constant_text(constant.value))}</code></td>"
        f"<td><code>{html.escape(constant.target)}</code></td><td>{html.escape(constant.rule)}</td></tr>\n"
        for constant in lineage.constants)
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n<p>From <code>{html.escape(lineage.file)}</code>: which source path "
            f"feeds which target field, through which rule. <code>*</code> is any item of an array.</p>\n"
            f"<h2>Sources</h2>\n<table>\n<thead><tr><th>source</th><th>target</th><th>via</th><th>rule</th>"
            f"</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n"
            f"<h2>Constants</h2>\n<table>\n<thead><tr><th>value</th><th>target</th><th>rule</th></tr></thead>\n"
            f"<tbody>\n{constants}</tbody>\n</table>\n</body>\n</html>\n")


#: The writers by the name ``--format`` gives them.
FORMATS: dict[str, Callable[[Lineage], str]] = {
    "mermaid": to_mermaid, "dot": to_dot, "json": to_json, "html": to_html,
}
