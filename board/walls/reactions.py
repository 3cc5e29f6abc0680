"""Reacting to notes and dot votes: a person's reactions (one of each kind on a note), opening and
closing a vote, and putting dots on notes or taking them back.

Every change commits, then publishes: a reaction or a dot sends its note, a dot that re-ranks the
notes and a vote opened or closed send the whole board (board/walls/live.py).
"""
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from board.extensions import db
from board.models import utcnow
from board.walls import visibility
from board.walls.live import publish, publish_note
from board.walls.models import REACTIONS, Dot, DotVote, Note, Reaction, Wall
from board.walls.queries import current_vote
from board.walls.rules import WallError, locked, person_key, user_id


def _someone(user, token: str | None) -> str:
    person = person_key(user, token)
    if person is None:
        raise WallError(_("Ladda om sidan och försök igen."))
    return person


def toggle_reaction(note: Note, kind: str, *, token: str | None = None, user=None) -> bool:
    """Add this person's reaction of `kind`, or take it back; returns whether it is now on.
    A person has at most one of each kind on a note, whatever the taps (the database enforces it).
    :raise WallError: unknown kind, locked wall, a reply, or nobody to count."""
    wall = db.session.get(Wall, note.wall_id)
    if kind not in REACTIONS:
        raise WallError(_("Okänd reaktion."))
    if wall.locked:
        raise locked()
    if not visibility.may_see(note, wall, user, token):
        raise WallError(_("Lappen finns inte längre."))
    person = _someone(user, token)
    existing = db.session.scalar(select(Reaction).where(
        Reaction.note_id == note.id, Reaction.kind == kind, Reaction.person == person))
    if existing is not None:
        db.session.delete(existing)
        db.session.commit()
        now_on = False
    else:
        db.session.add(Reaction(note_id=note.id, kind=kind, person=person, user_id=user_id(user)))
        try:
            db.session.commit()
        except IntegrityError:  # the same person's other tap got there first
            db.session.rollback()
        now_on = True
    publish_note(note)
    return now_on


# --- dot votes -------------------------------------------------------------------------------

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
                   opened_at=now, opened_by_id=user_id(user))
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
        raise locked()
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
    voter = _someone(user, token)
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
