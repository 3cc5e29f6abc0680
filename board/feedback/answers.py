"""Answering: the hot path of a full room, and the decision rounds of members.

An answer reads its item as one plain row (`AnswerableItem`, with the few columns of its session):
loading ORM objects for them was the largest cost of an answer when a room of 1,000 answered at
once (a quarter of the worker). Statements are built once and run with parameters, as building
them per answer cost more than running them.
"""
import functools
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from board.extensions import db
from board.feedback import live, results, towall, wordfilter
from board.feedback.models import (DECISION_VOTES, OPTION_KINDS, QUESTION_KINDS, Answer, DecisionVote,
                                   FeedbackSession, Item, Option, Participant)
from board.feedback.sessions import normalise_code
from board.inputs import parse_id, parse_ids
from board.models import utcnow
from board.walls import service as walls
from board.walls.models import Wall

MAX_OPEN_TEXT = 500
MAX_WORDS = 3
MAX_WORD_LENGTH = 40


class AnswerError(ValueError):
    """An answer that cannot be accepted; the message is shown to the participant."""


@dataclass(frozen=True, slots=True)
class SessionState:
    """The few columns of a session that answering reads (names as on FeedbackSession)."""

    id: int
    code: str
    title: str
    held_on: date | None
    pacing: str
    current_item_id: int | None
    word_filter: bool
    require_login: bool
    anonymised_at: datetime | None


@dataclass(frozen=True, slots=True)
class AnswerableItem:
    """What answering needs of an item and its session. Attributes are named as on Item, so that
    can_answer, parse_answer and decide take either; `answer_wall_id` is the wall its open answers
    go to (board/feedback/towall.py), found, never created, here."""

    id: int
    kind: str
    title: str
    settings: dict
    locked: bool
    option_ids: tuple[int, ...]
    answer_wall_id: int | None
    session: SessionState

    @property
    def is_question(self) -> bool:
        return self.kind in QUESTION_KINDS


def find_answerable_item(code: str, item_id: int) -> AnswerableItem | None:
    """The item `item_id` of the session that joins with `code` (not a template), as one row."""
    statements = _answerable_item_statements()
    row = db.session.execute(statements[0], {"item_id": item_id, "code": normalise_code(code)}).first()
    if row is None:
        return None
    options = tuple(db.session.scalars(statements[1], {"item_id": item_id})) if row.kind in OPTION_KINDS else ()
    return AnswerableItem(
        row.id, row.kind, row.title, row.settings or {}, row.locked, options, row.wall_id,
        SessionState(row.session_id, row.code, row.session_title, row.held_on, row.pacing, row.current_item_id,
                     row.word_filter, bool(row.require_login), row.anonymised_at))


@functools.cache
def _answerable_item_statements():
    item, session, option, wall = Item.__table__, FeedbackSession.__table__, Option.__table__, Wall.__table__
    initiative_id = func.coalesce(item.c.initiative_id, session.c.initiative_id)  # its own, or its session's
    row = (select(item.c.id, item.c.kind, item.c.title, item.c.settings, item.c.locked, wall.c.id.label("wall_id"),
                  session.c.id.label("session_id"), session.c.code, session.c.title.label("session_title"),
                  session.c.held_on, session.c.pacing, session.c.current_item_id, session.c.word_filter,
                  session.c.require_login, session.c.anonymised_at)
           .join(session, session.c.id == item.c.session_id)
           .outerjoin(wall, (wall.c.initiative_id == initiative_id) & item.c.kind.in_(towall.CARRIED_KINDS))
           .where(item.c.id == bindparam("item_id"), session.c.code == bindparam("code"),
                  session.c.is_template.is_(False)))
    options = select(option.c.id).where(option.c.item_id == bindparam("item_id")).order_by(option.c.position)
    return row, options


def can_answer(session: FeedbackSession | SessionState, item: Item | AnswerableItem) -> bool:
    """A question can be answered when it is on screen (or the session is self-paced) and not locked."""
    on_screen = session.pacing == "self" or session.current_item_id == item.id
    return item.is_question and not item.locked and on_screen


def parse_answer(item: Item | AnswerableItem, form) -> object:
    """Turn submitted form values into the stored value for `item`'s kind, or raise AnswerError."""
    if item.kind == "choice":
        valid = set(item.option_ids)
        chosen = [n for n in parse_ids(form.getlist("option")) if n in valid]
        if not chosen:
            raise AnswerError(_("Välj ett alternativ."))
        if not item.settings.get("multiple") and len(chosen) > 1:
            raise AnswerError(_("Välj bara ett alternativ."))
        return sorted(set(chosen))
    if item.kind == "wordcloud":
        words = [results.normalise_word(w) for w in form.getlist("word")]
        words = [w for w in words if w]
        if not words:
            raise AnswerError(_("Skriv minst ett ord."))
        if len(words) > MAX_WORDS:
            raise AnswerError(_("Högst %(n)s ord.", n=MAX_WORDS))
        if any(len(w) > MAX_WORD_LENGTH for w in words):
            raise AnswerError(_("Ett ord får vara högst %(n)s tecken.", n=MAX_WORD_LENGTH))
        return words
    if item.kind == "open":
        text = (form.get("text") or "").strip()
        if not text:
            raise AnswerError(_("Skriv ditt svar."))
        if len(text) > MAX_OPEN_TEXT:
            raise AnswerError(_("Svaret får vara högst %(n)s tecken.", n=MAX_OPEN_TEXT))
        return text
    if item.kind == "scale":
        low, high = results.scale_bounds(item)
        value = parse_id((form.get("value") or "").strip(), max=high, min=low)
        if value is None:
            raise AnswerError(_("Välj ett värde från %(low)s till %(high)s.", low=low, high=high))
        return value
    if item.kind == "ranking":
        valid = list(item.option_ids)
        order = parse_ids(form.getlist("option"))
        if sorted(order) != sorted(valid):
            raise AnswerError(_("Ordna alla alternativ."))
        return order
    raise AnswerError(_("Den här frågan tar inte emot svar här."))


