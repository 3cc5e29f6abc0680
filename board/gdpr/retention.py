"""Retention: when a session, a wall or another registered kind of object has kept its participants'
data long enough, remove the links to devices and people ("anonymise") or the whole thing
("delete"), as its facilitator chose.

Each feature gives the rules of its objects (`RetentionRule` in board/archive/specs.py, from its
retention.py): the day the clock starts (a session's date, the last note posted on a wall), what
anonymising and deleting remove, and what is counted. A period is RETENTION_MONTHS
(TAVLAN_RETENTION_MONTHS, 12) unless the facilitator set one.

Anonymising keeps every answer, question, vote, note, reaction and dot, and their counts, but cuts
what ties them to a device or a person: participant tokens (their hashes), the optional names and
organisations, links to members' accounts, and the person keys of reactions and dots. What members
did as staff (moderation, review, decisions, party positions, actions) keeps its name on purpose.

`run()` is what `flask --app wsgi retention run` calls: each object is handled and audited in its
own transaction, so a failure leaves the others done and a second run finds nothing left.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from flask import current_app

from board import audit
from board.archive.specs import RetentionRule, registry
from board.extensions import db
from board.models import utcnow

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


def day_of(moment: datetime | date) -> date:
    """The UTC day of a moment (a date stays as it is)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:  # SQLite hands back naive datetimes; everything we store is UTC
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).date()
    return moment


def months_of(thing) -> int:
    """The retention period of an object in months (its own, or the configured default)."""
    return thing.retention_months or current_app.config["RETENTION_MONTHS"]


def as_utc(moment: datetime | None) -> datetime | None:
    """A moment as stored: SQLite hands back naive datetimes, and everything we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def expires_on(thing) -> date:
    """The first day on which `retention run` anonymises or deletes a session or wall."""
    return _expires(_rule_of(thing), thing)


def _expires(rule: RetentionRule, thing) -> date:
    return add_months(rule.clock(thing), months_of(thing))


def _rule_of(thing) -> RetentionRule:
    return next(rule for rule in registry().retention if isinstance(thing, rule.model))


def _rule(kind: str) -> RetentionRule:
    return next(rule for rule in registry().retention if rule.kind == kind)


@dataclass
class Outcome:
    """What one session or wall lost (or, in a dry run, would lose)."""

    kind: str  # a rule's kind: "session", "wall"
    id: int
    title: str
    action: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def removed(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        rule = _rule(self.kind)
        head = f"{rule.label} {self.id} '{self.title}': "
        if self.action == "delete":
            return head + f"raderad ({rule.deleted(self.counts)})"
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


def expired(today: date | None = None) -> list[tuple[str, object]]:
    """Objects whose period has run out and that still hold something to remove, as (kind, object)
    pairs: ("session", FeedbackSession), ("wall", Wall), rule by rule in the order they were
    registered, each oldest first."""
    today = today or utcnow().date()
    found = []
    for rule in registry().retention:
        for thing in rule.candidates():
            if _expires(rule, thing) <= today and rule.pending(thing):
                found.append((rule.kind, thing))
    return found


def apply(kind: str, thing, dry_run: bool = False) -> Outcome:
    """Anonymise or delete one expired session or wall, audited, and committed unless `dry_run`."""
    action = thing.retention_action if thing.retention_action in ACTIONS else "anonymise"
    outcome = Outcome(kind, thing.id, thing.title, action)
    months = months_of(thing)
    rule = _rule(kind)
    if action == "delete":
        outcome.counts = rule.delete_counts(thing)
        if not dry_run:
            rule.delete(thing)
    else:
        outcome.counts = rule.anonymise_counts(thing)
        if not dry_run:
            rule.anonymise(thing)
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
