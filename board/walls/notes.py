"""Notes on a wall: posting them (and replies, one level), editing and deleting them, hiding them,
the notes feedback sessions carry to a wall, and an author's erasing of their own.

Every change commits, then publishes the note (board/walls/live.py).
"""
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete

from board import audit
from board.extensions import db
from board.forms import clean_text
from board.models import utcnow
from board.participants import token_hash
from board.walls import visibility
from board.walls.live import publish, publish_note, publish_removed
from board.walls.models import AUTHOR_ORGS, COLOURS, SOURCE_KINDS, Note, Section, Wall, WallLog
from board.walls.rules import (MAX_NAME, MAX_NOTE, MAX_REASON, WallError, checked_text, in_edit_window, locked,
                               user_id)
from board.walls.visibility import is_author, is_member

def _note_text(text: str | None) -> str:
    return checked_text(text, MAX_NOTE, _("Skriv något på lappen."),
                        _("En lapp får vara högst %(n)s tecken.", n=MAX_NOTE))


def post_note(wall: Wall, text: str, *, section: Section | None = None, author_name: str | None = None,
              author_org: str | None = None, colour: str | None = None, source_kind: str = "wall",
              source_session_id: int | None = None, source_label: str | None = None,
              source_date: date | None = None, token: str | None = None, user=None,
              parent: Note | None = None) -> Note:
    """Put a note on the wall (or, with `parent`, a reply under one) and show it to everyone.

    `token` is the poster's raw participant token (only its hash is stored); `user` a logged-in
    member. Feedback sends notes with source_kind="session", the session's id, a label (session
    title and question) and date; those arrive even on a locked wall.
    :raise WallError: empty or too long text, unknown organisation or colour, a locked wall.
    """
    if source_kind not in SOURCE_KINDS:
        raise ValueError(source_kind)
    if wall.locked and source_kind == "wall":
        raise locked()
    text = _note_text(text)
    author_name = clean_text(author_name or "")
    if len(author_name) > MAX_NAME:
        raise WallError(_("Namnet får vara högst %(n)s tecken.", n=MAX_NAME))
    author_org = author_org or ""
    if author_org and author_org not in AUTHOR_ORGS:
        raise WallError(_("Välj en organisation i listan."))
    colour = colour or COLOURS[0]
    if colour not in COLOURS:
        raise WallError(_("Välj en färg i listan."))
    if parent is not None:
        if not visibility.may_see(parent, wall, user, token):  # gone, or waiting to be revealed
            raise WallError(_("Lappen du svarar på finns inte längre."))
        parent = db.session.get(Note, parent.parent_id) if parent.parent_id else parent  # one level
        section = parent.section
    elif section is None:
        section = wall.sections[-1] if wall.sections else None
    elif section.wall_id != wall.id:
        raise WallError(_("Välj en sektion på den här väggen."))
    note = Note(wall_id=wall.id, section=section, parent_id=parent.id if parent else None, text=text,
                author_name=author_name, author_org=author_org, colour=colour,
                author_token_hash=token_hash(token) if token and not is_member(user) else None,
                user_id=user_id(user), source_kind=source_kind, source_session_id=source_session_id,
                source_label=(source_label or "")[:500], source_date=source_date,
                revealed=not (wall.notes_hidden and parent is None and source_kind == "wall"))
    db.session.add(note)
    db.session.commit()
    publish_note(note)
    return note


def edit_note(note: Note, text: str, *, token: str | None = None, user=None) -> None:
    """The author changes their note within ten minutes of posting it.
    :raise WallError: not theirs, too late, locked wall, bad text."""
    if not is_author(note, user, token):
        raise WallError(_("Du kan bara ändra dina egna lappar."))
    if not in_edit_window(note):
        raise WallError(_("En lapp kan ändras i tio minuter efter att den sattes upp."))
    wall = db.session.get(Wall, note.wall_id)
    if wall.locked:
        raise locked()
    note.text = _note_text(text)
    note.edited_at = utcnow()
    db.session.commit()
    publish_note(note)


def _what(note: Note) -> str:
    return "ett svar på en lapp" if note.parent_id else "en lapp"


