"""The files of one playground request: the page's texts in a private folder, and nothing read beyond it.

The page sends a mapping and two schemas as text. ``Sandbox`` writes them into
a fresh temporary folder laid out like a project: the mapping at
``TMP/mappings/NAME.yaml``, each schema where the mapping names it (so
``../schemas/crm/contact.schema.json`` lands in ``TMP/schemas/crm/``), so that
the real loader and ``check`` read them as they read files on disk.

Beside the mapping, ``TMP/mappings/`` links every entry of the served mappings
folder, so lookup files and sub-mappings resolve as they do there. Before
anything is loaded, ``Sandbox.refusals`` names every reference that would read
a file elsewhere: a schema outside the temporary folder, a lookup file or
sub-mapping outside it and outside the mappings folder (sub-mappings are
followed, each checked the same way), a schema ``$ref`` to another file or an
``$id`` below a schema's top (it would make ``#`` name another file). The
statement of docs/serve.md holds: the server reads no files beyond the
mappings folder and what its mappings name.

``editor_of`` tells, for a file a message names, which of the page's editors
it is, and ``shown`` how the page names it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..documents import DocPath, Document, load_document, parse_json, parse_yaml
from ..errors import Location, MappingError
from ..mapping_file import RULE_KEYS

#: The editors of the page that hold files, by the mapping's key naming each schema.
SCHEMA_EDITORS = {"source": "source_schema", "target": "target_schema"}


@dataclass(frozen=True)
class Refusal:
    """A reference the playground will not follow: what it names, and where the text names it."""

    message: str
    location: Location


class Sandbox:
    """A temporary folder holding one request's mapping and schemas; use it as a context manager."""

    def __init__(self, mappings_folder: Path, name: str = "playground") -> None:
        self.mappings_folder = mappings_folder.resolve()
        self.root = Path(tempfile.mkdtemp(prefix="mapper-playground-")).resolve()
        self.folder = self.root / "mappings"
        self.folder.mkdir()
        safe = "".join(char if char.isalnum() or char in "-_." else "-" for char in name[:100]).strip(".")
        self.mapping_path = self.folder / f"{safe or 'playground'}.yaml"
        for entry in sorted(self.mappings_folder.iterdir()) if self.mappings_folder.is_dir() else ():
            if entry.name != self.mapping_path.name:
                (self.folder / entry.name).symlink_to(entry)
        #: The editor of each file written here, by its path.
        self.editors: dict[Path, str] = {self.mapping_path: "mapping"}

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def write(self, mapping: str, schemas: dict[str, str]) -> list[Refusal]:
        """Write the mapping and the schemas it names (``schemas`` by ``source``/``target``); return every
        reference refused, each located in its editor's text. A schema whose reference is refused is not written."""
        self.mapping_path.write_text(mapping, encoding="utf-8")
        try:
            document = parse_yaml(mapping, str(self.mapping_path))
        except MappingError:
            return []  # the loader reports the syntax error; a text that does not parse names no file
        if not isinstance(document.data, dict):
            return []
        refusals: list[Refusal] = []
        for side, editor in SCHEMA_EDITORS.items():
            named = document.data.get(side, {}).get("schema") if isinstance(document.data.get(side), dict) else None
            if not isinstance(named, str):
                continue
            at = document.locate((side, "schema"))
            target = Path(os.path.normpath(self.folder / named))
            if not _inside(target, self.root) or self._linked(target):
                refusals.append(Refusal(f"the {side} schema {named!r} is outside the playground's folder: "
                                        "name it beside the mappings folder, as ../schemas/NAME.schema.json", at))
                continue
            if target in self.editors:
                continue  # both sides name one file: it holds the source schema's text
            self.editors[target] = editor
            refused = _file_refs(schemas.get(side, ""), str(target))
            if refused:
                refusals.extend(refused)
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(schemas.get(side, ""), encoding="utf-8")
            except OSError as error:  # a folder's name, or a path through a file
                refusals.append(Refusal(f"the {side} schema {named!r} cannot be written: {error.strerror}", at))
        refusals.extend(self._references(document, set()))
        return refusals

    def _linked(self, path: Path) -> bool:
        """Whether ``path`` goes through a link to the mappings folder (writing there would write into it)."""
        if not _inside(path, self.folder) or path == self.folder:
            return False
        return (self.folder / path.relative_to(self.folder).parts[0]).is_symlink()

    def _references(self, document: Document, seen: set[Path]) -> Iterator[Refusal]:
        """Refusals for the lookup files and sub-mappings ``document`` names, following each sub-mapping."""
        beside = Path(document.file).parent
        for path, named, kind in _named_files(document.data):
            target = (beside / named).resolve()
            if not (_inside(target, self.root) or _inside(target, self.mappings_folder)):
                yield Refusal(f"the {kind} {named!r} is outside the mappings folder: the playground reads no "
                              "other files", document.locate(path))
            elif kind == "sub-mapping" and target not in seen and target.is_file():
                seen.add(target)
                try:
                    included = load_document(target)
                except (OSError, MappingError):
                    continue  # the loader reports it, at the rule that names it
                yield from self._references(included, seen)

    def editor_of(self, file: str | None) -> str | None:
        """The editor holding ``file`` (a path as a message names it), or None for a file of none."""
        if not file:
            return None
        return self.editors.get(Path(os.path.abspath(file)))

    def shown(self, text: str) -> str:
        """``text`` with each path of this folder as the page names it: relative to the mapping's folder."""
        for path in sorted(self.editors, key=lambda each: -len(str(each))):
            text = text.replace(str(path), os.path.relpath(path, self.folder))
        return text.replace(str(self.folder) + os.sep, "").replace(str(self.root), "<playground>")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _named_files(data: Any) -> Iterator[tuple[DocPath, str, str]]:
    """Each lookup ``file`` and sub-``mapping`` a mapping document names: its path in the document, the
    file as written, and what it is. Rules are told from nested objects as the loader tells them."""
    if not isinstance(data, dict):
        return
    lookups = data.get("lookups")
    for name, table in lookups.items() if isinstance(lookups, dict) else ():
        if isinstance(table, dict) and isinstance(table.get("file"), str):
            yield ("lookups", name, "file"), table["file"], "lookup file"
    yield from _rule_files(("rules",), data.get("rules"))


