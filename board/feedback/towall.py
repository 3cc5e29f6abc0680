"""What is said in a session and goes on to an initiative's wall: open-text answers and Q&A
questions of items that collect feedback for an initiative (their own, or their session's).

The wall is created when such an item is saved or put on screen (a facilitator's POST), never
while a room answers: an answer only finds it.
"""
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from board.extensions import db
from board.feedback.models import FeedbackSession, Item, Participant
from board.walls import service as walls
from board.walls.models import Wall

CARRIED_KINDS = ("open", "qa")  # the kinds whose answers (or questions) go to the wall


def _initiative(item: Item):
    return item.initiative or item.session.initiative


def ensure_walls(session: FeedbackSession, items) -> None:
    """Create the walls that `items` of `session` send answers to, where they are missing (each
    creation commits). A template is never answered: it needs none."""
    if session.is_template:
        return
    for item in items:
        initiative = _initiative(item) if item.kind in CARRIED_KINDS else None
        if initiative is not None:
            walls.wall_for_initiative(initiative)


def wall_of(item: Item) -> Wall | None:
    """The wall that `item`'s open-text answers or Q&A questions go to, or None."""
    initiative = _initiative(item) if item.kind in CARRIED_KINDS else None
    if initiative is None:
        return None
    return db.session.scalar(select(Wall).where(Wall.initiative_id == initiative.id))


def carry(wall: Wall, row, value, session, item, participant: Participant | None, user=None):
    """Put what `row` (an Answer or a QAQuestion) says on `wall`, with its source; off the wall while
    a moderator hides it or it waits for approval. Committed by the caller, with `row`. `session`
    and `item` are ORM objects or the answer path's plain rows (id, title, held_on)."""
    waiting = row.held or not getattr(row, "approved", True)
    reason = _("Dold i sessionen") if row.hidden else _("Väntar på godkännande i sessionen") if waiting else ""
    note = walls.carry_note(
        wall, value if isinstance(value, str) else " ".join(value), note_id=row.wall_note_id,
        session_id=session.id, label=f"{session.title}: {item.title}", held_on=session.held_on or date.today(),
        author_name=participant.name if participant is not None else "", hidden=bool(row.hidden or waiting),
        hidden_by=user if row.hidden else None, reason=reason)
    row.wall_note_id = note.id
    return note
