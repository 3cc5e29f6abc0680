"""A feedback session in the archive (board/archive/specs.py): its "export everything" document,
how a restore writes it back, what erasing it removes, and what a session keeps on walls and
canvases (items that show them, answers carried to a wall as notes).

Decision rounds in a restored session: the members' votes stay behind. A decision round's votes
are by person: the results page shows each member's Ja / Nej / Avstår by name. An "export
everything" file is plain JSON that a facilitator can edit, so a vote restored from it would show
a member voting what they never voted. A restore therefore writes no decision votes; each
decision item notes how many votes its file held, and its results say that the round was restored
and that its members need to vote again (templates/feedback/_results_body.html).
"""
from collections import Counter

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select, update

from board import joincodes
from board.archive import erase
from board.archive.exporting import ids, rows
from board.archive.specs import USER_REFS, ArchiveSpec, DocPart, Dependent, Document, register
from board.extensions import db
from board.feedback import retention
from board.feedback.models import (
    DECISION_VOTES,
    ITEM_KINDS,
    PACING,
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
from board.walls import archive as wall_archive
from board.walls import service as walls
from board.walls.models import Note, Reaction, Wall

# Row bounds of a file (board/archive/schema.py): 200 items (transfer.MAX_ITEMS) x 20 options;
# 300-1,000 people x 50 questions.
SESSION = DocPart("session", FeedbackSession.__table__, {
    "code": "drop", "initiative_id": "initiative", "current_item_id": "@items", **USER_REFS},
    choices={"pacing": PACING})
PARTS = (
    DocPart("items", Item.__table__, {"session_id": "root", "initiative_id": "initiative", "wall_id": "wall",
                                      "canvas_id": "canvas"}, choices={"kind": ITEM_KINDS}, limit=200),
    DocPart("options", Option.__table__, {"item_id": "@items"}, limit=4_000),
    # A participant is never tied to an account in a document (answers are anonymous, also a
    # member's); older documents named the account of a member who answered logged in.
    DocPart("participants", Participant.__table__, {"session_id": "root", "token_hash": "hash", **USER_REFS,
                                                    "user_id": "drop"}, limit=20_000, ignored=("user",)),
    # The notes that carried answers and Q&A questions to an initiative's wall, with their replies
    # and reactions: erasing the session removes them, so a restore must bring them back.
    DocPart("wall_notes", Note.__table__, {"wall_id": "wall", "section_id": "section@wall",
                                           "parent_id": "@wall_notes", "author_token_hash": "hash",
                                           "source_session_id": "root", "cluster_id": "drop", **USER_REFS},
            limit=40_000),
    DocPart("wall_reactions", Reaction.__table__, {"note_id": "@wall_notes", "person": "person", **USER_REFS},
            limit=100_000),
    DocPart("answers", Answer.__table__, {"item_id": "@items", "participant_id": "@participants",
                                          "wall_note_id": "@wall_notes", **USER_REFS}, limit=100_000),
    DocPart("qa_questions", QAQuestion.__table__, {"item_id": "@items", "participant_id": "@participants",
                                                   "wall_note_id": "@wall_notes", **USER_REFS}, limit=20_000),
    DocPart("qa_votes", QAVote.__table__, {"question_id": "@qa_questions", "participant_id": "@participants"},
            limit=100_000),
    DocPart("decision_votes", DecisionVote.__table__, {"option_id": "@options", **USER_REFS},
            choices={"vote": DECISION_VOTES}, limit=40_000),
)


def carried_note_ids(session_id: int) -> list[int]:
    """The wall notes that carry this session's answers and Q&A questions (not their replies)."""
    items = select(Item.id).where(Item.session_id == session_id)
    found = set(ids(select(Note.id).where(Note.source_kind == "session", Note.source_session_id == session_id,
                                          Note.parent_id.is_(None))))
    found |= set(ids(select(Answer.wall_note_id).where(Answer.item_id.in_(items), Answer.wall_note_id.is_not(None))))
    found |= set(ids(select(QAQuestion.wall_note_id).where(QAQuestion.item_id.in_(items),
                                                           QAQuestion.wall_note_id.is_not(None))))
    return sorted(found)


def _rows(session_id: int) -> dict[str, list]:
    items = select(Item.id).where(Item.session_id == session_id)
    options = select(Option.id).where(Option.item_id.in_(items))
    questions = select(QAQuestion.id).where(QAQuestion.item_id.in_(items))
    carried = carried_note_ids(session_id)
    t = lambda model: model.__table__  # noqa: E731
    replies = rows(t(Note), Note.parent_id.in_(carried)) if carried else []
    notes = (rows(t(Note), Note.id.in_(carried)) if carried else []) + replies
    note_ids = [n["id"] for n in notes]
    return {
        "session": rows(t(FeedbackSession), FeedbackSession.id == session_id),
        "items": rows(t(Item), Item.session_id == session_id, order=[Item.position, Item.id]),
        "options": rows(t(Option), Option.item_id.in_(items), order=[Option.item_id, Option.position, Option.id]),
        "participants": rows(t(Participant), Participant.session_id == session_id),
        "wall_notes": notes,
        "wall_reactions": rows(t(Reaction), Reaction.note_id.in_(note_ids)) if note_ids else [],
        "answers": rows(t(Answer), Answer.item_id.in_(items)),
        "qa_questions": rows(t(QAQuestion), QAQuestion.item_id.in_(items)),
        "qa_votes": rows(t(QAVote), QAVote.question_id.in_(questions)),
        "decision_votes": rows(t(DecisionVote), DecisionVote.option_id.in_(options)),
    }


# --- decision rounds in a restored session ---------------------------------------------------

KEY = "votes_not_restored"  # in Item.settings: how many votes the archive held for the round


def mark_unrestored_votes(session_id: int, data: dict, new_ids: dict[str, dict[int, int]],
                          warnings: list[str]) -> None:
    """Note on each decision item of the restored session how many of its votes were left out
    (0 when none); a count the file itself carried in the settings is replaced."""
    option_ids = new_ids.get("options", {})
    per_option = Counter(option_ids.get(row.get("option")) for row in data.get("decision_votes", [])
                         if isinstance(row, dict))
    items = db.session.scalars(select(Item).where(Item.session_id == session_id, Item.kind == "decision")).all()
    options = dict(db.session.execute(select(Option.id, Option.item_id).where(
        Option.item_id.in_([i.id for i in items]))).all()) if items else {}
    per_item = Counter()
    for option_id, count in per_option.items():
        if option_id in options:
            per_item[options[option_id]] += count
    table = Item.__table__
    for item in items:  # updated_at kept as exported: this is not a change to the item
        db.session.execute(update(table).where(table.c.id == item.id).values(
            settings={**(item.settings or {}), KEY: per_item[item.id]}, updated_at=table.c.updated_at))
    left_out = sum(per_item.values())
    if left_out:
        warnings.append(_("%(n)d röster i beslutsrundor återställdes inte: en röst hör till den som lade den, "
                          "och medlemmarna får rösta på nytt.", n=left_out))
    db.session.flush()


# --- erasing ---------------------------------------------------------------------------------

def _plan(session: FeedbackSession) -> erase.Plan:
    """What erasing a session removes, including the notes its answers carried to walls."""
    count = erase.count
    items = select(Item.id).where(Item.session_id == session.id)
    carried = carried_note_ids(session.id)
    per_wall = db.session.execute(
        select(Wall.title, func.count(Note.id)).join(Note, Note.wall_id == Wall.id)
        .where(Note.id.in_(carried)).group_by(Wall.id, Wall.title).order_by(Wall.title)).all() if carried else []
    counts = {
        "items": count(select(Item.id).where(Item.session_id == session.id)),
        "questions": count(select(Item.id).where(Item.session_id == session.id, Item.kind.in_(QUESTION_KINDS))),
        "answers": count(select(Answer.id).where(Answer.item_id.in_(items))),
        "participants": count(select(Participant.id).where(Participant.session_id == session.id)),
        "qa_questions": count(select(QAQuestion.id).where(QAQuestion.item_id.in_(items))),
        "decision_rounds": count(select(Item.id).where(Item.session_id == session.id, Item.kind == "decision")),
        "decision_votes": count(select(DecisionVote.id).where(
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
    return erase.Plan("session", session.id, session.title, counts, lines,
                      [f"join:{session.id}", f"present:{session.id}"])


def _erase(session_id: int):
    """Delete the session's rows; after the commit, the walls whose carried notes went are shown again."""
    items = list(db.session.scalars(select(Item.id).where(Item.session_id == session_id)))
    carried = carried_note_ids(session_id)
    touched = sorted(set(db.session.scalars(select(Note.wall_id).where(Note.id.in_(carried))))) if carried else []
    wall_archive.delete_notes(carried)
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

    def republish() -> None:
        for wall_id in touched:
            wall = walls.get_wall(wall_id)
            if wall is not None:
                walls.publish(wall)

    return republish


# --- what a session keeps on walls, canvases and wall notes -----------------------------------

def _showing(column):
    """A session item showing the erased wall or canvas becomes empty; the confirmation says so."""
    def count(obj_id: int) -> dict[str, int]:
        return {"session_items": erase.count(select(Item.id).where(column == obj_id))}

    def detach(obj_ids: list[int]) -> None:
        db.session.execute(update(Item).where(column.in_(obj_ids)).values({column.key: None}))

    return count, detach


def _wall_lines(counts: dict[str, int]) -> list[str]:
    n = counts["session_items"]
    return [ngettext("%(num)d punkt i en session visar väggen; den blir tom",
                     "%(num)d punkter i sessioner visar väggen; de blir tomma", n)] if n else []


def _canvas_lines(counts: dict[str, int]) -> list[str]:
    n = counts["session_items"]
    return [ngettext("%(num)d punkt i en session visar kanvasen; den blir tom",
                     "%(num)d punkter i sessioner visar kanvasen; de blir tomma", n)] if n else []


def _let_go_of_notes(note_ids: list[int]) -> None:
    """Answers and Q&A questions carried to a wall stay when their note is erased."""
    db.session.execute(update(Answer).where(Answer.wall_note_id.in_(note_ids)).values(wall_note_id=None))
    db.session.execute(update(QAQuestion).where(QAQuestion.wall_note_id.in_(note_ids)).values(wall_note_id=None))


_on_wall, _off_wall = _showing(Item.wall_id)
_on_canvas, _off_canvas = _showing(Item.canvas_id)

DOCUMENT = Document(
    "session", "tavlan-session", SESSION, PARTS, FeedbackSession, _rows, _plan, _erase,
    plural="sessions", index="feedback.index", page=lambda s: url_for("feedback.show", session_id=s.id),
    noun="Sessionen", fresh_identity=lambda row, values, warnings: {"code": joincodes.new_code()},
    not_restored=("decision_votes",), after_restore=mark_unrestored_votes)

SPEC = ArchiveSpec("feedback", documents=(DOCUMENT,), dependents=(
    Dependent("wall", _off_wall, _on_wall, _wall_lines),
    Dependent("canvas", _off_canvas, _on_canvas, _canvas_lines),
    Dependent("note", _let_go_of_notes),
), retention=(retention.RULE,))


def init_archive(app) -> None:
    register(app, SPEC)
