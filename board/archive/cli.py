"""`flask --app wsgi restore FILE`: recreate a session, wall or canvas from an "export everything" file."""
import sys

import click
from flask_babel import force_locale

from board import uploads
from board.archive import documents
from board.archive.specs import document


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def restore(file: str):
    """Recreate a session, wall or canvas from its complete JSON export, as a NEW object (new ids,
    a new join code) with all content and history, in one transaction. Participants come back
    without tokens: their devices can no longer change anything. A bad file stores nothing."""
    with force_locale("sv"):
        try:
            raw = sys.stdin.buffer.read() if file == "-" else open(file, "rb").read()
        except OSError as error:
            raise click.ClickException(f"Kan inte läsa {file}: {error.strerror}") from None
        try:
            # No size limit here: the row bounds (archive/schema.py) still hold.
            data = uploads.read_json(raw, max_bytes=len(raw) + 1)
        except uploads.UploadError as error:
            problem = " ".join(error.errors)
            raise click.ClickException(f"{file}: {problem[:1].lower()}{problem[1:]} Inget sparades.") from None
        try:
            result = documents.restore(data)
        except documents.InvalidArchive as error:
            click.echo(f"{file}: kan inte återställas, inget sparades:", err=True)
            for line in error.errors:
                click.echo(f"  {line}", err=True)
            sys.exit(1)
        what = document(result.kind).noun
        click.echo(f"{what} ”{result.title}” återställd med id {result.id}"
                   + (f" och den nya koden {result.code}." if result.code else "."))
        for name, count in result.counts.items():
            click.echo(f"  {name}: {count}")
        if result.people:
            click.echo(f"  {result.people} deltagare/skribenter återställda utan token: deras enheter "
                       "kan inte längre ändra eller radera något.")
        for warning in result.warnings:
            click.echo(f"  Varning: {warning}")