def _rule_files(path: DocPath, rules: Any) -> Iterator[tuple[DocPath, str, str]]:
    for name, rule in rules.items() if isinstance(rules, dict) else ():
        if not isinstance(rule, dict):
            continue
        if not any(key in rule for key in RULE_KEYS):
            yield from _rule_files(path + (name,), rule)
            continue
        if isinstance(rule.get("mapping"), str):
            yield path + (name, "mapping"), rule["mapping"], "sub-mapping"
        yield from _rule_files(path + (name, "rules"), rule.get("rules"))


def _file_refs(text: str, file: str) -> list[Refusal]:
    """Refusals for each ``$ref`` of a schema text that names another file: the page's schemas are whole."""
    try:
        document = parse_json(text, file)
    except MappingError:
        return []  # the loader reports it, at its line and column
    refusals: list[Refusal] = []
    pending: list[tuple[DocPath, Any]] = [((), document.data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("$ref", "$dynamicRef") and isinstance(item, str) and not item.startswith("#"):
                    refusals.append(Refusal(f"$ref {item!r} names another file: a playground schema is one "
                                            "document (its parts under $defs, as the page loads them)",
                                            document.locate(path + (key,))))
                elif key == "$id" and path and isinstance(item, str):  # a base of its own: "#" would be elsewhere
                    refusals.append(Refusal(f"$id {item!r} below the top: a playground schema is one document, "
                                            "with one $id at most, at its top", document.locate(path + (key,))))
                else:
                    pending.append((path + (key,), item))
        elif isinstance(value, list):
            pending.extend((path + (index,), item) for index, item in enumerate(value))
    return sorted(refusals, key=lambda refusal: (refusal.location.line or 0, refusal.location.column or 0))