def delete_note(note: Note, *, token: str | None = None, user=None, reason: str = "") -> None:
    """Take a note (and its replies) off the wall: the author within ten minutes, a facilitator at
    any time. It is kept, marked with who deleted it, when and why, and the step is logged.
    :raise WallError: not allowed."""
    wall = db.session.get(Wall, note.wall_id)
    facilitator = is_member(user) and user.is_facilitator
    if not facilitator:
        if not is_author(note, user, token):
            raise WallError(_("Du kan bara ta bort dina egna lappar."))
        if not in_edit_window(note):
            raise WallError(_("En lapp kan tas bort i tio minuter efter att den sattes upp."))
    note.deleted_at = utcnow()
    note.deleted_by_id = user_id(user)
    note.deleted_reason = clean_text(reason or "")[:MAX_REASON]
    log(note, user, "delete", note.deleted_reason)
    if facilitator and not is_author(note, user, token):
        audit.record("reply.delete" if note.parent_id else "note.delete", f"wall:{wall.id}/note:{note.id}",
                     f"Tog bort {_what(note)} på väggen '{wall.title}'"
                     + (f": {note.deleted_reason}" if note.deleted_reason else ""), actor=user)
    db.session.commit()
    publish_note(note)


def hide_note(note: Note, user, reason: str = "", hidden: bool = True) -> None:
    """A moderator hides a note from the wall (kept, with who and why), or shows it again; logged."""
    note.hidden = hidden
    note.hidden_by_id = user.id if hidden else None
    note.hidden_reason = clean_text(reason or "")[:MAX_REASON] if hidden else ""
    log(note, user, "hide" if hidden else "unhide", note.hidden_reason)
    wall = db.session.get(Wall, note.wall_id)
    kind = "reply" if note.parent_id else "note"
    audit.record(f"{kind}.{'hide' if hidden else 'show'}", f"wall:{wall.id}/note:{note.id}",
                 f"{'Dolde' if hidden else 'Visade igen'} {_what(note)} på väggen '{wall.title}'"
                 + (f": {note.hidden_reason}" if note.hidden_reason else ""), actor=user)
    db.session.commit()
    if hidden:
        publish_note(note)
    else:  # back in its place among the others (an appended note would stand last)
        publish(db.session.get(Wall, note.wall_id))


def log(note: Note, user, kind: str, detail: str = "") -> None:
    """A step of moderation or review in the wall's log (not committed: the caller commits it)."""
    db.session.add(WallLog(wall_id=note.wall_id, note_id=note.id, kind=kind, detail=detail[:300],
                           user_id=user_id(user)))


# --- notes carried from feedback sessions ---------------------------------------------------

def carry_note(wall: Wall, text: str, *, note_id: int | None = None, session_id: int, label: str,
               held_on: date | None, author_name: str = "", hidden: bool = False, hidden_by=None,
               reason: str = "") -> Note:
    """Create or update the note that carries what someone said in a feedback session to `wall`,
    marked with its source; `hidden` keeps it off the wall (a moderator hid it, or the word filter
    holds it). Not committed: the caller commits it together with the answer it carries, so the two
    are stored or lost together; then it calls `publish_note(note)` (or, after moderation, `publish(wall)`).
    """
    note = db.session.get(Note, note_id) if note_id else None
    if note is None or note.wall_id != wall.id:
        note = Note(wall_id=wall.id, section=wall.sections[-1] if wall.sections else None,
                    source_kind="session", source_session_id=session_id)
        db.session.add(note)
    note.text = clean_text(text or "")[:MAX_NOTE]
    note.author_name = clean_text(author_name or "")[:MAX_NAME]
    note.source_label, note.source_date = (label or "")[:500], held_on
    if hidden != note.hidden or (hidden and reason != note.hidden_reason):
        note.hidden = hidden
        note.hidden_by_id = user_id(hidden_by) if hidden else None
        note.hidden_reason = reason[:300] if hidden else ""
    db.session.flush()
    return note


# --- erasing for good -----------------------------------------------------------------------

def remove_note(note_id: int) -> tuple[int, int] | None:
    """Delete a note for good, with its replies, reactions and dots (the database cascades), not
    committed. Returns (wall id, id of the note to re-send) for `publish_removed` after the commit."""
    note = db.session.get(Note, note_id)
    if note is None:
        return None
    found = (note.wall_id, note.parent_id or note.id)
    db.session.execute(delete(Note).where(Note.id == note_id))
    db.session.expunge(note)
    return found


def erase_own_note(wall: Wall, note_id: int, *, user=None, token: str | None = None) -> bool:
    """The author deletes their note or reply for good, at any time while they can take part; the
    wall updates for everyone. False (nothing changed) when it is not this viewer's note on this wall."""
    note = db.session.get(Note, note_id) if 0 < note_id < 2**31 else None
    if note is None or note.wall_id != wall.id or note.deleted_at is not None or not is_author(note, user, token):
        return False
    removed = remove_note(note.id)
    db.session.commit()
    publish_removed(*removed)
    return True
