"""A wall in the archive (board/archive/specs.py): its "export everything" document, how a restore
writes it back, what erasing it removes, and how documents name walls and their sections.

Notes can also belong to a session's document (the notes its answers carried to a wall): the
session's feature erases them through `delete_notes`, which tells the features that keep
something on a note (a session's answer) to let go first.
"""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, or_, select

from board import joincodes
from board.archive import erase
from board.archive.exporting import rows
from board.archive.specs import USER_REFS, ArchiveSpec, DocPart, Document, Reference, by_title, register
from board.extensions import db
from board.walls import retention
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

# Row bounds of a file (board/archive/schema.py): 12 sections by the form (the portfolio wall one
# per reflection question), notes of a busy year, a reaction or a dot or two per note and person.
WALL = DocPart("wall", Wall.__table__, {"code": "drop", "initiative_id": "initiative", **USER_REFS})
PARTS = (
    DocPart("sections", Section.__table__, {"wall_id": "root"}, limit=100),
    DocPart("clusters", Cluster.__table__, {"wall_id": "root", **USER_REFS}, limit=5_000),
    DocPart("tags", Tag.__table__, {"wall_id": "root"}, limit=1_000),
    DocPart("notes", Note.__table__, {"wall_id": "root", "section_id": "@sections", "parent_id": "@notes",
                                      "author_token_hash": "hash", "cluster_id": "@clusters", **USER_REFS},
            limit=40_000),
    DocPart("note_tags", note_tag, {"note_id": "@notes", "tag_id": "@tags"}, limit=100_000),
    DocPart("reactions", Reaction.__table__, {"note_id": "@notes", "person": "person", **USER_REFS}, limit=100_000),
    DocPart("positions", Position.__table__, {"section_id": "@sections", "organisation_id": "organisation",
                                              **USER_REFS}, limit=20_000),
    DocPart("dot_votes", DotVote.__table__, {"wall_id": "root", **USER_REFS}, limit=500),
    DocPart("dots", Dot.__table__, {"vote_id": "@dot_votes", "note_id": "@notes", "voter": "person"}, limit=100_000),
    DocPart("actions", Action.__table__, {"wall_id": "root", "note_id": "@notes", "cluster_id": "@clusters",
                                          **USER_REFS}, limit=10_000),
    DocPart("log", WallLog.__table__, {"wall_id": "root", "note_id": "@notes", **USER_REFS}, limit=100_000),
)


def _rows(wall_id: int) -> dict[str, list]:
    notes = select(Note.id).where(Note.wall_id == wall_id)
    t = lambda model: model.__table__  # noqa: E731
    return {
        "wall": rows(t(Wall), Wall.id == wall_id),
        "sections": rows(t(Section), Section.wall_id == wall_id, order=[Section.position, Section.id]),
        "clusters": rows(t(Cluster), Cluster.wall_id == wall_id),
        "tags": rows(t(Tag), Tag.wall_id == wall_id),
        # Notes before their replies, so that a restore always knows the parent already.
        "notes": rows(t(Note), Note.wall_id == wall_id, order=[Note.parent_id.is_not(None), Note.id]),
        "note_tags": list(db.session.execute(select(note_tag).where(note_tag.c.note_id.in_(notes))
                                             .order_by(note_tag.c.note_id, note_tag.c.tag_id)).mappings()),
        "reactions": rows(t(Reaction), Reaction.note_id.in_(notes)),
        "positions": rows(t(Position), Position.section_id.in_(select(Section.id).where(Section.wall_id == wall_id))),
        "dot_votes": rows(t(DotVote), DotVote.wall_id == wall_id),
        "dots": rows(t(Dot), Dot.vote_id.in_(select(DotVote.id).where(DotVote.wall_id == wall_id))),
        "actions": rows(t(Action), Action.wall_id == wall_id),
        "log": rows(t(WallLog), WallLog.wall_id == wall_id),
    }


def _export_root(row: dict) -> dict:
    # The code itself is a credential of the old wall; the restored one gets a new code if it had one.
    return {"open_with_code": row["code"] is not None}


def _fresh_identity(row: dict, values: dict, warnings: list[str]) -> dict:
    """A restored wall gets a new join code where it had one, and never the wall slot of an
    initiative that already has its wall (one wall per initiative)."""
    fresh = {"code": joincodes.new_code() if row.get("open_with_code") is True else None}
    initiative_id = values.get("initiative_id")
    if initiative_id and db.session.scalar(select(Wall.id).where(Wall.initiative_id == initiative_id)):
        warnings.append(_("Initiativet har redan en vägg; den återställda väggen blir en fri vägg."))
        fresh.update(initiative_id=None, kind="free")
    return fresh


# --- erasing ---------------------------------------------------------------------------------

def note_ids_on(wall_id: int):
    return select(Note.id).where(Note.wall_id == wall_id)


