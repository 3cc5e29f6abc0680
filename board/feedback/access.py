"""Who answers in a session: anyone with the join code (a browser, by its cookie), or, when the
facilitator chose "Kräv inloggning", only logged-in accounts, one participant per account.

An account's participant is found again without storing the account: its token is an HMAC of the
session and the account under the server's SECRET_KEY, and only the sha256 of that token is stored
(as for a browser's cookie token). The database alone does not say which account answered what;
someone holding both the database and the secret key could work it out by trying every account,
which docs/data-protection.md states. Changing SECRET_KEY gives every account a new participant.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from sqlalchemy import select

from board import participants
from board.extensions import db, htmx
from board.feedback.models import FeedbackSession, Item, Participant


class LoginRequired(Exception):
    """This session only takes answers from logged-in accounts, and the visitor is not logged in."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def account_token(session_id: int, user_id: int) -> str:
    """The participant token of an account in a session that requires login (never sent to anyone)."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return "acct-" + hmac.new(key, f"feedback-session:{session_id}:account:{user_id}".encode(),
                              hashlib.sha256).hexdigest()


def token(session, user=None) -> str | None:
    """The token that finds this visitor's participant in `session`, or None if it has none yet:
    the account's token in a session that requires login, else the browser's cookie."""
    user = current_user if user is None else user
    if getattr(session, "require_login", False):
        return account_token(session.id, user.id) if user.is_authenticated else None
    return participants.current_token()


def joining_token(session) -> tuple[str, str | None]:
    """The token to join `session` with, and a new cookie token to set (None if none is needed).
    :raise LoginRequired: the session requires login and nobody is logged in."""
    if getattr(session, "require_login", False):
        if not current_user.is_authenticated:
            raise LoginRequired(session.code)
        return account_token(session.id, current_user.id), None
    return participants.browser_token()


def login_required_page(session_code: str, htmx: bool = False):
    """What a visitor who is not logged in gets from a session that requires login: a message and
    a link to log in that comes back to the session (a fragment for an htmx request)."""
    login_url = url_for("auth.login", next=url_for("feedback.participant", code=session_code))
    message = _("Den här sessionen kräver inloggning: varje konto svarar en gång.")
    template = "feedback/_login_required.html" if htmx else "feedback/login_required.html"
    return render_template(template, message=message, login_url=login_url), 401


def is_htmx() -> bool:
    return bool(htmx)


# --- walls and canvases a session shows --------------------------------------------------------

def may_post_on_wall(wall, token: str | None) -> bool:
    """Participants of a session that shows `wall` right now (or at all, when self-paced) post on it
    from their phones without an account."""
    return _shows(Item.wall_id == wall.id, token)


def may_follow_canvas(canvas, token: str | None) -> bool:
    """Participants of a session that shows `canvas` right now (or at all, when self-paced) follow
    it read-only on their phones."""
    return _shows(Item.canvas_id == canvas.id, token)


def _shows(this_item, token: str | None) -> bool:
    if not token:
        return False
    return db.session.scalar(
        select(Participant.id).join(FeedbackSession, Participant.session_id == FeedbackSession.id)
        .join(Item, Item.session_id == FeedbackSession.id)
        .where(Participant.token_hash == participants.token_hash(token), this_item,
               (FeedbackSession.pacing == "self") | (FeedbackSession.current_item_id == Item.id)).limit(1)) is not None
