"""Complete JSON documents of one session, wall or canvas ("exportera allt"), and restoring them.

A document holds every row that belongs to the object, table by table, so that a restore can
recreate it with all its content and history:

    {"format": "tavlan-session", "version": 1, "exported_at": "...", "session": {...},
     "items": [{"id": 1, "session": ..., ...}], "answers": [...], ...}

Rows are numbered per table from 1 ("id"); a reference to a row of the same document is that
number. Everything outside the document is named, never numbered: accounts by e-mail, initiatives
and organisations by key, parts as "<initiative key>#<n>", walls and canvases by title. Token hashes
are credentials and never leave the server: every browser becomes an opaque "p<n>", the same
person under the same "p<n>" throughout one document. A restore creates NEW objects (new ids, a
new join code) and gives every "p<n>" a fresh random hash that no device holds, so restored
participants and posters keep their grouping but can no longer edit anything.

The tables and columns come from the models: a column added later is exported and restored
without a change here, unless it refers to another table (then the spec below must say how).
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from flask_babel import gettext as _
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String, Table, Text, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from board import joincodes
from board.archive import decisions, schema
from board.auth.models import User
from board.canvas.models import Canvas, CanvasRelation, Move, Placement, Snapshot
from board.extensions import db
from board.inputs import parse_id
from board.uploads import UploadError
from board.feedback.models import (
    DECISION_VOTES,
    ITEM_KINDS,
    PACING,
    Answer,
    DecisionVote,
    FeedbackSession,
    Item,
    Option,
    Participant,
    QAQuestion,
    QAVote,
)
from board.portfolio.models import Initiative, Organisation, Part
from board.walls.models import (
    Action,
    Cluster,
    Dot,
    DotVote,
    Note,
    Position,
    Reaction,
    Section,
    Tag,
    Wall,
    WallLog,
    note_tag,
)

VERSION = 1
PAUSE_EVERY = 200  # rows written between two pauses, in which the worker serves other requests


class InvalidArchive(ValueError):
    """The file cannot be restored; `errors` says why, field by field. Nothing was stored."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Part_:
    """One table of a document: its key, its table, and how its references are written.

    refs: column -> "@<part>" (a row of this document), "root" (the exported object itself),
    "user", "initiative", "part", "organisation", "wall", "canvas" (named outside objects),
    "section@wall" (a section of the wall named in the same row, by title), "hash" (a token hash:
    opaque person), "person" (a person key "t:<hash>" / "u:<user id>"), "drop" (not exported).
    """

    key: str
    table: Table
    refs: dict[str, str] = field(default_factory=dict)
    json: dict[str, str] = field(default_factory=dict)  # column -> converter name for JSON values
    # Columns whose values the code knows (not all have a CHECK constraint in the database).
    choices: dict[str, tuple] = field(default_factory=dict)

    def columns(self):
        return [c for c in self.table.columns if c.name != "id" and self.refs.get(c.name) != "drop"]


@dataclass(frozen=True)
class Kind:
    format: str
    root: Part_
    parts: tuple[Part_, ...]
    rows: Callable[[int], dict[str, list]]  # root id -> rows per part (in insertion order)
    title: Callable[[object], str]


USER_REFS = {"created_by_id": "user", "hidden_by_id": "user", "user_id": "user", "status_by_id": "user",
             "deleted_by_id": "user", "owner_id": "user", "opened_by_id": "user"}


def _t(model) -> Table:
    return model.__table__


# --- what belongs to each kind of object -----------------------------------------------------

SESSION = Part_("session", _t(FeedbackSession), {
    "code": "drop", "initiative_id": "initiative", "current_item_id": "@items", **USER_REFS},
    choices={"pacing": PACING})
SESSION_PARTS = (
    Part_("items", _t(Item), {"session_id": "root", "initiative_id": "initiative", "wall_id": "wall",
                              "canvas_id": "canvas"}, choices={"kind": ITEM_KINDS}),
    Part_("options", _t(Option), {"item_id": "@items"}),
    # A participant is never tied to an account in a document (answers are anonymous, also a member's).
    Part_("participants", _t(Participant), {"session_id": "root", "token_hash": "hash", **USER_REFS,
                                            "user_id": "drop"}),
    # The notes that carried answers and Q&A questions to an initiative's wall, with their replies
    # and reactions: erasing the session removes them, so a restore must bring them back.
    Part_("wall_notes", _t(Note), {"wall_id": "wall", "section_id": "section@wall", "parent_id": "@wall_notes",
                                   "author_token_hash": "hash", "source_session_id": "root",
                                   "cluster_id": "drop", **USER_REFS}),
    Part_("wall_reactions", _t(Reaction), {"note_id": "@wall_notes", "person": "person", **USER_REFS}),
    Part_("answers", _t(Answer), {"item_id": "@items", "participant_id": "@participants",
                                  "wall_note_id": "@wall_notes", **USER_REFS}),
    Part_("qa_questions", _t(QAQuestion), {"item_id": "@items", "participant_id": "@participants",
                                           "wall_note_id": "@wall_notes", **USER_REFS}),
    Part_("qa_votes", _t(QAVote), {"question_id": "@qa_questions", "participant_id": "@participants"}),
    Part_("decision_votes", _t(DecisionVote), {"option_id": "@options", **USER_REFS},
          choices={"vote": DECISION_VOTES}),
)

