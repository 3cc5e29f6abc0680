"""The audit log: entries are stored with the caller's change, and the database refuses to edit them."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from board import audit
from board.audit.models import AuditEntry
from board.extensions import db
from tests import factories


def _entries():
    """The entries, without those of the accounts the test made (creating an account is audited too)."""
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action != "user.create")
                                   .order_by(AuditEntry.id)))


def test_record_is_stored_with_the_callers_commit_and_not_without_it(app):
    user = factories.make_user(role="facilitator", name="Ada Exempel", email="ada@example.se")
    audit.record("wall.delete", "wall:3", "Raderade väggen 'Idéer'", actor=user, details={"notes": 4})
    db.session.rollback()
    assert _entries() == []

    audit.record("wall.delete", "wall:3", "Raderade väggen 'Idéer'", actor=user, details={"notes": 4})
    db.session.commit()
    [entry] = _entries()
    assert (entry.actor_id, entry.actor_label, entry.action, entry.target) == \
        (user.id, "Ada Exempel <ada@example.se>", "wall.delete", "wall:3")
    assert entry.details == {"notes": 4}
    assert entry.at is not None


def test_record_without_a_user_says_the_system_did_it(app):
    audit.record("session.erase", "session:1", "Raderade en session enligt gallringen")
    db.session.commit()
    [entry] = _entries()
    assert entry.actor_id is None
    assert entry.actor_label == "system (CLI)"


def _refused(statement: str, **params) -> None:
    with pytest.raises(DatabaseError) as raised:
        db.session.execute(text(statement), params)
        db.session.flush()
    db.session.rollback()
    assert "audit entries are never" in str(raised.value)


def test_the_database_refuses_to_edit_or_delete_an_entry(app):
    user = factories.make_user(role="facilitator")
    audit.record("user.role", f"user:{user.id}", "Gjorde någon till facilitator", actor=user)
    db.session.commit()
    entry_id = _entries()[0].id

    _refused("UPDATE audit_entry SET summary = 'något annat' WHERE id = :id", id=entry_id)
    _refused("UPDATE audit_entry SET actor_label = 'någon annan' WHERE id = :id", id=entry_id)
    # Clearing the actor is allowed only alone (that is what deleting the account does).
    _refused("UPDATE audit_entry SET actor_id = NULL, action = 'x' WHERE id = :id", id=entry_id)
    _refused("DELETE FROM audit_entry WHERE id = :id", id=entry_id)
    _refused("DELETE FROM audit_entry")

    [entry] = _entries()
    assert (entry.summary, entry.actor_id, entry.action) == ("Gjorde någon till facilitator", user.id, "user.role")


def test_an_orm_edit_is_refused_too(app):
    audit.record("note.delete", "note:44", "Raderade en lapp")
    db.session.commit()
    entry = _entries()[0]
    entry.summary = "Ingenting hände"
    with pytest.raises(DatabaseError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(_entries()[0])
    with pytest.raises(DatabaseError):
        db.session.commit()
    db.session.rollback()
    assert _entries()[0].summary == "Raderade en lapp"


def test_deleting_an_account_keeps_its_entries_with_the_label(app):
    user = factories.make_user(role="facilitator", name="Bo Exempel", email="bo@example.se")
    audit.record("canvas.lock", "canvas:5", "Låste kanvasen 'Karta'", actor=user)
    db.session.commit()
    db.session.execute(text('DELETE FROM "user" WHERE id = :id'), {"id": user.id})
    db.session.commit()
    db.session.expire_all()
    [entry] = _entries()
    assert entry.actor_id is None
    assert entry.actor_label == "Bo Exempel <bo@example.se>"
    assert entry.summary == "Låste kanvasen 'Karta'"
