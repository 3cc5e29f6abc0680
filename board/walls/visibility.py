"""Who may read a note: the one rule every route that returns a note's text goes through.

A note on a wall is readable by a viewer when it is on the wall (not deleted, not hidden by a
moderator) and either revealed, or the viewer wrote it, or the viewer manages the wall (the
initiative's arbetsgrupp, facilitators). In brainstorm mode ("notes hidden until revealed") a new
note is not revealed: until the facilitator reveals, only its author and the wall's managers may
read it, on every route (the single note, replies, reactions, dots, live fragments, exports).

A fragment rendered once for many viewers (the live board, a note's live event, the wall shown
inside a feedback session) is rendered for `EVERYONE`: no viewer, so only revealed notes. What an
author sees of their own waiting notes comes per viewer, outside those fragments
(`queries.viewer_state`).

`may_see` decides for one note, `readable` is the same rule as a query filter for lists, and
`readable_note` is what a route that takes a note id calls (it answers 404 when that gives None).
"""
from sqlalchemy import and_, false, or_

from board.extensions import db
from board.participants import token_hash
from board.walls.models import Note, Wall

EVERYONE = None  # the viewer of a fragment rendered once for all: may see only revealed notes


def is_member(user) -> bool:
    """A logged-in member (not a visitor with only a participant token)."""
    return user is not None and getattr(user, "is_authenticated", False)


def can_manage(wall: Wall, user) -> bool:
    """Facilitators, and the initiative's arbetsgrupp on an initiative wall."""
    if not is_member(user):
        return False
    return user.is_facilitator or (wall.initiative_id is not None and user.in_arbetsgrupp(wall.initiative_id))


def is_author(note: Note, user=None, token: str | None = None) -> bool:
    if is_member(user) and note.user_id == user.id:
        return True
    return bool(token) and note.author_token_hash is not None and note.author_token_hash == token_hash(token)


def authored_by(user=None, token: str | None = None):
    """SQL: notes this member, or else this browser, wrote (false for nobody)."""
    if is_member(user):
        return Note.user_id == user.id
    if token:
        return Note.author_token_hash == token_hash(token)
    return false()


def _on_wall(note: Note | None, wall: Wall) -> bool:
    return note is not None and note.wall_id == wall.id and note.deleted_at is None and not note.hidden


def may_see(note: Note | None, wall: Wall, user=EVERYONE, token: str | None = None) -> bool:
    """Whether this viewer may read `note` (a note or a reply) on `wall`. With no user and no
    token: whether everyone may (what a shared fragment may hold)."""
    if not _on_wall(note, wall):
        return False
    if is_author(note, user, token) or can_manage(wall, user):
        return True
    top = note if note.parent_id is None else db.session.get(Note, note.parent_id)
    return _on_wall(top, wall) and (top.revealed or is_author(top, user, token))


def readable(wall: Wall, user=EVERYONE, token: str | None = None):
    """SQL filter for notes of `wall` this viewer may read (as `may_see`; a reply's own row is
    always revealed, so lists keep replies only under notes they show)."""
    on_wall = and_(Note.wall_id == wall.id, Note.deleted_at.is_(None), Note.hidden.is_(False))
    if can_manage(wall, user):
        return on_wall
    return and_(on_wall, or_(Note.revealed.is_(True), authored_by(user, token)))


def readable_note(wall: Wall, note_id: int, user=EVERYONE, token: str | None = None) -> Note | None:
    """The note `note_id` on `wall` if this viewer may read it, else None (a note waiting to be
    revealed does not exist for others, so its id tells them nothing)."""
    note = db.session.get(Note, note_id) if 0 < note_id < 2**31 else None
    return note if may_see(note, wall, user, token) else None
