"""Account operations: creating users, logging in with throttling, memberships."""
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from board import audit
from board.auth import passwords
from board.auth.models import ROLES, LoginThrottle, User
from board.extensions import db


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message is for the user."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, password: str, role: str = "member", name: str = "",
                organisation=None) -> User:
    """Create and commit a user. Raises AccountError for a bad role, short password or taken e-mail."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if (why := passwords.problem(password)) is not None:
        raise AccountError(why)
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("not an e-mail address")
    user = User(email=email, role=role, name=name.strip(), organisation=organisation)
    user.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
    db.session.add(user)
    try:
        db.session.flush()
        audit.record("user.create", f"user:{user.id}", f"Skapade kontot {email} med rollen {role}",
                     details={"role": role})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountError(f"a user with the e-mail {email} already exists") from None
    return user


def set_role(user: User, role: str, organisation=None) -> None:
    """Change a user's role (and organisation, for members)."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}")
    if user.role != role:
        audit.record("user.role", f"user:{user.id}", f"Ändrade rollen för {user.email} från {user.role} till {role}",
                     details={"from": user.role, "to": role})
    user.role = role
    if organisation is not None:
        user.organisation = organisation
    db.session.commit()


def set_password(user: User, password: str) -> None:
    """Set a new password; every other session of the user ends."""
    if (why := passwords.problem(password)) is not None:
        raise AccountError(why)
    user.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
    db.session.commit()


def add_to_arbetsgrupp(user: User, initiative) -> None:
    """Make the user a member of the initiative's working group."""
    if initiative not in user.initiatives:
        user.initiatives.append(initiative)
    db.session.commit()


# --- login throttling -------------------------------------------------------------------------

@dataclass
class LoginVerdict:
    user: User | None = None
    refused_for: int = 0     # seconds the caller must wait before any try is even checked
    delay: float = 0.0       # seconds to wait before answering (slows a burst down)


def _key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back; they were stored as UTC.
    return value.replace(tzinfo=timezone.utc) if value and value.tzinfo is None else value


def _throttles(keys: list[str]) -> list[LoginThrottle]:
    rows = {t.key: t for t in db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))}
    window = timedelta(seconds=current_app.config["LOGIN_WINDOW"])
    out = []
    for key in keys:
        row = rows.get(key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=_now())
            db.session.add(row)
        elif _aware(row.window_start) + window < _now() and not (
                row.locked_until and _aware(row.locked_until) > _now()):
            row.failures, row.window_start, row.locked_until = 0, _now(), None
        out.append(row)
    return out


def authenticate(email: str, password: str, address: str) -> LoginVerdict:
    """Check a login. Failures are counted per account+address and per address.

    After LOGIN_SLOW_AFTER failures each further try is answered more slowly; after
    LOGIN_MAX_FAILURES (account) or five times that (address) tries are refused for LOGIN_LOCKOUT
    seconds without even checking the password.
    """
    cfg = current_app.config
    email = normalise_email(email)
    account, site = _throttles([_key("acct", email, address), _key("addr", address)])
    limits = ((account, cfg["LOGIN_MAX_FAILURES"]), (site, cfg["LOGIN_MAX_FAILURES"] * 5))
    for row, _limit in limits:
        if row.locked_until and _aware(row.locked_until) > _now():
            db.session.rollback()
            return LoginVerdict(refused_for=int((_aware(row.locked_until) - _now()).total_seconds()) + 1)

    user = get_user_by_email(email)
    if user is not None and user.active and user.check_password(password):
        db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == account.key))
        db.session.commit()
        return LoginVerdict(user=user)

    delay = 0.0
    for row, limit in limits:
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = _now() + timedelta(seconds=cfg["LOGIN_LOCKOUT"])
        elif row.failures > cfg["LOGIN_SLOW_AFTER"]:
            delay = max(delay, min(5.0, cfg["LOGIN_SLOW_SECONDS"] * (row.failures - cfg["LOGIN_SLOW_AFTER"])))
    db.session.commit()
    return LoginVerdict(delay=delay)
