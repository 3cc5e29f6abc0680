"""Comment walls: creating them, posting and reacting, brainstorm modes, sections, party positions
and dot votes. Other features call only this module (feedback sends notes with `post_note`).

Functions that change state commit, then publish to `wall:<id>`: a change to one note (posted,
replied to, edited, reacted to, dotted, hidden, deleted) sends only that note (`publish_note`);
changes that reorder or restructure the board (modes, sections, positions, dot votes opened or
closed or re-ranked, revealing) send the whole board (`publish`). Both are rendered once per event
for everyone; what differs per viewer (own notes, own reactions and dots) lives outside them, in
`viewer_state`, and a small script marks the board with it.
"""
import threading
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Callable

from flask import abort, render_template
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from board import audit, joincodes, live
from board.extensions import db
from board.models import utcnow
from board.participants import token_hash
from board.walls import visibility
from board.walls.models import (
    AUTHOR_ORGS,
    COLOURS,
    REACTIONS,
    SOURCE_KINDS,
    Dot,
    DotVote,
    Note,
    Position,
    Reaction,
    Section,
    Wall,
    WallLog,
)

MAX_NOTE = 1000
MAX_NAME = 120
MAX_SECTION = 300
MAX_POSITION = 2000
MAX_SECTIONS = 12
EDIT_WINDOW = timedelta(minutes=10)
OTHER_SECTION = "Övrigt"
PORTFOLIO_KIND = "portfolio"
ORG_NAMES = {"vasteras": "Västerås stad", "eskilstuna": "Eskilstuna kommun", "mdu": "Mälardalens universitet"}


class WallError(ValueError):
    """A change that cannot be made; the message (Swedish, or the viewer's language) is shown."""


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def org_label(key: str) -> str:
    return ORG_NAMES.get(key) or (_("annan organisation") if key == "annan" else "")


# --- loading ---------------------------------------------------------------------------------

def get_wall_or_404(wall_id: int) -> Wall:
    return db.get_or_404(Wall, wall_id)


def get_section_or_404(wall: Wall, section_id: int) -> Section:
    section = db.session.get(Section, section_id) if 0 < section_id < 2**31 else None
    if section is None or section.wall_id != wall.id:
        abort(404)
    return section


def get_note_or_404(wall: Wall, note_id: int, user=None, token: str | None = None) -> Note:
    """A note on `wall` that this viewer may read (board/walls/visibility.py): not deleted, not
    hidden by a moderator, and revealed unless the viewer wrote it or manages the wall."""
    return visibility.get_readable_note_or_404(wall, note_id, user, token)


def walls_query():
    """Walls not tied to an initiative first (the portfolio wall), then initiative walls by title."""
    return select(Wall).order_by(Wall.initiative_id.is_not(None), Wall.title)


def wall_by_code(code: str | None) -> Wall | None:
    code = joincodes.normalise(code)
    return db.session.scalar(select(Wall).where(Wall.code == code)) if code else None


def _resolve_code(code: str) -> str | None:
    from flask import url_for

    wall = wall_by_code(code)
    return url_for("walls.enter", code=wall.code) if wall else None


joincodes.register(Wall.code, _resolve_code)


# --- creating --------------------------------------------------------------------------------

def create_wall(title: str, sections=(OTHER_SECTION,), *, kind: str = "free", initiative=None,
                user=None) -> Wall:
    """A new wall with the given section titles."""
    wall = Wall(title=title[:200], kind=kind, initiative=initiative,
                created_by_id=user.id if user is not None and getattr(user, "is_authenticated", False) else None)
    for position, section_title in enumerate(sections):
        wall.sections.append(Section(title=section_title[:MAX_SECTION], position=position))
    db.session.add(wall)
    db.session.commit()
    return wall


def _sections_for(initiative) -> list[str]:
    return [f"Del {part.n}: {part.question}"[:MAX_SECTION] for part in initiative.parts] + [OTHER_SECTION]