def answer(item: AnswerableItem, participant_id: int, value) -> int:
    """Store a participant's answer, replacing their earlier one, and return its id: one row per
    participant and question whatever the number of taps, tabs or retries (the database enforces it)."""
    session = item.session
    if not can_answer(session, item):
        raise AnswerError(_("Frågan är stängd för svar just nu."))
    held = session.word_filter and item.kind in ("open", "wordcloud") and wordfilter.flagged(
        value if isinstance(value, str) else " ".join(value))
    answer_id = _upsert_answer(item.id, participant_id, value, held)
    note = None
    if item.answer_wall_id is not None:  # open text goes on to the initiative's wall
        row = db.session.get(Answer, answer_id, populate_existing=True)
        note = towall.carry(walls.get_wall(item.answer_wall_id), row, value, session, item, row.participant)
    db.session.commit()
    live.publish_counts(session.id)
    if note is not None:
        walls.publish_note(note)
    return answer_id


def _upsert_answer(item_id: int, participant_id: int, value, held: bool = False) -> int:
    """One INSERT ... ON CONFLICT DO UPDATE: a new answer and a changed one cost one statement, and
    two requests of the same participant at once end in one row with the later value."""
    statement = _upsert_statement(db.session.get_bind().dialect.name)
    return db.session.execute(statement, {"item_id": item_id, "participant_id": participant_id, "value": value,
                                          "held": held, "now": utcnow()}).scalar_one()


@functools.cache
def _upsert_statement(dialect: str):
    # Built once: constructing the statement (its `excluded` alias above all) cost more than running it.
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    table = Answer.__table__
    statement = insert(table).values(item_id=bindparam("item_id"), participant_id=bindparam("participant_id"),
                                     value=bindparam("value"), held=bindparam("held"),
                                     created_at=bindparam("now"), updated_at=bindparam("now"))
    return statement.on_conflict_do_update(
        index_elements=[table.c.item_id, table.c.participant_id],
        set_={"value": statement.excluded.value, "held": statement.excluded.held,
              "updated_at": statement.excluded.updated_at},
    ).returning(table.c.id)


def own_answer(item: Item, participant: Participant | None) -> Answer | None:
    if participant is None or not item.is_question:
        return None
    return db.session.scalar(select(Answer).where(Answer.item_id == item.id,
                                                  Answer.participant_id == participant.id))


# --- decision rounds -------------------------------------------------------------------------

def decide(session: FeedbackSession | SessionState, item: Item | AnswerableItem, user, votes: dict) -> None:
    """Record a member's Ja / Nej / Avstår (and optional reason) on each proposal of a decision
    round. `votes` maps option id to (vote, reason); a member may change them until locked."""
    if item.kind != "decision" or not can_answer(session, item):
        raise AnswerError(_("Frågan är stängd för svar just nu."))
    if user is None or not user.is_authenticated:
        raise AnswerError(_("Logga in för att delta i beslutet."))
    proposals = set(item.option_ids)
    for option_id, (vote, reason) in votes.items():
        if option_id not in proposals or vote not in DECISION_VOTES:
            raise AnswerError(_("Välj Ja, Nej eller Avstår för varje förslag."))
        if len(reason) > 500:
            raise AnswerError(_("Motiveringen får vara högst %(n)s tecken.", n=500))
    if set(votes) != proposals:
        raise AnswerError(_("Välj Ja, Nej eller Avstår för varje förslag."))
    existing = {v.option_id: v for v in db.session.scalars(
        select(DecisionVote).where(DecisionVote.user_id == user.id, DecisionVote.option_id.in_(proposals)))}
    for option_id, (vote, reason) in votes.items():
        row = existing.get(option_id) or DecisionVote(option_id=option_id, user_id=user.id)
        row.vote, row.reason = vote, reason
        db.session.add(row)
    session_id = session.id
    try:
        db.session.commit()
    except IntegrityError:  # the same member submitted twice at once: the other request won
        db.session.rollback()
    live.publish_counts(session_id)


def own_decision(item: Item, user) -> dict:
    if item.kind != "decision" or user is None or not user.is_authenticated:
        return {}
    return {v.option_id: v for v in db.session.scalars(select(DecisionVote).where(
        DecisionVote.user_id == user.id, DecisionVote.option_id.in_(item.option_ids)))}
