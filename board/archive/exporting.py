"""Writing the document of one session, wall or canvas (the format: board/archive/documents.py).

The rows come from the feature that owns the object (its `Document.rows`); here they are
numbered per table, their references named, and their token hashes made opaque.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Table, select

from board.archive.specs import DocPart, Reference, document, registry
from board.extensions import db
from board.inputs import parse_id

VERSION = 1


def rows(table: Table, *where, order=None) -> list:
    """The rows of `table` that match, as mappings, by id unless `order` says otherwise (for a
    feature's `Document.rows`)."""
    stmt = select(table).where(*where)
    return list(db.session.execute(stmt.order_by(*(order or [table.c.id]))).mappings())


def ids(stmt) -> list[int]:
    return list(db.session.scalars(stmt))


class _Names:
    """Turns outside references into names, and token hashes into opaque per-document ids."""

    def __init__(self, references: dict[str, Reference]):
        self.people: dict[str, str] = {}
        self._cache: dict[tuple[str, int], object] = {}
        self.users: dict[str, str] = {}
        self._references = references

    def person(self, token_hash: str) -> str:
        return self.people.setdefault(token_hash, f"p{len(self.people) + 1}")

    def named(self, how: str, value: int):
        key = (how, value)
        if key not in self._cache:
            self._cache[key] = self._name(how, value)
        return self._cache[key]

    def _name(self, how: str, value: int):
        reference = self._references[how]
        name = reference.name_of(value)
        if name is not None and reference.label_of is not None:
            self.users[name] = reference.label_of(value)
        return name

    def person_key(self, value: str) -> str:
        if value.startswith("u:") and parse_id(value[2:]) is not None:
            email = self.named("user", parse_id(value[2:]))
            if email:
                return f"u:{email}"
        return self.person(value[2:] if value.startswith("t:") else value)

    def item_keys(self, placements: dict) -> dict:
        out = {}
        for key, where in (placements or {}).items():
            kind, number = key[:1], key[1:]
            name = self.named("initiative" if kind == "i" else "part", parse_id(number)) \
                if parse_id(number) is not None else None
            out[f"{kind}:{name}" if name else key] = where
        return out


def _plain(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def export(kind_name: str, obj_id: int) -> dict:
    """The complete document of a session, wall or canvas (see board/archive/documents.py)."""
    kind = document(kind_name)
    found = kind.rows(obj_id)
    names = _Names(registry().references)
    local: dict[str, dict[int, int]] = {part.key: {row["id"]: n for n, row in enumerate(found[part.key], 1)
                                                    if "id" in row}
                                        for part in (kind.root, *kind.parts)}

    def convert(part: DocPart, row) -> dict:
        out = {"id": local[part.key][row["id"]]} if "id" in row else {}
        for column in part.columns():
            value, how = row[column.name], part.refs.get(column.name)
            if value is None:
                out[field_name(column.name, how)] = None  # a reply's empty source_session too
            elif how is None:
                value = getattr(names, part.json[column.name])(value) if column.name in part.json else value
                out[column.name] = _plain(value)
            elif how == "root":
                continue  # the object the document is about
            elif how.startswith("@"):
                # A row outside the document (a note's cluster on another wall) is left out.
                out[field_name(column.name, how)] = local[how[1:]].get(value)
            elif how == "hash":
                out[field_name(column.name, how)] = names.person(value)
            elif how == "person":
                out[column.name] = names.person_key(value)
            else:
                out[field_name(column.name, how)] = names.named(how, value)
        return out

    root_row = found[kind.root.key][0]
    root = convert(kind.root, root_row)
    if kind.export_root is not None:
        root.update(kind.export_root(root_row))
    doc = {"format": kind.format, "version": VERSION,
           "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           kind.root.key: root}
    for part in kind.parts:
        doc[part.key] = [convert(part, row) for row in found[part.key]]
    doc["people"] = {"count": len(names.people),
                     "note": "p<n>: en anonym deltagare eller skribent; token sparas aldrig i exporten"}
    doc["users"] = [{"email": email, "name": name} for email, name in sorted(names.users.items())]
    return doc


def field_name(column: str, how: str | None) -> str:
    """The document's name for a column: references lose their "_id" ("initiative_id" -> "initiative")."""
    if how and how != "person" and column.endswith("_id"):
        return column[:-3]
    if how == "hash":
        return "person"
    return column


def filename(kind_name: str, obj_id: int, today: date | None = None) -> str:
    """The download's name: tavlan-session-12-2026-11-23.json."""
    return f"tavlan-{kind_name}-{obj_id}-{(today or date.today()).isoformat()}.json"
