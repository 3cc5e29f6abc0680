"""A facilitator's moderation of what participants sent: answers the word filter held back or that
are hidden, and Q&A questions. Every change is kept with who made it, and follows the note that
carries the answer or question to a wall."""
from datetime import datetime, timezone

from board import audit
from board.extensions import db
from board.feedback import live, towall
from board.feedback.models import Answer, FeedbackSession, Item, QAQuestion
from board.walls import service as walls

QA_ACTIONS = ("approve", "hide", "unhide", "answered")


def release_answer(session: FeedbackSession, answer: Answer) -> None:
    """Let an answer the word filter held back through."""
    answer.held = False
    audit.record("answer.release", f"session:{session.id}/answer:{answer.id}",
                 f"Släppte igenom ett svar som ordfiltret höll kvar i sessionen '{session.title}'")
    _resync(session, answer)


def hide_answer(session: FeedbackSession, answer: Answer, user, hidden: bool = True) -> None:
    """Hide (or show again) one answer; it is kept, marked with who hid it and when."""
    answer.held = False
    answer.hidden = hidden
    answer.hidden_by_id = user.id if hidden else None
    answer.hidden_at = datetime.now(timezone.utc) if hidden else None
    audit.record("answer.hide" if hidden else "answer.show", f"session:{session.id}/answer:{answer.id}",
                 f"{'Dolde' if hidden else 'Visade igen'} ett svar i sessionen '{session.title}'", actor=user)
    _resync(session, answer, user)


def moderate(session: FeedbackSession, question: QAQuestion, action: str, user) -> None:
    """approve, hide (kept, with who and when), show again, or mark answered."""
    if action == "approve":
        question.approved, question.held = True, False
    elif action == "hide":
        question.hidden, question.hidden_by_id = True, user.id
        question.hidden_at = datetime.now(timezone.utc)
    elif action == "unhide":
        question.hidden, question.hidden_by_id, question.hidden_at = False, None, None
    elif action == "answered":
        question.answered = not question.answered
    else:
        raise ValueError(action)
    if action != "answered":
        what = {"approve": "Godkände", "hide": "Dolde", "unhide": "Visade igen"}[action]
        audit.record(f"qa.{action}", f"session:{session.id}/question:{question.id}",
                     f"{what} en fråga i frågestunden i sessionen '{session.title}'", actor=user)
    _resync(session, question, user)


def _resync(session: FeedbackSession, row, user=None) -> None:
    """Commit a moderated answer or Q&A question, with the note that carries it to a wall."""
    item = db.session.get(Item, row.item_id)
    wall = towall.wall_of(item) if row.wall_note_id else None
    if wall is not None:
        towall.carry(wall, row, row.value if isinstance(row, Answer) else row.text, session, item,
                     row.participant, user)
    db.session.commit()
    live.publish(session, participants=isinstance(row, QAQuestion))
    if wall is not None:
        walls.publish(wall)