WALL = Part_("wall", _t(Wall), {"code": "drop", "initiative_id": "initiative", **USER_REFS})
WALL_PARTS = (
    Part_("sections", _t(Section), {"wall_id": "root"}),
    Part_("clusters", _t(Cluster), {"wall_id": "root", **USER_REFS}),
    Part_("tags", _t(Tag), {"wall_id": "root"}),
    Part_("notes", _t(Note), {"wall_id": "root", "section_id": "@sections", "parent_id": "@notes",
                              "author_token_hash": "hash", "cluster_id": "@clusters", **USER_REFS}),
    Part_("note_tags", note_tag, {"note_id": "@notes", "tag_id": "@tags"}),
    Part_("reactions", _t(Reaction), {"note_id": "@notes", "person": "person", **USER_REFS}),
    Part_("positions", _t(Position), {"section_id": "@sections", "organisation_id": "organisation", **USER_REFS}),
    Part_("dot_votes", _t(DotVote), {"wall_id": "root", **USER_REFS}),
    Part_("dots", _t(Dot), {"vote_id": "@dot_votes", "note_id": "@notes", "voter": "person"}),
    Part_("actions", _t(Action), {"wall_id": "root", "note_id": "@notes", "cluster_id": "@clusters", **USER_REFS}),
    Part_("log", _t(WallLog), {"wall_id": "root", "note_id": "@notes", **USER_REFS}),
)

CANVAS = Part_("canvas", _t(Canvas), {"initiative_id": "initiative", **USER_REFS})
_ITEM_REFS = {"initiative_id": "initiative", "part_id": "part"}
CANVAS_PARTS = (
    Part_("placements", _t(Placement), {"canvas_id": "root", **_ITEM_REFS}),
    Part_("moves", _t(Move), {"canvas_id": "root", **_ITEM_REFS, **USER_REFS}),
    Part_("snapshots", _t(Snapshot), {"canvas_id": "root", **USER_REFS}, json={"placements": "item_keys"}),
    Part_("relations", _t(CanvasRelation), {"canvas_id": "root", "from_initiative_id": "initiative",
                                            "to_initiative_id": "initiative", "from_part_id": "part",
                                            "to_part_id": "part", **USER_REFS}),
)


def _ids(stmt) -> list[int]:
    return list(db.session.scalars(stmt))


def _rows(table: Table, *where, order=None) -> list:
    stmt = select(table).where(*where)
    return list(db.session.execute(stmt.order_by(*(order or [table.c.id]))).mappings())


def carried_note_ids(session_id: int) -> list[int]:
    """The wall notes that carry this session's answers and Q&A questions (not their replies)."""
    items = select(Item.id).where(Item.session_id == session_id)
    ids = set(_ids(select(Note.id).where(Note.source_kind == "session", Note.source_session_id == session_id,
                                         Note.parent_id.is_(None))))
    ids |= set(_ids(select(Answer.wall_note_id).where(Answer.item_id.in_(items), Answer.wall_note_id.is_not(None))))
    ids |= set(_ids(select(QAQuestion.wall_note_id).where(QAQuestion.item_id.in_(items),
                                                          QAQuestion.wall_note_id.is_not(None))))
    return sorted(ids)


