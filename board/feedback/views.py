"""Who may follow the feedback feature's live channels (registered in board/feedback/__init__.py),
its template globals, and what it lets other features check. The routes are in
participant_views.py (phones, no account) and facilitator_views.py (preparing, presenting,
results)."""
from flask import abort
from flask_login import current_user

from board.canvas import service as canvases
from board.feedback import access, bp, joining, lookups, results
from board.inputs import parse_id


# --- live channels ---------------------------------------------------------------------------

def _session_from_key(key: str):
    if parse_id(key) is None:
        abort(404)
    return lookups.presentable_session_or_404(parse_id(key))


def _authorize_join(key: str) -> None:
    """Participants of this session (by their cookie) and facilitators may follow it."""
    session = _session_from_key(key)
    if current_user.is_authenticated and current_user.is_facilitator:
        return
    if joining.find_participant(session, access.token(session)) is None:
        abort(403)


def _authorize_present(key: str) -> None:
    _session_from_key(key)
    if not current_user.is_authenticated:
        abort(401)
    if not current_user.is_facilitator:
        abort(403)


# Q&A lists are read by the templates themselves, so a live fragment and a page show the same list.
bp.add_app_template_global(results.qa_questions, "qa_questions")
# A canvas item on the phones: rendered by the canvas feature, read-only and live.
bp.add_app_template_global(canvases.render_canvas_readonly, "canvas_view")

