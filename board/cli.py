"""Flask CLI commands: `flask --app wsgi portfolio import FILE`, `sessions import FILE`, `users create EMAIL`,
`seed-demo`.

Commands are thin: parse the arguments, call a service, echo the result.
"""
import json
import os
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from board.auth import service as accounts
from board.auth.models import ROLES, User
from board.canvas import service as canvases
from board.extensions import db
from board.feedback import transfer
from board.feedback.models import FeedbackSession
from board.gdpr import retention
from board.portfolio import importer
from board.portfolio import service as portfolio
from board.portfolio.models import Organisation
from board.walls import service as walls

DEMO_DATA = Path(__file__).parent / "data" / "portfolio-2024-07.json"
DEMO_EMAIL = "facilitator@tavlan.example"
DEMO_WALL = "Portföljen inför 2025"

portfolio_cli = AppGroup("portfolio", help="Import and export the portfolio (JSON).")
sessions_cli = AppGroup("sessions", help="Import and export feedback sessions' running orders (JSON).")
users_cli = AppGroup("users", help="Manage accounts.")
retention_cli = AppGroup("retention", help="Anonymise or delete sessions and walls whose retention period is over.")


def _load_json(path: str):
    """A JSON file read as every upload is (board/uploads.py: size, nesting and numbers bounded)."""
    try:
        with open(path, "rb") as f:
            return importer.load(f.read())
    except FileNotFoundError:
        raise click.ClickException(f"no such file: {path}") from None
    except importer.InvalidPortfolio as error:
        raise click.ClickException(f"{path} is not valid JSON: {' '.join(error.errors)}") from None


def _refuse(file: str, problems: list[str]):
    """List every problem of an import file and stop with exit status 1 (nothing was written)."""
    click.echo(f"{file}: {len(problems)} problem(s), nothing was imported:", err=True)
    for line in problems:
        click.echo(f"  {line}", err=True)
    sys.exit(1)


@portfolio_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def portfolio_import(file: str):
    """Import a portfolio JSON file. Validates all of it first; running it twice changes nothing."""
    try:
        summary = importer.import_portfolio(_load_json(file))
    except importer.InvalidPortfolio as error:
        _refuse(file, error.errors)
    if not summary.changed:
        click.echo("Imported: nothing changed.")
    for line in summary.lines():
        click.echo(f"  {line}")


@portfolio_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def portfolio_export(file: str):
    """Export the portfolio as JSON (the import format). FILE may be - for standard output."""
    text = json.dumps(importer.export_portfolio(), ensure_ascii=False, indent=2) + "\n"
    if file == "-":
        click.echo(text, nl=False)
    else:
        Path(file).write_text(text, encoding="utf-8")
        click.echo(f"Exported to {file}")


@sessions_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def sessions_import(file: str):
    """Create a session from a JSON file and print its join code. Validates all of it first."""
    # Outside a request there is no chosen language; the problems are told in the site's default.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            session = transfer.import_session(_load_json(file))
        except transfer.InvalidSession as error:
            _refuse(file, error.errors)
    click.echo(f"Imported session {session.id} ({session.title}) with join code {session.code}")


@sessions_cli.command("export")
@click.argument("session_id", metavar="ID", type=int)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def sessions_export(session_id: int, file: str):
    """Export a session's running order as JSON (no answers). FILE may be - for standard output."""
    session = db.session.get(FeedbackSession, session_id)
    if session is None:
        raise click.ClickException(f"no session {session_id}")
    text = json.dumps(transfer.export_session(session), ensure_ascii=False, indent=2) + "\n"
    if file == "-":
        click.echo(text, nl=False)
    else:
        Path(file).write_text(text, encoding="utf-8")
        click.echo(f"Exported to {file}")


def _read_password(prompt: bool) -> str:
    if sys.stdin.isatty() and prompt:
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline()
    return line.rstrip("\n")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@click.option("--name", default="", help="Display name.")
@click.option("--organisation", "org_key", default=None, help="Organisation key, e.g. vasteras (members).")
def users_create(email: str, role: str, name: str, org_key: str | None):
    """Create an account. The password is asked for, or read from standard input."""
    organisation = None
    if org_key:
        organisation = db.session.scalar(select(Organisation).where(Organisation.key == org_key))
        if organisation is None:
            raise click.ClickException(f"unknown organisation {org_key!r}")
    try:
        user = accounts.create_user(email, _read_password(True), role=role, name=name, organisation=organisation)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.email}")


@users_cli.command("list")
def users_list():
    """List accounts with their role, organisation and working groups."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        groups = ", ".join(i.key for i in user.initiatives)
        org = user.organisation.key if user.organisation else "-"
        click.echo(f"{user.email}\t{user.role}\t{org}\t{groups}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def users_set_role(email: str, role: str):
    """Change a user's role."""
    user = accounts.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user {email}")
    accounts.set_role(user, role)
    click.echo(f"{user.email} is now {role}")


@users_cli.command("set-password")
@click.argument("email")
def users_set_password(email: str):
    """Set a new password (asked for, or read from standard input); other sessions end."""
    user = accounts.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user {email}")
    try:
        accounts.set_password(user, _read_password(True))
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Password changed for {user.email}")


