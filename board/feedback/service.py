"""The feedback feature's entry points for other features, seeds, benches and tests, under the
names they have always imported. Nothing is implemented here; each name comes from the module
that owns it:

- sessions.py: finding sessions and items, the running order, the presenter moving through it;
- joining.py: participants; answers.py: the answer hot path and decision rounds; qa.py: Q&A;
- moderation.py: hiding and releasing answers, moderating questions; towall.py: notes on walls;
- mine.py: a participant's own posts; initiatives.py: the initiative page's section;
- live.py: what is rendered and published after a commit; lookups.py: the views' 404s.
"""
from board.feedback import answers as _answers
from board.feedback.answers import AnswerError, can_answer, decide, own_answer, own_decision, parse_answer
from board.feedback.initiatives import items_for_initiative, render_initiative_feedback
from board.feedback.joining import find_participant, is_open, join, participant_id, set_identity
from board.feedback.live import publish, publish_counts, render_participant_item, render_stage, stage_context
from board.feedback.lookups import (delete_own_answer_or_404 as delete_own_answer,
                                    delete_own_question_or_404 as delete_own_question,
                                    session_by_code_or_404 as get_session_by_code_or_404,
                                    session_or_404 as get_session_or_404)
from board.feedback.mine import describe_answer, own_posts
from board.feedback.models import FeedbackSession
from board.feedback.moderation import hide_answer, moderate, release_answer
from board.feedback.qa import ask, upvote
from board.feedback.sessions import (create_session, delete_item, go_to, move_item, normalise_code,
                                     save_item, save_with_fresh_code, sessions_query, step, toggle_lock,
                                     toggle_results, update_session)

__all__ = [
    "AnswerError", "FeedbackSession", "answer", "ask", "can_answer", "create_session", "decide", "delete_item", "delete_own_answer",
    "delete_own_question", "describe_answer", "find_participant", "get_session_by_code_or_404",
    "get_session_or_404", "go_to", "hide_answer", "is_open", "items_for_initiative", "join", "moderate",
    "move_item", "normalise_code", "own_answer", "own_decision", "own_posts", "parse_answer", "participant_id",
    "publish", "publish_counts", "release_answer", "render_initiative_feedback", "render_participant_item",
    "render_stage", "save_item", "save_with_fresh_code", "sessions_query", "set_identity", "stage_context",
    "step", "toggle_lock", "toggle_results", "update_session", "upvote",
]


def answer(session, item, participant_id: int, value) -> int:
    """Answer `item` of `session` (ORM objects, as a seed or a test holds them) through the answer
    path, with the item read as the plain row that path uses."""
    found = _answers.find_answerable_item(session.code, item.id) if item.session_id == session.id else None
    if found is None:
        raise AnswerError("not an item of a session that takes answers")
    return _answers.answer(found, participant_id, value)
