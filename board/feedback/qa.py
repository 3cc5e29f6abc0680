"""Q&A items: participants ask (anonymously) and upvote each other's questions once each."""
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from board.extensions import db
from board.feedback import live, towall, wordfilter
from board.feedback.answers import AnswerError, can_answer
from board.feedback.models import FeedbackSession, Item, Participant, QAQuestion, QAVote
from board.walls import service as walls

MAX_QUESTION = 300


def find_qa_question(session: FeedbackSession, question_id: int) -> QAQuestion | None:
    """The Q&A question `question_id` asked in `session`."""
    question = db.session.get(QAQuestion, question_id) if 0 < question_id < 2**31 else None
    if question is None or db.session.get(Item, question.item_id).session_id != session.id:
        return None
    return question


def ask(session: FeedbackSession, item: Item, participant: Participant, text: str) -> QAQuestion:
    """A participant asks a question; it shows at once unless the item wants approval first."""
    if item.kind != "qa" or not can_answer(session, item):
        raise AnswerError(_("Frågan är stängd för svar just nu."))
    text = " ".join(text.split())
    if not text:
        raise AnswerError(_("Skriv din fråga."))
    if len(text) > MAX_QUESTION:
        raise AnswerError(_("Frågan får vara högst %(n)s tecken.", n=MAX_QUESTION))
    held = session.word_filter and wordfilter.flagged(text)
    wall = towall.wall_of(item)
    question = QAQuestion(item_id=item.id, participant_id=participant.id, text=text, held=held,
                          approved=not (item.settings.get("moderated") or held))
    db.session.add(question)
    note = towall.carry(wall, question, text, session, item, participant) if wall is not None else None
    db.session.commit()
    live.publish(session)
    if note is not None:
        walls.publish_note(note)
    return question


def upvote(session: FeedbackSession, question: QAQuestion, participant: Participant) -> None:
    """Everyone upvotes a question at most once; a second tap changes nothing. Only a question the
    room is shown (approved, not hidden) of a Q&A item open for answers.
    :raise AnswerError: the item is locked or not on screen, or the question is not shown."""
    if not can_answer(session, db.session.get(Item, question.item_id)):
        raise AnswerError(_("Frågestunden är stängd för röster just nu."))
    if question.hidden or question.held or not question.approved:
        raise AnswerError(_("Den här frågan visas inte för rummet och kan inte röstas upp."))
    try:
        with db.session.begin_nested():
            db.session.add(QAVote(question_id=question.id, participant_id=participant.id))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return
    live.publish(session)
