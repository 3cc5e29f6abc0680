"""Retention: when a feedback session or a wall has kept its participants' data long enough, remove
the links to devices and people ("anonymise") or the whole thing ("delete"), as its facilitator chose.

The clock of a session starts at its date (held_on; its creation when it has none); the clock of a
wall at the last note or reply posted on it (its creation when it has none), so a wall in use never
expires. A period is RETENTION_MONTHS (TAVLAN_RETENTION_MONTHS, 12) unless the facilitator set one.

Anonymising keeps every answer, question, vote, note, reaction and dot, and their counts, but cuts
what ties them to a device or a person: participant tokens (their hashes), the optional names and
organisations, links to members' accounts, and the person keys of reactions and dots. What members
did as staff (moderation, review, decisions, party positions, actions) keeps its name on purpose.

`run()` is what `flask --app wsgi retention run` calls: each session or wall is handled and audited
in its own transaction, so a failure leaves the others done and a second run finds nothing left.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from flask import current_app
from sqlalchemy import String, cast, delete, func, select, update

from board import audit
from board.extensions import db
from board.feedback.models import Answer, FeedbackSession, Item, Participant
from board.models import utcnow
from board.walls.models import Dot, DotVote, Note, Reaction, Wall

ACTIONS = ("anonymise", "delete")
MIN_MONTHS, MAX_MONTHS = 1, 120
# An anonymised participant's token_hash: never a sha256 hex digest, so no cookie can match it.
ANON_PREFIX = "anon:"


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months; the 31st becomes the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _day(moment: datetime | date) -> date:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:  # SQLite hands back naive datetimes; everything we store is UTC
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).date()
    return moment


def months_of(thing) -> int:
    """The retention period of a session or wall in months (its own, or the configured default)."""
    return thing.retention_months or current_app.config["RETENTION_MONTHS"]


def session_clock(session: FeedbackSession) -> date:
    """The day a session's retention period starts: its date, or the day it was created."""
    return session.held_on or _day(session.created_at)


def wall_clock(wall: Wall) -> date:
    """The day a wall's retention period starts: the last note or reply posted on it, or its creation."""
    last = db.session.scalar(select(func.max(Note.created_at)).where(Note.wall_id == wall.id))
    return _day(max(filter(None, [_aware(wall.created_at), _aware(last)])))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def expires_on(thing) -> date:
    """The first day on which `retention run` anonymises or deletes a session or wall."""
    start = session_clock(thing) if isinstance(thing, FeedbackSession) else wall_clock(thing)
    return add_months(start, months_of(thing))


