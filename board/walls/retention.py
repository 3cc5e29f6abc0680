"""A wall's retention rule (applied by board/gdpr/retention.py): its clock starts at the last note
or reply posted on it (its creation when it has none), so a wall in use never expires.

Anonymising keeps every note, reaction and dot, and their counts, but cuts what ties them to a
device or a person: posters' token hashes, names and organisations, links to members' accounts,
and the person keys of reactions and dots; the join code goes too. What members did as staff
(moderation, review, party positions, actions) keeps its name on purpose.
"""
from datetime import date, datetime

from sqlalchemy import String, cast, func, select, update

from board.archive.specs import RetentionRule
from board.extensions import db
from board.gdpr.retention import as_utc, day_of
from board.models import utcnow
from board.walls.models import Dot, DotVote, Note, Reaction, Wall


def _clock(wall: Wall) -> date:
    """The day a wall's retention period starts: the last note or reply posted on it, or its creation."""
    last = db.session.scalar(select(func.max(Note.created_at)).where(Note.wall_id == wall.id))
    return day_of(max(filter(None, [as_utc(wall.created_at), as_utc(last)])))


def _candidates() -> list[Wall]:
    return list(db.session.scalars(select(Wall).order_by(Wall.id)))


def _pending(wall: Wall) -> bool:
    # Anonymised before, and nothing posted, reacted or dotted since: nothing to do (members can
    # use a wall again; what they add is anonymised when it has been idle long enough).
    return wall.anonymised_at is None or _added_since(wall, as_utc(wall.anonymised_at))


def _added_since(wall: Wall, moment: datetime) -> bool:
    notes = select(Note.id).where(Note.wall_id == wall.id)
    votes = select(DotVote.id).where(DotVote.wall_id == wall.id)
    return any(db.session.scalar(select(query.exists())) for query in (
        select(Note.id).where(Note.wall_id == wall.id, Note.created_at > moment),
        select(Reaction.id).where(Reaction.note_id.in_(notes), Reaction.created_at > moment),
        select(Dot.id).where(Dot.vote_id.in_(votes), Dot.created_at > moment)))


def _counts(wall: Wall) -> dict[str, int]:
    on_wall = Note.wall_id == wall.id
    count = lambda *where: db.session.scalar(select(func.count(Note.id)).where(on_wall, *where)) or 0  # noqa: E731
    notes = select(Note.id).where(on_wall).scalar_subquery()
    votes = select(DotVote.id).where(DotVote.wall_id == wall.id).scalar_subquery()
    keys = (db.session.scalar(select(func.count(Reaction.id)).where(
        Reaction.note_id.in_(notes), ~Reaction.person.startswith("a:"))) or 0) + (db.session.scalar(
            select(func.count(Dot.id)).where(Dot.vote_id.in_(votes), ~Dot.voter.startswith("a:"))) or 0)
    return {"tokens": count(Note.author_token_hash.is_not(None)), "names": count(Note.author_name != ""),
            "organisations": count(Note.author_org != ""), "accounts": count(Note.user_id.is_not(None)),
            "person_keys": keys}


def _anonymise(wall: Wall) -> None:
    notes = select(Note.id).where(Note.wall_id == wall.id).scalar_subquery()
    votes = select(DotVote.id).where(DotVote.wall_id == wall.id).scalar_subquery()
    n, r, d = Note.__table__, Reaction.__table__, Dot.__table__
    db.session.execute(update(n).where(n.c.wall_id == wall.id).values(
        author_token_hash=None, author_name="", author_org="", user_id=None))
    # A person key per row: the counts stay, nobody's reactions or dots can be put together again.
    db.session.execute(update(r).where(r.c.note_id.in_(notes), ~r.c.person.startswith("a:")).values(
        person="a:" + cast(r.c.id, String), user_id=None))
    db.session.execute(update(d).where(d.c.vote_id.in_(votes), ~d.c.voter.startswith("a:")).values(
        voter="a:" + cast(d.c.id, String)))
    wall.code = None  # people without an account can no longer enter with the code
    wall.anonymised_at = utcnow()


def _delete_counts(wall: Wall) -> dict[str, int]:
    return {"notes": db.session.scalar(select(func.count(Note.id)).where(Note.wall_id == wall.id)) or 0}


def _delete(wall: Wall) -> None:
    db.session.delete(wall)


RULE = RetentionRule(
    "wall", Wall, "Vägg", _clock, _candidates, _counts, _anonymise, _delete_counts, _delete,
    deleted=lambda counts: f"{counts.get('notes', 0)} lappar", pending=_pending)
