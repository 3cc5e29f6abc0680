"""Migration 0010 installs the same guard as create_all: a database built by migrations refuses to
edit or delete audit entries too, and downgrading removes it cleanly."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from board.extensions import db
from tests.test_migrations import empty_app  # noqa: F401  (the fixture)


def _run(connection_sql: str, **params):
    with db.engine.begin() as connection:
        connection.execute(text(connection_sql), params)


def test_a_migrated_database_refuses_to_edit_or_delete_audit_entries(empty_app):  # noqa: F811
    upgrade(revision="0010")
    _run('INSERT INTO "user" (email, name, password_hash, role, active, auth_stamp, created_at, updated_at) '
         "VALUES ('a@example.se', 'Ada', 'x', 'facilitator', true, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
    _run("INSERT INTO audit_entry (at, actor_id, actor_label, action, target, summary) "
         "SELECT CURRENT_TIMESTAMP, id, 'Ada <a@example.se>', 'user.role', 'user:1', 'Ändrade en roll' FROM \"user\"")
    for statement in ("UPDATE audit_entry SET summary = 'annat'", "DELETE FROM audit_entry"):
        with pytest.raises(DatabaseError, match="audit entries are never"):
            _run(statement)
    _run('DELETE FROM "user"')  # ON DELETE SET NULL is the one update allowed
    with db.engine.connect() as connection:
        row = connection.execute(text("SELECT actor_id, actor_label, summary FROM audit_entry")).one()
    assert tuple(row) == (None, "Ada <a@example.se>", "Ändrade en roll")

    downgrade(revision="0009")
    assert "audit_entry" not in inspect(db.engine).get_table_names()
    upgrade(revision="0010")
    assert "audit_entry" in inspect(db.engine).get_table_names()