def wall_for_initiative(initiative, user=None) -> Wall:
    """The initiative's wall, created on first use with a section per part and "Övrigt"."""
    wall = db.session.scalar(select(Wall).where(Wall.initiative_id == initiative.id))
    if wall is not None:
        return wall
    try:
        return create_wall(initiative.name, _sections_for(initiative), kind="initiative",
                           initiative=initiative, user=user)
    except IntegrityError:  # created by another request at the same moment
        db.session.rollback()
        return db.session.scalar(select(Wall).where(Wall.initiative_id == initiative.id))


def ensure_portfolio_wall(title: str, questions: list[str]) -> Wall:
    """The Core Team's portfolio wall with one section per reflection question (kept if it exists)."""
    wall = db.session.scalar(select(Wall).where(Wall.kind == PORTFOLIO_KIND, Wall.title == title))
    return wall or create_wall(title, questions or [OTHER_SECTION], kind=PORTFOLIO_KIND)


# --- who may do what -------------------------------------------------------------------------

# Other features may let people post who joined through them (feedback: a wall shown as an item of
# a session lets that session's participants post). Each check is (wall, token) -> bool.
_poster_checks: list[Callable[[Wall, str | None], bool]] = []


def register_poster_check(check: Callable[[Wall, str | None], bool]) -> None:
    _poster_checks.append(check)


_member = visibility._member
can_manage = visibility.can_manage
is_author = visibility.is_author


def can_take_part(wall: Wall, user, token: str | None, entered_with_code: bool = False) -> bool:
    """See the wall and post on it: members when logged in; without an account, whoever entered
    with the wall's own code while it is open, or whom another feature lets in."""
    if _member(user):
        return True
    if entered_with_code and wall.code:
        return True
    return any(check(wall, token) for check in _poster_checks)


def person_key(user=None, token: str | None = None) -> str | None:
    if _member(user):
        return f"u:{user.id}"
    return f"t:{token_hash(token)}" if token else None


def editable_until(note: Note) -> datetime:
    return _aware(note.created_at) + EDIT_WINDOW


def in_edit_window(note: Note) -> bool:
    return utcnow() < editable_until(note)


# --- posting ---------------------------------------------------------------------------------

