"""The backup and restore procedure of docs/deployment.md, run for real: make content, back up, change
and destroy things, restore, and find the content as it was. On SQLite by default; on PostgreSQL (with
the test server's own pg_dump and pg_restore) when TEST_DATABASE_URL is set."""
import os
import sqlite3
import stat

import pytest
from sqlalchemy import func, select

from board import backup
from board.extensions import db
from board.feedback import service as feedback
from board.feedback.models import FeedbackSession
from board.walls import service as walls
from board.walls.models import Note, Wall

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


@pytest.fixture
def pg_bin(app):
    """The test PostgreSQL's own client programs (scripts/test-services.sh), as TAVLAN_PG_BIN."""
    app.config["PG_BIN"] = os.environ.get("TEST_PGBIN") if ON_POSTGRES else None


def make_content():
    session = feedback.create_session("Core Team 2024-11-22", pacing="self")
    feedback.save_item(session, {"kind": "open", "title": "Vad behöver initiativet tänka på framåt?"})
    wall = walls.create_wall("Portföljen inför 2025", ["Utmaningar"])
    walls.post_note(wall, "Fler mötesplatser på kvällstid", section=wall.sections[0])
    return session.id, wall.id


def snapshot():
    """What a facilitator would see: titles, items and notes."""
    db.session.remove()
    return {
        "sessions": sorted((s.title, [i.title for i in s.items]) for s in db.session.scalars(select(FeedbackSession))),
        "walls": sorted(w.title for w in db.session.scalars(select(Wall))),
        "notes": sorted(db.session.scalars(select(Note.text))),
    }


def test_a_backup_restores_what_was_there_after_changes_and_deletions(app, runner, tmp_path, pg_bin):
    session_id, wall_id = make_content()
    before = snapshot()

    result = runner.invoke(args=["backup", "--output", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    path = result.output.strip()
    assert os.path.dirname(path) == str(tmp_path / "backups")
    assert path.endswith(".pgdump" if ON_POSTGRES else ".sqlite3")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # it holds personal data
    assert os.listdir(tmp_path / "backups") == [os.path.basename(path)]  # no partial file left

    # Something goes badly wrong: a session is deleted, a wall renamed, its notes gone, a stray session added.
    db.session.delete(db.session.get(FeedbackSession, session_id))
    db.session.get(Wall, wall_id).title = "Fel titel"
    db.session.execute(Note.__table__.delete())
    db.session.commit()
    feedback.create_session("Ska försvinna")
    assert snapshot() != before

    result = runner.invoke(args=["restore-backup", path, "--yes"])
    assert result.exit_code == 0, result.output
    assert f"Restored {path}" in result.output
    assert snapshot() == before
    # The restored database takes new writes as before (sequences came back too).
    feedback.create_session("Efter återställningen")
    assert db.session.scalar(select(func.count()).select_from(FeedbackSession)) == 2


def test_restore_asks_first_and_changes_nothing_when_the_answer_is_no(app, runner, tmp_path, pg_bin):
    make_content()
    path = runner.invoke(args=["backup", "--output", str(tmp_path)]).output.strip()
    feedback.create_session("Ny session efter backupen")
    before = snapshot()
    result = runner.invoke(args=["restore-backup", path], input="n\n")
    assert result.exit_code == 1 and "Replace everything in the database" in result.output
    assert snapshot() == before


@pytest.mark.parametrize("content, message", [
    (b"not a backup at all", "is not a Tavlan backup"),
    (b"SQLite format 3\x00" + b"\x00" * 200, "SQLite"),
    (b"PGDMP\x01\x0e\x00", "PGDMP"),
])
def test_a_wrong_file_is_refused_and_nothing_changes(app, runner, tmp_path, pg_bin, content, message):
    make_content()
    before = snapshot()
    bad = tmp_path / "bad.backup"
    bad.write_bytes(content)
    result = runner.invoke(args=["restore-backup", str(bad), "--yes"])
    assert result.exit_code == 1
    if message == "PGDMP":
        # A truncated dump: on PostgreSQL pg_restore refuses it; on SQLite it is the wrong kind.
        assert ("pg_restore failed" if ON_POSTGRES else "is a postgresql backup") in result.output
    elif message == "SQLite":
        assert ("is a sqlite backup" if ON_POSTGRES else "SQLite") in result.output
    else:
        assert message in result.output
    assert snapshot() == before


def test_a_missing_backup_file_is_a_clear_error(app, runner, tmp_path):
    result = runner.invoke(args=["restore-backup", str(tmp_path / "nope.sqlite3"), "--yes"])
    assert result.exit_code == 1 and "cannot read" in result.output


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite backup API; pg_dump takes its own snapshot")
def test_sqlite_backup_is_consistent_while_a_writer_is_busy_and_includes_the_wal(app, runner, tmp_path):
    session_id, _wall_id = make_content()
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")  # committed pages stay in the -wal file
        writer.execute("UPDATE feedback_session SET title = 'Bekräftad i WAL' WHERE id = ?", (session_id,))
        writer.execute("BEGIN IMMEDIATE")  # the server is in the middle of a write
        writer.execute("UPDATE feedback_session SET title = 'Ej bekräftad' WHERE id = ?", (session_id,))
        assert os.path.getsize(database + "-wal") > 0
        result = runner.invoke(args=["backup", "--output", str(tmp_path)])
        assert result.exit_code == 0, result.output
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    copy = sqlite3.connect(result.output.strip())
    try:
        assert copy.execute("SELECT title FROM feedback_session").fetchall() == [("Bekräftad i WAL",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    finally:
        copy.close()


def test_backup_of_an_unsupported_database_is_refused(tmp_path):
    with pytest.raises(backup.BackupError, match="mysql"):
        backup.backup("mysql://u@localhost/tavlan", tmp_path)
    with pytest.raises(backup.BackupError, match="in-memory"):
        backup.backup("sqlite://", tmp_path)


@pytest.mark.skipif(not ON_POSTGRES, reason="needs TEST_DATABASE_URL")
def test_pg_dump_gets_the_password_from_the_environment_not_the_command_line(app, runner, tmp_path, pg_bin,
                                                                           monkeypatch):
    seen = {}
    real_run = backup.subprocess.run

    def spy(args, **kw):
        seen["args"], seen["env"] = args, kw.get("env", {})
        return real_run(args, **kw)

    monkeypatch.setattr(backup.subprocess, "run", spy)
    result = runner.invoke(args=["backup", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    password = db.engine.url.password
    target = seen["args"][seen["args"].index("--dbname") + 1]
    assert target.startswith("postgresql://") and f":{password}@" not in target and "@" in target
    assert seen["env"]["PGPASSWORD"] == password