def _plan(wall: Wall) -> erase.Plan:
    """What erasing a wall removes (the session items that show it: their feature adds them)."""
    count = erase.count
    notes = note_ids_on(wall.id)
    counts = {
        "sections": count(select(Section.id).where(Section.wall_id == wall.id)),
        "notes": count(select(Note.id).where(Note.wall_id == wall.id, Note.parent_id.is_(None))),
        "replies": count(select(Note.id).where(Note.wall_id == wall.id, Note.parent_id.is_not(None))),
        "reactions": count(select(Reaction.id).where(Reaction.note_id.in_(notes))),
        "dot_votes": count(select(DotVote.id).where(DotVote.wall_id == wall.id)),
        "dots": count(select(Dot.id).where(Dot.vote_id.in_(select(DotVote.id).where(DotVote.wall_id == wall.id)))),
        "clusters": count(select(Cluster.id).where(Cluster.wall_id == wall.id)),
        "tags": count(select(Tag.id).where(Tag.wall_id == wall.id)),
        "actions": count(select(Action.id).where(Action.wall_id == wall.id)),
        "positions": count(select(Position.id).where(
            Position.section_id.in_(select(Section.id).where(Section.wall_id == wall.id)))),
    }
    lines = [
        ngettext("%(num)d avsnitt", "%(num)d avsnitt", counts["sections"]),
        ngettext("%(num)d lapp", "%(num)d lappar", counts["notes"]) + " " + ngettext(
            "med %(num)d svar", "med %(num)d svar", counts["replies"]),
        ngettext("%(num)d reaktion", "%(num)d reaktioner", counts["reactions"]),
        ngettext("%(num)d prickröstning", "%(num)d prickröstningar", counts["dot_votes"]) + " " + ngettext(
            "med %(num)d prick", "med %(num)d prickar", counts["dots"]),
        ngettext("%(num)d grupp", "%(num)d grupper", counts["clusters"]) + ", " + ngettext(
            "%(num)d etikett", "%(num)d etiketter", counts["tags"]) + ", " + ngettext(
            "%(num)d åtgärd", "%(num)d åtgärder", counts["actions"]),
        ngettext("%(num)d partsposition", "%(num)d partspositioner", counts["positions"]),
    ]
    return erase.Plan("wall", wall.id, wall.title, counts, lines, [f"wall:{wall.id}"])


def delete_notes(note_ids) -> None:
    """Notes (given as ids or a select of ids) with everything hanging on them: replies first."""
    replies = select(Note.id).where(Note.parent_id.in_(note_ids))
    every = select(Note.id).where(or_(Note.id.in_(note_ids), Note.parent_id.in_(note_ids)))
    ids = list(db.session.scalars(every))
    if not ids:
        return
    erase.detach("note", ids)
    db.session.execute(delete(note_tag).where(note_tag.c.note_id.in_(ids)))
    db.session.execute(delete(Reaction).where(Reaction.note_id.in_(ids)))
    db.session.execute(delete(Dot).where(Dot.note_id.in_(ids)))
    db.session.execute(delete(Action).where(Action.note_id.in_(ids)))
    db.session.execute(delete(WallLog).where(WallLog.note_id.in_(ids)))
    db.session.execute(delete(Note).where(Note.id.in_(list(db.session.scalars(replies)))))
    db.session.execute(delete(Note).where(Note.id.in_(ids)))


def _erase(wall_id: int) -> None:
    delete_notes(note_ids_on(wall_id))
    votes = select(DotVote.id).where(DotVote.wall_id == wall_id)
    sections = select(Section.id).where(Section.wall_id == wall_id)
    db.session.execute(delete(Dot).where(Dot.vote_id.in_(votes)))
    db.session.execute(delete(DotVote).where(DotVote.wall_id == wall_id))
    db.session.execute(delete(Action).where(Action.wall_id == wall_id))
    db.session.execute(delete(WallLog).where(WallLog.wall_id == wall_id))
    db.session.execute(delete(Position).where(Position.section_id.in_(sections)))
    db.session.execute(delete(Cluster).where(Cluster.wall_id == wall_id))
    db.session.execute(delete(Tag).where(Tag.wall_id == wall_id))
    db.session.execute(delete(Section).where(Section.wall_id == wall_id))
    db.session.execute(delete(Wall).where(Wall.id == wall_id))


# --- how documents name walls and sections -----------------------------------------------------

def _section_title(section_id: int) -> str | None:
    return db.session.scalar(select(Section.title).where(Section.id == section_id))


def _section(title: str, wall_id: int | None) -> int | None:
    if wall_id is None:
        return None
    return db.session.scalar(select(Section.id).where(Section.wall_id == wall_id, Section.title == title)
                             .order_by(Section.id).limit(1))


DOCUMENT = Document(
    "wall", "tavlan-wall", WALL, PARTS, Wall, _rows, _plan, _erase,
    plural="walls", index="walls.index", page=lambda wall: url_for("walls.show", wall_id=wall.id), noun="Väggen",
    export_root=_export_root, root_extra=("open_with_code",), fresh_identity=_fresh_identity)

SPEC = ArchiveSpec("walls", documents=(DOCUMENT,), references={
    "wall": by_title(Wall),
    "section@wall": Reference(_section_title, _section, within="wall_id"),
}, retention=(retention.RULE,))


def init_archive(app) -> None:
    register(app, SPEC)
