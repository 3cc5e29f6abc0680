"""The audit entry of a download: the one write a GET may do (docs/architecture.md, "A GET never
writes").

A facilitator downloading answers, notes or a canvas is an audited action (who took the data out,
when). Anyone else's download is not: a participant or an anonymous visitor who may see a canvas
may also download its SVG, and what anyone can trigger must not grow the log. A facilitator's
download is recorded once per facilitator, download and format within WINDOW: downloading again,
or a reload loop, adds nothing, so the log grows with what facilitators did, not with requests.
"""
from datetime import timedelta

from flask_login import current_user
from sqlalchemy import select

from board.audit.models import AuditEntry
from board.audit.service import record_now
from board.extensions import db
from board.models import utcnow

WINDOW = timedelta(minutes=15)


def record_download(action: str, target: str, summary: str, *, fmt: str) -> bool:
    """Record a facilitator's download of `target` as `fmt` (committed at once); nothing for anyone
    else, and nothing when the same facilitator downloaded the same thing within WINDOW.
    Returns whether an entry was added."""
    if not (current_user and current_user.is_authenticated and current_user.is_facilitator):
        return False
    recent = db.session.scalars(
        select(AuditEntry.details).where(AuditEntry.actor_id == current_user.id, AuditEntry.action == action,
                                         AuditEntry.target == target, AuditEntry.at >= utcnow() - WINDOW)
        .limit(50))
    if any((details or {}).get("format") == fmt for details in recent):
        return False
    record_now(action, target, summary, details={"format": fmt})
    return True