@dataclass
class Outcome:
    """What one session or wall lost (or, in a dry run, would lose)."""

    kind: str  # "session" or "wall"
    id: int
    title: str
    action: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def removed(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        what = "Session" if self.kind == "session" else "Vägg"
        head = f"{what} {self.id} '{self.title}': "
        if self.action == "delete":
            if self.kind == "session":
                return head + (f"raderad ({self.counts.get('answers', 0)} svar, "
                               f"{self.counts.get('participants', 0)} deltagare, "
                               f"{self.counts.get('notes', 0)} lappar på väggar)")
            return head + f"raderad ({self.counts.get('notes', 0)} lappar)"
        parts = [f"{n} {one if n == 1 else many}" for key, one, many in LABELS if (n := self.counts.get(key, 0))]
        if not parts:
            return head + "anonymiserad, inget kvar att ta bort"
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " och " + parts[-1]
        return head + listed + " borttagna"


# What the output line calls each count: (key, one, several).
LABELS = (("tokens", "deltagartoken", "deltagartoken"), ("names", "namn", "namn"),
          ("organisations", "organisation", "organisationer"),
          ("accounts", "koppling till ett konto", "kopplingar till konton"),
          ("person_keys", "reaktions- eller prickägare", "reaktions- och prickägare"))


def _session_counts(session: FeedbackSession) -> dict[str, int]:
    p = Participant
    mine = p.session_id == session.id
    count = lambda *where: db.session.scalar(select(func.count(p.id)).where(mine, *where)) or 0  # noqa: E731
    carried_names = db.session.scalar(select(func.count(Note.id)).where(
        Note.source_kind == "session", Note.source_session_id == session.id, Note.author_name != "")) or 0
    return {"tokens": count(~p.token_hash.startswith(ANON_PREFIX)),
            "names": count(p.name != "") + carried_names,
            "organisations": count(p.organisation != ""),
            "accounts": count(p.user_id.is_not(None))}


def _anonymise_session(session: FeedbackSession) -> None:
    p = Participant.__table__
    db.session.execute(update(p).where(p.c.session_id == session.id).values(
        token_hash=ANON_PREFIX + cast(p.c.id, String), name="", organisation="", user_id=None))
    # Notes that carried its answers to an initiative's wall carry the participant's name too.
    db.session.execute(update(Note.__table__).where(
        Note.source_kind == "session", Note.source_session_id == session.id).values(author_name=""))
    session.anonymised_at = utcnow()


def _session_delete_counts(session: FeedbackSession) -> dict[str, int]:
    items = select(Item.id).where(Item.session_id == session.id).scalar_subquery()
    return {
        "answers": db.session.scalar(select(func.count(Answer.id)).where(Answer.item_id.in_(items))) or 0,
        "participants": db.session.scalar(select(func.count(Participant.id)).where(
            Participant.session_id == session.id)) or 0,
        "notes": db.session.scalar(select(func.count(Note.id)).where(
            Note.source_kind == "session", Note.source_session_id == session.id)) or 0,
    }


def _wall_counts(wall: Wall) -> dict[str, int]:
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


def _anonymise_wall(wall: Wall) -> None:
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


def _added_since(wall: Wall, moment: datetime) -> bool:
    notes = select(Note.id).where(Note.wall_id == wall.id)
    votes = select(DotVote.id).where(DotVote.wall_id == wall.id)
    return any(db.session.scalar(select(query.exists())) for query in (
        select(Note.id).where(Note.wall_id == wall.id, Note.created_at > moment),
        select(Reaction.id).where(Reaction.note_id.in_(notes), Reaction.created_at > moment),
        select(Dot.id).where(Dot.vote_id.in_(votes), Dot.created_at > moment)))


def expired(today: date | None = None) -> list[tuple[str, object]]:
    """Sessions and walls whose period has run out and that still hold something to remove:
    ("session", FeedbackSession) and ("wall", Wall) pairs, oldest first."""
    today = today or utcnow().date()
    found = []
    for session in db.session.scalars(select(FeedbackSession).where(
            FeedbackSession.is_template.is_(False), FeedbackSession.anonymised_at.is_(None))
            .order_by(FeedbackSession.id)):
        if expires_on(session) <= today:
            found.append(("session", session))
    for wall in db.session.scalars(select(Wall).order_by(Wall.id)):
        if expires_on(wall) > today:
            continue
        # Anonymised before, and nothing posted, reacted or dotted since: nothing to do (members
        # can use a wall again; what they add is anonymised when it has been idle long enough).
        if wall.anonymised_at is not None and not _added_since(wall, _aware(wall.anonymised_at)):
            continue
        found.append(("wall", wall))
    return found


def apply(kind: str, thing, dry_run: bool = False) -> Outcome:
    """Anonymise or delete one expired session or wall, audited, and committed unless `dry_run`."""
    action = thing.retention_action if thing.retention_action in ACTIONS else "anonymise"
    outcome = Outcome(kind, thing.id, thing.title, action)
    months = months_of(thing)
    if kind == "session":
        if action == "delete":
            outcome.counts = _session_delete_counts(thing)
            if not dry_run:
                db.session.execute(delete(Note).where(Note.source_kind == "session",
                                                      Note.source_session_id == thing.id))
                db.session.delete(thing)
        else:
            outcome.counts = _session_counts(thing)
            if not dry_run:
                _anonymise_session(thing)
    else:
        if action == "delete":
            outcome.counts = {"notes": db.session.scalar(select(func.count(Note.id)).where(
                Note.wall_id == thing.id)) or 0}
            if not dry_run:
                db.session.delete(thing)
        else:
            outcome.counts = _wall_counts(thing)
            if not dry_run:
                _anonymise_wall(thing)
    if dry_run:
        db.session.rollback()
        return outcome
    audit.record(f"retention.{action}", f"{kind}:{outcome.id}", outcome.line(), actor=None,
                 details={"title": outcome.title, "months": months, **outcome.counts})
    db.session.commit()
    return outcome


def run(dry_run: bool = False, today: date | None = None) -> list[Outcome]:
    """Handle everything that has expired (see module docstring); returns what was done."""
    return [apply(kind, thing, dry_run) for kind, thing in expired(today)]
