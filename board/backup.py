"""Backups and restores of Tavlan's database (`flask --app wsgi backup`, `restore-backup`).

SQLite: an online, consistent copy through SQLite's backup API. It reads as one transaction, so it
works while the server runs and includes what is committed in the WAL file but not yet checkpointed;
the copy is a single file (journal_mode DELETE). PostgreSQL: `pg_dump --format=custom` with the
DATABASE_URL, the password passed in the environment (never on a command line that `ps` shows).

A backup holds personal data: files are written with mode 0600 into a directory of mode 0700, under
a temporary name that is renamed only once the copy is complete and checked.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from board.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore could not be made; the message says why (nothing was changed)."""


def backup(database_url: str, output_dir: str | Path, pg_bin: str | None = None) -> Path:
    """Write a backup of the database into `output_dir` and return its path."""
    url = make_url(database_url)
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if url.get_backend_name() == "sqlite":
        target = _unique(output / f"tavlan-{stamp}.sqlite3")
        _finish(target, lambda tmp: _sqlite_backup(_sqlite_path(url), tmp))
    elif url.get_backend_name() == "postgresql":
        target = _unique(output / f"tavlan-{stamp}.pgdump")
        _finish(target, lambda tmp: _run(_pg_tool("pg_dump", pg_bin), url,
                                         ["--format=custom", "--file", str(tmp)]))
    else:
        raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")
    return target


def restore(database_url: str, file: str | Path, pg_bin: str | None = None) -> None:
    """Replace the database's content with the backup in `file`. Stop the server first.

    :raise BackupError: the file is missing, not a backup, of the other kind of database, or the
        restore failed (SQLite: nothing changed; PostgreSQL: one transaction, rolled back).
    """
    url = make_url(database_url)
    path = Path(file)
    try:
        with open(path, "rb") as f:
            magic = f.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from None
    kind = "sqlite" if magic == SQLITE_MAGIC else "postgresql" if magic.startswith(PGDUMP_MAGIC) else None
    if kind is None:
        raise BackupError(f"{path} is not a Tavlan backup (neither a SQLite file nor a pg_dump custom-format file)")
    if kind != url.get_backend_name():
        raise BackupError(f"{path} is a {kind} backup, but the database (DATABASE_URL) is {url.get_backend_name()}")
    # Our own pooled connections would hold locks that the restore waits for.
    db.session.remove()
    db.engine.dispose()
    if kind == "sqlite":
        _sqlite_restore(path, _sqlite_path(url))
    else:
        _run(_pg_tool("pg_restore", pg_bin), url,
             ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", str(path)], dbname_flag=True)


# ---- SQLite ---------------------------------------------------------------------------------

def _sqlite_path(url) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return url.database


def _sqlite_backup(source: str, target: Path) -> None:
    if not os.path.exists(source):
        raise BackupError(f"no database file at {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step: one read transaction, a consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        _check(dst, target)
    finally:
        dst.close()
        src.close()


def _sqlite_restore(backup_file: Path, database: str) -> None:
    src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        _check(src, backup_file)
        tables = {row[0] for row in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"feedback_session", "wall"} <= tables:
            raise BackupError(f"{backup_file} is a SQLite file, but not a Tavlan database")
        dst = sqlite3.connect(database, timeout=30)
        try:
            src.backup(dst)  # page by page into the live file, as one write transaction
        finally:
            dst.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{backup_file} is not a usable SQLite backup: {error}") from None
    finally:
        src.close()


def _check(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {result}")


# ---- PostgreSQL -----------------------------------------------------------------------------

def _pg_tool(name: str, pg_bin: str | None) -> str:
    if pg_bin:
        path = os.path.join(pg_bin, name)
        if not os.access(path, os.X_OK):
            raise BackupError(f"no {name} in {pg_bin} (TAVLAN_PG_BIN)")
        return path
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found; install postgresql-client, or set TAVLAN_PG_BIN to its directory")
    return found


def _run(tool: str, url, args: list[str], dbname_flag: bool = False) -> None:
    """Run pg_dump/pg_restore against `url`; the password goes in PGPASSWORD, not in the arguments."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    # URL.set(password=None) would keep the password: build the libpq URI without it.
    target = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                        database=url.database, query=url.query).render_as_string(hide_password=False)
    result = subprocess.run([tool, "--dbname", target, *args], env=env, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{os.path.basename(tool)} failed (exit {result.returncode}): {result.stderr.strip()}")


# ---- Files ----------------------------------------------------------------------------------

def _unique(path: Path) -> Path:
    n = 1
    candidate = path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _finish(target: Path, write) -> None:
    """Write through a temporary file (mode 0600) that becomes `target` only when complete."""
    tmp = target.with_name(f".{target.name}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