@users_cli.command("add-to-arbetsgrupp")
@click.argument("email")
@click.argument("initiative_key")
def users_add_to_arbetsgrupp(email: str, initiative_key: str):
    """Make a user a member of an initiative's working group (arbetsgrupp)."""
    user = accounts.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user {email}")
    initiative = db.session.scalar(select(portfolio.Initiative).where(portfolio.Initiative.key == initiative_key))
    if initiative is None:
        raise click.ClickException(f"no initiative {initiative_key}")
    accounts.add_to_arbetsgrupp(user, initiative)
    click.echo(f"{user.email} is in the arbetsgrupp of {initiative.name}")


@click.command("seed-demo")
def seed_demo():
    """Load the demo portfolio if the database is empty and make sure a facilitator exists."""
    if portfolio.count_initiatives() == 0:
        summary = importer.import_portfolio(json.loads(DEMO_DATA.read_text(encoding="utf-8")))
        click.echo("Loaded the demo portfolio: " + "; ".join(summary.lines()))
    _seed_walls()
    canvases.ensure_demo_canvases()
    credentials = Path(current_app.instance_path) / "demo-login.txt"
    if db.session.scalar(select(User).where(User.role == "facilitator")) is None:
        password = secrets.token_urlsafe(12)
        accounts.create_user(DEMO_EMAIL, password, role="facilitator", name="Demo Facilitator")
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{DEMO_EMAIL}\n{password}\n")
    if credentials.exists():
        email, password = credentials.read_text().split("\n")[:2]
        click.echo(f"Log in as {email} with the password {password}")
        click.echo(f"(kept in {credentials}; change it with: flask --app wsgi users set-password {email})")
    else:
        click.echo("A facilitator account already exists; create more with: flask --app wsgi users create EMAIL")


def _seed_walls() -> None:
    """The portfolio wall "Portföljen inför 2025" (a section per reflection question) and a wall
    per initiative; existing walls are left as they are."""
    info = portfolio.portfolio_info()
    questions = list(info.reflection_questions or []) if info else []
    walls.ensure_portfolio_wall(DEMO_WALL, questions)
    for initiative in db.session.scalars(portfolio.initiatives_query()).all():
        walls.wall_for_initiative(initiative)


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; change nothing.")
def retention_run(dry_run: bool):
    """Anonymise or delete every session and wall whose retention period is over, as its facilitator
    chose; one line each and a total. Idempotent and without prompts: safe to run from cron (exit 1
    only when one of them failed; the others are done)."""
    outcomes, failed = [], 0
    for kind, thing in retention.expired():
        label = f"{kind} {thing.id}"
        try:
            outcome = retention.apply(kind, thing, dry_run=dry_run)
        except Exception as error:  # noqa: BLE001  the others still run; cron sees the exit status
            db.session.rollback()
            failed += 1
            click.echo(f"FEL: {label}: {error}", err=True)
            continue
        outcomes.append(outcome)
        click.echo(("(torrkörning) " if dry_run else "") + outcome.line())
    if not outcomes and not failed:
        click.echo("Inget har passerat sin gallringstid: inget togs bort.")
        return
    sessions = sum(1 for o in outcomes if o.kind == "session")
    walls_ = len(outcomes) - sessions
    click.echo(f"Totalt: {sessions} {'session' if sessions == 1 else 'sessioner'} och "
               f"{walls_} {'vägg' if walls_ == 1 else 'väggar'} "
               f"{'skulle gallras' if dry_run else 'gallrade'} ({sum(o.removed for o in outcomes)} uppgifter)."
               + (" Inget ändrades (--dry-run)." if dry_run else ""))
    if failed:
        click.echo(f"{failed} misslyckades; se raderna som börjar med FEL.", err=True)
        sys.exit(1)


@click.command("backup")
@click.option("--output", "output", type=click.Path(file_okay=False), default=None,
              help="Directory for the backup file (default: TAVLAN_BACKUP_DIR, else instance/backups).")
def backup_command(output: str | None):
    """Back up the database while the server runs: SQLite with its backup API, PostgreSQL with
    pg_dump (custom format). Prints the path of the file written (mode 0600: it holds personal data)."""
    from board import backup

    config = current_app.config
    try:
        path = backup.backup(config["SQLALCHEMY_DATABASE_URI"], output or config["BACKUP_DIR"], config.get("PG_BIN"))
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(str(path))


@click.command("restore-backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_backup_command(file: str, yes: bool):
    """Replace ALL content of the database with a backup made by `backup`. Stop the server first
    (systemctl stop tavlan), restore, run `db upgrade`, start it again (docs/deployment.md)."""
    from board import backup

    config = current_app.config
    if not yes:
        click.confirm(f"Replace everything in the database with {file}?", abort=True)
    try:
        backup.restore(config["SQLALCHEMY_DATABASE_URI"], file, config.get("PG_BIN"))
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {file}. Next: flask --app wsgi db upgrade (if the backup is older than this version).")


def init_app(app: Flask) -> None:
    app.cli.add_command(portfolio_cli)
    app.cli.add_command(sessions_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_backup_command)
    from board.archive.cli import restore

    app.cli.add_command(restore)