def _session_rows(session_id: int) -> dict[str, list]:
    items = select(Item.id).where(Item.session_id == session_id)
    options = select(Option.id).where(Option.item_id.in_(items))
    questions = select(QAQuestion.id).where(QAQuestion.item_id.in_(items))
    carried = carried_note_ids(session_id)
    replies = _rows(_t(Note), Note.parent_id.in_(carried)) if carried else []
    notes = (_rows(_t(Note), Note.id.in_(carried)) if carried else []) + replies
    note_ids = [n["id"] for n in notes]
    return {
        "session": _rows(_t(FeedbackSession), FeedbackSession.id == session_id),
        "items": _rows(_t(Item), Item.session_id == session_id, order=[Item.position, Item.id]),
        "options": _rows(_t(Option), Option.item_id.in_(items), order=[Option.item_id, Option.position, Option.id]),
        "participants": _rows(_t(Participant), Participant.session_id == session_id),
        "wall_notes": notes,
        "wall_reactions": _rows(_t(Reaction), Reaction.note_id.in_(note_ids)) if note_ids else [],
        "answers": _rows(_t(Answer), Answer.item_id.in_(items)),
        "qa_questions": _rows(_t(QAQuestion), QAQuestion.item_id.in_(items)),
        "qa_votes": _rows(_t(QAVote), QAVote.question_id.in_(questions)),
        "decision_votes": _rows(_t(DecisionVote), DecisionVote.option_id.in_(options)),
    }


def _wall_rows(wall_id: int) -> dict[str, list]:
    notes = select(Note.id).where(Note.wall_id == wall_id)
    return {
        "wall": _rows(_t(Wall), Wall.id == wall_id),
        "sections": _rows(_t(Section), Section.wall_id == wall_id, order=[Section.position, Section.id]),
        "clusters": _rows(_t(Cluster), Cluster.wall_id == wall_id),
        "tags": _rows(_t(Tag), Tag.wall_id == wall_id),
        # Notes before their replies, so that a restore always knows the parent already.
        "notes": _rows(_t(Note), Note.wall_id == wall_id, order=[Note.parent_id.is_not(None), Note.id]),
        "note_tags": list(db.session.execute(select(note_tag).where(note_tag.c.note_id.in_(notes))
                                             .order_by(note_tag.c.note_id, note_tag.c.tag_id)).mappings()),
        "reactions": _rows(_t(Reaction), Reaction.note_id.in_(notes)),
        "positions": _rows(_t(Position), Position.section_id.in_(select(Section.id).where(Section.wall_id == wall_id))),
        "dot_votes": _rows(_t(DotVote), DotVote.wall_id == wall_id),
        "dots": _rows(_t(Dot), Dot.vote_id.in_(select(DotVote.id).where(DotVote.wall_id == wall_id))),
        "actions": _rows(_t(Action), Action.wall_id == wall_id),
        "log": _rows(_t(WallLog), WallLog.wall_id == wall_id),
    }


def _canvas_rows(canvas_id: int) -> dict[str, list]:
    return {
        "canvas": _rows(_t(Canvas), Canvas.id == canvas_id),
        "placements": _rows(_t(Placement), Placement.canvas_id == canvas_id),
        "moves": _rows(_t(Move), Move.canvas_id == canvas_id, order=[Move.seq, Move.id]),
        "snapshots": _rows(_t(Snapshot), Snapshot.canvas_id == canvas_id),
        "relations": _rows(_t(CanvasRelation), CanvasRelation.canvas_id == canvas_id),
    }


KINDS = {
    "session": Kind("tavlan-session", SESSION, SESSION_PARTS, _session_rows, lambda o: o.title),
    "wall": Kind("tavlan-wall", WALL, WALL_PARTS, _wall_rows, lambda o: o.title),
    "canvas": Kind("tavlan-canvas", CANVAS, CANVAS_PARTS, _canvas_rows, lambda o: o.title),
}
FORMATS = {kind.format: name for name, kind in KINDS.items()}


# --- export ----------------------------------------------------------------------------------

