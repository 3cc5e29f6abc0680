"""What a feedback URL names, for views (this feature's and the privacy pages'): the services
find it or say None, and here that becomes the 404 the visitor gets."""
from flask import abort

from board.feedback import answers, mine, qa, sessions
from board.web import or_404


def session_or_404(session_id: int):
    return or_404(sessions.find_session(session_id))


def presentable_session_or_404(session_id: int):
    """A session that is not a template (those are never presented nor followed live)."""
    return or_404(sessions.find_presentable_session(session_id))


def session_by_code_or_404(code: str):
    return or_404(sessions.find_session_by_code(code))


def item_or_404(session, item_id: int):
    return or_404(sessions.find_item(session, item_id))


def answerable_item_or_404(code: str, item_id: int) -> answers.AnswerableItem:
    return or_404(answers.find_answerable_item(code, item_id))


def qa_question_or_404(session, question_id: int):
    return or_404(qa.find_qa_question(session, question_id))


def delete_own_answer_or_404(session, participant, answer_id: int) -> None:
    try:
        mine.delete_own_answer(session, participant, answer_id)
    except mine.NotYours:
        abort(404)


def delete_own_question_or_404(session, participant, question_id: int) -> None:
    try:
        mine.delete_own_question(session, participant, question_id)
    except mine.NotYours:
        abort(404)
