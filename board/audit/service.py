"""Record facilitator actions, and read them back for the audit page."""
import re
from datetime import date, datetime, time, timedelta, timezone

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import Select, or_, select

from board.audit.models import AuditEntry
from board.extensions import db

CLI_LABEL = "system (CLI)"
WEB_LABEL = "anonym besökare"
# Targets name the container first and what is in it after a slash: "wall:3/note:44".
_EXACT_TARGET = re.compile(r"[a-z_]+:\d+")


def actor_label(user) -> str:
    """The snapshot of who acted: name and e-mail, so the entry still says who after the account is gone."""
    if user is None:
        return WEB_LABEL if has_request_context() else CLI_LABEL
    name = (getattr(user, "name", "") or "").strip()
    email = getattr(user, "email", "") or ""
    return f"{name} <{email}>" if name else email


def _current_actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def record(action: str, target: str, summary: str, *, actor=None, details: dict | None = None) -> None:
    """Add an audit entry to the current database session, without committing.

    The caller's commit stores the action and its entry together, or neither. `actor` defaults to
    the logged-in user; without one the entry says "system (CLI)" (CLI, background jobs) or
    "anonym besökare" (a request without login). `target` names the container first and what is in
    it after a slash ("session:12", "wall:3/note:44"), so filtering on "session:12" finds both.
    `summary` is Swedish prose stored as it is (the log is a record, not an interface string).
    """
    if actor is None:
        actor = _current_actor()
    db.session.add(AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label(actor)[:400],
        action=action[:60],
        target=(target or "")[:120],
        summary=summary,
        details=details,
    ))


def record_now(action: str, target: str, summary: str, *, actor=None, details: dict | None = None) -> None:
    """Record and commit at once, for actions that change nothing else (a download, an export)."""
    record(action, target, summary, actor=actor, details=details)
    db.session.commit()


def entries(*, action: str | None = None, actor_id: int | None = None, target: str | None = None,
            since: date | None = None, until: date | None = None) -> Select:
    """Entries newest first, filtered; `until` includes the whole day."""
    statement = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        statement = statement.where(AuditEntry.action == action)
    if actor_id is not None:
        statement = statement.where(AuditEntry.actor_id == actor_id)
    if target:
        if _EXACT_TARGET.fullmatch(target):  # "session:12": that session and what is in it, not session:120
            statement = statement.where(or_(AuditEntry.target == target,
                                            AuditEntry.target.startswith(target + "/", autoescape=True)))
        else:
            statement = statement.where(AuditEntry.target.contains(target, autoescape=True))
    if since:
        statement = statement.where(AuditEntry.at >= datetime.combine(since, time.min, tzinfo=timezone.utc))
    if until and until < date.max:  # the last day has no next day to stop before
        statement = statement.where(
            AuditEntry.at < datetime.combine(until + timedelta(days=1), time.min, tzinfo=timezone.utc))
    return statement


def actions_in_use() -> list[str]:
    """Every action code that occurs in the log, for the filter's select."""
    return list(db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def actors_in_use() -> list[tuple[int, str]]:
    """(user id, latest label) of every account that has an entry, for the filter's select."""
    rows = db.session.execute(
        select(AuditEntry.actor_id, AuditEntry.actor_label)
        .where(AuditEntry.actor_id.is_not(None))
        .order_by(AuditEntry.actor_id, AuditEntry.id.desc())
    )
    seen: dict[int, str] = {}
    for actor_id, label in rows:
        seen.setdefault(actor_id, label)
    return sorted(seen.items(), key=lambda item: item[1].lower())