class _Names:
    """Turns outside references into names, and token hashes into opaque per-document ids."""

    def __init__(self):
        self.people: dict[str, str] = {}
        self._cache: dict[tuple[str, int], object] = {}
        self.users: dict[str, str] = {}

    def person(self, token_hash: str) -> str:
        return self.people.setdefault(token_hash, f"p{len(self.people) + 1}")

    def named(self, how: str, value: int):
        key = (how, value)
        if key not in self._cache:
            self._cache[key] = self._name(how, value)
        return self._cache[key]

    def _name(self, how: str, value: int):
        if how == "user":
            user = db.session.get(User, value)
            if user is None:
                return None
            self.users[user.email] = user.name
            return user.email
        if how == "initiative":
            return db.session.scalar(select(Initiative.key).where(Initiative.id == value))
        if how == "organisation":
            return db.session.scalar(select(Organisation.key).where(Organisation.id == value))
        if how == "part":
            row = db.session.execute(select(Initiative.key, Part.n).join(Part.initiative).where(Part.id == value)).first()
            return f"{row.key}#{row.n}" if row else None
        if how == "wall":
            return db.session.scalar(select(Wall.title).where(Wall.id == value))
        if how == "canvas":
            return db.session.scalar(select(Canvas.title).where(Canvas.id == value))
        if how == "section@wall":
            return db.session.scalar(select(Section.title).where(Section.id == value))
        raise ValueError(how)

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
    """The complete document of a session, wall or canvas (see the module docstring)."""
    kind = KINDS[kind_name]
    rows = kind.rows(obj_id)
    names = _Names()
    local: dict[str, dict[int, int]] = {part.key: {row["id"]: n for n, row in enumerate(rows[part.key], 1)
                                                    if "id" in row}
                                        for part in (kind.root, *kind.parts)}

    def convert(part: Part_, row) -> dict:
        out = {"id": local[part.key][row["id"]]} if "id" in row else {}
        for column in part.columns():
            value, how = row[column.name], part.refs.get(column.name)
            if value is None:
                out[_field(column.name, how)] = None  # a reply's empty source_session too
            elif how is None:
                value = getattr(names, part.json[column.name])(value) if column.name in part.json else value
                out[column.name] = _plain(value)
            elif how == "root":
                continue  # the object the document is about
            elif how.startswith("@"):
                # A row outside the document (a note's cluster on another wall) is left out.
                out[_field(column.name, how)] = local[how[1:]].get(value)
            elif how == "hash":
                out[_field(column.name, how)] = names.person(value)
            elif how == "person":
                out[column.name] = names.person_key(value)
            else:
                out[_field(column.name, how)] = names.named(how, value)
        return out

    root = convert(kind.root, rows[kind.root.key][0])
    if kind_name == "wall":
        root["open_with_code"] = rows["wall"][0]["code"] is not None
    doc = {"format": kind.format, "version": VERSION,
           "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           kind.root.key: root}
    for part in kind.parts:
        doc[part.key] = [convert(part, row) for row in rows[part.key]]
    doc["people"] = {"count": len(names.people),
                     "note": "p<n>: en anonym deltagare eller skribent; token sparas aldrig i exporten"}
    doc["users"] = [{"email": email, "name": name} for email, name in sorted(names.users.items())]
    return doc


def _field(column: str, how: str | None) -> str:
    """The document's name for a column: references lose their "_id" ("initiative_id" -> "initiative")."""
    if how and how != "person" and column.endswith("_id"):
        return column[:-3]
    if how == "hash":
        return "person"
    return column


def filename(kind_name: str, obj_id: int, today: date | None = None) -> str:
    """The download's name: tavlan-session-12-2026-11-23.json."""
    return f"tavlan-{kind_name}-{obj_id}-{(today or date.today()).isoformat()}.json"


# --- restore ---------------------------------------------------------------------------------

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
    def __init__(self):
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self._people: dict[str, str] = {}
        self._cache: dict[tuple[str, str], int | None] = {}

    def hash_for(self, person: str) -> str:
        """A fresh hash for an opaque person: no device holds the token, so nobody can edit."""
        if person not in self._people:
            self._people[person] = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        return self._people[person]

    def named(self, how: str, name: str, path: str, wall_id: int | None = None) -> int | None:
        key = (how, f"{wall_id}:{name}" if how == "section@wall" else name)
        if key not in self._cache:
            self._cache[key] = self._lookup(how, name, wall_id)
            if self._cache[key] is None:
                self.warnings.append(_("%(path)s: %(name)s finns inte här; kopplingen utelämnades.",
                                       path=path, name=name))
        return self._cache[key]

    @staticmethod
    def _lookup(how: str, name: str, wall_id: int | None) -> int | None:
        if how == "user":
            return db.session.scalar(select(User.id).where(func.lower(User.email) == name.lower()))
        if how == "initiative":
            return db.session.scalar(select(Initiative.id).where(Initiative.key == name))
        if how == "organisation":
            return db.session.scalar(select(Organisation.id).where(Organisation.key == name))
        if how == "part":
            key, _sep, n = name.rpartition("#")
            if parse_id(n) is None:
                return None
            return db.session.scalar(select(Part.id).join(Part.initiative)
                                     .where(Initiative.key == key, Part.n == parse_id(n)))
        if how == "wall":  # the newest wall of that title
            return db.session.scalar(select(Wall.id).where(Wall.title == name).order_by(Wall.id.desc()).limit(1))
        if how == "canvas":
            return db.session.scalar(select(Canvas.id).where(Canvas.title == name).order_by(Canvas.id.desc()).limit(1))
        if how == "section@wall":
            if wall_id is None:
                return None
            return db.session.scalar(select(Section.id).where(Section.wall_id == wall_id, Section.title == name)
                                     .order_by(Section.id).limit(1))
        raise ValueError(how)

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
        kind_name = schema.check_shape(data, KINDS, FORMATS)
    except UploadError as problem:
        raise InvalidArchive(problem.errors) from None
    kind = KINDS[kind_name]
    try:
        result = _write(kind_name, kind, data, user)
    except InvalidArchive:
        db.session.rollback()
        raise
    except (IntegrityError, SQLAlchemyError) as error:
        db.session.rollback()
        detail = str(getattr(error, "orig", error)).splitlines()[0][:300]
        raise InvalidArchive([_("Databasen godtog inte innehållet (%(detail)s); inget sparades.",
                                detail=detail)]) from None
    return result


def _write(kind_name: str, kind: Kind, data: dict, user) -> Restored:
    r = _Resolver()
    new_ids: dict[str, dict[int, int]] = {}
    skipped: dict[str, set[int]] = {}
    counts: dict[str, int] = {}
    root_id: int | None = None
    forward: list[tuple[str, str, int]] = []  # the root's references to rows written after it

    def build(part: Part_, row: dict, path: str) -> dict | None:
        """The row's values as the database wants them, or None when it cannot exist here."""
        names = {_field(c.name, part.refs.get(c.name)): c for c in part.columns()}
        extra = {"id", *ROOT_EXTRA.get(kind_name, ())} if part is kind.root else \
            {"id", *READ_AND_IGNORED.get(part.key, ())}
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
                values[column.name] = r.named(how, value, where, wall_id=values.get("wall_id"))
                if values[column.name] is None and not column.nullable:
                    leave_out = leave_out or name
        if leave_out:
            # Who voted may have no account here, a carried note's wall may be gone: a row that
            # cannot exist without it is left out, and the output says so.
            r.warnings.append(_("%(path)s: utelämnad, eftersom %(name)s saknas här.", path=path, name=leave_out))
            return None
        return values

    def write(part: Part_, row: dict, path: str) -> None:
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
        if part is kind.root:
            values.update(_fresh_identity(kind_name, row, values, r))
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
        if part.key == "decision_votes":
            continue  # a member's vote is never restored: see decisions.mark_unrestored_votes
        for n, row in enumerate(data.get(part.key, [])):
            write(part, row, f"{part.key}[{n}]")
    for target, column, ref in forward:
        if ref not in new_ids.get(target, {}):
            raise InvalidArchive([f"{kind.root.key}.{_field(column, '@')}: "
                                  + _("pekar på rad %(n)s som inte finns", n=ref)])
        table = kind.root.table  # updated_at kept as exported: this is not a change
        db.session.execute(update(table).where(table.c.id == root_id)
                           .values({column: new_ids[target][ref], "updated_at": table.c.updated_at}))
    db.session.flush()
    if kind_name == "session":
        decisions.mark_unrestored_votes(root_id, data.get("decision_votes", []), new_ids.get("options", {}), r.warnings)
    obj = db.session.get(ROOT_MODELS[kind_name], root_id)
    from board import audit  # the entry is written in the same transaction as the restore

    audit.record(f"{kind_name}.restore", f"{kind_name}:{obj.id}",
                 _("Återställd från en export: %(title)s", title=kind.title(obj)), actor=user,
                 details={"counts": counts, "warnings": r.warnings[:20]})
    db.session.commit()
    return Restored(kind_name, obj.id, kind.title(obj), getattr(obj, "code", None), counts, r.warnings,
                    len(r._people))


ROOT_MODELS = {"session": FeedbackSession, "wall": Wall, "canvas": Canvas}
ROOT_EXTRA = {"wall": ("open_with_code",)}
# Fields that older documents hold and a restore now leaves out: participants once carried the
# account of a member who answered logged in; answers are anonymous now, so it is not restored.
READ_AND_IGNORED = {"participants": ("user",)}


def _fresh_identity(kind_name: str, row: dict, values: dict, r: _Resolver) -> dict:
    """A restored object gets a new join code where it had one, and never the wall slot of an
    initiative that already has its wall (one wall per initiative)."""
    if kind_name == "session":
        return {"code": joincodes.new_code()}
    if kind_name == "wall":
        fresh = {"code": joincodes.new_code() if row.get("open_with_code") is True else None}
        initiative_id = values.get("initiative_id")
        if initiative_id and db.session.scalar(select(Wall.id).where(Wall.initiative_id == initiative_id)):
            r.warnings.append(_("Initiativet har redan en vägg; den återställda väggen blir en fri vägg."))
            fresh.update(initiative_id=None, kind="free")
        return fresh
    return {}
