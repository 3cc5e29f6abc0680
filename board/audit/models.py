"""The audit log: one row per facilitator action (who, what, when). Rows are never edited.

The database itself refuses UPDATE and DELETE on `audit_entry` (triggers below, installed both by
migration 0010 and, for the test suite's `create_all`, by the `after_create` events). One update is
allowed: setting `actor_id` to NULL and nothing else, which is what `ON DELETE SET NULL` does when
an account is deleted; `actor_label` keeps the name and e-mail so the entry still says who.

Emptying the table is possible only around the triggers: PostgreSQL's TRUNCATE fires no row
triggers (only the table owner may run it; the test suite truncates between tests), and on SQLite
the test suite drops the trigger, deletes and recreates it (`tests/conftest.py`). Production code
has no path that does either.
"""
from datetime import datetime

from sqlalchemy import JSON, DDL, DateTime, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from board.extensions import db
from board.models import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(120), default="")
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)


# --- the guard -------------------------------------------------------------------------------
# SQLite: a trigger body may only name its own database, so there is no switch a connection could
# flip; the guard is either there or not. The SET NULL exception lists every column: a new column
# must be added here and in a migration that recreates the trigger.
SQLITE_GUARD = (
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
WHEN NOT (NEW.actor_id IS NULL AND NEW.id IS OLD.id AND NEW.at IS OLD.at
          AND NEW.actor_label IS OLD.actor_label AND NEW.action IS OLD.action
          AND NEW.target IS OLD.target AND NEW.summary IS OLD.summary AND NEW.details IS OLD.details)
BEGIN SELECT RAISE(ABORT, 'audit entries are never edited'); END""",
    """CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
BEGIN SELECT RAISE(ABORT, 'audit entries are never deleted'); END""",
)
SQLITE_UNGUARD = (
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
)

# PostgreSQL: one function for both triggers; the comparison as jsonb without actor_id covers
# every column, present and future.
POSTGRES_GUARD = (
    """CREATE OR REPLACE FUNCTION audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- ON DELETE SET NULL of the account: the label keeps who it was
    END IF;
    RAISE EXCEPTION 'audit entries are never edited or deleted' USING ERRCODE = 'insufficient_privilege';
END $$""",
    """CREATE TRIGGER audit_entry_guard BEFORE UPDATE OR DELETE ON audit_entry
FOR EACH ROW EXECUTE FUNCTION audit_entry_guard()""",
)
POSTGRES_UNGUARD = (
    "DROP TRIGGER IF EXISTS audit_entry_guard ON audit_entry",
    "DROP FUNCTION IF EXISTS audit_entry_guard()",
)

for _statement in SQLITE_GUARD:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_GUARD:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
