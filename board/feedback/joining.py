"""Taking part in a session: a participant per browser (or per account, board/feedback/access.py),
found by the sha256 of its token (board/participants.py), created on the first visit."""
import functools

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from board.extensions import db
from board.feedback import live
from board.feedback.models import FeedbackSession, Participant
from board.participants import token_hash


class SessionClosed(Exception):
    """The session's retention period is over and it was anonymised: nobody joins it again."""


def is_open(session: FeedbackSession) -> bool:
    """Participants take part (and see and delete their own posts) until retention anonymised it."""
    return session.anonymised_at is None and not session.is_template


def find_participant(session, token: str | None) -> Participant | None:
    """This token's participant in `session` (an ORM session or the answer path's row), if it joined."""
    if not token:
        return None
    return db.session.scalar(select(Participant).where(Participant.session_id == session.id,
                                                       Participant.token_hash == token_hash(token)))


def participant_id(session_id: int, token: str | None) -> int | None:
    """The id of this browser's participant in the session, if it joined (the answer path's lookup)."""
    if not token:
        return None
    return db.session.scalar(_participant_id_statement(), {"session_id": session_id, "token_hash": token_hash(token)})


@functools.cache
def _participant_id_statement():
    participant = Participant.__table__
    return select(participant.c.id).where(participant.c.session_id == bindparam("session_id"),
                                          participant.c.token_hash == bindparam("token_hash"))


def join(session, token: str, user=None) -> Participant:
    """The participant for this browser's token, created on first visit (no account needed).
    `session` is an ORM session or the answer path's row (id, anonymised_at). `user` is accepted
    and ignored: a participant is never linked to an account (answers are anonymous).
    :raise SessionClosed: the session was anonymised and `token` has no participant in it."""
    participant = find_participant(session, token)
    if participant is not None:
        return participant
    if session.anonymised_at is not None:
        raise SessionClosed(session.id)
    session_id = session.id
    # Never linked to the account of a logged-in member: answers are anonymous (decisions, which
    # are by name, are kept apart in DecisionVote).
    participant = Participant(session_id=session_id, token_hash=token_hash(token))
    db.session.add(participant)
    try:
        db.session.commit()
    except IntegrityError:  # the same browser joined twice at once (two tabs)
        db.session.rollback()
        return find_participant(session, token)
    live.publish_counts(session_id)
    return participant


def set_identity(participant: Participant, name: str, organisation: str) -> None:
    participant.name, participant.organisation = name, organisation
    db.session.commit()
