"""A participant's own posts in a session ("Mina svar"): listed, and deleted for good by them."""
from sqlalchemy import select

from board.extensions import db
from board.feedback import live
from board.feedback.models import Answer, FeedbackSession, Item, Participant, QAQuestion
from board.walls import service as walls


class NotYours(LookupError):
    """Not this participant's answer or question in this session, or gone: the two look the same,
    so nothing tells a visitor whether someone else's exists."""


def describe_answer(item: Item, value) -> str:
    """An answer as its participant gave it: option texts for choices and rankings, words, text, a value."""
    if item.kind in ("choice", "ranking"):
        texts = {o.id: o.text for o in item.options}
        return ", ".join(texts.get(v, "?") for v in value if isinstance(v, int)) if isinstance(value, list) else ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def own_posts(session: FeedbackSession, participant: Participant | None) -> tuple[list, list]:
    """This participant's answers, as (item, answer) in running order, and their Q&A questions."""
    if participant is None:
        return [], []
    answers = db.session.execute(
        select(Item, Answer).join(Answer, Answer.item_id == Item.id)
        .where(Item.session_id == session.id, Answer.participant_id == participant.id)
        .order_by(Item.position, Item.id)).all()
    questions = db.session.execute(
        select(Item, QAQuestion).join(QAQuestion, QAQuestion.item_id == Item.id)
        .where(Item.session_id == session.id, QAQuestion.participant_id == participant.id)
        .order_by(Item.position, QAQuestion.id)).all()
    return answers, questions


def _own(session: FeedbackSession, participant: Participant | None, model, row_id: int):
    row = db.session.get(model, row_id) if 0 < row_id < 2**31 else None
    if row is None or participant is None or row.participant_id != participant.id \
            or db.session.get(Item, row.item_id).session_id != session.id:
        raise NotYours(row_id)
    return row


def delete_own_answer(session: FeedbackSession, participant: Participant | None, answer_id: int) -> None:
    """A participant deletes their answer for good, with the note that carried it to a wall; the
    presenter's results follow. :raise NotYours: not this participant's answer in this session."""
    answer = _own(session, participant, Answer, answer_id)
    removed = walls.remove_note(answer.wall_note_id) if answer.wall_note_id else None
    session_id = session.id
    db.session.delete(answer)
    db.session.commit()
    live.publish_counts(session_id)
    if removed is not None:
        walls.publish_removed(*removed)


def delete_own_question(session: FeedbackSession, participant: Participant | None, question_id: int) -> None:
    """A participant deletes their Q&A question for good, with its votes and the note that carried it
    to a wall. :raise NotYours: not this participant's question in this session."""
    question = _own(session, participant, QAQuestion, question_id)
    removed = walls.remove_note(question.wall_note_id) if question.wall_note_id else None
    db.session.delete(question)
    db.session.commit()
    live.publish(session)
    if removed is not None:
        walls.publish_removed(*removed)
