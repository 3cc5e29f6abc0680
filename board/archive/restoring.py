"""Restoring a document as a NEW object (new ids, a new join code), in one transaction.

Every row is checked column by column against its table as it is written; a problem anywhere
rolls back everything and lists what was wrong (InvalidArchive). The format is described in
board/archive/documents.py; what belongs to each kind of object comes from its feature.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String, Text, insert, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from board.archive import schema
from board.archive.exporting import field_name
from board.archive.specs import DocPart, Document, Reference, document, registry
from board.extensions import db
from board.uploads import UploadError

PAUSE_EVERY = 200  # rows written between two pauses, in which the worker serves other requests


class InvalidArchive(ValueError):
    """The file cannot be restored; `errors` says why, field by field. Nothing was stored."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Restored:
    kind: str
    id: int
    title: str
    code: str | None
    counts: dict[str, int]
    warnings: list[str]
    people: int


class _Resolver:
    def __init__(self, references: dict[str, Reference]):
        self._references = references
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self._people: dict[str, str] = {}
        self._cache: dict[tuple[str, str], int | None] = {}

    def hash_for(self, person: str) -> str:
        """A fresh hash for an opaque person: no device holds the token, so nobody can edit."""
        if person not in self._people:
            self._people[person] = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        return self._people[person]

    def within(self, how: str) -> str | None:
        """The column of the row a name of this kind is looked up in (a section's wall)."""
        return self._references[how].within

    def named(self, how: str, name: str, path: str, within: int | None = None) -> int | None:
        reference = self._references[how]
        key = (how, f"{within}:{name}" if reference.within else name)
        if key not in self._cache:
            self._cache[key] = reference.find(name, within)
            if self._cache[key] is None:
                self.warnings.append(_("%(path)s: %(name)s finns inte här; kopplingen utelämnades.",
                                       path=path, name=name))
        return self._cache[key]

    def person_key(self, value, path: str) -> str | None:
        if not isinstance(value, str) or not value:
            self.errors.append(f"{path}: " + _("måste vara text"))
            return None
        if value.startswith("u:"):
            user_id = self.named("user", value[2:], path)
            if user_id is not None:
                return f"u:{user_id}"
        return f"t:{self.hash_for(value)}"

    def item_keys(self, placements, path: str) -> dict:
        if not isinstance(placements, dict):
            self.errors.append(f"{path}: " + _("måste vara ett objekt"))
            return {}
        out = {}
        for key, where in placements.items():
            kind, _sep, name = key.partition(":")
            found = self.named("initiative" if kind == "i" else "part", name, path) if kind in ("i", "p") else None
            if found is not None:
                out[f"{kind}{found}"] = where
        return out


def _value(column, value, path: str, errors: list[str]):
    """Check one plain value against its column's type; return it as the database wants it."""
    kind = column.type
    if value is None:
        return None
    if isinstance(kind, Boolean):
        if isinstance(value, bool):
            return value
        errors.append(f"{path}: " + _("måste vara true eller false"))
    elif isinstance(kind, Integer):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2 ** 31:
            return value
        errors.append(f"{path}: " + _("måste vara ett heltal"))
    elif isinstance(kind, Float):
        # json.loads reads NaN and Infinity too; no column of ours holds them.
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e300 \
                and value == value:
            return float(value)
        errors.append(f"{path}: " + _("måste vara ett tal"))
    elif isinstance(kind, DateTime):
        try:
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        except (TypeError, ValueError):
            errors.append(f"{path}: " + _("måste vara en tidpunkt skriven ÅÅÅÅ-MM-DDTHH:MM:SS"))
    elif isinstance(kind, Date):
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            errors.append(f"{path}: " + _("måste vara ett datum skrivet ÅÅÅÅ-MM-DD"))
    elif isinstance(kind, (String, Text)):
        if not isinstance(value, str):
            errors.append(f"{path}: " + _("måste vara text"))
        elif getattr(kind, "length", None) and len(value) > kind.length:
            errors.append(f"{path}: " + _("är %(length)d tecken lång; högst %(max)d är tillåtna",
                                          length=len(value), max=kind.length))
        else:
            return value
    elif isinstance(kind, JSON):
        # Settings and layouts are objects, which the pages read with .get(); answers may be anything.
        if getattr(getattr(column.default, "arg", None), "__name__", "") == "dict" and not isinstance(value, dict):
            errors.append(f"{path}: " + _("måste vara ett objekt"))
        else:
            return value
    else:
        errors.append(f"{path}: " + _("kan inte läsas"))
    return None


def restore(data, user=None) -> Restored:
    """Recreate a session, wall or canvas from an exported document, as a NEW object.

    All of it is written in one transaction. Raises InvalidArchive (and writes nothing) when the
    document is not an export of Tavlan, is of another version, or holds a value that does not fit.
    """
    try:
        kind_name = schema.check_shape(data, registry().documents, registry().formats)
    except UploadError as problem:
        raise InvalidArchive(problem.errors) from None
    kind = document(kind_name)
    try:
        result = _write(kind, data, user)
    except InvalidArchive:
        db.session.rollback()
        raise
    except (IntegrityError, SQLAlchemyError) as error:
        db.session.rollback()
        detail = str(getattr(error, "orig", error)).splitlines()[0][:300]
        raise InvalidArchive([_("Databasen godtog inte innehållet (%(detail)s); inget sparades.",
                                detail=detail)]) from None
    return result


