"""Reading a wall: finding walls, what the board shows (the same for every viewer), what one
viewer sees differently (`viewer_state`), and the current dot vote. Nothing here writes.
"""
from collections import Counter, defaultdict
from datetime import timedelta

from sqlalchemy import func, select

from board import joincodes
from board.extensions import db
from board.models import utcnow
from board.walls import visibility
from board.walls.models import REACTIONS, Dot, DotVote, Note, Position, Reaction, Section, Wall
from board.walls.rules import EDIT_WINDOW, editable_until, person_key


def get_wall(wall_id: int) -> Wall | None:
    return db.session.get(Wall, wall_id) if 0 < wall_id < 2**31 else None


def section_of(wall: Wall, section_id: int) -> Section | None:
    """The section `section_id` if it is on `wall`."""
    section = db.session.get(Section, section_id) if 0 < section_id < 2**31 else None
    return section if section is not None and section.wall_id == wall.id else None


def walls_query():
    """Walls not tied to an initiative first (the portfolio wall), then initiative walls by title."""
    return select(Wall).order_by(Wall.initiative_id.is_not(None), Wall.title)


def wall_by_code(code: str | None) -> Wall | None:
    code = joincodes.normalise(code)
    return db.session.scalar(select(Wall).where(Wall.code == code)) if code else None


def initiative_wall(initiative) -> Wall | None:
    """The initiative's wall, if it has one (`feedback.towall.ensure_walls` creates it, on POSTs)."""
    return db.session.scalar(select(Wall).where(Wall.initiative_id == initiative.id))


def shown_count(wall: Wall) -> int:
    """Top-level notes on the wall (not deleted, not hidden)."""
    return db.session.scalar(select(func.count(Note.id)).where(
        Note.wall_id == wall.id, Note.deleted_at.is_(None), Note.hidden.is_(False), Note.parent_id.is_(None)))


def own_notes(wall: Wall, user=None, token: str | None = None) -> list[Note]:
    """Every note and reply this device (or member) posted on the wall and has not deleted, oldest
    first, whatever its age: what they may see and delete of their own."""
    if not visibility.is_member(user) and not token:
        return []
    return db.session.scalars(select(Note).where(Note.wall_id == wall.id, Note.deleted_at.is_(None),
                                                 visibility.authored_by(user, token))
                              .order_by(Note.id)).all()


def current_vote(wall: Wall) -> DotVote | None:
    """The latest dot vote, open or closed (a closed one's result stays on the wall)."""
    return db.session.scalar(select(DotVote).where(DotVote.wall_id == wall.id)
                             .order_by(DotVote.opened_at.desc(), DotVote.id.desc()).limit(1))


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


def _waiting(wall_id: int):
    """SQL: top-level notes of the wall that wait to be revealed (on the wall, not yet shown)."""
    return (Note.wall_id == wall_id) & Note.parent_id.is_(None) & Note.deleted_at.is_(None) \
        & Note.hidden.is_(False) & Note.revealed.is_(False)


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
    waiting = Counter(dict(db.session.execute(select(Note.section_id, func.count()).where(_waiting(wall.id))
                                              .group_by(Note.section_id)).all()))
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


def note_context(wall: Wall, note: Note) -> dict:
    """What `walls/_note.html` needs for one top-level note (and its replies), as `board_context`
    gives it for all of them; the same for every viewer."""
    replies = defaultdict(list)
    replies[note.id] = db.session.scalars(select(Note).where(
        Note.parent_id == note.id, visibility.readable(wall, visibility.EVERYONE)).order_by(Note.id)).all()
    reactions, vote, dots = _counts(wall, [note.id] + [r.id for r in replies[note.id]])
    return {"wall": wall, "note": note, "replies": replies, "reactions": reactions, "dots": dots, "vote": vote,
            "reaction_kinds": REACTIONS, "now": utcnow(), "edit_window": EDIT_WINDOW}


def waiting_count(wall_id: int, section_id: int) -> int:
    """Notes of a section waiting to be revealed ("N lappar väntar")."""
    return db.session.scalar(select(func.count(Note.id)).where(_waiting(wall_id), Note.section_id == section_id)) or 0


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
