"""Account operations: creating users, logging in with throttling, memberships."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug import security

from board import audit
from board.auth import login_sessions, passwords
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
    """Set a new password; every login of the user ends, on every device."""
    if (why := passwords.problem(password)) is not None:
        raise AccountError(why)
    user.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
    login_sessions.end_all(user, commit=False)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """A user's own change of password: the current one must be right. Every login of the user
    ends (set_password); the caller starts a new one for the browser that made the change."""
    if not user.check_password(current):
        raise AccountError(_("Det nuvarande lösenordet stämmer inte."))
    set_password(user, new)


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
    failed_since: int = 0    # on success: wrong passwords given for the account since its last login
    last_failed_at: datetime | None = None  # ... and when the last of them came


def _key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back; they were stored as UTC.
    return value.replace(tzinfo=timezone.utc) if value and value.tzinfo is None else value


_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password made the way real ones are (PASSWORD_HASH_METHOD), checked when
    the e-mail is unknown, so that an unknown e-mail costs as much as a known one."""
    method = current_app.config.get("PASSWORD_HASH_METHOD") or "scrypt"
    if method not in _dummy_hashes:
        _dummy_hashes[method] = security.generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _dummy_hashes[method]


def _password_matches(user: User | None, password: str) -> bool:
    """Check the password with exactly one hash check whoever the user is: the user's own hash,
    else the dummy one (and an inactive user never gets in, however right the password)."""
    matches = security.check_password_hash(user.password_hash if user is not None else _dummy_hash(), password)
    return matches and user is not None and user.active


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


def _slowdown(failures: int, cfg) -> float:
    if failures <= cfg["LOGIN_SLOW_AFTER"]:
        return 0.0
    return min(cfg["LOGIN_MAX_DELAY"], cfg["LOGIN_SLOW_SECONDS"] * (failures - cfg["LOGIN_SLOW_AFTER"]))


def authenticate(email: str, password: str, address: str) -> LoginVerdict:
    """Check a login (OWASP's authentication guidance: lock out per account and address, only slow
    the account down, never lock its owner out from elsewhere).

    Failures are counted per account+address, per address, and per account from anywhere. After
    LOGIN_SLOW_AFTER failures each further wrong try is answered more slowly (up to LOGIN_MAX_DELAY
    seconds); the account-wide count slows a guesser spread over many addresses the same way. After
    LOGIN_MAX_FAILURES from one address for one account (or five times that from one address for
    any accounts) tries from that address are refused for LOGIN_LOCKOUT seconds without checking
    the password. The account itself is never refused: its owner gets in from their own address,
    with a count of the wrong passwords given since their last login.
    """
    cfg = current_app.config
    email = normalise_email(email)
    pair, site, account = _throttles([_key("acct", email, address), _key("addr", address), _key("account", email)])
    limits = ((pair, cfg["LOGIN_MAX_FAILURES"]), (site, cfg["LOGIN_MAX_FAILURES"] * 5))
    for row, _limit in limits:
        if row.locked_until and _aware(row.locked_until) > _now():
            db.session.rollback()
            return LoginVerdict(refused_for=int((_aware(row.locked_until) - _now()).total_seconds()) + 1)

    user = get_user_by_email(email)
    if _password_matches(user, password):
        verdict = LoginVerdict(user=user, failed_since=user.failed_logins or 0,
                               last_failed_at=_aware(user.last_failed_login_at))
        user.failed_logins, user.last_failed_login_at = 0, None
        db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == pair.key))
        db.session.commit()
        return verdict

    delay = 0.0
    for row, limit in limits:
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = _now() + timedelta(seconds=cfg["LOGIN_LOCKOUT"])
        else:
            delay = max(delay, _slowdown(row.failures, cfg))
    account.failures += 1
    delay = max(delay, _slowdown(account.failures, cfg))
    if user is not None:
        user.failed_logins = User.failed_logins + 1  # in SQL: two wrong tries at once both count
        user.last_failed_login_at = _now()
    db.session.commit()
    return LoginVerdict(delay=delay)