def _write(kind: Document, data: dict, user) -> Restored:
    r = _Resolver(registry().references)
    new_ids: dict[str, dict[int, int]] = {}
    skipped: dict[str, set[int]] = {}
    counts: dict[str, int] = {}
    root_id: int | None = None
    forward: list[tuple[str, str, int]] = []  # the root's references to rows written after it

    def build(part: DocPart, row: dict, path: str) -> dict | None:
        """The row's values as the database wants them, or None when it cannot exist here."""
        names = {field_name(c.name, part.refs.get(c.name)): c for c in part.columns()}
        extra = {"id", *(kind.root_extra if part is kind.root else part.ignored)}
        for name in row:
            if name not in names and name not in extra:
                r.errors.append(f"{path}.{name}: " + _("okänt fält"))
        values, leave_out = {}, None
        for name, column in names.items():
            how = part.refs.get(column.name)
            if how == "root":
                values[column.name] = None if name in row and row[name] is None else root_id
                continue
            if name not in row:
                continue
            value, where = row[name], f"{path}.{name}"
            if how is None:
                if column.name in part.json and value is not None:
                    value = getattr(r, part.json[column.name])(value, where)
                values[column.name] = _value(column, value, where, r.errors)
                if column.name in part.choices and value not in part.choices[column.name]:
                    r.errors.append(f"{where}: " + _("måste vara en av %(values)s",
                                                     values=", ".join(part.choices[column.name])))
            elif value is None:
                values[column.name] = None
            elif how.startswith("@"):
                target = how[1:]
                if not isinstance(value, int) or isinstance(value, bool):
                    r.errors.append(f"{where}: " + _("måste vara ett radnummer"))
                elif part is kind.root:
                    forward.append((target, column.name, value))
                elif value in new_ids.get(target, {}):
                    values[column.name] = new_ids[target][value]
                elif value in skipped.get(target, ()):
                    values[column.name] = None
                    leave_out = leave_out or (None if column.nullable else name)
                else:
                    r.errors.append(f"{where}: " + _("pekar på rad %(n)s som inte finns", n=value))
            elif how == "hash":
                values[column.name] = r.hash_for(str(value))
            elif how == "person":
                values[column.name] = r.person_key(value, where)
            elif not isinstance(value, str):
                r.errors.append(f"{where}: " + _("måste vara text"))
            else:
                within = r.within(how)
                values[column.name] = r.named(how, value, where, values.get(within) if within else None)
                if values[column.name] is None and not column.nullable:
                    leave_out = leave_out or name
        if leave_out:
            # Who voted may have no account here, a carried note's wall may be gone: a row that
            # cannot exist without it is left out, and the output says so.
            r.warnings.append(_("%(path)s: utelämnad, eftersom %(name)s saknas här.", path=path, name=leave_out))
            return None
        return values

    def write(part: DocPart, row: dict, path: str) -> None:
        nonlocal root_id
        values = build(part, row, path)
        if r.errors:
            raise InvalidArchive(r.errors[:50])
        local = row.get("id")
        if "id" in part.table.c and (not isinstance(local, int) or isinstance(local, bool)
                                     or local in new_ids.get(part.key, {}) or local in skipped.get(part.key, ())):
            raise InvalidArchive([f"{path}.id: " + _("måste vara ett unikt radnummer")])
        if values is None:
            skipped.setdefault(part.key, set()).add(local)
            return
        if part is kind.root and kind.fresh_identity is not None:
            values.update(kind.fresh_identity(row, values, r.warnings))
        result = db.session.execute(insert(part.table).values(**values))
        if "id" in part.table.c:
            new_ids.setdefault(part.key, {})[local] = result.inserted_primary_key[0]
            if part is kind.root:
                root_id = result.inserted_primary_key[0]
        counts[part.key] = counts.get(part.key, 0) + 1
        if sum(counts.values()) % PAUSE_EVERY == 0:
            time.sleep(0)  # under gevent: let the worker serve other requests between batches

    write(kind.root, data[kind.root.key], kind.root.key)
    for part in kind.parts:
        if part.key in kind.not_restored:
            continue  # exported for the record only (a member's decision vote: board/feedback/archive.py)
        for n, row in enumerate(data.get(part.key, [])):
            write(part, row, f"{part.key}[{n}]")
    for target, column, ref in forward:
        if ref not in new_ids.get(target, {}):
            raise InvalidArchive([f"{kind.root.key}.{field_name(column, '@')}: "
                                  + _("pekar på rad %(n)s som inte finns", n=ref)])
        table = kind.root.table  # updated_at kept as exported: this is not a change
        db.session.execute(update(table).where(table.c.id == root_id)
                           .values({column: new_ids[target][ref], "updated_at": table.c.updated_at}))
    db.session.flush()
    if kind.after_restore is not None:
        kind.after_restore(root_id, data, new_ids, r.warnings)
    obj = db.session.get(kind.model, root_id)
    from board import audit  # the entry is written in the same transaction as the restore

    audit.record(f"{kind.kind}.restore", f"{kind.kind}:{obj.id}",
                 _("Återställd från en export: %(title)s", title=kind.title(obj)), actor=user,
                 details={"counts": counts, "warnings": r.warnings[:20]})
    db.session.commit()
    return Restored(kind.kind, obj.id, kind.title(obj), getattr(obj, "code", None), counts, r.warnings,
                    len(r._people))

