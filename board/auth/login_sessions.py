"""Logins that the server can end: a row per login, its random token in the session cookie.

The session cookie is Flask's signed cookie, which the server cannot take back: a copy saved
before logout would otherwise stay logged in. So a login also stores a random token in the cookie
and the token's SHA-256 hash in `login_session`; loading the user of a request is one indexed
lookup of that hash joined to the user (who is loaded anyway). Logout deletes the row, a new
password or "Logga ut överallt" deletes every row of the user: a replayed cookie then loads nobody.
Reasons, and why not a version number per user: docs/architecture.md, "Login sessions".
"""
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import delete, func, select

from board.auth.models import LoginSession, User
from board.extensions import db


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _oldest_alive() -> datetime:
    """A login lasts at most PERMANENT_SESSION_LIFETIME (12 h) after it began, even if its cookie
    is kept longer."""
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    seconds = lifetime.total_seconds() if isinstance(lifetime, timedelta) else float(lifetime)
    return _now() - timedelta(seconds=seconds)


def start(user: User) -> str:
    """Record a new login of `user` and return its token (for the session cookie). The user's
    logins that have run out are removed on the way."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                                  LoginSession.created_at < _oldest_alive()))
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token_hash=_hash(token), user_id=user.id, created_at=_now()))
    db.session.commit()
    return token


def load(user_id: int, token: str | None) -> User | None:
    """The user of a login still open, or None (logged out, ended everywhere, run out, or a token
    belonging to someone else)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(User).join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == _hash(token), User.id == user_id,
               LoginSession.created_at >= _oldest_alive()))


def end(token: str | None) -> None:
    """End one login (logout)."""
    if token:
        db.session.execute(delete(LoginSession).where(LoginSession.token_hash == _hash(token)))
        db.session.commit()


def end_all(user: User, commit: bool = True) -> int:
    """End every login of `user`, on every device. Returns how many there were."""
    ended = db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id)).rowcount
    if commit:
        db.session.commit()
    return ended or 0


def count(user: User) -> int:
    """How many logins of `user` are open."""
    return db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.created_at >= _oldest_alive())) or 0
