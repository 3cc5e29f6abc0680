"""Erase a session, wall or canvas for good ("Radera för alltid"), after a confirmation that names
what will go, with counts.

Everything is deleted in one transaction, table by table (children first, so nothing depends on
the database's ON DELETE rules to leave no orphans), together with an audit entry that keeps the
title and the counts, since the object itself is gone. After the commit every live channel of
the object gets a final event: open screens show that it was erased, and their streams end.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, or_, select, update

from board import audit, live
from board.canvas.models import Canvas, CanvasRelation, Move, Placement, Snapshot
from board.extensions import db
from board.feedback.models import (
    QUESTION_KINDS,
    Answer,
    DecisionVote,
    FeedbackSession,
    Item,
    Option,
    Participant,
    QAQuestion,
    QAVote,
)
from board.archive.documents import carried_note_ids
from board.walls import service as walls
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

CONFIRM_WORD = "RADERA"


@dataclass
class Plan:
    """What an erase removes: the object, its title, and lines that name each kind of content."""

    kind: str
    id: int
    title: str
    counts: dict[str, int]
    lines: list[str]
    channels: list[str]


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _note_ids_on(wall_id: int):
    return select(Note.id).where(Note.wall_id == wall_id)


# --- what would go ---------------------------------------------------------------------------

def session_plan(session: FeedbackSession) -> Plan:
    """What erasing a session removes, including the notes its answers carried to walls."""
    items = select(Item.id).where(Item.session_id == session.id)
    carried = carried_note_ids(session.id)
    per_wall = db.session.execute(
        select(Wall.title, func.count(Note.id)).join(Note, Note.wall_id == Wall.id)
        .where(Note.id.in_(carried)).group_by(Wall.id, Wall.title).order_by(Wall.title)).all() if carried else []
    counts = {
        "items": _count(select(Item.id).where(Item.session_id == session.id)),
        "questions": _count(select(Item.id).where(Item.session_id == session.id, Item.kind.in_(QUESTION_KINDS))),
        "answers": _count(select(Answer.id).where(Answer.item_id.in_(items))),
        "participants": _count(select(Participant.id).where(Participant.session_id == session.id)),
        "qa_questions": _count(select(QAQuestion.id).where(QAQuestion.item_id.in_(items))),
        "decision_rounds": _count(select(Item.id).where(Item.session_id == session.id, Item.kind == "decision")),
        "decision_votes": _count(select(DecisionVote.id).where(
            DecisionVote.option_id.in_(select(Option.id).where(Option.item_id.in_(items))))),
        "wall_notes": len(carried),
    }
    lines = [
        ngettext("%(num)d punkt i körschemat, varav %(q)d frågor", "%(num)d punkter i körschemat, varav %(q)d frågor",
                 counts["items"], q=counts["questions"]),
        ngettext("%(num)d svar", "%(num)d svar", counts["answers"]) + " " + ngettext(
            "från %(num)d deltagare", "från %(num)d deltagare", counts["participants"]),
        ngettext("%(num)d fråga i Q&A", "%(num)d frågor i Q&A", counts["qa_questions"]),
        ngettext("%(num)d beslutsomgång", "%(num)d beslutsomgångar", counts["decision_rounds"]) + " " + ngettext(
            "med %(num)d ställningstagande", "med %(num)d ställningstaganden", counts["decision_votes"]),
    ]
    for title, n in per_wall:
        lines.append(ngettext("%(num)d lapp som svaren lagt på väggen ”%(wall)s”",
                              "de %(num)d lappar som svaren lagt på väggen ”%(wall)s”", n, wall=title))
    return Plan("session", session.id, session.title, counts, lines,
                [f"join:{session.id}", f"present:{session.id}"])


def wall_plan(wall: Wall) -> Plan:
    """What erasing a wall removes, and how many session items show it."""
    notes = _note_ids_on(wall.id)
    counts = {
        "sections": _count(select(Section.id).where(Section.wall_id == wall.id)),
        "notes": _count(select(Note.id).where(Note.wall_id == wall.id, Note.parent_id.is_(None))),
        "replies": _count(select(Note.id).where(Note.wall_id == wall.id, Note.parent_id.is_not(None))),
        "reactions": _count(select(Reaction.id).where(Reaction.note_id.in_(notes))),
        "dot_votes": _count(select(DotVote.id).where(DotVote.wall_id == wall.id)),
        "dots": _count(select(Dot.id).where(Dot.vote_id.in_(select(DotVote.id).where(DotVote.wall_id == wall.id)))),
        "clusters": _count(select(Cluster.id).where(Cluster.wall_id == wall.id)),
        "tags": _count(select(Tag.id).where(Tag.wall_id == wall.id)),
        "actions": _count(select(Action.id).where(Action.wall_id == wall.id)),
        "positions": _count(select(Position.id).where(
            Position.section_id.in_(select(Section.id).where(Section.wall_id == wall.id)))),
        "session_items": _count(select(Item.id).where(Item.wall_id == wall.id)),
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
    if counts["session_items"]:
        lines.append(ngettext("%(num)d punkt i en session visar väggen; den blir tom",
                              "%(num)d punkter i sessioner visar väggen; de blir tomma", counts["session_items"]))
    return Plan("wall", wall.id, wall.title, counts, lines, [f"wall:{wall.id}"])


def canvas_plan(canvas: Canvas) -> Plan:
    """What erasing a canvas removes (never the portfolio's initiatives and parts)."""
    counts = {
        "placements": _count(select(Placement.id).where(Placement.canvas_id == canvas.id)),
        "locks": _count(select(Placement.id).where(Placement.canvas_id == canvas.id, Placement.locked.is_(True))),
        "moves": _count(select(Move.id).where(Move.canvas_id == canvas.id)),
        "snapshots": _count(select(Snapshot.id).where(Snapshot.canvas_id == canvas.id)),
        "relations": _count(select(CanvasRelation.id).where(CanvasRelation.canvas_id == canvas.id)),
        "session_items": _count(select(Item.id).where(Item.canvas_id == canvas.id)),
    }
    lines = [
        ngettext("%(num)d placering", "%(num)d placeringar", counts["placements"]) + " " + ngettext(
            "(%(num)d låst)", "(%(num)d låsta)", counts["locks"]),
        ngettext("%(num)d flytt i historiken", "%(num)d flyttar i historiken", counts["moves"]),
        ngettext("%(num)d ögonblicksbild", "%(num)d ögonblicksbilder", counts["snapshots"]),
        ngettext("%(num)d relation", "%(num)d relationer", counts["relations"]),
    ]
    if counts["session_items"]:
        lines.append(ngettext("%(num)d punkt i en session visar kanvasen; den blir tom",
                              "%(num)d punkter i sessioner visar kanvasen; de blir tomma", counts["session_items"]))
    return Plan("canvas", canvas.id, canvas.title, counts, lines, [f"canvas:{canvas.id}"])


def plan_for(kind: str, obj) -> Plan:
    """The plan of a "session", "wall" or "canvas"."""
    return {"session": session_plan, "wall": wall_plan, "canvas": canvas_plan}[kind](obj)


def confirmed(plan: Plan, typed: str | None) -> bool:
    """The facilitator typed the title (spaces and case aside) or the word RADERA."""
    typed = " ".join((typed or "").split()).casefold()
    return bool(typed) and typed in {" ".join(plan.title.split()).casefold(), CONFIRM_WORD.casefold()}


# --- erasing ---------------------------------------------------------------------------------

def _delete_notes(note_ids) -> None:
    """Notes (given as ids or a select of ids) with everything hanging on them: replies first."""
    replies = select(Note.id).where(Note.parent_id.in_(note_ids))
    every = select(Note.id).where(or_(Note.id.in_(note_ids), Note.parent_id.in_(note_ids)))
    ids = list(db.session.scalars(every))
    if not ids:
        return
    db.session.execute(update(Answer).where(Answer.wall_note_id.in_(ids)).values(wall_note_id=None))
    db.session.execute(update(QAQuestion).where(QAQuestion.wall_note_id.in_(ids)).values(wall_note_id=None))
    db.session.execute(delete(note_tag).where(note_tag.c.note_id.in_(ids)))
    db.session.execute(delete(Reaction).where(Reaction.note_id.in_(ids)))
    db.session.execute(delete(Dot).where(Dot.note_id.in_(ids)))
    db.session.execute(delete(Action).where(Action.note_id.in_(ids)))
    db.session.execute(delete(WallLog).where(WallLog.note_id.in_(ids)))
    db.session.execute(delete(Note).where(Note.id.in_(list(db.session.scalars(replies)))))
    db.session.execute(delete(Note).where(Note.id.in_(ids)))


def _erase_session(session_id: int) -> list[int]:
    """Delete the session's rows; return the walls whose carried notes went too."""
    items = list(db.session.scalars(select(Item.id).where(Item.session_id == session_id)))
    carried = carried_note_ids(session_id)
    walls_touched = sorted(set(db.session.scalars(select(Note.wall_id).where(Note.id.in_(carried))))) if carried else []
    _delete_notes(carried)
    options = select(Option.id).where(Option.item_id.in_(items))
    questions = select(QAQuestion.id).where(QAQuestion.item_id.in_(items))
    db.session.execute(update(FeedbackSession).where(FeedbackSession.id == session_id).values(current_item_id=None))
    db.session.execute(delete(DecisionVote).where(DecisionVote.option_id.in_(options)))
    db.session.execute(delete(QAVote).where(QAVote.question_id.in_(questions)))
    db.session.execute(delete(QAQuestion).where(QAQuestion.item_id.in_(items)))
    db.session.execute(delete(Answer).where(Answer.item_id.in_(items)))
    db.session.execute(delete(Participant).where(Participant.session_id == session_id))
    db.session.execute(delete(Option).where(Option.item_id.in_(items)))
    db.session.execute(delete(Item).where(Item.session_id == session_id))
    db.session.execute(delete(FeedbackSession).where(FeedbackSession.id == session_id))
    return walls_touched


def _erase_wall(wall_id: int) -> None:
    _delete_notes(_note_ids_on(wall_id))
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
    db.session.execute(update(Item).where(Item.wall_id == wall_id).values(wall_id=None))
    db.session.execute(delete(Wall).where(Wall.id == wall_id))


def _erase_canvas(canvas_id: int) -> None:
    # Only what sits on the canvas: the portfolio's initiatives and parts stay.
    for model in (CanvasRelation, Snapshot, Move, Placement):
        db.session.execute(delete(model).where(model.canvas_id == canvas_id))
    db.session.execute(update(Item).where(Item.canvas_id == canvas_id).values(canvas_id=None))
    db.session.execute(delete(Canvas).where(Canvas.id == canvas_id))


def erase(kind: str, obj, user=None) -> Plan:
    """Delete the session, wall or canvas and all of its content in one transaction, log it, then
    tell every open screen of it that it is gone. Returns what was erased."""
    plan = plan_for(kind, obj)
    touched: list[int] = []
    db.session.expunge(obj)  # the rows go by statement; the identity map must not write it back
    if kind == "session":
        touched = _erase_session(plan.id)
    elif kind == "wall":
        _erase_wall(plan.id)
    else:
        _erase_canvas(plan.id)
    audit.record(f"{kind}.erase", f"{kind}:{plan.id}",
                 _("Raderade ”%(title)s” för alltid: %(what)s", title=plan.title, what="; ".join(plan.lines)),
                 actor=user, details={"title": plan.title, "counts": plan.counts})
    db.session.commit()
    db.session.expire_all()
    for channel in plan.channels:
        live.end_channel(channel, lambda: render_template("erase/_gone.html", plan=plan))
    for wall_id in touched:
        wall = walls.get_wall(wall_id)
        if wall is not None:
            walls.publish(wall)
    return plan