def _clean_text(text: str | None, limit: int, empty_message: str, long_message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise WallError(empty_message)
    if len(text) > limit:
        raise WallError(long_message)
    return text


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
        raise WallError(_("Väggen är låst. Inget kan läggas till just nu."))
    text = _clean_text(text, MAX_NOTE, _("Skriv något på lappen."),
                       _("En lapp får vara högst %(n)s tecken.", n=MAX_NOTE))
    author_name = (author_name or "").strip()
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
                author_token_hash=token_hash(token) if token and not _member(user) else None,
                user_id=user.id if _member(user) else None,
                source_kind=source_kind, source_session_id=source_session_id,
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
        raise WallError(_("Väggen är låst. Inget kan läggas till just nu."))
    note.text = _clean_text(text, MAX_NOTE, _("Skriv något på lappen."),
                            _("En lapp får vara högst %(n)s tecken.", n=MAX_NOTE))
    note.edited_at = utcnow()
    db.session.commit()
    publish_note(note)


def delete_note(note: Note, *, token: str | None = None, user=None, reason: str = "") -> None:
    """Take a note (and its replies) off the wall: the author within ten minutes, a facilitator at
    any time. It is kept, marked with who deleted it, when and why, and the step is logged.
    :raise WallError: not allowed."""
    wall = db.session.get(Wall, note.wall_id)
    if not (_member(user) and user.is_facilitator):
        if not is_author(note, user, token):
            raise WallError(_("Du kan bara ta bort dina egna lappar."))
        if not in_edit_window(note):
            raise WallError(_("En lapp kan tas bort i tio minuter efter att den sattes upp."))
    now = utcnow()
    note.deleted_at = now
    note.deleted_by_id = user.id if _member(user) else None
    note.deleted_reason = (reason or "").strip()[:300]
    _log(note, user, "delete", note.deleted_reason)
    if _member(user) and user.is_facilitator and not is_author(note, user, token):
        what = "ett svar på en lapp" if note.parent_id else "en lapp"
        audit.record("reply.delete" if note.parent_id else "note.delete", f"wall:{wall.id}/note:{note.id}",
                     f"Tog bort {what} på väggen '{wall.title}'" + (f": {note.deleted_reason}" if note.deleted_reason else ""),
                     actor=user)
    db.session.commit()
    publish_note(note)


def hide_note(note: Note, user, reason: str = "", hidden: bool = True) -> None:
    """A moderator hides a note from the wall (kept, with who and why), or shows it again; logged."""
    note.hidden = hidden
    note.hidden_by_id = user.id if hidden else None
    note.hidden_reason = reason.strip()[:300] if hidden else ""
    _log(note, user, "hide" if hidden else "unhide", note.hidden_reason)
    wall = db.session.get(Wall, note.wall_id)
    kind = "reply" if note.parent_id else "note"
    what = "ett svar på en lapp" if note.parent_id else "en lapp"
    audit.record(f"{kind}.{'hide' if hidden else 'show'}", f"wall:{wall.id}/note:{note.id}",
                 f"{'Dolde' if hidden else 'Visade igen'} {what} på väggen '{wall.title}'"
                 + (f": {note.hidden_reason}" if note.hidden_reason else ""), actor=user)
    db.session.commit()
    if hidden:
        publish_note(note)
    else:  # back in its place among the others (an appended note would stand last)
        publish(db.session.get(Wall, note.wall_id))


def _log(note: Note, user, kind: str, detail: str = "") -> None:
    db.session.add(WallLog(wall_id=note.wall_id, note_id=note.id, kind=kind, detail=detail[:300],
                           user_id=user.id if _member(user) else None))


def toggle_reaction(note: Note, kind: str, *, token: str | None = None, user=None) -> bool:
    """Add this person's reaction of `kind`, or take it back; returns whether it is now on.
    A person has at most one of each kind on a note, whatever the taps (the database enforces it).
    :raise WallError: unknown kind, locked wall, a reply, or nobody to count."""
    wall = db.session.get(Wall, note.wall_id)
    if kind not in REACTIONS:
        raise WallError(_("Okänd reaktion."))
    if wall.locked:
        raise WallError(_("Väggen är låst. Inget kan läggas till just nu."))
    if not visibility.may_see(note, wall, user, token):
        raise WallError(_("Lappen finns inte längre."))
    person = person_key(user, token)
    if person is None:
        raise WallError(_("Ladda om sidan och försök igen."))
    existing = db.session.scalar(select(Reaction).where(
        Reaction.note_id == note.id, Reaction.kind == kind, Reaction.person == person))
    if existing is not None:
        db.session.delete(existing)
        db.session.commit()
        now_on = False
    else:
        db.session.add(Reaction(note_id=note.id, kind=kind, person=person,
                                user_id=user.id if _member(user) else None))
        try:
            db.session.commit()
        except IntegrityError:  # the same person's other tap got there first
            db.session.rollback()
        now_on = True
    publish_note(note)
    return now_on


# --- facilitating ----------------------------------------------------------------------------

def set_modes(wall: Wall, *, notes_hidden: bool | None = None, authors_hidden: bool | None = None,
              locked: bool | None = None) -> None:
    """Switch brainstorm modes. Turning "notes hidden" off reveals every waiting note."""
    if notes_hidden is not None:
        if wall.notes_hidden and not notes_hidden:
            _reveal(wall)
        wall.notes_hidden = notes_hidden
    if authors_hidden is not None:
        wall.authors_hidden = authors_hidden
    if locked is not None:
        if bool(wall.locked) != bool(locked):
            audit.record("wall.lock" if locked else "wall.unlock", f"wall:{wall.id}",
                         f"{'Låste' if locked else 'Öppnade'} väggen '{wall.title}'")
        wall.locked = locked
    db.session.commit()
    publish(wall)


def _reveal(wall: Wall) -> None:
    db.session.execute(Note.__table__.update().where(Note.wall_id == wall.id, Note.revealed.is_(False))
                       .values(revealed=True))


def reveal_notes(wall: Wall) -> None:
    """Show every note posted so far while "notes hidden" stays on for the next round."""
    _reveal(wall)
    db.session.commit()
    publish(wall)


def open_with_code(wall: Wall) -> str:
    """Open the wall for a meeting: a six-digit code (unique across features) lets people post
    without an account. Returns the code."""
    for _attempt in range(5):
        if wall.code:
            return wall.code
        wall.code = joincodes.new_code()
        try:
            db.session.commit()
            return wall.code
        except IntegrityError:
            db.session.rollback()
    raise RuntimeError("could not find a free join code")


def close_code(wall: Wall) -> None:
    """End posting without an account; people who entered with the code lose access."""
    wall.code = None
    db.session.commit()
    publish(wall)


def add_section(wall: Wall, title: str) -> Section:
    """Add a section at the end (before nothing: a facilitator reorders as they like)."""
    title = _clean_text(title, MAX_SECTION, _("Skriv en rubrik för sektionen."),
                        _("Rubriken får vara högst %(n)s tecken.", n=MAX_SECTION))
    if len(wall.sections) >= MAX_SECTIONS:
        raise WallError(_("En vägg kan ha högst %(n)s sektioner.", n=MAX_SECTIONS))
    section = Section(title=title, position=len(wall.sections))
    wall.sections.append(section)
    db.session.commit()
    publish(wall)
    return section


def rename_section(section: Section, title: str) -> None:
    section.title = _clean_text(title, MAX_SECTION, _("Skriv en rubrik för sektionen."),
                                _("Rubriken får vara högst %(n)s tecken.", n=MAX_SECTION))
    db.session.commit()
    publish(section.wall)


def move_section(section: Section, offset: int) -> None:
    """Move a section left/up (-1) or right/down (+1)."""
    wall = section.wall
    sections = list(wall.sections)
    index = sections.index(section)
    sections.insert(max(0, min(len(sections) - 1, index + offset)), sections.pop(index))
    for position, other in enumerate(sections):
        other.position = position
    db.session.commit()
    db.session.expire(wall, ["sections"])
    publish(wall)


def remove_section(section: Section) -> None:
    """Remove a section; its notes stay on the wall, under "Utan sektion"."""
    wall = section.wall
    wall.sections.remove(section)
    for position, other in enumerate(wall.sections):
        other.position = position
    db.session.commit()
    publish(wall)


# --- party positions -------------------------------------------------------------------------

def set_position(section: Section, user, text: str) -> Position | None:
    """Pin (or replace) the position of the user's organisation on a section; empty text removes it.
    :raise WallError: not a portfolio wall, no organisation, too long."""
    wall = section.wall
    if not wall.has_positions:
        raise WallError(_("Den här väggen har inga partspositioner."))
    if not _member(user) or user.organisation_id is None:
        raise WallError(_("Bara en medlem av en organisation kan skriva partens position."))
    text = (text or "").strip()
    if len(text) > MAX_POSITION:
        raise WallError(_("Positionen får vara högst %(n)s tecken.", n=MAX_POSITION))
    existing = own_position(section, user)
    if not text:
        if existing is not None:
            db.session.delete(existing)
            db.session.commit()
            publish(wall)
        return None
    if existing is None:
        existing = Position(section_id=section.id, organisation_id=user.organisation_id)
        db.session.add(existing)
    existing.text, existing.user_id = text, user.id
    try:
        db.session.commit()
    except IntegrityError:  # a colleague pinned one at the same moment: theirs is replaced
        db.session.rollback()
        existing = own_position(section, user)
        existing.text, existing.user_id = text, user.id
        db.session.commit()
    publish(wall)
    return existing


def own_position(section: Section, user) -> Position | None:
    if not _member(user) or user.organisation_id is None:
        return None
    return db.session.scalar(select(Position).where(Position.section_id == section.id,
                                                    Position.organisation_id == user.organisation_id))


# --- dot votes -------------------------------------------------------------------------------

def current_vote(wall: Wall) -> DotVote | None:
    """The latest dot vote, open or closed (a closed one's result stays on the wall)."""
    return db.session.scalar(select(DotVote).where(DotVote.wall_id == wall.id)
                             .order_by(DotVote.opened_at.desc(), DotVote.id.desc()).limit(1))


def open_vote(wall: Wall, dots_per_person: int, max_per_note: int, user=None) -> DotVote:
    """Start a dot vote; an open one is closed first (its result is kept).
    :raise WallError: numbers out of range."""
    if not 1 <= dots_per_person <= 20:
        raise WallError(_("Antal prickar per person: mellan 1 och 20."))
    if not 1 <= max_per_note <= dots_per_person:
        raise WallError(_("Högst antal prickar på en lapp: mellan 1 och antalet prickar per person."))
    now = utcnow()
    db.session.execute(DotVote.__table__.update().where(DotVote.wall_id == wall.id,
                                                        DotVote.closed_at.is_(None)).values(closed_at=now))
    vote = DotVote(wall_id=wall.id, dots_per_person=dots_per_person, max_per_note=max_per_note,
                   opened_at=now, opened_by_id=user.id if _member(user) else None)
    db.session.add(vote)
    db.session.commit()
    publish(wall)
    return vote


def close_vote(wall: Wall) -> None:
    """Close the open dot vote; notes stay ranked by its result."""
    vote = current_vote(wall)
    if vote is not None and vote.is_open:
        vote.closed_at = utcnow()
        db.session.commit()
        publish(wall)


def _dot_target(wall: Wall, note: Note) -> DotVote:
    vote = current_vote(wall)
    if vote is None or not vote.is_open:
        raise WallError(_("Ingen prickröstning pågår."))
    if wall.locked:
        raise WallError(_("Väggen är låst. Inget kan läggas till just nu."))
    if note.parent_id is not None or not note.revealed:
        raise WallError(_("Prickar sätts på lappar, inte på svar."))
    return vote


def add_dot(note: Note, *, token: str | None = None, user=None) -> int:
    """Put one of this person's dots on a note; returns their dots left.
    Each dot takes a free numbered slot (1..N per person, 1..M per person and note) under unique
    constraints, so two requests at once can never exceed the limits: the loser draws again.
    :raise WallError: no vote open, no dots left, the note has the most allowed."""
    wall = db.session.get(Wall, note.wall_id)
    vote = _dot_target(wall, note)
    voter = person_key(user, token)
    if voter is None:
        raise WallError(_("Ladda om sidan och försök igen."))
    vote_id, note_id, per_person, per_note = vote.id, note.id, vote.dots_per_person, vote.max_per_note
    wall_id = wall.id
    for _attempt in range(10):
        used = db.session.execute(select(Dot.slot, Dot.note_id, Dot.note_slot).where(
            Dot.vote_id == vote_id, Dot.voter == voter)).all()
        slots = {row.slot for row in used}
        on_note = {row.note_slot for row in used if row.note_id == note_id}
        if len(slots) >= per_person:
            raise WallError(_("Du har inga prickar kvar."))
        if len(on_note) >= per_note:
            raise WallError(_("Högst %(n)s prickar på samma lapp.", n=per_note))
        slot = min(set(range(1, per_person + 1)) - slots)
        note_slot = min(set(range(1, per_note + 1)) - on_note)
        before = _ranking(wall_id, vote_id)
        db.session.add(Dot(vote_id=vote_id, note_id=note_id, voter=voter, slot=slot, note_slot=note_slot))
        try:
            db.session.commit()
        except IntegrityError:  # another request of the same person took that slot: look again
            db.session.rollback()
            continue
        _publish_dots(note, before, _ranking(wall_id, vote_id))
        return per_person - len(slots) - 1
    raise WallError(_("Försök igen."))


def remove_dot(note: Note, *, token: str | None = None, user=None) -> None:
    """Take back one of this person's dots from a note (nothing happens if there is none)."""
    wall = db.session.get(Wall, note.wall_id)
    vote = _dot_target(wall, note)
    voter = person_key(user, token)
    dot = db.session.scalar(select(Dot).where(Dot.vote_id == vote.id, Dot.voter == voter, Dot.note_id == note.id)
                            .order_by(Dot.note_slot.desc()).limit(1))
    if dot is None:
        return
    wall_id, vote_id = wall.id, vote.id
    before = _ranking(wall_id, vote_id)
    db.session.execute(delete(Dot).where(Dot.id == dot.id))
    db.session.commit()
    _publish_dots(note, before, _ranking(wall_id, vote_id))


def _ranking(wall_id: int, vote_id: int) -> list[int]:
    """The shown notes of a wall in the order the board lists them during a vote (section, then
    most dots first, then posting order), as ids."""
    rows = db.session.execute(select(Note.id, Note.section_id).where(
        Note.wall_id == wall_id, Note.parent_id.is_(None), Note.deleted_at.is_(None), Note.hidden.is_(False),
        Note.revealed.is_(True))).all()
    counts = dict(db.session.execute(select(Dot.note_id, func.count()).where(Dot.vote_id == vote_id)
                                     .group_by(Dot.note_id)).all())
    return [row.id for row in sorted(rows, key=lambda r: (r.section_id or 0, -counts.get(r.id, 0), r.id))]


def _publish_dots(note: Note, before: list[int], after: list[int]) -> None:
    """A dot changes one note's count; the whole board only when the order of the notes changed.

    `before` is read before this request's change and `after` after its commit, so the two span
    every change committed in between: when requests at once re-rank the notes together, at
    least the one whose change made the difference sees it."""
    if before != after:
        publish(db.session.get(Wall, note.wall_id))
    else:
        publish_note(note)


# --- reading the board -----------------------------------------------------------------------

def _counts(wall: Wall, ids: list[int]) -> tuple[dict[int, Counter], DotVote | None, Counter]:
    """Reactions per kind and dots of the current vote for the notes `ids` (the board or one note)."""
    reactions: dict[int, Counter] = defaultdict(Counter)
    dots: Counter = Counter()
    vote = current_vote(wall)
    if not ids:
        return reactions, vote, dots
    for note_id, kind, count in db.session.execute(
            select(Reaction.note_id, Reaction.kind, func.count()).where(Reaction.note_id.in_(ids))
            .group_by(Reaction.note_id, Reaction.kind)):
        reactions[note_id][kind] = count
    if vote is not None:
        dots.update(dict(db.session.execute(select(Dot.note_id, func.count()).where(
            Dot.vote_id == vote.id, Dot.note_id.in_(ids)).group_by(Dot.note_id)).all()))
    return reactions, vote, dots


def board_context(wall: Wall) -> dict:
    """Everything the board shows, the same for every viewer: notes waiting to be revealed only
    as a count per section, never their text."""
    notes = db.session.scalars(select(Note).where(visibility.readable(wall, visibility.EVERYONE))
                               .order_by(Note.id)).all()
    reactions, vote, dots = _counts(wall, [n.id for n in notes])
    replies = defaultdict(list)
    top = []
    for note in notes:
        (replies[note.parent_id] if note.parent_id else top).append(note)
    if vote is not None:
        top.sort(key=lambda n: -dots[n.id])  # stable: equal dots keep their posting order
    by_section = defaultdict(list)
    for note in top:
        by_section[note.section_id].append(note)
    waiting = Counter(dict(db.session.execute(select(Note.section_id, func.count()).where(
        Note.wall_id == wall.id, Note.parent_id.is_(None), Note.deleted_at.is_(None), Note.hidden.is_(False),
        Note.revealed.is_(False)).group_by(Note.section_id)).all()))
    section_ids = {s.id for s in wall.sections}
    orphans = [n for sid, group in by_section.items() if sid not in section_ids for n in group]
    positions = defaultdict(dict)
    if wall.has_positions and section_ids:
        for position in db.session.scalars(select(Position).where(Position.section_id.in_(section_ids))):
            positions[position.section_id][position.organisation_id] = position
    from board.portfolio.service import organisations  # the portfolio is below walls

    return {"wall": wall, "sections": wall.sections, "by_section": by_section, "orphans": orphans,
            "waiting": waiting, "replies": replies, "reactions": reactions, "dots": dots, "vote": vote,
            "positions": positions, "organisations": organisations() if wall.has_positions else [],
            "reaction_kinds": REACTIONS, "now": utcnow(), "edit_window": EDIT_WINDOW}


def viewer_state(wall: Wall, user=None, token: str | None = None, message: str | None = None,
                 error: bool = False) -> dict:
    """What one viewer sees differently: their notes still editable, their reactions and dots,
    their notes waiting to be revealed, and the message of their last action."""
    person = person_key(user, token)
    own = []
    now = utcnow()
    if person is not None:
        # Only the notes this viewer can still edit, or that wait to be revealed: someone who has
        # written hundreds of notes on a wall must not make every page and post load them all.
        mine = visibility.authored_by(user, token)
        recent = (Note.created_at >= now - EDIT_WINDOW - timedelta(minutes=1)) | Note.revealed.is_(False)
        own = db.session.scalars(select(Note).where(Note.wall_id == wall.id, Note.deleted_at.is_(None),
                                                    Note.hidden.is_(False), mine, recent).order_by(Note.id)).all()
    reacted, dots, left = set(), Counter(), None
    if person is not None:
        reacted = {f"{note_id}:{kind}" for note_id, kind in db.session.execute(
            select(Reaction.note_id, Reaction.kind).join(Note, Note.id == Reaction.note_id)
            .where(Note.wall_id == wall.id, Reaction.person == person))}
    vote = current_vote(wall)
    if vote is not None and person is not None:
        dots.update(db.session.scalars(select(Dot.note_id).where(Dot.vote_id == vote.id, Dot.voter == person)))
        left = vote.dots_per_person - sum(dots.values())
    return {"mine": {n.id for n in own if now < editable_until(n)},
            "waiting": [n for n in own if not n.revealed], "reacted": reacted, "dots": dots,
            "dots_left": left if vote is not None and vote.is_open else None,
            "message": message, "error": error}


def render_board(wall: Wall) -> str:
    """The board as everyone sees it (the live region)."""
    return render_template("walls/_board.html", **board_context(wall), state=None, csrf=None)


def publish(wall: Wall) -> None:
    """Send the re-rendered board to everyone on the wall, at most every LIVE_THROTTLE_MS: for
    changes that reorder or restructure it. Changes to one note go by `publish_note`."""
    wall_id = wall.id
    live.publish_soon(f"wall:{wall_id}", lambda: _render_board_live(wall_id), key="board")


# Notes changed lately in this process, per wall: note id -> time.monotonic() after its commit.
# A board rendered from the database before such a change but published after the note's own
# event would take the note back on every page; those notes are sent again after the board.
_touched: dict[int, dict[int, float]] = defaultdict(dict)
_touched_lock = threading.Lock()
_TOUCHED_KEEP = 60.0  # seconds; longer than any board render


def _touch(wall_id: int, note_id: int) -> None:
    now = time.monotonic()
    with _touched_lock:
        notes = _touched[wall_id]
        notes[note_id] = now
        if len(notes) > 64:
            for old in [n for n, at in notes.items() if at < now - _TOUCHED_KEEP]:
                del notes[old]


def _render_board_live(wall_id: int) -> str:
    started = time.monotonic()
    html = render_board(get_wall_or_404(wall_id))
    with _touched_lock:
        late = [n for n, at in _touched.get(wall_id, {}).items() if at >= started]
    for note_id in late:  # changed while the board was read: its own event goes out again, later
        _publish_note_event(wall_id, note_id)
    return html


def note_context(wall: Wall, note: Note) -> dict:
    """What `walls/_note.html` needs for one top-level note (and its replies), as `board_context`
    gives it for all of them; the same for every viewer."""
    replies = defaultdict(list)
    replies[note.id] = db.session.scalars(select(Note).where(
        Note.parent_id == note.id, visibility.readable(wall, visibility.EVERYONE)).order_by(Note.id)).all()
    reactions, vote, dots = _counts(wall, [note.id] + [r.id for r in replies[note.id]])
    return {"wall": wall, "note": note, "replies": replies, "reactions": reactions, "dots": dots, "vote": vote,
            "reaction_kinds": REACTIONS, "now": utcnow(), "edit_window": EDIT_WINDOW}


def _waiting_count(section_id: int) -> int:
    return db.session.scalar(select(func.count(Note.id)).where(
        Note.section_id == section_id, Note.parent_id.is_(None), Note.deleted_at.is_(None),
        Note.hidden.is_(False), Note.revealed.is_(False))) or 0


def render_note_event(wall_id: int, note_id: int) -> str:
    """The live update for one top-level note, as it is now: `<hx-partial>` blocks that put it in
    place (morphed if the page has it, appended to its section's list if not, so that an event
    applied twice, or after a snapshot that already holds the note, never shows it twice), or take
    it away when it is gone or waiting to be revealed, and its section's "N lappar väntar"."""
    wall = get_wall_or_404(wall_id)
    note = db.session.get(Note, note_id)
    shown = note is not None and note.parent_id is None and visibility.may_see(note, wall, visibility.EVERYONE)
    section_id = note.section_id if note is not None else None
    context = note_context(wall, note) if shown else {"wall": wall}
    return render_template("walls/_note_event.html", **context, note_id=note_id, shown=shown, section_id=section_id,
                           waiting_count=_waiting_count(section_id) if section_id else 0, state=None, csrf=None)


def _publish_note_event(wall_id: int, note_id: int) -> None:
    live.publish_soon(f"wall:{wall_id}", lambda: render_note_event(wall_id, note_id), key=f"note:{note_id}")


def publish_note(note: Note) -> None:
    """Send one changed note (with its replies; a reply sends its note) to everyone on the wall,
    at most every LIVE_THROTTLE_MS per note: a burst of reactions on one note is one event."""
    wall = db.session.get(Wall, note.wall_id)
    top_id = note.parent_id or note.id
    top = note if top_id == note.id else db.session.get(Note, top_id)
    if top.section_id not in {s.id for s in wall.sections}:
        publish(wall)  # "Utan sektion" is only on the board while it has notes: rare, send it all
        return
    _touch(wall.id, top_id)
    _publish_note_event(wall.id, top_id)


def render_initiative_section(initiative) -> str:
    """The initiative page's link to its wall."""
    wall = db.session.scalar(select(Wall).where(Wall.initiative_id == initiative.id))
    count = 0
    if wall is not None:
        count = db.session.scalar(select(func.count(Note.id)).where(
            Note.wall_id == wall.id, Note.deleted_at.is_(None), Note.hidden.is_(False), Note.parent_id.is_(None)))
    return render_template("walls/_initiative_link.html", initiative=initiative, wall=wall, count=count)


# --- notes carried from feedback sessions ---------------------------------------------------

def get_wall(wall_id: int) -> Wall | None:
    return db.session.get(Wall, wall_id)


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
    note.text = (text or "").strip()[:MAX_NOTE]
    note.author_name = (author_name or "").strip()[:MAX_NAME]
    note.source_label, note.source_date = (label or "")[:500], held_on
    if hidden != note.hidden or (hidden and reason != note.hidden_reason):
        note.hidden = hidden
        note.hidden_by_id = hidden_by.id if hidden and _member(hidden_by) else None
        note.hidden_reason = reason[:300] if hidden else ""
    db.session.flush()
    return note


# --- a participant's own notes ("Mina lappar") ----------------------------------------------

def own_notes(wall: Wall, user=None, token: str | None = None) -> list[Note]:
    """Every note and reply this device (or member) posted on the wall and has not deleted, oldest
    first, whatever its age: what they may see and delete of their own."""
    if not _member(user) and not token:
        return []
    return db.session.scalars(select(Note).where(Note.wall_id == wall.id, Note.deleted_at.is_(None),
                                                 visibility.authored_by(user, token))
                              .order_by(Note.id)).all()


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


def publish_removed(wall_id: int, top_id: int) -> None:
    """After `remove_note`'s commit: everyone's wall drops the note (or re-renders the note whose
    reply went)."""
    _touch(wall_id, top_id)
    _publish_note_event(wall_id, top_id)


def erase_own_note(wall: Wall, note_id: int, *, user=None, token: str | None = None) -> None:
    """The author deletes their note or reply for good, at any time while they can take part; the
    wall updates for everyone. :raise 404: not this viewer's note on this wall."""
    note = db.session.get(Note, note_id)
    if note is None or note.wall_id != wall.id or note.deleted_at is not None or not is_author(note, user, token):
        abort(404)
    removed = remove_note(note.id)
    db.session.commit()
    publish_removed(*removed)


def set_retention(wall: Wall, months: int | None, action: str) -> None:
    """How long the wall keeps its posters' tokens and names after its last note (None: the
    configured default), and what happens then ("anonymise" or "delete"; board/gdpr/retention.py)."""
    if action not in ("anonymise", "delete") or not (months is None or 1 <= months <= 120):
        raise ValueError((months, action))
    wall.retention_months, wall.retention_action = months, action
    db.session.commit()
