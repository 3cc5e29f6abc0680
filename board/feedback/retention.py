"""A session's retention rule (applied by board/gdpr/retention.py): its clock starts at its date
(held_on; its creation when it has none); templates never expire.

Anonymising keeps every answer, question and vote, and their counts, but cuts what ties them to
a device or a person: participant tokens (their hashes), the optional names and organisations and
links to members' accounts, also on the notes that carried answers to a wall.
"""
from datetime import date

from sqlalchemy import String, cast, delete, func, select, update

from board.archive.specs import RetentionRule
from board.extensions import db
from board.feedback.models import Answer, FeedbackSession, Item, Participant
from board.gdpr.retention import ANON_PREFIX, day_of
from board.models import utcnow
from board.walls.models import Note


def _clock(session: FeedbackSession) -> date:
    """The day a session's retention period starts: its date, or the day it was created."""
    return session.held_on or day_of(session.created_at)


def _candidates() -> list[FeedbackSession]:
    return list(db.session.scalars(select(FeedbackSession).where(
        FeedbackSession.is_template.is_(False), FeedbackSession.anonymised_at.is_(None))
        .order_by(FeedbackSession.id)))


def _carried(session: FeedbackSession):
    return (Note.source_kind == "session", Note.source_session_id == session.id)


def _counts(session: FeedbackSession) -> dict[str, int]:
    p = Participant
    mine = p.session_id == session.id
    count = lambda *where: db.session.scalar(select(func.count(p.id)).where(mine, *where)) or 0  # noqa: E731
    carried_names = db.session.scalar(select(func.count(Note.id)).where(
        *_carried(session), Note.author_name != "")) or 0
    return {"tokens": count(~p.token_hash.startswith(ANON_PREFIX)),
            "names": count(p.name != "") + carried_names,
            "organisations": count(p.organisation != ""),
            "accounts": count(p.user_id.is_not(None))}


def _anonymise(session: FeedbackSession) -> None:
    p = Participant.__table__
    db.session.execute(update(p).where(p.c.session_id == session.id).values(
        token_hash=ANON_PREFIX + cast(p.c.id, String), name="", organisation="", user_id=None))
    # Notes that carried its answers to an initiative's wall carry the participant's name too.
    db.session.execute(update(Note.__table__).where(*_carried(session)).values(author_name=""))
    session.anonymised_at = utcnow()


def _delete_counts(session: FeedbackSession) -> dict[str, int]:
    items = select(Item.id).where(Item.session_id == session.id).scalar_subquery()
    return {
        "answers": db.session.scalar(select(func.count(Answer.id)).where(Answer.item_id.in_(items))) or 0,
        "participants": db.session.scalar(select(func.count(Participant.id)).where(
            Participant.session_id == session.id)) or 0,
        "notes": db.session.scalar(select(func.count(Note.id)).where(*_carried(session))) or 0,
    }


def _delete(session: FeedbackSession) -> None:
    db.session.execute(delete(Note).where(*_carried(session)))
    db.session.delete(session)


def _deleted(counts: dict[str, int]) -> str:
    return (f"{counts.get('answers', 0)} svar, {counts.get('participants', 0)} deltagare, "
            f"{counts.get('notes', 0)} lappar på väggar")


RULE = RetentionRule("session", FeedbackSession, "Session", _clock, _candidates, _counts, _anonymise,
                     _delete_counts, _delete, _deleted)
