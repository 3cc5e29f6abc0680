"""What a wall allows, shared by every module of the feature: the limits of what people type, the
ten-minute edit window, who may take part, how one person is counted (reactions, dots), and the
error a refused change raises. Who may read a note is board/walls/visibility.py.
"""
from datetime import datetime, timedelta, timezone
from typing import Callable

from flask import current_app
from flask_babel import gettext as _

from board.forms import clean_text
from board.models import utcnow
from board.participants import token_hash
from board.walls.models import Note, Wall
from board.walls.visibility import is_member

MAX_NOTE = 1000
MAX_NAME = 120
MAX_SECTION = 300
MAX_POSITION = 2000
MAX_SECTIONS = 12
MAX_REASON = 300
EDIT_WINDOW = timedelta(minutes=10)
OTHER_SECTION = "Övrigt"
PORTFOLIO_KIND = "portfolio"
ORG_NAMES = {"vasteras": "Västerås stad", "eskilstuna": "Eskilstuna kommun", "mdu": "Mälardalens universitet"}


class WallError(ValueError):
    """A change that cannot be made; the message (Swedish, or the viewer's language) is shown."""


def locked() -> WallError:
    """The refusal of a change on a locked wall."""
    return WallError(_("Väggen är låst. Inget kan läggas till just nu."))


def checked_text(text: str | None, limit: int, empty_message: str, long_message: str | None = None, *,
                 one_line: bool = False) -> str:
    """`text` cleaned as every form cleans it (board/forms.py), and required and at most `limit`
    characters. :raise WallError: empty, or too long."""
    text = clean_text(text or "", one_line=one_line)
    if not text:
        raise WallError(empty_message)
    if len(text) > limit:
        raise WallError(long_message or _("Högst %(n)s tecken.", n=limit))
    return text


def org_label(key: str) -> str:
    return ORG_NAMES.get(key) or (_("annan organisation") if key == "annan" else "")


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def editable_until(note: Note) -> datetime:
    return _aware(note.created_at) + EDIT_WINDOW


def in_edit_window(note: Note) -> bool:
    return utcnow() < editable_until(note)


# Other features may let people post who joined through them (feedback: a wall shown as an item of
# a session lets that session's participants post). Each check is (wall, token) -> bool, kept per
# app (registered from the feature's init_app).
POSTER_CHECKS = "walls.poster_checks"


def register_poster_check(app, check: Callable[[Wall, str | None], bool]) -> None:
    app.extensions.setdefault(POSTER_CHECKS, []).append(check)


def can_take_part(wall: Wall, user, token: str | None, entered_with_code: bool = False) -> bool:
    """See the wall and post on it: members when logged in; without an account, whoever entered
    with the wall's own code while it is open, or whom another feature lets in."""
    if is_member(user):
        return True
    if entered_with_code and wall.code:
        return True
    return any(check(wall, token) for check in current_app.extensions.get(POSTER_CHECKS, ()))


def person_key(user=None, token: str | None = None) -> str | None:
    """Who counts as one person for reactions and dots: a member's account, else a browser's token."""
    if is_member(user):
        return f"u:{user.id}"
    return f"t:{token_hash(token)}" if token else None


def user_id(user) -> int | None:
    """The id a change stores as its author: a member's, or None for a visitor."""
    return user.id if is_member(user) else None
